/* Maildock - SPDX-License-Identifier: MIT
 *
 * The per-folder cache of parsed messages ("maildock-cache"): for each
 * message file, the storage/mime serialization of its structure (envelope,
 * body structure, sizes), so a later FETCH of ENVELOPE/BODYSTRUCTURE needs
 * no message file. The file is "MDCACHE 1\n" then records appended with one
 * write(2) each: 'R', base-name length (u32 LE), blob length (u32 LE), raw
 * file size (u64 LE), base name, blob. Maildir files never change, so the
 * base name keys an entry; the raw size is checked against the file's. A
 * damaged tail is cut off; a wrong version makes a new file.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-sync.h"
#include "storage/maildir/maildir-cache.h"
#include "storage/mime/mime.h"
#include "core/arena.h"
#include "core/sbuf.h"
#include "core/error.h"
#include "core/stats.h"
#include "core/compat.h"

#define CACHE_FILE	"maildock-cache"
#define CACHE_MAGIC	"MDCACHE 1\n"
#define CACHE_HDR	17u
#define CACHE_BLOB_MAX	(16u * 1024 * 1024)
/* append descriptors kept open per process: a folder being filled keeps
 * one, but one per open folder would cost each session a descriptor
 * (issue 12); past this many a record is appended through a descriptor
 * opened for it alone */
#define CACHE_AFD_MAX	64

static atomic_uint cache_afds;	/* append descriptors kept open */

struct cache_ent {
	const char *base;
	unsigned blen;
	const unsigned char *blob;
	uint32_t len;
	uint64_t size;
	bool owned;		/* base/blob malloc'd (added after load) */
};

struct maildir_cache {
	void *map;
	size_t map_len;
	struct cache_ent *e;
	size_t n, cap;
	uint32_t *hash;
	size_t hash_size;
	int afd;		/* kept open for appends when afd_open */
	bool afd_open;
};

static uint32_t
get32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

static void
put32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
hash_base(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull;

	while (len-- > 0)
		h = (h ^ (unsigned char)*s++) * 1099511628211ull;
	return h ^ (h >> 29);
}

/* ent_free: release what an entry owns (one added after the load; a
 * loaded one points into the mapped file). */
static void
ent_free(struct cache_ent *e)
{
	if (e->owned) {
		free((void *)e->base);
		free((void *)e->blob);
	}
	e->owned = false;
}

/* index_add: enter ent, which replaces (and frees) an entry of the same
 * base name; ent's owned memory passes to the cache. */
static void
index_add(struct maildir_cache *c, const struct cache_ent *ent)
{
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->e = xrealloc(c->e, c->cap * sizeof(*c->e));
	}
	if (c->n * 2 + 2 > c->hash_size) {
		size_t size = c->hash_size ? c->hash_size * 2 : 1024;
		while (size < c->n * 2 + 2)
			size *= 2;
		free(c->hash);
		c->hash = xcalloc(size, sizeof(*c->hash));
		c->hash_size = size;
		for (size_t i = 0; i < c->n; i++) {
			size_t h = hash_base(c->e[i].base, c->e[i].blen) &
				   (size - 1);
			while (c->hash[h] != 0)
				h = (h + 1) & (size - 1);
			c->hash[h] = (uint32_t)i + 1;
		}
	}
	/* a later record for the same file replaces the earlier one */
	size_t h = hash_base(ent->base, ent->blen) & (c->hash_size - 1);
	while (c->hash[h] != 0) {
		struct cache_ent *o = &c->e[c->hash[h] - 1];
		if (o->blen == ent->blen &&
		    memcmp(o->base, ent->base, ent->blen) == 0) {
			ent_free(o);
			*o = *ent;
			return;
		}
		h = (h + 1) & (c->hash_size - 1);
	}
	c->e[c->n] = *ent;
	c->hash[h] = (uint32_t)++c->n;
}

