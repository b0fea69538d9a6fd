/* Maildock - SPDX-License-Identifier: MIT
 *
 * The pieces of the authentication path that need no session, shared by
 * core/auth.c and maildock-auth: the auth.* settings, the chain of loaded
 * modules (one reference-counted generation per auth_init), user-name
 * normalisation and the expansion of the mail location template.
 */
#ifndef CORE_AUTH_CHAIN_H
#define CORE_AUTH_CHAIN_H

#include "authmods/authmod.h"
#include "core/auth-loader.h"
#include "core/compat.h"

struct arena;
struct conf;
struct auth_user;

#define AUTH_USER_MAX 255	/* bytes of a user name */
#define AUTH_MODULES_MAX 16

/* the auth.* and mail.location settings (see auth_register_settings) */
struct auth_settings {
	const char *modules;		/* "pwfile passwd" */
	const char *module_dir;
	const char *plaintext;		/* yes, no, loopback */
	unsigned failure_delay;		/* seconds */
	unsigned max_failures_per_ip;	/* within failure_window; 0: off */
	unsigned max_failures_per_user;
	unsigned failure_window;	/* seconds */
	bool username_lowercase;
	const char *default_domain;	/* appended to bare names; "" none */
	const char *domain_separators;	/* e.g. "@%" */
	const char *master_users;	/* who may use a SASL authzid */
	const char *master_separator;	/* "target*master" in LOGIN; "" off */
	unsigned cache_ttl;		/* seconds; 0: no cache */
	unsigned cache_size;		/* entries */
	const char *mail_location;	/* template: %u %n %d %h ~/ */
	bool system_users;		/* threads take the user's uid */
};

struct auth_chain {
	int refs;			/* under the chain lock */
	struct conf *conf;		/* referenced */
	const struct auth_settings *set;
	struct auth_module mods[AUTH_MODULES_MAX];
	size_t count;
};

/* auth_settings_table: the conf table auth registers (static). */
const struct conf_table *auth_settings_table(void);

/* auth_chain_new: load and initialise the modules of conf's auth.modules,
 * validate every auth.<module>.<key> against the modules' declared keys
 * (an unknown one is an error naming file:line), and start the privileged
 * helper for AUTHMOD_NEEDS_ROOT modules when running as root. Returns 0
 * with *chain_r (one reference), or a negative error with *error_r
 * malloc'd. Start-up/reload only. */
int auth_chain_new(const struct conf *conf, struct auth_chain **chain_r,
		   char **error_r);

/* auth_chain_current: a new reference to the chain auth_init installed,
 * or NULL before auth_init. auth_chain_set takes over the caller's
 * reference (NULL to clear). auth_chain_unref releases one reference and
 * sets *c to NULL. Thread-safe. */
struct auth_chain *auth_chain_current(void);
void auth_chain_set(struct auth_chain *c);
void auth_chain_unref(struct auth_chain **c);

/* auth_chain_verify / auth_chain_lookup: ask the modules in order until
 * one knows user: AUTHMOD_NOUSER goes on to the next module, any other
 * answer stops (a TEMPFAIL is remembered: if no later module knows the
 * user the result is AUTHMOD_TEMPFAIL, not NOUSER). *module_r is the name
 * of the module that answered (or NULL). u_r is filled on AUTHMOD_OK.
 * Thread-safe. */
int auth_chain_verify(struct auth_chain *c, const char *user,
		      const char *password, struct authmod_user *u_r,
		      const char **module_r);
int auth_chain_lookup(struct auth_chain *c, const char *user,
		      struct authmod_user *u_r, const char **module_r);

/* auth_user_normalize: the canonical form of a name the client sent:
 * the last domain separator becomes '@', ASCII is lower-cased when
 * username_lowercase is set, and default_domain is appended to a bare
 * name. Only letters, digits, bytes >= 0x80 and ". _ - + = @" are
 * accepted; no leading '.', no "..", at most one '@' with both sides
 * non-empty. Writes into out (size >= AUTH_USER_MAX + 1). Returns 0 or
 * -ERR_INVAL. Thread-safe, pure. */
int auth_user_normalize(const struct auth_settings *set, const char *in,
			char *out, size_t size);

/* auth_mail_expand: expand tmpl (or set->mail_location when tmpl is NULL
 * or "") for user and home: %u user, %n local part, %d domain, %h home,
 * %% a percent sign, and a leading "~/" for home. The result must be an
 * absolute path. Returns the arena string, or NULL with *error_r a static
 * reason (unknown %-code, %h or ~ without a home, a relative result, a
 * value containing '/' or "..", or the arena cap). Thread-safe. */
const char *auth_mail_expand(struct arena *a, const struct auth_settings *set,
			     const char *tmpl, const char *user,
			     const char *home, const char **error_r);

/* auth_user_from_module: build an auth_user in arena a from a module
 * result (mail expanded with auth_mail_expand). Returns 0, or -ERR_INVAL
 * with *error_r static (bad mail location) or -ERR_NOMEM (arena cap). */
int auth_user_from_module(struct arena *a, const struct auth_settings *set,
			  const struct authmod_user *mu,
			  struct auth_user **user_r, const char **error_r);

#endif
