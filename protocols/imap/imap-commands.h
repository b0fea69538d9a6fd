/* Maildock - SPDX-License-Identifier: MIT
 *
 * The IMAP command table (STYLE C6): one sorted constant table, found by
 * binary search; each row says what the dispatcher checks before the
 * handler runs (state, argument count, UID prefix, plaintext policy).
 * Also the session internals the command files share.
 */
#ifndef IMAP_COMMANDS_H
#define IMAP_COMMANDS_H

#include "core/sbuf.h"
#include "protocols/imap/imap.h"

/* row flags (struct imap_cmd.flags) */
#define IMAP_CMDF_UID		(1u << 0)	/* may follow "UID " */
#define IMAP_CMDF_NO_SYNC	(1u << 1)	/* no EXPUNGE at its end
						   (FETCH, STORE, SEARCH:
						   RFC 3501 7.4.1) */
#define IMAP_CMDF_PLAINTEXT	(1u << 2)	/* carries a password */
#define IMAP_CMDF_STREAM	(1u << 3)	/* APPEND, REPLACE: a top-level
						   literal after min_args
						   arguments is the message,
						   streamed */

struct imap_command {
	const char *name;	/* upper case; the table is sorted by it */
	imap_cmd_fn *fn;
	unsigned states;	/* IMAP_ST_* where it is valid */
	unsigned min_args, max_args;
	unsigned flags;
};

/* imap_command_find: the row for name (upper case), or NULL. Pure. */
const struct imap_command *imap_command_find(const char *name);

/* imap_command_row: the row that name (upper case, from the parser) and
 * its arguments so far name: for "UID" the row of args[0] when that may
 * follow UID; NULL for an unknown command. Pure. */
const struct imap_command *imap_command_row(const char *name,
					    const struct imap_arg *args,
					    unsigned argc);

/* A literal announced in a command still being read, before any "+"
 * (RFC 3501 7.5). */
struct imap_literal_ask {
	uint64_t size;		/* octets announced */
	bool sync;		/* {n}: the client waits for "+" */
	bool literal8;		/* ~{n} (RFC 3516) */
	bool fits;		/* within imap.max_command with the rest */
	bool message;		/* at the message's place in a command whose
				   row streams it (APPEND, REPLACE) */
};

/* imap_command_admit: whether cmd (tag, name, args, filled by the
 * session) may go on under row c (imap_command_row; NULL: unknown): the
 * one admission check of every row, made before a "+" with lit (the
 * announced literal) and before the handler with lit NULL. Decides the
 * state (RFC 3501 3), the plaintext-login policy (RFC 3501 6.2.3,
 * LOGINDISABLED), and before a "+" the literal: a message literal
 * (lit->message) is the handler's to stream; any other within
 * imap.max_literal(_preauth) is read; with lit NULL the argument count.
 * A non-synchronizing literal is already on its way, so only its size is
 * judged before it. Returns IMAP_ADMIT_OK, IMAP_ADMIT_STREAM (lit's
 * message literal is left for the handler), IMAP_ADMIT_REFUSED (the
 * answer in cmd->result; no "+" may be sent) or -ERR_LIMIT (a
 * non-synchronizing literal that cannot be taken: the caller sends BYE
 * and closes, its bytes must never run as commands). Counts garbage in
 * sess->bad_count. Session thread only. */
#define IMAP_ADMIT_OK		0
#define IMAP_ADMIT_STREAM	1
#define IMAP_ADMIT_REFUSED	2
int imap_command_admit(struct imap_cmd *cmd, const struct imap_command *c,
		       const struct imap_literal_ask *lit);

/* imap_command_dispatch: run cmd (tag, name, args filled by the session):
 * resolve "UID <cmd>", admit it (imap_command_admit), call the handler,
 * turn its negative results into answers, then end the command with
 * imap_command_finish. A message literal still pending after it is the
 * session's to give up. Returns 0, IMAP_CMD_PARKED (IDLE), or a negative
 * error that ends the session (write failure, shutdown, LOGOUT). */
int imap_command_dispatch(struct imap_cmd *cmd);

