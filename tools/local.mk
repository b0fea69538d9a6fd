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

# maildock-admin: sessions, kick, reload, stats over the control sockets;
# accounts, folders, quota and messages on the Maildir (admin-mail.c)
sbin_PROGRAMS += maildock-admin
maildock_admin_SOURCES = tools/maildock-admin.c tools/admin-mail.c \
	tools/admin-fetch.c \
	tools/admin-mail.h
maildock_admin_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
# reads the whole configuration: every layer's settings are linked
maildock_admin_LDADD = protocols/libprotocols.la storage/libstorage.la \
	core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS) $(LIBCAP_LIBS) \
	$(SYSTEMD_LIBS) $(ZLIB_LIBS)

# maildock-index: a user's full-text search index (status, rebuild)
sbin_PROGRAMS += maildock-index
maildock_index_SOURCES = tools/maildock-index.c
maildock_index_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
maildock_index_LDADD = $(maildock_admin_LDADD)
