/* Maildock - SPDX-License-Identifier: MIT
 *
 * The one login path of every protocol: normalise the name, apply the
 * throttles, ask the module chain (or the cache), resolve a master user's
 * authorization identity, build the session's auth_user, and make every
 * failure wait the configured delay. Answers never tell an unknown user
 * from a wrong password.
 */
#include <errno.h>
#include <time.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/auth-cache.h"
#include "core/auth-throttle.h"
#include "core/auth-chain.h"
#include "core/auth-password.h"
#include "core/auth-sysuser.h"
#include "core/authd.h"
#include "core/conf.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/proto.h"
#include "core/session.h"
#include "core/stats.h"

struct attempt {
	struct session *s;
	struct auth_chain *chain;
	const struct auth_settings *set;
	char cid[AUTH_USER_MAX + 1];
	char zid[AUTH_USER_MAX + 1];
	bool master;
	const char *reason;		/* for the log, static */
	const char *module;
	time_t now;
};

static auth_delay_fn *delay_hook;

void
auth_set_delay_hook(auth_delay_fn *fn)
{
	delay_hook = fn;
}

static void
delay(unsigned seconds)
{
	struct timespec ts = { .tv_sec = seconds };
	if (delay_hook != NULL) {
		delay_hook(seconds);
		return;
	}
	while (seconds > 0 && nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

void
auth_register_settings(void)
{
	conf_register(auth_settings_table());
}

int
auth_init(const struct conf *conf, char **error_r)
{
	struct auth_chain *c;
	int r = auth_chain_new(conf, &c, error_r);
	if (r < 0)
		return r;
	auth_chain_set(c);
	auth_cache_clear();
	return 0;
}

void
auth_deinit(void)
{
	auth_chain_set(NULL);
	authd_stop();
	auth_cache_clear();
}

bool
auth_plaintext_allowed(const struct session *s)
{
	/* the session's own configuration generation decides */
	const struct auth_settings *set =
		s->conf ? conf_section(s->conf, auth_settings_table()) : NULL;
	const char *mode = set ? set->plaintext : "loopback";
	bool tls = s->implicit_tls || (s->conn && conn_is_tls(s->conn));
	return tls || strcmp(mode, "yes") == 0 ||
	       (strcmp(mode, "loopback") == 0 && s->loopback);
}

static bool
is_master(const struct auth_settings *set, const char *cid)
{
	char list[2048], norm[AUTH_USER_MAX + 1];
	char *save = NULL;

	if (str_copy(list, set->master_users, sizeof(list)) >= sizeof(list))
		return false;
	for (char *w = strtok_r(list, " \t,", &save); w != NULL;
	     w = strtok_r(NULL, " \t,", &save))
		if (auth_user_normalize(set, w, norm, sizeof(norm)) == 0 &&
		    strcmp(norm, cid) == 0)
			return true;
	return false;
}

static int
map_result(struct attempt *a, int r)
{
	switch (r) {
	case AUTHMOD_OK:
		return 0;
	case AUTHMOD_FAIL:
		a->reason = "wrong password";
		return -ERR_PERM;
	case AUTHMOD_NOUSER:
		a->reason = "unknown user";
		return -ERR_PERM;
	case AUTHMOD_DISABLED:
		a->reason = "account disabled";
		return -ERR_PERM;
	default:
		a->reason = "backend unavailable";
		return -ERR_TEMP;
	}
}

/* check the password of a->cid: from the cache, else the chain */
static int
verify(struct attempt *a, const char *password, struct authmod_user *mu)
{
	const struct auth_settings *set = a->set;

	if (!a->master && auth_cache_get(a->cid, password, set->cache_ttl,
					 a->now, mu)) {
		a->module = "cache";
		return 0;
	}
	int r = auth_chain_verify(a->chain, a->cid, password, mu, &a->module);
	if (r == AUTHMOD_OK && !a->master && set->cache_ttl > 0)
		auth_cache_put(a->cid, password, mu, a->now, set->cache_size);
	return map_result(a, r);
}

static int
names(struct attempt *a, const char *authzid, const char *authcid,
      const char *password)
{
	const struct auth_settings *set = a->set;

	a->reason = "malformed user name or password";
	/* "target*master" for clients without SASL (Dovecot's
	 * auth_master_user_separator) */
	char split[AUTH_USER_MAX + 1];
	const char *sep = set->master_separator;
	if (*sep != '\0' && (authzid == NULL || *authzid == '\0') &&
	    authcid != NULL && strlen(authcid) < sizeof(split)) {
		const char *at = strstr(authcid, sep);
		if (at != NULL && at != authcid) {
			str_copy(split, authcid, sizeof(split));
			split[at - authcid] = '\0';
			authzid = split;
			authcid = at + strlen(sep);
		}
	}
	if (authcid == NULL || password == NULL ||
	    strnlen(password, AUTH_PASSWORD_MAX + 1) > AUTH_PASSWORD_MAX ||
	    auth_user_normalize(set, authcid, a->cid, sizeof(a->cid)) < 0) {
		a->cid[0] = '\0';	/* count the failure for the IP only */
		return -ERR_INVAL;
	}
	if (authzid != NULL && *authzid != '\0') {
		if (auth_user_normalize(set, authzid, a->zid,
					sizeof(a->zid)) < 0)
			return -ERR_INVAL;
		a->master = strcmp(a->zid, a->cid) != 0;
	}
	if (auth_throttle_blocked(a->s->remote_ip, a->cid,
				  set->max_failures_per_ip,
				  set->max_failures_per_user,
				  set->failure_window, a->now)) {
		a->reason = "too many failures";
		return -ERR_LIMIT;
	}
	if (a->master && !is_master(set, a->cid)) {
		a->reason = "authorization identity of a non-master user";
		return -ERR_PERM;
	}
	return 0;
}

static bool
service_disabled(const struct session *s, unsigned options)
{
	const char *p = s->proto ? s->proto->name : "";
	return (strcmp(p, "imap") == 0 && (options & AUTH_OPT_DISABLE_IMAP)) ||
	       (strcmp(p, "pop3") == 0 && (options & AUTH_OPT_DISABLE_POP3));
}

static int
run(struct attempt *a, const char *authzid, const char *authcid,
    const char *password, struct authmod_user *mu, struct auth_user **user_r)
{
	const char *err = NULL;
	int r = names(a, authzid, authcid, password);

	if (r == 0)
		r = verify(a, password, mu);
	if (r == 0 && a->master) {
		/* the master's password was right: now become the target */
		r = map_result(a, auth_chain_lookup(a->chain, a->zid, mu,
						    &a->module));
	}
	if (r < 0)
		return r;
	if (mu->user == NULL)
		mu->user = a->master ? a->zid : a->cid;
	r = auth_user_from_module(a->s->arena, a->set, mu, user_r, &err);
	if (r < 0) {
		a->reason = err ? err : "out of memory";
		if (err != NULL)
			slog_error(a->s, "auth: user %s: %s (mail.location?)",
				   a->master ? a->zid : a->cid, err);
		return r == -ERR_NOMEM ? -ERR_LIMIT : -ERR_TEMP;
	}
	if (service_disabled(a->s, (*user_r)->options)) {
		a->reason = "service disabled for the user";
		return -ERR_PERM;
	}
	(*user_r)->master = a->master;
	if (a->set->system_users) {
		r = auth_sysuser_enter((*user_r)->user, (*user_r)->uid,
				       (*user_r)->gid);
		if (r < 0) {
			char ebuf[128];
			a->reason = "cannot take the user's uid/gid";
			slog_error(a->s, "auth: system_users: user %s uid=%ld "
				   "gid=%ld: %s", (*user_r)->user,
				   (long)(int)(*user_r)->uid,
				   (long)(int)(*user_r)->gid,
				   r == -ERR_INVAL ? "no (or a root) uid/gid" :
				   errno_str(errno, ebuf, sizeof(ebuf)));
			return -ERR_TEMP;
		}
		/* a parked session's next thread takes the same identity */
		a->s->sysuser = true;
		a->s->sys_uid = (*user_r)->uid;
		a->s->sys_gid = (*user_r)->gid;
	}
	return 0;
}

int
auth_lookup(struct session *s, struct arena *a, const char *user,
	    struct auth_user **user_r)
{
	char name[AUTH_USER_MAX + 1];
	const char *module = NULL, *err = NULL;
	struct auth_chain *c = auth_chain_current();
	int r;

	if (c == NULL)
		return -ERR_TEMP;
	if (user == NULL ||
	    auth_user_normalize(c->set, user, name, sizeof(name)) < 0) {
		auth_chain_unref(&c);
		return -ERR_INVAL;
	}
	struct authmod_user *mu = xcalloc(1, sizeof(*mu));
	auth_loader_set_context(s->id);
	r = auth_chain_lookup(c, name, mu, &module);
	auth_loader_set_context(NULL);
	if (r == AUTHMOD_OK) {
		if (mu->user == NULL)
			mu->user = name;
		r = auth_user_from_module(a, c->set, mu, user_r, &err);
		if (r == -ERR_INVAL) {
			slog_error(s, "auth: user %s: %s (mail.location?)", name,
				   err);
			r = -ERR_TEMP;
		} else if (r == -ERR_NOMEM) {
			r = -ERR_LIMIT;
		}
	} else {
		r = r == AUTHMOD_NOUSER || r == AUTHMOD_DISABLED ||
		    r == AUTHMOD_FAIL ? -ERR_NOTFOUND : -ERR_TEMP;
	}
	free(mu);
	auth_chain_unref(&c);
	return r;
}

bool
auth_system_users(const struct conf *conf)
{
	const struct auth_settings *set =
		conf_section(conf, auth_settings_table());
	return set != NULL && set->system_users;
}

int
auth_login(struct session *s, const char *authzid, const char *authcid,
	   const char *password, struct auth_user **user_r)
{
	struct attempt a = { .s = s, .reason = "", .module = NULL };
	struct timespec ts;
	char qname[128];
	int r;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	a.now = ts.tv_sec;
	struct timespec started = ts;
	a.chain = auth_chain_current();
	if (a.chain == NULL)
		return -ERR_TEMP;
	a.set = a.chain->set;
	auth_loader_set_context(s->id);
	struct authmod_user *mu = xcalloc(1, sizeof(*mu));
	r = run(&a, authzid, authcid, password, mu, user_r);
	if (r == 0) {
		auth_throttle_success(a.cid);
		slog_debug(s, "auth: ok user=%s module=%s%s", (*user_r)->user,
			   a.module ? a.module : "-",
			   a.master ? " master=1" : "");
	} else {
		/* a broken backend is not the client's failure */
		if (r != -ERR_TEMP)
			auth_throttle_fail(s->remote_ip,
					   a.cid[0] ? a.cid : NULL,
					   a.set->failure_window, a.now);
		slog_info(s, "auth: failed user=%s reason=\"%s\" module=%s",
			  log_quote_cstr(qname, sizeof(qname),
					 authcid ? authcid : ""),
			  a.reason, a.module ? a.module : "-");
		delay(a.set->failure_delay);
	}
	auth_loader_set_context(NULL);
	/* the failure delay is included: it is what the client waited */
	stats_login(s->auth_mech, a.module, r == 0, stats_usec_since(&started));
	free(mu);
	auth_chain_unref(&a.chain);
	explicit_bzero(&a, sizeof(a));
	return r;
}
