/* Maildock - SPDX-License-Identifier: MIT
 *
 * Chunked bump allocator with a byte cap and cleanup hooks, one per session
 * and one per command (STYLE C5). Freed all at once by arena_reset/arena_free.
 */
#ifndef CORE_ARENA_H
#define CORE_ARENA_H

#include <stdarg.h>
#include <stddef.h>
#include "core/compat.h"

struct arena;

typedef void arena_cleanup_fn(void *ctx);

/* arena_new: an arena that refuses allocations once cap bytes (payload) are
 * in use; cap 0 means no cap. Never NULL (malloc failure is fatal).
 * The caller owns it and frees it with arena_free. */
struct arena *arena_new(size_t cap);

/* arena_new_wiped: like arena_new, but every byte is zeroed (explicit_bzero)
 * on reset and free. For credentials. */
struct arena *arena_new_wiped(size_t cap);

/* arena_alloc: n bytes aligned for any type, valid until the next reset.
 * Returns NULL only when the cap would be exceeded (arena_failed() is then
 * true). arena_zalloc also zeroes the bytes. Not thread-safe: an arena
 * belongs to one thread. */
void *arena_alloc(struct arena *a, size_t n);
void *arena_zalloc(struct arena *a, size_t n);

/* arena_strdup/strndup/printf: NUL-terminated copies in the arena; NULL when
 * over the cap. */
char *arena_strdup(struct arena *a, const char *s);
char *arena_strndup(struct arena *a, const char *s, size_t n);
char *arena_printf(struct arena *a, const char *fmt, ...) ATTR_PRINTF(2, 3);
char *arena_vprintf(struct arena *a, const char *fmt, va_list ap) ATTR_PRINTF(2, 0);

/* arena_on_reset: call fn(ctx) at the next reset or free, in reverse order of
 * registration (to close fds, release mailbox handles). Returns 0 or -ERR_LIMIT. */
int arena_on_reset(struct arena *a, arena_cleanup_fn *fn, void *ctx);

/* arena_reset: run cleanups, release all allocations (keeping one chunk), and
 * clear the failed flag. */
void arena_reset(struct arena *a);

/* arena_free: reset, release everything, set *a to NULL. NULL-safe. */
void arena_free(struct arena **a);

/* arena_used: payload bytes handed out since the last reset.
 * arena_failed: whether an allocation was refused for the cap. */
size_t arena_used(const struct arena *a);
bool arena_failed(const struct arena *a);

#endif
