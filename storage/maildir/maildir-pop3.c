/* Maildock - SPDX-License-Identifier: MIT
 *
 * POP3 support: UIDLs that match Courier's pop3d (kept in its
 * courierpop3dsizelist, version 3, updated the way Courier updates it), and
 * the exclusive maildrop lock (RFC 1939 8) as a lock file with a stale rule.
 */
#include <errno.h>
#include <stdlib.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-sync.h"
#include "core/error.h"
#include "core/compat.h"

#define VIEW(mb) ((struct maildir_mailbox *)(mb))

struct pop3_ent {
	char *base;
	unsigned long n, uidv;
	uint64_t size;
};

struct pop3_order {
	uint32_t seq;
	const char *name;
};

static int
cmp_order(const void *a, const void *b)
{
	const char *x = ((const struct pop3_order *)a)->name;
	const char *y = ((const struct pop3_order *)b)->name;
	long long nx = atoll(x), ny = atoll(y);

	if (nx != ny)
		return nx < ny ? -1 : 1;
	return strcmp(x, y);
}

static int
cmp_base(const void *a, const void *b)
{
	return strcmp(((const struct pop3_ent *)a)->base,
		      ((const struct pop3_ent *)b)->base);
}

/* read_list: parse courierpop3dsizelist; returns the entry count. */
static size_t
read_list(const char *dir, struct pop3_ent **e_r, unsigned long *next_r,
	  unsigned long *uidv_r, char **data_r)
{
	char path[MAILDIR_PATH_MAX], *data, *line, *save = NULL;
	struct pop3_ent *e = NULL;
	size_t len, n = 0;
	int ver;

	*e_r = NULL;
	*data_r = NULL;
	maildir_path(path, sizeof(path), dir, MAILDIR_POP3_LIST, NULL);
	if (maildir_read_file(path, &data, &len, 256u * 1024 * 1024) < 0)
		return 0;
	line = strtok_r(data, "\n", &save);
	if (line == NULL || sscanf(line, "/%d %lu %lu", &ver, next_r,
				   uidv_r) != 3 || (ver != 2 && ver != 3)) {
		free(data);
		return 0;
	}
	while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
		char *sp1 = strchr(line, ' ');
		unsigned long long size;
		unsigned long un, uv;
		if (sp1 == NULL || sscanf(sp1 + 1, "%llu %lu:%lu", &size, &un,
					  &uv) != 3)
			continue;
		*sp1 = '\0';
		line[maildir_base_len(line)] = '\0';
		e = xrealloc(e, (n + 1) * sizeof(*e));
		e[n].base = line;
		e[n].n = un;
		e[n].uidv = uv;
		e[n++].size = size;
	}
	if (n > 1)
		qsort(e, n, sizeof(*e), cmp_base);
	*e_r = e;
	*data_r = data;
	return n;
}

