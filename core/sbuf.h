/* Maildock - SPDX-License-Identifier: MIT
 *
 * Bounded growable strings (STYLE C4): always NUL-terminated, with a hard
 * maximum; going over it sets a sticky failed flag instead of truncating.
 * struct sview is a non-owning slice for parser output.
 */
#ifndef CORE_SBUF_H
#define CORE_SBUF_H

#include <stdarg.h>
#include "core/compat.h"

struct arena;

struct sview {
	const char *p;
	size_t len;
};

struct sbuf {
	char *data;		/* NUL-terminated; never NULL after sbuf_init */
	size_t len;		/* bytes, excluding the NUL */
	size_t cap;		/* allocated bytes, including the NUL */
	size_t max;		/* hard maximum of len; 0 means SIZE_MAX */
	struct arena *arena;	/* memory comes from here, or the heap if NULL */
	bool failed;		/* sticky: an append was refused for max */
};

#define SVIEW_LIT(s) ((struct sview){ (s), sizeof(s) - 1 })

/* sbuf_init: an empty buffer of at most max bytes (0: unbounded) whose memory
 * comes from arena (NULL: the heap; then release with sbuf_free). */
void sbuf_init(struct sbuf *b, struct arena *arena, size_t max);

/* sbuf_free: release heap memory (no-op for arena buffers); b is empty after. */
void sbuf_free(struct sbuf *b);

/* Appends: on exceeding max (or the arena's cap) nothing is appended and
 * failed is set; later appends are ignored until sbuf_reset. */
void sbuf_append(struct sbuf *b, const void *p, size_t n);
void sbuf_appends(struct sbuf *b, const char *s);
/* (sbuf_appendc_slow: the out-of-line part of sbuf_appendc below) */
void sbuf_appendc_slow(struct sbuf *b, char c);
void sbuf_appendf(struct sbuf *b, const char *fmt, ...) ATTR_PRINTF(2, 3);
void sbuf_vappendf(struct sbuf *b, const char *fmt, va_list ap) ATTR_PRINTF(2, 0);

/* sbuf_append_u64: append v in decimal (no locale, no formatting cost). */
void sbuf_append_u64(struct sbuf *b, uint64_t v);

/* sbuf_appendc: append one byte; inline while it fits, which is the
 * common case of formatters that work a byte at a time. */
static inline void
sbuf_appendc(struct sbuf *b, char c)
{
	if (!b->failed && b->len + 1 < b->cap && b->len < b->max) {
		b->data[b->len++] = c;
		b->data[b->len] = '\0';
		return;
	}
	sbuf_appendc_slow(b, c);
}

/* sbuf_reset: empty the buffer and clear failed (memory is kept). */
void sbuf_reset(struct sbuf *b);

/* sbuf_truncate: shorten to len bytes (len <= b->len). */
void sbuf_truncate(struct sbuf *b, size_t len);

static inline bool
sbuf_failed(const struct sbuf *b)
{
	return b->failed;
}

static inline struct sview
sbuf_view(const struct sbuf *b)
{
	return (struct sview){ b->data, b->len };
}

/* sview helpers: pure, thread-safe. sview_eq_ci compares ASCII
 * case-insensitively; sview_from_cstr wraps a NUL-terminated string. */
bool sview_eq(struct sview a, struct sview b);
bool sview_eq_ci(struct sview a, const char *s);
struct sview sview_from_cstr(const char *s);

#endif
