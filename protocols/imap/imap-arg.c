/* Maildock - SPDX-License-Identifier: MIT
 *
 * Typed access to parsed command arguments: atoms, strings, NIL and
 * lists, with the RFC 3501 section 9 equivalences (astring, nstring).
 */
#include <strings.h>
#include "protocols/imap/imap-arg.h"
#include "core/compat.h"

bool
imap_arg_atom(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type != IMAP_ARG_ATOM && arg->type != IMAP_ARG_NIL)
		return false;
	*str_r = arg->str;
	return true;
}

bool
imap_arg_string(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type != IMAP_ARG_QUOTED &&
	    (arg->type != IMAP_ARG_LITERAL || arg->has_nul))
		return false;
	*str_r = arg->str;
	return true;
}

bool
imap_arg_astring(const struct imap_arg *arg, const char **str_r)
{
	return imap_arg_atom(arg, str_r) || imap_arg_string(arg, str_r);
}

bool
imap_arg_nstring(const struct imap_arg *arg, const char **str_r)
{
	if (arg->type == IMAP_ARG_NIL) {
		*str_r = NULL;
		return true;
	}
	return imap_arg_string(arg, str_r);
}

bool
imap_arg_list(const struct imap_arg *arg, const struct imap_arg **list_r,
	      unsigned *count_r)
{
	if (arg->type != IMAP_ARG_LIST)
		return false;
	*list_r = arg->list;
	*count_r = arg->count;
	return true;
}

bool
imap_arg_atom_eq(const struct imap_arg *arg, const char *s)
{
	return (arg->type == IMAP_ARG_ATOM || arg->type == IMAP_ARG_NIL) &&
	       strcasecmp(arg->str, s) == 0;
}

bool
imap_arg_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = u[i], len, cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			len = 2, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			len = 3, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			len = 4, cp = c & 0x07;
		else
			return false;
		if (n - i < len)
			return false;
		for (unsigned k = 1; k < len; k++) {
			if ((u[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (u[i + k] & 0x3f);
		}
		if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += len;
	}
	return true;
}
