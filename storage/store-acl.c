/* Maildock - SPDX-License-Identifier: MIT
 *
 * The storage API of storage/store-acl.h: the rights arithmetic every
 * backend shares (letters, entries, the ACL2=UNION computation) and
 * dispatch of the folder ACL calls to the backend's vtable.
 */
#include "storage/store-private.h"
#include "storage/store-acl.h"
#include "core/error.h"
#include "core/compat.h"

int
store_acl_rights_parse(const char *s, unsigned *rights_r)
{
	unsigned r = 0;

	for (; *s != '\0'; s++) {
		const char *p = strchr(STORE_ACL_LETTERS, *s);
		if (p != NULL)
			r |= 1u << (p - STORE_ACL_LETTERS);
		else if (*s == 'c')
			r |= STORE_ACL_CREATE;
		else if (*s == 'd')
			r |= STORE_ACL_DELETE | STORE_ACL_DELMSG |
			     STORE_ACL_EXPUNGE;
		else
			return -ERR_INVAL;
	}
	*rights_r = r;
	return 0;
}

unsigned
store_acl_spelling(const char *s)
{
	return (strchr(s, 'c') != NULL ? STORE_ACL_AS_C : 0) |
	       (strchr(s, 'k') != NULL ? STORE_ACL_AS_K : 0);
}

char *
store_acl_rights_string(unsigned rights, bool obsolete, char *buf)
{
	size_t n = 0;

	for (size_t i = 0; STORE_ACL_LETTERS[i] != '\0'; i++)
		if (rights & (1u << i))
			buf[n++] = STORE_ACL_LETTERS[i];
	if (obsolete && (rights & STORE_ACL_CREATE))
		buf[n++] = 'c';
	if (obsolete && (rights & (STORE_ACL_DELETE | STORE_ACL_DELMSG |
				   STORE_ACL_EXPUNGE)))
		buf[n++] = 'd';
	buf[n] = '\0';
	return buf;
}

bool
store_acl_ident_valid(const char *ident)
{
	size_t n = strlen(ident);

	if (n == 0 || n > STORE_ACL_IDENT_MAX + 1 ||
	    (ident[0] == '-' && n == 1))
		return false;
	for (const unsigned char *p = (const unsigned char *)ident; *p; p++)
		if (*p <= ' ' || *p == 0x7f)
			return false;
	return true;
}

int
store_acl_find(const struct store_acl *acl, const char *ident)
{
	for (unsigned i = 0; i < acl->n; i++)
		if (strcmp(acl->e[i].ident, ident) == 0)
			return (int)(acl->e[i].rights & STORE_ACL_ALL);
	return -1;
}

/* spelled: rights with the create right's letters explicit (Courier's c
 * when none was given) */
static unsigned
spelled(unsigned rights)
{
	if ((rights & STORE_ACL_CREATE) == 0)
		return rights & STORE_ACL_ALL;
	if ((rights & (STORE_ACL_AS_C | STORE_ACL_AS_K)) == 0)
		rights |= STORE_ACL_AS_C;
	return rights;
}

int
store_acl_update(struct store_acl *acl, const char *ident,
		 enum store_acl_mode mode, unsigned rights)
{
	unsigned i;

	rights = spelled(rights);
	if (!store_acl_ident_valid(ident))
		return -ERR_INVAL;
	for (i = 0; i < acl->n; i++)
		if (strcmp(acl->e[i].ident, ident) == 0)
			break;
	if (i == acl->n) {
		if (mode == STORE_ACL_DROP || mode == STORE_ACL_REMOVE ||
		    rights == 0)
			return 0;
		if (acl->n == STORE_ACL_ENTRIES_MAX)
			return -ERR_LIMIT;
		str_copy(acl->e[i].ident, ident, sizeof(acl->e[i].ident));
		acl->e[i].rights = 0;
		acl->n++;
	}
	switch (mode) {
	case STORE_ACL_REPLACE:
		acl->e[i].rights = rights;
		break;
	case STORE_ACL_ADD:
		acl->e[i].rights |= rights;
		break;
	case STORE_ACL_REMOVE:
		acl->e[i].rights &= ~rights;
		break;
	case STORE_ACL_DROP:
		acl->e[i].rights = 0;
		break;
	}
	/* letters, as Courier keeps them: create stays while c or k does */
	if ((acl->e[i].rights & (STORE_ACL_AS_C | STORE_ACL_AS_K)) != 0)
		acl->e[i].rights |= STORE_ACL_CREATE;
	else
		acl->e[i].rights &= ~STORE_ACL_CREATE;
	if ((acl->e[i].rights & STORE_ACL_ALL) == 0) {
		memmove(&acl->e[i], &acl->e[i + 1],
			(acl->n - i - 1) * sizeof(acl->e[0]));
		acl->n--;
	}
	return 0;
}

/* matches: whether identifier id (without '-') names user */
static bool
matches(const char *id, const char *user, bool is_owner)
{
	/* every session is logged in: Dovecot's "authenticated" = anyone */
	if (strcmp(id, "anyone") == 0 || strcmp(id, "anonymous") == 0 ||
	    strcmp(id, "authenticated") == 0)
		return true;
	if (strcmp(id, "owner") == 0)
		return is_owner;
	return strncmp(id, "user=", 5) == 0 && strcmp(id + 5, user) == 0;
}

unsigned
store_acl_rights(const struct store_acl *acl, const char *user, bool is_owner)
{
	unsigned plus = 0, minus = 0;

	for (unsigned i = 0; i < acl->n; i++) {
		const char *id = acl->e[i].ident;
		if (id[0] == '-') {
			if (matches(id + 1, user, is_owner))
				minus |= acl->e[i].rights;
		} else if (matches(id, user, is_owner)) {
			plus |= acl->e[i].rights;
		}
	}
	plus &= ~minus & STORE_ACL_ALL;
	if (is_owner)
		plus |= STORE_ACL_ADMIN;
	return plus;
}

int
store_acl_get(struct store_user *u, const char *name, struct store_acl *acl)
{
	return u->ops->acl_get(u, name, acl);
}

int
store_acl_put(struct store_user *u, const char *name,
	      const struct store_acl *acl)
{
	return u->ops->acl_put(u, name, acl);
}

int
store_acl_modify(struct store_user *u, const char *name, const char *ident,
		 enum store_acl_mode mode, unsigned rights,
		 struct store_acl *acl)
{
	return u->ops->acl_modify(u, name, ident, mode, rights, acl);
}

int
store_acl_user_open(const char *maildir, struct store_user **u_r)
{
	*u_r = NULL;
	if (maildir == NULL || maildir[0] != '/')
		return -ERR_INVAL;
	return maildir_acl_user_open(maildir, u_r);
}

int
store_acl_shared_note(const char *grantee_maildir, const char *owner)
{
	if (!store_acl_ident_valid(owner) || owner[0] == '-' ||
	    grantee_maildir[0] != '/')
		return -ERR_INVAL;
	return maildir_acl_shared_note(grantee_maildir, owner);
}

int
store_acl_shared_owners(struct store_user *u, store_acl_owner_fn *fn,
			void *ctx)
{
	return u->ops->acl_shared_owners(u, fn, ctx);
}
