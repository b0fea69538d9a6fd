/* Maildock - SPDX-License-Identifier: MIT
 *
 * The storage interface (STYLE C9): everything IMAP and POP3 need from a
 * user's mailboxes, with no knowledge of sockets or IMAP syntax. The Maildir++
 * backend implements it behind a private vtable (storage/store-private.h);
 * protocols include only this header.
 *
 * Conventions used below:
 * - Functions return 0 on success or a negative -ERR_* code (core/error.h);
 *   a positive result appears only where a comment says so.
 * - Folder names are UTF-8, hierarchy delimiter '.', "INBOX" matched
 *   case-insensitively (RFC 3501 5.1). The IMAP layer converts from and to
 *   modified UTF-7 on the wire with store_mutf7_decode/_encode. A name with
 *   '/', "..", an empty or leading-'.' component, a control character or
 *   invalid UTF-8 is refused with -ERR_INVAL before any file system call.
 * - Sequence numbers are 1-based and belong to one struct store_mailbox (a
 *   session's view); they change only inside store_mailbox_sync and
 *   store_mailbox_expunge / store_move (RFC 3501 7.4.1).
 * - Threads: a struct store_user and the objects opened from it belong to
 *   one session thread and are NOT thread-safe. Behind them, one shared
 *   object per folder per process (reference-counted, under a named mutex)
 *   lets sessions in other threads see each other's changes; those parts
 *   are internal and thread-safe. store_mutf7_* are pure and thread-safe.
 */
#ifndef STORAGE_STORE_H
#define STORAGE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct store_user;	/* one logged-in user's Maildir (opaque) */
struct store_mailbox;	/* one session's view of one folder (opaque) */
struct store_append;	/* one message being appended (opaque) */
struct arena;		/* core/arena.h */
struct store_uid_range;	/* below */
struct mime_message;	/* storage/mime/mime.h */

/* System flags, a bitmask (RFC 3501 2.3.2). STORE_FLAG_RECENT is read-only:
 * it is ignored by store_msg_set_flags and store_append_begin. */
#define STORE_FLAG_SEEN		0x01u	/* \Seen      Maildir 'S' */
#define STORE_FLAG_ANSWERED	0x02u	/* \Answered  Maildir 'R' */
#define STORE_FLAG_FLAGGED	0x04u	/* \Flagged   Maildir 'F' */
#define STORE_FLAG_DELETED	0x08u	/* \Deleted   Maildir 'T' */
#define STORE_FLAG_DRAFT	0x10u	/* \Draft     Maildir 'D' */
#define STORE_FLAG_RECENT	0x20u	/* \Recent (session-local) */
#define STORE_FLAGS_PERMANENT	0x1fu	/* what a client may change */

/* Limits. A keyword longer than STORE_KEYWORD_MAXLEN bytes, or a folder
 * with more than STORE_KEYWORDS_MAX distinct keywords, is -ERR_LIMIT. */
#define STORE_KEYWORD_MAXLEN	100
#define STORE_KEYWORDS_MAX	1024
#define STORE_NAME_MAXLEN	512	/* UTF-8 folder name, bytes */
#define STORE_POP3_UIDL_MAX	71	/* RFC 1939 7: 70 chars + NUL */

/* Folder attributes for store_folder_list (RFC 3501 7.2.2, RFC 3348,
 * RFC 5258). */
#define STORE_ATTR_NOSELECT	0x01u	/* exists only as a parent */
#define STORE_ATTR_HASCHILDREN	0x02u
#define STORE_ATTR_HASNOCHILDREN 0x04u
#define STORE_ATTR_SUBSCRIBED	0x08u
#define STORE_ATTR_NONEXISTENT	0x10u	/* subscribed, but not on disk */

/* ------------------------------------------------------------------ */
/* Settings (conf.d/40-maildir.conf) */

struct conf_table;

