# IMAP module.
protocols_libprotocols_la_SOURCES += \
	protocols/imap/imap.h \
	protocols/imap/imap-arg.c protocols/imap/imap-arg.h \
	protocols/imap/imap-commands.c protocols/imap/imap-commands.h \
	protocols/imap/imap-parser.c protocols/imap/imap-parser.h \
	protocols/imap/imap-parser-literal.c \
	protocols/imap/imap-parser-private.h \
	protocols/imap/imap-reply.c protocols/imap/imap-reply.h \
	protocols/imap/imap-seqset.c protocols/imap/imap-seqset.h \
	protocols/imap/imap-session.c \
	protocols/imap/imap-namespace.c \
	protocols/imap/imap-capability.c \
	protocols/imap/imap-condstore.c protocols/imap/imap-condstore.h \
	protocols/imap/imap-preview.c protocols/imap/imap-preview.h \
	protocols/imap/imap-settings.c \
	protocols/imap/imap-sync.c \
	protocols/imap/cmd-append.c \
	protocols/imap/imap-catenate.c protocols/imap/imap-catenate.h \
	protocols/imap/cmd-copy.c \
	protocols/imap/cmd-idle.c \
	protocols/imap/cmd-list.c \
	protocols/imap/cmd-login.c \
	protocols/imap/imap-proxy.c \
	protocols/imap/cmd-mailbox.c \
	protocols/imap/cmd-misc.c \
	protocols/imap/cmd-quota.c \
	protocols/imap/cmd-replace.c \
	protocols/imap/cmd-metadata.c \
	protocols/imap/cmd-select.c \
	protocols/imap/cmd-store.c \
	protocols/imap/imap-envelope.c protocols/imap/imap-envelope.h \
	protocols/imap/imap-bodystructure.c protocols/imap/imap-bodystructure.h
include protocols/imap/fetch-search.mk
include protocols/imap/acl.mk

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-imap-parser t/unit/test-imap-seqset \
	t/unit/test-imap-reply t/unit/test-imap-commands
TESTS += t/unit/test-imap-parser t/unit/test-imap-seqset \
	t/unit/test-imap-reply t/unit/test-imap-commands
t_unit_test_imap_parser_SOURCES = t/unit/test-imap-parser.c \
	protocols/imap/imap-parser.c protocols/imap/imap-parser-literal.c \
	protocols/imap/imap-parser-private.h protocols/imap/imap-arg.c
t_unit_test_imap_parser_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_imap_parser_LDADD = core/libcore.la $(CMOCKA_LIBS)
t_unit_test_imap_seqset_SOURCES = t/unit/test-imap-seqset.c \
	protocols/imap/imap-seqset.c
t_unit_test_imap_seqset_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_imap_seqset_LDADD = core/libcore.la $(CMOCKA_LIBS)
imap_test_ldadd = protocols/libprotocols.la storage/libstorage.la \
	core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS) $(CMOCKA_LIBS)
t_unit_test_imap_reply_SOURCES = t/unit/test-imap-reply.c
t_unit_test_imap_reply_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_imap_reply_LDADD = $(imap_test_ldadd)
t_unit_test_imap_commands_SOURCES = t/unit/test-imap-commands.c
t_unit_test_imap_commands_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_imap_commands_LDADD = $(imap_test_ldadd)
endif

EXTRA_DIST += fuzz/fuzz-imap-parser.c conf.d/20-imap.conf
