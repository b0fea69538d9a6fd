# protocols/: IMAP and POP3 modules over core, storage and auth.
noinst_LTLIBRARIES += protocols/libprotocols.la
protocols_libprotocols_la_SOURCES = protocols/protocols.c
include protocols/authmech.mk
# the storage-error table shared by IMAP and POP3
protocols_libprotocols_la_SOURCES += protocols/mailerr.c protocols/mailerr.h
protocols_libprotocols_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
include protocols/imap/local.mk
include protocols/pop3/local.mk
include protocols/lmtp/local.mk
include protocols/nginx-auth/local.mk

if HAVE_CMOCKA
check_PROGRAMS += t/unit/test-mailerr
TESTS += t/unit/test-mailerr
t_unit_test_mailerr_SOURCES = t/unit/test-mailerr.c protocols/mailerr.c
t_unit_test_mailerr_CFLAGS = $(AM_CFLAGS) $(CMOCKA_CFLAGS)
t_unit_test_mailerr_LDADD = core/libcore.la $(CMOCKA_LIBS)
endif
