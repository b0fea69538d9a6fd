# core/: sockets, threads, TLS streams, configuration, logging, auth loader.
noinst_LTLIBRARIES += core/libcore.la
core_libcore_la_SOURCES = \
	core/acceptor.c core/acceptor.h \
	core/arena.c core/arena.h \
	core/auth.c core/auth.h \
	core/compat.c core/compat.h \
	core/conf.c core/conf.h core/conf-private.h core/conf-value.c \
	core/conn.c core/conn.h \
	core/connlimit.c core/connlimit.h \
	core/control.c core/control.h \
	core/detach.c core/detach.h \
	core/conn-deflate.c core/conn-deflate.h \
	core/error.c core/error.h \
	core/listener.c core/listener.h \
	core/log.c core/log.h \
	core/master.c core/master.h \
	core/metrics.c core/metrics.h \
	core/notify.c core/notify.h \
	core/park.c core/park.h \
	core/pidfile.c core/pidfile.h \
	core/preflight.c core/preflight.h \
	core/proto.h \
	core/proxy-protocol.c core/proxy-protocol.h \
	core/proxy-relay.c core/proxy-relay.h \
	core/registry.c core/registry.h \
	core/sbuf.c core/sbuf.h \
	core/session.c core/session.h core/session-private.h \
	core/settings.c core/settings.h \
	core/shm.c core/shm.h \
	core/stats.c core/stats.h \
	core/tlsconn.c core/tlsconn.h \
	core/tlsconn-ticket.c core/tlsconn-ticket.h
core_libcore_la_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS) $(SYSTEMD_CFLAGS) \
	$(ZLIB_CFLAGS)
core_libcore_la_LIBADD = $(OPENSSL_LIBS) $(CRYPT_LIBS) $(LIBCAP_LIBS) \
	$(SYSTEMD_LIBS) $(ZLIB_LIBS)

sbin_PROGRAMS += maildockd
maildockd_SOURCES = core/main.c
maildockd_CFLAGS = $(AM_CFLAGS) $(OPENSSL_CFLAGS)
# protocols and storage come first: they use core's symbols
maildockd_LDADD = protocols/libprotocols.la storage/libstorage.la \
	core/libcore.la $(OPENSSL_LIBS) $(CRYPT_LIBS) $(LIBCAP_LIBS) \
	$(SYSTEMD_LIBS) $(ZLIB_LIBS)
maildockd_LDFLAGS = $(AM_LDFLAGS) -export-dynamic
