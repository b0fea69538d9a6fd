/* Maildock - SPDX-License-Identifier: MIT
 *
 * The pop3.* keys (STYLE C16), registered through pop3_proto.settings.
 * The listeners (pop3.listen, pop3s.listen) are the core's.
 */
#include <stddef.h>
#include "protocols/pop3/pop3.h"

static const char *const uidl_formats[] = { "courier", "dovecot", NULL };

#define S(k, t, f, d, ...) { k, t, offsetof(struct pop3_settings, f), d, __VA_ARGS__ }
static const struct conf_setting pop3_settings_list[] = {
	S("pop3.greeting", CONF_STRING, greeting, "Hello there.",
	  .doc = "text of the greeting after \"+OK \" (Courier's by default)"),
	S("pop3.implementation", CONF_STRING, implementation, "",
	  .doc = "CAPA IMPLEMENTATION text; empty: not advertised"),
	S("pop3.uidl_format", CONF_ENUM, uidl_format, "courier",
	  .values = uidl_formats,
	  .doc = "UIDL form: courier (UID<n>-<uidvalidity>, as Courier's "
		 "pop3d) or dovecot (%08x%08x of IMAP UID and UIDVALIDITY)"),
	S("pop3.max_bad_commands", CONF_UINT, max_bad_commands, "10",
	  .min = 1, .max = 1000,
	  .doc = "unknown or malformed commands in a row before disconnect"),
	S("pop3.proxy_port", CONF_STRING, proxy_port, "110",
	  .doc = "backend POP3 port in proxy mode when the route names none"),
};
#undef S

const struct conf_table pop3_conf_table = {
	"pop3", pop3_settings_list, N_ELEMENTS(pop3_settings_list),
	sizeof(struct pop3_settings), NULL,
};
