/* Maildock - SPDX-License-Identifier: MIT
 *
 * The module chain, its settings, user-name normalisation and mail
 * location templates. A chain is one generation: a reload builds a new
 * one and logins in flight finish on the old one, which is released (and
 * its modules unloaded) with its last reference.
 */
#include <ctype.h>
#include <pthread.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/auth-chain.h"
#include "core/authd.h"
#include "core/conf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/sbuf.h"

#ifndef PKGLIBDIR
#define PKGLIBDIR "/usr/local/lib/maildock"
#endif

#define S(f) offsetof(struct auth_settings, f)

static const char *const plaintext_values[] = { "yes", "no", "loopback",
						NULL };

static const struct conf_setting auth_settings_list[] = {
	{ "auth.modules", CONF_STRING, S(modules), "pwfile", NULL, 0, 0,
	  "auth modules to try, in order (pwfile passwd ...)" },
	{ "auth.module_dir", CONF_STRING, S(module_dir), PKGLIBDIR "/auth",
	  NULL, 0, 0, "directory of the libauth_<name>.so modules" },
	{ "auth.plaintext", CONF_ENUM, S(plaintext), "loopback",
	  plaintext_values, 0, 0,
	  "passwords without TLS: yes, no, or loopback connections only" },
	{ "auth.failure_delay", CONF_DURATION, S(failure_delay), "2s", NULL,
	  0, 60, "wait before answering a failed login" },
	{ "auth.max_failures_per_ip", CONF_UINT, S(max_failures_per_ip), "20",
	  NULL, 0, 1000000, "failed logins from one IP per window (0: off)" },
	{ "auth.max_failures_per_user", CONF_UINT, S(max_failures_per_user),
	  "10", NULL, 0, 1000000,
	  "failed logins for one user per window (0: off)" },
	{ "auth.failure_window", CONF_DURATION, S(failure_window), "5m", NULL,
	  1, 86400, "how long failed logins are counted" },
	{ "auth.username_lowercase", CONF_BOOL, S(username_lowercase), "yes",
	  NULL, 0, 0, "lower-case user names before lookup" },
	{ "auth.default_domain", CONF_STRING, S(default_domain), "", NULL, 0,
	  0, "domain appended to a name without one" },
	{ "auth.domain_separators", CONF_STRING, S(domain_separators), "@",
	  NULL, 0, 0, "characters that separate user and domain (e.g. @%)" },
	{ "auth.master_users", CONF_STRING, S(master_users), "", NULL, 0, 0,
	  "users who may log in as another (SASL authorization identity)" },
	{ "auth.master_separator", CONF_STRING, S(master_separator), "", NULL,
	  0, 0, "lets a master user log in as \"target<sep>master\" with "
	  "LOGIN or USER/PASS (e.g. *); empty: off" },
	{ "auth.cache_ttl", CONF_DURATION, S(cache_ttl), "0", NULL, 0, 86400,
	  "keep successful logins this long (0: no cache)" },
	{ "auth.cache_size", CONF_UINT, S(cache_size), "10000", NULL, 1,
	  1000000, "most entries in the login cache" },
	{ "auth.system_users", CONF_BOOL, S(system_users), "no", NULL, 0, 0,
	  "each session takes the uid/gid of its user (passwd, pam)" },
	{ "mail.location", CONF_STRING, S(mail_location), "%h/Maildir", NULL,
	  0, 0, "Maildir of a user: %u user, %n local part, %d domain, "
	  "%h home" },
};

static const struct conf_table auth_table = {
	.name = "auth",
	.settings = auth_settings_list,
	.count = N_ELEMENTS(auth_settings_list),
	.struct_size = sizeof(struct auth_settings),
	.free_prefix = "auth.",
};

static pthread_mutex_t chain_lock = PTHREAD_MUTEX_INITIALIZER;
static struct auth_chain *current;

const struct conf_table *
auth_settings_table(void)
{
	return &auth_table;
}

struct auth_chain *
auth_chain_current(void)
{
	pthread_mutex_lock(&chain_lock);
	struct auth_chain *c = current;
	if (c != NULL)
		c->refs++;
	pthread_mutex_unlock(&chain_lock);
	return c;
}

static void
chain_free(struct auth_chain *c)
{
	for (size_t i = c->count; i > 0; i--)
		auth_loader_close(&c->mods[i - 1]);
	conf_unref(&c->conf);
	free(c);
}

