/* Maildock - SPDX-License-Identifier: MIT
 *
 * Shared anonymous memory and robust process-shared mutexes: the global
 * connection counts and the auth failure counters live in such a region,
 * so that every worker process sees one set of limits.
 */
#include <errno.h>
#include <sys/mman.h>
#include "core/log.h"
#include "core/shm.h"

void *
shm_alloc(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		log_error("core", "shared memory of %zu bytes: %s", size,
			  strerror(errno));
		abort();
	}
	return p;
}

void
shm_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t attr;

	pthread_mutexattr_init(&attr);
	pthread_mutexattr_setpshared(&attr, PTHREAD_PROCESS_SHARED);
	pthread_mutexattr_setrobust(&attr, PTHREAD_MUTEX_ROBUST);
	pthread_mutex_init(m, &attr);
	pthread_mutexattr_destroy(&attr);
}

bool
shm_lock(pthread_mutex_t *m)
{
	if (pthread_mutex_lock(m) == EOWNERDEAD) {
		pthread_mutex_consistent(m);
		return true;
	}
	return false;
}

void
shm_unlock(pthread_mutex_t *m)
{
	pthread_mutex_unlock(m);
}
