# protocols/: IMAP and POP3 modules over core, storage and auth.
noinst_LTLIBRARIES += protocols/libprotocols.la
protocols_libprotocols_la_SOURCES = protocols/protocols.c
include protocols/authmech.mk
protocols_libprotocols_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
include protocols/imap/local.mk
include protocols/pop3/local.mk
include protocols/lmtp/local.mk
include protocols/nginx-auth/local.mk
