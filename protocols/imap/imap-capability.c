/* Maildock - SPDX-License-Identifier: MIT
 *
 * The CAPABILITY list, in one place: the greeting, CAPABILITY and the
 * LOGIN/AUTHENTICATE OK code all print it from here. An extension is
 * listed only once it works; those that depend on the session's state or
 * on the configuration are decided in imap_session_capability below.
 */
#include "core/auth.h"
#include "core/conn.h"
#include "core/session.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

/* advertised in every state, in this order */
static const char *const caps_always[] = {
	"IMAP4rev1", "LITERAL+", "SASL-IR", "ID", "ENABLE", "IDLE",
	"NAMESPACE", "UNSELECT", "UIDPLUS", "CHILDREN", "MOVE", "QUOTA",
	"QUOTA=RES-STORAGE", "QUOTA=RES-MESSAGE", "SORT", "SORT=DISPLAY",
	"THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES",
	"THREAD=REFS",		/* draft-ietf-morg-inthread, as Dovecot */
	"ESEARCH",
	"LIST-EXTENDED", "LIST-STATUS", "SPECIAL-USE", "CREATE-SPECIAL-USE",
	"UTF8=ACCEPT", "ACL", "ACL2=UNION", "RIGHTS=kxte",
	"LIST-MYRIGHTS",	/* RFC 8440 */
	"STATUS=SIZE",		/* RFC 8438 */
	"SAVEDATE",		/* RFC 8514 */
	"REPLACE",		/* RFC 8508 */
	"PREVIEW",		/* RFC 8970 */
	"OBJECTID",		/* RFC 8474 */
	"METADATA", "METADATA-SERVER",	/* RFC 5464 */
	"MULTIAPPEND",		/* RFC 3502 */
	"BINARY",		/* RFC 3516, with LITERAL8 for APPEND */
	"CONDSTORE", "QRESYNC",	/* RFC 7162 */
	"WITHIN",		/* RFC 5032 */
	"ESORT",		/* RFC 5267 3 */
	"CONTEXT=SEARCH",	/* RFC 5267 4, imap-search-update.c */
	"CATENATE",		/* RFC 4469, imap-catenate.c */
	"PARTIAL",		/* RFC 9394, for SEARCH and SORT */
	"SEARCHRES",		/* RFC 5182 */
};

bool
imap_session_may_unauthenticate(const struct imap_session *sess)
{
	/* with auth.system_users the thread took the user's uid at login
	 * and cannot take it back (DESIGN.md "Identity and privileges") */
	return !auth_system_users(sess->s->conf);
}

void
imap_session_capability(struct imap_session *sess, struct sbuf *b)
{
	for (size_t i = 0; i < N_ELEMENTS(caps_always); i++) {
		if (i > 0)
			sbuf_appendc(b, ' ');
		sbuf_appends(b, caps_always[i]);
	}
	sbuf_appendf(b, " APPENDLIMIT=%zu", sess->set->max_append);
	if (imap_session_may_unauthenticate(sess))
		sbuf_appends(b, " UNAUTHENTICATE");	/* RFC 8437 */
	if (!conn_is_compressed(sess->conn))
		sbuf_appends(b, " COMPRESS=DEFLATE");	/* RFC 4978 */
	if (sess->state != IMAP_ST_NOAUTH)
		return;
	if (!conn_is_tls(sess->conn) && sess->s->tls != NULL)
		sbuf_appends(b, " STARTTLS");
	if (!auth_plaintext_allowed(sess->s))
		sbuf_appends(b, " LOGINDISABLED");
	else
		sbuf_appends(b, " AUTH=PLAIN AUTH=LOGIN");
}
