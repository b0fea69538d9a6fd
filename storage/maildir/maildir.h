/* Maildock - SPDX-License-Identifier: MIT
 *
 * Backend-private types of the Maildir++ storage: the shared per-folder
 * object (one per folder directory per process, reference-counted, under its
 * own mutex), session views, the user, and the helpers the maildir-*.c files
 * share. Nothing outside storage/ includes this header.
 */
#ifndef STORAGE_MAILDIR_MAILDIR_H
#define STORAGE_MAILDIR_MAILDIR_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include "storage/store-private.h"

#define MAILDIR_UIDLIST		"maildock-uidlist"
#define MAILDIR_UIDLIST_LOCK	"maildock-uidlist.lock"
#define MAILDIR_COURIER_UIDDB	"courierimapuiddb"
#define MAILDIR_DOVECOT_UIDLIST	"dovecot-uidlist"
#define MAILDIR_DOVECOT_KEYWORDS "dovecot-keywords"
#define MAILDIR_POP3_LIST	"courierpop3dsizelist"
#define MAILDIR_POP3_LOCK	"maildock-pop3.lock"
#define MAILDIR_KEYWORDS_DIR	"courierimapkeywords"
#define MAILDIR_SUBSCRIBED	"courierimapsubscribed"
#define MAILDIR_DOVECOT_SUBSCRIBED "subscriptions"
#define MAILDIR_QUOTA_FILE	"maildirsize"
#define MAILDIR_FOLDER_MARKER	"maildirfolder"
#define MAILDIR_PATH_MAX	4096
#define MAILDIR_COURIER_LOCK	"tmp/courier.lock"
#define MAILDIR_DOVECOT_LOCK	"dovecot-uidlist.lock"

/* The other servers' state files a folder keeps current (maildir.compat):
 * Courier-IMAP's courierimapuiddb, Dovecot's dovecot-uidlist. AUTO is the
 * setting's "whichever the Maildir already has". */
#define MAILDIR_COMPAT_COURIER	1u
#define MAILDIR_COMPAT_DOVECOT	2u
#define MAILDIR_COMPAT_AUTO	4u

/* Tunables (seconds); settings in conf.d/40-maildir.conf feed these.
 * Atomic: every login writes them (a reload reaches new sessions) while
 * other sessions read them. */
struct maildir_settings {
	atomic_uint lock_timeout;	/* wait for the UID list lock */
	atomic_uint lock_stale;		/* an older lock file is dead */
	atomic_uint pop3_lock_stale;	/* same, for the POP3 maildrop lock */
	atomic_bool fsync;		/* fsync files and directories */
	atomic_bool utf8_names;		/* folder names on disk in UTF-8 */
	atomic_bool follow_symlinks;	/* serve folders that are symlinks */
	atomic_uint compat;		/* MAILDIR_COMPAT_* to keep */
};
extern struct maildir_settings maildir_settings;

/* Test hook: when set, called with the step number (1..5) of each stage of
 * a delivery (maildir-deliver.c), so a test can kill the writer there. */
extern void (*maildir_deliver_hook)(int step);

/* One message of a folder, shared by every view. */
struct maildir_rec {
	uint32_t uid;
	unsigned flags;		/* STORE_FLAG_* (permanent bits) */
	unsigned kw_n;
	unsigned *kw;		/* sorted keyword ids (malloc'd) or NULL */
	char *name;		/* file name in cur/ (malloc'd) */
	unsigned blen;		/* length of its base name (up to ':') */
	uint64_t vsize;		/* CRLF size, 0 = not known yet */
	uint64_t modseq;	/* RFC 7162 MODSEQ, 0 until logged */
	bool mark;		/* scratch for scans */
	bool oid_known;		/* oid holds the object ids */
	uint8_t oid[24];	/* EMAILID then THREADID digests (RFC 8474) */
};

struct maildir_stamp {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime;
};

/* One of the other servers' UID lists as this process last read or wrote
 * it: a change by that server shows as a different stamp or first line. */
struct maildir_compat_seen {
	struct maildir_stamp st;
	char head[80];
	uint32_t uidv, uidnext;		/* what was last written, with n */
	size_t n;
};

/* A view waiting for changes of its folder (maildir-watch.c). */
struct maildir_watcher {
	struct maildir_watcher *next;
	store_watch_fn *fn;
	void *ctx;
};

