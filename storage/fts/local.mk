# storage/fts: the full-text search index (SQLite FTS5, trigram).
# Included from storage/local.mk; the sources go into libstorage.
storage_libstorage_la_SOURCES += \
	storage/fts/fts-index.h storage/fts/fts-index.c \
	storage/fts/fts-text.h storage/fts/fts-text.c

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-fts-index
TESTS += t/unit/test-fts-index
t_unit_test_fts_index_SOURCES = t/unit/test-fts-index.c
t_unit_test_fts_index_CFLAGS = $(storage_test_cflags)
t_unit_test_fts_index_LDADD = $(storage_test_ldadd)
endif
