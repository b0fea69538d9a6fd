/* Maildock - SPDX-License-Identifier: MIT
 *
 * Binding the configured addresses, and the accept loop: limits are
 * checked here, and every accepted socket goes to a new detached thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include "core/conf.h"
#include "core/conn.h"
#include "core/connlimit.h"
#include "core/error.h"
#include "core/log.h"
#include "core/listener.h"
#include "core/proxy-protocol.h"
#include "core/proto.h"
#include "core/session-private.h"
#include "core/tlsconn.h"

#define MAX_PROTOS 8
#define MAX_LISTENERS 64
#define MAX_REFUSING 64		/* refusal threads at once; more are closed */
/* Descriptors one session may hold at once: its socket, and during a
 * command a message or folder file (IDLE holds only its socket: the
 * poller and inotify instance are the process's, core/park.h). */
#define SESSION_FDS 2
/* Descriptors of a process beside its sessions: stdio, listeners, signal
 * and shutdown pipes, the log, authd sockets, the reserve, mailbox scans. */
#define BASE_FDS 64
/* Out of descriptors: accepting stops this long, after telling at most
 * FULL_REFUSALS queued clients so; the condition is logged at most once
 * per FULL_REPORT_SECS. */
#define FULL_PAUSE_MS 100
#define FULL_REFUSALS 16
#define FULL_REPORT_SECS 10

struct listener {
	int fd;
	const struct proto_ops *proto;
	bool implicit_tls;
};

struct listen_settings {
	const char *listen[2 * MAX_PROTOS];
};

static struct conf_setting listen_settings[2 * MAX_PROTOS];
static struct conf_table listen_table = { "listen", listen_settings, 0,
					  sizeof(struct listen_settings), NULL };
static const struct proto_ops *setting_proto[2 * MAX_PROTOS];
static bool setting_tls[2 * MAX_PROTOS];

static struct listener listeners[MAX_LISTENERS];
static size_t nlisteners;

/* this process's connection threads (the limits themselves are global,
 * in core/connlimit) */
static pthread_mutex_t count_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t count_cond = PTHREAD_COND_INITIALIZER;
static unsigned active, refusing;

/* Accept-loop state (the loop's own thread only): a descriptor kept open
 * so that, out of descriptors, one connection can still be accepted and
 * told so; when accepting resumes; and what the next report says. */
static int reserve_fd = -1;
static long long paused_until_ms;
static long long full_reported_ms;
static unsigned full_refused;

void
listener_register_settings(const struct proto_ops *const *protos)
{
	size_t n = 0;
	for (size_t i = 0; protos[i] != NULL && i < MAX_PROTOS; i++) {
		for (int tls = 0; tls < 2; tls++) {
			struct conf_setting *st = &listen_settings[n];
			char key[64];
			/* a protocol without implicit TLS (LMTP) has no
			 * <name>s.listen key */
			if (tls && protos[i]->default_listen_tls == NULL)
				continue;
			snprintf(key, sizeof(key), "%s%s.listen",
				 protos[i]->name, tls ? "s" : "");
			st->key = xstrdup(key);
			st->type = CONF_STRING;
			st->offset = offsetof(struct listen_settings, listen) +
				     n * sizeof(const char *);
			st->def = tls ? protos[i]->default_listen_tls
				      : protos[i]->default_listen;
			st->doc = "address:port items; empty disables";
			setting_proto[n] = protos[i];
			setting_tls[n] = tls;
			n++;
		}
	}
	listen_table.count = n;
	conf_register(&listen_table);
}

int
listener_parse_addr(const char *item, struct addrinfo **res_r,
		    const char **why_r)
{
	char host[256];
	const char *colon;
	size_t hlen;

	*why_r = "expected address:port";
	if (item[0] == '[') {
		const char *end = strchr(item, ']');
		if (end == NULL || end[1] != ':')
			return -ERR_INVAL;
		hlen = (size_t)(end - item - 1);
		if (hlen >= sizeof(host))
			return -ERR_INVAL;
		memcpy(host, item + 1, hlen);
		colon = end + 1;
	} else {
		colon = strrchr(item, ':');
		if (colon == NULL)
			return -ERR_INVAL;
		hlen = (size_t)(colon - item);
		if (hlen >= sizeof(host))
			return -ERR_INVAL;
		memcpy(host, item, hlen);
	}
	host[hlen] = '\0';
	/* getaddrinfo takes the port modulo 65536 (99999 became 34463) */
	const char *port = colon + 1;
	size_t plen = strlen(port);
	unsigned long num = 0;
	if (plen == 0 || plen > 5 || strspn(port, "0123456789") != plen ||
	    (num = strtoul(port, NULL, 10)) < 1 || num > 65535) {
		*why_r = "the port must be a number from 1 to 65535";
		return -ERR_INVAL;
	}
	struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV |
					      AI_NUMERICHOST,
				  .ai_socktype = SOCK_STREAM };
	bool any = strcmp(host, "*") == 0 || host[0] == '\0';
	if (getaddrinfo(any ? "0.0.0.0" : host, port, &hints, res_r) != 0) {
		*why_r = "not an IP address (host names are not accepted: "
			 "use the address, or * for every address)";
		return -ERR_INVAL;
	}
	return 0;
}

