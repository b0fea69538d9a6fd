/* Maildock - SPDX-License-Identifier: MIT
 *
 * The metrics endpoint: metrics.listen, bound with the other ports, served
 * by one thread (core/acceptor) answering GET /metrics with the Prometheus text format of
 * core/stats. One request per connection, a bounded request and a timeout,
 * so a stuck scraper holds nothing but its own socket.
 */
#include <errno.h>
#include <netdb.h>
#include <unistd.h>
#include <sys/socket.h>
#include "core/acceptor.h"
#include "core/conf.h"
#include "core/error.h"
#include "core/listener.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sbuf.h"
#include "core/stats.h"

#define REQUEST_MAX 4096
#define RESPONSE_MAX (4u << 20)

struct metrics_settings {
	const char *listen;
};

static const struct conf_setting metrics_conf_settings[] = {
	{ "metrics.listen", CONF_STRING,
	  offsetof(struct metrics_settings, listen), "",
	  .doc = "address:port serving GET /metrics; empty: off" },
};

static const struct conf_table metrics_conf_table = {
	"metrics", metrics_conf_settings, N_ELEMENTS(metrics_conf_settings),
	sizeof(struct metrics_settings), NULL,
};

static int metrics_fd = -1;

void
metrics_register_settings(void)
{
	conf_register(&metrics_conf_table);
}

static int
parse(const struct conf *conf, struct addrinfo **ai_r, char **error_r)
{
	const struct metrics_settings *set =
		conf_section(conf, &metrics_conf_table);
	const char *why;

	*ai_r = NULL;
	if (set->listen[0] == '\0')
		return 0;
	if (listener_parse_addr(set->listen, ai_r, &why) < 0) {
		*error_r = conf_errorf(conf, "metrics.listen",
				       "bad address \"%s\": %s", set->listen, why);
		return -ERR_INVAL;
	}
	return 0;
}

int
metrics_check(const struct conf *conf, char **error_r)
{
	struct addrinfo *ai;
	int r = parse(conf, &ai, error_r);
	if (ai != NULL)
		freeaddrinfo(ai);
	return r;
}

int
metrics_bind(const struct conf *conf, char **error_r)
{
	char ebuf[128];
	struct addrinfo *ai;
	int one = 1;
	int r = parse(conf, &ai, error_r);
	if (r < 0 || ai == NULL)
		return r;
	int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0);
	if (fd >= 0)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 ||
	    listen(fd, 16) < 0) {
		*error_r = conf_errorf(conf, "metrics.listen",
				       "cannot listen on %s: %s",
				       conf_value(conf, "metrics.listen"),
				       errno_str(errno, ebuf, sizeof(ebuf)));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -ERR_IO;
	}
	freeaddrinfo(ai);
	metrics_fd = fd;
	return 0;
}

static void
send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t w = send(fd, p, len, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

/* Read up to the end of the request head; false on timeout or overflow. */
static bool
read_request(int fd, char *buf, size_t size)
{
	size_t n = 0;
	while (n < size - 1) {
		ssize_t r = recv(fd, buf + n, size - 1 - n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		n += (size_t)r;
		buf[n] = '\0';
		if (strstr(buf, "\r\n\r\n") != NULL || strstr(buf, "\n\n") != NULL)
			return true;
	}
	return false;
}

static void
serve_one(int fd)
{
	char req[REQUEST_MAX];

	if (!read_request(fd, req, sizeof(req)))
		return;
	struct sbuf body, head;
	sbuf_init(&body, NULL, RESPONSE_MAX);
	sbuf_init(&head, NULL, 1024);
	const char *status = "200 OK";
	bool head_only = strncmp(req, "HEAD ", 5) == 0;
	const char *path = req + (head_only ? 5 : 4);
	if (strncmp(req, "GET ", 4) != 0 && !head_only) {
		status = "405 Method Not Allowed";
		sbuf_appends(&body, "GET /metrics\n");
	} else if (strncmp(path, "/metrics ", 9) != 0 &&
		   strncmp(path, "/metrics?", 9) != 0) {
		status = "404 Not Found";
		sbuf_appends(&body, "GET /metrics\n");
	} else {
		stats_render(&body);
		if (sbuf_failed(&body)) {
			status = "500 Internal Server Error";
			sbuf_free(&body);
			sbuf_init(&body, NULL, 0);
			sbuf_appends(&body, "metrics too large\n");
		}
	}
	sbuf_appendf(&head, "HTTP/1.0 %s\r\nContent-Type: text/plain; "
		     "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n", status, body.len);
	send_all(fd, head.data, head.len);
	if (!head_only)
		send_all(fd, body.data, body.len);
	sbuf_free(&head);
	sbuf_free(&body);
}

int
metrics_start(char **error_r)
{
	if (metrics_fd < 0)
		return 0;
	return acceptor_start(metrics_fd, "metrics", serve_one, error_r);
}
