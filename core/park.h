/* Maildock - SPDX-License-Identifier: MIT
 *
 * Parked sessions: a session that only waits (IMAP IDLE) gives its thread
 * back and leaves its connection (socket, TLS state, buffers, protocol
 * state, all on the heap) in the process's one poller (epoll), as
 * Dovecot's imap-hibernate does for processes. Its socket becoming
 * readable, park_wake, its timeout or the server stopping hands it to a
 * thread again, which calls its protocol's resume hook.
 */
#ifndef CORE_PARK_H
#define CORE_PARK_H

#include <stdbool.h>

struct session;

/* Why a parked session was given a thread again (proto_ops.resume). */
enum park_wake {
	PARK_WAKE_INPUT = 1,	/* the socket is readable, or closed */
	PARK_WAKE_CHANGE,	/* park_wake: e.g. the IDLE folder changed */
	PARK_WAKE_TIMEOUT,	/* timeout_ms of park_request passed */
	PARK_WAKE_SHUTDOWN,	/* the server stops */
};

/* park_request: ask the core to park s when the protocol's run (or resume)
 * hook returns, which it must do at once without touching s afterwards.
 * The protocol must keep every state it needs to continue in heap
 * objects reachable from s (the thread's stack is gone). timeout_ms: the
 * longest wait before resume(PARK_WAKE_TIMEOUT) (at least about 1 s
 * granularity). Input already buffered (conn_input_pending) or a wake-up
 * since the last resume makes the core resume s at once instead. Only the
 * session's own thread calls it. */
void park_request(struct session *s, unsigned timeout_ms);

/* park_wake: s must look at its state again (PARK_WAKE_CHANGE): resumed
 * soon when parked, or at its next park_request when running. Thread-
 * safe, never blocks for long; the caller must know that s is alive
 * (e.g. a storage watch that the session removes before it ends). */
void park_wake(struct session *s);

#endif
