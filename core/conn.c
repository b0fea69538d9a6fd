/* Maildock - SPDX-License-Identifier: MIT
 *
 * Buffered, timed I/O over a non-blocking socket, plaintext or TLS, with
 * an optional DEFLATE layer between the buffers and the stream (RFC 4978,
 * core/conn-deflate.h). Every wait is a poll(2) on the socket (and on the
 * shutdown descriptor for reads), so a connection thread never blocks
 * longer than its timeout.
 */
#include <errno.h>
#include <stdatomic.h>
#include <poll.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include "core/conn.h"
#include "core/conn-deflate.h"
#include "core/error.h"
#include "core/tlsconn.h"

#define CONN_INBUF_MIN 8192
#define CONN_OUTBUF 16384
/* how long, and how much input, a close waits for and discards so that
 * a client still sending reads our last words (see linger_input) */
#define CONN_LINGER_MS 1000
#define CONN_LINGER_MAX (8u * 1024 * 1024)

static int shutdown_fd = -1;

struct conn {
	int fd;
	SSL *ssl;
	unsigned timeout;		/* seconds, 0: none */
	long long deadline;		/* CLOCK_MONOTONIC ms, 0: none */
	int write_error;		/* sticky */
	char *in;			/* grows up to a line's max; NULL
					   while parked (conn_shrink) */
	size_t in_cap, in_start, in_end;
	char *out;			/* CONN_OUTBUF, made on first write */
	size_t out_len;
	uint64_t bytes_in, bytes_out;
	char tls_info[96];
	char line_head[CONN_LINE_HEAD];	/* of the last refused line */
	size_t line_head_len;
	bool line_crlf;			/* the last line ended in CRLF */
	struct conn_deflate *z;		/* COMPRESS=DEFLATE, or NULL */
	atomic_bool kicked;		/* set by another thread: conn_kick */
};

void
conn_set_shutdown_fd(int fd)
{
	shutdown_fd = fd;
}

void
conn_kick(struct conn *c)
{
	atomic_store(&c->kicked, true);
	/* the read side only: the session still writes its goodbye */
	shutdown(c->fd, SHUT_RD);
}

struct conn *
conn_new(int fd)
{
	struct conn *c = xcalloc(1, sizeof(*c));
	int fl = fcntl(fd, F_GETFL), one = 1;
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl | O_NONBLOCK);
	/* Output is already gathered into one write per flush (one TLS
	 * record). Nagle's algorithm would only hold back the second of two
	 * writes in a row until the peer's delayed ACK, up to 40 ms: a TLS
	 * 1.3 session ticket then the greeting, a handshake flight in two
	 * parts. Fails harmlessly on a socket that is not TCP. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->fd = fd;
	return c;
}

/* in_ready: the input buffer exists (it goes while parked) */
static void
in_ready(struct conn *c)
{
	if (c->in == NULL) {
		c->in_cap = CONN_INBUF_MIN;
		c->in = xmalloc(c->in_cap);
	}
}

void
conn_shrink(struct conn *c)
{
	if (c->in_start == c->in_end) {
		free(c->in);
		c->in = NULL;
		c->in_cap = c->in_start = c->in_end = 0;
	}
	if (c->out_len == 0) {
		free(c->out);
		c->out = NULL;
	}
	/* OpenSSL's record buffers (about 34 KB): made again on use */
	if (c->ssl != NULL)
		SSL_free_buffers(c->ssl);
}

static long long
now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* linger_input: before closing a socket that still has input we did not
 * read, send our FIN and read and discard what the client goes on sending
 * for a short while. Closing with unread input makes the kernel answer
 * with a reset, and a reset can destroy the data not yet read on the
 * client's side: a client in the middle of a large literal would lose the
 * "* BYE [LIMIT]" that ends its session and see only "connection reset"
 * (the lingering close of HTTP servers, RFC 9112 section 9.6). */