/* One inotify watch of a folder's new/ or cur/ (maildir-watch.c). */
struct maildir_wd {
	struct maildir_wd *next;	/* in its wd hash chain */
	struct maildir_folder *f;
	int wd;				/* -1: none */
};

/* The shared folder object. Every field below lock is protected by it,
 * except the watch fields, which maildir-watch.c's own lock protects. */
struct maildir_folder {
	struct maildir_folder *next;	/* registry list */
	char *dir;			/* folder directory (absolute) */
	char *root;			/* the user's Maildir (for quota) */
	unsigned refs;			/* registry lock */
	pthread_mutex_t lock;
	uint32_t uidvalidity, uidnext;
	uint32_t first_recent;		/* UIDs >= this are unclaimed */
	/* recs, n, cap and hash change only through maildir-folder.c
	 * (maildir_rec_append, _folder_remove, _recs_detach, _recs_clear),
	 * which drop the hash with the records it indexes */
	struct maildir_rec *recs;	/* sorted by uid */
	size_t n, cap;
	uint32_t *hash;			/* base name -> recs index + 1 */
	size_t hash_size;
	size_t hash_n;			/* n when the hash was built */
	char **kw_names;		/* keyword names, never shrinks */
	unsigned kw_n, kw_cap;
	unsigned kw_serial;		/* courierimapkeywords counter */
	bool dovecot_kw;		/* dovecot-keywords exists */
	bool nfs;			/* on NFS: coarser stamp trust */
	char **kw_dead;			/* names of a replaced folder, kept */
	unsigned kw_dead_n;		/* for views until the folder goes */
	struct maildir_stamp st_cur, st_new, st_uidlist, st_kw;
	unsigned compat;		/* MAILDIR_COMPAT_* kept here */
	struct maildir_compat_seen seen[2];	/* Courier's, Dovecot's */
	char dovecot_guid[33];		/* Dovecot's mailbox GUID, hex */
	uint64_t gen;			/* bumped on every change */
	struct maildir_cache *cache;	/* parsed messages, loaded lazily */
	struct maildir_modseq *ms;	/* modseq log (maildir-modseq.c) */
	bool ms_dirty;			/* records added or removed */
	struct maildir_watcher *watchers;	/* watch lock */
	struct maildir_wd wd[2];		/* new/, cur/; watch lock */
	uint64_t watch_batch;			/* watch lock */
	bool loaded;
};

struct maildir_user {
	struct store_user base;
	char *root;
	struct maildir_mailbox *views;	/* open views, for user_close */
};

struct maildir_mailbox {
	struct store_mailbox base;
	struct maildir_mailbox *next;	/* in the user's list */
	struct maildir_folder *f;
	struct store_msg *msgs;		/* the view, sorted by uid */
	uint32_t count, cap;
	uint32_t uidvalidity, uidnext, recent;
	uint64_t highestmodseq;		/* as of the last sync */
	const char **kw_names;		/* copy of the folder's array */
	unsigned kw_n;
	uint64_t gen;
	bool readonly;
	bool pop3_locked;
	char **pop3_uidls;		/* per seq, built on first use */
	uint32_t pop3_n;
	struct maildir_watcher watcher;	/* fn != NULL: watching */
};

/* ---- maildir-names.c / mutf7.c */
/* maildir_name_check: 0 when name is a valid folder name, else -ERR_INVAL. */
int maildir_name_check(const char *name);
/* maildir_name_is_inbox: name is "INBOX" in any case (RFC 3501 5.1). */
bool maildir_name_is_inbox(const char *name);
/* maildir_name_to_dir: "<root>" for INBOX or "<root>/.<mUTF-7 name>".
 * -ERR_INVAL / -ERR_LIMIT. */
int maildir_name_to_dir(const char *root, const char *name, char *buf,
			size_t size);
/* maildir_name_from_disk: directory entry ".A.B" -> UTF-8 "A.B";
 * -ERR_INVAL when it is not a folder name. Both spellings are read:
 * modified UTF-7 (Courier-IMAP 4, Dovecot) and UTF-8 (Courier-IMAP 5). */
int maildir_name_from_disk(const char *dirent, char *buf, size_t size);
/* maildir_name_decode / _encode: one on-disk name (no leading '.') or
 * subscription entry to UTF-8, and UTF-8 to the configured spelling. */
int maildir_name_decode(const char *disk, char *buf, size_t size);
int maildir_name_encode(const char *name, char *out, size_t size);

