/* Maildock - SPDX-License-Identifier: MIT
 *
 * Expansion of LDAP filter and DN templates for the ldap auth module:
 * %u (user), %n (local part), %d (domain), %% (a percent sign), with every
 * substituted value escaped per RFC 4515 section 3 (filters) or RFC 4514
 * section 2.4 (DN attribute values), so that a user name can never change
 * the structure of the filter or DN.
 */
#ifndef AUTHMODS_LDAP_AUTHLDAP_FILTER_H
#define AUTHMODS_LDAP_AUTHLDAP_FILTER_H

#include <stdbool.h>
#include <stddef.h>

enum authldap_escape {
	/* RFC 4515: * ( ) \ NUL and controls become \2a \28 \29 \5c \00 */
	AUTHLDAP_ESCAPE_FILTER,
	/* RFC 4514: , + " \ < > ; = and a leading/trailing space or # */
	AUTHLDAP_ESCAPE_DN,
};

/* authldap_filter_expand: expand template tmpl for user into out (size
 * bytes, NUL-terminated). %n is the part of user before the last '@' (the
 * whole name without one), %d the part after it. A template referring to
 * %d for a user without a domain fails (the filter cannot match safely).
 * Unknown %x sequences fail. Returns the length written, or -1 when the
 * result does not fit, %d has no value or the template is malformed.
 * Pure function, thread-safe, allocates nothing. */
int authldap_filter_expand(const char *tmpl, const char *user,
			   enum authldap_escape how, char *out, size_t size);

/* authldap_filter_check: true when tmpl uses only %u %n %d %%. */
bool authldap_filter_check(const char *tmpl);

#endif
