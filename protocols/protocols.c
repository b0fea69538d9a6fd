/* Maildock - SPDX-License-Identifier: MIT
 *
 * The protocols linked into maildockd, and the settings tables of the
 * layers under them, handed to the core at start-up.
 */
#include <stddef.h>
#include "core/proto.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-search-index.h"
#include "protocols/pop3/pop3.h"
#include "protocols/lmtp/lmtp.h"
#include "protocols/nginx-auth/nginx-auth.h"
#include "storage/store.h"

const struct proto_ops *const protocols[] = {
	&imap_proto, &pop3_proto, &lmtp_proto, &nginx_auth_proto, NULL
};

const struct conf_table *const protocols_conf_tables[] = {
	&store_conf_table, &imap_search_index_conf_table, NULL
};
