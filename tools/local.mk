# tools/: command-line helpers shipped with Maildock.
bin_PROGRAMS += maildirmake
maildirmake_SOURCES = tools/maildirmake.c
maildirmake_LDADD = storage/libstorage.la core/libcore.la $(OPENSSL_LIBS)
dist_man_MANS += doc/maildirmake.1
bin_PROGRAMS += maildock-migrate
maildock_migrate_SOURCES = tools/maildock-migrate.c
maildock_migrate_LDADD = storage/libstorage.la core/libcore.la $(OPENSSL_LIBS)
dist_man_MANS += doc/maildock-migrate.1

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-maildirmake
TESTS += t/unit/test-maildirmake
t_unit_test_maildirmake_SOURCES = t/unit/test-maildirmake.c \
	t/unit/storetest.h
t_unit_test_maildirmake_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_maildirmake_LDADD = $(CMOCKA_LIBS)
endif
