/* Maildock - SPDX-License-Identifier: MIT
 *
 * Every settings table, registered in one place for maildockd and the
 * tools that read its configuration (maildock-auth, maildock-admin).
 */
#include <stddef.h>
#include "core/auth.h"
#include "core/conf.h"
#include "core/control.h"
#include "core/listener.h"
#include "core/metrics.h"
#include "core/proto.h"
#include "core/session-private.h"
#include "core/settings.h"
#include "core/tlsconn.h"

void
settings_register_all(const struct proto_ops *const *protos,
		      const struct conf_table *const *tables)
{
	session_register_settings();
	listener_register_settings(protos);
	tlsconn_register_settings();
	auth_register_settings();
	metrics_register_settings();
	control_register_settings();
	for (size_t i = 0; protos[i] != NULL; i++)
		if (protos[i]->settings != NULL)
			conf_register(protos[i]->settings);
	for (size_t i = 0; tables[i] != NULL; i++)
		conf_register(tables[i]);
}
