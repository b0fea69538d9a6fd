/* Maildock - SPDX-License-Identifier: MIT
 *
 * A scripted auth module for the loader and login-path tests (never a
 * stand-in for a real backend). auth.mock.users is a blank-separated list
 * of user:password[:option], where option is "temp" (backend down),
 * "locked", "noimap", "nopop3", "nohome" or "mail=<template>". It is not
 * AUTHMOD_THREADSAFE, so the loader must serialise calls into it; it
 * counts verify calls and overlapping calls in mock_stats.
 */
#include <stdlib.h>
#include <string.h>
#include "authmods/authmod.h"

struct mock_state {
	const struct authmod_host *host;
	char users[4096];
};

static const char *const mock_keys[] = { "users", "extra", NULL };

/* visible to tests through dlsym on the handle (hidden otherwise) */
AUTHMOD_EXPORT unsigned mock_calls, mock_inside, mock_overlaps;

static int
mock_init(const struct authmod_host *host, const void *conf, void **state_r,
	  const char **error_r)
{
	struct mock_state *s = calloc(1, sizeof(*s));
	const char *u = host->setting(conf, "users");
	if (s == NULL || u == NULL || strlen(u) >= sizeof(s->users)) {
		free(s);
		*error_r = "auth.mock.users must be set";
		return -1;
	}
	memcpy(s->users, u, strlen(u) + 1);
	s->host = host;
	*state_r = s;
	return 0;
}

/* find "user:" in the list; returns the password and option words */
static int
find(struct mock_state *s, const char *user, char *pw, char *opt)
{
	const char *p = s->users;
	size_t ul = strlen(user);
	while (*p != '\0') {
		size_t n = strcspn(p, " ");
		if (n > ul && strncmp(p, user, ul) == 0 && p[ul] == ':') {
			const char *rest = p + ul + 1;
			size_t rl = n - ul - 1, pl = strcspn(rest, ":");
			if (pl > rl)
				pl = rl;
			memcpy(pw, rest, pl);
			pw[pl] = '\0';
			opt[0] = '\0';
			if (pl < rl) {
				memcpy(opt, rest + pl + 1, rl - pl - 1);
				opt[rl - pl - 1] = '\0';
			}
			return 0;
		}
		p += n;
		p += strspn(p, " ");
	}
	return -1;
}

static int
answer(struct mock_state *s, const char *user, const char *password,
       struct authmod_user *u)
{
	char pw[512], opt[512];
	if (find(s, user, pw, opt) < 0)
		return AUTHMOD_NOUSER;
	if (strcmp(opt, "temp") == 0)
		return AUTHMOD_TEMPFAIL;
	if (strcmp(opt, "locked") == 0)
		return AUTHMOD_DISABLED;
	if (password != NULL && s->host->password_verify(password, pw) !=
	    AUTHMOD_OK)
		return AUTHMOD_FAIL;
	size_t ul = strlen(user) + 1;
	memcpy(u->buf, user, ul);
	u->user = u->buf;
	u->uid = 1234;
	u->gid = 5678;
	if (strcmp(opt, "nohome") != 0) {
		const char *home = "/home/mock";
		memcpy(u->buf + ul, home, strlen(home) + 1);
		u->home = u->buf + ul;
	}
	if (strcmp(opt, "noimap") == 0)
		u->options = "disable-imap";
	else if (strcmp(opt, "nopop3") == 0)
		u->options = "disable-pop3";
	else if (strncmp(opt, "mail=", 5) == 0) {
		memcpy(u->buf + 1024, opt + 5, strlen(opt + 5) + 1);
		u->mail = u->buf + 1024;
	}
	return AUTHMOD_OK;
}

static int
mock_verify(void *state, const char *user, const char *password,
	    struct authmod_user *u_r)
{
	if (__atomic_add_fetch(&mock_inside, 1, __ATOMIC_SEQ_CST) > 1)
		__atomic_add_fetch(&mock_overlaps, 1, __ATOMIC_SEQ_CST);
	__atomic_add_fetch(&mock_calls, 1, __ATOMIC_SEQ_CST);
	int r = answer(state, user, password, u_r);
	for (volatile int i = 0; i < 20000; i++)
		;	/* widen the window an unserialised call would hit */
	__atomic_sub_fetch(&mock_inside, 1, __ATOMIC_SEQ_CST);
	return r;
}

static int
mock_lookup(void *state, const char *user, struct authmod_user *u_r)
{
	return answer(state, user, NULL, u_r);
}

static void
mock_deinit(void *state)
{
	free(state);
}

AUTHMOD_EXPORT const struct authmod AUTHMOD_ENTRY = {
	.abi = AUTHMOD_ABI,
	.struct_size = sizeof(struct authmod),
	.name = "mock",
	.flags = 0,
	.keys = mock_keys,
	.init = mock_init,
	.verify = mock_verify,
	.lookup = mock_lookup,
	.deinit = mock_deinit,
};
