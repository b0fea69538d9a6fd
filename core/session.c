/* Maildock - SPDX-License-Identifier: MIT
 *
 * The connection thread: set up the session, run implicit TLS, hand the
 * connection to its protocol module, log the disconnect with its figures,
 * release everything. Also the core's own settings.
 */
#include <netdb.h>
#include <stdatomic.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "core/arena.h"
#include "core/conf.h"
#include "core/auth-sysuser.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/park.h"
#include "core/proto.h"
#include "core/proxy-protocol.h"
#include "core/registry.h"
#include "core/session-private.h"
#include "core/stats.h"
#include "core/tlsconn.h"

static atomic_bool stopping;

static const char *const log_levels[] = { "error", "warning", "info", "debug", NULL };

#define S(k, t, f, d, ...) { k, t, offsetof(struct core_settings, f), d, __VA_ARGS__ }
static const struct conf_setting core_conf_settings[] = {
	S("server.user", CONF_STRING, server_user, "",
	  .doc = "user to run as after binding; empty: stay as started"),
	S("server.group", CONF_STRING, server_group, "",
	  .doc = "group to run as; empty: the user's primary group"),
	S("server.hostname", CONF_STRING, server_hostname, "",
	  .doc = "name in greetings; empty: the system's host name"),
	S("server.workers", CONF_UINT, workers, "1", .max = 64,
	  .doc = "worker processes; 0: one per CPU core, at least 2"),
	S("server.pid_file", CONF_STRING, pid_file, "",
	  .doc = "pidfile for init systems without service tracking; empty: none"),
	S("server.shutdown_timeout", CONF_DURATION, shutdown_timeout, "10s",
	  .max = 3600, .doc = "how long SIGTERM waits for sessions to end"),
	S("limits.max_connections", CONF_UINT, max_connections, "1000",
	  .min = 1, .max = 1000000, .doc = "connections at once, in all"),
	S("limits.max_connections_per_ip", CONF_UINT, max_connections_per_ip,
	  "20", .min = 1, .max = 1000000,
	  .doc = "connections at once from one client address"),
	S("limits.login_timeout", CONF_DURATION, login_timeout, "60s",
	  .min = 1, .max = 86400, .doc = "idle time allowed before login"),
	S("limits.idle_timeout", CONF_DURATION, idle_timeout, "30m",
	  .min = 1, .max = 604800, .doc = "idle time allowed after login"),
	S("limits.max_line_length", CONF_SIZE, max_line_length, "64k",
	  .min = 512, .max = 16777216, .doc = "longest command line, octets"),
	S("limits.thread_stack_size", CONF_SIZE, thread_stack_size, "512k",
	  .min = 65536, .max = 67108864, .doc = "stack of each connection thread"),
	S("limits.session_memory", CONF_SIZE, session_memory, "64M",
	  .min = 1048576, .doc = "memory one session may hold"),
	S("log.level", CONF_ENUM, log_level, "info", .values = log_levels,
	  .doc = "error, warning, info or debug"),
	S("log.file", CONF_STRING, log_file, "",
	  .doc = "append log lines to this file; empty: syslog (stderr with -F)"),
	S("proxy.trusted_networks", CONF_STRING, proxy_trusted_networks, "",
	  .doc = "addresses/CIDR blocks of proxies that send a PROXY header"),
	S("proxy.enabled", CONF_BOOL, proxy_enabled, "no",
	  .doc = "login proxy mode: relay each login to its backend"),
	S("proxy.backends", CONF_STRING, proxy_backends, "",
	  .doc = "host:port items users are spread over by hashing"),
	S("proxy.backend_header", CONF_BOOL, proxy_send_header, "yes",
	  .doc = "name the client to backends with a PROXY header"),
	S("proxy.connect_timeout", CONF_DURATION, proxy_connect_timeout, "5s",
	  .min = 1, .max = 300, .doc = "how long a backend may take to accept"),
	S("proxy.failover", CONF_BOOL, proxy_failover, "no",
	  .doc = "send a hashed user elsewhere when the backend is down"),
	S("proxy.down_time", CONF_DURATION, proxy_down_time, "30s",
	  .min = 1, .max = 3600, .doc = "how long a failed backend is skipped"),
};
#undef S

static const struct conf_table core_conf_table = {
	"core", core_conf_settings, N_ELEMENTS(core_conf_settings),
	sizeof(struct core_settings), NULL,
};

void
session_register_settings(void)
{
	conf_register(&core_conf_table);
}

const struct core_settings *
session_core_settings(const struct conf *conf)
{
	return conf_section(conf, &core_conf_table);
}

