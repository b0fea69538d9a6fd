/* Maildock - SPDX-License-Identifier: MIT
 *
 * The personal namespace prefix (imap.namespace_prefix): "" (folders are
 * "Work") or "INBOX." as Courier-IMAP shows them and as Dovecot's
 * migration guide configures it ("INBOX.Work"). Storage names never carry
 * it: names from the client lose it here, names to the client gain it
 * here, so LIST, LSUB, subscriptions, ACL and special-use names agree.
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap.h"
#include "core/compat.h"

const char *
imap_namespace_strip(const struct imap_session *sess, const char *name)
{
	const char *prefix = sess->set->namespace_prefix;
	size_t plen = strlen(prefix);

	/* RFC 3501 5.1: the prefix's "INBOX" is case-insensitive */
	if (plen > 0 && strncasecmp(name, prefix, plen) == 0 &&
	    name[plen] != '\0')
		return name + plen;
	return name;
}

bool
imap_namespace_display(const struct imap_session *sess, const char *name,
		       char *buf, size_t size)
{
	const char *prefix = sess->set->namespace_prefix;

	if (prefix[0] == '\0' || strcmp(name, "INBOX") == 0 ||
	    (strncmp(name, IMAP_ACL_NS, strlen(IMAP_ACL_NS)) == 0 &&
	     (name[strlen(IMAP_ACL_NS)] == '\0' ||
	      name[strlen(IMAP_ACL_NS)] == '.')))
		return str_copy(buf, name, size) < size;
	return (size_t)snprintf(buf, size, "%s%s", prefix, name) < size;
}

int
imap_namespace_append(const struct imap_session *sess, struct sbuf *b,
		      const char *name)
{
	char buf[STORE_NAME_MAXLEN + 16];

	if (!imap_namespace_display(sess, name, buf, sizeof(buf)))
		return -ERR_INVAL;
	return imap_reply_append_mailbox(b, buf, IMAP_UTF8(sess));
}
