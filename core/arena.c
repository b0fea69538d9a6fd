/* Maildock - SPDX-License-Identifier: MIT
 *
 * A bump allocator over a list of malloc'd chunks. Large requests get a chunk
 * of their own. The cap bounds what one client can make a session hold.
 */
#include <string.h>
#include "core/arena.h"
#include "core/error.h"

#define ARENA_CHUNK 8192
#define ARENA_ALIGN 16

struct chunk {
	struct chunk *next;
	size_t size, used;
	max_align_t data[];
};

struct cleanup {
	struct cleanup *next;
	arena_cleanup_fn *fn;
	void *ctx;
};

struct arena {
	struct chunk *chunks;
	struct cleanup *cleanups;
	size_t cap, used;
	bool wiped, failed;
};

static struct arena *
arena_create(size_t cap, bool wiped)
{
	struct arena *a = xcalloc(1, sizeof(*a));
	a->cap = cap;
	a->wiped = wiped;
	return a;
}

struct arena *
arena_new(size_t cap)
{
	return arena_create(cap, false);
}

struct arena *
arena_new_wiped(size_t cap)
{
	return arena_create(cap, true);
}

void *
arena_alloc(struct arena *a, size_t n)
{
	size_t rounded, total;

	if (!size_add_r(n, ARENA_ALIGN - 1, &rounded)) {
		a->failed = true;
		return NULL;
	}
	rounded &= ~(size_t)(ARENA_ALIGN - 1);
	if (rounded == 0)
		rounded = ARENA_ALIGN;
	if (!size_add_r(a->used, rounded, &total) ||
	    (a->cap != 0 && total > a->cap)) {
		a->failed = true;
		return NULL;
	}
	struct chunk *c = a->chunks;
	if (c == NULL || c->size - c->used < rounded) {
		size_t size = rounded > ARENA_CHUNK ? rounded : ARENA_CHUNK;
		c = xmalloc(sizeof(*c) + size);
		c->size = size;
		c->used = 0;
		if (rounded > ARENA_CHUNK && a->chunks != NULL) {
			/* keep the partly used chunk current */
			c->next = a->chunks->next;
			a->chunks->next = c;
		} else {
			c->next = a->chunks;
			a->chunks = c;
		}
	}
	void *p = (char *)c->data + c->used;
	c->used += rounded;
	a->used = total;
	return p;
}

void *
arena_zalloc(struct arena *a, size_t n)
{
	void *p = arena_alloc(a, n);
	if (p != NULL)
		memset(p, 0, n);
	return p;
}

char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = arena_alloc(a, len + 1);
	if (p == NULL)
		return NULL;
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

char *
arena_vprintf(struct arena *a, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return NULL;
	char *p = arena_alloc(a, (size_t)n + 1);
	if (p != NULL)
		vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = arena_vprintf(a, fmt, ap);
	va_end(ap);
	return p;
}

int
arena_on_reset(struct arena *a, arena_cleanup_fn *fn, void *ctx)
{
	struct cleanup *c = arena_alloc(a, sizeof(*c));
	if (c == NULL)
		return -ERR_LIMIT;
	c->fn = fn;
	c->ctx = ctx;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

static void
release(struct arena *a, bool keep_one)
{
	while (a->cleanups != NULL) {
		struct cleanup *c = a->cleanups;
		a->cleanups = c->next;
		c->fn(c->ctx);
	}
	struct chunk *c = a->chunks, *keep = NULL;
	while (c != NULL) {
		struct chunk *next = c->next;
		if (a->wiped)
			explicit_bzero(c->data, c->used);
		if (keep_one && keep == NULL && c->size == ARENA_CHUNK) {
			keep = c;
			keep->used = 0;
			keep->next = NULL;
		} else {
			free(c);
		}
		c = next;
	}
	a->chunks = keep;
	a->used = 0;
	a->failed = false;
}

void
arena_reset(struct arena *a)
{
	release(a, true);
}

void
arena_free(struct arena **ap)
{
	if (*ap == NULL)
		return;
	release(*ap, false);
	free(*ap);
	*ap = NULL;
}

size_t
arena_used(const struct arena *a)
{
	return a->used;
}

bool
arena_failed(const struct arena *a)
{
	return a->failed;
}
