/* Maildock - SPDX-License-Identifier: MIT
 *
 * Login proxy mode: route a logged-in user to a backend (the auth result's
 * host, else rendezvous hashing over proxy.backends), connect to it, and
 * relay the session's bytes both ways.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include "core/auth.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/proxy-relay.h"
#include "core/session.h"
#include "core/compat.h"

bool
proxy_relay_enabled(const struct session *s)
{
	return s->set->proxy_enabled;
}

/* Split "host:port", "[v6]:port" or "host" into b; no port: default. */
static int
parse_backend(const char *item, size_t len, const char *default_port,
	      struct proxy_relay_backend *b)
{
	const char *host = item, *port = NULL, *end = item + len;
	size_t hlen;

	if (len > 0 && item[0] == '[') {
		const char *close = memchr(item, ']', len);
		if (close == NULL)
			return -ERR_INVAL;
		host = item + 1;
		hlen = (size_t)(close - host);
		if (close + 1 < end) {
			if (close[1] != ':')
				return -ERR_INVAL;
			port = close + 2;
		}
	} else {
		const char *colon = memchr(item, ':', len);
		hlen = colon ? (size_t)(colon - item) : len;
		if (colon != NULL)
			port = colon + 1;
	}
	if (hlen == 0 || hlen >= sizeof(b->host))
		return -ERR_INVAL;
	memcpy(b->host, host, hlen);
	b->host[hlen] = '\0';
	if (port == NULL) {
		str_copy(b->port, default_port, sizeof(b->port));
		return 0;
	}
	size_t plen = (size_t)(end - port);
	if (plen == 0 || plen >= sizeof(b->port) ||
	    strspn(port, "0123456789") < plen)
		return -ERR_INVAL;
	memcpy(b->port, port, plen);
	b->port[plen] = '\0';
	return 0;
}

/* FNV-1a, 64 bits, over user NUL backend: the rendezvous score. */
static uint64_t
score(const char *user, const char *item, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (const char *p = user; *p; p++)
		h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
	h = (h ^ 0) * 0x100000001b3ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)item[i]) * 0x100000001b3ULL;
	/* FNV's low bits mix poorly for short keys: finish like SplitMix64 */
	h ^= h >> 30;
	h *= 0xbf58476d1ce4e5b9ULL;
	h ^= h >> 27;
	h *= 0x94d049bb133111ebULL;
	return h ^ (h >> 31);
}

/* Backends that refused or did not answer lately, by "host:port", with
 * when they may be tried again (CLOCK_MONOTONIC seconds). Per process:
 * each worker learns for itself, at the cost of one failed connect. */
#define DOWN_MAX 64
static struct {
	char name[sizeof(((struct proxy_relay_backend *)0)->host) + 8];
	time_t until;
} down[DOWN_MAX];
static pthread_mutex_t down_lock = PTHREAD_MUTEX_INITIALIZER;

static time_t
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
backend_name(const struct proxy_relay_backend *b, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%s", b->host, b->port);
}

static bool
is_down(const struct proxy_relay_backend *b)
{
	char name[sizeof(down[0].name)];
	bool r = false;
	time_t now = now_s();

	backend_name(b, name, sizeof(name));
	pthread_mutex_lock(&down_lock);
	for (size_t i = 0; i < DOWN_MAX && !r; i++)
		r = down[i].until > now && strcmp(down[i].name, name) == 0;
	pthread_mutex_unlock(&down_lock);
	return r;
}

static void
mark_down(const struct session *s, const struct proxy_relay_backend *b)
{
	char name[sizeof(down[0].name)];
	size_t slot = 0;
	time_t now = now_s();

	backend_name(b, name, sizeof(name));
	pthread_mutex_lock(&down_lock);
	for (size_t i = 0; i < DOWN_MAX; i++) {
		if (strcmp(down[i].name, name) == 0) {
			slot = i;
			break;
		}
		if (down[i].until < down[slot].until)
			slot = i;	/* else the one that expires first */
	}
	str_copy(down[slot].name, name, sizeof(down[slot].name));
	down[slot].until = now + (time_t)s->set->proxy_down_time;
	pthread_mutex_unlock(&down_lock);
}

int
proxy_relay_route(const struct session *s, const struct auth_user *u,
		  const char *default_port, struct proxy_relay_backend *b_r)
{
	const char *p = s->set->proxy_backends;
	struct proxy_relay_backend cand;
	uint64_t best_score = 0;
	bool found = false, best_down = false;

	if (u->proxy_host != NULL && u->proxy_host[0] != '\0')
		return parse_backend(u->proxy_host, strlen(u->proxy_host),
				     default_port, b_r);
	/* highest random weight: each backend's score depends on the user
	 * and that backend only, so removing one moves only its users; with
	 * proxy.failover a backend marked down loses to any that is not */
	for (;;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (len == 0)
			break;
		uint64_t sc = score(u->user, p, len);
		if (parse_backend(p, len, default_port, &cand) == 0) {
			bool d = s->set->proxy_failover && is_down(&cand);
			if (!found || (best_down && !d) ||
			    (best_down == d && sc > best_score)) {
				*b_r = cand;
				best_score = sc;
				best_down = d;
				found = true;
			}
		}
		p += len;
	}
	return found ? 0 : -ERR_NOTFOUND;
}

