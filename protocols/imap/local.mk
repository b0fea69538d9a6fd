# IMAP module: issue 5 (and the extensions of issue 7).
# Files of the FETCH/SEARCH engineer are listed below once they exist.
protocols_libprotocols_la_SOURCES += \
	protocols/imap/imap.h \
	protocols/imap/imap-parser.c protocols/imap/imap-parser.h \
	protocols/imap/imap-reply.h \
	protocols/imap/imap-seqset.c protocols/imap/imap-seqset.h

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-imap-parser t/unit/test-imap-seqset
TESTS += t/unit/test-imap-parser t/unit/test-imap-seqset
t_unit_test_imap_parser_SOURCES = t/unit/test-imap-parser.c \
	protocols/imap/imap-parser.c
t_unit_test_imap_parser_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_imap_parser_LDADD = core/libcore.la $(CMOCKA_LIBS)
t_unit_test_imap_seqset_SOURCES = t/unit/test-imap-seqset.c \
	protocols/imap/imap-seqset.c
t_unit_test_imap_seqset_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_imap_seqset_LDADD = core/libcore.la $(CMOCKA_LIBS)
endif

EXTRA_DIST += fuzz/fuzz-imap-parser.c
