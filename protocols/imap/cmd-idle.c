/* Maildock - SPDX-License-Identifier: MIT
 *
 * IDLE (RFC 2177): an untagged "+ idling" continuation, then changes of
 * the selected mailbox pushed as they happen (the view's notify fd wakes
 * the thread blocked in poll; no busy loop), until the client sends DONE.
 */
#include <strings.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>
#include "core/conn.h"
#include "core/error.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

#define IDLE_POLL_MS 5000	/* without a notify fd (NFS) */
#define IDLE_NOTIFY_MS 60000	/* with one: a safety re-check */
#define RFC3501_MIN_AUTOLOGOUT 1800

static time_t
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static void
wake(void *ctx)
{
	uint64_t one = 1;

	if (write(*(int *)ctx, &one, sizeof(one)) < 0) {
		/* full: the IDLE thread is woken already */
	}
}

static void
drain(int fd)
{
	uint64_t n;

	if (fd >= 0 && read(fd, &n, sizeof(n)) < 0) {
		/* nothing pending */
	}
}

int
imap_cmd_idle(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	unsigned limit = sess->s->set->idle_timeout;
	time_t start = now();
	struct sview line;
	int fd = -1, r, kernel = 0;

	if (limit != 0 && limit < RFC3501_MIN_AUTOLOGOUT)
		limit = RFC3501_MIN_AUTOLOGOUT;
	/* B34: untagged, "+" then a space and text */
	if ((r = imap_reply_continue(sess, "idling")) < 0)
		return r;
	if (sess->box != NULL &&
	    (fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) >= 0)
		kernel = store_mailbox_watch(sess->box, wake, &fd);
	for (;;) {
		drain(fd);
		if ((r = imap_sync_mailbox(sess)) < 0 && r != -ERR_IO &&
		    r != -ERR_TIMEOUT)
			break;
		if ((r = imap_reply_flush(sess)) < 0)
			break;
		if (conn_buffered(sess->conn) > 0)
			r = 1;
		else
			r = conn_wait(sess->conn, fd, kernel ? IDLE_NOTIFY_MS
							     : IDLE_POLL_MS);
		if (r < 0 || r == 1)
			break;
		if (limit != 0 && now() - start > (time_t)limit) {
			r = -ERR_TIMEOUT;
			break;
		}
	}
	if (sess->box != NULL)
		store_mailbox_unwatch(sess->box);
	if (fd >= 0)
		close(fd);
	if (r < 0)
		return r;
	r = imap_session_read_line(sess, 1024, &line);
	if (r == -ERR_LIMIT)
		return imap_reply_tagged(cmd, "BAD", "Expected DONE");
	if (r < 0)
		return r;
	if (line.len != 4 || strncasecmp(line.p, "DONE", 4) != 0)
		return imap_reply_tagged(cmd, "BAD", "Expected DONE");
	return imap_reply_tagged(cmd, "OK", "IDLE terminated");
}
