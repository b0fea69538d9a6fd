/* Maildock - SPDX-License-Identifier: MIT
 *
 * Bounded string buffers and slices.
 */
#include <strings.h>
#include "core/arena.h"
#include "core/sbuf.h"

static char empty[1];

void
sbuf_init(struct sbuf *b, struct arena *arena, size_t max)
{
	b->data = empty;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : SIZE_MAX - 1;
	b->arena = arena;
	b->failed = false;
}

void
sbuf_free(struct sbuf *b)
{
	if (b->arena == NULL && b->cap > 0)
		free(b->data);
	b->data = empty;
	b->len = b->cap = 0;
}

static bool
reserve(struct sbuf *b, size_t n)
{
	size_t need;

	if (b->failed)
		return false;
	if (!size_add_r(b->len, n, &need) || need > b->max) {
		b->failed = true;
		return false;
	}
	need++;
	if (need <= b->cap)
		return true;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	char *p;
	if (b->arena != NULL) {
		p = arena_alloc(b->arena, cap);
		if (p == NULL) {
			b->failed = true;
			return false;
		}
		memcpy(p, b->data, b->len + 1);
	} else {
		p = b->cap ? xrealloc(b->data, cap) : xmalloc(cap);
		if (b->cap == 0)
			p[0] = '\0';
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void
sbuf_append(struct sbuf *b, const void *p, size_t n)
{
	if (!reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
sbuf_appends(struct sbuf *b, const char *s)
{
	sbuf_append(b, s, strlen(s));
}

void
sbuf_appendc_slow(struct sbuf *b, char c)
{
	sbuf_append(b, &c, 1);
}

void
sbuf_vappendf(struct sbuf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	size_t room = b->cap > b->len ? b->cap - b->len : 0;
	int n;

	if (b->failed)
		return;
	/* Format once into the spare room; only a result that does not fit
	 * is formatted a second time. */
	va_copy(ap2, ap);
	n = room > 0 ? vsnprintf(b->data + b->len, room, fmt, ap2)
		     : vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		b->failed = true;
		if (room > 0)
			b->data[b->len] = '\0';
		return;
	}
	if ((size_t)n < room) {
		if (b->len + (size_t)n > b->max) {
			b->data[b->len] = '\0';
			b->failed = true;
			return;
		}
		b->len += (size_t)n;
		return;
	}
	if (room > 0)
		b->data[b->len] = '\0';
	if (!reserve(b, (size_t)n))
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void
sbuf_append_u64(struct sbuf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sbuf_append(b, tmp + i, sizeof(tmp) - i);
}

void
sbuf_appendf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	sbuf_vappendf(b, fmt, ap);
	va_end(ap);
}

void
sbuf_reset(struct sbuf *b)
{
	b->len = 0;
	if (b->cap > 0)
		b->data[0] = '\0';
	b->failed = false;
}

void
sbuf_truncate(struct sbuf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

bool
sview_eq(struct sview a, struct sview b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.p, b.p, a.len) == 0);
}

bool
sview_eq_ci(struct sview a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && strncasecmp(a.p, s, n) == 0;
}

struct sview
sview_from_cstr(const char *s)
{
	return (struct sview){ s, strlen(s) };
}
