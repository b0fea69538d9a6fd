/* Maildock - SPDX-License-Identifier: MIT
 *
 * maildock-admin's account and mail commands: the auth chain answers who
 * the user is and where the Maildir lives (as for maildock-auth lookup),
 * the process then takes the uid the server would use for that Maildir,
 * and storage does the rest through the same store_* calls as a session.
 */
#include <grp.h>
#include <stdarg.h>
#include <pwd.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/auth-chain.h"
#include "core/conf.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "core/session.h"
#include "storage/store.h"
#include "tools/admin-mail.h"

#define ADMIN_ARENA (256u << 20)
#define ROWS_MAX (16u << 20)


void
admin_say(const char *fmt, ...)
{
	va_list ap;

	fputs("maildock-admin: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* The user as the auth chain answers a lookup without a password. */
static int
lookup(struct admin_mail *m, const char *name, struct admin_account *acc)
{
	char *error = NULL, norm[AUTH_USER_MAX + 1];
	const char *err = NULL;

	if (auth_init(m->conf, &error) < 0) {
		admin_say("%s", error);
		free(error);
		return ADMIN_EXIT_USAGE;
	}
	struct auth_chain *c = auth_chain_current();
	struct authmod_user *mu = arena_zalloc(acc->a, sizeof(*mu));
	int r = ADMIN_EXIT_REFUSED;
	if (auth_user_normalize(c->set, name, norm, sizeof(norm)) < 0) {
		admin_say("\"%s\" is not a valid user name", name);
		r = ADMIN_EXIT_USAGE;
	} else if (mu == NULL) {
		admin_say("out of memory");
	} else {
		int ar = auth_chain_lookup(c, norm, mu, &acc->module);
		if (mu->user == NULL)
			mu->user = arena_strdup(acc->a, norm);
		if (ar == AUTHMOD_NOUSER || ar == AUTHMOD_DISABLED)
			admin_say("no such user: %s", norm);
		else if (ar != AUTHMOD_OK)
			admin_say("%s: the auth backend failed (%s)", norm,
			    ar == AUTHMOD_TEMPFAIL ? "temporary failure" :
						     "internal error");
		else if (auth_user_from_module(acc->a, c->set, mu, &acc->au,
					       &err) < 0)
			admin_say("%s: %s", norm, err != NULL ? err : "out of memory");
		else
			r = ADMIN_EXIT_OK;
	}
	auth_chain_unref(&c);
	return r;
}

/* Act as the server would on this Maildir: as the user in system-users
 * mode, else as server.user (and server.group); a caller that is not root
 * acts as itself. */
static int
become(struct admin_mail *m, const struct auth_user *au)
{
	const struct core_settings *set = session_core_settings(m->conf);
	char buf[4096];
	struct passwd pw, *pwp = NULL;
	struct group gr, *grp = NULL;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;

	if (geteuid() != 0)
		return ADMIN_EXIT_OK;
	if (auth_system_users(m->conf)) {
		uid = au->uid;
		gid = au->gid;
	} else if (set->server_user[0] != '\0') {
		if (getpwnam_r(set->server_user, &pw, buf, sizeof(buf),
			       &pwp) != 0 || pwp == NULL) {
			admin_say("server.user %s: no such user",
				  set->server_user);
			return ADMIN_EXIT_USAGE;
		}
		uid = pw.pw_uid;
		gid = pw.pw_gid;
		if (set->server_group[0] != '\0' &&
		    getgrnam_r(set->server_group, &gr, buf, sizeof(buf),
			       &grp) == 0 && grp != NULL)
			gid = gr.gr_gid;
	}
	if (uid == (uid_t)-1)
		return ADMIN_EXIT_OK;	/* the server, too, stays as started */
	if (gid == (gid_t)-1 || setgroups(0, NULL) < 0 || setgid(gid) < 0 ||
	    setuid(uid) < 0) {
		admin_say("%s: cannot take the mail uid/gid", au->user);
		return ADMIN_EXIT_PERM;
	}
	return ADMIN_EXIT_OK;
}

int
admin_account_open(struct admin_mail *m, const char *name, struct admin_account *acc)
{
	const char *err = "";
	int r;

	memset(acc, 0, sizeof(*acc));
	acc->a = arena_new(ADMIN_ARENA);
	if ((r = lookup(m, name, acc)) != ADMIN_EXIT_OK ||
	    (r = become(m, acc->au)) != ADMIN_EXIT_OK)
		return r;
	if (store_user_open(acc->au->mail, acc->au->quota, &acc->store,
			    &err) < 0) {
		admin_say("%s: cannot open the Maildir: %s", acc->au->user, err);
		return ADMIN_EXIT_REFUSED;
	}
	return ADMIN_EXIT_OK;
}

int
admin_account_close(struct admin_account *acc, int r)
{
	store_user_close(&acc->store);
	arena_free(&acc->a);
	auth_deinit();
	return r;
}

/* names come from disk or the auth backend: no tab or newline may split
 * a row */
static void
field(struct sbuf *b, const char *s, char end)
{
	for (; *s != '\0'; s++)
		sbuf_appendc(b, (unsigned char)*s < 0x20 || *s == 0x7f ? '?'
								      : *s);
	sbuf_appendc(b, end);
}

static int
table(struct admin_mail *m, struct sbuf *rows, int r)
{
	if (sbuf_failed(rows)) {
		admin_say("output too large");
		r = ADMIN_EXIT_REFUSED;
	} else if (r == ADMIN_EXIT_OK) {
		m->print_table(rows->data, m->json);
	}
	sbuf_free(rows);
	return r;
}

int
admin_user(struct admin_mail *m, char **args, unsigned n)
{
	struct admin_account acc = { arena_new(ADMIN_ARENA), NULL, NULL, NULL };
	struct sbuf rows;
	int r;

	(void)n;
	sbuf_init(&rows, NULL, ROWS_MAX);
	sbuf_appends(&rows, "user\tmodule\tuid\tgid\thome\tmail\tquota\t"
		     "proxy_host\n");
	if ((r = lookup(m, args[0], &acc)) == ADMIN_EXIT_OK) {
		const struct auth_user *u = acc.au;
		field(&rows, u->user, '\t');
		field(&rows, acc.module != NULL ? acc.module : "", '\t');
		sbuf_appendf(&rows, "%ld\t%ld\t",
			     u->uid == (uid_t)-1 ? -1L : (long)u->uid,
			     u->gid == (gid_t)-1 ? -1L : (long)u->gid);
		field(&rows, u->home, '\t');
		field(&rows, u->mail, '\t');
		field(&rows, u->quota, '\t');
		field(&rows, u->proxy_host, '\n');
	}
	return admin_account_close(&acc, table(m, &rows, r));
}

static const char *
attributes(unsigned attrs, char *buf, size_t size)
{
	snprintf(buf, size, "%s%s%s",
		 attrs & STORE_ATTR_NOSELECT ? "\\Noselect " : "",
		 attrs & STORE_ATTR_HASCHILDREN ? "\\HasChildren" : "",
		 attrs & STORE_ATTR_HASNOCHILDREN ? "\\HasNoChildren" : "");
	return buf;
}

static int
list_one(void *ctx, const char *name, unsigned attrs)
{
	char buf[64];
	field(ctx, name, '\t');
	field(ctx, attributes(attrs, buf, sizeof(buf)), '\n');
	return 0;
}

int
admin_mailbox_list(struct admin_mail *m, char **args, unsigned n)
{
	struct admin_account acc;
	struct sbuf rows;
	int r = admin_account_open(m, args[0], &acc);

	(void)n;
	sbuf_init(&rows, NULL, ROWS_MAX);
	sbuf_appends(&rows, "mailbox\tattributes\n");
	if (r == ADMIN_EXIT_OK &&
	    store_folder_list(acc.store, false, list_one, &rows) < 0) {
		admin_say("%s: cannot list: %s", args[0],
		    store_user_error(acc.store));
		r = ADMIN_EXIT_REFUSED;
	}
	return admin_account_close(&acc, table(m, &rows, r));
}

static int
status_one(struct admin_account *acc, const char *name, struct sbuf *rows)
{
	struct store_status st;
	int r = store_folder_status(acc->store, name, &st);

	if (r < 0) {
		admin_say("%s: %s", name, r == -ERR_NOTFOUND ? "no such mailbox" :
			      err_str(r));
		return ADMIN_EXIT_REFUSED;
	}
	field(rows, name, '\t');
	sbuf_appendf(rows, "%u\t%u\t%u\t%u\t%u\t%llu\n", st.messages,
		     st.recent, st.unseen, st.uidnext, st.uidvalidity,
		     (unsigned long long)st.highestmodseq);
	return ADMIN_EXIT_OK;
}

/* the selectable folders, for "mailbox status USER" without names */
static int
collect(void *ctx, const char *name, unsigned attrs)
{
	if (!(attrs & STORE_ATTR_NOSELECT)) {
		sbuf_appends(ctx, name);
		sbuf_appendc(ctx, '\0');
	}
	return 0;
}

int
admin_mailbox_status(struct admin_mail *m, char **args, unsigned n)
{
	struct admin_account acc;
	struct sbuf rows, names;
	int r = admin_account_open(m, args[0], &acc);

	sbuf_init(&rows, NULL, ROWS_MAX);
	sbuf_init(&names, NULL, ROWS_MAX);
	sbuf_appends(&rows, "mailbox\tmessages\trecent\tunseen\tuidnext\t"
		     "uidvalidity\thighestmodseq\n");
	if (r == ADMIN_EXIT_OK && n == 1 &&
	    store_folder_list(acc.store, false, collect, &names) < 0)
		r = ADMIN_EXIT_REFUSED;
	for (unsigned i = 1; r == ADMIN_EXIT_OK && i < n; i++)
		r = status_one(&acc, args[i], &rows);
	for (size_t off = 0; r == ADMIN_EXIT_OK && n == 1 && off < names.len;
	     off += strlen(names.data + off) + 1)
		r = status_one(&acc, names.data + off, &rows);
	sbuf_free(&names);
	return admin_account_close(&acc, table(m, &rows, r));
}

static int
change_folders(struct admin_mail *m, char **args, unsigned n, bool create)
{
	struct admin_account acc;
	int r = admin_account_open(m, args[0], &acc);

	for (unsigned i = 1; r == ADMIN_EXIT_OK && i < n; i++) {
		int e = create ? store_folder_create(acc.store, args[i])
			       : store_folder_delete(acc.store, args[i]);
		if (e < 0) {
			admin_say("%s: %s", args[i],
			    e == -ERR_EXISTS ? "already exists" :
			    e == -ERR_NOTFOUND ? "no such mailbox" :
			    e == -ERR_PERM ? "not allowed (INBOX)" :
			    e == -ERR_INVAL ? "not a valid mailbox name" :
					      store_user_error(acc.store));
			r = ADMIN_EXIT_REFUSED;
		}
	}
	if (r == ADMIN_EXIT_OK && m->json)
		puts("{\"ok\":true}");
	return admin_account_close(&acc, r);
}

int
admin_mailbox_create(struct admin_mail *m, char **args, unsigned n)
{
	return change_folders(m, args, n, true);
}

int
admin_mailbox_delete(struct admin_mail *m, char **args, unsigned n)
{
	return change_folders(m, args, n, false);
}

static int
quota_show(struct admin_mail *m, char **args, bool recalc)
{
	struct admin_account acc;
	struct sbuf rows;
	uint64_t bu = 0, bl = 0, mu = 0, ml = 0;
	int r = admin_account_open(m, args[0], &acc);

	sbuf_init(&rows, NULL, ROWS_MAX);
	sbuf_appends(&rows, "type\tvalue\tlimit\tpercent\n");
	if (r == ADMIN_EXIT_OK &&
	    ((recalc && store_quota_recalc(acc.store) < 0) ||
	     store_quota_get(acc.store, &bu, &bl, &mu, &ml) < 0)) {
		admin_say("%s: cannot read the quota: %s", args[0],
		    store_user_error(acc.store));
		r = ADMIN_EXIT_REFUSED;
	}
	/* bytes and messages; a limit of 0 is none (Maildir++) */
	sbuf_appendf(&rows, "STORAGE\t%llu\t%llu\t%llu\n",
		     (unsigned long long)bu, (unsigned long long)bl,
		     (unsigned long long)(bl ? bu * 100 / bl : 0));
	sbuf_appendf(&rows, "MESSAGE\t%llu\t%llu\t%llu\n",
		     (unsigned long long)mu, (unsigned long long)ml,
		     (unsigned long long)(ml ? mu * 100 / ml : 0));
	return admin_account_close(&acc, table(m, &rows, r));
}

int
admin_quota_get(struct admin_mail *m, char **args, unsigned n)
{
	(void)n;
	return quota_show(m, args, false);
}

int
admin_quota_recalc(struct admin_mail *m, char **args, unsigned n)
{
	(void)n;
	return quota_show(m, args, true);
}
