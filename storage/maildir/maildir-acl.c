/* Maildock - SPDX-License-Identifier: MIT
 *
 * Folder ACLs in Courier-IMAP's "courierimapacl" files (format and rules:
 * storage/store-acl.h, after courier-libs maildir/maildiraclt.c and
 * maildiracl(1)), the ACL2=UNION rights computation, and the per-user
 * index of owners who shared folders ("maildock-shared").
 */
#include <errno.h>
#include <sys/stat.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-tree.h"
#include "storage/store-private.h"
#include "storage/store-acl.h"
#include "core/error.h"
#include "core/compat.h"

#define ACL_FILE	"courierimapacl"	/* Courier ACLFILE */
#define ACL_HIERDIR	"courierimaphieracl"	/* Courier ACLHIERDIR */
#define SHARED_FILE	"maildock-shared"
#define ACL_FILE_MAX	(64 * 1024)
#define SHARED_MAX	1000

#define MU(u) ((struct maildir_user *)(u))

/* disk_rights: the letters in byte order, create spelled as it was
 * given (Courier's c unless only k was) */
static void
disk_rights(unsigned rights, char *buf)
{
	char tmp[STORE_ACL_RIGHTS_MAX];
	size_t n = 0;

	store_acl_rights_string(rights & ~STORE_ACL_CREATE, false, tmp);
	if ((rights & STORE_ACL_CREATE) &&
	    (rights & (STORE_ACL_AS_C | STORE_ACL_AS_K)) != STORE_ACL_AS_K)
		buf[n++] = 'c';
	if ((rights & STORE_ACL_CREATE) && (rights & STORE_ACL_AS_K))
		buf[n++] = 'k';
	for (const char *p = tmp; *p != '\0'; p++)
		buf[n++] = *p;
	buf[n] = '\0';
	/* insertion sort: at most 11 letters */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && buf[j - 1] > buf[j]; j--) {
			char t = buf[j];
			buf[j] = buf[j - 1];
			buf[j - 1] = t;
		}
}

/* parse: one courierimapacl file's text (Courier maildir_acl_read_check:
 * identifier, spaces, rights; bad lines are skipped) */
