/* Maildock - SPDX-License-Identifier: MIT
 *
 * The maildrop of a POP3 session: after login, the user's INBOX is opened,
 * POP3-locked (RFC 1939 sec. 8) and snapshotted (count, CRLF sizes); QUIT
 * commits the DELE marks by expunging exactly those messages by UID.
 */
#include "core/arena.h"
#include "core/auth.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/mailerr.h"
#include "protocols/pop3/pop3.h"
#include "core/compat.h"

int
pop3_login_failed(struct pop3_session *p, int r, const char *mech)
{
	switch (r) {
	case -ERR_TEMP:
		return pop3_reply_err(p, "[SYS/TEMP] Authentication is "
				      "temporarily unavailable.");
	case -ERR_LIMIT:
		return pop3_reply_err(p, "[LOGIN-DELAY] Too many failed "
				      "logins, try again later.");
	default:
		return pop3_reply_err(p, "[AUTH] Authentication failed.");
	}
}

/* Map a storage error at login to a response code (RFC 3206). */
static int
store_failed(struct pop3_session *p, int r, const char *user,
	     const char *what, const char *detail)
{
	char q[256], qu[256];
	const char *code;

	/* another session holding the maildrop is routine, not an error */
	slog_write(p->s, r == -ERR_BUSY ? LOG_LEVEL_INFO : LOG_LEVEL_ERROR,
		   "maildrop failed user=%s step=%s error=\"%s\" detail=%s",
		   log_quote_cstr(qu, sizeof(qu), user), what, err_str(r),
		   log_quote_cstr(q, sizeof(q), detail));
	pop3_maildrop_close(p);
	/* the code is the table's (protocols/mailerr.c), the words ours */
	code = mailerr_get(r)->pop3_code;
	if (strcmp(code, "IN-USE") == 0)
		return pop3_reply_err(p, "[IN-USE] Mailbox is locked by "
				      "another POP3 session.");
	if (strcmp(code, "SYS/PERM") == 0)
		return pop3_reply_err(p, "[SYS/PERM] Cannot open the mailbox.");
	return pop3_reply_err(p, "[SYS/TEMP] Cannot open the mailbox, "
			      "try again later.");
}

static int
snapshot(struct pop3_session *p)
{
	uint32_t n = store_mailbox_count(p->box);
	size_t bytes;

	if (!size_mul_r(n, sizeof(*p->msgs), &bytes))
		return -ERR_LIMIT;
	p->msgs = arena_zalloc(p->s->arena, bytes ? bytes : 1);
	if (p->msgs == NULL)
		return -ERR_LIMIT;
	p->total = 0;
	for (uint32_t i = 0; i < n; i++) {
		int r = store_msg_size(p->box, i + 1, &p->msgs[i].size);
		if (r == -ERR_NOTFOUND) {
			/* expunged meanwhile: shown, but RETR will say so */
			p->msgs[i].size = 0;
		} else if (r < 0) {
			return r;
		}
		p->total += p->msgs[i].size;
	}
	p->count = n;
	return 0;
}

int
pop3_login_finish(struct pop3_session *p, struct auth_user *u,
		  const char *mech)
{
	struct session *s = p->s;
	const char *err = "";
	int r;

	r = store_user_open(u->mail, u->quota, &p->store, &err);
	if (r < 0)
		return store_failed(p, r, u->user, "open", err);
	r = store_mailbox_open(p->store, "INBOX", false, &p->box);
	if (r < 0)
		return store_failed(p, r, u->user, "open_inbox",
				    store_user_error(p->store));
	r = store_pop3_lock(p->box);
	if (r < 0)
		return store_failed(p, r, u->user, "lock",
				    store_user_error(p->store));
	r = snapshot(p);
	if (r < 0)
		return store_failed(p, r, u->user, "scan",
				    store_user_error(p->store));
	/* the session is logged in (idle timeout, user= in logs) only once
	 * the maildrop is ours */
	session_logged_in(s, u->user);
	p->state = POP3_STATE_TRANSACTION;
	slog_info(s, "login mech=%s tls=%d messages=%u octets=%llu", mech,
		  conn_is_tls(s->conn), p->count,
		  (unsigned long long)p->total);
	return conn_writes(s->conn, "+OK logged in.\r\n");
}

int
pop3_maildrop_commit(struct pop3_session *p)
{
	struct store_uid_range *ranges;
	size_t n = 0;
	int r = 0;

	if (p->ndeleted == 0)
		return 0;
	ranges = arena_alloc(p->s->arena, p->ndeleted * sizeof(*ranges));
	if (ranges == NULL)
		return -ERR_LIMIT;
	for (uint32_t i = 0; i < p->count; i++) {
		const struct store_msg *m;
		if (!p->msgs[i].deleted)
			continue;
		m = store_msg_get(p->box, i + 1);
		if (m == NULL)
			continue;
		uint32_t uid = m->uid;
		int fr = store_msg_set_flags(p->box, i + 1, STORE_FLAGS_ADD,
					     STORE_FLAG_DELETED, NULL, 0);
		if (fr < 0) {
			r = fr;
			continue;
		}
		ranges[n++] = (struct store_uid_range){ uid, uid };
	}
	if (n > 0) {
		int er = store_mailbox_expunge(p->box, ranges, n, NULL, NULL);
		if (er < 0)
			r = er;
	}
	if (r < 0) {
		char q[256];
		slog_error(p->s, "expunge failed error=\"%s\" detail=%s",
			   err_str(r), log_quote_cstr(q, sizeof(q),
						     store_user_error(p->store)));
	}
	return r;
}
