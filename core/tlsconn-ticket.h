/* Maildock - SPDX-License-Identifier: MIT
 *
 * TLS session tickets (RFC 8446 4.6.1, RFC 5077) whose keys every worker
 * process derives alike from one secret, rotated by the clock, and kept
 * across reloads: a client resumes on whichever worker accepts it.
 */
#ifndef CORE_TLSCONN_TICKET_H
#define CORE_TLSCONN_TICKET_H

#include <openssl/ssl.h>
#include "core/compat.h"

/* tlsconn_ticket_init: make the process's ticket secret (32 random bytes)
 * unless it exists. Call in the master before the workers are forked, so
 * that they inherit the same secret; later calls (reloads) keep it.
 * Returns 0 or -ERR_TLS (no randomness). Not thread-safe: start-up and
 * reloads, which run in one thread of each process. */
int tlsconn_ticket_init(void);

/* tlsconn_ticket_setup: issue and accept stateless tickets on ctx, with
 * keys rotated every lifetime seconds (a ticket stays valid for one to two
 * lifetimes; lifetime is also the hint sent to clients), or, when enable
 * is false, none at all (no resumption: a stateful cache would not be
 * shared between worker processes). tlsconn_ticket_init must have run.
 * Returns 0 or -ERR_TLS. Start-up or reload, before ctx is shared. */
int tlsconn_ticket_setup(SSL_CTX *ctx, bool enable, unsigned lifetime);

#endif