/* store_conf_table: the maildir.* settings (lock_timeout, lock_stale,
 * pop3_lock_stale, fsync, utf8_folder_names). Register it with
 * conf_register at start-up.
 * store_user_open applies the current generation's values. */
extern const struct conf_table store_conf_table;

/* store_settings_apply: copy the current configuration's maildir.* values
 * into the backend; called by store_user_open. Thread-safe. */
void store_settings_apply(void);

/* ------------------------------------------------------------------ */
/* Users */

/* store_user_open: open the Maildir at maildir_path (absolute; created with
 * tmp/ new/ cur/, mode 0700, when missing) for the calling session.
 * quota_rule is a Maildir++ rule ("10000000S,1000C", S = bytes, C =
 * messages) from the auth backend, or NULL/"" to use the one already in
 * maildirsize (or none). On success *u_r is owned by the caller (release
 * with store_user_close) and 0 is returned. Errors: -ERR_INVAL (relative
 * path, bad quota rule), -ERR_PERM, -ERR_IO, -ERR_NOSPACE; *error_r then
 * points to a static or u-independent thread-local text. Thread-safe. */
int store_user_open(const char *maildir_path, const char *quota_rule,
		    struct store_user **u_r, const char **error_r);

/* store_user_close: close every mailbox view still open from *u (without
 * expunging), free it and set *u to NULL. NULL-safe. */
void store_user_close(struct store_user **u);

/* store_user_error: a short English text for the last failure of a call on
 * u or on an object opened from it (e.g. the errno text behind -ERR_IO),
 * for logs; never NULL. Valid until the next call on u. */
const char *store_user_error(const struct store_user *u);

/* ------------------------------------------------------------------ */
/* Folders (Maildir++: INBOX is the Maildir, "A.B" is the directory ".A.B"
 * with the file "maildirfolder"). On-disk names are modified UTF-7 as
 * Courier-IMAP 4 and Dovecot write them, or UTF-8 as Courier-IMAP 5 does
 * (maildir.utf8_folder_names); both spellings are read, so Maildirs move
 * between Courier, Dovecot and Maildock unchanged. */

/* Called once per folder with its UTF-8 name (valid during the call only)
 * and STORE_ATTR_* bits. Return 0 to go on, non-zero to stop (the listing
 * call then returns that value). */
typedef int store_folder_fn(void *ctx, const char *name, unsigned attrs);

/* store_folder_list: every folder of u, INBOX first, then the others in
 * byte order of their names, including \Noselect parents that exist only
 * because a child does. Pattern matching (LIST "*"/"%") is the caller's.
 * With subscribed_only, lists the subscriptions instead (LSUB and
 * LIST (SUBSCRIBED)): folders that no longer exist get NONEXISTENT.
 * Returns 0, fn's non-zero value, or -ERR_IO. */
int store_folder_list(struct store_user *u, bool subscribed_only,
		      store_folder_fn *fn, void *ctx);

/* store_folder_create: create folder name and any missing parents
 * (RFC 3501 6.3.3). A trailing '.' is ignored (the client declares a
 * future parent). Errors: -ERR_INVAL (bad name), -ERR_EXISTS (it, or
 * INBOX in any case, exists), -ERR_IO, -ERR_PERM. */
int store_folder_create(struct store_user *u, const char *name);

/* store_folder_delete: delete folder name and its messages; its children
 * stay (the name becomes a \Noselect parent if it has any), RFC 3501
 * 6.3.4. Errors: -ERR_INVAL (bad name), -ERR_PERM (INBOX), -ERR_NOTFOUND,
 * -ERR_IO. Sessions that have it open see every message expunged. */
int store_folder_delete(struct store_user *u, const char *name);

