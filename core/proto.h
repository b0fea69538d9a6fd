/* Maildock - SPDX-License-Identifier: MIT
 *
 * What a protocol module (IMAP, POP3) gives the core, modelled on nginx's
 * ngx_mail_protocol_t. The core knows no protocol beyond this table.
 */
#ifndef CORE_PROTO_H
#define CORE_PROTO_H

#include <stdbool.h>

struct session;
struct conf_table;

struct proto_ops {
	/* "imap": its listeners are the keys <name>.listen (plaintext) and
	 * <name>s.listen (implicit TLS). */
	const char *name;
	const char *default_listen;	/* e.g. "0.0.0.0:143 [::]:143" */
	const char *default_listen_tls;	/* e.g. "0.0.0.0:993 [::]:993" */
	/* a listener for infrastructure (an MTA's LMTP, nginx's auth_http),
	 * not for mail clients: its connections count toward
	 * limits.max_connections but not per client address */
	bool infrastructure;
	/* the module's own settings, registered at start-up; may be NULL */
	const struct conf_table *settings;
	/* refuse: write the protocol's own refusal (IMAP "* BYE reason",
	 * POP3 "-ERR reason") on a connection turned away by a limit. The
	 * session is not run afterwards. */
	void (*refuse)(struct session *s, const char *reason);
	/* run: the whole session, in the connection's own thread, until the
	 * client leaves, times out, or the server stops (conn reads return
	 * -ERR_SHUTDOWN: IMAP then sends "* BYE", POP3 closes without
	 * committing deletions). The core closes the connection after. */
	void (*run)(struct session *s);
	/* resume: continue a session that run (or resume) parked with
	 * park_request (core/park.h), in whatever thread the core gives it;
	 * why is the enum park_wake. Same contract as run otherwise. NULL
	 * for a protocol that never parks. */
	void (*resume)(struct session *s, int why);
};

/* The protocols linked into maildockd and the extra settings tables of the
 * layers below them (storage), both NULL-terminated; defined in
 * protocols/protocols.c. */
extern const struct proto_ops *const protocols[];
extern const struct conf_table *const protocols_conf_tables[];

#endif