static void
linger_input(struct conn *c)
{
	char buf[4096];
	int pending = 0;
	size_t drained = 0;
	long long deadline;

	if ((c->in == NULL || c->in_start == c->in_end) &&
	    (ioctl(c->fd, FIONREAD, &pending) < 0 || pending <= 0))
		return;
	if (shutdown(c->fd, SHUT_WR) < 0)
		return;
	deadline = now_ms() + CONN_LINGER_MS;
	while (drained < CONN_LINGER_MAX) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			break;
		n = read(c->fd, buf, sizeof(buf));
		if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
			break;
		if (n > 0)
			drained += (size_t)n;
	}
}

void
conn_free(struct conn **cp)
{
	struct conn *c = *cp;
	if (c == NULL)
		return;
	if (c->ssl != NULL) {
		SSL_shutdown(c->ssl);
		SSL_free(c->ssl);
	}
	linger_input(c);
	close(c->fd);
	conn_deflate_free(&c->z);
	free(c->in);
	free(c->out);
	free(c);
	*cp = NULL;
}

void
conn_set_timeout(struct conn *c, unsigned seconds)
{
	c->timeout = seconds;
}

bool
conn_is_tls(const struct conn *c)
{
	return c->ssl != NULL;
}

const char *
conn_tls_info(const struct conn *c)
{
	return c->tls_info;
}

int
conn_fd(const struct conn *c)
{
	return c->fd;
}

/* Wait for the socket to become readable (events POLLIN) or writable.
 * Reads also watch the shutdown descriptor. */
static int
wait_fd(struct conn *c, short events, long long deadline)
{
	struct pollfd p[2] = { { c->fd, events, 0 }, { shutdown_fd, POLLIN, 0 } };
	nfds_t n = (events & POLLIN) && shutdown_fd >= 0 ? 2 : 1;

	for (;;) {
		int ms = -1;
		if (deadline > 0) {
			long long left = deadline - now_ms();
			if (left <= 0)
				return -ERR_TIMEOUT;
			ms = left > 1000000 ? 1000000 : (int)left;
		}
		int r = poll(p, n, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -ERR_IO;
		if (r == 0)
			continue;
		if (n == 2 && (p[1].revents & POLLIN))
			return -ERR_SHUTDOWN;
		if (p[0].revents != 0)
			return 0;
	}
}

static long long
deadline_of(const struct conn *c)
{
	long long d = c->timeout ? now_ms() + (long long)c->timeout * 1000 : 0;
	if (c->deadline != 0 && (d == 0 || c->deadline < d))
		d = c->deadline;
	return d;
}

void
conn_set_deadline(struct conn *c, unsigned seconds)
{
	c->deadline = seconds ? now_ms() + (long long)seconds * 1000 : 0;
}

/* Read once from the socket or TLS stream into buf (room > 0 bytes).
 * Returns bytes read (> 0) or an error; without wait, 0 when the socket
 * has nothing now. */
static int
read_raw(struct conn *c, char *buf, size_t room, bool wait)
{
	long long deadline = deadline_of(c);

	for (;;) {
		int r;
		/* before the stream: a TLS read would take the end of input
		 * conn_kick made for an error and spoil the last write */
		if (atomic_load(&c->kicked))
			return -ERR_KICKED;
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_read(c->ssl, buf, (int)room);
			if (r > 0)
				return r;
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_ZERO_RETURN)
				return -ERR_EOF;
			if (!wait && (e == SSL_ERROR_WANT_READ ||
				      e == SSL_ERROR_WANT_WRITE))
				return 0;
			if (e == SSL_ERROR_WANT_READ)
				r = wait_fd(c, POLLIN, deadline);
			else if (e == SSL_ERROR_WANT_WRITE)
				r = wait_fd(c, POLLOUT, deadline);
			else
				return e == SSL_ERROR_SYSCALL ? -ERR_EOF : -ERR_TLS;
			if (r < 0)
				return r;
			continue;
		}
		ssize_t n = read(c->fd, buf, room);
		if (n > 0)
			return (int)n;
		if (n == 0)
			return -ERR_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return errno == ECONNRESET ? -ERR_EOF : -ERR_IO;
		if (!wait)
			return 0;
		r = wait_fd(c, POLLIN, deadline);
		if (r < 0)
			return r;
	}
}

