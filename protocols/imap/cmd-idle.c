/* Maildock - SPDX-License-Identifier: MIT
 *
 * IDLE (RFC 2177): an untagged "+ idling" continuation, then changes of
 * the selected mailbox pushed as they happen, until the client sends DONE.
 * While it waits the session is parked (core/park.h): no thread of its
 * own; the folder's watch, the client's bytes or a timeout resume it.
 */
#include <strings.h>
#include <time.h>
#include "core/conn.h"
#include "core/error.h"
#include "core/park.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

#define IDLE_POLL_MS 5000	/* without other programs' changes (NFS) */
#define IDLE_NOTIFY_MS 60000	/* with them: a safety re-check */
#define RFC3501_MIN_AUTOLOGOUT 1800

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* on_change: the store's watch callback (any thread, storage locks held):
 * only hand the wake-up to the core */
static void
on_change(void *ctx)
{
	park_wake(ctx);
}

/* finish: IDLE is over: stop watching, pass r on */
static int
finish(struct imap_session *sess, int r)
{
	if (sess->box != NULL)
		store_mailbox_unwatch(sess->box);
	return r;
}

/* done: the client's line after "+ idling" ends IDLE: DONE, else BAD */
static int
done(struct imap_session *sess)
{
	struct imap_cmd *cmd = &sess->idle.cmd;
	struct sview line;
	int r;

	finish(sess, 0);
	r = imap_session_read_line(sess, 1024, &line);
	if (r == -ERR_LIMIT)
		return imap_command_done(cmd, "BAD", "Expected DONE");
	if (r < 0)
		return r;
	if (line.len != 4 || strncasecmp(line.p, "DONE", 4) != 0)
		return imap_command_done(cmd, "BAD", "Expected DONE");
	return imap_command_done(cmd, "OK", "IDLE terminated");
}

/* step: report what changed, then read DONE if the client sent input,
 * else park until something happens. The watch was set before the first
 * sync, and a change after a sync makes the park resume at once, so no
 * change between the two is lost. */
static int
step(struct imap_session *sess)
{
	struct imap_idle *idle = &sess->idle;
	long long left = -1, wait = idle->kernel ? IDLE_NOTIFY_MS
						  : IDLE_POLL_MS;
	int r;

	r = imap_sync_mailbox(sess);
	if (r == -ERR_NOTFOUND) {	/* the selected mailbox is gone */
		imap_sync_gone(sess);
		return finish(sess, r);
	}
	if (r < 0 && r != -ERR_IO && r != -ERR_TIMEOUT) {
		finish(sess, 0);
		return imap_command_error(&idle->cmd, r);
	}
	if ((r = imap_reply_flush(sess)) < 0)
		return finish(sess, r);
	if (conn_input_pending(sess->conn))
		return done(sess);
	if (idle->limit_s != 0) {
		left = idle->start_ms + idle->limit_s * 1000LL - now_ms();
		if (left < 0)
			return finish(sess, -ERR_TIMEOUT);
		if (left < wait)
			wait = left + 1;
	}
	park_request(sess->s, (unsigned)wait);
	return IMAP_CMD_PARKED;
}

int
imap_cmd_idle(struct imap_cmd *cmd)
{
	struct imap_session *sess = cmd->sess;
	struct imap_idle *idle = &sess->idle;
	int r;

	idle->cmd = *cmd;
	idle->start_ms = now_ms();
	idle->limit_s = sess->s->set->idle_timeout;
	if (idle->limit_s != 0 && idle->limit_s < RFC3501_MIN_AUTOLOGOUT)
		idle->limit_s = RFC3501_MIN_AUTOLOGOUT;
	idle->kernel = sess->box != NULL &&
		       store_mailbox_watch(sess->box, on_change, sess->s) > 0;
	/* a continuation: "+", a space and text (RFC 3501 7.5) */
	if ((r = imap_reply_continue(sess, "idling")) < 0)
		return finish(sess, r);
	r = step(sess);
	/* ended without parking: the dispatcher answers for the copy */
	if (r == IMAP_CMD_DONE)
		cmd->result = idle->cmd.result;
	return r;
}

int
imap_idle_resume(struct imap_session *sess, int why)
{
	int r;

	switch (why) {
	case PARK_WAKE_SHUTDOWN:
		return finish(sess, -ERR_SHUTDOWN);
	case PARK_WAKE_INPUT:
		/* DONE, the next command, a close, or only a TLS message */
		if ((r = conn_read_ready(sess->conn)) < 0)
			return finish(sess, r);
		if (r > 0)
			return done(sess);
		break;
	default:
		break;
	}
	return step(sess);
}
