/* Maildock - SPDX-License-Identifier: MIT
 *
 * The per-folder UID list "maildock-uidlist": header "MAILDOCK-UIDLIST 1
 * <uidvalidity> <uidnext> <first-unclaimed-recent-uid>", then one line per
 * message "<uid> <crlf-size or 0> <file name>". Written whole through a temp
 * file and rename, under the lock file (maildir-folder.c). On first use it
 * is imported from Courier's courierimapuiddb or Dovecot's dovecot-uidlist.
 */
#include <errno.h>
#include <stdlib.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-uidlist.h"
#include "core/error.h"
#include "core/compat.h"

#define UIDLIST_MAX (512u * 1024 * 1024)

static int
cmp_entry(const void *a, const void *b)
{
	const struct maildir_uidlist_entry *x = a, *y = b;

	return x->uid < y->uid ? -1 : x->uid > y->uid;
}

static bool
parse_u32(const char *s, char **end, uint32_t *r)
{
	unsigned long v;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, end, 10);
	if (errno != 0 || v > UINT32_MAX)
		return false;
	*r = (uint32_t)v;
	return true;
}

/* lines: split data into lines in place; calls fn per line after the
 * first. A last line without '\n' (a torn write) is ignored. */
static int
for_lines(char *data, size_t len, struct maildir_uidlist *ul,
	  bool (*fn)(char *line, struct maildir_uidlist_entry *e))
{
	size_t cap = 0, i = 0;
	char *line = data, *nl;

	nl = memchr(data, '\n', len);
	if (nl == NULL)
		return -ERR_CORRUPT;
	line = nl + 1;
	while ((size_t)(line - data) < len &&
	       (nl = memchr(line, '\n', len - (size_t)(line - data))) != NULL) {
		*nl = '\0';
		if (i == cap) {
			cap = cap ? cap * 2 : 256;
			ul->e = xrealloc(ul->e, cap * sizeof(*ul->e));
		}
		memset(&ul->e[i], 0, sizeof(ul->e[i]));
		if (line[0] != '\0' && fn(line, &ul->e[i])) {
			if (ul->e[i].uid == 0 || ul->e[i].base[0] == '\0')
				return -ERR_CORRUPT;
			ul->e[i].blen = (unsigned)maildir_base_len(
				ul->e[i].base);
			if (!ul->full_names)
				ul->e[i].base[ul->e[i].blen] = '\0';
			i++;
		}
		line = nl + 1;
	}
	ul->n = i;
	for (i = 1; i < ul->n; i++)
		if (ul->e[i].uid <= ul->e[i - 1].uid)
			break;
	if (i < ul->n)		/* written sorted; others may not be */
		qsort(ul->e, ul->n, sizeof(*ul->e), cmp_entry);
	for (i = 1; i < ul->n; i++)
		if (ul->e[i].uid == ul->e[i - 1].uid)
			return -ERR_CORRUPT;
	if (ul->n > 0 && ul->e[ul->n - 1].uid >= ul->uidnext)
		ul->uidnext = maildir_uid_after(ul->e[ul->n - 1].uid);
	return 0;
}

uint32_t
maildir_uid_after(uint32_t uid)
{
	return uid == UINT32_MAX ? UINT32_MAX : uid + 1;
}

/* next_uid: a list header's next-UID field, held at 2^32-1 when it is
 * past it (another server counted beyond 32 bits). */
static uint32_t
next_uid(const char *s)
{
	unsigned long long v;

	errno = 0;
	v = strtoull(s, NULL, 10);
	return errno != 0 || v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
}

static bool
own_line(char *line, struct maildir_uidlist_entry *e)
{
	char *p;
	unsigned long long v;

	if (!parse_u32(line, &p, &e->uid) || *p++ != ' ')
		return false;
	v = strtoull(p, &p, 10);
	if (*p++ != ' ')
		return false;
	e->vsize = v;
	e->base = p;
	return true;
}

int
maildir_uidlist_parse_own(char *data, size_t len, struct maildir_uidlist *ul)
{
	long long sec;
	long nsec;
	unsigned long long ino, dev;

	memset(ul, 0, sizeof(*ul));
	int n = sscanf(data, "MAILDOCK-UIDLIST 1 %u %u %u C%lld.%ld.%llu.%llu",
		       &ul->uidvalidity, &ul->uidnext, &ul->first_recent, &sec,
		       &nsec, &ino, &dev);
	if (n < 3 || ul->uidvalidity == 0 || ul->uidnext == 0)
		return -ERR_CORRUPT;
	if (n == 7) {
		ul->cur.mtime.tv_sec = (time_t)sec;
		ul->cur.mtime.tv_nsec = nsec;
		ul->cur.ino = (ino_t)ino;
		ul->cur.dev = (dev_t)dev;
	}
	ul->full_names = true;
	return for_lines(data, len, ul, own_line);
}

static bool
courier_line(char *line, struct maildir_uidlist_entry *e)
{
	char *p;

	if (!parse_u32(line, &p, &e->uid) || *p++ != ' ')
		return false;
	e->base = p;
	return true;
}

int
maildir_uidlist_parse_courier(char *data, size_t len,
			      struct maildir_uidlist *ul)
{
	char *p;

	memset(ul, 0, sizeof(*ul));
	if (data[0] != '1' || data[1] != ' ' ||
	    !parse_u32(data + 2, &p, &ul->uidvalidity) || *p != ' ' ||
	    p[1] < '0' || p[1] > '9' || ul->uidvalidity == 0)
		return -ERR_CORRUPT;
	ul->uidnext = next_uid(p + 1);
	if (ul->uidnext == 0)
		ul->uidnext = 1;
	return for_lines(data, len, ul, courier_line);
}

