/* Maildock - SPDX-License-Identifier: MIT
 *
 * The pidfile for init systems without service tracking (SysV init,
 * start-stop-daemon): the daemon's pid, under an flock held for the
 * process's life, so a second daemon with the same pidfile refuses to run.
 */
#ifndef CORE_PIDFILE_H
#define CORE_PIDFILE_H

/* pidfile_create: open path (created mode 0644, never through a symlink),
 * lock it, and write our pid and a newline. The descriptor stays open
 * (close-on-exec) until pidfile_remove. Returns 0; -ERR_EXISTS when another
 * live process holds the lock (*error_r names its pid); -ERR_IO otherwise.
 * *error_r is malloc'd ("path: reason"). Call after detach_start(), before
 * dropping privileges. Not thread-safe (start-up). */
int pidfile_create(const char *path, char **error_r);

/* pidfile_remove: unlink the pidfile and release the lock, when one was
 * created. The unlink may fail once privileges are dropped (a root-owned
 * file in a root-owned directory): the lock is released all the same, and
 * the next start overwrites the stale file. */
void pidfile_remove(void);

#endif
