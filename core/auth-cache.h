/* Maildock - SPDX-License-Identifier: MIT
 *
 * The optional cache of successful logins, per process, keyed on the user
 * and a keyed hash (HMAC-SHA-256 with a random per-process key) of the
 * password, so no password is ever kept. (The failure counters are in
 * core/auth-throttle, shared by every worker.)
 */
#ifndef CORE_AUTH_CACHE_H
#define CORE_AUTH_CACHE_H

#include <time.h>
#include "authmods/authmod.h"
#include "core/compat.h"

/* auth_cache_get: a cached answer for user and password no older than
 * ttl seconds into *u_r (strings in u_r->buf). Returns true on a hit.
 * Thread-safe. */
bool auth_cache_get(const char *user, const char *password, unsigned ttl,
		    time_t now, struct authmod_user *u_r);

/* auth_cache_put: remember a successful verify of user with password;
 * with max entries at most (the oldest go first). Thread-safe. */
void auth_cache_put(const char *user, const char *password,
		    const struct authmod_user *u, time_t now, unsigned max);

/* auth_cache_clear: drop every cache entry, and every failure counter
 * (auth_throttle_clear) (reload, tests). Thread-safe. */
void auth_cache_clear(void);

#endif
