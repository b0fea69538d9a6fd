/* Maildock - SPDX-License-Identifier: MIT
 *
 * Going into the background without -F, the way an init script can trust:
 * the command the admin ran waits until the daemon serves, and exits 0
 * then, or exits 1 with the reason on stderr when start-up failed (the
 * daemon(3) way answers 0 at once, whatever happens next).
 */
#ifndef CORE_DETACH_H
#define CORE_DETACH_H

/* detach_start: fork; the parent stays in this call until the child calls
 * detach_ready (exit 0) or detach_fail, or ends (exit 1, with the child's
 * reason on stderr). In the child: a new session, "/" as the working
 * directory, stdin/stdout/stderr on /dev/null. Returns 0 in the child, or
 * -ERR_IO with *error_r malloc'd when the fork or the pipe failed. Start-up
 * only (single-threaded). */
int detach_start(char **error_r);

/* detach_ready: the server serves; the waiting parent exits 0. Does
 * nothing without detach_start or after the first call. Not thread-safe:
 * the master only. */
void detach_ready(void);

/* detach_fail: start-up failed for reason (a line without "maildockd: ");
 * the waiting parent prints it and exits 1. Does nothing without
 * detach_start or after detach_ready. Not thread-safe: the master only. */
void detach_fail(const char *reason);

/* detach_forget: close this process's end of the pipe without a word: in
 * a forked worker, whose copy would keep a failing start's parent
 * waiting. Not thread-safe: at the start of the process. */
void detach_forget(void);

#endif