/* store_folder_rename: rename oldname to newname together with its
 * children, creating newname's missing parents. Renaming INBOX moves
 * INBOX's messages into newname (created) and leaves INBOX empty, RFC
 * 3501 6.3.5. Subscriptions follow the rename. Errors: -ERR_INVAL (bad
 * name, or newname below oldname), -ERR_NOTFOUND, -ERR_EXISTS (newname
 * exists), -ERR_IO. */
int store_folder_rename(struct store_user *u, const char *oldname,
			const char *newname);

/* store_subscribe: add (on) or remove (!on) name in the subscription list
 * (file "courierimapsubscribed", one "INBOX.<on-disk name>" per line as
 * Courier writes it, rewritten atomically). Subscribing a name that does
 * not exist is allowed (RFC 3501 6.3.6). Errors: -ERR_INVAL,
 * -ERR_NOTFOUND (unsubscribing a name that is not subscribed), -ERR_IO. */
int store_subscribe(struct store_user *u, const char *name, bool on);

/* Counters of store_folder_status, RFC 3501 6.3.10. */
struct store_status {
	uint32_t messages;
	uint32_t recent;	/* not yet claimed by any session */
	uint32_t uidnext;
	uint32_t uidvalidity;
	uint32_t unseen;	/* messages without \Seen */
	uint64_t highestmodseq;	/* RFC 7162 HIGHESTMODSEQ */
};

/* store_folder_status: fill *st for folder name without opening a view (new
 * messages get their UIDs; \Recent is not taken). Errors: -ERR_INVAL,
 * -ERR_NOTFOUND (also for a \Noselect parent), -ERR_IO, -ERR_TIMEOUT (the
 * UID list lock was not obtained in time). */
int store_folder_status(struct store_user *u, const char *name,
			struct store_status *st);

/* store_folder_exists: 1 when name is a selectable folder, 0 when not (or
 * the name is invalid). */
int store_folder_exists(struct store_user *u, const char *name);

/* store_mutf7_encode: UTF-8 in[0..n) to modified UTF-7 (RFC 3501 5.1.3)
 * into out (size bytes, NUL-terminated). Returns the output length, or
 * -ERR_INVAL for invalid UTF-8, -ERR_LIMIT when out is too small.
 * store_mutf7_decode: the reverse; -ERR_INVAL for a malformed or
 * non-canonical modified UTF-7 string (so a name has one spelling). Pure,
 * thread-safe. */
int store_mutf7_encode(const char *in, size_t n, char *out, size_t size);
int store_mutf7_decode(const char *in, size_t n, char *out, size_t size);

/* ------------------------------------------------------------------ */
/* Mailbox views (SELECT / EXAMINE / POP3 maildrop) */

/* store_mailbox_open: open a view of folder name for one session. A
 * writable view (!readonly) takes \Recent for every message that no
 * session has seen yet, so that each message is recent to exactly one
 * session (RFC 3501 2.3.2); a read-only view (EXAMINE) takes none and
 * refuses changes. New messages get UIDs (under the UID list lock).
 * On success *mb_r is owned by the caller (store_mailbox_close; also
 * closed by store_user_close). Errors: -ERR_INVAL, -ERR_NOTFOUND (no such
 * folder, or \Noselect), -ERR_IO, -ERR_TIMEOUT (UID list lock). */
int store_mailbox_open(struct store_user *u, const char *name, bool readonly,
		       struct store_mailbox **mb_r);

/* store_mailbox_close: release the view; never expunges (CLOSE calls
 * store_mailbox_expunge first). NULL-safe; sets *mb to NULL. */
void store_mailbox_close(struct store_mailbox **mb);

/* View counters, as of the last sync: message count (EXISTS),
 * UIDVALIDITY, UIDNEXT, messages recent to this view, and the sequence
 * number of the first message without \Seen (0 when all are seen). */
uint32_t store_mailbox_count(const struct store_mailbox *mb);
uint32_t store_mailbox_uidvalidity(const struct store_mailbox *mb);
uint32_t store_mailbox_uidnext(const struct store_mailbox *mb);
uint32_t store_mailbox_recent_count(const struct store_mailbox *mb);
uint32_t store_mailbox_first_unseen(const struct store_mailbox *mb);
bool store_mailbox_readonly(const struct store_mailbox *mb);

