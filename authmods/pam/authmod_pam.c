/* Maildock - SPDX-License-Identifier: MIT
 *
 * pam: system (or PAM-backed) accounts through a PAM service, "maildock"
 * by default. Each attempt has its own PAM handle and a conversation that
 * answers the password prompt, runs pam_authenticate then pam_acct_mgmt
 * (a locked or expired account is AUTHMOD_DISABLED), and maps the user to
 * uid, gid and home with getpwnam_r. pam_unix needs root to read shadow,
 * so the module asks to run in the privileged helper.
 */
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <security/pam_appl.h>
#include "authmods/authmod.h"

#define PAMMOD_USER_MAX 256
#define PAMMOD_PWBUF_MAX (1 << 20)

struct pammod_state {
	const struct authmod_host *host;
	const char *service;
	bool check_account;
	bool lookup_passwd;
	bool serialize;
	pthread_mutex_t lock;	/* taken when serialize = yes */
};

struct pammod_conv {
	const char *user;
	const char *password;
};

static const char *const pammod_keys[] = {
	"service", "check_account", "lookup_passwd", "serialize", NULL
};

static int
parse_bool(const char *v, bool dflt, bool *out)
{
	if (v == NULL)
		*out = dflt;
	else if (!strcasecmp(v, "yes") || !strcmp(v, "1") ||
		 !strcasecmp(v, "true"))
		*out = true;
	else if (!strcasecmp(v, "no") || !strcmp(v, "0") ||
		 !strcasecmp(v, "false"))
		*out = false;
	else
		return -1;
	return 0;
}

static int
pammod_init(const struct authmod_host *host, const void *conf,
	    void **state_r, const char **error_r)
{
	struct pammod_state *st = calloc(1, sizeof(*st));

	if (st == NULL) {
		*error_r = "out of memory";
		return -1;
	}
	st->host = host;
	st->service = host->setting(conf, "service");
	if (st->service == NULL)
		st->service = "maildock";
	if (strchr(st->service, '/') != NULL || strlen(st->service) > 64) {
		*error_r = "auth.pam.service: a PAM service name (no '/')";
		free(st);
		return -1;
	}
	if (parse_bool(host->setting(conf, "check_account"), true,
		       &st->check_account) < 0 ||
	    parse_bool(host->setting(conf, "lookup_passwd"), true,
		       &st->lookup_passwd) < 0 ||
	    parse_bool(host->setting(conf, "serialize"), false,
		       &st->serialize) < 0) {
		*error_r = "auth.pam.check_account, lookup_passwd and "
			   "serialize take yes or no";
		free(st);
		return -1;
	}
	pthread_mutex_init(&st->lock, NULL);
	*state_r = st;
	return 0;
}

static void
pammod_deinit(void *state)
{
	struct pammod_state *st = state;

	if (st == NULL)
		return;
	pthread_mutex_destroy(&st->lock);
	free(st);
}

static void
free_replies(struct pam_response *r, int n)
{
	for (int i = 0; i < n; i++) {
		if (r[i].resp != NULL) {
			explicit_bzero(r[i].resp, strlen(r[i].resp));
			free(r[i].resp);
		}
	}
	free(r);
}

/* answer the password prompt (echo off) and a user prompt (echo on);
 * messages for the user are dropped: there is no terminal */
static int
conversation(int n, const struct pam_message **msg, struct pam_response **resp,
	     void *appdata)
{
	const struct pammod_conv *cv = appdata;
	struct pam_response *r;

	if (n <= 0 || n > PAM_MAX_NUM_MSG)
		return PAM_CONV_ERR;
	r = calloc((size_t)n, sizeof(*r));
	if (r == NULL)
		return PAM_BUF_ERR;
	for (int i = 0; i < n; i++) {
		const char *answer = NULL;
		switch (msg[i]->msg_style) {
		case PAM_PROMPT_ECHO_OFF:
			answer = cv->password;
			break;
		case PAM_PROMPT_ECHO_ON:
			answer = cv->user;
			break;
		case PAM_ERROR_MSG:
		case PAM_TEXT_INFO:
			continue;
		default:
			free_replies(r, n);
			return PAM_CONV_ERR;
		}
		if ((r[i].resp = strdup(answer)) == NULL) {
			free_replies(r, n);
			return PAM_BUF_ERR;
		}
	}
	*resp = r;
	return PAM_SUCCESS;
}

/* PAM result -> AUTHMOD result, for the authentication step */
static int
auth_result(int rc)
{
	switch (rc) {
	case PAM_SUCCESS:
		return AUTHMOD_OK;
	case PAM_USER_UNKNOWN:
		return AUTHMOD_NOUSER;
	case PAM_AUTH_ERR:
	case PAM_CRED_INSUFFICIENT:
	case PAM_MAXTRIES:
		return AUTHMOD_FAIL;
	case PAM_ACCT_EXPIRED:
	case PAM_PERM_DENIED:
	case PAM_NEW_AUTHTOK_REQD:
		return AUTHMOD_DISABLED;
	case PAM_AUTHINFO_UNAVAIL:
		return AUTHMOD_TEMPFAIL;
	default:
		return AUTHMOD_ERROR;
	}
}

