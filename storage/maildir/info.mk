# Folder size and save date (RFC 8438, RFC 8514) and the other facts of
# storage/store-info.h: issue 15. Included from storage/local.mk.
storage_libstorage_la_SOURCES += storage/store-info.h \
	storage/maildir/maildir-info.c
# Object ids (RFC 8474): issue 15.
storage_libstorage_la_SOURCES += storage/maildir/maildir-objectid.c
# METADATA (RFC 5464): issue 15.
storage_libstorage_la_SOURCES += storage/store-metadata.h \
	storage/maildir/maildir-metadata.c