/* ---- maildir-flags.c (all pure and thread-safe) */
/* maildir_base_len: bytes of filename before ':' (the unique part). */
size_t maildir_base_len(const char *filename);
/* maildir_flags_parse: STORE_FLAG_* from the ":2,<letters>" info. */
unsigned maildir_flags_parse(const char *filename);
/* maildir_size_parse: the ",<key>=<n>" field of the base name ('S' file
 * size, 'W' CRLF size) into *r; false when absent or malformed. */
bool maildir_size_parse(const char *filename, char key, uint64_t *r);
/* maildir_flags_name: filename with its info set to ":2," and the sorted
 * letters of flags, keeping letters it does not manage (P, a-z) and any
 * ",extra" suffix, into buf (size bytes). 0 or -ERR_LIMIT. */
int maildir_flags_name(const char *filename, unsigned flags, char *buf,
		       size_t size);
/* maildir_filename_ok: a directory entry that may be a message (not a dot
 * file, no '/', space or newline, under 256 bytes). */
bool maildir_filename_ok(const char *filename);

/* ---- maildir-util.c (thread-safe unless noted) */
/* maildir_errno: the -ERR_* code for errno value e. */
int maildir_errno(int e);
/* maildir_path: "a[/b[/c]]" into buf (size bytes); 0 or -ERR_LIMIT. */
int maildir_path(char *buf, size_t size, const char *a, const char *b,
		 const char *c);
/* maildir_tree_lock: flock(2) the Maildir root's own directory, exclusive
 * for DELETE and RENAME (several steps on the folder tree), shared for
 * APPEND and COPY/MOVE (a file linked into a folder and numbered there):
 * across sessions and worker processes, a folder never moves or vanishes
 * between those steps. Returns the descriptor for maildir_tree_unlock
 * (-1 when the directory cannot be opened or locked: the caller goes on
 * unlocked). Not reentrant: a holder must not take it again. */
int maildir_tree_lock(const char *root, bool exclusive);
void maildir_tree_unlock(int fd);

/* maildir_fsync_dir: fsync directory dir (no-op when maildir.fsync is
 * off). 0 or -ERR_*. */
int maildir_fsync_dir(const char *dir);
/* maildir_msg_file_open: open the message file at path for reading into
 * *fd_r (the caller closes it), never through a symbolic link (O_NOFOLLOW)
 * and only when it is a regular file: a link planted in cur/ must not
 * serve another user's message or /etc/passwd, and a FIFO would block the
 * session. 0; -ERR_NOTFOUND when it is gone or is not a regular file (the
 * message is then treated as expunged, RFC 2180 4.1); -ERR_*. */
int maildir_msg_file_open(const char *path, int *fd_r);
/* maildir_folder_is_link: folder directory dir, or its cur/ or new/, is a
 * symbolic link (or the path does not fit). */
bool maildir_folder_is_link(const char *dir);
/* maildir_folder_served: 0 when the folder directory dir of the Maildir
 * root may be served: INBOX (root itself, the administrator's choice),
 * any folder when maildir.follow_folder_symlinks is on, else a folder
 * whose directory and cur/ and new/ are not symbolic links. -ERR_NOTFOUND
 * otherwise (it is then as if absent; DELETE removes the link alone). */
int maildir_folder_served(const char *root, const char *dir);
/* maildir_mkdir_maildir: make dir with tmp/ new/ cur/ (mode 0700; existing
 * ones are fine), plus "maildirfolder" when folder. 0 or -ERR_*. */
int maildir_mkdir_maildir(const char *dir, bool folder);
/* maildir_write_atomic: replace dir/name by data[0..len) through a temp
 * file, fsync and rename, then fsync dir. 0 or -ERR_*. */
int maildir_write_atomic(const char *dir, const char *name,
			 const char *data, size_t len);
/* maildir_read_file: the whole file (at most max bytes, else -ERR_LIMIT)
 * into *data_r (malloc'd, NUL-terminated; caller frees), *len_r bytes. */
int maildir_read_file(const char *path, char **data_r, size_t *len_r,
		      size_t max);
/* maildir_unique: a new unique Maildir base name
 * "<sec>.M<usec>P<pid>Q<counter>.<host>" into buf. */
void maildir_unique(char *buf, size_t size);
/* maildir_lockfile_take: create the lock file path (owner "pid host"),
 * waiting up to timeout seconds; a lock older than stale seconds, of a
 * dead local pid, or ownerless and a few seconds old is taken over.
 * 0, -ERR_TIMEOUT, -ERR_*. maildir_lockfile_release removes it. */
