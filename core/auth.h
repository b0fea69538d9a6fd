/* Maildock - SPDX-License-Identifier: MIT
 *
 * The one authentication path every protocol uses (IMAP LOGIN and
 * AUTHENTICATE, POP3 USER/PASS and AUTH): user-name normalisation,
 * plaintext policy, throttling, the failure delay, the auth module chain
 * (dlopen'd modules, see authmods/authmod.h) and the mail location.
 */
#ifndef CORE_AUTH_H
#define CORE_AUTH_H

#include <sys/types.h>
#include "core/compat.h"

struct arena;
struct conf;
struct session;

/* options a backend may set for a user */
#define AUTH_OPT_DISABLE_IMAP (1u << 0)
#define AUTH_OPT_DISABLE_POP3 (1u << 1)

/* A logged-in user; every string lives in the session's arena. */
struct auth_user {
	const char *user;	/* canonical name, e.g. "alice@example.org" */
	uid_t uid;		/* (uid_t)-1: the process's own */
	gid_t gid;		/* (gid_t)-1: the process's own */
	const char *home;	/* "" when none */
	const char *mail;	/* absolute Maildir path, template expanded */
	const char *quota;	/* Maildir++ quota, e.g. "10000000S,1000C", or "" */
	unsigned options;	/* AUTH_OPT_* */
	const char *proxy_host;	/* "" when none */
	bool master;		/* logged in by a master user for authzid */
};

/* auth_register_settings: register the auth.* and mail.* keys with
 * core/conf. Start-up only. */
void auth_register_settings(void);

/* auth_init: load the modules named by auth.modules (dlopen from
 * $pkglibdir/auth, ABI check, init with their auth.<name>.* keys) and start
 * the privileged helper when a module needs root. Call at start-up before
 * dropping privileges, and on reload (the new chain replaces the old one for
 * new logins). Returns 0 or a negative error with *error_r malloc'd.
 * Not thread-safe with itself. */
int auth_init(const struct conf *conf, char **error_r);

/* auth_deinit: release every module. At exit only. */
void auth_deinit(void);

/* auth_plaintext_allowed: whether a password may be sent on s now, per
 * auth.plaintext (yes, no, loopback) and whether s is in TLS. IMAP then
 * advertises LOGINDISABLED and POP3 hides USER when this is false. */
bool auth_plaintext_allowed(const struct session *s);

/* auth_login: check a password for the session's protocol. authzid is the
 * SASL authorization identity (NULL or "" for none; only master users may
 * use it), authcid the user name as the client sent it. On success *user_r
 * is filled (in s->arena) and 0 returned. A failure waits the configured
 * delay before returning. Errors:
 *   -ERR_PERM     wrong password, unknown user, or service disabled
 *   -ERR_TEMP     a backend is down (IMAP NO [UNAVAILABLE], POP3 [SYS/TEMP])
 *   -ERR_LIMIT    too many failures from this IP or for this user
 *   -ERR_INVAL    the name or password is malformed (too long, NUL, ...)
 * Never logs the password. Thread-safe. */
int auth_login(struct session *s, const char *authzid, const char *authcid,
	       const char *password, struct auth_user **user_r);

/* auth_lookup: the user called user (normalised as for a login) without
 * a password, e.g. the owner of a shared folder or an LMTP recipient:
 * *user_r in arena a (usually s->arena; LMTP passes its per-transaction
 * arena), mail location expanded. No throttling, no delay, no privilege change, and
 * nothing logged for an unknown user. Errors:
 *   -ERR_NOTFOUND  no module knows the user (or the account is disabled)
 *   -ERR_TEMP      a backend is down, or the mail location cannot be built
 *   -ERR_INVAL     the name is malformed
 *   -ERR_LIMIT     s->arena is full
 * Thread-safe. */
int auth_lookup(struct session *s, struct arena *a, const char *user,
		struct auth_user **user_r);

/* auth_system_users: whether auth.system_users is on in conf: then each
 * successful auth_login switches the calling thread to the user's
 * uid/gid/groups (core/auth-sysuser.h), and main must call
 * auth_sysuser_restrict instead of dropping every privilege. */
bool auth_system_users(const struct conf *conf);

/* auth_delay_fn / auth_set_delay_hook: the function auth_login calls to
 * wait the failure delay (seconds); NULL restores the default
 * (nanosleep). For tests that check the delay without waiting. Start-up
 * only. */
typedef void auth_delay_fn(unsigned seconds);
void auth_set_delay_hook(auth_delay_fn *fn);

#endif