static const struct cache_ent *
find(const struct maildir_cache *c, const char *base, size_t blen)
{
	if (c->hash_size == 0)
		return NULL;
	size_t h = hash_base(base, blen) & (c->hash_size - 1);
	while (c->hash[h] != 0) {
		const struct cache_ent *o = &c->e[c->hash[h] - 1];
		if (o->blen == blen && memcmp(o->base, base, blen) == 0)
			return o;
		h = (h + 1) & (c->hash_size - 1);
	}
	return NULL;
}

/* load: map the file and index its valid records; cut a damaged tail. */
static struct maildir_cache *
load(const char *dir)
{
	struct maildir_cache *c = xcalloc(1, sizeof(*c));
	char path[MAILDIR_PATH_MAX];
	struct stat st;
	size_t off;
	int fd;

	if (maildir_path(path, sizeof(path), dir, CACHE_FILE, NULL) < 0 ||
	    (fd = open(path, O_RDWR | O_CLOEXEC)) < 0)
		return c;
	if (fstat(fd, &st) < 0 || st.st_size < (off_t)strlen(CACHE_MAGIC)) {
		close(fd);
		unlink(path);
		return c;
	}
	c->map_len = (size_t)st.st_size;
	c->map = mmap(NULL, c->map_len, PROT_READ, MAP_SHARED, fd, 0);
	if (c->map == MAP_FAILED) {
		c->map = NULL;
		close(fd);
		return c;
	}
	const unsigned char *p = c->map;
	if (memcmp(p, CACHE_MAGIC, strlen(CACHE_MAGIC)) != 0) {
		close(fd);
		unlink(path);		/* other version: rebuilt */
		return c;
	}
	for (off = strlen(CACHE_MAGIC); off + CACHE_HDR <= c->map_len;) {
		const unsigned char *r = p + off;
		uint32_t blen = get32(r + 1), len = get32(r + 5);
		if (r[0] != 'R' || blen == 0 || blen > 255 ||
		    len > CACHE_BLOB_MAX ||
		    c->map_len - off - CACHE_HDR < (size_t)blen + len)
			break;
		struct cache_ent ent = {
			.base = (const char *)r + CACHE_HDR, .blen = blen,
			.blob = r + CACHE_HDR + blen, .len = len,
			.size = (uint64_t)get32(r + 9) |
				(uint64_t)get32(r + 13) << 32,
		};
		index_add(c, &ent);
		off += CACHE_HDR + blen + len;
	}
	if (off < c->map_len && ftruncate(fd, (off_t)off) < 0) {
		/* left as is: the next load stops at the same place */
	}
	close(fd);
	return c;
}

void
maildir_cache_free(struct maildir_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++)
		ent_free(&c->e[i]);
	if (c->map != NULL)
		munmap(c->map, c->map_len);
	if (c->afd_open) {
		close(c->afd);
		atomic_fetch_sub(&cache_afds, 1);
	}
	free(c->e);
	free(c->hash);
	free(c);
}

/* store: append a record for base to the file and the index. */
static void
store(struct maildir_folder *f, const char *base, unsigned blen,
      uint64_t size, const struct sbuf *blob)
{
	char path[MAILDIR_PATH_MAX];
	size_t rec = CACHE_HDR + blen + blob->len;
	unsigned char *buf = xmalloc(rec + strlen(CACHE_MAGIC));
	int fd;

	buf[0] = 'R';
	put32(buf + 1, blen);
	put32(buf + 5, (uint32_t)blob->len);
	put32(buf + 9, (uint32_t)size);
	put32(buf + 13, (uint32_t)(size >> 32));
	memcpy(buf + CACHE_HDR, base, blen);
	memcpy(buf + CACHE_HDR + blen, blob->data, blob->len);
	/* opened once per folder: a fill appends 100,000s of records */
	if (!f->cache->afd_open) {
		maildir_path(path, sizeof(path), f->dir, CACHE_FILE, NULL);
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
			  0600);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && st.st_size == 0 &&
		    write(fd, CACHE_MAGIC, strlen(CACHE_MAGIC)) < 0) {
		}
		if (fd >= 0 &&
		    atomic_fetch_add(&cache_afds, 1) < CACHE_AFD_MAX) {
			f->cache->afd = fd;
			f->cache->afd_open = true;
		} else if (fd >= 0)
			atomic_fetch_sub(&cache_afds, 1);
	} else
		fd = f->cache->afd;
	if (fd >= 0 && write(fd, buf, rec) != (ssize_t)rec) {
		/* a torn record is cut off at the next load */
	}
	if (fd >= 0 && !f->cache->afd_open)
		close(fd);
	struct cache_ent ent = {
		.base = xstrndup(base, blen), .blen = blen,
		.blob = xmalloc(blob->len + 1), .len = (uint32_t)blob->len,
		.size = size, .owned = true,
	};
	memcpy((void *)ent.blob, blob->data, blob->len);
	index_add(f->cache, &ent);
	free(buf);
}

