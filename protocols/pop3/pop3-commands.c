/* Maildock - SPDX-License-Identifier: MIT
 *
 * The POP3 command table (STYLE C6): per command, its handler and the
 * states it is valid in, checked here before any handler runs, so no
 * maildrop command can run before login and no login command after it.
 */
#include "core/error.h"
#include "core/stats.h"
#include "protocols/pop3/pop3.h"
#include "core/compat.h"

#define ST_AUTH POP3_STATE_AUTHORIZATION
#define ST_TRANS POP3_STATE_TRANSACTION

struct pop3_command {
	const char *name;	/* for metrics */
	int (*handler)(struct pop3_session *p, const struct pop3_cmd *cmd);
	unsigned states;
};

/* indexed by enum pop3_cmd_id */
static const struct pop3_command commands[POP3_CMD_COUNT] = {
	[POP3_CMD_AUTH] = { "AUTH", pop3_cmd_auth, ST_AUTH },
	[POP3_CMD_CAPA] = { "CAPA", pop3_cmd_capa, ST_AUTH | ST_TRANS },
	[POP3_CMD_DELE] = { "DELE", pop3_cmd_dele, ST_TRANS },
	[POP3_CMD_LIST] = { "LIST", pop3_cmd_list, ST_TRANS },
	[POP3_CMD_NOOP] = { "NOOP", pop3_cmd_noop, ST_TRANS },
	[POP3_CMD_PASS] = { "PASS", pop3_cmd_pass, ST_AUTH },
	[POP3_CMD_QUIT] = { "QUIT", pop3_cmd_quit, ST_AUTH | ST_TRANS },
	[POP3_CMD_RETR] = { "RETR", pop3_cmd_retr, ST_TRANS },
	[POP3_CMD_RSET] = { "RSET", pop3_cmd_rset, ST_TRANS },
	[POP3_CMD_STAT] = { "STAT", pop3_cmd_stat, ST_TRANS },
	[POP3_CMD_STLS] = { "STLS", pop3_cmd_stls, ST_AUTH },
	[POP3_CMD_TOP] = { "TOP", pop3_cmd_retr, ST_TRANS },
	[POP3_CMD_UIDL] = { "UIDL", pop3_cmd_uidl, ST_TRANS },
	[POP3_CMD_USER] = { "USER", pop3_cmd_user, ST_AUTH },
};

int
pop3_commands_run(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	const struct pop3_command *c;

	if ((unsigned)cmd->id >= POP3_CMD_COUNT)
		return pop3_reply_err(p, "Unknown command.");
	c = &commands[cmd->id];
	if ((c->states & p->state) == 0)
		return pop3_reply_err(p, p->state == ST_AUTH ?
				      "Not logged in." :
				      "Command not valid after login.");
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int r = c->handler(p, cmd);
	stats_command("pop3", c->name, stats_usec_since(&t0), r);
	return r;
}
