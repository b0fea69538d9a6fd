/* Maildock - SPDX-License-Identifier: MIT
 *
 * The privileged authentication helper (DESIGN "Identity and privileges"):
 * a process forked before the privilege drop that keeps root only to run
 * the modules flagged AUTHMOD_NEEDS_ROOT (shadow, pam_unix). Connection
 * threads reach it over a SOCK_SEQPACKET socketpair with one typed request
 * (verify or lookup of one user) and one typed response per message; the
 * helper checks every field and answers nothing else.
 */
#ifndef CORE_AUTHD_H
#define CORE_AUTHD_H

#include "core/auth-loader.h"

/* authd_start: fork the helper for the modules of mods[0..count) that set
 * AUTHMOD_NEEDS_ROOT (already initialised); their helper_index is set, so
 * auth_module_verify/lookup route to it. Does nothing (returns 0) when no
 * module needs root, the process is not root, or a helper already runs.
 * The child closes every other descriptor and exits when the parent goes
 * away. Returns 0 or -ERR_IO with *error_r malloc'd. Start-up only, before
 * threads and before the privilege drop. */
int authd_start(struct auth_module *mods, size_t count, char **error_r);

/* authd_running: whether helper processes were started. */
bool authd_running(void);

/* authd_find: the helper's index of the module called name, or -1 (the
 * helper keeps the modules of start-up; a reload maps onto them). */
int authd_find(const char *name);

/* authd_call: ask the helper to verify (password != NULL) or look up user
 * with module index. Returns the AUTHMOD_* result, AUTHMOD_TEMPFAIL when
 * the helper is gone or does not answer within 30 s. u_r is filled on
 * AUTHMOD_OK. Thread-safe (each helper process takes one request at a
 * time; a free one is chosen). */
int authd_call(int index, const char *user, const char *password,
	       struct authmod_user *u_r);

/* authd_socket: the parent's end of helper process i's socket (there are
 * a few identical processes, so one slow answer does not hold up every
 * login), or -1. Only for tests that check a helper refuses malformed
 * requests. */
int authd_socket(unsigned i);

/* authd_stop: close the socket (the helper exits) and reap it. At exit. */
void authd_stop(void);

#endif