static void
parse(char *data, struct store_acl *acl)
{
	char *save = NULL;

	acl->n = 0;
	for (char *line = strtok_r(data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(line, ' ');
		unsigned rights = 0;

		if (sp == NULL)
			continue;
		*sp++ = '\0';
		while (*sp == ' ')
			sp++;
		sp[strcspn(sp, " \r")] = '\0';
		/* unknown letters in a file (another server's) are dropped */
		for (const char *p = sp; *p != '\0'; p++) {
			char one[2] = { *p, '\0' };
			unsigned r1;
			if (store_acl_rights_parse(one, &r1) == 0)
				rights |= r1;
		}
		rights |= store_acl_spelling(sp);
		(void)store_acl_update(acl, line, STORE_ACL_REPLACE, rights);
	}
}

/* read_one: 1 and *acl filled when file exists, 0 when not, <0 error */
static int
read_one(const char *path, struct store_acl *acl)
{
	char *data;
	size_t len;
	int r = maildir_read_file(path, &data, &len, ACL_FILE_MAX);

	if (r == -ERR_NOTFOUND)
		return 0;
	if (r < 0)
		return r == -ERR_LIMIT ? 0 : r;
	parse(data, acl);
	free(data);
	return 1;
}

/* own_acl: the ACL file of name itself: the folder's file, else the
 * hierarchy directory's (Courier reads both) */
static int
own_acl(const char *root, const char *name, struct store_acl *acl)
{
	char dir[MAILDIR_PATH_MAX], path[MAILDIR_PATH_MAX];
	char enc[STORE_NAME_MAXLEN * 2 + 1];
	int r;

	if ((r = maildir_name_to_dir(root, name, dir, sizeof(dir))) < 0)
		return r;
	if (maildir_path(path, sizeof(path), dir, ACL_FILE, NULL) < 0)
		return -ERR_LIMIT;
	if ((r = read_one(path, acl)) != 0 || maildir_name_is_inbox(name))
		return r;
	if (maildir_name_encode(name, enc, sizeof(enc)) < 0 ||
	    maildir_path(path, sizeof(path), root, ACL_HIERDIR, enc) < 0)
		return 0;
	return read_one(path, acl);
}

int
maildir_acl_get(struct store_user *u, const char *name,
		struct store_acl *acl)
{
	char buf[STORE_NAME_MAXLEN + 1];
	char *dot;
	int r;

	if (!maildir_name_is_inbox(name) && maildir_name_check(name) < 0)
		return -ERR_INVAL;
	acl->inherited = false;
	str_copy(buf, name, sizeof(buf));
	for (;;) {
		r = own_acl(MU(u)->root, buf, acl);
		if (r < 0)
			return r;
		if (r > 0)
			return 0;
		/* INBOX's ACL is not the parent of top-level folders */
		if ((dot = strrchr(buf, '.')) == NULL)
			break;
		*dot = '\0';
		acl->inherited = true;
	}
	acl->inherited = true;
	acl->n = 0;
	/* Courier's default (maildir_acl_read without a file) */
	if ((r = store_acl_update(acl, "owner", STORE_ACL_REPLACE,
				  STORE_ACL_COURIER_ALL)) < 0)
		return r;
	return store_acl_update(acl, "administrators", STORE_ACL_REPLACE,
				STORE_ACL_COURIER_ALL);
}

/* put_one: write acl as name's own file (store_acl_put without the
 * ancestors) */
static int
put_one(struct store_user *u, const char *name, const struct store_acl *acl)
{
	char dir[MAILDIR_PATH_MAX], text[STORE_ACL_ENTRIES_MAX *
				       (STORE_ACL_IDENT_MAX + 20)];
	char enc[STORE_NAME_MAXLEN * 2 + 1];
	const char *file = ACL_FILE;
	unsigned owner = 0, minus = 0;
	size_t len = 0;
	struct stat st;
	int r;

	if (!maildir_name_is_inbox(name) && maildir_name_check(name) < 0)
		return -ERR_INVAL;
	for (unsigned i = 0; i < acl->n; i++) {
		if (strcmp(acl->e[i].ident, "owner") == 0)
			owner |= acl->e[i].rights;
		else if (strcmp(acl->e[i].ident, "-owner") == 0 ||
			 strcmp(acl->e[i].ident, "-anyone") == 0 ||
			 strcmp(acl->e[i].ident, "-anonymous") == 0)
			minus |= acl->e[i].rights;
	}
	/* Courier maildir_acl_write: the owner keeps l and a */
	owner &= ~minus;
	if ((owner & (STORE_ACL_LOOKUP | STORE_ACL_ADMIN)) !=
	    (STORE_ACL_LOOKUP | STORE_ACL_ADMIN))
		return -ERR_PERM;
	for (unsigned i = 0; i < acl->n; i++) {
		char rights[STORE_ACL_RIGHTS_MAX];
		disk_rights(acl->e[i].rights, rights);
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					"%s %s\n", acl->e[i].ident, rights);
	}
	if ((r = maildir_name_to_dir(MU(u)->root, name, dir, sizeof(dir))) < 0)
		return r;
	if (stat(dir, &st) < 0) {
		/* a \Noselect parent: Courier's hierarchy directory */
		if (maildir_path(dir, sizeof(dir), MU(u)->root, ACL_HIERDIR,
				 NULL) < 0)
			return -ERR_LIMIT;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return maildir_errno(errno);
		if (maildir_name_encode(name, enc, sizeof(enc)) < 0)
			return -ERR_INVAL;
		file = enc;
	}
	return maildir_write_atomic(dir, file, text, len);
}

int
maildir_acl_put(struct store_user *u, const char *name,
		const struct store_acl *acl)
{
	char buf[STORE_NAME_MAXLEN + 1], *dot;
	struct store_acl *up;
	int r = 0;

	if (!maildir_name_is_inbox(name) && maildir_name_check(name) < 0)
		return -ERR_INVAL;
	/* as Courier's imapd does: each ancestor without a list of its own
	 * first gets the one it inherits written down, so the files are the
	 * ones Courier would have left (nearest first: writing a folder's
	 * file changes only what lies below it) */
	up = xmalloc(sizeof(*up));
	str_copy(buf, name, sizeof(buf));
	while (r == 0 && (dot = strrchr(buf, '.')) != NULL) {
		*dot = '\0';
		if ((r = maildir_acl_get(u, buf, up)) == 0 && up->inherited)
			r = put_one(u, buf, up);
	}
	free(up);
	return r < 0 ? r : put_one(u, name, acl);
}

