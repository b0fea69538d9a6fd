/* Maildock - SPDX-License-Identifier: MIT
 *
 * The per-folder parsed-message cache: an append-only file of checksummed
 * records (key, file size, mtime, mime_serialize form) indexed in memory by
 * key. Appends are single O_APPEND writes; the only rewrite is compaction
 * through a temp file and rename, so readers never see a file shrink.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/error.h"
#include "storage/mime/mime-cache.h"
#include "core/compat.h"

#define FILE_MAGIC "MDMCACH1"
#define FILE_HDR 8
#define REC_FIXED (8 + 2 + 8 + 8 + 4)	/* checksum, key len, size, mtime */
#define KEY_MAX 1024

struct entry {
	struct entry *next;
	char *key;
	uint64_t size;
	int64_t sec;
	uint32_t nsec;
	uint64_t off;		/* blob offset in the mapping */
	uint32_t len;
	uint64_t rec;		/* record offset (checksum) in the mapping */
	uint32_t rec_len;
};

struct mime_cache {
	pthread_mutex_t lock;
	char *path;
	int fd;
	dev_t dev;
	ino_t ino;
	unsigned char *map;
	size_t map_len, scanned;
	struct entry **buckets;
	size_t nbuckets;
	unsigned int count;
};

static uint64_t
fnv1a(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0)
		h = (h ^ *s++) * 0x100000001b3ULL;
	return h;
}

