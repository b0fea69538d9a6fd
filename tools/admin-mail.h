/* Maildock - SPDX-License-Identifier: MIT
 *
 * The maildock-admin commands that work on a user's mail and account
 * rather than on the running server's sessions: user, mailbox, quota,
 * fetch, expunge. Like doveadm's mail commands they act on the Maildir
 * directly, as the user the server would act as, under the locks the
 * server, Courier and Dovecot honour; a running server sees the changes as
 * it sees a delivery's (its sessions get EXISTS/EXPUNGE at their next
 * sync).
 */
#ifndef TOOLS_ADMIN_MAIL_H
#define TOOLS_ADMIN_MAIL_H

#include <stdbool.h>
#include "core/compat.h"

struct arena;
struct auth_user;
struct conf;
struct store_user;

/* exit codes an admin's script can test (maildock-admin(8)) */
enum admin_exit {
	ADMIN_EXIT_OK,		/* done */
	ADMIN_EXIT_REFUSED,	/* refused, failed, or nothing matched */
	ADMIN_EXIT_USAGE,	/* usage or configuration error */
	ADMIN_EXIT_NOSERVER,	/* no maildockd answers */
	ADMIN_EXIT_PERM,	/* permission denied */
};

/* What every command gets: the configuration maildockd -c reads, JSON
 * output or not, and how to print a table (tab-separated rows after a
 * header line of column names, modified in place). */
struct admin_mail {
	struct conf *conf;
	bool json;
	void (*print_table)(char *rows, bool json);
};

/* Each runs one command on args[0..n) (the user first) and returns an exit
 * code: 0 done, 1 the command failed or found nothing (said on stderr), 2
 * a usage or configuration error, 4 permission denied. Start-up context
 * only: they load the auth modules and may change the process's uid. */
/* One user's account (what the auth chain answered, in arena a) and open
 * Maildir. */
struct admin_account {
	struct arena *a;
	struct auth_user *au;
	const char *module;
	struct store_user *store;
};

/* admin_account_open: look user up, take the uid the server would use for
 * the Maildir (as the user in system-users mode, else server.user; only
 * when run as root), open it. Returns an exit code (errors said on
 * stderr); acc is to be closed whatever it returns.
 * admin_account_close: release acc, unload the auth modules; returns r. */
int admin_account_open(struct admin_mail *m, const char *user,
		       struct admin_account *acc);
int admin_account_close(struct admin_account *acc, int r);

/* admin_say: "maildock-admin: " and the message on stderr, a line. */
void admin_say(const char *fmt, ...) ATTR_PRINTF(1, 2);

int admin_user(struct admin_mail *m, char **args, unsigned n);
int admin_mailbox_list(struct admin_mail *m, char **args, unsigned n);
int admin_mailbox_status(struct admin_mail *m, char **args, unsigned n);
int admin_mailbox_create(struct admin_mail *m, char **args, unsigned n);
int admin_mailbox_delete(struct admin_mail *m, char **args, unsigned n);
int admin_quota_get(struct admin_mail *m, char **args, unsigned n);
int admin_quota_recalc(struct admin_mail *m, char **args, unsigned n);
/* fetch USER FOLDER QUERY...: the matching messages as an mbox (mboxrd
 * "From " quoting), or with -j an array of {uid, size, date, flags,
 * message}. expunge USER FOLDER QUERY...: remove them. QUERY is IMAP
 * SEARCH's (RFC 3501 6.4.4), one key or argument a word, "(" and ")"
 * around a list. */
int admin_fetch(struct admin_mail *m, char **args, unsigned n);
int admin_expunge(struct admin_mail *m, char **args, unsigned n);

#endif
