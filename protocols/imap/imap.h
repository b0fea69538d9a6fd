/* Maildock - SPDX-License-Identifier: MIT
 *
 * The IMAP4rev1 module (RFC 3501): imap_proto for the core, and the
 * session, command and helper API shared by the files of protocols/imap/
 * (private to this folder). Command handlers in cmd-*.c see a parsed
 * command (struct imap_cmd), write untagged data through imap-reply.h and
 * leave their tagged answer in cmd->result for the dispatcher.
 */
#ifndef IMAP_H
#define IMAP_H

#include <stdint.h>
#include "core/compat.h"
#include "core/proto.h"
#include "protocols/imap/imap-parser.h"
#include "protocols/imap/imap-reply.h"
#include "protocols/imap/imap-seqset.h"

struct arena;
struct auth_user;
struct conn;
struct session;
struct imap_acl_sel;
struct imap_search_update;
struct store_mailbox;
struct store_user;

/* The module the core runs (listed in protocols/protocols.c). */
extern const struct proto_ops imap_proto;

/* Session states (RFC 3501 section 3), as bits so a command table row can
 * name several. */
#define IMAP_ST_NOAUTH		(1u << 0)
#define IMAP_ST_AUTH		(1u << 1)
#define IMAP_ST_SELECTED	(1u << 2)
#define IMAP_ST_LOGOUT		(1u << 3)
#define IMAP_ST_ANY (IMAP_ST_NOAUTH | IMAP_ST_AUTH | IMAP_ST_SELECTED)
#define IMAP_ST_LOGGEDIN (IMAP_ST_AUTH | IMAP_ST_SELECTED)

/* imap.* settings (imap-settings.c) */
struct imap_settings {
	size_t max_line_length;		/* octets of one command line */
	size_t max_literal_preauth;	/* octets of a literal before login */
	size_t max_literal;		/* octets of a literal after login */
	size_t max_command;		/* octets of a command after login */
	size_t max_append;		/* octets of an APPEND (APPENDLIMIT) */
	unsigned max_list_depth;	/* nesting of parenthesized lists */
	unsigned max_bad_commands;	/* in a row, then BYE */
	const char *greeting;		/* text after the CAPABILITY code */
	/* SPECIAL-USE (RFC 6154) folders, UTF-8 store names; "" for none */
	const char *special_use[5];	/* Sent Drafts Trash Junk Archive */
	const char *namespace_prefix;	/* "" or "INBOX." */
	bool id_send_version;		/* ID answers with the version */
	const char *proxy_port;		/* backend port in proxy mode */
};

/* settings table registered through imap_proto.settings */
extern const struct conf_table imap_conf_table;

/* ENABLEd extensions (RFC 5161) */
#define IMAP_ENABLED_UTF8 (1u << 0)	/* UTF8=ACCEPT (RFC 6855) */
#define IMAP_UTF8(sess) (((sess)->enabled & IMAP_ENABLED_UTF8) != 0)

/* The tagged answer of a command (RFC 3501 7.1) as its handler decided
 * it: the dispatcher writes it after the untagged updates the command
 * allows (imap_command_finish), so that no handler writes a tagged line. */
struct imap_result {
	const char *status;		/* "OK", "NO", "BAD"; NULL: none yet */
	const char *code;		/* response code without the [], or
					   NULL (text may hold its own) */
	const char *text;		/* static or in the command's arena */
};

/* One parsed command. Every pointer lives in arena (the per-command arena)
 * and is valid until the tagged reply has been sent. */
struct imap_cmd {
	struct imap_session *sess;
	const char *tag;
	const char *name;		/* upper case, without the "UID " */
	const struct imap_arg *args;	/* top-level arguments after name */
	unsigned argc;
	bool uid;			/* UID FETCH / SEARCH / STORE / COPY ... */
	struct arena *arena;
	unsigned flags;			/* IMAP_CMDF_* of the table row */
	/* APPEND: the message literal announced and not yet read */
	bool literal_pending;
	bool literal_sync;
	uint64_t literal_size;
	uint64_t literal_left;		/* octets not read yet */
	struct imap_result result;	/* set by imap_command_done */
	bool admitted;			/* its row's checks passed: the
					   handler ran */
	bool answered;			/* the tagged line was written */
};

/* An IDLE command in progress (cmd-idle.c): it outlives the thread that
 * started it while the session is parked. */
struct imap_idle {
	struct imap_cmd cmd;		/* the IDLE command (tag in cmd_arena) */
	long long start_ms;		/* CLOCK_MONOTONIC */
	unsigned limit_s;		/* autologout, 0: none */
	bool kernel;			/* other programs' changes are seen */
};

struct imap_session {
	struct session *s;		/* core: id, arena, addresses, log */
	struct conn *conn;		/* == s->conn */
	const struct imap_settings *set;
	unsigned state;			/* one IMAP_ST_* bit */
	struct arena *cmd_arena;	/* reset after every tagged reply */
	struct imap_parser *parser;
	unsigned bad_count;		/* unknown/garbled commands in a row */
	bool bye_sent;			/* "* BYE" written: the session ends */
	bool starttls_done;
	unsigned enabled;		/* IMAP_ENABLED_* */
	/* after login */
	struct auth_user *user;
	struct store_user *store;
	/* SELECTED */
	struct store_mailbox *box;
	const char *box_name;		/* UTF-8, in box_arena */
	struct arena *box_arena;	/* freed at unselect */
	uint32_t *searchres;		/* SEARCHRES "$" (RFC 5182): saved */
	uint32_t searchres_n;		/* UIDs, ascending; heap, unselect */
	struct imap_search_update *updates;	/* RFC 5267 contexts; heap,
						   ended at unselect */
	bool readonly;			/* EXAMINE, or read-only view */
	uint32_t exists_sent;		/* EXISTS count the client knows */
	uint32_t recent_sent;		/* RECENT count the client knows */
	unsigned keywords_sent;		/* keyword count in the last FLAGS */
	bool highestmodseq_sent;	/* [HIGHESTMODSEQ] for this box */
	struct imap_acl_sel *acl;	/* owner/rights (imap-acl.h); NULL:
					   own mailbox, every right */
	struct imap_idle idle;		/* while IDLE runs */
};

