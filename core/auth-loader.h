/* Maildock - SPDX-License-Identifier: MIT
 *
 * The authentication module loader (STYLE C8): dlopen of
 * $auth.module_dir/libauth_<name>.so with ownership/permission checks and
 * ABI checks, the host services handed to modules, and the calls into a
 * module (serialised unless it is AUTHMOD_THREADSAFE, or sent to the
 * privileged helper when it runs there).
 */
#ifndef CORE_AUTH_LOADER_H
#define CORE_AUTH_LOADER_H

#include <pthread.h>
#include "authmods/authmod.h"
#include "core/compat.h"

struct conf;

/* what host->setting() receives as its conf pointer */
struct auth_modconf {
	const struct conf *conf;
	const char *name;
};

struct auth_module {
	char *name;
	void *handle;			/* dlopen handle */
	const struct authmod *mod;	/* the module's authmod_entry */
	void *state;			/* from mod->init */
	bool initialised;
	pthread_mutex_t lock;		/* taken unless AUTHMOD_THREADSAFE */
	int helper_index;		/* >= 0: calls go to authd */
	struct auth_modconf mconf;
};

/* auth_loader_open: dlopen dir/libauth_<name>.so into m (zeroed by the
 * caller). The file must be a regular file owned by root or the running
 * user and not group/world-writable, and so must its directory (unless
 * sticky); after dlopen the path must still name the checked file. Then authmod_entry
 * must have abi == AUTHMOD_ABI, struct_size == sizeof(struct authmod),
 * name == name and init/verify/lookup/deinit set. Returns 0, or
 * -ERR_NOTFOUND/-ERR_PERM/-ERR_INVAL with *error_r malloc'd (naming the
 * file and the reason). Start-up/reload only. */
int auth_loader_open(const char *dir, const char *name, struct auth_module *m,
		     char **error_r);

/* auth_loader_init: call the module's init with its auth.<name>.* keys
 * from conf (which must outlive the module). Returns 0 or -ERR_INVAL
 * with *error_r malloc'd. */
int auth_loader_init(struct auth_module *m, const struct conf *conf,
		     char **error_r);

/* auth_loader_close: deinit (when initialised) and dlclose; m is zeroed. */
void auth_loader_close(struct auth_module *m);

/* auth_module_verify / auth_module_lookup: call the module (or the
 * helper), returning its AUTHMOD_* result; u_r is filled on AUTHMOD_OK.
 * password may be NULL for lookup. Thread-safe. */
int auth_module_verify(struct auth_module *m, const char *user,
		       const char *password, struct authmod_user *u_r);
int auth_module_lookup(struct auth_module *m, const char *user,
		       struct authmod_user *u_r);

/* auth_loader_set_context: the session id (NULL for none) that module log
 * lines of the calling thread are tagged with. Thread-local. */
void auth_loader_set_context(const char *sid);

#endif
