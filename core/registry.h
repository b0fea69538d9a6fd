/* Maildock - SPDX-License-Identifier: MIT
 *
 * The sessions of this process, for the control socket (maildock-admin
 * who, kick): each connection thread enters its session at start and
 * leaves it at the end; what "who" shows is a copy the session thread
 * refreshes at login, so no other thread reads a session's own state.
 */
#ifndef CORE_REGISTRY_H
#define CORE_REGISTRY_H

#include <stdbool.h>
#include <time.h>

struct sbuf;
struct session;

/* registry_add / registry_remove: enter s (with s->conn, which must stay
 * until s leaves) / leave it. registry_remove returns true when the
 * session was kicked (registry_kick). Thread-safe. */
void registry_add(struct session *s);
bool registry_remove(struct session *s);

/* registry_update: refresh what "who" shows of s (user, client address,
 * TLS) from the session thread itself, after login. Thread-safe. */
void registry_update(struct session *s, bool tls);

/* registry_who: append one tab-separated line per session: id, user ("-"
 * before login), ip, protocol, tls (0/1), since (seconds since the epoch).
 * Thread-safe. */
void registry_who(struct sbuf *b);

/* registry_kick: conn_kick every session whose user or client IP equals
 * who: it says goodbye in its protocol (IMAP "* BYE", POP3 "-ERR") and
 * ends as "kicked". Returns how many. Thread-safe. */
unsigned registry_kick(const char *who);

#endif
