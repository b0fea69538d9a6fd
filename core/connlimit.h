/* Maildock - SPDX-License-Identifier: MIT
 *
 * The connection limits that hold across every worker process: the total
 * (limits.max_connections) and per client address
 * (limits.max_connections_per_ip), counted in one shared table of
 * connection slots, each owned by the worker process that holds it.
 */
#ifndef CORE_CONNLIMIT_H
#define CORE_CONNLIMIT_H

#include <sys/socket.h>
#include <sys/types.h>
#include "core/compat.h"

/* connlimit_init: make the shared table for capacity connections at once
 * (the limits.max_connections of start-up: a reload cannot grow it). The
 * master calls it before forking the workers. */
void connlimit_init(unsigned capacity);

/* connlimit_capacity: the capacity of connlimit_init. */
unsigned connlimit_capacity(void);

/* connlimit_admit: count a connection from remote in, owned by the calling
 * process, unless max_total (at most the capacity) or, when count_ip,
 * max_per_ip are reached (a trusted proxy's connection is counted under
 * its client's address later, by connlimit_readdress). Returns the
 * connection's slot (>= 0), or -ERR_LIMIT with *reason_r the refusal to
 * send (static text). IPv4-mapped IPv6 peers count as their IPv4 address.
 * Thread- and process-safe. */
int connlimit_admit(const struct sockaddr_storage *remote, bool count_ip,
		    unsigned max_total, unsigned max_per_ip,
		    const char **reason_r);

/* connlimit_readdress: the PROXY header of slot's connection named client:
 * count it under client's address, unless that address has max_per_ip
 * connections already: then -ERR_LIMIT with *reason_r the refusal (the
 * slot stays counted in the total until released). Returns 0 otherwise,
 * also for a slot counted under an address already. */
int connlimit_readdress(int slot, const struct sockaddr_storage *client,
			unsigned max_per_ip, const char **reason_r);

/* connlimit_release: the connection in slot ended. */
void connlimit_release(int slot);

/* connlimit_release_pid: release every slot that process pid held (the
 * master, after reaping a dead worker: a SIGKILLed worker could not).
 * Returns how many it held. */
unsigned connlimit_release_pid(pid_t pid);

/* connlimit_active: connections counted now, in every worker. */
unsigned connlimit_active(void);

#endif