int
maildir_acl_modify(struct store_user *u, const char *name,
		   const char *ident, enum store_acl_mode mode,
		   unsigned rights, struct store_acl *acl)
{
	char lock[MAILDIR_PATH_MAX];
	int r;

	if (maildir_path(lock, sizeof(lock), MU(u)->root, "maildock-acl.lock",
			 NULL) < 0)
		return -ERR_LIMIT;
	/* Maildock sessions never lose each other's changes (Courier does
	 * not lock; its writes stay atomic renames) */
	r = maildir_lockfile_take(lock, maildir_settings.lock_timeout,
				  maildir_settings.lock_stale);
	if (r < 0)
		return r == -ERR_BUSY ? -ERR_TIMEOUT : r;
	if ((r = maildir_acl_get(u, name, acl)) == 0 &&
	    (r = store_acl_update(acl, ident, mode, rights)) == 0)
		r = maildir_acl_put(u, name, acl);
	maildir_lockfile_release(lock);
	return r;
}

int
maildir_acl_user_open(const char *maildir, struct store_user **u_r)
{
	char path[MAILDIR_PATH_MAX];
	const char *err;
	struct stat st;

	if (maildir_path(path, sizeof(path), maildir, "cur", NULL) < 0)
		return -ERR_INVAL;
	if (stat(path, &st) < 0 || !S_ISDIR(st.st_mode))
		return -ERR_NOTFOUND;
	return store_user_open(maildir, NULL, u_r, &err);
}

static int
shared_read(const char *maildir, char **data_r)
{
	char path[MAILDIR_PATH_MAX];
	size_t len;
	int r;

	*data_r = NULL;
	if (maildir_path(path, sizeof(path), maildir, SHARED_FILE, NULL) < 0)
		return -ERR_INVAL;
	r = maildir_read_file(path, data_r, &len, SHARED_MAX *
			      (STORE_ACL_IDENT_MAX + 1));
	return r == -ERR_NOTFOUND ? 0 : r;
}

int
maildir_acl_shared_note(const char *grantee_maildir, const char *owner)
{
	char *data, *line, *save = NULL, *text;
	size_t n = 0, len = 0, olen = strlen(owner), size;
	struct stat st;
	int r;

	if (stat(grantee_maildir, &st) < 0)
		return -ERR_NOTFOUND;
	if ((r = shared_read(grantee_maildir, &data)) < 0)
		return r;
	size = (data != NULL ? strlen(data) : 0) + olen + 2;
	text = xmalloc(size);
	if (data != NULL)
		for (line = strtok_r(data, "\n", &save); line != NULL;
		     line = strtok_r(NULL, "\n", &save)) {
			if (strcmp(line, owner) == 0) {
				free(text);
				free(data);
				return 0;
			}
			len += (size_t)snprintf(text + len, size - len, "%s\n",
						line);
			n++;
		}
	free(data);
	if (n >= SHARED_MAX) {
		free(text);
		return -ERR_LIMIT;
	}
	len += (size_t)snprintf(text + len, size - len, "%s\n", owner);
	r = maildir_write_atomic(grantee_maildir, SHARED_FILE, text, len);
	free(text);
	return r;
}

int
maildir_acl_shared_owners(struct store_user *u, store_acl_owner_fn *fn,
			  void *ctx)
{
	char *data, *line, *save = NULL;
	int r = shared_read(MU(u)->root, &data);

	if (r < 0 || data == NULL)
		return r;
	for (line = strtok_r(data, "\n", &save); line != NULL && r == 0;
	     line = strtok_r(NULL, "\n", &save))
		if (store_acl_ident_valid(line) && line[0] != '-')
			r = fn(ctx, line);
	free(data);
	return r;
}