static uint64_t
rd(const unsigned char *p, unsigned int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

static void
wr(unsigned char *p, uint64_t v, unsigned int n)
{
	while (n-- > 0) {
		p[n] = (unsigned char)v;
		v >>= 8;
	}
}

static void
index_clear(struct mime_cache *c)
{
	size_t i;

	for (i = 0; i < c->nbuckets; i++) {
		while (c->buckets[i] != NULL) {
			struct entry *e = c->buckets[i];

			c->buckets[i] = e->next;
			free(e->key);
			free(e);
		}
	}
	c->count = 0;
}

static void
index_grow(struct mime_cache *c)
{
	size_t n = c->nbuckets * 2, i;
	struct entry **b = xcalloc(n, sizeof(*b));

	for (i = 0; i < c->nbuckets; i++) {
		while (c->buckets[i] != NULL) {
			struct entry *e = c->buckets[i];
			size_t h = fnv1a(e->key, strlen(e->key)) & (n - 1);

			c->buckets[i] = e->next;
			e->next = b[h];
			b[h] = e;
		}
	}
	free(c->buckets);
	c->buckets = b;
	c->nbuckets = n;
}

static struct entry *
index_find(struct mime_cache *c, const char *key)
{
	struct entry *e;

	e = c->buckets[fnv1a(key, strlen(key)) & (c->nbuckets - 1)];
	for (; e != NULL; e = e->next) {
		if (strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

/* Record key's newest entry (replacing an older one). */
static struct entry *
index_set(struct mime_cache *c, const char *key, size_t keylen)
{
	struct entry *e;
	char *k = xstrndup(key, keylen);
	size_t h;

	if ((e = index_find(c, k)) != NULL) {
		free(k);
		return e;
	}
	if (c->count >= c->nbuckets)
		index_grow(c);
	e = xcalloc(1, sizeof(*e));
	e->key = k;
	h = fnv1a(k, keylen) & (c->nbuckets - 1);
	e->next = c->buckets[h];
	c->buckets[h] = e;
	c->count++;
	return e;
}

/* Index the records in [c->scanned, c->map_len). A record cut short at the
 * end may be another process's append in progress: stop before it. A
 * damaged record with a plausible length is skipped; one without stops
 * the scan (compaction drops it). */
static void
scan(struct mime_cache *c)
{
	const unsigned char *m = c->map;
	size_t pos = c->scanned;

	while (c->map_len - pos >= 4) {
		size_t len = (size_t)rd(m + pos, 4), keylen;
		const unsigned char *r = m + pos + 4;
		struct entry *e;

		if (len < REC_FIXED || len > MIME_CACHE_RECORD_MAX + KEY_MAX +
		    REC_FIXED || len > c->map_len - pos - 4)
			break;
		keylen = (size_t)rd(r + 8, 2);
		if (keylen == 0 || keylen > KEY_MAX ||
		    REC_FIXED + keylen > len ||
		    memchr(r + 10, '\0', keylen) != NULL) {
			pos += 4 + len;
			continue;
		}
		/* the checksum is verified when the record is used, so
		 * opening a large cache touches only the record heads */
		e = index_set(c, (const char *)r + 10, keylen);
		e->rec = (uint64_t)(r - m);
		e->rec_len = (uint32_t)len;
		r += 10 + keylen;
		e->size = rd(r, 8);
		e->sec = (int64_t)rd(r + 8, 8);
		e->nsec = (uint32_t)rd(r + 16, 4);
		e->off = (uint64_t)(r + 20 - m);
		e->len = (uint32_t)(len - REC_FIXED - keylen);
		pos += 4 + len;
	}
	c->scanned = pos;
}

/* Map the whole file (again) and index what is new. */
static int
remap(struct mime_cache *c)
{
	struct stat st;
	void *p;

	if (fstat(c->fd, &st) < 0)
		return -ERR_IO;
	if ((size_t)st.st_size <= c->map_len)
		return 0;
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_SHARED, c->fd, 0);
	if (p == MAP_FAILED)
		return -ERR_IO;
	if (c->map != NULL)
		munmap(c->map, c->map_len);
	c->map = p;
	c->map_len = (size_t)st.st_size;
	scan(c);
	return 0;
}

static void
unmap_close(struct mime_cache *c)
{
	if (c->map != NULL)
		munmap(c->map, c->map_len);
	if (c->fd >= 0)
		close(c->fd);
	c->map = NULL;
	c->map_len = c->scanned = 0;
	c->fd = -1;
	index_clear(c);
}

/* Create the file with its header atomically (temp file + link), so two
 * processes creating it at once cannot both write a header. */
static int
create_file(const char *path)
{
	char tmp[4096];
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.new.%ld.%lx", path, (long)getpid(),
		     (unsigned long)pthread_self()) >= (int)sizeof(tmp))
		return -ERR_IO;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -ERR_IO;
	if (write(fd, FILE_MAGIC, FILE_HDR) != FILE_HDR)
		ret = -ERR_IO;
	if (close(fd) < 0)
		ret = -ERR_IO;
	if (ret == 0 && link(tmp, path) < 0 && errno != EEXIST)
		ret = -ERR_IO;
	unlink(tmp);
	return ret;
}

/* (Re)open the file at c->path and index it. */
static int
attach_file(struct mime_cache *c)
{
	unsigned char hdr[FILE_HDR];
	struct stat st;
	int ret;

	unmap_close(c);
	c->fd = open(c->path, O_RDWR | O_APPEND | O_CLOEXEC);
	if (c->fd < 0 && errno == ENOENT) {
		if ((ret = create_file(c->path)) < 0)
			return ret;
		c->fd = open(c->path, O_RDWR | O_APPEND | O_CLOEXEC);
	}
	if (c->fd < 0 || fstat(c->fd, &st) < 0)
		return -ERR_IO;
	c->dev = st.st_dev;
	c->ino = st.st_ino;
	if (pread(c->fd, hdr, FILE_HDR, 0) != FILE_HDR ||
	    memcmp(hdr, FILE_MAGIC, FILE_HDR) != 0)
		return -ERR_CORRUPT;
	c->scanned = FILE_HDR;
	return remap(c);
}

/* Follow a compaction by another process (the path names a new file). */
static int
refresh(struct mime_cache *c)
{
	struct stat st;

	if (stat(c->path, &st) < 0 || st.st_dev != c->dev ||
	    st.st_ino != c->ino)
		return attach_file(c);
	return remap(c);
}

static int compact_locked(struct mime_cache *c, mime_cache_keep_fn *keep,
			  void *ctx);

int
mime_cache_open(const char *path, struct mime_cache **cache_r)
{
	struct mime_cache *c = xcalloc(1, sizeof(*c));
	int ret;

	*cache_r = NULL;
	pthread_mutex_init(&c->lock, NULL);
	c->path = xstrdup(path);
	c->fd = -1;
	c->nbuckets = 64;
	c->buckets = xcalloc(c->nbuckets, sizeof(*c->buckets));
	ret = attach_file(c);
	if (ret == -ERR_CORRUPT) {
		/* not our file, or damaged header: start afresh */
		if (unlink(path) < 0 && errno != ENOENT)
			ret = -ERR_IO;
		else
			ret = attach_file(c);
	}
	if (ret == 0 && c->scanned < c->map_len) {
		/* damaged records (or a torn append): rewrite the good ones */
		ret = compact_locked(c, NULL, NULL);
	}
	if (ret < 0) {
		int err = errno;

		mime_cache_close(&c);
		errno = err;
		return ret == -ERR_CORRUPT ? -ERR_IO : ret;
	}
	*cache_r = c;
	return 0;
}

void
mime_cache_close(struct mime_cache **cache)
{
	struct mime_cache *c = *cache;

	if (c == NULL)
		return;
	unmap_close(c);
	free(c->buckets);
	free(c->path);
	pthread_mutex_destroy(&c->lock);
	free(c);
	*cache = NULL;
}

static bool
entry_fresh(const struct entry *e, uint64_t size, int64_t sec, uint32_t nsec)
{
	return e != NULL && e->size == size && e->sec == sec && e->nsec == nsec;
}

int
mime_cache_get(struct mime_cache *c, struct arena *a, const char *key,
	       uint64_t size, int64_t mtime_sec, uint32_t mtime_nsec,
	       struct mime_message **msg_r)
{
	const unsigned char *blob;
	struct entry *e;
	int ret;

	*msg_r = NULL;
	pthread_mutex_lock(&c->lock);
	e = index_find(c, key);
	if (!entry_fresh(e, size, mtime_sec, mtime_nsec)) {
		if (refresh(c) < 0) {
			pthread_mutex_unlock(&c->lock);
			return 0;	/* a cache we cannot read is a miss */
		}
		e = index_find(c, key);
	}
	if (!entry_fresh(e, size, mtime_sec, mtime_nsec)) {
		pthread_mutex_unlock(&c->lock);
		return 0;
	}
	blob = c->map + e->off;
	if (rd(c->map + e->rec, 8) != fnv1a(c->map + e->rec + 8, e->rec_len - 8))
		ret = -ERR_CORRUPT;
	else
		ret = mime_deserialize(a, blob, e->len, msg_r);
	pthread_mutex_unlock(&c->lock);
	if (ret == -ERR_LIMIT)
		return ret;
	if (ret < 0 || (*msg_r)->size != size) {
		*msg_r = NULL;
		return 0;
	}
	return 1;
}

static unsigned char *
build_record(const char *key, uint64_t size, int64_t sec, uint32_t nsec,
	     const struct sbuf *blob, size_t *len_r)
{
	size_t keylen = strlen(key), len = REC_FIXED + keylen + blob->len;
	unsigned char *r = xmalloc(4 + len), *p = r + 4 + 8;

	wr(r, len, 4);
	wr(p, keylen, 2);
	memcpy(p + 2, key, keylen);
	p += 2 + keylen;
	wr(p, size, 8);
	wr(p + 8, (uint64_t)sec, 8);
	wr(p + 16, nsec, 4);
	memcpy(p + 20, blob->data, blob->len);
	wr(r + 4, fnv1a(r + 12, len - 8), 8);
	*len_r = 4 + len;
	return r;
}

int
mime_cache_put(struct mime_cache *c, const char *key, uint64_t size,
	       int64_t mtime_sec, uint32_t mtime_nsec,
	       const struct mime_message *m)
{
	size_t keylen = strlen(key), len;
	unsigned char *rec;
	struct sbuf blob;
	int ret = 0;

	if (keylen == 0 || keylen > KEY_MAX || strchr(key, '\n') != NULL)
		return -ERR_INVAL;
	sbuf_init(&blob, NULL, MIME_CACHE_RECORD_MAX);
	if (mime_serialize(m, &blob) < 0) {
		sbuf_free(&blob);
		return -ERR_LIMIT;
	}
	rec = build_record(key, size, mtime_sec, mtime_nsec, &blob, &len);
	/* one O_APPEND write; the record is indexed when a lookup misses
	 * and rescans the file (no second copy kept in memory) */
	pthread_mutex_lock(&c->lock);
	if (write(c->fd, rec, len) != (ssize_t)len)
		ret = -ERR_IO;
	pthread_mutex_unlock(&c->lock);
	free(rec);
	sbuf_free(&blob);
	return ret;
}

static int
write_entry(int fd, const struct mime_cache *c, const struct entry *e)
{
	struct sbuf blob;
	unsigned char *rec;
	size_t len;
	int ret;

	blob.data = (char *)(c->map + e->off);
	blob.len = e->len;
	rec = build_record(e->key, e->size, e->sec, e->nsec, &blob, &len);
	ret = write(fd, rec, len) == (ssize_t)len ? 0 : -ERR_IO;
	free(rec);
	return ret;
}

static int
compact_locked(struct mime_cache *c, mime_cache_keep_fn *keep, void *ctx)
{
	char tmp[4096];
	const struct entry *e;
	size_t i;
	int fd, ret = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld.%lx", c->path,
		     (long)getpid(), (unsigned long)pthread_self()) >=
	    (int)sizeof(tmp))
		return -ERR_IO;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -ERR_IO;
	if (write(fd, FILE_MAGIC, FILE_HDR) != FILE_HDR)
		ret = -ERR_IO;
	for (i = 0; i < c->nbuckets && ret == 0; i++) {
		for (e = c->buckets[i]; e != NULL && ret == 0; e = e->next) {
			if ((keep == NULL || keep(ctx, e->key)) &&
			    rd(c->map + e->rec, 8) ==
			    fnv1a(c->map + e->rec + 8, e->rec_len - 8))
				ret = write_entry(fd, c, e);
		}
	}
	if (ret == 0 && fsync(fd) < 0)
		ret = -ERR_IO;
	if (close(fd) < 0 && ret == 0)
		ret = -ERR_IO;
	if (ret == 0 && rename(tmp, c->path) < 0)
		ret = -ERR_IO;
	if (ret < 0) {
		unlink(tmp);
		return ret;
	}
	return attach_file(c);
}

int
mime_cache_compact(struct mime_cache *c, mime_cache_keep_fn *keep, void *ctx)
{
	int ret;

	pthread_mutex_lock(&c->lock);
	ret = refresh(c);
	if (ret == 0)
		ret = compact_locked(c, keep, ctx);
	pthread_mutex_unlock(&c->lock);
	return ret;
}

unsigned int
mime_cache_count(struct mime_cache *c)
{
	unsigned int n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}
