/* Maildock - SPDX-License-Identifier: MIT
 *
 * The shared folder object and how it follows the disk: records,
 * scans of new/ and cur/, numbering of delivered files, inotify
 * watches, the modseq log (maildir-folder.c, maildir-scan.c,
 * maildir-deliver.c, maildir-watch.c, maildir-modseq.c).
 * Private to storage/maildir/.
 */
#ifndef STORAGE_MAILDIR_MAILDIR_SYNC_H
#define STORAGE_MAILDIR_MAILDIR_SYNC_H

#include "storage/maildir/maildir.h"

/* ---- maildir-deliver.c: number files already in dir/cur and set their
 * keywords (kw_src may be NULL). */
int maildir_deliver_assign(struct maildir_user *u, const char *dir,
			   char **names, size_t n, const unsigned *kw_src_n,
			   char ***kw_src, uint32_t *uidv_r, uint32_t *uids);

/* ---- maildir-folder.c (the shared object; f->lock held for everything
 * that takes an f, except get/put which take the registry lock) */
/* maildir_hash_str: a well-mixed 64-bit hash of s[0..len). Pure. */
uint64_t maildir_hash_str(const char *s, size_t len);
/* maildir_rec_free: free r's name and keywords (not r itself). */
void maildir_rec_free(struct maildir_rec *r);
/* maildir_rec_append: a new last record (uid above every other) for file
 * name (copied); flags and ",W=" size parsed from the name. */
struct maildir_rec *maildir_rec_append(struct maildir_folder *f, uint32_t uid,
				       const char *name);

/* ---- maildir-scan.c: st (just taken) zeroed unless old enough to trust */
void maildir_stamp_settle(const struct maildir_folder *f,
			  struct maildir_stamp *st);
/* the on-disk UID list still has f's header */
bool maildir_folder_same_header(struct maildir_folder *f, const char *path,
				const struct maildir_stamp *st);
/* maildir_folder_get: the shared object of folder directory dir (user's
 * Maildir root), loaded on first use; a new reference in *f_r. An object
 * known to be gone (deleted, renamed away, or replaced by another folder
 * of that name), or made for another cur/ directory, is never returned:
 * its sessions keep it, a new one is made for the folder there now. One
 * replaced under a reused inode shows at its next refresh (-ERR_NOTFOUND
 * with f->gone): the caller then puts it and asks again.
 * 0, -ERR_NOTFOUND (no dir/cur), -ERR_*. Thread-safe.
 * maildir_folder_put: drop the reference; the last one frees it. */
int maildir_folder_get(const char *root, const char *dir,
		       struct maildir_folder **f_r);
void maildir_folder_put(struct maildir_folder **f);
/* maildir_folder_refresh: with f->lock held, bring f up to date with the
 * disk; with claim, also take \Recent: *recent_from_r gets the first UID
 * claimed (UIDs >= it and < uidnext are recent to the caller).
 * -ERR_NOTFOUND, and f->gone set for good, when f's folder is no longer
 * at f->dir: its cur/ is missing or another directory, or its UID list
 * has another UIDVALIDITY (RFC 3501 2.3.1.1: the UIDs f knows name
 * nothing there); f then keeps its records and writes nothing. */
int maildir_folder_refresh(struct maildir_folder *f, bool force, bool claim,
			   uint32_t *recent_from_r);
/* maildir_folder_here: 0 when f's folder is still at f->dir (one stat);
 * else -ERR_NOTFOUND with f->gone set, as maildir_folder_refresh does.
 * Writers check it first: a gone object must not rename, expunge or set
 * keywords in the folder that took its path. f->lock held. */
int maildir_folder_here(struct maildir_folder *f);
/* maildir_folder_find / _find_base: the record of uid (binary search) or
 * of the file with base name base[0..len) (hash); NULL when none. Valid
 * until the records change (f->lock held). */
struct maildir_rec *maildir_folder_find(struct maildir_folder *f,
					uint32_t uid);
struct maildir_rec *maildir_folder_find_base(struct maildir_folder *f,
					     const char *base, size_t len);
