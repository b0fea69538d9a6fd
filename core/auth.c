/* Maildock - SPDX-License-Identifier: MIT
 *
 * STUB until the authentication issue lands: refuses every login.
 */
#include "core/auth.h"
#include "core/conf.h"
#include "core/error.h"
#include "core/session.h"
#include "core/conn.h"

struct auth_settings {
	const char *modules, *plaintext, *mail_location;
};
static const char *const plaintext_values[] = { "yes", "no", "loopback", NULL };
#define S(k, t, f, d, ...) { k, t, offsetof(struct auth_settings, f), d, __VA_ARGS__ }
static const struct conf_setting auth_conf_settings[] = {
	S("auth.modules", CONF_STRING, modules, "pwfile"),
	S("auth.plaintext", CONF_ENUM, plaintext, "loopback", .values = plaintext_values),
	S("mail.location", CONF_STRING, mail_location, "%h/Maildir"),
};
#undef S
static const struct conf_table auth_conf_table = {
	"auth", auth_conf_settings, N_ELEMENTS(auth_conf_settings),
	sizeof(struct auth_settings), "auth.",
};

void
auth_register_settings(void)
{
	conf_register(&auth_conf_table);
}

int
auth_init(const struct conf *conf, char **error_r)
{
	(void)conf;
	(void)error_r;
	return 0;
}

void
auth_deinit(void)
{
}

bool
auth_plaintext_allowed(const struct session *s)
{
	const struct auth_settings *set = conf_section(s->conf, &auth_conf_table);
	if (conn_is_tls(s->conn) || strcmp(set->plaintext, "yes") == 0)
		return true;
	return strcmp(set->plaintext, "loopback") == 0 && s->loopback;
}

int
auth_login(struct session *s, const char *authzid, const char *authcid,
	   const char *password, struct auth_user **user_r)
{
	(void)s; (void)authzid; (void)authcid; (void)password; (void)user_r;
	return -ERR_PERM;
}
