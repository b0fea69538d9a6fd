/* Maildock - SPDX-License-Identifier: MIT
 *
 * UID lists of a folder: Maildock's own maildock-uidlist, and
 * Courier's courierimapuiddb and Dovecot's dovecot-uidlist kept current
 * beside it (maildir-uidlist.c, maildir-compat.c).
 * Private to storage/maildir/.
 */
#ifndef STORAGE_MAILDIR_MAILDIR_UIDLIST_H
#define STORAGE_MAILDIR_MAILDIR_UIDLIST_H

#include "storage/maildir/maildir.h"

/* ---- maildir-uidlist.c */
struct maildir_uidlist_entry {
	uint32_t uid;
	uint64_t vsize;
	char *base;
	unsigned blen;		/* base name length */
};
struct maildir_uidlist {
	uint32_t uidvalidity, uidnext, first_recent;
	struct maildir_stamp cur;	/* cur/ when the names were exact */
	bool full_names;		/* e[].base holds whole file names */
	struct maildir_uidlist_entry *e;
	size_t n;
	char *data;			/* file text the bases point into */
	char *more[2];			/* texts of lists merged in */
	char guid[33];			/* dovecot-uidlist's G, or "" */
};
/* maildir_uid_after: the UIDNEXT that follows uid, held at 2^32-1 when
 * uid is the last 32-bit value (no UIDNEXT can follow it: the folder is
 * renumbered, see maildir_folder_reserve_uids). Pure. */
uint32_t maildir_uid_after(uint32_t uid);
/* maildir_uidlist_read: read dir's maildock-uidlist, else import Courier's
 * courierimapuiddb or Dovecot's dovecot-uidlist (v3). -ERR_NOTFOUND when
 * none exists, -ERR_CORRUPT, -ERR_IO. Entries sorted by uid. */
int maildir_uidlist_read(const char *dir, struct maildir_uidlist *ul);
/* maildir_uidlist_parse_own / _courier / _dovecot: parse data[0..len)
 * (NUL-terminated, modified in place; ul->e[].base point into it) in one
 * format; 0 or -ERR_CORRUPT (duplicate UIDs, bad header). ul->e is
 * malloc'd even on error (free it). */
int maildir_uidlist_parse_own(char *data, size_t len,
			      struct maildir_uidlist *ul);
int maildir_uidlist_parse_courier(char *data, size_t len,
				  struct maildir_uidlist *ul);
int maildir_uidlist_parse_dovecot(char *data, size_t len,
				  struct maildir_uidlist *ul);
/* maildir_uidlist_free: release what maildir_uidlist_read allocated. */
void maildir_uidlist_free(struct maildir_uidlist *ul);
/* maildir_uidlist_write: write f's records (f->lock and the lock file
 * held). */
int maildir_uidlist_write(struct maildir_folder *f);

/* ---- maildir-compat.c: Courier's courierimapuiddb and Dovecot's
 * dovecot-uidlist kept current beside maildock-uidlist (f->lock held) */
/* maildir_compat_decide: set f->compat from maildir.compat; under AUTO,
 * the lists that the folder or the Maildir root already has. */
void maildir_compat_decide(struct maildir_folder *f);
/* maildir_compat_lock: take the lock each kept server honours (Dovecot's
 * dovecot-uidlist.lock, then Courier's tmp/courier.lock) after maildock's
 * own; *held_r gets what to release. 0, -ERR_TIMEOUT, -ERR_*.
 * maildir_compat_unlock releases them. */
int maildir_compat_lock(struct maildir_folder *f, unsigned *held_r);
void maildir_compat_unlock(struct maildir_folder *f, unsigned held);
/* maildir_compat_same: no kept list changed since this process last read
 * or wrote it (true when none is kept). */
bool maildir_compat_same(struct maildir_folder *f);
/* maildir_compat_merge: add to ul (just read, same UIDVALIDITY) the
 * file -> UID pairs that a kept list has and ul lacks, and raise
 * ul->uidnext to theirs, so that a UID the other server gave is never
 * given again; a pair whose UID ul gives another file is dropped (that
 * file gets a new UID). Records what was read in f->seen. */
void maildir_compat_merge(struct maildir_folder *f,
			  struct maildir_uidlist *ul);
/* maildir_compat_write: write each kept list from f's records as that
 * server writes it (temp file + rename) when it differs from what is on
 * disk. 0 or -ERR_*. */
int maildir_compat_write(struct maildir_folder *f);
/* maildir_compat_kw_letters: when Dovecot's files are kept, rename r's
 * file so that its keyword letters (a-z after ":2,") name r's keywords
 * as dovecot-keywords numbers them, adding names there (26 at most).
 * 0 or -ERR_*. */
int maildir_compat_kw_letters(struct maildir_folder *f,
			      struct maildir_rec *r);

#endif
