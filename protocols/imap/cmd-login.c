/* Maildock - SPDX-License-Identifier: MIT
 *
 * Getting in: STARTTLS (RFC 3501 6.2.1), LOGIN (6.2.3) and AUTHENTICATE
 * (6.2.2) with PLAIN and LOGIN and the SASL-IR initial response (RFC
 * 4959), and back out with UNAUTHENTICATE (RFC 8437). Every path ends in one function that checks the password through
 * core/auth and opens the user's Maildir.
 */
#include <string.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/proxy-relay.h"
#include "core/sbuf.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/authmech.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

int
imap_cmd_starttls(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	int r;

	if (sess->s->tls == NULL)
		return imap_command_done(cmd, "NO", "[UNAVAILABLE] TLS is not "
					 "configured");
	if (conn_is_tls(sess->conn))
		return imap_command_done(cmd, "BAD", "TLS is already active");
	/* after UNAUTHENTICATE: TLS never goes inside DEFLATE (RFC 4978 4) */
	if (conn_is_compressed(sess->conn))
		return imap_command_done(cmd, "BAD", "COMPRESS is active");
	/* the OK goes out in plaintext, before the handshake */
	imap_command_done(cmd, "OK", "Begin TLS negotiation now");
	if ((r = imap_command_finish(cmd)) < 0)
		return r;
	/* conn_starttls throws away every plaintext byte buffered behind
	 * the command (RFC 3501 6.2.1, RFC 3207 4.2) */
	r = conn_starttls(sess->conn, sess->s->tls);
	if (r < 0) {
		slog_info(sess->s, "starttls failed error=%s", err_str(r));
		return r;
	}
	sess->starttls_done = true;
	return IMAP_CMD_DONE;
}

int
imap_cmd_unauthenticate(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;

	if (!imap_session_may_unauthenticate(sess))
		return imap_command_done(cmd, "NO", "[CANNOT] Not with "
					 "system users, log out instead");
	slog_info(sess->s, "unauthenticate");
	imap_session_logged_out(sess);
	return imap_command_done(cmd, "OK", "Unauthenticate completed.");
}

/* finish_login: check the credentials and enter AUTH; answers the client */
static int
finish_login(struct imap_cmd *cmd, const char *authzid, const char *authcid,
	     const char *password, const char *mech)
{
	struct imap_session *sess = cmd->sess;
	struct auth_user *u;
	struct store_user *store;
	const char *err;
	struct sbuf b;
	int r;

	sess->s->auth_mech = mech;
	r = auth_login(sess->s, authzid, authcid, password, &u);
	if (r == -ERR_TEMP)
		return imap_command_done(cmd, "NO", "[UNAVAILABLE] "
				"Authentication service unavailable, try later");
	if (r == -ERR_LIMIT)
		return imap_command_done(cmd, "NO", "[UNAVAILABLE] Too many "
				"failures, try later");
	if (r < 0 || (u->options & AUTH_OPT_DISABLE_IMAP) != 0)
		return imap_command_done(cmd, "NO", "[AUTHENTICATIONFAILED] "
					 "Authentication failed.");
	if (proxy_relay_enabled(sess->s)) {
		if (authzid != NULL && *authzid != '\0')
			return imap_command_done(cmd, "NO", "[CANNOT] Master "
						 "user logins are not proxied");
		return imap_proxy_login(cmd, u, u->user, password);
	}
	r = store_user_open(u->mail, u->quota, &store, &err);
	if (r < 0) {
		slog_error(sess->s, "imap: mailbox open failed mail=%s error=%s",
			   u->mail, err);
		return imap_command_done(cmd, "NO", "[UNAVAILABLE] Mailbox "
					 "unavailable, try later");
	}
	imap_session_logged_in(sess, u, store);
	slog_info(sess->s, "login mech=%s tls=%d", mech,
		  conn_is_tls(sess->conn) ? 1 : 0);
	sbuf_init(&b, cmd->arena, 4096);
	imap_session_capability(sess, &b);
	return imap_command_done(cmd, "OK", "[CAPABILITY %s] Logged in",
				 b.data);
}

static void
wipe_arg(const struct imap_arg *arg)
{
	if (arg->str != NULL && arg->len > 0)
		explicit_bzero((char *)arg->str, arg->len);
}

int
imap_cmd_login(struct imap_cmd *cmd)
{
	const char *user, *pass;
	int r;

	if (!imap_arg_astring(&cmd->args[0], &user) ||
	    !imap_arg_astring(&cmd->args[1], &pass) ||
	    cmd->args[0].has_nul || cmd->args[1].has_nul) {
		wipe_arg(&cmd->args[1]);
		return imap_cmd_bad_args(cmd);
	}
	r = finish_login(cmd, NULL, user, pass, "LOGIN");
	wipe_arg(&cmd->args[1]);
	return r;
}

/* sasl_exchange: the challenge/response loop after authmech_start */
static int
sasl_exchange(struct imap_cmd *cmd, struct authmech *m, int r,
	      const char *challenge)
{
	struct sview line;
	char *resp;

	while (r == AUTHMECH_CONTINUE) {
		if ((r = imap_reply_continue(cmd->sess, challenge)) < 0)
			return r;
		r = imap_session_read_line(cmd->sess, AUTHMECH_RESPONSE_MAX + 2,
					   &line);
		if (r == -ERR_LIMIT)
			return -ERR_LIMIT;
		if (r < 0)
			return r;
		resp = arena_strndup(m->arena, line.p, line.len);
		if (resp == NULL)
			return -ERR_NOMEM;
		if (line.len > 0)
			explicit_bzero((char *)line.p, line.len);
		r = authmech_step(m, resp, &challenge);
	}
	return r;
}

int
imap_cmd_authenticate(struct imap_cmd *cmd)
{
	struct arena *a = arena_new_wiped(64 * 1024);
	const char *mech, *initial = NULL, *challenge = "";
	struct authmech m;
	int r;

	if (!imap_arg_atom(&cmd->args[0], &mech) ||
	    (cmd->argc == 2 && !imap_arg_atom(&cmd->args[1], &initial))) {
		arena_free(&a);
		return imap_cmd_bad_args(cmd);
	}
	r = authmech_start(&m, a, mech, initial, &challenge);
	if (cmd->argc == 2)
		wipe_arg(&cmd->args[1]);
	r = sasl_exchange(cmd, &m, r, challenge);
	switch (r) {
	case AUTHMECH_DONE:
		r = finish_login(cmd, m.authzid, m.authcid, m.password, mech);
		break;
	case AUTHMECH_CANCELLED:
		r = imap_command_done(cmd, "BAD", "Authentication cancelled");
		break;
	case -ERR_NOTFOUND:
		r = imap_command_done(cmd, "NO", "Unsupported authentication "
				      "mechanism");
		break;
	case -ERR_SYNTAX:
	case -ERR_LIMIT:
	case -ERR_NOMEM:
		r = imap_command_done(cmd, "BAD", "Invalid SASL response");
		break;
	default:
		break;
	}
	arena_free(&a);
	return r;
}
