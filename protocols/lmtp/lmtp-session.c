/* Maildock - SPDX-License-Identifier: MIT
 *
 * An LMTP session (RFC 2033 over RFC 5321's command set): LHLO, MAIL,
 * RCPT (each recipient looked up in the auth chain, user database only,
 * and its quota checked), DATA (lmtp-deliver.c), RSET, NOOP, VRFY, QUIT.
 * Replies are flushed only when no pipelined input is waiting (RFC 2920).
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/session.h"
#include "protocols/lmtp/lmtp.h"
#include "core/compat.h"

/* a transaction's recipients and their user records */
#define LMTP_TX_MEMORY (4u << 20)

int
lmtp_reply(struct lmtp_session *l, const char *fmt, ...)
{
	va_list ap;
	char line[512];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	return conn_printf(l->s->conn, "%s\r\n", line);
}

const char *
lmtp_hostname(const struct lmtp_session *l, char *buf, size_t size)
{
	const char *host = l->s->set->server_hostname;

	if (*host != '\0')
		str_copy(buf, host, size);
	else if (gethostname(buf, size) < 0 || buf[0] == '\0')
		str_copy(buf, "localhost", size);
	buf[size - 1] = '\0';
	return buf;
}

static void
lmtp_refuse(struct session *s, const char *reason)
{
	conn_printf(s->conn, "421 4.3.2 %s\r\n", reason);
}

static void
tx_reset(struct lmtp_session *l)
{
	arena_reset(l->tx);
	l->mail_from = NULL;
	l->declared_size = 0;
	l->rcpts = NULL;
	l->nrcpts = 0;
}

/* arg after "VERB" (case-insensitive prefix match of verb + ':' for MAIL
 * FROM: and RCPT TO:), or NULL. A space before the path is tolerated, as
 * Postfix and Dovecot accept it. */
static const char *
after_prefix(const char *line, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncasecmp(line, prefix, n) != 0)
		return NULL;
	line += n;
	while (*line == ' ')
		line++;
	return line;
}

/* Parse "<path>" at *p: the address (source route dropped, RFC 5321
 * 4.1.2 "A-d-l") into buf; *p moves past '>'. Returns 0 or -ERR_SYNTAX. */
static int
parse_path(const char **p, char *buf, size_t size)
{
	const char *s = *p, *end;
	size_t n;

	if (*s != '<')
		return -ERR_SYNTAX;
	end = strchr(s, '>');
	if (end == NULL)
		return -ERR_SYNTAX;
	s++;
	if (*s == '@') {		/* <@a,@b:user@d> */
		const char *colon = memchr(s, ':', (size_t)(end - s));
		if (colon == NULL)
			return -ERR_SYNTAX;
		s = colon + 1;
	}
	n = (size_t)(end - s);
	if (n >= size || memchr(s, ' ', n) != NULL)
		return -ERR_SYNTAX;
	memcpy(buf, s, n);
	buf[n] = '\0';
	*p = end + 1;
	return 0;
}

