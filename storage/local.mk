# storage/: Maildir++ mailboxes, UID lists, message parser and cache.
noinst_LTLIBRARIES += storage/libstorage.la
storage_libstorage_la_SOURCES = storage/store.h storage/store.c \
	storage/store-private.h \
	storage/maildir/maildir.h \
	storage/maildir/mutf7.c \
	storage/maildir/maildir-names.c \
	storage/maildir/maildir-flags.c \
	storage/maildir/maildir-util.c \
	storage/maildir/maildir-uidlist.c \
	storage/maildir/maildir-folder.c \
	storage/maildir/maildir-keywords.c \
	storage/maildir/maildir-mailbox.c \
	storage/maildir/maildir-msg.c \
	storage/maildir/maildir-deliver.c \
	storage/maildir/maildir-copy.c \
	storage/maildir/maildir-folders.c \
	storage/maildir/maildir-subscribe.c \
	storage/maildir/maildir-quota.c \
	storage/maildir/maildir-pop3.c \
	storage/maildir/maildir-user.c
include storage/mime/local.mk