static int
bind_one(const struct addrinfo *ai, char **error_r, const struct conf *conf,
	 const char *key, const char *item)
{
	char ebuf[128];
	int one = 1;
	/* non-blocking: a connection that another worker took, or that the
	 * client reset, must not block the accept loop */
	int fd = socket(ai->ai_family,
			ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		goto fail;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ai->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0)
		goto fail;
	return fd;
fail:
	*error_r = conf_errorf(conf, key, "cannot listen on %s: %s", item,
			       errno_str(errno, ebuf, sizeof(ebuf)));
	if (fd >= 0)
		close(fd);
	return -1;
}

/* Call fn for each address item of each enabled service; stops at the first
 * nonzero return, which it returns. */
static int
foreach_item(const struct conf *conf,
	     int (*fn)(const struct conf *conf, size_t i, const char *item,
		       char **error_r),
	     char **error_r)
{
	const struct listen_settings *set = conf_section(conf, &listen_table);

	for (size_t i = 0; i < listen_table.count; i++) {
		char *copy = xstrdup(set->listen[i]), *save = NULL;
		int r = 0;
		for (char *item = strtok_r(copy, " \t,", &save);
		     item != NULL && r == 0;
		     item = strtok_r(NULL, " \t,", &save))
			r = fn(conf, i, item, error_r);
		free(copy);
		if (r != 0)
			return r;
	}
	return 0;
}

/* A UNIX socket item: an absolute path that fits sun_path. */
static bool
unix_item(const char *item)
{
	return item[0] == '/';
}

static int
check_unix(const struct conf *conf, size_t i, const char *item,
	   struct sockaddr_un *sun_r, char **error_r)
{
	memset(sun_r, 0, sizeof(*sun_r));
	sun_r->sun_family = AF_UNIX;
	if (strlen(item) >= sizeof(sun_r->sun_path)) {
		*error_r = conf_errorf(conf, listen_settings[i].key,
				       "socket path \"%s\" is too long", item);
		return -ERR_INVAL;
	}
	str_copy(sun_r->sun_path, item, sizeof(sun_r->sun_path));
	return 0;
}

/* Listen on the UNIX socket path item (mode 0666: an MTA's delivery agent
 * runs as its own user, as with Dovecot's LMTP socket). A socket left
 * by an earlier run is replaced; any other file there is an error. */