/* Dovecot v3 line: "<uid> [<key><value> ...] :<file name>"; W<n> is the
 * CRLF size. */
static bool
dovecot_line(char *line, struct maildir_uidlist_entry *e)
{
	char *p, *name;

	if (!parse_u32(line, &p, &e->uid) || *p != ' ')
		return false;
	name = strstr(p, " :");
	if (name == NULL)
		return false;
	*name = '\0';
	for (char *w = strstr(p, " W"); w != NULL; w = NULL)
		e->vsize = strtoull(w + 2, NULL, 10);
	e->base = name + 2;
	return true;
}

int
maildir_uidlist_parse_dovecot(char *data, size_t len,
			      struct maildir_uidlist *ul)
{
	char *p, *nl;

	memset(ul, 0, sizeof(*ul));
	if (data[0] == '1' && data[1] == ' ')	/* v1 = Courier's layout */
		return maildir_uidlist_parse_courier(data, len, ul);
	if (data[0] != '3' || data[1] != ' ')
		return -ERR_CORRUPT;
	nl = memchr(data, '\n', len);
	if (nl == NULL)
		return -ERR_CORRUPT;
	for (p = data + 1; p < nl; p++) {
		if (p[-1] != ' ')
			continue;
		if (*p == 'V')
			ul->uidvalidity = (uint32_t)strtoul(p + 1, NULL, 10);
		else if (*p == 'N')
			ul->uidnext = next_uid(p + 1);
		else if (*p == 'G' && strspn(p + 1, "0123456789abcdef") == 32)
			memcpy(ul->guid, p + 1, 32);
	}
	if (ul->uidvalidity == 0)
		return -ERR_CORRUPT;
	if (ul->uidnext == 0)
		ul->uidnext = 1;
	return for_lines(data, len, ul, dovecot_line);
}

static int
read_one(const char *dir, const char *name, struct maildir_uidlist *ul,
	 int (*parse)(char *, size_t, struct maildir_uidlist *))
{
	char path[MAILDIR_PATH_MAX], *data;
	size_t len;
	int r;

	if ((r = maildir_path(path, sizeof(path), dir, name, NULL)) < 0)
		return r;
	if ((r = maildir_read_file(path, &data, &len, UIDLIST_MAX)) < 0)
		return r;
	r = parse(data, len, ul);
	ul->data = data;
	if (r < 0)
		maildir_uidlist_free(ul);
	return r;
}

int
maildir_uidlist_read(const char *dir, struct maildir_uidlist *ul)
{
	int r;

	memset(ul, 0, sizeof(*ul));
	r = read_one(dir, MAILDIR_UIDLIST, ul, maildir_uidlist_parse_own);
	if (r != -ERR_NOTFOUND)
		return r;
	r = read_one(dir, MAILDIR_COURIER_UIDDB, ul,
		     maildir_uidlist_parse_courier);
	if (r == 0) {
		ul->first_recent = ul->uidnext;	/* Courier saw them all */
		return 0;
	}
	r = read_one(dir, MAILDIR_DOVECOT_UIDLIST, ul,
		     maildir_uidlist_parse_dovecot);
	if (r == 0)
		ul->first_recent = ul->uidnext;
	return r == -ERR_CORRUPT ? -ERR_NOTFOUND : r;
}

void
maildir_uidlist_free(struct maildir_uidlist *ul)
{
	free(ul->e);
	free(ul->data);
	free(ul->more[0]);
	free(ul->more[1]);
	memset(ul, 0, sizeof(*ul));
}

/* put_u64: v in decimal at buf[len]; returns the new length. */
static size_t
put_u64(char *buf, size_t len, uint64_t v)
{
	char tmp[24];
	size_t n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	while (n > 0)
		buf[len++] = tmp[--n];
	return len;
}

int
maildir_uidlist_write(struct maildir_folder *f)
{
	size_t cap = 128 + f->n * 80, len = 0, i;
	char *buf = xmalloc(cap);
	int r;

	len = (size_t)snprintf(buf, cap, "MAILDOCK-UIDLIST 1 %u %u %u",
			       f->uidvalidity, f->uidnext, f->first_recent);
	if (f->st_cur.ino != 0)
		len += (size_t)snprintf(buf + len, cap - len,
					" C%lld.%ld.%llu.%llu",
					(long long)f->st_cur.mtime.tv_sec,
					(long)f->st_cur.mtime.tv_nsec,
					(unsigned long long)f->st_cur.ino,
					(unsigned long long)f->st_cur.dev);
	buf[len++] = '\n';
	for (i = 0; i < f->n; i++) {
		const struct maildir_rec *rec = &f->recs[i];
		size_t need = strlen(rec->name) + 48;

		if (len + need > cap) {
			cap = (cap + need) * 2;
			buf = xrealloc(buf, cap);
		}
		/* no printf per line: 100,000 lines are written at once */
		len = put_u64(buf, len, rec->uid);
		buf[len++] = ' ';
		len = put_u64(buf, len, rec->vsize);
		buf[len++] = ' ';
		size_t nl = strlen(rec->name);
		memcpy(buf + len, rec->name, nl);
		len += nl;
		buf[len++] = '\n';
	}
	r = maildir_write_atomic(f->dir, MAILDIR_UIDLIST, buf, len);
	free(buf);
	if (r == 0) {
		char path[MAILDIR_PATH_MAX];
		maildir_path(path, sizeof(path), f->dir, MAILDIR_UIDLIST,
			     NULL);
		maildir_stamp_get(path, &f->st_uidlist);
		r = maildir_compat_write(f);
	}
	return r;
}