/* account step: any refusal of a known user means "disabled" */
static int
acct_result(int rc)
{
	if (rc == PAM_AUTH_ERR)
		return AUTHMOD_DISABLED;
	return auth_result(rc);
}

static int
passwd_fill(struct pammod_state *st, const char *name, struct authmod_user *u)
{
	struct passwd pw, *res = NULL;
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t size = hint > 0 ? (size_t)hint : 16384;
	char *buf;
	int e;

	for (;;) {
		if ((buf = malloc(size)) == NULL)
			return AUTHMOD_ERROR;
		e = getpwnam_r(name, &pw, buf, size, &res);
		if (e != ERANGE || size >= PAMMOD_PWBUF_MAX)
			break;
		free(buf);
		size *= 2;
	}
	if (res == NULL) {
		free(buf);
		/* getpwnam_r(3): "not found" may also be one of these */
		if (e != 0 && e != ENOENT && e != ESRCH && e != EBADF &&
		    e != EPERM) {
			st->host->log(AUTHMOD_LOG_ERROR, "getpwnam_r: error %d",
				      e);
			return AUTHMOD_TEMPFAIL;
		}
		return AUTHMOD_NOUSER;
	}
	size_t nl = strlen(pw.pw_name) + 1, hl = strlen(pw.pw_dir) + 1;
	if (nl + hl > sizeof(u->buf)) {
		free(buf);
		return AUTHMOD_ERROR;
	}
	memcpy(u->buf, pw.pw_name, nl);
	memcpy(u->buf + nl, pw.pw_dir, hl);
	u->user = u->buf;
	u->home = u->buf + nl;
	u->uid = pw.pw_uid;
	u->gid = pw.pw_gid;
	free(buf);
	return AUTHMOD_OK;
}

static int
pam_attempt(struct pammod_state *st, const char *user, const char *password,
	    char *final, size_t final_size)
{
	struct pammod_conv cv = { user, password };
	struct pam_conv conv = { conversation, &cv };
	pam_handle_t *ph = NULL;
	const void *item = NULL;
	int rc, r;

	rc = pam_start(st->service, user, &conv, &ph);
	if (rc != PAM_SUCCESS) {
		st->host->log(AUTHMOD_LOG_ERROR, "pam_start(%s): %s",
			      st->service, pam_strerror(ph, rc));
		return AUTHMOD_ERROR;
	}
	(void)pam_set_item(ph, PAM_TTY, "maildock");
	rc = pam_authenticate(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
	r = auth_result(rc);
	if (r == AUTHMOD_OK && st->check_account) {
		rc = pam_acct_mgmt(ph, PAM_SILENT | PAM_DISALLOW_NULL_AUTHTOK);
		r = acct_result(rc);
	}
	if (r == AUTHMOD_ERROR || r == AUTHMOD_TEMPFAIL)
		st->host->log(AUTHMOD_LOG_ERROR, "service %s: %s", st->service,
			      pam_strerror(ph, rc));
	/* a module may have mapped the name (pam_mapuser and the like) */
	if (r == AUTHMOD_OK && pam_get_item(ph, PAM_USER, &item) ==
	    PAM_SUCCESS && item != NULL && strlen(item) < final_size)
		memcpy(final, item, strlen(item) + 1);
	pam_end(ph, rc);
	return r;
}

static int
pammod_verify(void *state, const char *user, const char *password,
	      struct authmod_user *u_r)
{
	struct pammod_state *st = state;
	char final[PAMMOD_USER_MAX + 1];
	size_t ulen = strlen(user);
	int r;

	if (ulen == 0 || ulen > PAMMOD_USER_MAX)
		return AUTHMOD_NOUSER;
	if (password == NULL || password[0] == '\0')
		return AUTHMOD_FAIL;
	memcpy(final, user, ulen + 1);
	if (st->serialize)
		pthread_mutex_lock(&st->lock);
	r = pam_attempt(st, user, password, final, sizeof(final));
	if (st->serialize)
		pthread_mutex_unlock(&st->lock);
	if (r != AUTHMOD_OK)
		return r;
	if (!st->lookup_passwd) {
		memcpy(u_r->buf, final, strlen(final) + 1);
		u_r->user = u_r->buf;
		return AUTHMOD_OK;
	}
	r = passwd_fill(st, final, u_r);
	if (r == AUTHMOD_NOUSER)
		st->host->log(AUTHMOD_LOG_WARNING, "PAM accepted a user with "
			      "no passwd entry (set auth.pam.lookup_passwd = "
			      "no for virtual users)");
	return r;
}

static int
pammod_lookup(void *state, const char *user, struct authmod_user *u_r)
{
	struct pammod_state *st = state;

	if (!st->lookup_passwd || strlen(user) == 0 ||
	    strlen(user) > PAMMOD_USER_MAX)
		return AUTHMOD_NOUSER;
	return passwd_fill(st, user, u_r);
}

AUTHMOD_EXPORT const struct authmod AUTHMOD_ENTRY = {
	.abi = AUTHMOD_ABI,
	.struct_size = sizeof(struct authmod),
	.name = "pam",
	.flags = AUTHMOD_THREADSAFE | AUTHMOD_NEEDS_ROOT,
	.keys = pammod_keys,
	.init = pammod_init,
	.verify = pammod_verify,
	.lookup = pammod_lookup,
	.deinit = pammod_deinit,
};
