# POP3 module: issue 6.
protocols_libprotocols_la_SOURCES += \
	protocols/pop3/pop3.h \
	protocols/pop3/pop3-parser.c protocols/pop3/pop3-parser.h \
	protocols/pop3/pop3-dotstuff.c protocols/pop3/pop3-dotstuff.h \
	protocols/pop3/pop3-settings.c \
	protocols/pop3/pop3-session.c \
	protocols/pop3/pop3-commands.c \
	protocols/pop3/pop3-cmd-auth.c \
	protocols/pop3/pop3-cmd-trans.c \
	protocols/pop3/pop3-maildrop.c \
	protocols/pop3/pop3-proxy.c

# the shipped pop3.* settings (beside the lead's conf.d snippets)
pop3confdir = $(sysconfdir)/maildock/conf.d
dist_pop3conf_DATA = conf.d/21-pop3.conf

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-pop3-parser t/unit/test-pop3-dotstuff
TESTS += t/unit/test-pop3-parser t/unit/test-pop3-dotstuff
t_unit_test_pop3_parser_SOURCES = t/unit/test-pop3-parser.c \
	protocols/pop3/pop3-parser.c
t_unit_test_pop3_parser_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_pop3_parser_LDADD = core/libcore.la $(CMOCKA_LIBS)
t_unit_test_pop3_dotstuff_SOURCES = t/unit/test-pop3-dotstuff.c \
	protocols/pop3/pop3-dotstuff.c
t_unit_test_pop3_dotstuff_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_pop3_dotstuff_LDADD = core/libcore.la $(CMOCKA_LIBS)
endif

# The libFuzzer target fuzz/fuzz-pop3.c (parser and dot-stuffing filter) is
# built by `make fuzz` (fuzz/local.mk).
