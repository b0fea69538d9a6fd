/* Maildock - SPDX-License-Identifier: MIT
 *
 * Per-folder cache of parsed messages (issue 3, "Message parser and
 * cache"): one append-only file per folder maps a message's key (its
 * Maildir base name) plus the file's size and mtime to the mime_serialize
 * form, so a later ENVELOPE/BODY/BODYSTRUCTURE/RFC822.SIZE FETCH reads no
 * message file. The cache is never trusted over the message: an entry
 * whose size or mtime differs is ignored, and damaged bytes are skipped
 * (every record carries a checksum; mime_deserialize re-checks structure).
 *
 * Sharing: one struct mime_cache per folder may be used by many threads
 * (a mutex serialises calls); several processes (other Maildock daemons,
 * NFS nodes) may append to the same file at once: each record is written
 * with one O_APPEND write(2), and a record torn by a crash is skipped. The
 * file is rewritten only by compaction (mime_cache_compact, or at open when
 * damaged records are found), through a temp file and rename(2), so a
 * reader's mapping never shrinks under it. Memory: an index entry per key;
 * the records stay in the file (mapped).
 */
#ifndef STORAGE_MIME_MIME_CACHE_H
#define STORAGE_MIME_MIME_CACHE_H

#include <stdint.h>
#include "storage/mime/mime.h"

struct mime_cache;

/* Largest record the cache accepts (larger parsed forms are not cached). */
#define MIME_CACHE_RECORD_MAX (16u << 20)

/* Keep-predicate for mime_cache_compact: true to keep the entry of key. */
typedef bool mime_cache_keep_fn(void *ctx, const char *key);

/* mime_cache_open: open (creating with mode 0600 if missing) the cache
 * file at path and index its entries. A file with a foreign or damaged
 * header is replaced by an empty cache. Returns 0 with *cache_r set (the
 * caller owns it: mime_cache_close), -ERR_IO (errno set) or -ERR_NOMEM.
 * Thread-safe to call; the result is shared-safe. */
int mime_cache_open(const char *path, struct mime_cache **cache_r);

/* mime_cache_close: release the cache and set *cache to NULL. NULL-safe.
 * No other thread may use it any more. */
void mime_cache_close(struct mime_cache **cache);

/* mime_cache_get: look up key (a NUL-terminated name, e.g. the Maildir
 * base name before ":2,") for a file of size bytes and mtime (seconds,
 * nanoseconds). On a hit the message is rebuilt in arena a (see
 * mime_deserialize: mime_attach it before section access). New records
 * appended by other processes are picked up on a miss. Returns 1 hit, 0 miss
 * (no entry, stale entry, damaged entry), -ERR_LIMIT (arena cap), -ERR_IO.
 * Thread-safe. */
int mime_cache_get(struct mime_cache *c, struct arena *a, const char *key,
		   uint64_t size, int64_t mtime_sec, uint32_t mtime_nsec,
		   struct mime_message **msg_r);

/* mime_cache_put: store the parsed message m for key/size/mtime (appends
 * one record; a later record for the same key wins; it is indexed by the
 * next lookup that misses). Returns 0, -ERR_INVAL (empty key, over 1024
 * bytes, or with a LF), -ERR_LIMIT (record over MIME_CACHE_RECORD_MAX: not
 * cached), -ERR_IO (errno set; the cache stays usable). Thread-safe. */
int mime_cache_put(struct mime_cache *c, const char *key, uint64_t size,
		   int64_t mtime_sec, uint32_t mtime_nsec,
		   const struct mime_message *m);

/* mime_cache_compact: rewrite the file with the newest record of each key
 * for which keep(ctx, key) is true (keep NULL: all keys), dropping stale and
 * damaged records; atomic (temp file, fsync, rename). Records other
 * processes append during the rewrite may be lost (they are rebuilt on the
 * next miss). Returns 0 or -ERR_IO. Thread-safe. */
int mime_cache_compact(struct mime_cache *c, mime_cache_keep_fn *keep,
		       void *ctx);

/* mime_cache_count: number of keys indexed (for tests and statistics). */
unsigned int mime_cache_count(struct mime_cache *c);

#endif
