/* Maildock - SPDX-License-Identifier: MIT
 *
 * The AUTHORIZATION state: CAPA (RFC 2449), STLS (RFC 2595), USER/PASS
 * (RFC 1939 sec. 7) and AUTH (RFC 5034) over the shared SASL decoder and
 * auth_login, with the RFC 2449/3206 response codes on failure. Secrets
 * live only in wiped arenas freed before the handler returns.
 */
#include "core/arena.h"
#include "core/auth.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/proxy-relay.h"
#include "core/session.h"
#include "protocols/authmech.h"
#include "protocols/pop3/pop3.h"
#include "core/compat.h"

#define SECRET_ARENA 16384	/* wiped arena for one login attempt */

int
pop3_cmd_capa(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	struct session *s = p->s;
	struct conn *c = s->conn;
	bool plain = auth_plaintext_allowed(s);

	conn_writes(c, "+OK Capability list follows\r\n"
		    "TOP\r\nUIDL\r\nRESP-CODES\r\nAUTH-RESP-CODE\r\n"
		    "PIPELINING\r\nEXPIRE NEVER\r\n");
	/* RFC 2595 sec. 4: no password mechanism is offered where a
	 * password may not be sent. */
	if (plain) {
		conn_writes(c, "USER\r\n");
		conn_printf(c, "SASL %s\r\n", authmech_names());
	}
	if (s->tls != NULL && !conn_is_tls(c) &&
	    p->state == POP3_STATE_AUTHORIZATION)
		conn_writes(c, "STLS\r\n");
	if (p->set->implementation[0] != '\0')
		conn_printf(c, "IMPLEMENTATION %s\r\n",
			    p->set->implementation);
	return conn_writes(c, ".\r\n");
}

int
pop3_cmd_stls(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	struct session *s = p->s;
	int r;

	if (conn_is_tls(s->conn))
		return pop3_reply_err(p, "Command not permitted when TLS active.");
	if (s->tls == NULL)
		return pop3_reply_err(p, "TLS is not available.");
	conn_writes(s->conn, "+OK Begin SSL/TLS negotiation now.\r\n");
	if ((r = conn_flush(s->conn)) < 0)
		return r;
	/* conn_starttls drops what was pipelined behind STLS (RFC 2595 4). */
	r = conn_starttls(s->conn, s->tls);
	if (r < 0) {
		slog_info(s, "starttls failed error=\"%s\"", err_str(r));
		return r;
	}
	p->user[0] = '\0';
	p->bad_commands = 0;
	slog_debug(s, "starttls tls=\"%s\"", conn_tls_info(s->conn));
	return POP3_CMD_OK;
}

static int
refuse_plaintext(struct pop3_session *p)
{
	return pop3_reply_err(p, "[AUTH] Plaintext authentication "
			      "disallowed on non-secure connection.");
}

int
pop3_cmd_user(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	if (!auth_plaintext_allowed(p->s))
		return refuse_plaintext(p);
	p->user[0] = '\0';
	if (cmd->arg.len > POP3_USER_MAX)
		return pop3_reply_err(p, "Invalid user name.");
	memcpy(p->user, cmd->arg.p, cmd->arg.len);
	p->user[cmd->arg.len] = '\0';
	return conn_writes(p->s->conn, "+OK Password required.\r\n");
}

/* Check the credentials, then open the maildrop. */
static int
login(struct pop3_session *p, const char *authzid, const char *authcid,
      const char *password, const char *mech)
{
	struct auth_user *u;
	p->s->auth_mech = mech;
	int r = auth_login(p->s, authzid, authcid, password, &u);

	if (r < 0) {
		char q[256];
		slog_info(p->s, "login failed user=%s mech=%s reason=\"%s\"",
			  log_quote_cstr(q, sizeof(q), authcid), mech,
			  err_str(r));
		return pop3_login_failed(p, r, mech);
	}
	if (proxy_relay_enabled(p->s)) {
		if (authzid != NULL && *authzid != '\0')
			return pop3_reply_err(p, "[AUTH] Master user logins "
					      "are not proxied.");
		return pop3_proxy_login(p, u, password);
	}
	return pop3_login_finish(p, u, mech);
}

