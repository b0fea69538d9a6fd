/* Maildock - SPDX-License-Identifier: MIT
 *
 * passwd: system accounts through getpwnam_r and getspnam_r, checked with
 * crypt(3) through the host. Reading shadow needs root, so the module is
 * flagged AUTHMOD_NEEDS_ROOT and runs in the privileged helper when the
 * daemon starts as root. Accounts below auth.passwd.min_uid (root,
 * daemons) or above max_uid are never users here.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <pwd.h>
#include <shadow.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "authmods/authmod.h"

#define PW_BUF 16384

struct passwd_state {
	const struct authmod_host *host;
	unsigned long min_uid, max_uid;
	char mail[1024];		/* optional per-module template */
};

static const char *const passwd_keys[] = { "min_uid", "max_uid", "mail",
					   NULL };

static int
parse_ulong(const char *s, unsigned long def, unsigned long *r)
{
	char *end;
	if (s == NULL) {
		*r = def;
		return 0;
	}
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *s < '0' || *s > '9' || *end != '\0' ||
	    v > UINT32_MAX)
		return -1;
	*r = v;
	return 0;
}

static int
passwd_init(const struct authmod_host *host, const void *conf,
	    void **state_r, const char **error_r)
{
	struct passwd_state *s = calloc(1, sizeof(*s));
	if (s == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	s->host = host;
	if (parse_ulong(host->setting(conf, "min_uid"), 1000, &s->min_uid) < 0 ||
	    parse_ulong(host->setting(conf, "max_uid"), 60000, &s->max_uid) < 0) {
		*error_r = "auth.passwd.min_uid/max_uid must be numbers";
		free(s);
		return -1;
	}
	const char *mail = host->setting(conf, "mail");
	if (mail != NULL && strlen(mail) >= sizeof(s->mail)) {
		*error_r = "auth.passwd.mail is too long";
		free(s);
		return -1;
	}
	if (mail != NULL)
		memcpy(s->mail, mail, strlen(mail) + 1);
	*state_r = s;
	return 0;
}

static int
fill(struct passwd_state *s, const struct passwd *pw, struct authmod_user *u)
{
	size_t ul = strlen(pw->pw_name) + 1, hl = strlen(pw->pw_dir) + 1;
	size_t ml = strlen(s->mail) + 1;
	if (ul + hl + ml > sizeof(u->buf))
		return AUTHMOD_ERROR;
	memcpy(u->buf, pw->pw_name, ul);
	memcpy(u->buf + ul, pw->pw_dir, hl);
	memcpy(u->buf + ul + hl, s->mail, ml);
	u->user = u->buf;
	u->home = u->buf + ul;
	u->mail = s->mail[0] ? u->buf + ul + hl : NULL;
	u->uid = pw->pw_uid;
	u->gid = pw->pw_gid;
	return AUTHMOD_OK;
}

static int
find_pw(struct passwd_state *s, const char *user, struct passwd *pw, char *buf)
{
	struct passwd *res = NULL;
	int e = getpwnam_r(user, pw, buf, PW_BUF, &res);
	if (res == NULL) {
		if (e != 0 && e != ENOENT && e != ESRCH) {
			s->host->log(AUTHMOD_LOG_ERROR, "getpwnam_r: %s",
				     strerror(e));
			return AUTHMOD_TEMPFAIL;
		}
		return AUTHMOD_NOUSER;
	}
	if (pw->pw_uid < s->min_uid || pw->pw_uid > s->max_uid)
		return AUTHMOD_NOUSER;	/* root and daemons are not users */
	return AUTHMOD_OK;
}

/* The shadow hash of pw (copied into hash) and whether the account
 * expired; falls back to pw_passwd when there is no shadow entry.
 * getspnam under a lock rather than getspnam_r: the lookup is quick, and
 * nss_wrapper (the tests' fake accounts) wraps only getspnam. */
static int
stored_hash(struct passwd_state *s, const struct passwd *pw, char *hash,
	    size_t size)
{
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	const char *h = pw->pw_passwd;
	int ret = AUTHMOD_OK;

	pthread_mutex_lock(&lock);
	struct spwd *sp = getspnam(pw->pw_name);
	if (sp != NULL) {
		long today = (long)(time(NULL) / 86400);
		if (sp->sp_expire > 0 && sp->sp_expire <= today)
			ret = AUTHMOD_DISABLED;
		h = sp->sp_pwdp;
	} else if (strcmp(h, "x") == 0) {
		s->host->log(AUTHMOD_LOG_ERROR, "cannot read the shadow entry "
			     "(maildockd must start as root for the passwd "
			     "module)");
		ret = AUTHMOD_TEMPFAIL;
	}
	if (ret == AUTHMOD_OK && (h == NULL || strlen(h) >= size))
		ret = AUTHMOD_ERROR;
	if (ret == AUTHMOD_OK)
		memcpy(hash, h, strlen(h) + 1);
	pthread_mutex_unlock(&lock);
	return ret;
}

static int
passwd_verify(void *state, const char *user, const char *password,
	      struct authmod_user *u_r)
{
	struct passwd_state *s = state;
	struct passwd pw;
	char *buf = malloc(PW_BUF), hash[1024];
	int r;

	if (buf == NULL)
		return AUTHMOD_ERROR;
	r = find_pw(s, user, &pw, buf);
	if (r == AUTHMOD_OK)
		r = stored_hash(s, &pw, hash, sizeof(hash));
	if (r == AUTHMOD_OK) {
		/* "!" or "*" prefixes lock the account (passwd -l) */
		if (hash[0] == '!' || hash[0] == '*')
			r = AUTHMOD_DISABLED;
		else
			r = s->host->password_verify(password, hash);
		explicit_bzero(hash, sizeof(hash));
	}
	if (r == AUTHMOD_OK)
		r = fill(s, &pw, u_r);
	free(buf);
	return r;
}

static int
passwd_lookup(void *state, const char *user, struct authmod_user *u_r)
{
	struct passwd_state *s = state;
	struct passwd pw;
	char *buf = malloc(PW_BUF);
	int r;

	if (buf == NULL)
		return AUTHMOD_ERROR;
	r = find_pw(s, user, &pw, buf);
	if (r == AUTHMOD_OK)
		r = fill(s, &pw, u_r);
	free(buf);
	return r;
}

static void
passwd_deinit(void *state)
{
	free(state);
}

AUTHMOD_EXPORT const struct authmod AUTHMOD_ENTRY = {
	.abi = AUTHMOD_ABI,
	.struct_size = sizeof(struct authmod),
	.name = "passwd",
	.flags = AUTHMOD_THREADSAFE | AUTHMOD_NEEDS_ROOT,
	.keys = passwd_keys,
	.init = passwd_init,
	.verify = passwd_verify,
	.lookup = passwd_lookup,
	.deinit = passwd_deinit,
};
