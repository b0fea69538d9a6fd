/* Maildock - SPDX-License-Identifier: MIT
 *
 * Process-wide memory of the auth path: failure counters per client IP
 * and per user (throttling), and the optional cache of successful logins
 * keyed on the user and a keyed hash (HMAC-SHA-256 with a random
 * per-process key) of the password, so no password is ever kept.
 */
#ifndef CORE_AUTH_CACHE_H
#define CORE_AUTH_CACHE_H

#include <time.h>
#include "authmods/authmod.h"
#include "core/compat.h"

/* IPv6 addresses are counted per /64 (one client's usual allocation).
 *
 * auth_throttle_blocked: whether ip (may be "") or user (may be NULL) had
 * at least max_ip / max_user failures (0: no limit) in the window of
 * window seconds before now. Thread-safe. */
bool auth_throttle_blocked(const char *ip, const char *user, unsigned max_ip,
			   unsigned max_user, unsigned window, time_t now);

/* auth_throttle_fail: count one failure for ip and user (NULL: ip only).
 * At most 65536 counters are kept; when full, expired ones are dropped
 * first, then single failures, so a flood of made-up names cannot wipe
 * the counters that block an attacker.
 * Thread-safe. */
void auth_throttle_fail(const char *ip, const char *user, unsigned window,
			time_t now);

/* auth_throttle_success: forget user's failures. Thread-safe. */
void auth_throttle_success(const char *user);

/* auth_cache_get: a cached answer for user and password no older than
 * ttl seconds into *u_r (strings in u_r->buf). Returns true on a hit.
 * Thread-safe. */
bool auth_cache_get(const char *user, const char *password, unsigned ttl,
		    time_t now, struct authmod_user *u_r);

/* auth_cache_put: remember a successful verify of user with password;
 * with max entries at most (the oldest go first). Thread-safe. */
void auth_cache_put(const char *user, const char *password,
		    const struct authmod_user *u, time_t now, unsigned max);

/* auth_cache_clear: drop every cache entry and failure counter (reload,
 * tests). Thread-safe. */
void auth_cache_clear(void);

#endif
