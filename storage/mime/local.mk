# storage/mime: RFC 5322 / MIME parser for FETCH and SEARCH.
# Included from storage/local.mk; the sources go into libstorage.
storage_libstorage_la_SOURCES += \
	storage/mime/mime.h storage/mime/mime-private.h \
	storage/mime/mime-parse.c storage/mime/mime-header.c \
	storage/mime/mime-rfc822.c storage/mime/mime-addr.c \
	storage/mime/mime-section.c storage/mime/mime-decode.c \
	storage/mime/mime-serialize.c

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-mime
TESTS += t/unit/test-mime
t_unit_test_mime_SOURCES = t/unit/test-mime.c \
	protocols/imap/imap-envelope.c protocols/imap/imap-bodystructure.c
t_unit_test_mime_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_mime_LDADD = storage/libstorage.la core/libcore.la \
	$(OPENSSL_LIBS) $(CMOCKA_LIBS)
endif

# Corpus comparison with Dovecot's golden answers (../shared/corpus).
check_PROGRAMS += t/corpus/corpus-compare
t_corpus_corpus_compare_SOURCES = t/corpus/corpus-compare.c \
	protocols/imap/imap-envelope.c protocols/imap/imap-bodystructure.c
t_corpus_corpus_compare_CFLAGS = $(AM_CFLAGS)
t_corpus_corpus_compare_LDADD = storage/libstorage.la core/libcore.la \
	$(OPENSSL_LIBS)
TESTS += t/corpus.sh
EXTRA_DIST += t/corpus.sh t/corpus/corpus.py t/corpus-differences.md