int
maildir_msg_parsed(struct store_mailbox *mb, uint32_t seq, struct arena *a,
		   bool with_bytes, struct mime_message **msg_r)
{
	struct maildir_mailbox *v = (struct maildir_mailbox *)mb;
	struct maildir_folder *f = v->f;
	char base[256];
	uint64_t size = 0;
	bool have_size, whole;
	const void *data;
	size_t len;
	int r;

	if (seq == 0 || seq > v->count)
		return -ERR_INVAL;
	pthread_mutex_lock(&f->lock);
	struct maildir_rec *rec = maildir_folder_find(f, v->msgs[seq - 1].uid);
	if (rec == NULL) {
		pthread_mutex_unlock(&f->lock);
		return -ERR_NOTFOUND;
	}
	unsigned blen = rec->blen < sizeof(base) ? rec->blen : 0;
	memcpy(base, rec->name, blen);
	have_size = maildir_size_parse(rec->name, 'S', &size);
	if (f->cache == NULL)
		f->cache = load(f->dir);
	const struct cache_ent *ent = blen ? find(f->cache, base, blen) : NULL;
	uint64_t ent_size = ent != NULL ? ent->size : UINT64_MAX;
	struct mime_message *cached = NULL;
	/* with_bytes: the cached tree plus the file's bytes (read or
	 * mapped as maildir_read_fd decides), without a new parse */
	if (ent != NULL && (!have_size || ent->size == size)) {
		r = mime_deserialize(a, ent->blob, ent->len, &cached);
		pthread_mutex_unlock(&f->lock);
		if (r != 0)
			cached = NULL;	/* parse the file below */
		else if (!with_bytes) {
			stats_cache_lookup(true);
			*msg_r = cached;
			return 0;
		}
	} else
		pthread_mutex_unlock(&f->lock);
	if ((r = maildir_msg_read(mb, seq, a, 0, &data, &len, &whole)) < 0)
		return r;
	/* a size that differs from the entry's means a stale entry */
	if (cached != NULL && mime_attach(cached, data, len) == 0) {
		stats_cache_lookup(true);
		*msg_r = cached;
		return 0;
	}
	stats_cache_lookup(false);
	if ((r = mime_parse(a, data, len, msg_r)) < 0 || blen == 0 ||
	    ent_size == (*msg_r)->size)
		return r;
	struct sbuf b;
	sbuf_init(&b, NULL, CACHE_BLOB_MAX);
	if (mime_serialize(*msg_r, &b) == 0 && !sbuf_failed(&b)) {
		pthread_mutex_lock(&f->lock);
		/* another session may have parsed and stored it meanwhile */
		ent = find(f->cache, base, blen);
		if (ent == NULL || ent->size != (*msg_r)->size)
			store(f, base, blen, (*msg_r)->size, &b);
		rec = maildir_folder_find(f, v->msgs[seq - 1].uid);
		if (rec != NULL && rec->vsize == 0)
			rec->vsize = (*msg_r)->size_crlf;
		pthread_mutex_unlock(&f->lock);
	}
	sbuf_free(&b);
	return 0;
}
