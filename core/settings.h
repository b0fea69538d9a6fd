/* Maildock - SPDX-License-Identifier: MIT
 *
 * Registering every settings table before a configuration is loaded, the
 * same way in maildockd and in the admin tools that read its file.
 */
#ifndef CORE_SETTINGS_H
#define CORE_SETTINGS_H

struct conf_table;
struct proto_ops;

/* settings_register_all: register the core's tables (server, limits, log,
 * listen addresses of protos, TLS, auth, metrics, control), then each
 * protocol's own table and the extra tables (NULL-terminated arrays,
 * usually protocols and protocols_conf_tables). Once, at start-up. */
void settings_register_all(const struct proto_ops *const *protos,
			   const struct conf_table *const *tables);

#endif
