/* Maildock - SPDX-License-Identifier: MIT
 *
 * System-users mode (auth.system_users = yes): each connection thread
 * takes the logged-in user's uid, gid and groups for itself alone, before
 * it touches the user's files. Linux keeps credentials per thread at the
 * system-call level; glibc's setresuid() and friends broadcast the change
 * to every thread, so the raw system calls are used. See doc/auth.md for
 * the threat model.
 */
#ifndef CORE_AUTH_SYSUSER_H
#define CORE_AUTH_SYSUSER_H

#include <sys/types.h>
#include "core/compat.h"

/* auth_sysuser_enter: switch the calling thread (only) to uid/gid with
 * the supplementary groups of user (getgrouplist; just gid when user has
 * no system account), then drop every capability of the thread, so it can
 * never switch again. Returns 0, -ERR_INVAL (uid/gid unset or 0: root is
 * never a mail user), or -ERR_PERM (the thread may not change its
 * credentials: the process lacks CAP_SETUID/CAP_SETGID) with errno set.
 * Irreversible for the thread. */
int auth_sysuser_enter(const char *user, uid_t uid, gid_t gid);

/* auth_sysuser_restrict: prepare the process for system-users mode after
 * start-up (listeners bound, keys read, auth helper forked): switch the
 * whole process to server_user (NULL or "": stay root) keeping only
 * CAP_SETUID and CAP_SETGID (libcap), and set no_new_privs. Call instead of
 * the normal privilege drop, before any connection thread exists.
 * Returns 0, or -ERR_PERM/-ERR_NOTFOUND (no libcap in this build) with
 * *error_r malloc'd. */
int auth_sysuser_restrict(const char *server_user, char **error_r);

#endif
