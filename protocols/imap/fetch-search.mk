# FETCH, SEARCH, SORT and THREAD: included by
# protocols/imap/local.mk.
protocols_libprotocols_la_SOURCES += \
	protocols/imap/cmd-fetch.c \
	protocols/imap/cmd-search.c \
	protocols/imap/cmd-sort.c \
	protocols/imap/imap-fetch.h \
	protocols/imap/imap-fetch-parse.c \
	protocols/imap/imap-fetch-write.c \
	protocols/imap/imap-search-cmd.c \
	protocols/imap/imap-search-cmd.h \
	protocols/imap/imap-search.h \
	protocols/imap/imap-search-date.c \
	protocols/imap/imap-search-index.c \
	protocols/imap/imap-search-index.h \
	protocols/imap/imap-search-match.c \
	protocols/imap/imap-search-parse.c \
	protocols/imap/imap-search-text.c \
	protocols/imap/imap-search-update.c \
	protocols/imap/imap-search-update.h \
	protocols/imap/imap-sort.h \
	protocols/imap/imap-sort.c \
	protocols/imap/imap-sort-subject.c \
	protocols/imap/imap-thread.c

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-imap-search
TESTS += t/unit/test-imap-search
t_unit_test_imap_search_SOURCES = t/unit/test-imap-search.c \
	protocols/imap/imap-search-date.c \
	protocols/imap/imap-search-match.c \
	protocols/imap/imap-search-parse.c \
	protocols/imap/imap-search-text.c
t_unit_test_imap_search_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_imap_search_LDADD = core/libcore.la $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-imap-search-sort
TESTS += t/unit/test-imap-search-sort
t_unit_test_imap_search_sort_SOURCES = t/unit/test-imap-search-sort.c \
	protocols/imap/imap-search-date.c \
	protocols/imap/imap-sort.c \
	protocols/imap/imap-sort-subject.c \
	protocols/imap/imap-thread.c
t_unit_test_imap_search_sort_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_imap_search_sort_LDADD = core/libcore.la $(CMOCKA_LIBS)
endif

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-imap-search-fetch
TESTS += t/unit/test-imap-search-fetch
t_unit_test_imap_search_fetch_SOURCES = t/unit/test-imap-search-fetch.c
t_unit_test_imap_search_fetch_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_imap_search_fetch_LDADD = protocols/libprotocols.la \
	storage/libstorage.la core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS) \
	$(CMOCKA_LIBS)
endif
