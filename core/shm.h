/* Maildock - SPDX-License-Identifier: MIT
 *
 * Memory that the master and its worker processes share: anonymous
 * MAP_SHARED regions made before the workers are forked, and the robust
 * process-shared mutexes that guard them (a worker killed while holding
 * one must not wedge the others).
 */
#ifndef CORE_SHM_H
#define CORE_SHM_H

#include <pthread.h>
#include "core/compat.h"

/* shm_alloc: size bytes of zeroed memory shared with every process forked
 * after this call. Never freed (it lives as long as the daemon). Aborts,
 * as xmalloc does, when the system has no memory for it. Start-up only,
 * before the workers are forked. */
void *shm_alloc(size_t size);

/* shm_mutex_init: make *m a robust, process-shared mutex. */
void shm_mutex_init(pthread_mutex_t *m);

/* shm_lock: lock *m. Returns true when its last owner died holding it:
 * the caller must then repair what the lock guards before using it (the
 * lock is marked consistent again). Thread- and process-safe. */
bool shm_lock(pthread_mutex_t *m);

/* shm_unlock: unlock *m. */
void shm_unlock(pthread_mutex_t *m);

#endif
