/* Maildock - SPDX-License-Identifier: MIT
 *
 * Access control lists of folders (RFC 4314, with Courier's ACL2=UNION
 * rule): read and write a folder's ACL in Courier-IMAP's own file format,
 * compute what a user may do, and the per-user index of the owners who
 * shared something with that user (for the other-users namespace). The
 * IMAP layer formats all of it; nothing here knows IMAP syntax.
 *
 * On disk (compatible with Courier-IMAP, courier-libs maildir/maildiraclt.c
 * maildir_acl_read/maildir_acl_write and maildiracl(1)):
 * - the ACL of a folder is the file "courierimapacl" in the folder's
 *   directory (the Maildir itself for INBOX); a folder that exists only as
 *   a hierarchy parent keeps it in "<Maildir>/courierimaphieracl/<A.B>";
 * - one entry per line, "<identifier> <rights>\n"; the identifier has no
 *   byte <= ' ', the rights are letters in byte order; lines that do not
 *   parse are ignored (as Courier "sweeps crap under the carpet");
 * - identifiers: "owner", "anyone" (and its synonym "anonymous"),
 *   "user=<login>", "group=<name>", "administrators"; a leading '-' makes
 *   a negative entry, whose rights are taken away;
 * - rights letters are RFC 4314's; the "create subfolders" right is
 *   written as the client spelled it, 'k' (RFC 4314) or 'c' (RFC 2086,
 *   Courier's ACL_CREATE, also in its default entries), as Courier's
 *   imapd keeps it (STORE_ACL_AS_C / _AS_K); reading maps both to k, and
 *   RFC 2086's 'd' to x t e (Courier's imapd writes it "etx").
 * A folder without a file inherits the ACL of its nearest ancestor folder
 * that has one (Courier copies the parent's list on first use); INBOX's
 * ACL is NOT inherited by top-level folders, so sharing INBOX shares
 * nothing else. Without any file the ACL is Courier's default,
 * "owner aceilrstwx" and "administrators aceilrstwx" (every right but p,
 * Courier's ACL_ALL): the first SETACL writes those entries too, so the
 * file is the one Courier's imapd would have written.
 *
 * Threads: every function is thread-safe; none keeps state between calls.
 */
#ifndef STORAGE_STORE_ACL_H
#define STORAGE_STORE_ACL_H

#include <stdbool.h>
#include <stddef.h>

struct store_user;

/* Rights (RFC 4314 2.1), one bit each, in the order of STORE_ACL_LETTERS. */
#define STORE_ACL_LOOKUP	(1u << 0)	/* l: LIST shows it */
#define STORE_ACL_READ		(1u << 1)	/* r: SELECT, STATUS, FETCH */
#define STORE_ACL_SEEN		(1u << 2)	/* s: keep \Seen */
#define STORE_ACL_WRITE		(1u << 3)	/* w: other flags, keywords */
#define STORE_ACL_INSERT	(1u << 4)	/* i: APPEND, COPY into */
#define STORE_ACL_POST		(1u << 5)	/* p: post (not enforced) */
#define STORE_ACL_CREATE	(1u << 6)	/* k: CREATE below */
#define STORE_ACL_DELETE	(1u << 7)	/* x: DELETE, RENAME */
#define STORE_ACL_DELMSG	(1u << 8)	/* t: \Deleted */
#define STORE_ACL_EXPUNGE	(1u << 9)	/* e: EXPUNGE */
#define STORE_ACL_ADMIN		(1u << 10)	/* a: SETACL, GETACL ... */
#define STORE_ACL_ALL		0x7ffu
/* How an entry's create right is spelled on disk (see above): beside
 * STORE_ACL_CREATE in entries only, never in a rights check; neither bit
 * means 'c'. */
#define STORE_ACL_AS_C		(1u << 11)
#define STORE_ACL_AS_K		(1u << 12)
/* Courier's ACL_ALL, "aceilrstwx": the rights of its default entries */
#define STORE_ACL_COURIER_ALL	(STORE_ACL_ALL & ~STORE_ACL_POST)
#define STORE_ACL_LETTERS	"lrswipkxtea"

#define STORE_ACL_IDENT_MAX	255	/* bytes of an identifier */
#define STORE_ACL_ENTRIES_MAX	32	/* entries of one ACL */
#define STORE_ACL_RIGHTS_MAX	16	/* buffer for a rights string */

/* One ACL entry: ident as written on disk ("owner", "anyone",
 * "user=bob@example.org", "-user=carol@example.org", ...). */
struct store_acl_entry {
	char ident[STORE_ACL_IDENT_MAX + 2];	/* + the '-' */
	unsigned rights;			/* STORE_ACL_* */
};

/* A folder's ACL, in file order. */
struct store_acl {
	unsigned n;
	bool inherited;		/* read from an ancestor or the default */
	struct store_acl_entry e[STORE_ACL_ENTRIES_MAX];
};

/* store_acl_rights_parse: a client's rights string (RFC 4314 3.1) into
 * *rights_r. Letters lrswipkxtea; the obsolete 'c' means k and 'd' means
 * x t e (RFC 4314 2.1.1, the way Courier splits RFC 2086's rights). An
 * empty string is 0. Returns 0, or -ERR_INVAL for any other letter (never
 * silently dropped, RFC 4314 3.1). Pure. */
int store_acl_rights_parse(const char *s, unsigned *rights_r);

