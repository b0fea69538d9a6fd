/* Maildock - SPDX-License-Identifier: MIT
 *
 * The POP3 module (RFC 1939, 2449, 2595, 5034): pop3_proto for the core,
 * and the session state shared by the files of protocols/pop3 only.
 */
#ifndef PROTOCOLS_POP3_POP3_H
#define PROTOCOLS_POP3_POP3_H

#include <stdint.h>
#include "core/compat.h"
#include "core/conf.h"
#include "core/proto.h"
#include "protocols/pop3/pop3-parser.h"

struct session;
struct store_user;
struct store_mailbox;
struct auth_user;

/* The core's entry point for POP3 (protocols/protocols.c lists it). */
extern const struct proto_ops pop3_proto;

/* pop3.* settings (pop3-settings.c) */
struct pop3_settings {
	const char *greeting;		/* text after "+OK " */
	const char *implementation;	/* CAPA IMPLEMENTATION; "": none */
	const char *uidl_format;	/* "courier" or "dovecot" */
	unsigned max_bad_commands;	/* in a row, then disconnect */
	const char *proxy_port;		/* backend port in proxy mode */
};

extern const struct conf_table pop3_conf_table;

enum pop3_state {
	POP3_STATE_AUTHORIZATION = 1 << 0,
	POP3_STATE_TRANSACTION = 1 << 1,
	POP3_STATE_UPDATE = 1 << 2,
};

/* What a handler tells the command loop. */
enum pop3_cmd_result {
	POP3_CMD_OK = 0,	/* go on reading commands */
	POP3_CMD_CLOSE = 1,	/* flush and close the connection */
};

/* the longest USER argument, octets */
#define POP3_USER_MAX 512

/* One message of the snapshot taken at login. */
struct pop3_msg {
	uint64_t size;		/* octets with CRLF line ends */
	bool deleted;		/* DELE'd in this session */
};

struct pop3_session {
	struct session *s;
	const struct pop3_settings *set;
	enum pop3_state state;
	char user[POP3_USER_MAX + 1];	/* USER argument, pending PASS; "": none */
	struct store_user *store;
	struct store_mailbox *box;	/* INBOX view, POP3-locked */
	struct pop3_msg *msgs;		/* [count], the maildrop at login */
	uint32_t count;
	uint32_t ndeleted;
	uint64_t total;			/* octets of the undeleted messages */
	unsigned bad_commands;		/* in a row */
	unsigned retr_count;		/* RETR/TOP replies sent */
	uint64_t retr_bytes;		/* message octets sent by RETR/TOP */
	uint64_t dele_bytes;
	bool committed;			/* QUIT expunged the DELE'd messages */
};

/* Handlers (pop3-cmd-*.c). Each gets the parsed command after the central
 * state check, writes its reply to the connection (not flushed) and returns
 * a pop3_cmd_result or a negative -ERR_* code for a connection error. */
int pop3_cmd_capa(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_stls(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_user(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_pass(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_auth(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_stat(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_list(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_uidl(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_dele(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_rset(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_noop(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_quit(struct pop3_session *p, const struct pop3_cmd *cmd);
int pop3_cmd_retr(struct pop3_session *p, const struct pop3_cmd *cmd);

/* pop3_commands_run: check cmd's state against p->state and run its
 * handler; answers "-ERR" itself when the state is wrong. Returns as a
 * handler does. */
int pop3_commands_run(struct pop3_session *p, const struct pop3_cmd *cmd);

/* pop3_proxy_login: in login proxy mode (core/proxy-relay.h), after u's
 * password was checked here: log in with USER/PASS at u's backend, answer
 * the client with the backend's "+OK" (or "-ERR [SYS/TEMP]"/"[AUTH]"),
 * relay the session until either side ends, then close. Returns as a
 * handler does (pop3-proxy.c). */
int pop3_proxy_login(struct pop3_session *p, const struct auth_user *u,
		     const char *password);

/* pop3_login_finish: after a successful password check, open the user's
 * INBOX, take the POP3 lock and the snapshot, and answer "+OK" or "-ERR
 * [IN-USE]/[SYS/TEMP]/[SYS/PERM]". Returns as a handler does. */
int pop3_login_finish(struct pop3_session *p, struct auth_user *u,
		      const char *mech);

/* pop3_login_failed: answer a failed auth_login result r with the right
 * RFC 2449/3206 response code. Returns as a handler does. */
int pop3_login_failed(struct pop3_session *p, int r, const char *mech);

/* pop3_reply_err: write "-ERR <text>\r\n" (queued, not flushed). Returns
 * 0 (POP3_CMD_OK) or the connection error, so a handler can return it. */
int pop3_reply_err(struct pop3_session *p, const char *text);

/* pop3_maildrop_commit: UPDATE state: expunge the DELE'd messages (by
 * UID, so nothing another session changed is touched). Returns 0 or a
 * storage error (logged). */
int pop3_maildrop_commit(struct pop3_session *p);

/* pop3_maildrop_close: release the snapshot, lock and store without
 * expunging anything. Safe to call twice. */
void pop3_maildrop_close(struct pop3_session *p);

#endif
