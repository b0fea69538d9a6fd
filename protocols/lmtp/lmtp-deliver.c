/* Maildock - SPDX-License-Identifier: MIT
 *
 * LMTP DATA: the message is read once into an unlinked spool file, then
 * delivered to each recipient's INBOX through storage exactly as APPEND
 * stores (UID under the folder's lock, quota, delivery-safe tmp -> cur),
 * with one reply per recipient (RFC 2033 4.2). In system-users mode each
 * recipient's work runs in a short thread of its own that takes that
 * user's credentials, since a thread that has taken them cannot go back.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core/arena.h"
#include "core/auth.h"
#include "core/auth-sysuser.h"
#include "core/conn.h"
#include "core/error.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/lmtp/lmtp.h"
#include "core/compat.h"

/* What one recipient's delivery needs and returns. */
struct delivery {
	struct lmtp_session *l;
	const struct lmtp_rcpt *rcpt;
	int spool_fd;			/* -1: only check the quota */
	uint64_t size;			/* octets in the spool */
	const char *prefix;		/* Return-Path, Delivered-To, Received */
	uint32_t uid;
	int result;
};

static int
open_store(struct delivery *d, struct store_user **u_r)
{
	const struct auth_user *au = d->rcpt->user;
	const char *err = "";
	int r = store_user_open(au->mail, au->quota, u_r, &err);

	if (r < 0) {
		char q[256];
		slog_error(d->l->s, "open failed user=%s error=\"%s\" detail=%s",
			   au->user, err_str(r),
			   log_quote_cstr(q, sizeof(q), err));
		return -ERR_TEMP;
	}
	return 0;
}

/* Over quota for a message of size octets? RFC 2033 lets the server say so
 * at RCPT, before the MTA sends the data. */
static int
check_quota(struct store_user *u, uint64_t size)
{
	uint64_t bytes, bytes_max, msgs, msgs_max;

	if (store_quota_get(u, &bytes, &bytes_max, &msgs, &msgs_max) < 0)
		return -ERR_TEMP;
	if (bytes_max > 0 && (bytes >= bytes_max || size > bytes_max - bytes))
		return -ERR_QUOTA;
	if (msgs_max > 0 && msgs >= msgs_max)
		return -ERR_QUOTA;
	return 0;
}