/* store_mailbox_highestmodseq: the folder's HIGHESTMODSEQ as of the view's
 * last sync (RFC 7162 3.1.2.1): no message of the view has a higher MODSEQ.
 * Every folder keeps modseqs (a persistent log beside the UID list), so
 * it is >= 1, except 0 for a folder whose log cannot be written (a
 * read-only Maildir): the IMAP layer then answers NOMODSEQ. */
uint64_t store_mailbox_highestmodseq(const struct store_mailbox *mb);

/* store_mailbox_vanished: the UIDs below the view's UIDNEXT that are not
 * in the view and were expunged with a modseq above since, as ascending
 * ranges in arena a (*n_r of them, possibly 0), for VANISHED (RFC 7162
 * 3.2.6, 3.2.5.2). When since is older than the expunges the folder still
 * remembers (a bounded number per folder), every UID below UIDNEXT that
 * is not in the view is reported, which RFC 7162 3.2.5.2 allows. Errors:
 * -ERR_LIMIT (a's cap). */
int store_mailbox_vanished(struct store_mailbox *mb, uint64_t since,
			   struct arena *a, struct store_uid_range **ranges_r,
			   size_t *n_r);

/* One message of a view. Owned by the view; valid until the next
 * store_mailbox_sync, store_mailbox_expunge, store_move or close. */
struct store_msg {
	uint32_t uid;
	unsigned flags;			/* STORE_FLAG_*, incl. RECENT */
	uint64_t modseq;		/* RFC 7162 MODSEQ, >= 1 */
	unsigned keyword_count;
	const unsigned *keywords;	/* ids into store_mailbox_keywords */
};

/* store_msg_get: message seq (1..count) of the view, or NULL when seq is
 * out of range. */
const struct store_msg *store_msg_get(const struct store_mailbox *mb,
				      uint32_t seq);

/* store_msg_seq_by_uid: the sequence number of uid in the view, or 0 when
 * the view has no such message. O(log n). */
uint32_t store_msg_seq_by_uid(const struct store_mailbox *mb, uint32_t uid);

/* store_msg_size: RFC822.SIZE of message seq in octets, counting every
 * line end as CRLF (RFC 3501 2.3.4), from the file name's ",W=" when
 * present, else computed by reading the file once and cached. Errors:
 * -ERR_INVAL (bad seq), -ERR_NOTFOUND (expunged by someone else), -ERR_IO. */
int store_msg_size(struct store_mailbox *mb, uint32_t seq, uint64_t *size_r);

/* store_msg_internal_date: INTERNALDATE of message seq as a time_t (the
 * file's mtime, set by APPEND to the date the client gave). Errors as for
 * store_msg_size. */
int store_msg_internal_date(struct store_mailbox *mb, uint32_t seq,
			    time_t *date_r);

/* store_msg_open: open message seq read-only; *fd_r is owned by the caller
 * (close it). The file holds the message as delivered: lines end in LF or
 * CRLF, the IMAP layer converts. Errors: -ERR_INVAL (bad seq),
 * -ERR_NOTFOUND (expunged by another session or process), -ERR_IO. */
int store_msg_open(struct store_mailbox *mb, uint32_t seq, int *fd_r);

/* store_msg_parsed: the MIME structure of message seq (storage/mime/mime.h)
 * allocated in arena a. With !with_bytes it comes from the folder's cache
 * (file "maildock-cache") when present, without reading the message file:
 * ENVELOPE, BODY, BODYSTRUCTURE and RFC822.SIZE can be answered, but
 * sections, header access and text need with_bytes. With with_bytes the
 * file's bytes come into a: read whole up to 256 KiB, mapped above (the
 * mapping is released when a is reset); on a cache hit the cached tree
 * takes them (their size must match the entry, else they are parsed
 * again), on a miss they are parsed and the cache is filled for the next
 * time. Protocol code wanting a message's bytes or header uses the handle
 * of storage/store-mail.h, which comes here. Errors:
 * -ERR_INVAL (bad seq), -ERR_NOTFOUND (expunged by someone else), -ERR_IO,
 * -ERR_LIMIT (a's cap). */
