/* Maildock - SPDX-License-Identifier: MIT
 *
 * A client connection: buffered, timed reads and writes over a socket, in
 * plaintext or TLS, and the in-place upgrade for STARTTLS/STLS. Each call
 * blocks its (connection) thread in poll(2) for at most the set timeout.
 */
#ifndef CORE_CONN_H
#define CORE_CONN_H

#include <stdarg.h>
#include <stdint.h>
#include "core/compat.h"
#include "core/sbuf.h"

struct conn;
struct tlsconn_ctx;

/* conn_new: wrap a connected socket (made non-blocking here). The conn owns
 * fd and closes it in conn_free. Never NULL. Not thread-safe: one thread
 * uses a conn. */
struct conn *conn_new(int fd);

/* conn_free: close the socket (with a TLS close_notify when in TLS), free
 * everything, set *c to NULL. When input is still unread, first waits up
 * to 1 s, discarding up to 8 MiB, for the client to stop sending, so that
 * it reads the last response instead of a reset. NULL-safe. */
void conn_free(struct conn **c);

/* conn_set_timeout: reads (and writes) fail with -ERR_TIMEOUT after seconds
 * without progress; 0 means no timeout. */
void conn_set_timeout(struct conn *c, unsigned seconds);

/* conn_set_deadline: besides the per-read timeout, every read and write
 * fails with -ERR_TIMEOUT once seconds from now have passed, however the
 * peer trickles its bytes (the login phase: slowloris). 0 removes it. */
void conn_set_deadline(struct conn *c, unsigned seconds);

/* conn_set_shutdown_fd: a descriptor that becomes readable when the server
 * stops; blocked reads then return -ERR_SHUTDOWN. Process-wide, set once at
 * start-up before any connection. */
void conn_set_shutdown_fd(int fd);

/* conn_kick: end c for an admin (maildock-admin kick): its reads, blocked
 * or later, return -ERR_KICKED, and a session parked on its socket wakes,
 * while writes still work, so the protocol can say goodbye (IMAP "* BYE",
 * RFC 3501 7.1.5). Thread-safe: called from the control thread while the
 * session's own thread uses c. */
void conn_kick(struct conn *c);

/* conn_starttls: run the TLS server handshake on c (implicit TLS right
 * after accept, or STARTTLS/STLS after the OK was flushed). Every byte that
 * was buffered in plaintext is discarded first, so commands pipelined
 * behind STARTTLS are never executed (RFC 3207 sec. 4.2 class of bug).
 * Returns 0, -ERR_TLS, -ERR_TIMEOUT or -ERR_EOF. */
int conn_starttls(struct conn *c, struct tlsconn_ctx *ctx);

/* conn_compress_start: from now on, what is read is inflated and what is
 * written deflated (RFC 4978 COMPRESS=DEFLATE: raw deflate both ways,
 * every conn_flush a sync flush). Call right after the command's OK was
 * queued: that OK is flushed uncompressed first; octets the client sent
 * after the command are taken as its first compressed ones. Line and
 * literal limits then apply to the inflated octets, and memory stays
 * bounded whatever the input inflates to (core/conn-deflate.h). Returns
 * 0, -ERR_INVAL (already on), -ERR_NOMEM, -ERR_LIMIT (more than 16 KiB
 * sent ahead of the OK) or a write error. After it, conn_starttls fails. */
int conn_compress_start(struct conn *c);

/* conn_is_compressed: whether COMPRESS=DEFLATE is on. */
bool conn_is_compressed(const struct conn *c);

/* conn_is_tls: whether the connection is encrypted now. */
bool conn_is_tls(const struct conn *c);

/* conn_tls_info: "TLSv1.3 TLS_AES_256_GCM_SHA384" or "" (static storage of
 * the conn; valid until conn_free). */
const char *conn_tls_info(const struct conn *c);

/* conn_read_line: the next line, without its CRLF or LF, into *line_r
 * (pointing into the conn's buffer, valid until the next read call).
 * A line longer than max bytes is read and thrown away up to its LF and
 * -ERR_LIMIT is returned: it is never truncated and run.
 * Errors: -ERR_EOF, -ERR_TIMEOUT, -ERR_SHUTDOWN, -ERR_KICKED, -ERR_IO,
 * -ERR_TLS. */
int conn_read_line(struct conn *c, size_t max, struct sview *line_r);

/* conn_line_head: after conn_read_line returned -ERR_LIMIT, the first
 * bytes (at most CONN_LINE_HEAD) of the line it threw away, so that a
 * protocol can answer the line's tag (RFC 3501 2.2.2); *p_r points into
 * c, valid until the next refused line. Returns their count. */
#define CONN_LINE_HEAD 128
size_t conn_line_head(const struct conn *c, const char **p_r);

/* conn_line_crlf: whether the last line conn_read_line returned ended in
 * CRLF rather than a bare LF (SMTP and LMTP data end only at CRLF "."
 * CRLF, RFC 5321 2.3.8 and 4.1.1.4). */
bool conn_line_crlf(const struct conn *c);

/* conn_read: up to n bytes into buf (at least 1, blocking); *got_r is the
 * count. Same errors as conn_read_line. */
int conn_read(struct conn *c, void *buf, size_t n, size_t *got_r);

/* conn_skip: read and discard exactly n bytes (a refused literal). */
int conn_skip(struct conn *c, uint64_t n);

/* conn_buffered: bytes already read from the peer and not yet consumed
 * (including TLS records decrypted but not read). */
size_t conn_buffered(const struct conn *c);

/* conn_input_pending: whether input waits inside the process, where
 * poll/epoll on the socket cannot see it: bytes in the conn's buffer, or
 * TLS data OpenSSL read from the socket (decrypted or not). A session
 * must not park (core/park.h) while it is true. */
bool conn_input_pending(const struct conn *c);

/* conn_read_ready: read what the socket holds now, without waiting (TLS
 * records are processed): 1 when protocol input is buffered after it, 0
 * when none arrived (a TLS post-handshake message, a spurious wake-up),
 * or -ERR_EOF, -ERR_IO, -ERR_TLS. For a parked session's wake-up. */
int conn_read_ready(struct conn *c);

/* conn_shrink: give back the memory of empty buffers (the conn's input
 * and output buffers, OpenSSL's record buffers); they are made again on
 * use. For a parked session. */
void conn_shrink(struct conn *c);

/* conn_wait: wait until the peer sent data (returns 1), extra_fd (if >= 0)
 * is readable (returns 2), or timeout_ms passed (returns 0; -1 waits for
 * ever). Returns -ERR_SHUTDOWN when the server stops. For IDLE. */
int conn_wait(struct conn *c, int extra_fd, int timeout_ms);

/* conn_write / conn_writes / conn_printf: queue output; it is sent when the
 * buffer fills and by conn_flush. Errors are sticky: after one, every call
 * returns it. Returns 0, -ERR_IO, -ERR_TIMEOUT, -ERR_TLS. */
int conn_write(struct conn *c, const void *p, size_t n);
int conn_writes(struct conn *c, const char *s);
int conn_printf(struct conn *c, const char *fmt, ...) ATTR_PRINTF(2, 3);
int conn_flush(struct conn *c);

/* conn_bytes: octets read from and written to the peer so far (after TLS
 * decryption, i.e. protocol bytes). */
void conn_bytes(const struct conn *c, uint64_t *in_r, uint64_t *out_r);

/* conn_fd: the socket, for getpeername and the like. */
int conn_fd(const struct conn *c);

#endif
