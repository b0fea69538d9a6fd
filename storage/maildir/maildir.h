/* Maildock - SPDX-License-Identifier: MIT
 *
 * Backend-private types of the Maildir++ storage: the shared per-folder
 * object (one per folder directory per process, reference-counted, under its
 * own mutex), session views, the user, and the helpers the maildir-*.c files
 * share, and the store_ops members. Each module's own functions are in
 * its header (maildir-uidlist.h, maildir-keywords.h, maildir-sync.h,
 * maildir-cache.h, maildir-tree.h, maildir-quota.h). Nothing outside
 * storage/ includes these headers.
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
	dev_t id_dev;			/* the folder this object is: its */
	ino_t id_ino;			/* cur/ when made (never changes) */
	atomic_bool gone;		/* that folder was deleted, renamed
					 * away or replaced (set under lock) */
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
		 const struct store_copy_dest *d, bool move,
		 uint32_t *uidvalidity_r, uint32_t *dest_uids_r,
		 store_expunged_fn *expunged, void *ctx);
int maildir_pop3_uidl(struct store_mailbox *mb, uint32_t seq, char *buf,
		      size_t size);
int maildir_pop3_lock(struct store_mailbox *mb);
void maildir_pop3_unlock(struct store_mailbox *mb);

#endif