/* find_ent: binary search of e (sorted by base name) for name's base. */
static const struct pop3_ent *
find_ent(const struct pop3_ent *e, size_t n, const char *name)
{
	size_t blen = maildir_base_len(name), lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strncmp(e[mid].base, name, blen);
		if (c == 0 && e[mid].base[blen] != '\0')
			c = 1;
		if (c == 0)
			return &e[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int
build(struct maildir_mailbox *v)
{
	unsigned long next = 1, uidv = (unsigned long)time(NULL);
	struct pop3_order *ord = xcalloc(v->count + 1, sizeof(*ord));
	char **names = xcalloc(v->count + 1, sizeof(char *));
	struct pop3_ent *e;
	char *data, *text;
	size_t n, cap = 64, len;
	int r = 0;

	n = read_list(v->f->dir, &e, &next, &uidv, &data);
	pthread_mutex_lock(&v->f->lock);
	for (uint32_t i = 0; i < v->count; i++) {
		struct maildir_rec *rec = maildir_folder_find(v->f,
							      v->msgs[i].uid);
		names[i] = xstrdup(rec != NULL ? rec->name : "gone");
		ord[i].seq = i + 1;
		ord[i].name = names[i];
	}
	pthread_mutex_unlock(&v->f->lock);
	qsort(ord, v->count, sizeof(*ord), cmp_order);
	v->pop3_uidls = xcalloc(v->count + 1, sizeof(char *));
	v->pop3_n = v->count;
	text = xmalloc(cap);
	len = (size_t)snprintf(text, cap, "/3 %lu %lu\n", next, uidv);
	for (uint32_t i = 0; i < v->count; i++) {
		const struct pop3_ent *pe = find_ent(e, n, ord[i].name);
		unsigned long un = pe ? pe->n : next++;
		unsigned long uv = pe ? pe->uidv : uidv;
		uint64_t size = pe ? pe->size : 0;
		char buf[STORE_POP3_UIDL_MAX];
		if (pe == NULL)
			maildir_msg_size(&v->base, ord[i].seq, &size);
		snprintf(buf, sizeof(buf), uv ? "UID%lu-%lu" : "UID%lu", un,
			 uv);
		v->pop3_uidls[ord[i].seq - 1] = xstrdup(buf);
		size_t need = strlen(ord[i].name) + 80;
		if (len + need > cap) {
			cap = (cap + need) * 2;
			text = xrealloc(text, cap);
		}
		len += (size_t)snprintf(text + len, cap - len,
					"%s %llu %lu:%lu:0\n", ord[i].name,
					(unsigned long long)size, un, uv);
	}
	/* the header carries the next number: rewrite it now it is known */
	char head[64];
	int hl = snprintf(head, sizeof(head), "/3 %lu %lu\n", next, uidv);
	char *out = xmalloc(len + (size_t)hl + 1);
	char *nl = strchr(text, '\n');
	memcpy(out, head, (size_t)hl);
	memcpy(out + hl, nl + 1, len - (size_t)(nl + 1 - text));
	r = maildir_write_atomic(v->f->dir, MAILDIR_POP3_LIST, out,
				 (size_t)hl + len - (size_t)(nl + 1 - text));
	free(out);
	free(text);
	free(e);
	free(data);
	for (uint32_t i = 0; i < v->count; i++)
		free(names[i]);
	free(names);
	free(ord);
	return r;
}

int
maildir_pop3_uidl(struct store_mailbox *mb, uint32_t seq, char *buf,
		  size_t size)
{
	struct maildir_mailbox *v = VIEW(mb);

	if (seq == 0 || seq > v->count)
		return -ERR_INVAL;
	if (v->pop3_uidls == NULL || v->pop3_n != v->count) {
		for (uint32_t i = 0; i < v->pop3_n; i++)
			free(v->pop3_uidls[i]);
		free(v->pop3_uidls);
		v->pop3_uidls = NULL;
		build(v);	/* a write failure only loses persistence */
	}
	if (str_copy(buf, v->pop3_uidls[seq - 1], size) >= size)
		return -ERR_LIMIT;
	return 0;
}

int
maildir_pop3_lock(struct store_mailbox *mb)
{
	struct maildir_mailbox *v = VIEW(mb);
	char path[MAILDIR_PATH_MAX];
	int r;

	if (v->pop3_locked)
		return 0;
	maildir_path(path, sizeof(path), v->f->dir, MAILDIR_POP3_LOCK, NULL);
	r = maildir_lockfile_take(path, 0, maildir_settings.pop3_lock_stale);
	if (r == -ERR_TIMEOUT)
		return -ERR_BUSY;
	if (r == 0)
		v->pop3_locked = true;
	return r;
}

void
maildir_pop3_unlock(struct store_mailbox *mb)
{
	struct maildir_mailbox *v = VIEW(mb);
	char path[MAILDIR_PATH_MAX];

	if (!v->pop3_locked)
		return;
	maildir_path(path, sizeof(path), v->f->dir, MAILDIR_POP3_LOCK, NULL);
	maildir_lockfile_release(path);
	v->pop3_locked = false;
}