/* fill_inflated: inflate into the input buffer, reading compressed
 * octets only when none are left to inflate */
static int
fill_inflated(struct conn *c, size_t room, bool wait)
{
	for (;;) {
		size_t got, n;
		char *p;
		int r = conn_deflate_inflate(c->z, c->in + c->in_end, room,
					     &got);
		if (r < 0)
			return r;
		if (got > 0)
			return (int)got;
		conn_deflate_in_space(c->z, &p, &n);
		if ((r = read_raw(c, p, n, wait)) <= 0)
			return r;
		conn_deflate_in_added(c->z, (size_t)r);
	}
}

/* Read once into the input buffer (inflated when compressed); the buffer
 * must have room. Returns bytes added (> 0) or an error; without wait, 0
 * when the socket has nothing now. */
static int
fill_some(struct conn *c, bool wait)
{
	int r;

	in_ready(c);
	if (c->in_start > 0 && c->in_start == c->in_end)
		c->in_start = c->in_end = 0;
	if (c->in_end == c->in_cap && c->in_start > 0) {
		memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
		c->in_end -= c->in_start;
		c->in_start = 0;
	}
	size_t room = c->in_cap - c->in_end;
	r = c->z != NULL ? fill_inflated(c, room, wait) :
	    read_raw(c, c->in + c->in_end, room, wait);
	if (r > 0) {
		c->in_end += (size_t)r;
		c->bytes_in += (uint64_t)r;
	}
	return r;
}

static int
fill(struct conn *c)
{
	return fill_some(c, true);
}

/* keep_head: the start of a line about to be thrown away, so the
 * protocol can still answer its tag */
static void
keep_head(struct conn *c, const char *p, size_t len)
{
	c->line_head_len = len < sizeof(c->line_head) ? len :
			   sizeof(c->line_head);
	memcpy(c->line_head, p, c->line_head_len);
}

int
conn_read_line(struct conn *c, size_t max, struct sview *line_r)
{
	size_t scanned = 0;
	bool discarding = false;

	in_ready(c);
	for (;;) {
		char *start = c->in + c->in_start;
		size_t avail = c->in_end - c->in_start;
		char *lf = memchr(start + scanned, '\n', avail - scanned);
		if (lf != NULL) {
			size_t len = (size_t)(lf - start);
			c->in_start += len + 1;
			c->line_crlf = len > 0 && start[len - 1] == '\r';
			if (c->line_crlf)
				len--;
			if (!discarding && len > max)
				keep_head(c, start, len);
			if (discarding || len > max)
				return -ERR_LIMIT;
			line_r->p = start;
			line_r->len = len;
			return 0;
		}
		scanned = avail;
		if (avail > max + 1) {
			/* too long: throw it away up to its end; a line is
			 * never truncated and run */
			if (!discarding)
				keep_head(c, start, avail);
			discarding = true;
			c->in_start = c->in_end;
			scanned = 0;
		} else if (c->in_start == 0 && c->in_end == c->in_cap) {
			c->in_cap *= 2;
			c->in = xrealloc(c->in, c->in_cap);
		}
		int r = fill(c);
		if (r < 0)
			return r;
	}
}

bool
conn_line_crlf(const struct conn *c)
{
	return c->line_crlf;
}

size_t
conn_line_head(const struct conn *c, const char **p_r)
{
	*p_r = c->line_head;
	return c->line_head_len;
}

int
conn_read(struct conn *c, void *buf, size_t n, size_t *got_r)
{
	if (c->in_start == c->in_end) {
		int r = fill(c);
		if (r < 0)
			return r;
	}
	size_t avail = c->in_end - c->in_start;
	size_t take = n < avail ? n : avail;
	memcpy(buf, c->in + c->in_start, take);
	c->in_start += take;
	*got_r = take;
	return 0;
}

int
conn_skip(struct conn *c, uint64_t n)
{
	while (n > 0) {
		if (c->in_start == c->in_end) {
			int r = fill(c);
			if (r < 0)
				return r;
		}
		size_t avail = c->in_end - c->in_start;
		size_t take = n < avail ? (size_t)n : avail;
		c->in_start += take;
		n -= take;
	}
	return 0;
}