void
auth_chain_unref(struct auth_chain **cp)
{
	struct auth_chain *c = *cp;
	if (c == NULL)
		return;
	*cp = NULL;
	pthread_mutex_lock(&chain_lock);
	bool last = --c->refs == 0;
	pthread_mutex_unlock(&chain_lock);
	if (last)
		chain_free(c);
}

void
auth_chain_set(struct auth_chain *c)
{
	pthread_mutex_lock(&chain_lock);
	struct auth_chain *old = current;
	current = c;
	pthread_mutex_unlock(&chain_lock);
	auth_chain_unref(&old);
}

struct keycheck {
	struct auth_chain *chain;
	char *error;
};

static bool
module_file_exists(const char *dir, const char *name, size_t len)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/libauth_%.*s.so", dir,
			     (int)len, name) >= sizeof(path))
		return false;
	return access(path, F_OK) == 0;
}

static void
check_key(const char *key, const char *value, const char *file,
	  unsigned line, void *ctx)
{
	struct keycheck *kc = ctx;
	const struct auth_chain *c = kc->chain;

	if (kc->error != NULL)
		return;
	for (size_t i = 0; i < N_ELEMENTS(auth_settings_list); i++)
		if (strcmp(auth_settings_list[i].key, key) == 0)
			return;
	const char *mod = key + 5, *dot = strchr(mod, '.');
	if (dot == NULL || dot[1] == '\0') {
		kc->error = conf_errorf(c->conf, key, "unknown key");
		return;
	}
	size_t mlen = (size_t)(dot - mod);
	for (size_t i = 0; i < c->count; i++) {
		const struct auth_module *m = &c->mods[i];
		if (strlen(m->name) != mlen || strncmp(m->name, mod, mlen) != 0)
			continue;
		for (const char *const *k = m->mod->keys; k && *k; k++)
			if (strcmp(*k, dot + 1) == 0)
				return;
		kc->error = conf_errorf(c->conf, key, "unknown key: module %s "
					"has no setting \"%s\"", m->name,
					dot + 1);
		return;
	}
	/* settings of an installed module that is not in auth.modules are
	 * fine (the shipped snippets); anything else is a typo */
	if (!module_file_exists(c->set->module_dir, mod, mlen))
		kc->error = conf_errorf(c->conf, key, "unknown key: there is "
					"no auth module \"%.*s\"", (int)mlen,
					mod);
}

/* A module that fails to load or to initialise: name the line of
 * auth.modules that listed it. Returns r. */
static int
named_by_modules(const struct auth_chain *c, int r, char **error_r)
{
	char *e = *error_r;
	*error_r = conf_errorf(c->conf, "auth.modules", "%s", e);
	free(e);
	return r;
}

static int
load_modules(struct auth_chain *c, char **error_r)
{
	char names[1024];
	char *save = NULL;

	if (str_copy(names, c->set->modules, sizeof(names)) >= sizeof(names)) {
		*error_r = conf_errorf(c->conf, "auth.modules", "too long");
		return -ERR_INVAL;
	}
	for (char *n = strtok_r(names, " \t,", &save); n != NULL;
	     n = strtok_r(NULL, " \t,", &save)) {
		for (size_t i = 0; i < c->count; i++) {
			if (strcmp(c->mods[i].name, n) == 0) {
				*error_r = conf_errorf(c->conf, "auth.modules",
						       "%s listed twice", n);
				return -ERR_INVAL;
			}
		}
		if (c->count == AUTH_MODULES_MAX) {
			*error_r = conf_errorf(c->conf, "auth.modules",
					       "more than %d modules",
					       AUTH_MODULES_MAX);
			return -ERR_LIMIT;
		}
		int r = auth_loader_open(c->set->module_dir, n,
					 &c->mods[c->count], error_r);
		if (r < 0)
			return named_by_modules(c, r, error_r);
		c->count++;
	}
	if (c->count == 0) {
		*error_r = conf_errorf(c->conf, "auth.modules", "no module "
				       "named: nobody could log in");
		return -ERR_INVAL;
	}
	return 0;
}

