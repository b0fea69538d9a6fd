/* Maildock - SPDX-License-Identifier: MIT
 *
 * From a module's answer to the session's struct auth_user: the mail
 * location template is expanded here, and every value spliced into a path
 * is checked so that a user name can never walk out of its directory.
 */
#include "core/arena.h"
#include "core/auth.h"
#include "core/auth-chain.h"
#include "core/error.h"
#include "core/sbuf.h"

#define MAIL_PATH_MAX 4096

static bool
safe_component(const char *v, size_t n)
{
	if (n == 0 || memchr(v, '/', n) != NULL)
		return false;
	if ((n == 1 && v[0] == '.') || (n == 2 && v[0] == '.' && v[1] == '.'))
		return false;
	return true;
}

const char *
auth_mail_expand(struct arena *a, const struct auth_settings *set,
		 const char *tmpl, const char *user, const char *home,
		 const char **error_r)
{
	const char *at = strrchr(user, '@');
	bool has_home = home != NULL && home[0] == '/';
	struct sbuf b;

	if (tmpl == NULL || *tmpl == '\0')
		tmpl = set->mail_location;
	sbuf_init(&b, a, MAIL_PATH_MAX);
	if (tmpl[0] == '~' && (tmpl[1] == '/' || tmpl[1] == '\0')) {
		if (!has_home) {
			*error_r = "mail location uses ~ but the user has no "
				   "home";
			return NULL;
		}
		sbuf_appends(&b, home);
		tmpl++;
	}
	for (const char *p = tmpl; *p != '\0'; p++) {
		if (*p != '%') {
			sbuf_appendc(&b, *p);
			continue;
		}
		const char *v = NULL;
		size_t n = 0;
		switch (*++p) {
		case 'u':
			v = user;
			n = strlen(user);
			break;
		case 'n':
			v = user;
			n = at ? (size_t)(at - user) : strlen(user);
			break;
		case 'd':
			v = at ? at + 1 : "";
			n = strlen(v);
			break;
		case 'h':
			if (!has_home) {
				*error_r = "mail location uses %h but the user "
					   "has no home";
				return NULL;
			}
			sbuf_appends(&b, home);
			continue;
		case '%':
			sbuf_appendc(&b, '%');
			continue;
		default:
			*error_r = "unknown %-code in the mail location";
			return NULL;
		}
		if (!safe_component(v, n)) {
			*error_r = "user name or domain cannot be used in a path";
			return NULL;
		}
		sbuf_append(&b, v, n);
	}
	if (sbuf_failed(&b)) {
		*error_r = "mail location too long";
		return NULL;
	}
	if (b.data[0] != '/') {
		*error_r = "mail location is not an absolute path";
		return NULL;
	}
	return b.data;
}

static const char *
dup_or_empty(struct arena *a, const char *s)
{
	return arena_strdup(a, s != NULL ? s : "");
}

static unsigned
parse_options(const char *opts)
{
	unsigned r = 0;
	if (opts == NULL)
		return 0;
	/* words separated by blanks or commas */
	for (const char *p = opts; *p != '\0';) {
		size_t n = strcspn(p, " \t,");
		if (n == 12 && strncmp(p, "disable-imap", 12) == 0)
			r |= AUTH_OPT_DISABLE_IMAP;
		else if (n == 12 && strncmp(p, "disable-pop3", 12) == 0)
			r |= AUTH_OPT_DISABLE_POP3;
		p += n;
		p += strspn(p, " \t,");
	}
	return r;
}

int
auth_user_from_module(struct arena *a, const struct auth_settings *set,
		      const struct authmod_user *mu, struct auth_user **user_r,
		      const char **error_r)
{
	struct auth_user *u = arena_zalloc(a, sizeof(*u));
	if (u == NULL)
		return -ERR_NOMEM;
	u->user = dup_or_empty(a, mu->user);
	u->uid = mu->uid;
	u->gid = mu->gid;
	u->home = dup_or_empty(a, mu->home);
	u->quota = dup_or_empty(a, mu->quota);
	u->proxy_host = dup_or_empty(a, mu->proxy_host);
	u->options = parse_options(mu->options);
	if (u->user == NULL || u->home == NULL || u->quota == NULL ||
	    u->proxy_host == NULL)
		return -ERR_NOMEM;
	if (u->home[0] != '\0' && u->home[0] != '/') {
		*error_r = "home is not an absolute path";
		return -ERR_INVAL;
	}
	u->mail = auth_mail_expand(a, set, mu->mail, u->user, u->home, error_r);
	if (u->mail == NULL)
		return arena_failed(a) ? -ERR_NOMEM : -ERR_INVAL;
	*user_r = u;
	return 0;
}
