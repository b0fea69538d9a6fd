/* Maildock - SPDX-License-Identifier: MIT
 *
 * Object ids of RFC 8474 for Maildir++ (storage/store-info.h): a folder's
 * MAILBOXID in the file "maildock-mailboxid" of its directory, and a
 * message's EMAILID and THREADID digested from its bytes and headers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/random.h>
#include <unistd.h>
#include <openssl/evp.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-sync.h"
#include "storage/maildir/maildir-cache.h"
#include "storage/mime/mime.h"
#include "storage/store-info.h"
#include "core/error.h"
#include "core/compat.h"

#define MU(u) ((struct maildir_user *)(u))
#define VIEW(mb) ((struct maildir_mailbox *)(mb))
#define ID_FILE "maildock-mailboxid"
#define ID_DIGEST 12		/* bytes shown: 24 hex digits */

static void
format_id(char *out, char letter, const uint8_t *d)
{
	static const char hex[] = "0123456789abcdef";

	out[0] = letter;
	for (int i = 0; i < ID_DIGEST; i++) {
		out[1 + 2 * i] = hex[d[i] >> 4];
		out[2 + 2 * i] = hex[d[i] & 15];
	}
	out[1 + 2 * ID_DIGEST] = '\0';
}

/* read_id: the id stored at path: 1 and buf filled, 0 when there is none,
 * or an error (a file that is not an id is -ERR_IO: never replaced) */
static int
read_id(const char *path, char *buf)
{
	char data[64];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);

	if (fd < 0)
		return errno == ENOENT ? 0 : maildir_errno(errno);
	n = read(fd, data, sizeof(data) - 1);
	close(fd);
	if (n < 0)
		return maildir_errno(errno);
	data[n] = '\0';
	data[strcspn(data, "\n")] = '\0';
	if (strlen(data) != 1 + 2 * ID_DIGEST || data[0] != 'F' ||
	    strspn(data + 1, "0123456789abcdef") != 2 * ID_DIGEST)
		return -ERR_IO;
	memcpy(buf, data, STORE_OBJECTID_SIZE);
	return 1;
}

/* make_id: a new random id stored at path unless a racing session stored
 * one first (link(2) never replaces); then the stored one is read */
static int
make_id(const char *dir, const char *path, char *buf)
{
	char tmp[MAILDIR_PATH_MAX], uniq[128], line[STORE_OBJECTID_SIZE + 1];
	uint8_t rnd[ID_DIGEST];
	int fd, r = 0;

	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return -ERR_IO;
	format_id(buf, 'F', rnd);
	maildir_unique(uniq, sizeof(uniq));
	if (snprintf(tmp, sizeof(tmp), "%s/.%s.tmp.%s", dir, ID_FILE, uniq) >=
	    (int)sizeof(tmp))
		return -ERR_LIMIT;
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return maildir_errno(errno);
	snprintf(line, sizeof(line), "%s\n", buf);
	if (write(fd, line, strlen(line)) != (ssize_t)strlen(line) ||
	    fsync(fd) < 0)
		r = maildir_errno(errno != 0 ? errno : EIO);
	close(fd);
	if (r == 0 && link(tmp, path) < 0)
		r = errno == EEXIST ? 1 : maildir_errno(errno);
	unlink(tmp);
	if (r == 1)
		return read_id(path, buf) == 1 ? 0 : -ERR_IO;
	return r < 0 ? r : maildir_fsync_dir(dir);
}

int
store_folder_id(struct store_user *u, const char *name, char *buf,
		size_t size)
{
	char dir[MAILDIR_PATH_MAX], path[MAILDIR_PATH_MAX];
	int r;

	if (size < STORE_OBJECTID_SIZE)
		return -ERR_LIMIT;
	if ((r = maildir_name_to_dir(MU(u)->root, name, dir, sizeof(dir))) < 0)
		return r;
	if (!maildir_folder_exists(u, name))
		return -ERR_NOTFOUND;
	if ((r = maildir_path(path, sizeof(path), dir, ID_FILE, NULL)) < 0)
		return r;
	if ((r = read_id(path, buf)) != 0)
		return r < 0 ? r : 0;
	return make_id(dir, path, buf);
}

static void
digest(const void *p, size_t n, uint8_t *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	if (EVP_Digest(p, n, md, &len, EVP_sha256(), NULL) != 1 ||
	    len < ID_DIGEST)
		memset(md, 0, ID_DIGEST);
	memcpy(out, md, ID_DIGEST);
}

/* first_msgid: the first "<...>" of v (without the brackets), or 0 */
static size_t
first_msgid(struct sview v, const char **id_r)
{
	const char *lt = v.p != NULL ? memchr(v.p, '<', v.len) : NULL;
	const char *gt;

	if (lt == NULL)
		return 0;
	gt = memchr(lt, '>', v.len - (size_t)(lt - v.p));
	if (gt == NULL || gt == lt + 1)
		return 0;
	*id_r = lt + 1;
	return (size_t)(gt - lt - 1);
}

/* thread_root: the Message-ID that names the thread of m (RFC 8474 5.2 as
 * storage/store-info.h says), or 0 */
static size_t
thread_root(struct arena *a, const struct mime_message *m, const char **id_r)
{
	static const char *const fields[] = {
		"References", "In-Reply-To", "Message-ID",
	};
	struct sview v;
	size_t n;

	for (size_t i = 0; i < N_ELEMENTS(fields); i++)
		if (mime_header_get(a, m, m->root, fields[i], &v) == 1 &&
		    (n = first_msgid(v, id_r)) > 0)
			return n;
	return 0;
}

int
store_msg_object_ids(struct store_mailbox *mb, uint32_t seq,
		     struct arena *a, char *email_r, char *thread_r)
{
	struct maildir_mailbox *v = VIEW(mb);
	struct maildir_rec *rec;
	struct mime_message *m;
	uint8_t oid[2 * ID_DIGEST];
	const char *id;
	bool known = false;
	size_t n;
	int r;

	if (seq == 0 || seq > v->count)
		return -ERR_INVAL;
	pthread_mutex_lock(&v->f->lock);
	rec = maildir_folder_find(v->f, v->msgs[seq - 1].uid);
	if (rec != NULL && (known = rec->oid_known))
		memcpy(oid, rec->oid, sizeof(oid));
	pthread_mutex_unlock(&v->f->lock);
	if (rec == NULL)
		return -ERR_NOTFOUND;
	if (!known) {
		if ((r = maildir_msg_parsed(mb, seq, a, true, &m)) < 0)
			return r;
		digest(m->data, m->size, oid);
		if ((n = thread_root(a, m, &id)) > 0)
			digest(id, n, oid + ID_DIGEST);
		else
			memcpy(oid + ID_DIGEST, oid, ID_DIGEST);
		pthread_mutex_lock(&v->f->lock);
		rec = maildir_folder_find(v->f, v->msgs[seq - 1].uid);
		if (rec != NULL) {
			memcpy(rec->oid, oid, sizeof(oid));
			rec->oid_known = true;
		}
		pthread_mutex_unlock(&v->f->lock);
	}
	format_id(email_r, 'M', oid);
	format_id(thread_r, 'T', oid + ID_DIGEST);
	return 0;
}