int maildir_lockfile_take(const char *path, unsigned timeout,
			  unsigned stale);
/* maildir_dotlock_take: the same, with the owner written "pid:host" as
 * Courier's liblock and Dovecot's file-dotlock write and read it, so that
 * they can tell a live holder from a dead one. */
int maildir_dotlock_take(const char *path, unsigned timeout, unsigned stale);
void maildir_lockfile_release(const char *path);
/* maildir_stamp_get / _eq: device, inode, size and mtime of path (all 0
 * when it does not exist), and their comparison. */
void maildir_stamp_get(const char *path, struct maildir_stamp *st);
bool maildir_stamp_eq(const struct maildir_stamp *a,
		      const struct maildir_stamp *b);
/* maildir_set_error: "what: <errno text>" as u's store_user_error (u may
 * be NULL). Not thread-safe for one u (a session's own object). */
void maildir_set_error(struct store_user *u, const char *what, int err);
/* maildir_uidvalidity_new: a UIDVALIDITY never used before in the Maildir
 * root (recorded in root/maildock-uidvalidity). */
uint32_t maildir_uidvalidity_new(const char *root);

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
 * Maildir root), loaded on first use; a new reference in *f_r. 0,
 * -ERR_NOTFOUND (no dir/cur), -ERR_*. Thread-safe.
 * maildir_folder_put: drop the reference; the last one frees it. */
int maildir_folder_get(const char *root, const char *dir,
		       struct maildir_folder **f_r);
void maildir_folder_put(struct maildir_folder **f);
/* maildir_folder_refresh: with f->lock held, bring f up to date with the
 * disk; with claim, also take \Recent: *recent_from_r gets the first UID
 * claimed (UIDs >= it and < uidnext are recent to the caller). */
int maildir_folder_refresh(struct maildir_folder *f, bool force, bool claim,
			   uint32_t *recent_from_r);
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

/* ---- maildir-subscribe.c */
/* maildir_subscriptions_load: the subscribed UTF-8 names (malloc'd array
 * of malloc'd strings, *n_r of them). */
char **maildir_subscriptions_load(struct maildir_user *u, size_t *n_r);
/* maildir_subscriptions_rename: from and its children become to. */
int maildir_subscriptions_rename(struct maildir_user *u, const char *from,
				 const char *to);

/* ---- maildir-cache.c: the parsed-message cache of a folder (freed with
 * the folder object); maildir_msg_parsed is store_msg_parsed. */
struct maildir_cache;
void maildir_cache_free(struct maildir_cache *c);
int maildir_msg_parsed(struct store_mailbox *mb, uint32_t seq,
		       struct arena *a, bool with_bytes,
		       struct mime_message **msg_r);

/* ---- maildir-quota.c: Maildir++ maildirsize of the Maildir root */
/* maildir_quota_set_rule: make rule ("<n>S,<n>C") the quota, recounting
 * the usage when it differs from the file's; NULL/"" leaves it. */
int maildir_quota_set_rule(const char *root, const char *rule);
/* maildir_quota_check: -ERR_QUOTA when adding bytes octets and msgs
 * messages would pass a limit; 0 otherwise (or without a quota). */
int maildir_quota_check(const char *root, uint64_t bytes, uint64_t msgs);
/* maildir_quota_add: record a change of usage (negative on expunge) with
 * one appended line; nothing without a maildirsize. */
void maildir_quota_add(const char *root, int64_t bytes, int64_t msgs);
/* maildir_quota_recalc: store_quota_recalc for Maildir++. */
int maildir_quota_recalc(struct store_user *u);
int maildir_quota_get(struct store_user *u, uint64_t *bytes_used,
		      uint64_t *bytes_limit, uint64_t *msgs_used,
		      uint64_t *msgs_limit);
/* maildir_quota_folder_usage: add the octets (",S=" or file size) and
 * message count of one folder's cur/ and new/ to *bytes and *msgs. */
void maildir_quota_folder_usage(const char *dir, uint64_t *bytes,
				uint64_t *msgs);
/* maildir_quota_parse_rule: "<n>S,<n>C" (either part optional) into
 * limits (0 = none); -ERR_INVAL when malformed. Pure. */
int maildir_quota_parse_rule(const char *rule, uint64_t *bytes,
			     uint64_t *msgs);

/* ---- the store_ops members, by file: each has the contract of the
 * store_* function of the same name in storage/store.h */
