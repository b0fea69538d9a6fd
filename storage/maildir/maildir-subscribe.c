/* Maildock - SPDX-License-Identifier: MIT
 *
 * Subscriptions in Courier-IMAP's file "courierimapsubscribed": one name per
 * line in Courier's namespace ("INBOX" or "INBOX.<name>", the name spelled
 * as folder directories are: modified UTF-7, or UTF-8 like Courier-IMAP 5),
 * rewritten atomically. Lines without the "INBOX." prefix (other tools) are
 * read as plain names. Dovecot's "subscriptions" (version 2: a "V\t2" line,
 * a blank line, then one name a line with the hierarchy as tabs, no
 * namespace prefix) is kept beside it when Dovecot's files are kept; the
 * newer of the two is read, so a change made by either server wins.
 */
#include <errno.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-tree.h"
#include "core/error.h"
#include "core/compat.h"

#define DOVECOT_SUBS_HEAD "V\t2\n\n"

/* dovecot_kept: Dovecot's subscriptions file is kept for u's Maildir. */
static bool
dovecot_kept(struct maildir_user *u)
{
	char path[MAILDIR_PATH_MAX];
	unsigned set = maildir_settings.compat;

	if ((set & MAILDIR_COMPAT_AUTO) == 0)
		return (set & MAILDIR_COMPAT_DOVECOT) != 0;
	return (maildir_path(path, sizeof(path), u->root,
			     MAILDIR_DOVECOT_SUBSCRIBED, NULL) == 0 &&
		access(path, F_OK) == 0) ||
	       (maildir_path(path, sizeof(path), u->root,
			     MAILDIR_DOVECOT_UIDLIST, NULL) == 0 &&
		access(path, F_OK) == 0);
}

/* newer_file: which of Courier's (false) and Dovecot's (true) files to
 * read: the one changed last; Courier's when only it exists. */
static bool
dovecot_newer(struct maildir_user *u)
{
	char path[MAILDIR_PATH_MAX];
	struct maildir_stamp c, d;

	maildir_path(path, sizeof(path), u->root, MAILDIR_SUBSCRIBED, NULL);
	maildir_stamp_get(path, &c);
	maildir_path(path, sizeof(path), u->root, MAILDIR_DOVECOT_SUBSCRIBED,
		     NULL);
	maildir_stamp_get(path, &d);
	if (d.ino == 0)
		return false;
	return c.ino == 0 || d.mtime.tv_sec > c.mtime.tv_sec ||
	       (d.mtime.tv_sec == c.mtime.tv_sec &&
		d.mtime.tv_nsec > c.mtime.tv_nsec);
}

char **
maildir_subscriptions_load(struct maildir_user *u, size_t *n_r)
{
	char path[MAILDIR_PATH_MAX], *data, *line, *save = NULL;
	char name[STORE_NAME_MAXLEN + 1];
	char **names = NULL;
	size_t len, n = 0;
	bool dovecot = dovecot_newer(u);

	*n_r = 0;
	maildir_path(path, sizeof(path), u->root, dovecot ?
		     MAILDIR_DOVECOT_SUBSCRIBED : MAILDIR_SUBSCRIBED, NULL);
	if (maildir_read_file(path, &data, &len, 4 * 1024 * 1024) < 0)
		return NULL;
	line = data;
	if (dovecot && strncmp(data, DOVECOT_SUBS_HEAD, 5) == 0)
		line = data + 5;
	for (line = strtok_r(line, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save)) {
		const char *p = line;
		if (dovecot)	/* its hierarchy separator is a tab */
			for (char *t = line; (t = strchr(t, '\t')) != NULL;)
				*t = '.';
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

/* render: names in Courier's layout, or Dovecot's (dovecot). */
static char *
render(char **names, size_t n, bool dovecot, size_t *len_r)
{
	size_t cap = 64, len = 0;
	char *text = xmalloc(cap), enc[STORE_NAME_MAXLEN * 4];

	if (dovecot)
		len = (size_t)snprintf(text, cap, "%s", DOVECOT_SUBS_HEAD);
	for (size_t i = 0; i < n; i++) {
		bool inbox = maildir_name_is_inbox(names[i]);
		if (inbox)
			str_copy(enc, "INBOX", sizeof(enc));
		else if (maildir_name_encode(names[i], enc, sizeof(enc)) < 0)
			continue;
		if (dovecot)
			for (char *t = enc; (t = strchr(t, '.')) != NULL;)
				*t = '\t';
		size_t need = strlen(enc) + 8;
		if (len + need >= cap) {
			cap = (cap + need) * 2;
			text = xrealloc(text, cap);
		}
		len += (size_t)snprintf(text + len, cap - len, "%s%s\n",
					inbox || dovecot ? "" : "INBOX.", enc);
	}
	*len_r = len;
	return text;
}

/* unique: drop repeated names from names[0..*n) (freed), keeping the
 * first of each. A RENAME onto a name already subscribed (RFC 3501 6.3.8
 * lets one subscribe to a name that does not exist) made two lines of it,
 * and UNSUBSCRIBE removed one: LSUB went on listing the name (model
 * seeds 2003, 2039, 2040). */
static void
unique(char **names, size_t *n)
{
	size_t k = 0;

	for (size_t i = 0; i < *n; i++) {
		bool seen = false;
		for (size_t j = 0; j < k && !seen; j++)
			seen = strcmp(names[j], names[i]) == 0;
		if (seen)
			free(names[i]);
		else
			names[k++] = names[i];
	}
	*n = k;
}

/* save: write names (made unique first; *n updated) to Courier's file,
 * and Dovecot's when kept. */
static int
save(struct maildir_user *u, char **names, size_t *n_io)
{
	char path[MAILDIR_PATH_MAX], *text;
	size_t len, n;
	int r;

	unique(names, n_io);
	n = *n_io;
	text = render(names, n, false, &len);
	r = maildir_write_atomic(u->root, MAILDIR_SUBSCRIBED, text, len);
	free(text);
	if (r < 0 || !dovecot_kept(u))
		return r;
	/* under Dovecot's dotlock of the file, as its subsfile code takes */
	if ((r = maildir_path(path, sizeof(path), u->root,
			      MAILDIR_DOVECOT_SUBSCRIBED ".lock", NULL)) < 0 ||
	    (r = maildir_dotlock_take(path, maildir_settings.lock_timeout,
				      maildir_settings.lock_stale)) < 0)
		return r;
	text = render(names, n, true, &len);
	r = maildir_write_atomic(u->root, MAILDIR_DOVECOT_SUBSCRIBED, text,
				 len);
	free(text);
	maildir_lockfile_release(path);
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
		r = save(u, names, &n);
	} else if (!on && i < n) {
		/* every line of it (a file another tool wrote may repeat) */
		for (size_t k = n; k-- > i;)
			if (strcmp(names[k], name) == 0) {
				free(names[k]);
				names[k] = names[--n];
			}
		r = save(u, names, &n);
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
		r = save(u, names, &n);
	free_names(names, n);
	return r;
}