size_t
session_thread_stack(const struct core_settings *set)
{
#ifdef __SANITIZE_THREAD__
	/* ThreadSanitizer keeps each thread's state in static TLS, which
	 * glibc carves out of the thread's stack, and raises a smaller stack
	 * only to that state plus 128 KiB: a COPY of thousands of messages
	 * then overflowed it. Give the sanitizer's share on top. */
	return set->thread_stack_size + 2u * 1024 * 1024;
#else
	return set->thread_stack_size;
#endif
}

bool
session_stopping(void)
{
	return atomic_load(&stopping);
}

void
session_set_stopping(void)
{
	atomic_store(&stopping, true);
}

void
sockaddr_ip(const struct sockaddr_storage *sa, char *buf, size_t size,
	    unsigned *port_r)
{
	char port[16];
	socklen_t len = sa->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	if (sa->ss_family == AF_UNIX) {	/* a local socket: no address */
		str_copy(buf, "local", size);
		*port_r = 0;
		return;
	}
	if (getnameinfo((const struct sockaddr *)sa, len, buf, (socklen_t)size,
			port, sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		str_copy(buf, "?", size);
		str_copy(port, "0", sizeof(port));
	}
	/* show IPv4-mapped IPv6 peers as IPv4, for logs and per-IP limits */
	if (strncmp(buf, "::ffff:", 7) == 0 && strchr(buf + 7, '.') != NULL)
		memmove(buf, buf + 7, strlen(buf + 7) + 1);
	*port_r = (unsigned)strtoul(port, NULL, 10);
}

void
slog_write(const struct session *s, enum log_level level, const char *fmt, ...)
{
	struct sbuf b;
	va_list ap;

	if ((int)level > (int)log_get_level())
		return;
	sbuf_init(&b, NULL, 4096);
	va_start(ap, fmt);
	sbuf_vappendf(&b, fmt, ap);
	va_end(ap);
	if (s->user != NULL) {
		sbuf_appends(&b, " user=");
		log_quote(&b, s->user, strlen(s->user));
	}
	sbuf_appendf(&b, " ip=%s", s->remote_ip);
	log_write(level, s->id, s->proto->name, "%s", b.data);
	sbuf_free(&b);
}

void
session_logged_in(struct session *s, const char *user)
{
	s->user = arena_strdup(s->arena, user);
	registry_update(s, conn_is_tls(s->conn));
	conn_set_deadline(s->conn, 0);
	conn_set_timeout(s->conn, s->set->idle_timeout);
}

void
session_logged_out(struct session *s)
{
	s->user = NULL;
	registry_update(s, conn_is_tls(s->conn));
	conn_set_timeout(s->conn, s->set->login_timeout);
	conn_set_deadline(s->conn, s->set->login_timeout);
}

static bool
is_loopback(const char *ip)
{
	return strncmp(ip, "127.", 4) == 0 || strcmp(ip, "::1") == 0;
}

static struct session *
session_new(struct session_start *st)
{
	struct session *s = xcalloc(1, sizeof(*s));
	unsigned char rnd[4];

	if (RAND_bytes(rnd, sizeof(rnd)) != 1)
		memset(rnd, 0, sizeof(rnd));
	snprintf(s->id, sizeof(s->id), "%02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3]);
	s->start = st;
	s->proto = st->proto;
	s->conf = st->conf;
	s->set = session_core_settings(st->conf);
	s->tls = st->tls;
	s->arena = arena_new(s->set->session_memory);
	s->conn = conn_new(st->fd);
	s->implicit_tls = st->implicit_tls;
	sockaddr_ip(&st->remote, s->remote_ip, sizeof(s->remote_ip),
		    &s->remote_port);
	sockaddr_ip(&st->local, s->local_ip, sizeof(s->local_ip),
		    &s->local_port);
	s->loopback = is_loopback(s->remote_ip);
	clock_gettime(CLOCK_MONOTONIC, &s->started);
	/* The login timeout bounds the whole unauthenticated phase, TLS
	 * handshake included, not only the gap between two bytes. */
	conn_set_timeout(s->conn, s->set->login_timeout);
	conn_set_deadline(s->conn, s->set->login_timeout);
	return s;
}

static void
session_end(struct session *s, const char *reason)
{
	struct session_start *st = s->start;
	struct timespec now;
	uint64_t in, out;

	clock_gettime(CLOCK_MONOTONIC, &now);
	conn_bytes(s->conn, &in, &out);
	double secs = (double)(now.tv_sec - s->started.tv_sec) +
		      (double)(now.tv_nsec - s->started.tv_nsec) / 1e9;
	slog_info(s, "disconnect reason=%s duration=%.3f in=%llu out=%llu",
		  reason, secs, (unsigned long long)in, (unsigned long long)out);
	park_forget(s);
	conn_free(&s->conn);
	arena_free(&s->arena);
	tlsconn_ctx_unref(&s->tls);
	conf_unref(&s->conf);
	park_free(s);
	/* free OpenSSL's per-thread state before the count drops, so a
	 * stopping daemon never exits under a thread that still holds it
	 * (the thread may serve other sessions: OpenSSL makes it again) */
	OPENSSL_thread_stop();
	listener_session_ended(st);
	free(st);
}

/* session_close: a session that ran (registered, counted) ends after r */
static void
session_close(struct session *s, int r)
{
	uint64_t in, out;

	conn_bytes(s->conn, &in, &out);
	stats_session_ended(s->proto->name, conn_is_tls(s->conn), in, out);
	if (registry_remove(s))
		s->end_reason = "kicked";
	session_end(s, r < 0 ? err_str(r) :
		    s->end_reason ? s->end_reason : "logout");
}

/* session_continue: after run or resume returned: park the session, or
 * resume it at once, or end it */
static void
session_continue(struct session *s, int r)
{
	int why;

	while (r == 0 && s->park.requested) {
		s->park.requested = false;
		if ((why = park_enter(s)) == 0)
			return;		/* another thread owns s now */
		s->proto->resume(s, why);
	}
	session_close(s, r);
}

bool
session_resume(struct session *s, int why)
{
	/* read now: once parked again, s belongs to another thread */
	bool reusable = !s->sysuser;

	if (s->sysuser) {
		/* a resume thread starts with the process's identity */
		int r = auth_sysuser_enter(s->user, s->sys_uid, s->sys_gid);
		if (r < 0) {
			slog_error(s, "resume: cannot take the user's uid/gid");
			s->end_reason = "resume";
			session_close(s, 0);
			return false;
		}
	}
	s->proto->resume(s, why);
	session_continue(s, 0);
	return reusable;
}

/* The PROXY protocol (core/proxy-protocol.h): a connection from
 * proxy.trusted_networks must start with a header naming the client the
 * proxy relays, and from then on the session is that client's (limits,
 * logs, auth.plaintext = loopback, the auth modules' address). A
 * connection from anywhere else that opens with a header is refused, also
 * when no proxy is trusted at all: no client may claim another's address,
 * and a proxy that is not listed learns why its sessions fail. Returns 0, or a negative error
 * after logging it (the session then ends). */
static int
session_proxy_header(struct session *s, struct session_start *st)
{
	const char *nets = s->set->proxy_trusted_networks;
	struct proxy_protocol_addr a;
	const char *reason;
	int r;

	if (!proxy_protocol_trusted(nets, &st->remote)) {
		unsigned char peek[12];
		/* a proxy sends its header at once; a mail client sends
		 * nothing before the greeting */
		ssize_t n = recv(conn_fd(s->conn), peek, sizeof(peek),
				 MSG_PEEK | MSG_DONTWAIT);
		if (n > 0 && proxy_protocol_match(peek, (size_t)n) == 1) {
			slog_warn(s, "refused reason=\"PROXY header from an "
				  "untrusted address\"");
			return -ERR_PERM;
		}
		return 0;
	}
	r = proxy_protocol_read(conn_fd(s->conn), s->set->login_timeout * 1000,
				&a);
	if (r < 0) {
		slog_warn(s, "refused reason=\"no valid PROXY header\" "
			  "error=\"%s\"", err_str(r));
		return r;
	}
	if (!a.proxied)
		return 0;
	r = listener_session_readdress(st, &a.src, &reason);
	sockaddr_ip(&st->remote, s->remote_ip, sizeof(s->remote_ip),
		    &s->remote_port);
	st->local = a.dst;
	sockaddr_ip(&st->local, s->local_ip, sizeof(s->local_ip),
		    &s->local_port);
	s->loopback = is_loopback(s->remote_ip);
	if (r < 0) {
		slog_info(s, "refused reason=\"%s\"", reason);
		if (!st->implicit_tls) {
			s->proto->refuse(s, reason);
			conn_flush(s->conn);
		}
	}
	return r;
}

void *
session_thread(void *arg)
{
	struct session_start *st = arg;
	struct session *s = session_new(st);

	if (s->proto->resume != NULL)
		park_start(session_thread_stack(s->set));
	if (st->refuse) {
		slog_info(s, "refused reason=\"%s\"", st->refuse_reason);
		if (!st->implicit_tls) {
			conn_set_timeout(s->conn, 5);
			s->proto->refuse(s, st->refuse_reason);
			conn_flush(s->conn);
		}
		session_end(s, "refused");
	} else {
		int r = session_proxy_header(s, st);
		if (r == 0)
			slog_info(s, "connect port=%u tls=%d", s->local_port,
				  st->implicit_tls);
		/* after the PROXY header: who shows the real client */
		stats_session_started(s->proto->name);
		registry_add(s);
		if (r == 0 && st->implicit_tls)
			r = conn_starttls(s->conn, s->tls);
		if (r == 0)
			s->proto->run(s);
		session_continue(s, r);
	}
	OPENSSL_thread_stop();	/* when s was parked */
	return NULL;
}