int
auth_chain_new(const struct conf *conf, struct auth_chain **chain_r,
	       char **error_r)
{
	struct auth_chain *c = xcalloc(1, sizeof(*c));
	struct keycheck kc = { c, NULL };
	int r;

	c->refs = 1;
	c->conf = conf_ref((struct conf *)conf);
	c->set = conf_section(conf, &auth_table);
	*error_r = NULL;
	r = load_modules(c, error_r);
	if (r == 0) {
		conf_foreach(c->conf, "auth.", check_key, &kc);
		if (kc.error != NULL) {
			*error_r = kc.error;
			r = -ERR_INVAL;
		}
	}
	for (size_t i = 0; r == 0 && i < c->count; i++)
		if ((r = auth_loader_init(&c->mods[i], c->conf, error_r)) < 0)
			r = named_by_modules(c, r, error_r);
	bool reload = authd_running();
	if (r == 0)
		r = authd_start(c->mods, c->count, error_r);
	for (size_t i = 0; r == 0 && i < c->count; i++) {
		struct auth_module *m = &c->mods[i];
		if ((m->mod->flags & AUTHMOD_NEEDS_ROOT) == 0)
			continue;
		m->helper_index = authd_find(m->name);
		if (m->helper_index >= 0 && reload)
			log_warn("auth", "module %s runs in the privileged "
				 "helper: changes to auth.%s.* apply at "
				 "restart", m->name, m->name);
		if (m->helper_index < 0 && geteuid() != 0)
			log_warn("auth", "module %s needs root but runs "
				 "unprivileged (no helper): some users may fail",
				 m->name);
	}
	if (r < 0) {
		chain_free(c);
		return r;
	}
	*chain_r = c;
	return 0;
}

static int
chain_call(struct auth_chain *c, const char *user, const char *password,
	   bool verify, struct authmod_user *u_r, const char **module_r)
{
	bool tempfail = false;

	*module_r = NULL;
	for (size_t i = 0; i < c->count; i++) {
		struct auth_module *m = &c->mods[i];
		int r = verify ? auth_module_verify(m, user, password, u_r) :
				 auth_module_lookup(m, user, u_r);
		if (r == AUTHMOD_NOUSER)
			continue;
		if (r == AUTHMOD_TEMPFAIL || r == AUTHMOD_ERROR) {
			*module_r = m->name;
			tempfail = true;
			continue;
		}
		*module_r = m->name;
		return r;
	}
	return tempfail ? AUTHMOD_TEMPFAIL : AUTHMOD_NOUSER;
}

int
auth_chain_verify(struct auth_chain *c, const char *user,
		  const char *password, struct authmod_user *u_r,
		  const char **module_r)
{
	return chain_call(c, user, password, true, u_r, module_r);
}

int
auth_chain_lookup(struct auth_chain *c, const char *user,
		  struct authmod_user *u_r, const char **module_r)
{
	return chain_call(c, user, NULL, false, u_r, module_r);
}

static bool
user_char(unsigned char ch)
{
	return isalnum(ch) || ch >= 0x80 || strchr("._-+=@", ch) != NULL;
}

int
auth_user_normalize(const struct auth_settings *set, const char *in,
		    char *out, size_t size)
{
	size_t n = strnlen(in, AUTH_USER_MAX + 1), sep = 0, nsep = 0;
	const char *seps = set->domain_separators;

	if (n == 0 || n > AUTH_USER_MAX || size < AUTH_USER_MAX + 1)
		return -ERR_INVAL;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)in[i];
		if (ch == '@' || strchr(seps, ch) != NULL) {
			sep = i;
			nsep++;
			ch = '@';
		} else if (!user_char(ch)) {
			return -ERR_INVAL;
		}
		out[i] = set->username_lowercase ? (char)tolower(ch) : (char)ch;
	}
	out[n] = '\0';
	/* at most one separator, with both sides non-empty */
	if (nsep > 1 || (nsep == 1 && (sep == 0 || sep == n - 1)))
		return -ERR_INVAL;
	if (nsep == 0 && *set->default_domain != '\0') {
		if (n + 1 + strlen(set->default_domain) > AUTH_USER_MAX)
			return -ERR_INVAL;
		out[n] = '@';
		for (size_t i = 0; set->default_domain[i] != '\0'; i++) {
			unsigned char ch = (unsigned char)set->default_domain[i];
			if (!user_char(ch) || ch == '@')
				return -ERR_INVAL;
			out[n + 1 + i] = set->username_lowercase ?
					 (char)tolower(ch) : (char)ch;
			out[n + 2 + i] = '\0';
		}
	}
	if (out[0] == '.' || strstr(out, "..") != NULL ||
	    strstr(out, "@.") != NULL)
		return -ERR_INVAL;
	return 0;
}
