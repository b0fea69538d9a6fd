/* Maildock - SPDX-License-Identifier: MIT
 *
 * Updating searches (RFC 5267 4, CONTEXT=SEARCH): SEARCH RETURN (UPDATE)
 * keeps its program and result, and the session then reports how the
 * result changes with ESEARCH ADDTO/REMOVEFROM until CANCELUPDATE or the
 * mailbox is closed (private to protocols/imap).
 */
#ifndef IMAP_SEARCH_UPDATE_H
#define IMAP_SEARCH_UPDATE_H

#include <stdint.h>
#include "core/compat.h"

struct imap_arg;
struct imap_cmd;
struct imap_search_key;
struct imap_search_update;
struct imap_session;

/* Updating searches one session may keep; the next one is answered, but
 * with "* NO [NOUPDATE "tag"]" instead of updates (RFC 5267 4.3.1). */
#define IMAP_SEARCH_UPDATE_MAX 16

/* imap_search_update_new: parse the search keys args[0..argc) into a new
 * update context of its own (heap, its arena), for cmd's tag and UID
 * flag; sequence numbers in the keys are turned into the UIDs they name
 * now, so later changes are matched as the client meant (RFC 5267 4.3.2:
 * the result is about messages, not positions). *prog_r is the program,
 * valid while the context lives. Returns 0, or the errors of
 * imap_search_cmd_program with *error_r set. */
int imap_search_update_new(struct imap_cmd *cmd, const struct imap_arg *args,
			   unsigned argc, struct imap_search_update **upd_r,
			   const struct imap_search_key **prog_r,
			   const char **error_r);

/* imap_search_update_start: the SEARCH that made *upd found ids[0..n)
 * (UIDs when cmd->uid, else sequence numbers; ascending): remember them
 * and hand *upd to the session (set to NULL). Over
 * IMAP_SEARCH_UPDATE_MAX the context is freed after an untagged
 * "NO [NOUPDATE "tag"]". Returns 0 or a write error. */
int imap_search_update_start(struct imap_cmd *cmd,
			     struct imap_search_update **upd,
			     const uint32_t *ids, uint32_t n);

/* imap_search_update_free: free *upd (may be NULL) and set it to NULL. */
void imap_search_update_free(struct imap_search_update **upd);

/* imap_search_update_has_tag: whether an update context has this tag
 * (a second one with the same tag is refused: RFC 5267 4.3). */
bool imap_search_update_has_tag(const struct imap_session *sess,
				const char *tag);

/* imap_search_update_expunged: message seq/uid is about to be reported
 * expunged: each context holding it sends REMOVEFROM first, with the
 * sequence number still valid (RFC 5267 4.3.4). */
void imap_search_update_expunged(struct imap_session *sess, uint32_t seq,
				 uint32_t uid);

/* imap_search_update_sync: evaluate every context again on the messages
 * that are new or whose MODSEQ changed since its last evaluation, and
 * send one ESEARCH with REMOVEFROM/ADDTO (position 0: SEARCH results are
 * unordered, RFC 5267 4.3.2) per context whose result changed. Call
 * after EXISTS/FETCH of a sync. Returns 0 or a write error; a failed
 * evaluation (storage error) leaves that context as it was. */
int imap_search_update_sync(struct imap_session *sess);

/* imap_search_update_clear: end every context of the session (mailbox
 * closed, RFC 5267 4.3.5). */
void imap_search_update_clear(struct imap_session *sess);

/* imap_cmd_cancelupdate: CANCELUPDATE 1*(SP quoted) (RFC 5267 4.3.5):
 * ends the named contexts; NO when a tag names none (and then none is
 * ended). */
int imap_cmd_cancelupdate(struct imap_cmd *cmd);

#endif