/* store_acl_spelling: STORE_ACL_AS_C and/or STORE_ACL_AS_K for each of
 * 'c' and 'k' in the rights string s, to keep beside its parsed rights in
 * an entry (store_acl_update) so that the file says what the client or
 * the other server wrote. Pure. */
unsigned store_acl_spelling(const char *s);

/* store_acl_rights_string: rights as letters in STORE_ACL_LETTERS order
 * into buf (>= STORE_ACL_RIGHTS_MAX bytes, NUL-terminated); with obsolete,
 * 'c' is added when k is present and 'd' when any of x t e is (RFC 4314
 * 2.1.1: what MYRIGHTS and ACL responses must include). Returns buf. Pure. */
char *store_acl_rights_string(unsigned rights, bool obsolete, char *buf);

/* store_acl_get: the ACL of folder name (UTF-8, "INBOX" or "A.B") of u
 * into *acl: its own file, else an ancestor's (acl->inherited), else
 * "owner" with every right. Errors: -ERR_INVAL (bad name), -ERR_IO. */
int store_acl_get(struct store_user *u, const char *name,
		  struct store_acl *acl);

/* store_acl_put: write acl as folder name's own ACL (atomically: temp file
 * + rename); each ancestor folder without an ACL of its own first gets
 * the one it inherits written down, as Courier's imapd does. Errors: -ERR_INVAL (bad name), -ERR_PERM (acl would leave the
 * owner without l or a, which Courier refuses too), -ERR_NOTFOUND (no
 * such folder or parent), -ERR_IO. */
int store_acl_put(struct store_user *u, const char *name,
		  const struct store_acl *acl);

/* How store_acl_update changes an entry's rights. */
enum store_acl_mode {
	STORE_ACL_REPLACE,	/* rights become exactly these (0 removes) */
	STORE_ACL_ADD,		/* "+rights" */
	STORE_ACL_REMOVE,	/* "-rights" */
	STORE_ACL_DROP,		/* remove the entry (DELETEACL) */
};

/* store_acl_update: change the entry of ident (disk form) in acl; an entry
 * left with no rights is removed. Returns 0, -ERR_INVAL (ident empty, too
 * long, or with a byte <= ' '), -ERR_LIMIT (STORE_ACL_ENTRIES_MAX). Pure. */
int store_acl_update(struct store_acl *acl, const char *ident,
		     enum store_acl_mode mode, unsigned rights);

/* store_acl_modify: store_acl_get + store_acl_update + store_acl_put of
 * folder name under a per-Maildir lock file ("maildock-acl.lock"), so two
 * sessions changing one ACL at once both take effect; *acl receives the
 * new ACL. Errors as those three, plus -ERR_TIMEOUT (lock not obtained
 * within maildir.lock_timeout). */
int store_acl_modify(struct store_user *u, const char *name,
		     const char *ident, enum store_acl_mode mode,
		     unsigned rights, struct store_acl *acl);

/* store_acl_ident_valid: whether ident (disk form, with an optional
 * leading '-') can be an entry's identifier: 1 to STORE_ACL_IDENT_MAX
 * bytes after the '-', none <= ' ' or DEL. Pure. */
bool store_acl_ident_valid(const char *ident);

/* store_acl_find: the rights of the entry ident (disk form; STORE_ACL_ALL
 * bits only), or -1 when acl has none. Pure. */
int store_acl_find(const struct store_acl *acl, const char *ident);

/* store_acl_rights: the rights of login user on a folder with acl, by
 * ACL2=UNION (Courier maildir_acl_compute): the union of the entries that
 * name the user ("user=<user>", "anyone", "anonymous", Dovecot's
 * "authenticated" (Courier matches nobody with it), and "owner" when
 * is_owner) minus the union of the matching negative entries; the owner
 * always keeps a (Courier's rule, so an owner can repair a bad ACL).
 * Group identifiers match nobody (no groups yet). Pure. */
unsigned store_acl_rights(const struct store_acl *acl, const char *user,
			  bool is_owner);

/* store_acl_user_open: store_user_open for another user's Maildir at
 * maildir (absolute) that must already exist (never created here), with
 * the quota of its maildirsize. *u_r as store_user_open. Errors:
 * -ERR_NOTFOUND, -ERR_INVAL, -ERR_PERM, -ERR_IO. */
int store_acl_user_open(const char *maildir, struct store_user **u_r);

/* Owners index: the file "maildock-shared" in a user's Maildir lists, one
 * per line, the logins of the users who granted that user rights on one
 * of their folders (Maildock's own file; Dovecot keeps the same data in
 * its shared-mailboxes dictionary). It only says where to look: the
 * rights always come from the owners' ACLs. */

/* store_acl_shared_note: add owner to the index of the user whose Maildir
 * is grantee_maildir (absolute, existing). Idempotent. Errors: -ERR_INVAL,
 * -ERR_NOTFOUND (no such Maildir), -ERR_LIMIT (index full: 1000 owners),
 * -ERR_IO. A concurrent note for the same grantee may be lost (last
 * writer wins); a lost note only hides the folder from LIST. */
int store_acl_shared_note(const char *grantee_maildir, const char *owner);

/* Called per owner in the index; return non-zero to stop. */
typedef int store_acl_owner_fn(void *ctx, const char *owner);

/* store_acl_shared_owners: call fn for each owner in u's index, in file
 * order. Returns 0 (also without an index), fn's non-zero value, -ERR_IO. */
int store_acl_shared_owners(struct store_user *u, store_acl_owner_fn *fn,
			    void *ctx);

#endif