size_t
conn_buffered(const struct conn *c)
{
	size_t n = c->in_end - c->in_start;
	/* with read-ahead (core/tlsconn.c), OpenSSL may hold whole records
	 * it read from the socket but has not decrypted yet: SSL_pending
	 * counts only decrypted ones, SSL_has_pending both */
	if (c->ssl != NULL && SSL_pending(c->ssl) > 0)
		n += (size_t)SSL_pending(c->ssl);
	else if (c->ssl != NULL && SSL_has_pending(c->ssl))
		n++;	/* records not decrypted yet */
	if (c->z != NULL && conn_deflate_pending(c->z))
		n++;	/* compressed octets not inflated yet */
	return n;
}

bool
conn_input_pending(const struct conn *c)
{
	/* SSL_has_pending also counts a record read but not yet decrypted */
	return c->in_end > c->in_start ||
	       (c->ssl != NULL && SSL_has_pending(c->ssl)) ||
	       (c->z != NULL && conn_deflate_pending(c->z));
}

int
conn_read_ready(struct conn *c)
{
	int r;

	if (c->in_end > c->in_start)
		return 1;
	r = fill_some(c, false);
	return r < 0 ? r : r > 0 ? 1 : 0;
}

int
conn_wait(struct conn *c, int extra_fd, int timeout_ms)
{
	if (conn_buffered(c) > 0)
		return 1;
	struct pollfd p[3] = { { c->fd, POLLIN, 0 }, { shutdown_fd, POLLIN, 0 },
			       { extra_fd, POLLIN, 0 } };
	long long deadline = timeout_ms >= 0 ? now_ms() + timeout_ms : 0;
	for (;;) {
		int ms = -1;
		if (timeout_ms >= 0) {
			long long left = deadline - now_ms();
			ms = left < 0 ? 0 : (int)left;
		}
		int r = poll(p, extra_fd >= 0 ? 3 : 2, ms);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -ERR_IO;
		if (r == 0)
			return 0;
		if (p[1].revents & POLLIN)
			return -ERR_SHUTDOWN;
		if (p[0].revents != 0)
			return 1;
		if (extra_fd >= 0 && p[2].revents != 0)
			return 2;
	}
}