int store_msg_parsed(struct store_mailbox *mb, uint32_t seq, struct arena *a,
		     bool with_bytes, struct mime_message **msg_r);

/* store_msg_path: the current path of message seq's file (for logs and
 * tools), NUL-terminated into buf (size bytes). Errors: -ERR_INVAL,
 * -ERR_LIMIT (buf too small). The path may change under a flag change. */
int store_msg_path(struct store_mailbox *mb, uint32_t seq, char *buf,
		   size_t size);

/* store_mailbox_keywords: the folder's keyword names, indexed by the ids
 * in struct store_msg; *count_r names. Owned by the view, valid until the
 * next sync (ids stay stable for the life of the view; names are only
 * added). Used for the FLAGS response. */
const char *const *store_mailbox_keywords(const struct store_mailbox *mb,
					  unsigned *count_r);

/* A removed message: seq (valid at the time of the call) and its UID;
 * see store_sync_cb.expunged. */
typedef void store_expunged_fn(void *ctx, uint32_t seq, uint32_t uid);

/* Callbacks of store_mailbox_sync; any may be NULL. */
struct store_sync_cb {
	/* Message seq (UID uid) is gone; seq is valid at the time of the
	 * call (earlier calls already renumbered), calls come highest seq
	 * first so the IMAP layer can print "* <seq> EXPUNGE" (or VANISHED
	 * with the UID, RFC 7162 3.2.10) as it goes. The same callback shape
	 * reports removals in store_mailbox_expunge and store_move. */
	store_expunged_fn *expunged;
	/* The message count is now count (called once, after all expunges,
	 * when new messages arrived). */
	void (*exists)(void *ctx, uint32_t count);
	/* Flags, keywords or MODSEQ of seq (new numbering) were changed by
	 * another session or process; read them with store_msg_get. */
	void (*flags_changed)(void *ctx, uint32_t seq);
	/* The recent count changed (RECENT response). */
	void (*recent)(void *ctx, uint32_t count);
};

/* store_mailbox_sync: bring the view up to date with the folder: reports
 * expunges, new messages and flag changes made by other sessions and
 * processes (new/ deliveries included; they get UIDs, and \Recent when
 * this view is writable and nobody has claimed them). This is the only
 * call that renumbers a view except the view's own expunge/move; the IMAP
 * layer calls it where RFC 3501 7.4.1 allows untagged EXPUNGE (not during
 * FETCH/STORE/SEARCH). Cheap when nothing changed. Errors: -ERR_IO,
 * -ERR_TIMEOUT; the view is then unchanged. -ERR_NOTFOUND: the view's
 * mailbox is gone for good (deleted, renamed away, replaced by a new one
 * of that name, or given a new UIDVALIDITY): its UIDs name nothing, and
 * every later sync says so too; the session must close the view (IMAP
 * ends the session with BYE). */
int store_mailbox_sync(struct store_mailbox *mb, const struct store_sync_cb *cb,
		       void *ctx);

/* A change callback (store_mailbox_watch). */
typedef void store_watch_fn(void *ctx);

