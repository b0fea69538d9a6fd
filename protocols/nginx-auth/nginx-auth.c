/* Maildock - SPDX-License-Identifier: MIT
 *
 * The auth_http endpoint of nginx's mail proxy (ngx_mail_auth_http_module):
 * nginx asks, one HTTP/1.0 request per login, whether Auth-User may log
 * in with Auth-Pass from Client-IP, and where to send the session; the
 * answer comes from the same auth chain, throttling and routing
 * (proxy_host, proxy.backends) as Maildock's own login proxy.
 */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/conf.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/proxy-relay.h"
#include "core/session.h"
#include "protocols/nginx-auth/nginx-auth.h"
#include "core/compat.h"

#define HEADER_MAX 4096		/* one request or header line, octets */
#define HEADERS_MAX 64		/* header lines of one request */

struct nginx_auth_settings {
	const char *imap_port;	/* backend port for Auth-Protocol: imap */
	const char *pop3_port;	/* backend port for Auth-Protocol: pop3 */
};

#define S(k, t, f, d, ...) { k, t, offsetof(struct nginx_auth_settings, f), d, __VA_ARGS__ }
static const struct conf_setting nginx_auth_settings_list[] = {
	S("nginx_auth.imap_port", CONF_STRING, imap_port, "143",
	  .doc = "backend port given to nginx for IMAP when the route names none"),
	S("nginx_auth.pop3_port", CONF_STRING, pop3_port, "110",
	  .doc = "backend port given to nginx for POP3 when the route names none"),
};
#undef S

static const struct conf_table nginx_auth_conf_table = {
	"nginx_auth", nginx_auth_settings_list,
	N_ELEMENTS(nginx_auth_settings_list),
	sizeof(struct nginx_auth_settings), NULL,
};

/* What nginx sends (auth_http protocol). */
struct request {
	char method[32];	/* Auth-Method: plain, login, ... */
	char user[512];		/* Auth-User, URL-decoded */
	char pass[512];		/* Auth-Pass, URL-decoded */
	char protocol[16];	/* Auth-Protocol: imap, pop3, smtp */
	char client_ip[INET6_ADDRSTRLEN];
};

/* Percent-decode src[0..n) into dst (nginx escapes Auth-User and
 * Auth-Pass). Returns -ERR_INVAL on a bad escape, a NUL, or overflow. */
static int
url_decode(const char *src, size_t n, char *dst, size_t size)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned c = (unsigned char)src[i];
		if (c == '%') {
			char hex[3] = { 0, 0, 0 };
			if (i + 2 >= n)
				return -ERR_INVAL;
			hex[0] = src[i + 1];
			hex[1] = src[i + 2];
			if (strspn(hex, "0123456789abcdefABCDEF") != 2)
				return -ERR_INVAL;
			c = (unsigned)strtoul(hex, NULL, 16);
			i += 2;
		}
		if (c == 0 || o + 1 >= size)
			return -ERR_INVAL;
		dst[o++] = (char)c;
	}
	dst[o] = '\0';
	return 0;
}

static int
copy_value(const char *v, size_t n, char *dst, size_t size)
{
	if (n >= size || memchr(v, '\0', n) != NULL)
		return -ERR_INVAL;
	memcpy(dst, v, n);
	dst[n] = '\0';
	return 0;
}

/* One header line into req. Unknown headers are ignored. */
static int
header(struct request *req, const char *line, size_t len)
{
	const char *colon = memchr(line, ':', len);
	size_t nlen, vlen;
	const char *v;

	if (colon == NULL)
		return -ERR_SYNTAX;
	nlen = (size_t)(colon - line);
	v = colon + 1;
	vlen = len - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
#define IS(name) (nlen == sizeof(name) - 1 && strncasecmp(line, name, nlen) == 0)
	if (IS("Auth-Method"))
		return copy_value(v, vlen, req->method, sizeof(req->method));
	if (IS("Auth-User"))
		return url_decode(v, vlen, req->user, sizeof(req->user));
	if (IS("Auth-Pass"))
		return url_decode(v, vlen, req->pass, sizeof(req->pass));
	if (IS("Auth-Protocol"))
		return copy_value(v, vlen, req->protocol, sizeof(req->protocol));
	if (IS("Client-IP"))
		return copy_value(v, vlen, req->client_ip,
				  sizeof(req->client_ip));
#undef IS
	return 0;
}

