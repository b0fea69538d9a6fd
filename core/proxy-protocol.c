/* Maildock - SPDX-License-Identifier: MIT
 *
 * PROXY protocol headers, versions 1 (one text line) and 2 (binary), as
 * HAProxy's proxy-protocol.txt specifies them: parsed from a buffer, and
 * read from a socket without taking a byte past the header.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/error.h"
#include "core/proxy-protocol.h"
#include "core/compat.h"

static const unsigned char v2_sig[12] = {
	0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
};
#define V1_PREFIX "PROXY "
#define V1_MAX 107		/* the whole line, CRLF included (2.1) */
#define V2_FIXED 16		/* signature, version/command, family, length */

int
proxy_protocol_match(const unsigned char *buf, size_t n)
{
	size_t k1 = n < 6 ? n : 6, k2 = n < 12 ? n : 12;

	if (memcmp(buf, V1_PREFIX, k1) == 0)
		return k1 == 6 ? 1 : 0;
	if (memcmp(buf, v2_sig, k2) == 0)
		return k2 == 12 ? 1 : 0;
	return -1;
}

/* A v1 port: 0-65535, decimal, no sign, no leading zero (2.1). */
static int
v1_port(const char *s, uint16_t *port_r)
{
	char *end;
	unsigned long v;

	if (s[0] < '0' || s[0] > '9' || (s[0] == '0' && s[1] != '\0'))
		return -ERR_SYNTAX;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || v > 65535)
		return -ERR_SYNTAX;
	*port_r = (uint16_t)v;
	return 0;
}

static int
v1_addr(int family, const char *ip, const char *port,
	struct sockaddr_storage *ss)
{
	uint16_t p;

	memset(ss, 0, sizeof(*ss));
	if (v1_port(port, &p) < 0)
		return -ERR_SYNTAX;
	if (family == AF_INET) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(p);
		return inet_pton(AF_INET, ip, &sin->sin_addr) == 1 ? 0
								  : -ERR_SYNTAX;
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(p);
	return inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1 ? 0
							       : -ERR_SYNTAX;
}

/* "PROXY TCP4 192.0.2.1 198.51.100.1 56324 993\r\n" */
static int
parse_v1(const unsigned char *buf, size_t n, struct proxy_protocol_addr *a)
{
	char line[V1_MAX + 1], *f[7], *save = NULL;
	const unsigned char *crlf = NULL;
	size_t len, nf = 0;

	for (size_t i = 0; i + 1 < n && i + 1 < V1_MAX; i++)
		if (buf[i] == '\r' && buf[i + 1] == '\n') {
			crlf = buf + i;
			break;
		}
	if (crlf == NULL)
		return n >= V1_MAX ? -ERR_SYNTAX : 0;
	len = (size_t)(crlf - buf);
	memcpy(line, buf, len);
	line[len] = '\0';
	if (memchr(line, '\0', len) != NULL)
		return -ERR_SYNTAX;
	for (char *t = strtok_r(line, " ", &save); t != NULL && nf < 7;
	     t = strtok_r(NULL, " ", &save))
		f[nf++] = t;
	memset(a, 0, sizeof(*a));
	if (nf >= 2 && strcmp(f[1], "UNKNOWN") == 0)
		return (int)(len + 2);	/* the rest of the line is ignored */
	if (nf != 6)
		return -ERR_SYNTAX;
	int family = strcmp(f[1], "TCP4") == 0 ? AF_INET :
		     strcmp(f[1], "TCP6") == 0 ? AF_INET6 : -1;
	if (family < 0 || v1_addr(family, f[2], f[4], &a->src) < 0 ||
	    v1_addr(family, f[3], f[5], &a->dst) < 0)
		return -ERR_SYNTAX;
	a->proxied = true;
	return (int)(len + 2);
}

