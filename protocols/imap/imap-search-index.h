/* Maildock - SPDX-License-Identifier: MIT
 *
 * SEARCH with the full-text index (storage/fts/fts-index.h): the search.*
 * settings, bringing the selected folder's entries up to date at the
 * start of a SEARCH, and the filter that lets the scan skip messages the
 * index rules out (private to protocols/imap).
 */
#ifndef IMAP_SEARCH_INDEX_H
#define IMAP_SEARCH_INDEX_H

#include <stddef.h>
#include <stdint.h>
#include "core/compat.h"

struct imap_cmd;
struct imap_search_key;
struct imap_search_index_filter;
struct store_mailbox;
struct arena;
struct conf;
struct conf_table;
struct auth_user;

/* the search.* settings (index, index_path, index_max_part_size),
 * registered through protocols_conf_tables */
extern const struct conf_table imap_search_index_conf_table;

/* imap_search_index_path: the index file of user u under conf (search.
 * index_path expanded, its directory made; or maildock-fts.sqlite in the
 * Maildir), in arena a. NULL with *error_r (static) when search.index is
 * off or the path cannot be made. Thread-safe. */
const char *imap_search_index_path(const struct conf *conf, struct arena *a,
				   const struct auth_user *u,
				   const char **error_r);

/* imap_search_index_tag: what the index's texts depend on (format version,
 * search.index_max_part_size) into buf, for fts_index_open. */
void imap_search_index_tag(const struct conf *conf, char *buf, size_t size);

/* imap_search_index_filter: when search.index is on and prog has, among
 * the keys every match must satisfy (the top-level AND), a BODY, TEXT or
 * header key whose needle is 3 or more characters of valid UTF-8: index
 * the messages of the selected view the index lacks (decoding each
 * outside any folder lock), drop entries of expunged UIDs, and return in
 * *f_r (heap; imap_search_index_filter_free) the filter for the scan.
 * *f_r is NULL when the index cannot help, is off, or fails (damaged:
 * removed for the next SEARCH; full disk; locked): the scan then reads
 * every message, so an index problem never changes an answer. Returns
 * nothing; failures are logged. Call only in SELECTED. */
void imap_search_index_filter(struct imap_cmd *cmd,
			      const struct imap_search_key *prog,
			      struct imap_search_index_filter **f_r);

/* imap_search_index_skip: whether the message with uid can be skipped:
 * it is wholly indexed and the index rules it out for one of the keys.
 * Every other message must be matched as usual (candidates included:
 * the index only narrows). Pure. */
bool imap_search_index_skip(const struct imap_search_index_filter *f,
			    uint32_t uid);

/* imap_search_index_filter_free: release *f and set it to NULL. */
void imap_search_index_filter_free(struct imap_search_index_filter **f);

/* imap_search_index_folder_gone: drop the entries of the folder whose
 * MAILBOXID was mailbox_id (DELETE succeeded; a folder made again under
 * that name gets a new id, RFC 8474 4.1). Does nothing when the user has
 * no index file; failures are logged (the entries then only take room). */
void imap_search_index_folder_gone(struct imap_cmd *cmd,
				   const char *mailbox_id);

/* imap_search_cmd_index_text: the texts SEARCH matches for message seq of
 * box (decoded header blocks and body parts as TEXT sees them, then the
 * "mailbox@domain" forms of the address fields that FROM/TO/CC/BCC see),
 * handed to fn as imap_search_msg_ops producers do (a NULL chunk ends a
 * text). scratch holds the parse (reset it after the call). Returns 0,
 * -ERR_NOTFOUND (expunged), -ERR_IO, -ERR_LIMIT. (imap-search-cmd.c) */
typedef int imap_search_index_chunk_fn(void *fctx, const char *p, size_t n);
int imap_search_cmd_index_text(struct store_mailbox *box, uint32_t seq,
			       struct arena *scratch,
			       imap_search_index_chunk_fn *fn, void *fctx);

#endif
