/* Maildock - SPDX-License-Identifier: MIT
 *
 * Portability, attributes, overflow-checked size arithmetic, and the
 * poisoning of unbounded string functions. Include it after system headers.
 */
#ifndef CORE_COMPAT_H
#define CORE_COMPAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ATTR_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define ATTR_NORETURN __attribute__((noreturn))
#define ATTR_UNUSED __attribute__((unused))
#define ATTR_NODISCARD __attribute__((warn_unused_result))
#define N_ELEMENTS(a) (sizeof(a) / sizeof((a)[0]))

/* size_add_r, size_mul_r: *r = a + b (a * b); return false on overflow,
 * leaving *r unspecified. Thread-safe, pure. */
static inline bool
size_add_r(size_t a, size_t b, size_t *r)
{
	return !__builtin_add_overflow(a, b, r);
}

static inline bool
size_mul_r(size_t a, size_t b, size_t *r)
{
	return !__builtin_mul_overflow(a, b, r);
}

/* xmalloc family: abort the process only when malloc itself fails (the one
 * fatal condition, STYLE C5). Never return NULL. Thread-safe. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);

/* strlcpy-like bounded copy: copies at most dstsize-1 bytes and always
 * NUL-terminates (dstsize > 0). Returns strlen(src); truncation happened if
 * the result is >= dstsize. Thread-safe. */
size_t str_copy(char *dst, const char *src, size_t dstsize);

/* strerror_r wrapper returning the text in buf (size bytes). Thread-safe. */
const char *errno_str(int errnum, char *buf, size_t size);

#pragma GCC poison strcpy strcat sprintf vsprintf gets strtok

#endif