static int
parse_v2(const unsigned char *buf, size_t n, struct proxy_protocol_addr *a)
{
	size_t len, total;

	if (n < V2_FIXED)
		return 0;
	if ((buf[12] & 0xF0) != 0x20)		/* version 2 */
		return -ERR_SYNTAX;
	len = (size_t)buf[14] << 8 | buf[15];
	total = V2_FIXED + len;
	if (total > PROXY_PROTOCOL_MAX)
		return -ERR_SYNTAX;
	if (n < total)
		return 0;
	memset(a, 0, sizeof(*a));
	switch (buf[12] & 0x0F) {
	case 0x0:				/* LOCAL: a health check */
		return (int)total;
	case 0x1:				/* PROXY */
		break;
	default:
		return -ERR_SYNTAX;
	}
	const unsigned char *p = buf + V2_FIXED;
	if (buf[13] == 0x11 && len >= 12) {	/* TCP over IPv4 */
		struct sockaddr_in *s = (struct sockaddr_in *)&a->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&a->dst;
		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, p, 4);
		memcpy(&d->sin_addr, p + 4, 4);
		memcpy(&s->sin_port, p + 8, 2);
		memcpy(&d->sin_port, p + 10, 2);
		a->proxied = true;
	} else if (buf[13] == 0x21 && len >= 36) { /* TCP over IPv6 */
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&a->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&a->dst;
		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, p, 16);
		memcpy(&d->sin6_addr, p + 16, 16);
		memcpy(&s->sin6_port, p + 32, 2);
		memcpy(&d->sin6_port, p + 34, 2);
		a->proxied = true;
	} else if (buf[13] == 0x11 || buf[13] == 0x21) {
		return -ERR_SYNTAX;		/* too short for its family */
	}
	/* other families (UDP, UNIX, UNSPEC): the proxy's own addresses */
	return (int)total;
}

