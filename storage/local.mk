# storage/: Maildir++ mailboxes, UID lists, message parser and cache.
noinst_LTLIBRARIES += storage/libstorage.la
storage_libstorage_la_SOURCES = storage/store.h storage/store.c
