/* Maildock - SPDX-License-Identifier: MIT
 *
 * A module whose table names another module than its file
 * (libauth_badname.so calling itself "pwfile"): refused by the loader.
 */
#include <stddef.h>
#include "authmods/authmod.h"

static int
x_init(const struct authmod_host *host, const void *conf, void **state_r,
       const char **error_r)
{
	return 0;
}

static int
x_verify(void *state, const char *user, const char *password,
	 struct authmod_user *u_r)
{
	return AUTHMOD_OK;
}

static int
x_lookup(void *state, const char *user, struct authmod_user *u_r)
{
	return AUTHMOD_OK;
}

static void
x_deinit(void *state)
{
}

AUTHMOD_EXPORT const struct authmod AUTHMOD_ENTRY = {
	.abi = AUTHMOD_ABI,
	.struct_size = sizeof(struct authmod),
	.name = "pwfile",
	.init = x_init,
	.verify = x_verify,
	.lookup = x_lookup,
	.deinit = x_deinit,
};
