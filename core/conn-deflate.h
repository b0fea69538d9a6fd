/* Maildock - SPDX-License-Identifier: MIT
 *
 * The DEFLATE layer of a connection (RFC 4978 COMPRESS=DEFLATE: raw
 * deflate, RFC 1951, no zlib header, both directions), used by core/conn.c
 * between its buffers and the socket or TLS stream. Private to core/.
 *
 * Memory per compressed connection is fixed: zlib's inflate window (32
 * KiB, what any client may use), a small deflate state (window 4 KiB,
 * memLevel 6: about 48 KiB) and two 16 KiB buffers. Inflating produces
 * only as many octets as the reader has room for, so a small input that
 * inflates to gigabytes (a decompression bomb) costs time at the reader's
 * pace, never memory: the line and literal limits of the protocol apply
 * to the inflated octets as to plaintext ones.
 *
 * Not thread-safe: one conn, one thread.
 */
#ifndef CORE_CONN_DEFLATE_H
#define CORE_CONN_DEFLATE_H

#include <stdbool.h>
#include <stddef.h>

struct conn_deflate;

/* conn_deflate_new: both streams ready, or NULL when zlib cannot allocate
 * them. Free with conn_deflate_free (NULL-safe, sets *d to NULL). */
struct conn_deflate *conn_deflate_new(void);
void conn_deflate_free(struct conn_deflate **d);

/* Input. conn_deflate_in_space: where compressed octets read from the
 * peer may be put (*n_r > 0 always) ; conn_deflate_in_added: n of them
 * were put there. conn_deflate_inflate: inflate into out[0..room), *got_r
 * octets made (0: more input is needed). Returns 0, -ERR_EOF (the peer
 * ended its deflate stream) or -ERR_IO (not a deflate stream).
 * conn_deflate_pending: input or inflated output is waiting, so a reader
 * must not wait on the socket. */
void conn_deflate_in_space(struct conn_deflate *d, char **p_r, size_t *n_r);
void conn_deflate_in_added(struct conn_deflate *d, size_t n);
int conn_deflate_inflate(struct conn_deflate *d, char *out, size_t room,
			 size_t *got_r);
bool conn_deflate_pending(const struct conn_deflate *d);

/* Output. conn_deflate_write: compress p[0..n) and hand the compressed
 * octets to sink(ctx, ...) as they come; with flush, end with a sync
 * flush so the peer can inflate everything written so far (every
 * conn_flush). Returns 0 or the sink's first error.
 * conn_deflate_unflushed: octets were compressed since the last flush. */
typedef int conn_deflate_sink_fn(void *ctx, const char *p, size_t n);
int conn_deflate_write(struct conn_deflate *d, const char *p, size_t n,
		       bool flush, conn_deflate_sink_fn *sink, void *ctx);
bool conn_deflate_unflushed(const struct conn_deflate *d);

#endif
