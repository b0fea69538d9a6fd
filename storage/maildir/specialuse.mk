# Special-use attributes set by CREATE (RFC 6154 section 3): issue 7.
# Included from storage/local.mk; owned by the IMAP engineer.
storage_libstorage_la_SOURCES += storage/store-specialuse.h \
	storage/maildir/maildir-specialuse.c