/* store_mailbox_watch: from now until store_mailbox_unwatch (or close),
 * fn(ctx) is called whenever the folder may have changed: a change by
 * another session of this process, or one by another program seen by
 * inotify on new/ and cur/ (one inotify instance and one watch per folder
 * for the whole process, shared by every view). fn runs in any thread,
 * possibly with storage locks held: it must only record the wake-up (no
 * store_* call, nothing that blocks). Call store_mailbox_sync after
 * registering, so a change just before it is not missed. One watch per
 * view; watching again replaces fn and ctx.
 * Returns 1 when other programs' changes are reported too, 0 when not
 * (inotify unavailable or at its limit, or NFS, where inotify sees no
 * remote change): then also sync every few seconds (IDLE). */
int store_mailbox_watch(struct store_mailbox *mb, store_watch_fn *fn,
			void *ctx);

/* store_mailbox_unwatch: stop calling the view's watch callback; after it
 * returns, fn is not running and will not run again. No-op when the view
 * does not watch. */
void store_mailbox_unwatch(struct store_mailbox *mb);

enum store_flags_mode {
	STORE_FLAGS_SET,	/* FLAGS */
	STORE_FLAGS_ADD,	/* +FLAGS */
	STORE_FLAGS_REMOVE,	/* -FLAGS */
};

/* store_msg_expunged: whether message seq of the view is gone from the
 * folder (expunged by another session or process) though the view still
 * counts it until its next sync (RFC 2180 4). false for a bad seq.
 * Thread-safe like the other calls on one view. */
bool store_msg_expunged(struct store_mailbox *mb, uint32_t seq);

/* store_msg_set_flags: change the flags and keywords of message seq (RFC
 * 3501 6.4.6): flags is a STORE_FLAG_* mask (RECENT ignored), keywords[]
 * are n names (validated: no control chars, space, parentheses, '{', '%',
 * '*', '"', '\\', ']'; at most STORE_KEYWORD_MAXLEN bytes; new names are
 * added to the folder). The view's own store_msg is updated at once and
 * other views see it at their next sync. A message expunged by someone
 * else is silently skipped (returns 0). Errors: -ERR_PERM (read-only view),
 * -ERR_INVAL (bad seq or keyword), -ERR_LIMIT (too many keywords), -ERR_IO. */
int store_msg_set_flags(struct store_mailbox *mb, uint32_t seq,
			enum store_flags_mode mode, unsigned flags,
			const char *const *keywords, size_t n);

/* store_msg_set_flags_if: store_msg_set_flags only when the message's
 * MODSEQ is still <= unchangedsince (STORE UNCHANGEDSINCE, RFC 7162
 * 3.1.3), checked and applied under the folder's lock; returns 1 (and
 * changes nothing) when it is higher. STORE_MODSEQ_ANY applies always. */
#define STORE_MODSEQ_ANY UINT64_MAX
int store_msg_set_flags_if(struct store_mailbox *mb, uint32_t seq,
			   uint64_t unchangedsince, enum store_flags_mode mode,
			   unsigned flags, const char *const *keywords,
			   size_t n);

/* A closed UID range; first <= last. */
struct store_uid_range {
	uint32_t first, last;
};

/* store_mailbox_expunge: remove the view's messages that have \Deleted and,
 * when ranges is non-NULL, whose UID is in one of the n ranges (UID
 * EXPUNGE, RFC 4315 2.1). expunged(ctx, seq) is called per removed
 * message, highest seq first, seq valid at the time of the call (the
 * "* n EXPUNGE" lines of RFC 3501 6.4.3); NULL for CLOSE. Files already
 * gone are not an error. Errors: -ERR_PERM (read-only), -ERR_IO (some
 * files could not be removed; the others are). */
int store_mailbox_expunge(struct store_mailbox *mb,
			  const struct store_uid_range *ranges, size_t n,
			  store_expunged_fn *expunged, void *ctx);

/* ------------------------------------------------------------------ */
/* APPEND, COPY, MOVE */

