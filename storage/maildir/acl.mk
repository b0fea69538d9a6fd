# Folder ACLs (RFC 4314, Courier courierimapacl files).
# Included from storage/local.mk.
storage_libstorage_la_SOURCES += storage/store-acl.h storage/store-acl.c \
	storage/maildir/maildir-acl.c

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-acl
TESTS += t/unit/test-acl
t_unit_test_acl_SOURCES = t/unit/test-acl.c t/unit/storetest.h
t_unit_test_acl_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_acl_LDADD = storage/libstorage.la core/libcore.la \
	$(OPENSSL_LIBS) $(CMOCKA_LIBS)
endif