/* Handler results: IMAP_CMD_DONE after the handler set cmd->result
 * (imap_command_done, imap_command_error); the dispatcher then runs the
 * sync the command's row allows and writes the tagged line. A negative
 * -ERR_* is a failure: -ERR_SHUTDOWN and -ERR_KICKED end the session;
 * else an answer the handler set before failing stands (a helper that
 * knows more than the error's kind sets it and returns the error: no
 * positive "answered" results); without one, -ERR_EOF, -ERR_IO,
 * -ERR_TIMEOUT and -ERR_TLS (a failed read or write: write errors are
 * sticky on the conn, see core/conn.h) end the session, -ERR_SYNTAX is
 * answered BAD (the client's mistake) and every other code as
 * imap_command_error does. */
#define IMAP_CMD_DONE 0
/* IMAP_CMD_PARKED: the handler (IDLE) asked the core to park the session
 * (park_request); the command loop returns at once, and the session
 * continues in imap_idle_resume. */
#define IMAP_CMD_PARKED 1

typedef int imap_cmd_fn(struct imap_cmd *cmd);

/* imap_command_done: set cmd's tagged answer (status "OK", "NO" or "BAD";
 * text formatted into cmd->arena, may begin with a "[CODE]"); nothing is
 * written (imap_command_finish in imap-commands.c does). A later call
 * replaces it. A text over IMAP_REPLY_LINE_MAX becomes "[SERVERBUG] Reply
 * too long". Returns IMAP_CMD_DONE, for "return imap_command_done(...)"
 * in a handler. Not thread-safe (the session's thread). */
int imap_command_done(struct imap_cmd *cmd, const char *status,
		      const char *fmt, ...) ATTR_PRINTF(3, 4);

/* imap_command_error: set cmd's tagged answer for the storage error err
 * (a negative -ERR_*): NO with the RFC 5530 response code and text of
 * protocols/mailerr.c's table (e.g. -ERR_NOTFOUND: "NO [NONEXISTENT] No
 * such mailbox"). Returns IMAP_CMD_DONE. */
int imap_command_error(struct imap_cmd *cmd, int err);

/* The command handlers. FETCH and SEARCH (cmd-fetch.c, cmd-search.c) take
 * their UID variant from cmd->uid; argument count and state are checked
 * by the dispatcher (imap-commands.c) before the call. */
int imap_cmd_fetch(struct imap_cmd *cmd);
int imap_cmd_search(struct imap_cmd *cmd);

/* imap_session_seqs: the messages a sequence-set argument names, as
 * ascending sequence numbers of the selected view, in cmd->arena: for
 * cmd->uid the argument is a UID set (UIDs not in the view are ignored,
 * "*" is the highest UID, RFC 3501 6.4.8), else message numbers (a
 * number above EXISTS is an error). *n_r may be 0. Returns 0,
 * -ERR_SYNTAX (not a sequence set, or a number out of range: answer BAD),
 * -ERR_LIMIT or -ERR_NOMEM. Call only in SELECTED. */
int imap_session_seqs(struct imap_cmd *cmd, const struct imap_arg *arg,
		      uint32_t **seqs_r, uint32_t *n_r);

/* imap_session_writable: whether a non-PEEK body FETCH may set \Seen
 * (a read-write view is selected, RFC 3501 6.4.5). */
bool imap_session_writable(const struct imap_session *sess);

/* imap_session_mailbox_arg: decode a mailbox argument (astring in modified
 * UTF-7, RFC 3501 5.1.3) into a UTF-8 name in cmd->arena, with "INBOX"
 * in any case made "INBOX". Returns 0, -ERR_SYNTAX (not an astring) or
 * -ERR_INVAL (bad modified UTF-7, NUL, CR/LF). */
int imap_session_mailbox_arg(struct imap_cmd *cmd, const struct imap_arg *arg,
			     const char **name_r);

/* ---- imap-namespace.c: the personal namespace prefix (thread-safe; the
 * session's own settings) */
/* imap_namespace_strip: name (UTF-8, from the client) without
 * imap.namespace_prefix when it starts with it (any case, RFC 3501 5.1);
 * other names unchanged (a pointer into name). */
const char *imap_namespace_strip(const struct imap_session *sess,
				 const char *name);
/* imap_namespace_display: storage name as the client sees it: the prefix
 * in front, except for INBOX and the #shared namespace; into buf (size
 * bytes). False when it does not fit. */
bool imap_namespace_display(const struct imap_session *sess, const char *name,
			    char *buf, size_t size);
/* imap_namespace_append: imap_reply_append_mailbox of the display name of
 * name. 0 or -ERR_INVAL. */
int imap_namespace_append(const struct imap_session *sess, struct sbuf *b,
			  const char *name);

#endif