static int
send_raw(struct conn *c, const char *p, size_t n)
{
	long long deadline = deadline_of(c);

	while (n > 0) {
		int r;
		if (c->ssl != NULL) {
			ERR_clear_error();
			r = SSL_write(c->ssl, p, n > INT32_MAX ? INT32_MAX : (int)n);
			if (r > 0) {
				p += r;
				n -= (size_t)r;
				continue;
			}
			int e = SSL_get_error(c->ssl, r);
			if (e == SSL_ERROR_WANT_READ)
				r = wait_fd(c, POLLIN, deadline);
			else if (e == SSL_ERROR_WANT_WRITE)
				r = wait_fd(c, POLLOUT, deadline);
			else
				return -ERR_TLS;
			if (r < 0 && r != -ERR_SHUTDOWN)
				return r;
			continue;
		}
		ssize_t w = write(c->fd, p, n);
		if (w > 0) {
			p += w;
			n -= (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -ERR_IO;
		r = wait_fd(c, POLLOUT, deadline);
		if (r < 0)
			return r;
	}
	return 0;
}

static int
sink_raw(void *ctx, const char *p, size_t n)
{
	return send_raw(ctx, p, n);
}

/* transmit: p[0..n) to the peer, through DEFLATE when it is on (flush:
 * the peer can read all of it now) */
static int
transmit(struct conn *c, const char *p, size_t n, bool flush)
{
	if (c->z == NULL)
		return send_raw(c, p, n);
	while (n > CONN_OUTBUF) {	/* zlib counts in 32 bits */
		int r = conn_deflate_write(c->z, p, CONN_OUTBUF, false,
					   sink_raw, c);
		if (r < 0)
			return r;
		p += CONN_OUTBUF;
		n -= CONN_OUTBUF;
	}
	return conn_deflate_write(c->z, p, n, flush, sink_raw, c);
}

int
conn_flush(struct conn *c)
{
	if (c->write_error != 0)
		return c->write_error;
	if (c->out_len == 0 && (c->z == NULL || !conn_deflate_unflushed(c->z)))
		return 0;
	int r = transmit(c, c->out, c->out_len, true);
	c->out_len = 0;
	if (r < 0)
		c->write_error = r;
	return r;
}

int
conn_write(struct conn *c, const void *p, size_t n)
{
	if (c->write_error != 0)
		return c->write_error;
	c->bytes_out += n;
	if (c->out == NULL)
		c->out = xmalloc(CONN_OUTBUF);
	if (c->out_len + n > CONN_OUTBUF) {
		int r = conn_flush(c);
		if (r < 0)
			return r;
		if (n >= CONN_OUTBUF) {
			r = transmit(c, p, n, false);
			if (r < 0)
				c->write_error = r;
			return r;
		}
	}
	memcpy(c->out + c->out_len, p, n);
	c->out_len += n;
	return 0;
}

int
conn_writes(struct conn *c, const char *s)
{
	return conn_write(c, s, strlen(s));
}

int
conn_printf(struct conn *c, const char *fmt, ...)
{
	struct sbuf b;
	va_list ap;
	int r;

	sbuf_init(&b, NULL, 1024 * 1024);
	va_start(ap, fmt);
	sbuf_vappendf(&b, fmt, ap);
	va_end(ap);
	r = sbuf_failed(&b) ? -ERR_LIMIT : conn_write(c, b.data, b.len);
	sbuf_free(&b);
	return r;
}

void
conn_bytes(const struct conn *c, uint64_t *in_r, uint64_t *out_r)
{
	*in_r = c->bytes_in;
	*out_r = c->bytes_out;
}

int
conn_starttls(struct conn *c, struct tlsconn_ctx *ctx)
{
	long long deadline = deadline_of(c);
	int r;

	/* TLS goes under compression, never inside it (RFC 4978 4) */
	if (c->ssl != NULL || ctx == NULL || c->z != NULL)
		return -ERR_TLS;
	r = conn_flush(c);
	if (r < 0)
		return r;
	/* Plaintext the client sent after STARTTLS must not be read as if
	 * it had come through TLS (the command-injection bug class). */
	c->in_start = c->in_end = 0;
	c->ssl = tlsconn_new_ssl(ctx);
	if (c->ssl == NULL || SSL_set_fd(c->ssl, c->fd) != 1)
		return -ERR_TLS;
	for (;;) {
		ERR_clear_error();
		int a = SSL_accept(c->ssl);
		if (a == 1)
			break;
		int e = SSL_get_error(c->ssl, a);
		if (e == SSL_ERROR_WANT_READ)
			r = wait_fd(c, POLLIN, deadline);
		else if (e == SSL_ERROR_WANT_WRITE)
			r = wait_fd(c, POLLOUT, deadline);
		else
			return e == SSL_ERROR_SYSCALL ? -ERR_EOF : -ERR_TLS;
		if (r < 0)
			return r;
	}
	snprintf(c->tls_info, sizeof(c->tls_info), "%s %s",
		 SSL_get_version(c->ssl), SSL_get_cipher_name(c->ssl));
	return 0;
}

int
conn_compress_start(struct conn *c)
{
	size_t left = c->in_end - c->in_start, n;
	char *p;
	int r;

	if (c->z != NULL)
		return -ERR_INVAL;
	if ((r = conn_flush(c)) < 0)
		return r;
	if ((c->z = conn_deflate_new()) == NULL)
		return -ERR_NOMEM;
	/* what the client sent after the command is already compressed */
	conn_deflate_in_space(c->z, &p, &n);
	if (left > n)
		return -ERR_LIMIT;
	memcpy(p, c->in + c->in_start, left);
	conn_deflate_in_added(c->z, left);
	c->in_start = c->in_end = 0;
	return 0;
}

bool
conn_is_compressed(const struct conn *c)
{
	return c->z != NULL;
}