extern const struct store_ops maildir_ops;
int maildir_folder_list(struct store_user *u, bool subscribed_only,
			store_folder_fn *fn, void *ctx);
int maildir_folder_create(struct store_user *u, const char *name);
int maildir_folder_delete(struct store_user *u, const char *name);
int maildir_folder_rename(struct store_user *u, const char *oldname,
			  const char *newname);
int maildir_subscribe(struct store_user *u, const char *name, bool on);
int maildir_folder_status(struct store_user *u, const char *name,
			  struct store_status *st);
int maildir_folder_exists(struct store_user *u, const char *name);
int maildir_mailbox_open(struct store_user *u, const char *name,
			 bool readonly, struct store_mailbox **mb_r);
void maildir_mailbox_close(struct store_mailbox *mb);
uint32_t maildir_mailbox_count(const struct store_mailbox *mb);
uint32_t maildir_mailbox_uidvalidity(const struct store_mailbox *mb);
uint32_t maildir_mailbox_uidnext(const struct store_mailbox *mb);
uint32_t maildir_mailbox_recent_count(const struct store_mailbox *mb);
uint32_t maildir_mailbox_first_unseen(const struct store_mailbox *mb);
bool maildir_mailbox_readonly(const struct store_mailbox *mb);
const struct store_msg *maildir_msg_get(const struct store_mailbox *mb,
					uint32_t seq);
uint32_t maildir_msg_seq_by_uid(const struct store_mailbox *mb,
				uint32_t uid);
/* maildir_crlf_size: the size of the file open on fd (read to its end)
 * with every bare LF counted as CRLF (RFC822.SIZE). 0 or -ERR_*. */
int maildir_crlf_size(int fd, uint64_t *size_r);
int maildir_msg_size(struct store_mailbox *mb, uint32_t seq,
		     uint64_t *size_r);
int maildir_msg_internal_date(struct store_mailbox *mb, uint32_t seq,
			      time_t *date_r);
int maildir_msg_open(struct store_mailbox *mb, uint32_t seq, int *fd_r);
int maildir_msg_path(struct store_mailbox *mb, uint32_t seq, char *buf,
		     size_t size);
const char *const *maildir_mailbox_keywords(const struct store_mailbox *mb,
					    unsigned *count_r);
int maildir_mailbox_watch(struct store_mailbox *mb, store_watch_fn *fn,
			  void *ctx);
void maildir_mailbox_unwatch(struct store_mailbox *mb);
int maildir_mailbox_sync(struct store_mailbox *mb,
			 const struct store_sync_cb *cb, void *ctx);
/* maildir_msg_expunged: store_msg_expunged for Maildir: the message's UID
 * is no longer in the shared folder's records. */
bool maildir_msg_expunged(struct store_mailbox *mb, uint32_t seq);
int maildir_msg_set_flags(struct store_mailbox *mb, uint32_t seq,
			  uint64_t unchangedsince, enum store_flags_mode mode,
			  unsigned flags, const char *const *keywords,
			  size_t n);
uint64_t maildir_mailbox_highestmodseq(const struct store_mailbox *mb);
int maildir_mailbox_vanished(struct store_mailbox *mb, uint64_t since,
			     struct arena *a,
			     struct store_uid_range **ranges_r, size_t *n_r);
int maildir_mailbox_expunge(struct store_mailbox *mb,
			    const struct store_uid_range *ranges, size_t n,
			    store_expunged_fn *expunged,
			    void *ctx);
void maildir_view_remove(struct maildir_mailbox *v, uint32_t seq);
int maildir_append_begin(struct store_user *u, const char *name,
			 unsigned flags, const char *const *keywords,
			 size_t n, time_t internal_date,
			 uint64_t expected_size, struct store_append **a_r);
int maildir_append_write(struct store_append *a, const void *data,
			 size_t n);
int maildir_append_finish(struct store_append **as, size_t n,
			  uint32_t *uidvalidity_r, uint32_t *uids_r);
void maildir_append_abort(struct store_append *a);
int maildir_copy(struct store_mailbox *mb, const uint32_t *seqs, size_t n,
		 const char *dest, bool move, uint32_t *uidvalidity_r,
		 uint32_t *dest_uids_r,
		 store_expunged_fn *expunged, void *ctx);
int maildir_pop3_uidl(struct store_mailbox *mb, uint32_t seq, char *buf,
		      size_t size);
int maildir_pop3_lock(struct store_mailbox *mb);
void maildir_pop3_unlock(struct store_mailbox *mb);

#endif
