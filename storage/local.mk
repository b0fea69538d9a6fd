# storage/: Maildir++ mailboxes, UID lists, message parser and cache.
noinst_LTLIBRARIES += storage/libstorage.la
storage_libstorage_la_SOURCES = storage/store.h storage/store.c \
	storage/store-settings.c \
	storage/store-private.h \
	storage/store-mail.h storage/store-mail.c \
	storage/maildir/maildir.h \
	storage/maildir/maildir-uidlist.h \
	storage/maildir/maildir-keywords.h \
	storage/maildir/maildir-sync.h \
	storage/maildir/maildir-cache.h \
	storage/maildir/maildir-tree.h \
	storage/maildir/maildir-quota.h \
	storage/maildir/mutf7.c \
	storage/maildir/maildir-names.c \
	storage/maildir/maildir-flags.c \
	storage/maildir/maildir-util.c \
	storage/maildir/maildir-uidlist.c \
	storage/maildir/maildir-compat.c \
	storage/maildir/maildir-folder.c \
	storage/maildir/maildir-scan.c \
	storage/maildir/maildir-modseq.c \
	storage/maildir/maildir-keywords.c \
	storage/maildir/maildir-mailbox.c \
	storage/maildir/maildir-msg.c \
	storage/maildir/maildir-deliver.c \
	storage/maildir/maildir-copy.c \
	storage/maildir/maildir-folders.c \
	storage/maildir/maildir-subscribe.c \
	storage/maildir/maildir-quota.c \
	storage/maildir/maildir-pop3.c \
	storage/maildir/maildir-cache.c \
	storage/maildir/maildir-read.c \
	storage/maildir/maildir-watch.c \
	storage/maildir/maildir-user.c
storage_libstorage_la_CFLAGS = $(AM_CFLAGS) $(SQLITE_CFLAGS)
storage_libstorage_la_LIBADD = $(SQLITE_LIBS)
include storage/mime/local.mk
include storage/fts/local.mk
include storage/maildir/acl.mk
include storage/maildir/specialuse.mk
include storage/maildir/info.mk

if HAVE_CMOCKA
storage_test_cflags = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
storage_test_ldadd = storage/libstorage.la core/libcore.la $(OPENSSL_LIBS) \
	$(CMOCKA_LIBS)
check_PROGRAMS += t/unit/test-store t/unit/test-store-folders \
	t/unit/test-maildir-flags t/unit/test-maildir-uidlist \
	t/unit/test-maildir-compat t/unit/test-maildir-folder \
	t/unit/test-store-modseq t/unit/test-store-mail
TESTS += t/unit/test-store t/unit/test-store-folders \
	t/unit/test-maildir-flags t/unit/test-maildir-uidlist \
	t/unit/test-maildir-compat t/unit/test-maildir-folder \
	t/unit/test-store-modseq t/unit/test-store-mail
t_unit_test_store_mail_SOURCES = t/unit/test-store-mail.c \
	t/unit/storetest.h
t_unit_test_store_mail_CFLAGS = $(storage_test_cflags)
t_unit_test_store_mail_LDADD = $(storage_test_ldadd)
t_unit_test_store_modseq_SOURCES = t/unit/test-store-modseq.c \
	t/unit/storetest.h
t_unit_test_store_modseq_CFLAGS = $(storage_test_cflags)
t_unit_test_store_modseq_LDADD = $(storage_test_ldadd)
t_unit_test_store_SOURCES = t/unit/test-store.c t/unit/storetest.h
t_unit_test_store_CFLAGS = $(storage_test_cflags)
t_unit_test_store_LDADD = $(storage_test_ldadd)
t_unit_test_store_folders_SOURCES = t/unit/test-store-folders.c \
	t/unit/storetest.h
t_unit_test_store_folders_CFLAGS = $(storage_test_cflags)
t_unit_test_store_folders_LDADD = $(storage_test_ldadd)
t_unit_test_maildir_flags_SOURCES = t/unit/test-maildir-flags.c
t_unit_test_maildir_flags_CFLAGS = $(storage_test_cflags)
t_unit_test_maildir_flags_LDADD = $(storage_test_ldadd)
t_unit_test_maildir_uidlist_SOURCES = t/unit/test-maildir-uidlist.c \
	t/unit/storetest.h
t_unit_test_maildir_uidlist_CFLAGS = $(storage_test_cflags)
t_unit_test_maildir_uidlist_LDADD = $(storage_test_ldadd)
t_unit_test_maildir_compat_SOURCES = t/unit/test-maildir-compat.c \
	t/unit/storetest.h
t_unit_test_maildir_compat_CFLAGS = $(storage_test_cflags)
t_unit_test_maildir_compat_LDADD = $(storage_test_ldadd)
t_unit_test_maildir_folder_SOURCES = t/unit/test-maildir-folder.c \
	t/unit/storetest.h
t_unit_test_maildir_folder_CFLAGS = $(storage_test_cflags)
t_unit_test_maildir_folder_LDADD = $(storage_test_ldadd)
endif

# Benchmark, built by make check but not run: bench/storage-open
check_PROGRAMS += bench/storage-open
bench_storage_open_SOURCES = bench/storage-open.c
bench_storage_open_LDADD = storage/libstorage.la core/libcore.la $(OPENSSL_LIBS)
