/* Maildock - SPDX-License-Identifier: MIT
 *
 * A module built for another ABI version, which the loader must refuse
 * with a clear message (issue 4, "Done when").
 */
#include <stddef.h>
#include "authmods/authmod.h"

static int
bad_init(const struct authmod_host *host, const void *conf, void **state_r,
	 const char **error_r)
{
	return -1;
}

static int
bad_verify(void *state, const char *user, const char *password,
	   struct authmod_user *u_r)
{
	return AUTHMOD_OK;	/* must never be reached */
}

static int
bad_lookup(void *state, const char *user, struct authmod_user *u_r)
{
	return AUTHMOD_OK;
}

static void
bad_deinit(void *state)
{
}

AUTHMOD_EXPORT const struct authmod AUTHMOD_ENTRY = {
	.abi = AUTHMOD_ABI + 1,
	.struct_size = sizeof(struct authmod),
	.name = "badabi",
	.init = bad_init,
	.verify = bad_verify,
	.lookup = bad_lookup,
	.deinit = bad_deinit,
};