static int
cmd_lhlo(struct lmtp_session *l, const char *arg)
{
	char host[256];

	/* a domain or an address literal (RFC 5321 4.1.1.1): it goes into
	 * every Received line, so nothing else may get in */
	if (*arg == '\0' || strlen(arg) > LMTP_PATH_MAX ||
	    arg[strspn(arg, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789.-:[]_")] != '\0')
		return lmtp_reply(l, "501 5.5.4 LHLO needs a host name");
	str_copy(l->helo, arg, sizeof(l->helo));
	tx_reset(l);
	if (conn_printf(l->s->conn, "250-%s\r\n250-PIPELINING\r\n"
			"250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n",
			lmtp_hostname(l, host, sizeof(host))) < 0)
		return -ERR_IO;
	if (l->set->max_message_size > 0)
		return lmtp_reply(l, "250 SIZE %zu", l->set->max_message_size);
	return lmtp_reply(l, "250 SIZE");
}

/* MAIL FROM:<path> [SIZE=n] [BODY=7BIT|8BITMIME] (RFC 1870, RFC 6152) */
static int
cmd_mail(struct lmtp_session *l, const char *arg)
{
	char path[LMTP_PATH_MAX + 1];
	unsigned long long size = 0;

	if (l->helo[0] == '\0')
		return lmtp_reply(l, "503 5.5.1 LHLO first");
	if (l->mail_from != NULL)
		return lmtp_reply(l, "503 5.5.1 MAIL already given");
	if (parse_path(&arg, path, sizeof(path)) < 0)
		return lmtp_reply(l, "501 5.5.4 Syntax: MAIL FROM:<address>");
	while (*arg == ' ') {
		const char *p = arg + strspn(arg, " ");
		size_t n = strcspn(p, " ");
		if (n == 0)
			break;
		if (strncasecmp(p, "SIZE=", 5) == 0) {
			char *end;
			size = strtoull(p + 5, &end, 10);
			if (end != p + n || end == p + 5)
				return lmtp_reply(l, "501 5.5.4 Bad SIZE");
		} else if (strncasecmp(p, "BODY=", 5) != 0) {
			return lmtp_reply(l, "555 5.5.4 Unsupported parameter");
		}
		arg = p + n;
	}
	if (l->set->max_message_size > 0 && size > l->set->max_message_size)
		return lmtp_reply(l, "552 5.3.4 Message too big");
	l->mail_from = arena_strdup(l->tx, path);
	if (l->mail_from == NULL)
		return lmtp_reply(l, "452 4.3.1 Out of memory");
	l->declared_size = size;
	return lmtp_reply(l, "250 2.1.0 OK");
}

/* The user name for the auth chain: the address without its extension
 * (lmtp.recipient_delimiter), copied into buf. */
static void
strip_extension(const struct lmtp_session *l, const char *addr, char *buf,
		size_t size)
{
	const char *delims = l->set->recipient_delimiter;
	const char *at = strrchr(addr, '@');
	size_t local = at ? (size_t)(at - addr) : strlen(addr);
	size_t cut = *delims ? strcspn(addr, delims) : local;

	if (cut >= local || cut == 0) {
		str_copy(buf, addr, size);
		return;
	}
	snprintf(buf, size, "%.*s%s", (int)cut, addr, at ? at : "");
}

static int
rcpt_refused(struct lmtp_session *l, int r, const char *addr)
{
	switch (r) {
	case -ERR_NOTFOUND:
		return lmtp_reply(l, "550 5.1.1 <%s> User doesn't exist", addr);
	case -ERR_INVAL:
		return lmtp_reply(l, "553 5.1.3 <%s> Bad address", addr);
	case -ERR_QUOTA:
		if (strcmp(l->set->quota_full, "permanent") == 0)
			return lmtp_reply(l, "552 5.2.2 <%s> Mailbox is full",
					  addr);
		return lmtp_reply(l, "452 4.2.2 <%s> Mailbox is full", addr);
	default:
		return lmtp_reply(l, "451 4.3.0 <%s> Temporary failure",
				  addr);
	}
}

static int
cmd_rcpt(struct lmtp_session *l, const char *arg)
{
	char path[LMTP_PATH_MAX + 1], name[LMTP_PATH_MAX + 1];
	struct lmtp_rcpt rcpt;
	int r;

	if (l->mail_from == NULL)
		return lmtp_reply(l, "503 5.5.1 MAIL first");
	if (parse_path(&arg, path, sizeof(path)) < 0 || path[0] == '\0')
		return lmtp_reply(l, "501 5.5.4 Syntax: RCPT TO:<address>");
	if (l->nrcpts >= l->set->max_recipients)
		return lmtp_reply(l, "452 4.5.3 Too many recipients");
	strip_extension(l, path, name, sizeof(name));
	/* in the transaction's arena: a connection the MTA keeps open for
	 * many transactions must not grow the session's */
	r = auth_lookup(l->s, l->tx, name, &rcpt.user);
	if (r == 0 && (rcpt.address = arena_strdup(l->tx, path)) == NULL)
		r = -ERR_TEMP;
	if (r == 0)
		r = lmtp_rcpt_check(l, &rcpt);
	if (r < 0) {
		char q[LMTP_PATH_MAX * 4 + 8];
		slog_info(l->s, "rcpt refused to=%s error=\"%s\"",
			  log_quote_cstr(q, sizeof(q), path), err_str(r));
		return rcpt_refused(l, r, path);
	}
	struct lmtp_rcpt *n = arena_alloc(l->tx, (l->nrcpts + 1) * sizeof(*n));
	if (n == NULL)
		return lmtp_reply(l, "452 4.3.1 Out of memory");
	if (l->nrcpts > 0)
		memcpy(n, l->rcpts, l->nrcpts * sizeof(*n));
	n[l->nrcpts++] = rcpt;
	l->rcpts = n;
	return lmtp_reply(l, "250 2.1.5 OK");
}

/* One command line. Returns 0, 1 to close, or a conn error. */
static int
run_command(struct lmtp_session *l, const char *line)
{
	const char *arg;
	int r;

	if ((arg = after_prefix(line, "MAIL FROM:")) != NULL)
		return cmd_mail(l, arg);
	if ((arg = after_prefix(line, "RCPT TO:")) != NULL)
		return cmd_rcpt(l, arg);
	if (strcasecmp(line, "DATA") == 0) {
		if (l->mail_from == NULL)
			return lmtp_reply(l, "503 5.5.1 MAIL first");
		if (l->nrcpts == 0)
			return lmtp_reply(l, "503 5.5.1 No valid recipients");
		r = lmtp_data(l);
		tx_reset(l);
		return r;
	}
	if (strncasecmp(line, "LHLO ", 5) == 0)
		return cmd_lhlo(l, line + 5);
	if (strcasecmp(line, "RSET") == 0) {
		tx_reset(l);
		return lmtp_reply(l, "250 2.0.0 OK");
	}
	if (strcasecmp(line, "NOOP") == 0 || strncasecmp(line, "NOOP ", 5) == 0)
		return lmtp_reply(l, "250 2.0.0 OK");
	if (strncasecmp(line, "VRFY", 4) == 0)
		return lmtp_reply(l, "252 2.5.2 Send some mail, I'll try my best");
	if (strcasecmp(line, "QUIT") == 0) {
		lmtp_reply(l, "221 2.0.0 Bye");
		return 1;
	}
	if (strncasecmp(line, "HELO", 4) == 0 || strncasecmp(line, "EHLO", 4) == 0)
		return -ERR_SYNTAX;	/* RFC 2033 4.1: LMTP is LHLO only */
	return -ERR_SYNTAX;
}

static const char *
command_loop(struct lmtp_session *l)
{
	struct conn *c = l->s->conn;
	struct sview line;
	char buf[1024];
	int r;

	for (;;) {
		if (conn_buffered(c) == 0 && conn_flush(c) < 0)
			return "write error";
		r = conn_read_line(c, sizeof(buf) - 1, &line);
		if (r == -ERR_LIMIT) {
			r = -ERR_SYNTAX;
		} else if (r < 0) {
			if (r == -ERR_SHUTDOWN)
				lmtp_reply(l, "421 4.3.2 Server shutting down");
			else if (r == -ERR_TIMEOUT)
				lmtp_reply(l, "421 4.4.2 Timeout");
			conn_flush(c);
			return r == -ERR_EOF ? "eof" : err_str(r);
		} else if (memchr(line.p, '\0', line.len) != NULL) {
			r = -ERR_SYNTAX;
		} else {
			memcpy(buf, line.p, line.len);
			buf[line.len] = '\0';
			r = run_command(l, buf);
		}
		if (r == -ERR_SYNTAX) {
			if (++l->bad_commands >= l->set->max_bad_commands) {
				lmtp_reply(l, "421 4.7.0 Too many errors");
				conn_flush(c);
				return "bad commands";
			}
			r = lmtp_reply(l, "500 5.5.2 Command unrecognized");
		} else {
			l->bad_commands = 0;
		}
		if (r == 1) {
			conn_flush(c);
			return "quit";
		}
		if (r < 0)
			return "write error";
	}
}

static void
lmtp_run(struct session *s)
{
	struct lmtp_session l = {
		.s = s,
		.set = conf_section(s->conf, &lmtp_conf_table),
	};
	char host[256];

	/* no login: an MTA's session is bounded per command, not overall */
	conn_set_deadline(s->conn, 0);
	conn_set_timeout(s->conn, l.set->timeout);
	l.tx = arena_new(LMTP_TX_MEMORY);
	s->proto_state = &l;
	if (conn_printf(s->conn, "220 %s Maildock LMTP ready\r\n",
			lmtp_hostname(&l, host, sizeof(host))) == 0)
		s->end_reason = command_loop(&l);
	arena_free(&l.tx);
	s->proto_state = NULL;
}

const struct proto_ops lmtp_proto = {
	.name = "lmtp",
	.default_listen = "",
	.default_listen_tls = NULL,
	.infrastructure = true,
	.settings = &lmtp_conf_table,
	.refuse = lmtp_refuse,
	.run = lmtp_run,
};
