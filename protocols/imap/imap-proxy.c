/* Maildock - SPDX-License-Identifier: MIT
 *
 * IMAP in login proxy mode (core/proxy-relay.h): once a login is checked
 * here, log in at the user's backend with the same credentials (the
 * connection names the client with a PROXY header, see proxy-relay.c),
 * answer the client's command with the backend's tagged OK (its CAPABILITY
 * code included: from now on the client talks to the backend), and relay
 * the session.
 */
#include <string.h>
#include "core/auth.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/proxy-relay.h"
#include "core/session.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

#define BACKEND_LINE_MAX 65536

/* Read backend lines until the one tagged tag; its text after "tag " in
 * *line_r. Untagged lines are skipped. */
static int
read_tagged(struct conn *b, const char *tag, struct sview *line_r)
{
	size_t tl = strlen(tag);
	int r;

	do {
		r = conn_read_line(b, BACKEND_LINE_MAX, line_r);
		if (r < 0)
			return r;
	} while (line_r->len <= tl || memcmp(line_r->p, tag, tl) != 0 ||
		 line_r->p[tl] != ' ');
	line_r->p += tl + 1;
	line_r->len -= tl + 1;
	return 0;
}

static bool
is_ok(const struct sview *l)
{
	return l->len >= 2 && memcmp(l->p, "OK", 2) == 0;
}

/* Send s as an IMAP string: quoted when it can be, else a synchronizing
 * literal after the backend's "+" (RFC 3501 4.3, 7.5). */
static int
send_string(struct conn *b, const char *s)
{
	bool quotable = strlen(s) < 1024;
	struct sview line;
	int r;

	for (const char *p = s; quotable && *p; p++)
		quotable = (unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7f;
	if (!quotable) {
		if ((r = conn_printf(b, "{%zu}\r\n", strlen(s))) < 0 ||
		    (r = conn_flush(b)) < 0 ||
		    (r = conn_read_line(b, BACKEND_LINE_MAX, &line)) < 0)
			return r;
		if (line.len == 0 || line.p[0] != '+')
			return -ERR_PERM;
		return conn_writes(b, s);
	}
	if ((r = conn_writes(b, "\"")) < 0)
		return r;
	for (const char *p = s; *p; p++) {
		if ((*p == '"' || *p == '\\') && (r = conn_writes(b, "\\")) < 0)
			return r;
		if ((r = conn_write(b, p, 1)) < 0)
			return r;
	}
	return conn_writes(b, "\"");
}

/* Greeting, then LOGIN. On success *text_r is the backend's tagged OK
 * text (in the conn's buffer). */
static int
backend_login(struct conn *b, const char *user, const char *password,
	      struct sview *text_r)
{
	struct sview line;
	int r;

	if ((r = conn_read_line(b, BACKEND_LINE_MAX, &line)) < 0)
		return r;
	if (line.len < 4 || memcmp(line.p, "* OK", 4) != 0)
		return -ERR_TEMP;
	if ((r = conn_writes(b, "P2 LOGIN ")) < 0 ||
	    (r = send_string(b, user)) < 0 || (r = conn_writes(b, " ")) < 0 ||
	    (r = send_string(b, password)) < 0 ||
	    (r = conn_writes(b, "\r\n")) < 0 || (r = conn_flush(b)) < 0 ||
	    (r = read_tagged(b, "P2", text_r)) < 0)
		return r;
	return is_ok(text_r) ? 0 : -ERR_PERM;
}

int
imap_proxy_login(struct imap_cmd *cmd, const struct auth_user *u,
		 const char *user, const char *password)
{
	struct imap_session *sess = cmd->sess;
	struct session *s = sess->s;
	struct proxy_relay_backend be;
	struct conn *b = NULL;
	struct sview text;
	int r = proxy_relay_open(s, u, sess->set->proxy_port, &be, &b);

	if (r == -ERR_NOTFOUND || r == -ERR_INVAL) {
		slog_error(s, "proxy: no backend for user=%s error=\"%s\"",
			   u->user, err_str(r));
		return imap_command_done(cmd, "NO", "[UNAVAILABLE] No server "
					 "for this account, try later");
	}
	if (r == 0)
		r = backend_login(b, user, password, &text);
	if (r < 0) {
		slog_error(s, "proxy: login at %s:%s failed user=%s error=\"%s\"",
			   be.host, be.port, u->user, err_str(r));
		conn_free(&b);
		return imap_command_done(cmd, "NO", r == -ERR_PERM ?
			"[AUTHENTICATIONFAILED] Authentication failed." :
			"[UNAVAILABLE] Server unavailable, try later");
	}
	session_logged_in(s, u->user);
	slog_info(s, "proxy: login backend=%s:%s", be.host, be.port);
	/* text is "OK [CAPABILITY ...] ...": the backend's own words */
	imap_command_done(cmd, "OK", "%.*s",
			  (int)(text.len > 3 ? text.len - 3 : 0), text.p + 3);
	/* the client's tagged OK before the relay takes the connection */
	r = imap_command_finish(cmd);
	if (r == 0) {
		struct proxy_relay_tail tail;
		/* a backend that closes without its BYE died or was stopped:
		 * the client is told, as any server going away tells it (RFC
		 * 3501 7.1.5) */
		if (proxy_relay_run(s, b, &tail) == 2 &&
		    strstr(tail.backend, "* BYE ") == NULL) {
			slog_warn(s, "proxy: backend %s:%s closed the session",
				  be.host, be.port);
			conn_writes(sess->conn, "* BYE Server disconnected, "
				    "reconnect\r\n");
			conn_flush(sess->conn);
		}
	}
	conn_free(&b);
	sess->state = IMAP_ST_LOGOUT;
	return IMAP_CMD_DONE;
}
