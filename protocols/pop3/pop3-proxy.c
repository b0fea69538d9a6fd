/* Maildock - SPDX-License-Identifier: MIT
 *
 * POP3 in login proxy mode (core/proxy-relay.h): once a password is
 * checked here, log in at the user's backend with USER and PASS (the
 * connection names the client with a PROXY header, see proxy-relay.c),
 * answer the client with the backend's +OK, and relay the session.
 */
#include <string.h>
#include "core/auth.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/proxy-relay.h"
#include "core/session.h"
#include "protocols/pop3/pop3.h"
#include "core/compat.h"

#define BACKEND_LINE_MAX 4096

/* Send line (a command), read one status line; 0 on "+OK". */
static int
exchange(struct conn *b, const char *verb, const char *arg,
	 struct sview *reply_r)
{
	int r = conn_printf(b, "%s %s\r\n", verb, arg);

	if (r == 0)
		r = conn_flush(b);
	if (r == 0)
		r = conn_read_line(b, BACKEND_LINE_MAX, reply_r);
	if (r < 0)
		return r;
	if (reply_r->len >= 3 && memcmp(reply_r->p, "+OK", 3) == 0)
		return 0;
	/* -ERR [AUTH] is the password; any other refusal is the server's */
	return reply_r->len >= 11 && memcmp(reply_r->p, "-ERR [AUTH]", 11) == 0
		       ? -ERR_PERM : -ERR_TEMP;
}

static int
backend_login(struct conn *b, const char *user, const char *password,
	      struct sview *ok_r)
{
	struct sview line;
	int r = conn_read_line(b, BACKEND_LINE_MAX, &line);

	if (r < 0)
		return r;
	if (line.len < 3 || memcmp(line.p, "+OK", 3) != 0)
		return -ERR_TEMP;
	/* USER and PASS take the rest of the line (RFC 1939 7): no CR/LF can
	 * be in either, the parser refused them before auth_login */
	if ((r = exchange(b, "USER", user, &line)) < 0)
		return r == -ERR_TEMP ? -ERR_PERM : r;
	return exchange(b, "PASS", password, ok_r);
}

int
pop3_proxy_login(struct pop3_session *p, const struct auth_user *u,
		 const char *password)
{
	struct session *s = p->s;
	struct proxy_relay_backend be;
	struct conn *b = NULL;
	struct sview ok;
	int r = proxy_relay_open(s, u, p->set->proxy_port, &be, &b);

	if (r == -ERR_NOTFOUND || r == -ERR_INVAL) {
		slog_error(s, "proxy: no backend for user=%s error=\"%s\"",
			   u->user, err_str(r));
		return pop3_reply_err(p, "[SYS/TEMP] No server for this "
				      "account, try later.");
	}
	if (r == 0)
		r = backend_login(b, u->user, password, &ok);
	if (r < 0) {
		slog_error(s, "proxy: login at %s:%s failed user=%s error=\"%s\"",
			   be.host, be.port, u->user, err_str(r));
		conn_free(&b);
		return pop3_reply_err(p, r == -ERR_PERM ?
				      "[AUTH] Authentication failed." :
				      "[SYS/TEMP] Server unavailable, try later.");
	}
	session_logged_in(s, u->user);
	slog_info(s, "proxy: login backend=%s:%s", be.host, be.port);
	r = conn_write(s->conn, ok.p, ok.len);
	if (r == 0)
		r = conn_writes(s->conn, "\r\n");
	if (r == 0)
		r = conn_flush(s->conn);
	struct proxy_relay_tail tail;
	if (r == 0 && proxy_relay_run(s, b, &tail) == 2 &&
	    strcasestr(tail.client, "QUIT") == NULL) {
		/* the backend went away mid-session: nothing was committed
		 * there (RFC 1939 6: only QUIT enters UPDATE) */
		slog_warn(s, "proxy: backend %s:%s closed the session",
			  be.host, be.port);
		conn_writes(s->conn, "-ERR [SYS/TEMP] Server disconnected, "
			    "reconnect.\r\n");
		conn_flush(s->conn);
	}
	conn_free(&b);
	return POP3_CMD_CLOSE;
}