/* store_append_begin: start a message for folder name (RFC 3501 6.3.11):
 * flags (STORE_FLAG_*, RECENT ignored), n keywords, internal_date (0:
 * now), expected_size the message size in octets when known (0 if not),
 * used to refuse over quota before the data is sent. The message is
 * written into tmp/ and is invisible until store_append_finish. *a_r is
 * owned by the caller until finish or abort. Errors: -ERR_INVAL,
 * -ERR_NOTFOUND (no such folder: the IMAP layer adds [TRYCREATE]),
 * -ERR_QUOTA, -ERR_LIMIT (keywords), -ERR_IO, -ERR_NOSPACE. */
int store_append_begin(struct store_user *u, const char *name,
		       unsigned flags, const char *const *keywords, size_t n,
		       time_t internal_date, uint64_t expected_size,
		       struct store_append **a_r);

/* store_append_write: append data[0..n) to the message. Streamed to the
 * file, never buffered whole. Errors: -ERR_IO, -ERR_NOSPACE, -ERR_QUOTA
 * (the message grew past the quota). After an error the caller must still
 * call store_append_abort. */
int store_append_write(struct store_append *a, const void *data, size_t n);

/* store_append_finish: fsync the file, move it into cur/ (link, fsync the
 * directory), assign its UID, free *a and set it to NULL (also on error).
 * *uidvalidity_r and *uid_r (either may be NULL) are for APPENDUID (RFC
 * 4315 3). A crash at any point leaves either no message or the whole
 * message. Errors: -ERR_IO, -ERR_NOSPACE, -ERR_QUOTA, -ERR_TIMEOUT. */
int store_append_finish(struct store_append **a, uint32_t *uidvalidity_r,
			uint32_t *uid_r);

/* store_append_finish_all: store_append_finish for n >= 1 messages of one
 * folder at once (MULTIAPPEND, RFC 3502): all are delivered or none (a
 * failure removes those already linked), their UIDs are consecutive,
 * assigned under one lock, in order into uids_r[0..n). Every as[i] is
 * freed and set to NULL, also on error. Errors as store_append_finish,
 * plus -ERR_INVAL (messages for different folders). A crash while linking
 * can leave the first messages without the rest. */
int store_append_finish_all(struct store_append **as, size_t n,
			    uint32_t *uidvalidity_r, uint32_t *uids_r);

/* store_append_abort: discard the message (removes its tmp/ file), free *a,
 * set it to NULL. NULL-safe. */
void store_append_abort(struct store_append **a);

/* store_copy: copy the view's messages seqs[0..n) (in that order) with
 * their flags and keywords (\Recent is not copied) into folder dest, by
 * hard links when on one file system. All or nothing: on error no copy is
 * left in dest. On success the destination UIDs, in the same order, are
 * written to dest_uids_r[0..n) (caller-allocated, may be NULL) and
 * *uidvalidity_r (may be NULL) for COPYUID (RFC 4315 3). Messages
 * expunged meanwhile by someone else are skipped and their dest_uids_r
 * entry is 0. Errors: -ERR_INVAL (bad seq or name), -ERR_NOTFOUND (dest
 * missing: [TRYCREATE]), -ERR_QUOTA, -ERR_IO, -ERR_NOSPACE. */
int store_copy(struct store_mailbox *mb, const uint32_t *seqs, size_t n,
	       const char *dest, uint32_t *uidvalidity_r,
	       uint32_t *dest_uids_r);

/* store_move: store_copy, then remove the sources from this folder, as one
 * operation for other sessions (RFC 6851): a message is never visible in
 * both folders to a new session after success, and never in neither.
 * expunged(ctx, seq) reports the removed sources as store_mailbox_expunge
 * does. Errors as store_copy, plus -ERR_PERM (read-only view). */
int store_move(struct store_mailbox *mb, const uint32_t *seqs, size_t n,
	       const char *dest, uint32_t *uidvalidity_r,
	       uint32_t *dest_uids_r,
	       store_expunged_fn *expunged, void *ctx);

