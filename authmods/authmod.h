/* Maildock - SPDX-License-Identifier: MIT
 *
 * The authentication module ABI (STYLE C8). Each module is a shared object
 * built with -fvisibility=hidden that exports exactly one symbol,
 * authmod_entry, a struct authmod. This is the only header modules include.
 */
#ifndef AUTHMODS_AUTHMOD_H
#define AUTHMODS_AUTHMOD_H

#include <stddef.h>
#include <sys/types.h>

/* Bumped whenever the meaning of a field changes; new fields go at the end
 * in place of reserved slots. The loader refuses any other version. */
#define AUTHMOD_ABI 1

/* results of verify and lookup */
#define AUTHMOD_OK 0
#define AUTHMOD_FAIL (-1)	/* wrong password: stop, do not try others */
#define AUTHMOD_NOUSER (-2)	/* unknown here: try the next module */
#define AUTHMOD_DISABLED (-3)	/* account locked or expired */
#define AUTHMOD_TEMPFAIL (-4)	/* backend unreachable: try again later */
#define AUTHMOD_ERROR (-5)	/* internal error (logged by the module) */

/* flags. Threads: verify and lookup are called from many connection
 * threads at once. A module that sets AUTHMOD_THREADSAFE must allow that
 * (its own locks, per-thread handles); for any other module the loader
 * serialises every call with one mutex. init and deinit run alone, at
 * start-up, reload and exit. */
#define AUTHMOD_THREADSAFE (1u << 0)	/* verify/lookup may run concurrently */
#define AUTHMOD_NEEDS_ROOT (1u << 1)	/* run in the privileged helper */

#define AUTHMOD_LOG_ERROR 0
#define AUTHMOD_LOG_WARNING 1
#define AUTHMOD_LOG_INFO 2
#define AUTHMOD_LOG_DEBUG 3

/* Filled by verify/lookup. Strings are copied into buf (the module's
 * choice of layout); the caller copies them out before the next call on
 * the same struct. Unset strings are NULL, unset ids (uid_t)-1/(gid_t)-1. */
#define AUTHMOD_USER_BUF 4096
struct authmod_user {
	const char *user;	/* canonical name */
	uid_t uid;
	gid_t gid;
	const char *home;
	const char *mail;	/* Maildir path or template (%u %n %d %h) */
	const char *quota;	/* Maildir++ quota "NNNS,NNNC" */
	const char *options;	/* space-separated: disable-imap disable-pop3 */
	const char *proxy_host;
	char buf[AUTHMOD_USER_BUF];
};

/* What the host (maildockd) gives a module; only these core services. */
struct authmod_host {
	unsigned abi;
	/* log a line under the module's name; never pass a password */
	void (*log)(int level, const char *fmt, ...)
		__attribute__((format(printf, 2, 3)));
	/* the value of auth.<module>.<key>, or NULL when unset; conf is the
	 * opaque pointer passed to init */
	const char *(*setting)(const void *conf, const char *key);
	/* check password against a stored hash in any supported scheme
	 * ({PLAIN}, {SSHA*}, crypt(3) "$y$", "$6$", ..., with or without a
	 * {SCHEME} prefix, {ARGON2I}/{ARGON2ID} where libargon2 is
	 * installed) in constant time: returns AUTHMOD_OK or
	 * AUTHMOD_FAIL (AUTHMOD_ERROR for an unknown scheme) */
	int (*password_verify)(const char *password, const char *stored);
};

struct authmod {
	unsigned abi;		/* AUTHMOD_ABI */
	size_t struct_size;	/* sizeof(struct authmod) */
	const char *name;	/* must match the file: libauth_<name>.so */
	unsigned flags;		/* AUTHMOD_THREADSAFE, AUTHMOD_NEEDS_ROOT */
	/* the auth.<name>.* keys the module accepts (NULL-terminated, short
	 * names such as "path"); any other key under auth.<name>. is a
	 * configuration error naming file:line */
	const char *const *keys;
	/* init: read settings through host->setting(conf, key); *state_r is
	 * passed to every other call. Returns 0, or -1 with *error_r a static
	 * or module-owned message. */
	int (*init)(const struct authmod_host *host, const void *conf,
		    void **state_r, const char **error_r);
	/* verify: check user's password (passdb + userdb in one). */
	int (*verify)(void *state, const char *user, const char *password,
		      struct authmod_user *u_r);
	/* lookup: the user without a password (userdb; for tools, proxies and
	 * master-user logins). */
	int (*lookup)(void *state, const char *user, struct authmod_user *u_r);
	void (*deinit)(void *state);
	void *reserved[4];
};

/* the one exported symbol of every module */
#define AUTHMOD_ENTRY authmod_entry
#define AUTHMOD_EXPORT __attribute__((visibility("default")))

#endif
