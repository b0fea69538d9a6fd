/* Maildock - SPDX-License-Identifier: MIT
 *
 * Keywords of a folder's messages, kept in Courier's
 * courierimapkeywords/ and Dovecot's letters (maildir-keywords.c).
 * Private to storage/maildir/.
 */
#ifndef STORAGE_MAILDIR_MAILDIR_KEYWORDS_H
#define STORAGE_MAILDIR_MAILDIR_KEYWORDS_H

#include "storage/maildir/maildir.h"

/* ---- maildir-keywords.c (f->lock held) */
/* maildir_keywords_id: the folder's id of keyword name (case-insensitive),
 * added when create; -ERR_NOTFOUND, -ERR_INVAL, -ERR_LIMIT. */
int maildir_keywords_id(struct maildir_folder *f, const char *name,
			bool create);
/* maildir_keywords_check: 0 for a valid keyword atom, -ERR_INVAL or
 * -ERR_LIMIT (longer than STORE_KEYWORD_MAXLEN). Pure. */
int maildir_keywords_check(const char *name);
/* maildir_keywords_load: (re)read courierimapkeywords/ (and Dovecot's
 * letters) into the records when they changed on disk, or when
 * recs_changed and Dovecot letters are in use. 1 when any record's
 * keywords changed, 0 when none, -ERR_* on failure. */
int maildir_keywords_load(struct maildir_folder *f, bool recs_changed);
/* maildir_keywords_save: write r's keywords to courierimapkeywords/ as
 * Courier does. 0 or -ERR_*. */
int maildir_keywords_save(struct maildir_folder *f,
			  const struct maildir_rec *r);
/* maildir_keywords_set: apply a STORE of n keyword names to r and save it;
 * 1 when r changed, 0 when not, -ERR_INVAL / -ERR_LIMIT / -ERR_IO. */
int maildir_keywords_set(struct maildir_folder *f, struct maildir_rec *r,
			 enum store_flags_mode mode,
			 const char *const *names, size_t n);

#endif
