/* Maildock - SPDX-License-Identifier: MIT
 *
 * Failed-login counters per client address and per user, shared by every
 * worker process (one region made before the workers are forked), so
 * that auth.max_failures_per_ip and auth.max_failures_per_user hold for
 * the whole daemon, not per process. Keys are kept as keyed hashes only.
 */
#ifndef CORE_AUTH_THROTTLE_H
#define CORE_AUTH_THROTTLE_H

#include <time.h>
#include "core/compat.h"

/* auth_throttle_init: make the shared counters. The master calls it
 * before forking the workers; a process that never does (a unit test)
 * gets them at first use. */
void auth_throttle_init(void);

/* IPv6 addresses are counted per /64 (one client's usual allocation).
 *
 * auth_throttle_blocked: whether ip (may be "") or user (may be NULL) had
 * at least max_ip / max_user failures (0: no limit) in the window of
 * window seconds before now (CLOCK_MONOTONIC seconds, the same in every
 * process). Thread- and process-safe. */
bool auth_throttle_blocked(const char *ip, const char *user, unsigned max_ip,
			   unsigned max_user, unsigned window, time_t now);

/* auth_throttle_fail: count one failure for ip and user (NULL: ip only).
 * At most 65536 counters are kept; when full, expired ones are dropped
 * first, then single failures, so a flood of made-up names cannot wipe
 * the counters that block an attacker. Thread- and process-safe. */
void auth_throttle_fail(const char *ip, const char *user, unsigned window,
			time_t now);

/* auth_throttle_success: forget user's failures. Thread- and
 * process-safe. */
void auth_throttle_success(const char *user);

/* auth_throttle_clear: forget every failure (reload, tests). */
void auth_throttle_clear(void);

#endif