int
proxy_protocol_parse(const unsigned char *buf, size_t n,
		     struct proxy_protocol_addr *addr_r)
{
	switch (proxy_protocol_match(buf, n)) {
	case -1:
		return -ERR_SYNTAX;
	case 0:
		return 0;
	}
	return buf[0] == 'P' ? parse_v1(buf, n, addr_r)
			     : parse_v2(buf, n, addr_r);
}

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read exactly n bytes into buf before the deadline. */
static int
read_exact(int fd, unsigned char *buf, size_t n, long long deadline)
{
	while (n > 0) {
		long long left = deadline - now_ms();
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		if (left <= 0)
			return -ERR_TIMEOUT;
		int pr = poll(&pfd, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr < 0)
			return -ERR_IO;
		if (pr == 0)
			return -ERR_TIMEOUT;
		ssize_t got = recv(fd, buf, n, MSG_DONTWAIT);
		if (got < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (got < 0)
			return -ERR_IO;
		if (got == 0)
			return -ERR_EOF;
		buf += got;
		n -= (size_t)got;
	}
	return 0;
}

int
proxy_protocol_read(int fd, unsigned timeout_ms,
		    struct proxy_protocol_addr *addr_r)
{
	unsigned char buf[PROXY_PROTOCOL_MAX];
	long long deadline = now_ms() + timeout_ms;
	size_t have = 6;
	int r;

	/* six bytes tell the versions apart and belong to either header
	 * (v1's shortest line, "PROXY UNKNOWN\r\n", has 15) */
	if ((r = read_exact(fd, buf, have, deadline)) < 0)
		return r;
	if (proxy_protocol_match(buf, have) < 0)
		return -ERR_SYNTAX;
	if (buf[0] == 'P') {
		/* v1 ends at its CRLF: take it a byte at a time (at most 107,
		 * once per connection) so nothing after it is consumed */
		while ((r = proxy_protocol_parse(buf, have, addr_r)) == 0) {
			if ((r = read_exact(fd, buf + have, 1, deadline)) < 0)
				return r;
			have++;
		}
		return r < 0 ? r : 0;
	}
	if ((r = read_exact(fd, buf + have, V2_FIXED - have, deadline)) < 0)
		return r;
	have = V2_FIXED;
	r = proxy_protocol_parse(buf, have, addr_r);
	if (r == 0) {
		size_t total = V2_FIXED + ((size_t)buf[14] << 8 | buf[15]);
		if ((r = read_exact(fd, buf + have, total - have,
				    deadline)) < 0)
			return r;
		r = proxy_protocol_parse(buf, total, addr_r);
	}
	return r < 0 ? r : 0;
}

/* One network: an address family, its bytes, and a prefix length. */
struct network {
	int family;
	unsigned char addr[16];
	unsigned prefix;
};

static int
parse_network(const char *item, size_t len, struct network *n)
{
	char buf[INET6_ADDRSTRLEN + 5];
	char *slash;

	if (len == 0 || len >= sizeof(buf))
		return -ERR_INVAL;
	memcpy(buf, item, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (slash != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		n->prefix = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		n->prefix = 128;
	} else {
		return -ERR_INVAL;
	}
	if (slash != NULL) {
		char *end;
		unsigned long p = strtoul(slash, &end, 10);
		if (*slash < '0' || *slash > '9' || *end != '\0' ||
		    p > n->prefix)
			return -ERR_INVAL;
		n->prefix = (unsigned)p;
	}
	return 0;
}

static bool
network_match(const struct network *n, int family, const unsigned char *a)
{
	unsigned full = n->prefix / 8, bits = n->prefix % 8;

	if (n->family != family || memcmp(n->addr, a, full) != 0)
		return false;
	if (bits == 0)
		return true;
	unsigned char mask = (unsigned char)(0xFF << (8 - bits));
	return (n->addr[full] & mask) == (a[full] & mask);
}

/* Call fn on each item of networks until it returns non-zero. */
static int
foreach_network(const char *networks,
		int (*fn)(const char *item, size_t len, void *ctx), void *ctx)
{
	const char *p = networks;

	for (;;) {
		p += strspn(p, " \t,");
		size_t len = strcspn(p, " \t,");
		if (len == 0)
			return 0;
		int r = fn(p, len, ctx);
		if (r != 0)
			return r;
		p += len;
	}
}

struct match_ctx {
	int family;
	const unsigned char *addr;
};

static int
match_item(const char *item, size_t len, void *ctx)
{
	const struct match_ctx *m = ctx;
	struct network n;

	return parse_network(item, len, &n) == 0 &&
	       network_match(&n, m->family, m->addr);
}

bool
proxy_protocol_trusted(const char *networks,
		       const struct sockaddr_storage *addr)
{
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
						  0, 0xFF, 0xFF };
	struct match_ctx m;

	if (addr->ss_family == AF_INET) {
		m.family = AF_INET;
		m.addr = (const unsigned char *)
			&((const struct sockaddr_in *)addr)->sin_addr;
	} else if (addr->ss_family == AF_INET6) {
		m.family = AF_INET6;
		m.addr = ((const struct sockaddr_in6 *)addr)->sin6_addr.s6_addr;
		if (memcmp(m.addr, mapped, sizeof(mapped)) == 0) {
			m.family = AF_INET;
			m.addr += 12;
		}
	} else {
		return false;
	}
	return foreach_network(networks, match_item, &m) == 1;
}

struct check_ctx {
	char *bad;
	size_t size;
};

static int
check_item(const char *item, size_t len, void *ctx)
{
	struct check_ctx *c = ctx;
	struct network n;

	if (parse_network(item, len, &n) == 0)
		return 0;
	snprintf(c->bad, c->size, "%.*s", (int)len, item);
	return -ERR_INVAL;
}

int
proxy_protocol_check_networks(const char *networks, char *bad, size_t size)
{
	struct check_ctx c = { bad, size };

	return foreach_network(networks, check_item, &c);
}