int
proxy_relay_open(struct session *s, const struct auth_user *u,
		 const char *default_port, struct proxy_relay_backend *b_r,
		 struct conn **c_r)
{
	int r;

	for (unsigned tries = 0; tries < 3; tries++) {
		if ((r = proxy_relay_route(s, u, default_port, b_r)) < 0)
			return r;
		if (!s->set->proxy_failover && is_down(b_r)) {
			/* it failed a moment ago: say so now rather than make
			 * every login of its users wait for the timeout */
			return -ERR_TEMP;
		}
		if ((r = proxy_relay_connect(s, b_r, c_r)) == 0)
			return 0;
		mark_down(s, b_r);
		if (!s->set->proxy_failover || u->proxy_host[0] != '\0')
			return r;
	}
	return r;
}

/* connect(2) within timeout_ms. */
static int
connect_timed(const struct addrinfo *ai, unsigned timeout_ms)
{
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC |
			SOCK_NONBLOCK, ai->ai_protocol);
	if (fd < 0)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
		return fd;
	if (errno == EINPROGRESS) {
		struct pollfd p = { fd, POLLOUT, 0 };
		int err = 0;
		socklen_t len = sizeof(err);
		int r;
		while ((r = poll(&p, 1, (int)timeout_ms)) < 0 && errno == EINTR)
			;
		if (r == 1 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err,
					 &len) == 0 && err == 0)
			return fd;
		errno = r == 0 ? ETIMEDOUT : err;
	}
	int e = errno;
	close(fd);
	errno = e;
	return -1;
}

int
proxy_relay_connect(struct session *s, const struct proxy_relay_backend *b,
		    struct conn **c_r)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
	int fd = -1, e = 0;
	int r = getaddrinfo(b->host, b->port, &hints, &res);

	if (r != 0) {
		slog_error(s, "proxy: backend %s: %s", b->host, gai_strerror(r));
		return -ERR_TEMP;
	}
	for (ai = res; ai != NULL && fd < 0; ai = ai->ai_next) {
		fd = connect_timed(ai, s->set->proxy_connect_timeout * 1000);
		e = errno;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		slog_error(s, "proxy: backend %s port %s: %s", b->host, b->port,
			   strerror(e));
		return -ERR_TEMP;
	}
	*c_r = conn_new(fd);
	/* until the relay starts, a backend that accepted but does not answer
	 * (stopped, overloaded) fails the login as soon as one that refuses */
	conn_set_timeout(*c_r, s->set->proxy_connect_timeout);
	if (!s->set->proxy_send_header)
		return 0;
	/* the backend lists this proxy in its proxy.trusted_networks and
	 * takes the client's address from the header: its per-IP limits and
	 * logs then see the client, as they would without a proxy */
	r = conn_printf(*c_r, "PROXY %s %s %s %u %u\r\n",
			strchr(s->remote_ip, ':') ? "TCP6" : "TCP4",
			s->remote_ip, s->local_ip, s->remote_port,
			s->local_port);
	if (r == 0)
		r = conn_flush(*c_r);
	if (r < 0) {
		conn_free(c_r);
		return -ERR_TEMP;
	}
	return 0;
}

/* Keep the last bytes of data[0..n) in tail (size bytes, a C string). */
static void
keep_tail(char *tail, size_t size, const char *data, size_t n)
{
	size_t have = strlen(tail), take = n < size - 1 ? n : size - 1;
	size_t keep = have + take < size ? have : size - 1 - take;

	memmove(tail, tail + have - keep, keep);
	memcpy(tail + keep, data + n - take, take);
	tail[keep + take] = '\0';
	for (size_t i = keep; i < keep + take; i++)
		if (tail[i] == '\0')
			tail[i] = ' ';
}

/* Move what from can give now to to. Returns 0, 1 when from ended or
 * failed, 2 when writing to to failed. */
static int
pass_on(struct conn *from, struct conn *to, char *tail, size_t size)
{
	char buf[16384];
	size_t got;

	do {
		if (conn_read(from, buf, sizeof(buf), &got) < 0)
			return 1;
		keep_tail(tail, size, buf, got);
		if (conn_write(to, buf, got) < 0)
			return 2;
	} while (conn_buffered(from) > 0);
	return conn_flush(to) < 0 ? 2 : 0;
}

int
proxy_relay_run(struct session *s, struct conn *backend,
		struct proxy_relay_tail *tail_r)
{
	int timeout_ms = (int)(s->set->idle_timeout * 1000);

	tail_r->client[0] = tail_r->backend[0] = '\0';
	conn_set_timeout(backend, s->set->idle_timeout);
	for (;;) {
		int w = conn_buffered(backend) > 0 ? 2 :
			conn_wait(s->conn, conn_fd(backend), timeout_ms);
		if (w < 0)
			return w;
		if (w == 0)
			return -ERR_TIMEOUT;
		int r = w == 1 ? pass_on(s->conn, backend, tail_r->client,
					 sizeof(tail_r->client))
			       : pass_on(backend, s->conn, tail_r->backend,
					 sizeof(tail_r->backend));
		if (r != 0)	/* the side that ended: from (1) or to (2) */
			return (r == 1) == (w == 1) ? 1 : 2;
	}
}