int
pop3_cmd_pass(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	char user[POP3_USER_MAX + 1], *pw;
	struct arena *a;
	int r;

	if (!auth_plaintext_allowed(p->s))
		return refuse_plaintext(p);
	if (p->user[0] == '\0')
		return pop3_reply_err(p, "USER first.");
	memcpy(user, p->user, sizeof(user));
	p->user[0] = '\0';
	if (cmd->arg.len > AUTHMECH_FIELD_MAX)
		return pop3_login_failed(p, -ERR_INVAL, "USER");
	a = arena_new_wiped(SECRET_ARENA);
	pw = arena_strndup(a, cmd->arg.p, cmd->arg.len);
	r = pw == NULL ? -ERR_LIMIT : login(p, NULL, user, pw, "USER");
	arena_free(&a);
	return r;
}

/* Run the SASL exchange after "AUTH mech [initial]" until it ends.
 * Returns AUTHMECH_DONE, AUTHMECH_CANCELLED or an authmech error; a
 * connection error is also stored in *io_r (the session must end). */
static int
sasl_exchange(struct pop3_session *p, struct authmech *m, struct arena *a,
	      const struct pop3_cmd *cmd, int *io_r)
{
	struct conn *c = p->s->conn;
	const char *mech, *initial = NULL, *chal, *resp;
	struct sview line;
	int r;

	mech = arena_strndup(a, cmd->arg.p, cmd->arg.len);
	if (cmd->arg2.len > 0)
		initial = arena_strndup(a, cmd->arg2.p, cmd->arg2.len);
	if (mech == NULL || (cmd->arg2.len > 0 && initial == NULL))
		return -ERR_NOMEM;
	r = authmech_start(m, a, mech, initial, &chal);
	while (r == AUTHMECH_CONTINUE) {
		conn_printf(c, "+ %s\r\n", chal);
		r = conn_flush(c);
		if (r == 0)
			r = conn_read_line(c, AUTHMECH_RESPONSE_MAX, &line);
		if (r < 0) {
			if (r != -ERR_LIMIT)
				*io_r = r;
			return r;
		}
		resp = arena_strndup(a, line.p, line.len);
		if (resp == NULL)
			return -ERR_NOMEM;
		if (strlen(resp) != line.len)
			return -ERR_SYNTAX;	/* a NUL in the line */
		r = authmech_step(m, resp, &chal);
	}
	return r;
}

int
pop3_cmd_auth(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	struct authmech m;
	struct arena *a;
	char mech[POP3_PARSER_MAX_ARG + 1];
	int r, io = 0;

	if (cmd->arg.len == 0) {
		/* the pre-RFC 5034 listing some clients still ask for; empty
		 * where no password may be sent, as CAPA's SASL line */
		conn_writes(p->s->conn, "+OK\r\n");
		if (!auth_plaintext_allowed(p->s))
			return conn_writes(p->s->conn, ".\r\n");
		for (const char *n = authmech_names(); *n != '\0'; n++)
			conn_write(p->s->conn, *n == ' ' ? "\r\n" : n,
				   *n == ' ' ? 2 : 1);
		return conn_writes(p->s->conn, "\r\n.\r\n");
	}
	if (!auth_plaintext_allowed(p->s))
		return refuse_plaintext(p);
	/* the name first: cmd->arg points into the connection's buffer,
	 * which the exchange's next line (the credentials) overwrites */
	str_copy(mech, "?", sizeof(mech));
	if (cmd->arg.len < sizeof(mech)) {
		memcpy(mech, cmd->arg.p, cmd->arg.len);
		mech[cmd->arg.len] = '\0';
		for (char *q = mech; *q != '\0'; q++)
			if (*q >= 'a' && *q <= 'z')
				*q = (char)(*q - 'a' + 'A');
	}
	a = arena_new_wiped(SECRET_ARENA);
	r = sasl_exchange(p, &m, a, cmd, &io);
	if (io < 0)
		r = io;
	else if (r == AUTHMECH_DONE)
		r = login(p, m.authzid, m.authcid, m.password, mech);
	else if (r == AUTHMECH_CANCELLED)
		r = pop3_reply_err(p, "Authentication cancelled.");
	else if (r == -ERR_NOTFOUND)
		r = pop3_reply_err(p, "Unsupported authentication mechanism.");
	else if (r == -ERR_LIMIT)
		r = pop3_reply_err(p, "Authentication response too long.");
	else
		r = pop3_reply_err(p, "Invalid authentication response.");
	arena_free(&a);
	return r;
}