static int
bind_unix(const struct conf *conf, size_t i, const char *item,
	  char **error_r)
{
	const char *key = listen_settings[i].key;
	struct sockaddr_un sun;
	struct stat st;
	char ebuf[128];
	int fd = -1;

	if (check_unix(conf, i, item, &sun, error_r) < 0)
		return -ERR_INVAL;
	if (lstat(item, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(item);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(item, 0666) < 0 || listen(fd, 128) < 0) {
		*error_r = conf_errorf(conf, key, "cannot listen on %s: %s",
				       item, errno_str(errno, ebuf,
						       sizeof(ebuf)));
		if (fd >= 0)
			close(fd);
		return -ERR_IO;
	}
	listeners[nlisteners++] = (struct listener){
		fd, setting_proto[i], setting_tls[i] };
	return 0;
}

static int
parse_item(const struct conf *conf, size_t i, const char *item,
	   struct addrinfo **ai_r, char **error_r)
{
	const char *why;
	if (listener_parse_addr(item, ai_r, &why) < 0) {
		*error_r = conf_errorf(conf, listen_settings[i].key,
				       "bad address \"%s\": %s", item, why);
		return -ERR_INVAL;
	}
	return 0;
}

static int
check_item(const struct conf *conf, size_t i, const char *item,
	   char **error_r)
{
	struct addrinfo *ai;
	struct sockaddr_un sun;
	if (unix_item(item))
		return check_unix(conf, i, item, &sun, error_r);
	int r = parse_item(conf, i, item, &ai, error_r);
	if (r == 0)
		freeaddrinfo(ai);
	return r;
}

static int
bind_item(const struct conf *conf, size_t i, const char *item,
	  char **error_r)
{
	const char *key = listen_settings[i].key;
	struct addrinfo *ai;
	if (nlisteners >= MAX_LISTENERS) {
		*error_r = conf_errorf(conf, key, "too many listeners");
		return -ERR_IO;
	}
	if (unix_item(item))
		return bind_unix(conf, i, item, error_r);
	int r = parse_item(conf, i, item, &ai, error_r);
	if (r < 0)
		return r;
	int fd = bind_one(ai, error_r, conf, key, item);
	freeaddrinfo(ai);
	if (fd < 0)
		return -ERR_IO;
	listeners[nlisteners++] = (struct listener){
		fd, setting_proto[i], setting_tls[i] };
	return 0;
}

int
listener_check_all(const struct conf *conf, char **error_r)
{
	return foreach_item(conf, check_item, error_r);
}

int
listener_bind_all(const struct conf *conf, char **error_r)
{
	return foreach_item(conf, bind_item, error_r);
}

size_t
listener_count(void)
{
	return nlisteners;
}

/* Count the connection in (st->slot); returns the refusal reason, "" to
 * close without one (too many refusals at once), or NULL. A trusted
 * proxy's connections count toward the total only: each is counted under
 * its client's address once the PROXY header names it. */
static const char *
admit(struct session_start *st, const struct core_settings *set)
{
	const char *reason = NULL;
	unsigned max = set->max_connections;
	bool proxy = proxy_protocol_trusted(set->proxy_trusted_networks,
					    &st->remote);
	/* an MTA's or a proxy's own listener (LMTP, auth_http) is not a
	 * client's: it counts toward the total only, so clients on the MTA's
	 * address can never defer delivery, nor deliveries take their slots */
	bool per_ip = !proxy && !st->proto->infrastructure;

	if (max > connlimit_capacity())
		max = connlimit_capacity();	/* grows only at restart */
	st->slot = connlimit_admit(&st->remote, per_ip, max,
				   set->max_connections_per_ip, &reason);
	pthread_mutex_lock(&count_lock);
	if (reason == NULL)
		active++;
	else if (refusing >= MAX_REFUSING)
		reason = "";
	else
		refusing++;
	pthread_mutex_unlock(&count_lock);
	return reason;
}

int
listener_session_readdress(struct session_start *st,
			   const struct sockaddr_storage *client,
			   const char **reason_r)
{
	const struct core_settings *set = session_core_settings(st->conf);

	st->remote = *client;
	return connlimit_readdress(st->slot, client,
				   set->max_connections_per_ip, reason_r);
}

void
listener_session_ended(const struct session_start *st)
{
	/* counted by its slot, not by st->refuse: a connection admitted and
	 * then refused (implicit TLS without a certificate) holds a slot */
	if (st->slot >= 0)
		connlimit_release(st->slot);
	pthread_mutex_lock(&count_lock);
	if (st->slot < 0)
		refusing--;
	else
		active--;
	pthread_cond_broadcast(&count_cond);
	pthread_mutex_unlock(&count_lock);
}

static void
start_thread(struct session_start *st, size_t stack)
{
	pthread_attr_t attr;
	pthread_t tid;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, stack);
	if (pthread_create(&tid, &attr, session_thread, st) != 0) {
		log_error("core", "cannot start a connection thread: "
			  "out of resources");
		close(st->fd);
		listener_session_ended(st);
		conf_unref(&st->conf);
		tlsconn_ctx_unref(&st->tls);
		free(st);
	}
	pthread_attr_destroy(&attr);
}

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
reserve_open(void)
{
	if (reserve_fd < 0)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

/* Accept one queued connection on the reserve descriptor and tell the
 * client with the protocol's refusal; returns false when none was queued
 * or no descriptor could be had. An implicit-TLS client cannot be told in
 * plaintext: it is just closed. */
static bool
refuse_queued(const struct listener *l)
{
	if (reserve_fd < 0)
		return false;
	close(reserve_fd);
	reserve_fd = -1;
	int fd = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd >= 0) {
		struct session s = { .proto = l->proto };
		s.conn = conn_new(fd);
		conn_set_timeout(s.conn, 1);
		if (!l->implicit_tls) {
			l->proto->refuse(&s, "Server out of resources, try "
					 "again later.");
			conn_flush(s.conn);
		}
		conn_free(&s.conn);
	}
	reserve_open();
	return fd >= 0;
}

/* accept() said EMFILE or ENFILE: the queued clients are told instead of
 * left waiting, and accepting stops for a moment, so that poll() does not
 * wake again at once for the same queue (a spin that filled the log). */
