/* Maildock - SPDX-License-Identifier: MIT
 *
 * The lmtp.* keys (STYLE C16), registered through lmtp_proto.settings.
 * The listener (lmtp.listen) is the core's; LMTP has no TLS listener.
 */
#include <stddef.h>
#include "protocols/lmtp/lmtp.h"

static const char *const quota_replies[] = { "temporary", "permanent", NULL };

#define S(k, t, f, d, ...) { k, t, offsetof(struct lmtp_settings, f), d, __VA_ARGS__ }
static const struct conf_setting lmtp_settings_list[] = {
	S("lmtp.max_message_size", CONF_SIZE, max_message_size, "100M",
	  .doc = "largest message accepted (SIZE in LHLO); 0: quota only"),
	S("lmtp.max_recipients", CONF_UINT, max_recipients, "100",
	  .min = 1, .max = 10000,
	  .doc = "recipients of one transaction (RFC 5321 4.5.3.1.8: 100)"),
	S("lmtp.timeout", CONF_DURATION, timeout, "5m", .min = 1,
	  .max = 3600, .doc = "how long one command or data read may take"),
	S("lmtp.temp_dir", CONF_STRING, temp_dir, "/tmp",
	  .flags = CONF_F_WRITABLE_DIR,
	  .doc = "where a message is spooled (unlinked) before delivery"),
	S("lmtp.quota_full", CONF_ENUM, quota_full, "temporary",
	  .values = quota_replies,
	  .doc = "reply to a recipient over quota: temporary (452 4.2.2, "
		 "the MTA retries) or permanent (552 5.2.2, it bounces)"),
	S("lmtp.recipient_delimiter", CONF_STRING, recipient_delimiter, "",
	  .doc = "characters that start an address extension (alice+tag)"),
	S("lmtp.max_bad_commands", CONF_UINT, max_bad_commands, "10",
	  .min = 1, .max = 1000,
	  .doc = "unknown or malformed commands in a row before disconnect"),
};
#undef S

const struct conf_table lmtp_conf_table = {
	"lmtp", lmtp_settings_list, N_ELEMENTS(lmtp_settings_list),
	sizeof(struct lmtp_settings), NULL,
};
