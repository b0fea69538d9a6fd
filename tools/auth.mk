# Auth tools: maildock-pw hashes passwords, maildock-auth
# shows what the configured modules answer for a user. Included from
# authmods/local.mk.
bin_PROGRAMS += maildock-pw
# an admin tool (section 8), beside maildockd
sbin_PROGRAMS += maildock-auth
maildock_pw_SOURCES = tools/maildock-pw.c
maildock_pw_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
maildock_pw_LDADD = core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS)
maildock_auth_SOURCES = tools/maildock-auth.c
maildock_auth_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
# the whole configuration is read, so every layer's settings are linked
maildock_auth_LDADD = protocols/libprotocols.la storage/libstorage.la \
	core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS) $(LIBCAP_LIBS)
