# Special-use attributes set by CREATE (RFC 6154 section 3).
# Included from storage/local.mk.
storage_libstorage_la_SOURCES += storage/store-specialuse.h \
	storage/maildir/maildir-specialuse.c
