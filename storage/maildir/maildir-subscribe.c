/* Maildock - SPDX-License-Identifier: MIT
 *
 * Subscriptions in Courier-IMAP's file "courierimapsubscribed": one name per
 * line in Courier's namespace ("INBOX" or "INBOX.<name>", the name spelled
 * as folder directories are: modified UTF-7, or UTF-8 like Courier-IMAP 5),
 * rewritten atomically. Lines without the "INBOX." prefix (other tools) are
 * read as plain names.
 */
#include <errno.h>
#include "storage/maildir/maildir.h"
#include "core/error.h"
#include "core/compat.h"

char **
maildir_subscriptions_load(struct maildir_user *u, size_t *n_r)
{
	char path[MAILDIR_PATH_MAX], *data, *line, *save = NULL;
	char name[STORE_NAME_MAXLEN + 1];
	char **names = NULL;
	size_t len, n = 0;

	*n_r = 0;
	maildir_path(path, sizeof(path), u->root, MAILDIR_SUBSCRIBED, NULL);
	if (maildir_read_file(path, &data, &len, 4 * 1024 * 1024) < 0)
		return NULL;
	for (line = strtok_r(data, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *p = line;
		if (strcmp(line, "INBOX") == 0) {
			str_copy(name, "INBOX", sizeof(name));
		} else {
			if (strncmp(line, "INBOX.", 6) == 0)
				p = line + 6;
			if (maildir_name_decode(p, name, sizeof(name)) < 0)
				continue;
		}
		names = xrealloc(names, (n + 1) * sizeof(char *));
		names[n++] = xstrdup(name);
	}
	free(data);
	*n_r = n;
	return names;
}

static int
save(struct maildir_user *u, char **names, size_t n)
{
	size_t cap = 64, len = 0;
	char *text = xmalloc(cap), enc[STORE_NAME_MAXLEN * 4];
	int r;

	for (size_t i = 0; i < n; i++) {
		if (maildir_name_is_inbox(names[i]))
			str_copy(enc, "INBOX", sizeof(enc));
		else if (maildir_name_encode(names[i], enc, sizeof(enc)) < 0)
			continue;
		size_t need = strlen(enc) + 8;
		if (len + need >= cap) {
			cap = (cap + need) * 2;
			text = xrealloc(text, cap);
		}
		len += (size_t)snprintf(text + len, cap - len, "%s%s\n",
					maildir_name_is_inbox(names[i]) ?
					"" : "INBOX.", enc);
	}
	r = maildir_write_atomic(u->root, MAILDIR_SUBSCRIBED, text, len);
	free(text);
	return r;
}

static void
free_names(char **names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

int
maildir_subscribe(struct store_user *su, const char *name, bool on)
{
	struct maildir_user *u = (struct maildir_user *)su;
	size_t n, i;
	char **names;
	int r;

	if (!maildir_name_is_inbox(name) && (r = maildir_name_check(name)) < 0)
		return r;
	if (maildir_name_is_inbox(name))
		name = "INBOX";
	names = maildir_subscriptions_load(u, &n);
	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			break;
	if (on && i == n) {
		names = xrealloc(names, (n + 1) * sizeof(char *));
		names[n++] = xstrdup(name);
		r = save(u, names, n);
	} else if (!on && i < n) {
		free(names[i]);
		names[i] = names[--n];
		r = save(u, names, n);
	} else
		r = on ? 0 : -ERR_NOTFOUND;
	free_names(names, n);
	return r;
}

int
maildir_subscriptions_rename(struct maildir_user *u, const char *from,
			     const char *to)
{
	size_t n, flen = strlen(from);
	char **names = maildir_subscriptions_load(u, &n), buf[1100];
	bool changed = false;
	int r = 0;

	for (size_t i = 0; i < n; i++) {
		if (strncmp(names[i], from, flen) != 0 ||
		    (names[i][flen] != '\0' && names[i][flen] != '.'))
			continue;
		snprintf(buf, sizeof(buf), "%s%s", to, names[i] + flen);
		free(names[i]);
		names[i] = xstrdup(buf);
		changed = true;
	}
	if (changed)
		r = save(u, names, n);
	free_names(names, n);
	return r;
}
