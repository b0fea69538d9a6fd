/* Maildock - SPDX-License-Identifier: MIT
 *
 * A POP3 session (RFC 1939): the greeting, the command loop with its
 * pipelining-friendly flushing (output goes out when no input is waiting),
 * the bad-command limit, and the end of a session, which never commits
 * DELE marks unless QUIT did (a drop, timeout or shutdown changes nothing).
 */
#include "core/conn.h"
#include "core/error.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/pop3/pop3.h"
#include "core/compat.h"

int
pop3_reply_err(struct pop3_session *p, const char *text)
{
	return conn_printf(p->s->conn, "-ERR %s\r\n", text);
}

void
pop3_maildrop_close(struct pop3_session *p)
{
	if (p->box != NULL)
		store_pop3_unlock(p->box);
	store_mailbox_close(&p->box);
	store_user_close(&p->store);
	p->msgs = NULL;
	p->count = 0;
}

static void
pop3_refuse(struct session *s, const char *reason)
{
	conn_printf(s->conn, "-ERR %s\r\n", reason);
}

/* A line the parser refused: answer, and count it toward the limit. */
static int
bad_command(struct pop3_session *p, const char *why)
{
	p->bad_commands++;
	if (p->bad_commands >= p->set->max_bad_commands) {
		pop3_reply_err(p, "Too many invalid commands, closing.");
		slog_info(p->s, "too many bad commands count=%u",
			  p->bad_commands);
		return POP3_CMD_CLOSE;
	}
	return pop3_reply_err(p, why) < 0 ? -ERR_IO : POP3_CMD_OK;
}

/* A connection error as one word for the disconnect log line. */
static const char *
reason_word(int r)
{
	switch (r) {
	case -ERR_EOF:
		return "eof";
	case -ERR_TIMEOUT:
		return "timeout";
	case -ERR_SHUTDOWN:
		return "shutdown";
	case -ERR_KICKED:
		return "kicked";
	case -ERR_TLS:
		return "tls";
	case -ERR_LIMIT:
	case -ERR_NOMEM:
		return "limit";
	default:
		return "error";
	}
}

/* Read and run commands until QUIT, an error, or the end of the peer.
 * Returns a short reason for the log. */
static const char *
command_loop(struct pop3_session *p)
{
	struct conn *c = p->s->conn;
	struct pop3_cmd cmd;
	struct sview line;
	const char *why;
	int r;

	for (;;) {
		if (conn_buffered(c) == 0 && conn_flush(c) < 0)
			return "write error";
		r = conn_read_line(c, p->s->set->max_line_length, &line);
		if (r == -ERR_LIMIT) {
			r = bad_command(p, "Line too long.");
		} else if (r < 0) {
			/* POP3 has no unsolicited answer: an -ERR where the
			 * next command's would be, then the close (RFC 1939 3) */
			if (r == -ERR_SHUTDOWN)
				pop3_reply_err(p, "[SYS/TEMP] Server shutting down.");
			else if (r == -ERR_KICKED)
				pop3_reply_err(p, "Disconnected by the administrator.");
			else if (r == -ERR_TIMEOUT)
				pop3_reply_err(p, "Disconnected for inactivity.");
			conn_flush(c);
			return reason_word(r);
		} else if ((r = pop3_parser_parse(line.p, line.len, &cmd,
						  &why)) < 0) {
			r = bad_command(p, why);
		} else {
			p->bad_commands = 0;
			r = pop3_commands_run(p, &cmd);
		}
		if (r == POP3_CMD_CLOSE) {
			conn_flush(c);
			return p->state == POP3_STATE_UPDATE ? "quit" :
				"closed";
		}
		if (r < 0)
			return reason_word(r);
	}
}

static void
pop3_run(struct session *s)
{
	struct pop3_session p = {
		.s = s,
		.set = conf_section(s->conf, &pop3_conf_table),
		.state = POP3_STATE_AUTHORIZATION,
	};
	const char *reason;

	s->proto_state = &p;
	if (conn_printf(s->conn, "+OK %s\r\n", p.set->greeting) < 0)
		return;
	reason = command_loop(&p);
	if (p.state != POP3_STATE_AUTHORIZATION)
		slog_info(s, "logout reason=%s retr=%u retr_bytes=%llu "
			  "dele=%u dele_bytes=%llu committed=%d", reason,
			  p.retr_count, (unsigned long long)p.retr_bytes,
			  p.ndeleted, (unsigned long long)p.dele_bytes,
			  p.committed);
	pop3_maildrop_close(&p);
	s->proto_state = NULL;
}

const struct proto_ops pop3_proto = {
	.name = "pop3",
	.default_listen = "0.0.0.0:110 [::]:110",
	.default_listen_tls = "0.0.0.0:995 [::]:995",
	.settings = &pop3_conf_table,
	.refuse = pop3_refuse,
	.run = pop3_run,
};
