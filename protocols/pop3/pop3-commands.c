/* Maildock - SPDX-License-Identifier: MIT
 *
 * The POP3 command table (STYLE C6): per command, its handler and the
 * states it is valid in, checked here before any handler runs, so no
 * maildrop command can run before login and no login command after it.
 */
#include "core/error.h"
#include "protocols/pop3/pop3.h"
#include "core/compat.h"

#define ST_AUTH POP3_STATE_AUTHORIZATION
#define ST_TRANS POP3_STATE_TRANSACTION

struct pop3_command {
	int (*handler)(struct pop3_session *p, const struct pop3_cmd *cmd);
	unsigned states;
};

/* indexed by enum pop3_cmd_id */
static const struct pop3_command commands[POP3_CMD_COUNT] = {
	[POP3_CMD_AUTH] = { pop3_cmd_auth, ST_AUTH },
	[POP3_CMD_CAPA] = { pop3_cmd_capa, ST_AUTH | ST_TRANS },
	[POP3_CMD_DELE] = { pop3_cmd_dele, ST_TRANS },
	[POP3_CMD_LIST] = { pop3_cmd_list, ST_TRANS },
	[POP3_CMD_NOOP] = { pop3_cmd_noop, ST_TRANS },
	[POP3_CMD_PASS] = { pop3_cmd_pass, ST_AUTH },
	[POP3_CMD_QUIT] = { pop3_cmd_quit, ST_AUTH | ST_TRANS },
	[POP3_CMD_RETR] = { pop3_cmd_retr, ST_TRANS },
	[POP3_CMD_RSET] = { pop3_cmd_rset, ST_TRANS },
	[POP3_CMD_STAT] = { pop3_cmd_stat, ST_TRANS },
	[POP3_CMD_STLS] = { pop3_cmd_stls, ST_AUTH },
	[POP3_CMD_TOP] = { pop3_cmd_retr, ST_TRANS },
	[POP3_CMD_UIDL] = { pop3_cmd_uidl, ST_TRANS },
	[POP3_CMD_USER] = { pop3_cmd_user, ST_AUTH },
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
	return c->handler(p, cmd);
}