/* imap_command_finish: the end of cmd, once: for a command that ran in
 * SELECTED, the untagged updates its row allows (imap_sync_mailbox; none
 * for IMAP_CMDF_NO_SYNC rows, RFC 3501 7.4.1), then cmd->result as the
 * tagged line, flushed. A command refused before its handler ran
 * (unknown, syntax, state, arity) never syncs. Called by the dispatcher;
 * by a handler only where the tagged line must precede what it does next
 * (STARTTLS, COMPRESS, a proxied login) and by the resumed IDLE. Returns
 * IMAP_CMD_DONE, or a conn or store error that ends the session. */
int imap_command_finish(struct imap_cmd *cmd);

/* handlers, one file per family */
int imap_cmd_capability(struct imap_cmd *cmd);	/* cmd-misc.c */
int imap_cmd_noop(struct imap_cmd *cmd);
int imap_cmd_logout(struct imap_cmd *cmd);
int imap_cmd_check(struct imap_cmd *cmd);
int imap_cmd_close(struct imap_cmd *cmd);
int imap_cmd_unselect(struct imap_cmd *cmd);
int imap_cmd_expunge(struct imap_cmd *cmd);
int imap_cmd_namespace(struct imap_cmd *cmd);
int imap_cmd_enable(struct imap_cmd *cmd);
int imap_cmd_id(struct imap_cmd *cmd);
int imap_cmd_compress(struct imap_cmd *cmd);
int imap_cmd_idle(struct imap_cmd *cmd);
/* imap_idle_resume: continue the parked IDLE of sess after the wake-up
 * why (enum park_wake): IMAP_CMD_PARKED when parked again, IMAP_CMD_DONE
 * when IDLE ended (its answer in sess->idle.cmd.result, for
 * imap_command_finish), or an error ending the session. */
int imap_idle_resume(struct imap_session *sess, int why);
int imap_cmd_login(struct imap_cmd *cmd);	/* cmd-login.c */
int imap_cmd_authenticate(struct imap_cmd *cmd);
int imap_cmd_starttls(struct imap_cmd *cmd);
int imap_cmd_unauthenticate(struct imap_cmd *cmd);
int imap_cmd_select(struct imap_cmd *cmd);	/* cmd-select.c */
int imap_cmd_status(struct imap_cmd *cmd);
int imap_cmd_create(struct imap_cmd *cmd);	/* cmd-mailbox.c */
int imap_cmd_delete(struct imap_cmd *cmd);
int imap_cmd_rename(struct imap_cmd *cmd);
int imap_cmd_subscribe(struct imap_cmd *cmd);
int imap_cmd_list(struct imap_cmd *cmd);	/* cmd-list.c */
int imap_cmd_append(struct imap_cmd *cmd);	/* cmd-append.c */
int imap_cmd_replace(struct imap_cmd *cmd);	/* cmd-replace.c */
int imap_cmd_getmetadata(struct imap_cmd *cmd);	/* cmd-metadata.c */
int imap_cmd_setmetadata(struct imap_cmd *cmd);
int imap_cmd_store(struct imap_cmd *cmd);	/* cmd-store.c */
int imap_cmd_copy(struct imap_cmd *cmd);	/* cmd-copy.c (also MOVE) */
int imap_cmd_getquota(struct imap_cmd *cmd);	/* cmd-quota.c */
int imap_cmd_getquotaroot(struct imap_cmd *cmd);
int imap_cmd_setquota(struct imap_cmd *cmd);

/* imap-session.c internals */

/* imap_session_capability: the capability list for the session's current
 * state (STARTTLS/LOGINDISABLED/AUTH= before login) into b, without the
 * leading "CAPABILITY". The one list of what Maildock offers
 * (imap-capability.c). */
void imap_session_capability(struct imap_session *sess, struct sbuf *b);

/* imap_sync_mailbox (imap-sync.c): store_mailbox_sync with untagged
 * EXISTS, RECENT, EXPUNGE, FETCH (FLAGS) and FLAGS output (queued, not
 * flushed). No-op unless SELECTED. Returns 0 or the store's error;
 * -ERR_NOTFOUND: the selected mailbox is gone (deleted, renamed away or
 * replaced), and the caller ends the session after imap_sync_gone. */