/* Where store_copy_to puts the copies. */
struct store_copy_dest {
	struct store_user *user;	/* mb's own user, or another one */
	const char *name;		/* a folder of user (UTF-8) */
	unsigned keep_flags;		/* STORE_FLAG_* the copies keep */
	bool keep_keywords;		/* else the copies have none */
};

/* store_copy_to: store_copy (move false) or store_move (move true) into
 * folder dest->name of dest->user, which may be another user's Maildir (a
 * shared folder, RFC 4314; the caller has checked the rights there and
 * says through keep_flags and keep_keywords what the copies may keep).
 * Same contract and outputs as store_copy/store_move: all or nothing,
 * COPYUID's UIDs assigned under the destination's UID list lock, a moved
 * message in exactly one folder at every instant (rename(2)). Across two
 * Maildirs, a file is linked or renamed when it is on the destination's
 * file system and owned by the destination's owner, else copied through
 * the destination's tmp/ (a moved source is removed only once every copy
 * exists); the copies must fit the destination's quota whole (COPY and
 * MOVE), and the source's usage loses what moved. Both Maildirs' tree
 * locks are held shared, taken in the order of their paths. Errors as
 * store_move, -ERR_INVAL when dest->user is of another backend.
 * Threads: as every call on mb (the session's thread). */
int store_copy_to(struct store_mailbox *mb, const uint32_t *seqs, size_t n,
		  const struct store_copy_dest *dest, bool move,
		  uint32_t *uidvalidity_r, uint32_t *dest_uids_r,
		  store_expunged_fn *expunged, void *ctx);

/* ------------------------------------------------------------------ */
/* Quota (Maildir++ maildirsize; RFC 2087 QUOTA) */

/* store_quota_get: current usage and limits of u's Maildir (all folders):
 * bytes_used/bytes_limit in octets, msgs_used/msgs_limit in messages; a
 * limit of 0 means none. Recalculates maildirsize when it is missing or
 * too large. Any output pointer may be NULL. Errors: -ERR_IO. */
int store_quota_get(struct store_user *u, uint64_t *bytes_used,
		    uint64_t *bytes_limit, uint64_t *msgs_used,
		    uint64_t *msgs_limit);

/* store_quota_recalc: count u's messages and bytes in every folder again
 * and rewrite maildirsize with its rule and the new totals (as a missing
 * or oversized maildirsize is; maildock-admin quota recalc). A Maildir
 * without a quota is left alone. Returns 0, or -ERR_IO. */
int store_quota_recalc(struct store_user *u);

/* ------------------------------------------------------------------ */
/* POP3 helpers (RFC 1939) */

/* store_pop3_uidl: the UIDL of message seq into buf (size bytes,
 * >= STORE_POP3_UIDL_MAX), the string Courier's pop3d gives for it:
 * "UID<n>-<uidvalidity>" from the folder's courierpop3dsizelist (version 3:
 * header "/3 <nextuid> <uidv>", lines "<file> <size> <n>:<uidv>:<utf8>"),
 * which Maildock keeps up to date exactly as Courier does (messages new to
 * the list numbered in arrival order of their file names), so a client that
 * moves between Courier and Maildock downloads nothing twice. Errors:
 * -ERR_INVAL (bad seq), -ERR_LIMIT (buf too small), -ERR_IO. */
int store_pop3_uidl(struct store_mailbox *mb, uint32_t seq, char *buf,
		    size_t size);

/* store_pop3_lock: take the exclusive POP3 maildrop lock of the view's
 * Maildir (RFC 1939 8: one POP3 session per maildrop), across processes:
 * a lock file holding pid and host; a lock older than 30 minutes or whose
 * pid is dead on this host is stale and taken over. Errors: -ERR_BUSY
 * (held by another session), -ERR_IO. store_pop3_unlock releases it
 * (also done by store_mailbox_close). */
int store_pop3_lock(struct store_mailbox *mb);
void store_pop3_unlock(struct store_mailbox *mb);

#endif