/* maildir_folder_remove: drop the record of uid (its file is gone). */
void maildir_folder_remove(struct maildir_folder *f, uint32_t uid);
/* maildir_folder_recs_detach: take f's record array out of f to build a
 * new one (with maildir_rec_append): f is left with no records, room for
 * reserve, and no name hash. Returns the old array (*n_r records; the
 * caller frees each with maildir_rec_free, then the array; NULL when
 * empty). maildir_folder_recs_clear: drop every record. f->lock held. */
struct maildir_rec *maildir_folder_recs_detach(struct maildir_folder *f,
					       size_t reserve, size_t *n_r);
void maildir_folder_recs_clear(struct maildir_folder *f);
/* maildir_folder_add: give the files names[0..n) (already in cur/) UIDs,
 * written to uids[] (0 when a file vanished). f->lock held. */
int maildir_folder_add(struct maildir_folder *f, char **names, size_t n,
		       uint32_t *uids);
/* maildir_folder_reserve_uids: make room for need more UIDs below 2^32
 * before they are handed out (the UID list locks held). UIDs are 32-bit
 * and strictly ascending (RFC 3501 2.3.1.1): when the next need UIDs
 * would pass 2^32-1, or a record already holds the last one (a list
 * another server wrapped), f gets a new UIDVALIDITY and its records are
 * renumbered from 1 in their order, as Dovecot does; UID 0 and a UID
 * handed out before are never given. Returns whether it renumbered (the
 * caller then writes the UID lists). f->lock held. */
bool maildir_folder_reserve_uids(struct maildir_folder *f, size_t need);
/* maildir_folder_changed: bump f->gen and call every watcher of f. */
void maildir_folder_changed(struct maildir_folder *f);

/* ---- maildir-watch.c: the process's inotify instance (started on first
 * use, again in a forked child) and the watchers of each folder. Thread-
 * safe; may be called with f->lock held (the watch lock orders after it).
 * maildir_watch_add: w (fn, ctx set; linked here) is called from now on
 * whenever f may have changed, from any thread, until maildir_watch_del;
 * the first watcher of f adds the inotify watches of new/ and cur/, the
 * last one's removal drops them. Returns 1 when changes by other
 * processes are seen too, 0 when not (no inotify, watch limit reached,
 * NFS): the caller then checks the folder itself every few seconds.
 * maildir_watch_notify: call every watcher of f now. */
int maildir_watch_add(struct maildir_folder *f, struct maildir_watcher *w);
void maildir_watch_del(struct maildir_folder *f, struct maildir_watcher *w);
void maildir_watch_notify(struct maildir_folder *f);

/* ---- maildir-modseq.c: the modseq log "maildock-modseq" (RFC 7162), f->lock
 * held for all; the log's own flock(2) is taken inside. */
struct maildir_modseq;
/* maildir_modseq_sync: give every record its modseq (r->modseq), logging
 * a new one for each record that is new or whose flags or keywords differ
 * from its last line, and an expunge for each logged UID below uidnext
 * that has no record. 0 or -ERR_*. */
int maildir_modseq_sync(struct maildir_folder *f);
/* maildir_modseq_touch: the same for one record after this process
 * changed it (STORE), without the walk over the folder. 0 or -ERR_*. */
int maildir_modseq_touch(struct maildir_folder *f, struct maildir_rec *r);
/* maildir_modseq_stale: another process appended to or rewrote the log
 * since this one read it (or it was never read). */
bool maildir_modseq_stale(struct maildir_folder *f);
/* maildir_modseq_highest: the folder's HIGHESTMODSEQ (0 before a sync). */
uint64_t maildir_modseq_highest(const struct maildir_folder *f);
/* maildir_modseq_gone_since: the UIDs expunged with a modseq above since,
 * into *uids_r (malloc'd, caller frees; unsorted), *n_r of them; returns
 * 0, or 1 when since is older than the expunges still remembered (the
 * caller must then assume every UID it cannot see may be gone). */
int maildir_modseq_gone_since(const struct maildir_folder *f, uint64_t since,
			      uint32_t **uids_r, size_t *n_r);
/* maildir_modseq_free: close and free (folder teardown). NULL-safe. */
void maildir_modseq_free(struct maildir_modseq *ms);

#endif