static int
copy_spool(struct delivery *d, struct store_append *a)
{
	char buf[65536];
	uint64_t off = 0;
	int r = store_append_write(a, d->prefix, strlen(d->prefix));

	while (r == 0 && off < d->size) {
		ssize_t n = pread(d->spool_fd, buf, sizeof(buf), (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -ERR_IO;
		r = store_append_write(a, buf, (size_t)n);
		off += (uint64_t)n;
	}
	return r;
}

static void
deliver(struct delivery *d)
{
	struct store_user *u = NULL;
	struct store_append *a = NULL;
	uint64_t total = d->size + strlen(d->prefix);
	bool kept = d->rcpt->store != NULL && *d->rcpt->store != NULL;

	d->result = kept ? 0 : open_store(d, &u);
	if (kept)
		u = *d->rcpt->store;
	if (d->result == 0)
		d->result = check_quota(u, d->spool_fd < 0 ?
					d->l->declared_size : total);
	if (d->result == 0 && d->spool_fd >= 0) {
		d->result = store_append_begin(u, "INBOX", 0, NULL, 0, 0, total,
					       &a);
		if (d->result == 0)
			d->result = copy_spool(d, a);
		if (d->result == 0)
			d->result = store_append_finish(&a, NULL, &d->uid);
		store_append_abort(&a);
	}
	if (!kept)
		store_user_close(&u);
}

static void *
deliver_as_user(void *arg)
{
	struct delivery *d = arg;
	const struct auth_user *au = d->rcpt->user;

	if (auth_sysuser_enter(au->user, au->uid, au->gid) < 0) {
		slog_error(d->l->s, "cannot become user=%s uid=%ld: %s",
			   au->user, (long)au->uid, strerror(errno));
		d->result = -ERR_TEMP;
		return NULL;
	}
	deliver(d);
	return NULL;
}

/* Run deliver(d) with the recipient's credentials: in this thread when the
 * process already runs as the mail owner, else in a thread of its own. */
static void
run_delivery(struct delivery *d)
{
	pthread_attr_t attr;
	pthread_t t;

	if (!auth_system_users(d->l->s->conf)) {
		deliver(d);
		return;
	}
	d->result = -ERR_TEMP;
	if (pthread_attr_init(&attr) != 0)
		return;
	pthread_attr_setstacksize(&attr,
				  session_thread_stack(d->l->s->set));
	if (pthread_create(&t, &attr, deliver_as_user, d) == 0)
		pthread_join(t, NULL);
	pthread_attr_destroy(&attr);
}

static void
close_store(void *ctx)
{
	store_user_close(ctx);
}

int
lmtp_rcpt_check(struct lmtp_session *l, struct lmtp_rcpt *rcpt)
{
	struct delivery d = { .l = l, .rcpt = rcpt, .spool_fd = -1,
			      .prefix = "" };

	rcpt->store = NULL;
	if (auth_system_users(l->s->conf)) {
		run_delivery(&d);
		return d.result;
	}
	/* the Maildir opened for the quota is the one DATA delivers into */
	rcpt->store = arena_zalloc(l->tx, sizeof(*rcpt->store));
	if (rcpt->store == NULL ||
	    arena_on_reset(l->tx, close_store, rcpt->store) < 0)
		return -ERR_TEMP;
	d.result = open_store(&d, rcpt->store);
	if (d.result == 0)
		d.result = check_quota(*rcpt->store, l->declared_size);
	return d.result;
}

static int
spool_open(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);

	if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
		char path[4096];
		snprintf(path, sizeof(path), "%s/maildock-lmtp.XXXXXX", dir);
		fd = mkostemp(path, O_CLOEXEC);
		if (fd >= 0)
			unlink(path);
	}
	return fd;
}