static void
descriptors_full(const struct listener *l, int err)
{
	char ebuf[128];
	long long now = now_ms();

	for (unsigned i = 0; i < FULL_REFUSALS && refuse_queued(l); i++)
		full_refused++;
	paused_until_ms = now + FULL_PAUSE_MS;
	if (full_reported_ms != 0 &&
	    now - full_reported_ms < FULL_REPORT_SECS * 1000)
		return;
	log_error("core", "accept: out of file descriptors (%s): new "
		  "connections refused, accepting paused for %d ms at a time; "
		  "refused=%u sessions=%u", errno_str(err, ebuf, sizeof(ebuf)),
		  FULL_PAUSE_MS, full_refused, listener_active());
	full_reported_ms = now;
	full_refused = 0;
}

static void
accept_one(const struct listener *l)
{
	struct session_start *st = xcalloc(1, sizeof(*st));
	socklen_t len = sizeof(st->remote);
	st->fd = accept4(l->fd, (struct sockaddr *)&st->remote, &len,
			 SOCK_CLOEXEC);
	if (st->fd < 0) {
		int err = errno;
		free(st);
		if (err == EMFILE || err == ENFILE)
			descriptors_full(l, err);
		return;	/* EAGAIN: another worker took it; or a reset */
	}
	if (full_reported_ms != 0) {
		log_info("core", "accept: descriptors available again "
			 "refused=%u", full_refused);
		full_reported_ms = 0;
		full_refused = 0;
	}
	len = sizeof(st->local);
	getsockname(st->fd, (struct sockaddr *)&st->local, &len);
	st->proto = l->proto;
	st->implicit_tls = l->implicit_tls;
	st->conf = conf_current();
	st->tls = tlsconn_current();
	const struct core_settings *set = session_core_settings(st->conf);
	const char *reason = admit(st, set);
	if (reason != NULL && reason[0] == '\0') {
		/* already refusing too many: just close */
		close(st->fd);
		conf_unref(&st->conf);
		tlsconn_ctx_unref(&st->tls);
		free(st);
		return;
	}
	if (st->implicit_tls && st->tls == NULL && reason == NULL)
		reason = "TLS is not configured.";
	st->refuse = reason != NULL;
	st->refuse_reason = reason;
	start_thread(st, session_thread_stack(set));
}

int
listener_run(int wake_fd, bool (*on_wake)(void))
{
	struct pollfd p[MAX_LISTENERS + 1];

	for (;;) {
		nfds_t n = 0;
		int timeout = -1;
		long long wait = paused_until_ms - now_ms();
		reserve_open();
		p[n++] = (struct pollfd){ wake_fd, POLLIN, 0 };
		if (wait > 0)
			timeout = (int)wait;	/* paused: listeners not polled */
		else
			for (size_t i = 0; i < nlisteners; i++)
				p[n++] = (struct pollfd){ listeners[i].fd,
							  POLLIN, 0 };
		if (poll(p, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			log_error("core", "poll failed");
			return -ERR_IO;
		}
		if (p[0].revents & POLLIN) {
			if (!on_wake())
				return 0;
		}
		for (size_t i = 0; i + 1 < n; i++)
			if (p[i + 1].revents & POLLIN)
				accept_one(&listeners[i]);
	}
}

void
listener_close_all(void)
{
	for (size_t i = 0; i < nlisteners; i++)
		close(listeners[i].fd);
	nlisteners = 0;
	if (reserve_fd >= 0)
		close(reserve_fd);
	reserve_fd = -1;
}

void
listener_fit_descriptors(unsigned max_connections)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_cur < rl.rlim_max) {
		struct rlimit up = { rl.rlim_max, rl.rlim_max };
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl.rlim_cur = rl.rlim_max;
	}
	unsigned long long need = (unsigned long long)max_connections *
				  SESSION_FDS + BASE_FDS;
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < need)
		log_warn("core", "limits.max_connections=%u needs about %llu "
			 "file descriptors (%d a session), but RLIMIT_NOFILE "
			 "is %llu (hard %llu): raise the hard limit "
			 "(LimitNOFILE= in systemd, ulimit -Hn) or lower "
			 "limits.max_connections; clients beyond get a refusal",
			 max_connections, need, SESSION_FDS,
			 (unsigned long long)rl.rlim_cur,
			 (unsigned long long)rl.rlim_max);
	else
		log_debug("core", "RLIMIT_NOFILE=%llu",
			  (unsigned long long)rl.rlim_cur);
}

unsigned
listener_active(void)
{
	pthread_mutex_lock(&count_lock);
	unsigned n = active + refusing;
	pthread_mutex_unlock(&count_lock);
	return n;
}

bool
listener_wait_idle(unsigned seconds)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += seconds;
	pthread_mutex_lock(&count_lock);
	while (active + refusing > 0) {
		if (pthread_cond_timedwait(&count_cond, &count_lock,
					   &deadline) != 0)
			break;
	}
	bool idle = active + refusing == 0;
	pthread_mutex_unlock(&count_lock);
	return idle;
}
