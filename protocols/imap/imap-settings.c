/* Maildock - SPDX-License-Identifier: MIT
 *
 * The imap.* settings (STYLE C16), registered through imap_proto.settings:
 * parser limits, the bad-command limit and the greeting text.
 */
#include <stddef.h>
#include "core/conf.h"
#include "protocols/imap/imap.h"
#include "core/compat.h"

static const char *const namespace_prefixes[] = { "", "INBOX.", NULL };

#define S(k, t, f, d, ...) \
	{ k, t, offsetof(struct imap_settings, f), d, __VA_ARGS__ }
static const struct conf_setting imap_settings[] = {
	S("imap.max_line_length", CONF_SIZE, max_line_length, "64k",
	  .min = 1024, .max = 16 * 1024 * 1024,
	  .doc = "longest command line in octets (literals not counted)"),
	S("imap.max_literal_preauth", CONF_SIZE, max_literal_preauth, "4k",
	  .min = 256, .max = 1024 * 1024,
	  .doc = "largest literal accepted before login"),
	S("imap.max_literal", CONF_SIZE, max_literal, "1M",
	  .min = 1024, .max = 1024 * 1024 * 1024,
	  .doc = "largest literal after login (APPEND excepted)"),
	S("imap.max_command", CONF_SIZE, max_command, "4M",
	  .min = 4096, .max = 1024ull * 1024 * 1024,
	  .doc = "largest command after login, literals included"),
	S("imap.max_append", CONF_SIZE, max_append, "64M",
	  .min = 1024, .max = 4294967295ull,
	  .doc = "largest message APPEND accepts (advertised as APPENDLIMIT)"),
	S("imap.max_list_depth", CONF_UINT, max_list_depth, "32",
	  .min = 2, .max = IMAP_PARSER_DEPTH_CAP,
	  .doc = "nesting of parenthesized lists in a command"),
	S("imap.max_bad_commands", CONF_UINT, max_bad_commands, "10",
	  .min = 1, .max = 1000,
	  .doc = "bad commands in a row before the connection is closed"),
	S("imap.greeting", CONF_STRING, greeting, "Maildock ready.",
	  .doc = "text of the greeting after its CAPABILITY code"),
	S("imap.special_use.sent", CONF_STRING, special_use[0], "Sent",
	  .doc = "folder LIST marks \\Sent (RFC 6154); empty: none"),
	S("imap.special_use.drafts", CONF_STRING, special_use[1], "Drafts",
	  .doc = "folder LIST marks \\Drafts"),
	S("imap.special_use.trash", CONF_STRING, special_use[2], "Trash",
	  .doc = "folder LIST marks \\Trash"),
	S("imap.special_use.junk", CONF_STRING, special_use[3], "Junk",
	  .doc = "folder LIST marks \\Junk"),
	S("imap.special_use.archive", CONF_STRING, special_use[4], "Archive",
	  .doc = "folder LIST marks \\Archive"),
	S("imap.namespace_prefix", CONF_ENUM, namespace_prefix, "",
	  .values = namespace_prefixes,
	  .doc = "personal namespace prefix: \"\" or \"INBOX.\" (Courier's)"),
	S("imap.id_send_version", CONF_BOOL, id_send_version, "no",
	  .doc = "whether ID answers with the server version"),
	S("imap.proxy_port", CONF_STRING, proxy_port, "143",
	  .doc = "backend IMAP port in proxy mode when the route names none"),
};
#undef S

const struct conf_table imap_conf_table = {
	"imap", imap_settings, N_ELEMENTS(imap_settings),
	sizeof(struct imap_settings), NULL,
};