static int
write_all(int fd, const void *p, size_t n)
{
	const char *s = p;

	while (n > 0) {
		ssize_t w = write(fd, s, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return errno == ENOSPC || errno == EDQUOT ? -ERR_NOSPACE
								  : -ERR_IO;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Read the message up to the "." line into fd (CRLF line ends, dots
 * unstuffed, RFC 5321 4.5.2). *fail_r is the first reason the message
 * cannot be taken (too big, a line past the limit, the spool failing);
 * the data is still read to its end so the session stays in step.
 * Returns 0 or a conn error. */
static int
read_data(struct lmtp_session *l, int fd, uint64_t *size_r, int *fail_r)
{
	struct conn *c = l->s->conn;
	size_t max = l->set->max_message_size;
	struct sview line;

	*size_r = 0;
	for (;;) {
		int r = conn_read_line(c, l->s->set->max_line_length, &line);
		if (r == -ERR_LIMIT) {
			*fail_r = *fail_r ? *fail_r : -ERR_LIMIT;
			continue;
		}
		if (r < 0)
			return r;
		/* only CRLF "." CRLF ends the data, and a bare LF inside it
		 * refuses the message: an MTA never sends one, and reading it
		 * as a line end would let text in a message pass for the end
		 * of the data and the commands after it (SMTP smuggling) */
		if (!conn_line_crlf(c)) {
			*fail_r = *fail_r ? *fail_r : -ERR_SYNTAX;
			continue;
		}
		if (line.len == 1 && line.p[0] == '.')
			return 0;
		if (line.len > 0 && line.p[0] == '.') {
			line.p++;
			line.len--;
		}
		*size_r += line.len + 2;
		if (max > 0 && *size_r > max)
			*fail_r = *fail_r ? *fail_r : -ERR_QUOTA;
		if (*fail_r != 0)
			continue;
		r = write_all(fd, line.p, line.len);
		if (r == 0)
			r = write_all(fd, "\r\n", 2);
		if (r < 0)
			*fail_r = r;
	}
}

/* The trace fields every recipient's copy starts with (RFC 5321 4.4). */
static const char *
trace_prefix(struct lmtp_session *l, const struct lmtp_rcpt *rcpt)
{
	char host[256], date[64];
	struct tm tm;
	time_t now = time(NULL);

	localtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S %z", &tm);
	return arena_printf(l->tx,
			    "Return-Path: <%s>\r\nDelivered-To: <%s>\r\n"
			    "Received: from %s ([%s])\r\n\tby %s (Maildock) "
			    "with LMTP id %s\r\n\tfor <%s>; %s\r\n",
			    l->mail_from, rcpt->address, l->helo,
			    l->s->remote_ip, lmtp_hostname(l, host, sizeof(host)),
			    l->s->id, rcpt->address, date);
}

static int
reply_one(struct lmtp_session *l, const struct delivery *d)
{
	const char *addr = d->rcpt->address;
	bool perm = strcmp(l->set->quota_full, "permanent") == 0;
	char q[LMTP_PATH_MAX * 4 + 8];

	if (d->result == 0)
		slog_info(l->s, "saved user=%s to=%s size=%llu uid=%u",
			  d->rcpt->user->user, log_quote_cstr(q, sizeof(q), addr),
			  (unsigned long long)d->size, d->uid);
	else
		slog_info(l->s, "failed user=%s to=%s size=%llu error=\"%s\"",
			  d->rcpt->user->user, log_quote_cstr(q, sizeof(q), addr),
			  (unsigned long long)d->size, err_str(d->result));
	switch (d->result) {
	case 0:
		return lmtp_reply(l, "250 2.0.0 <%s> Saved as UID %u", addr,
				  d->uid);
	case -ERR_QUOTA:
		return lmtp_reply(l, perm ? "552 5.2.2 <%s> Mailbox is full" :
				  "452 4.2.2 <%s> Mailbox is full", addr);
	case -ERR_NOSPACE:
		return lmtp_reply(l, "452 4.3.1 <%s> Insufficient system "
				  "storage", addr);
	default:
		return lmtp_reply(l, "451 4.3.0 <%s> Temporary failure", addr);
	}
}

int
lmtp_data(struct lmtp_session *l)
{
	int fd = spool_open(l->set->temp_dir);
	int fail = fd < 0 ? -ERR_IO : 0;
	uint64_t size = 0;
	int r;

	if (fd < 0)
		slog_error(l->s, "spool in %s: %s", l->set->temp_dir,
			   strerror(errno));
	r = lmtp_reply(l, "354 Start mail input; end with <CRLF>.<CRLF>");
	if (r == 0)
		r = conn_flush(l->s->conn);
	if (r == 0)
		r = read_data(l, fd, &size, &fail);
	for (unsigned i = 0; r == 0 && i < l->nrcpts; i++) {
		struct delivery d = {
			.l = l, .rcpt = &l->rcpts[i], .spool_fd = fd,
			.size = size, .result = fail,
		};
		if (fail == -ERR_QUOTA) {
			r = lmtp_reply(l, "552 5.3.4 <%s> Message too big",
				       d.rcpt->address);
			continue;
		}
		if (fail == -ERR_LIMIT || fail == -ERR_SYNTAX) {
			r = lmtp_reply(l, "554 5.6.0 <%s> %s", d.rcpt->address,
				       fail == -ERR_LIMIT ? "Line too long" :
				       "Bare LF in the message");
			continue;
		}
		if (fail == 0) {
			d.prefix = trace_prefix(l, d.rcpt);
			if (d.prefix != NULL)
				run_delivery(&d);
			else
				d.result = -ERR_TEMP;
		}
		r = reply_one(l, &d);
	}
	if (fd >= 0)
		close(fd);
	return r;
}