int imap_sync_mailbox(struct imap_session *sess);
/* imap_sync_gone (imap-sync.c): the "* BYE" that ends a session whose
 * selected mailbox is gone (written and flushed); the caller then returns
 * -ERR_NOTFOUND so the session ends. */
void imap_sync_gone(struct imap_session *sess);

/* imap_sync_flags: imap_sync_send_flags when the folder gained keywords
 * since the client was last told. Returns 0 or a conn write error.
 * imap_sync_send_flags: "* FLAGS (...)" with the view's keywords, then
 * "* OK [PERMANENTFLAGS (...)]" naming them too (RFC 3501 7.2.6, 7.1:
 * a client learns of a keyword from both before any FETCH shows it);
 * SELECTED only. Returns 0 or a conn write error. */
int imap_sync_flags(struct imap_session *sess);
int imap_sync_send_flags(struct imap_session *sess);

/* imap_session_unselect: close the view (never expunges) and go back to
 * AUTH. */
void imap_session_unselect(struct imap_session *sess);

/* imap_session_logged_in: switch to AUTH as user with store opened:
 * timeouts, parser limits, logging. */
void imap_session_logged_in(struct imap_session *sess, struct auth_user *user,
			    struct store_user *store);

/* imap_session_logged_out: back to NOAUTH on the same connection (RFC
 * 8437 UNAUTHENTICATE): close the selected mailbox and the user's store,
 * forget ENABLEd extensions, restore the login timeout and the
 * pre-login parser limits. TLS stays. */
void imap_session_logged_out(struct imap_session *sess);

/* imap_session_may_unauthenticate: whether UNAUTHENTICATE can work in this
 * configuration (not with auth.system_users, where the session thread
 * took the user's uid for good). (imap-capability.c) */
bool imap_session_may_unauthenticate(const struct imap_session *sess);

/* imap_session_read_line: a raw client line (AUTHENTICATE responses, IDLE
 * DONE) into *line_r (valid until the next read), at most max octets.
 * Errors as conn_read_line. */
int imap_session_read_line(struct imap_session *sess, size_t max,
			   struct sview *line_r);

/* imap_cmd_searchres_set: save n UIDs (ascending) as the session's "$"
 * (SEARCHRES, RFC 5182), replacing the last; n 0 empties it. Copies.
 * imap_cmd_searchres_seqs: the sequence numbers, ascending, of the saved
 * messages still in the view, in cmd->arena (0 or -ERR_NOMEM); for
 * "$" wherever a sequence set is taken. (cmd-search.c) */
void imap_cmd_searchres_set(struct imap_session *sess, const uint32_t *uids,
			    uint32_t n);
int imap_cmd_searchres_seqs(struct imap_cmd *cmd, uint32_t **seqs_r,
			    uint32_t *n_r);

/* imap_session_bye: write "* BYE text" and flush; the caller then ends
 * the session (returns a negative error). The session writes no second
 * BYE when it ends. */
void imap_session_bye(struct imap_session *sess, const char *text);

/* APPEND streaming of cmd's pending literal (cmd->literal_pending):
 * _begin sends "+ " when the literal is synchronizing; _read reads up to n
 * bytes of it (0 in *got_r at its end); _end reads the rest of the
 * command after the literal and returns 0 (the command ended), 1 (the
 * next message of a MULTIAPPEND was announced, RFC 3502: cmd->args now
 * ends with its arguments and cmd->literal_* describe its literal),
 * -ERR_SYNTAX (answer BAD; also for a synchronizing literal elsewhere,
 * never answered with "+"), -ERR_LIMIT (a non-synchronizing literal
 * elsewhere: send BYE and close) or a conn error. _refuse gives up on the
 * literal before _begin: a synchronizing one was never sent; a
 * non-synchronizing one is read and thrown away when at most max_append
 * octets, and so is every further message literal of the command, else
 * -ERR_LIMIT (the caller then sends BYE and ends the session). */
int imap_session_literal_begin(struct imap_cmd *cmd);
int imap_session_literal_read(struct imap_cmd *cmd, void *buf, size_t n,
			      size_t *got_r);