static int
read_request(struct session *s, struct request *req)
{
	struct sview line;
	int r = conn_read_line(s->conn, HEADER_MAX, &line);

	if (r < 0)
		return r;
	if (line.len < 4 || memcmp(line.p, "GET ", 4) != 0)
		return -ERR_SYNTAX;
	for (unsigned n = 0;; n++) {
		if (n >= HEADERS_MAX)
			return -ERR_LIMIT;
		if ((r = conn_read_line(s->conn, HEADER_MAX, &line)) < 0)
			return r;
		if (line.len == 0)
			return 0;
		if ((r = header(req, line.p, line.len)) < 0)
			return r;
	}
}

static void
answer(struct session *s, const char *status, const char *extra)
{
	conn_printf(s->conn, "HTTP/1.0 200 OK\r\nAuth-Status: %s\r\n%s\r\n",
		    status, extra);
	conn_flush(s->conn);
}

/* The numeric address of b's host, for Auth-Server (nginx wants one). */
static int
numeric_host(const struct proxy_relay_backend *b, char *buf, size_t size)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;

	if (getaddrinfo(b->host, NULL, &hints, &res) != 0)
		return -ERR_TEMP;
	int r = getnameinfo(res->ai_addr, res->ai_addrlen, buf, (socklen_t)size,
			    NULL, 0, NI_NUMERICHOST);
	freeaddrinfo(res);
	return r == 0 ? 0 : -ERR_TEMP;
}

static void
serve(struct session *s, struct request *req)
{
	const struct nginx_auth_settings *set =
		conf_section(s->conf, &nginx_auth_conf_table);
	struct proxy_relay_backend be;
	struct auth_user *u;
	char ip[INET6_ADDRSTRLEN], extra[512];
	const char *port;
	unsigned char bin[16];

	if (strcasecmp(req->method, "plain") != 0 &&
	    strcasecmp(req->method, "login") != 0) {
		answer(s, "Unsupported authentication method", "");
		return;
	}
	if (strcmp(req->protocol, "imap") == 0)
		port = set->imap_port;
	else if (strcmp(req->protocol, "pop3") == 0)
		port = set->pop3_port;
	else {
		answer(s, "Unsupported protocol", "");
		return;
	}
	/* the client nginx speaks for: its address is the one the auth
	 * throttling and the logs use (the listener is for nginx only) */
	if (inet_pton(strchr(req->client_ip, ':') ? AF_INET6 : AF_INET,
		      req->client_ip, bin) == 1)
		str_copy(s->remote_ip, req->client_ip, sizeof(s->remote_ip));
	int r = auth_login(s, NULL, req->user, req->pass, &u);
	explicit_bzero(req->pass, sizeof(req->pass));
	if (r == -ERR_TEMP || r == -ERR_LIMIT) {
		answer(s, "Temporary server problem, try again later",
		       "Auth-Wait: 3\r\n");
		return;
	}
	if (r < 0 || ((u->options & AUTH_OPT_DISABLE_IMAP) &&
		      port == set->imap_port) ||
	    ((u->options & AUTH_OPT_DISABLE_POP3) && port == set->pop3_port)) {
		answer(s, "Invalid login or password", "Auth-Wait: 3\r\n");
		return;
	}
	if (proxy_relay_route(s, u, port, &be) < 0 ||
	    numeric_host(&be, ip, sizeof(ip)) < 0) {
		slog_error(s, "nginx_auth: no backend for user=%s", u->user);
		answer(s, "Temporary server problem, try again later",
		       "Auth-Wait: 3\r\n");
		return;
	}
	slog_info(s, "nginx_auth: login backend=%s:%s protocol=%s", ip,
		  be.port, req->protocol);
	snprintf(extra, sizeof(extra), "Auth-Server: %s\r\nAuth-Port: %s\r\n",
		 ip, be.port);
	answer(s, "OK", extra);
}

static void
nginx_auth_refuse(struct session *s, const char *reason)
{
	conn_printf(s->conn, "HTTP/1.0 503 Service Unavailable\r\n"
		    "Auth-Status: %s\r\nAuth-Wait: 3\r\n\r\n", reason);
}

static void
nginx_auth_run(struct session *s)
{
	struct request *req = arena_zalloc(s->arena, sizeof(*req));
	int r;

	if (req == NULL)
		return;
	r = read_request(s, req);
	if (r < 0) {
		slog_info(s, "nginx_auth: bad request error=\"%s\"", err_str(r));
		conn_writes(s->conn, "HTTP/1.0 400 Bad Request\r\n\r\n");
		conn_flush(s->conn);
	} else {
		serve(s, req);
	}
	explicit_bzero(req, sizeof(*req));
	s->end_reason = "done";
}

const struct proto_ops nginx_auth_proto = {
	.name = "nginx_auth",
	.default_listen = "",
	.default_listen_tls = NULL,
	.infrastructure = true,
	.settings = &nginx_auth_conf_table,
	.refuse = nginx_auth_refuse,
	.run = nginx_auth_run,
};