int imap_session_literal_end(struct imap_cmd *cmd);
int imap_session_literal_refuse(struct imap_cmd *cmd);

/* imap_cmd_append_message: APPEND's work for the arguments from
 * cmd->args[first] on (mailbox [flags] [date-time] and the pending
 * literal): checks, streams the message into the folder and returns 0
 * with its UIDVALIDITY and UID in *uidv_r / *uid_r, no answer set; or a
 * negative error, with the answer (BAD, NO [TRYCREATE], ...) set in
 * cmd->result when it is more than the error's kind (see imap.h,
 * handler results). (cmd-append.c) */
int imap_cmd_append_message(struct imap_cmd *cmd, unsigned first,
			    uint32_t *uidv_r, uint32_t *uid_r);

/* imap_cmd_append_refuse: give up on cmd's pending message literal (see
 * imap_session_literal_refuse) and answer err: BAD text for -ERR_SYNTAX,
 * NO text for any other, the table's words (imap_command_error) for text
 * NULL. Returns err, or -ERR_EOF when the session must end (BYE sent).
 * (cmd-append.c) */
int imap_cmd_append_refuse(struct imap_cmd *cmd, int err, const char *text);

/* imap_cmd_expunged: the store_mailbox_expunge callback that writes
 * "* seq EXPUNGE" (VANISHED with QRESYNC, imap_condstore_expunged) and
 * counts it off the EXISTS the client knows; ctx is the struct
 * imap_session. (cmd-misc.c) */
void imap_cmd_expunged(void *ctx, uint32_t seq, uint32_t uid);

/* imap_cmd_store_flags: parse a flag list (STORE, APPEND) of n elements:
 * system flags into *flags_r (STORE_FLAG_*), keywords (atoms, RFC 3501 9
 * flag-keyword, RFC 3501 9) into *kw_r[0..*nkw_r) in cmd->arena. Returns 0 or
 * -ERR_SYNTAX (\Recent, an unknown \flag, a non-atom keyword: answer
 * BAD), -ERR_NOMEM. (cmd-store.c) */
int imap_cmd_store_flags(struct imap_cmd *cmd, const struct imap_arg *list,
			 unsigned n, unsigned *flags_r, const char ***kw_r,
			 size_t *nkw_r);

/* imap_cmd_status_items_ok: items[0..n) are all STATUS data items
 * (MESSAGES RECENT UIDNEXT UIDVALIDITY UNSEEN SIZE MAILBOXID), n > 0. (cmd-select.c)
 * imap_cmd_status_write: the "* STATUS" line of folder name (UTF-8) with
 * those items. Returns 0, a store error (-ERR_NOTFOUND ...) or -ERR_EOF
 * when the write failed. */
bool imap_cmd_status_items_ok(const struct imap_arg *items, unsigned n);
int imap_cmd_status_write(struct imap_cmd *cmd, const char *name,
			  const struct imap_arg *items, unsigned n);

/* imap_cmd_special_use_name: the canonical spelling of the special-use
 * attribute attr (RFC 6154 2: \Sent \Drafts \Trash \Junk \Archive, any
 * case), or NULL for any other (\All and \Flagged are virtual folders
 * Maildock does not have). Static string; pure. (cmd-list.c) */
const char *imap_cmd_special_use_name(const char *attr);

/* imap_proxy_login: in login proxy mode (core/proxy-relay.h), after u's
 * credentials were checked here: log in as user with password at u's
 * backend, answer cmd with the backend's tagged OK (or NO [UNAVAILABLE] /
 * [AUTHENTICATIONFAILED]), relay the session until either side ends,
 * then leave the session in LOGOUT. Returns IMAP_CMD_DONE or a conn
 * error (imap-proxy.c). */
struct auth_user;
int imap_proxy_login(struct imap_cmd *cmd, const struct auth_user *u,
		     const char *user, const char *password);

/* imap_cmd_bad_args: answer BAD "Invalid arguments" (IMAP_CMD_DONE). */
int imap_cmd_bad_args(struct imap_cmd *cmd);

#endif
