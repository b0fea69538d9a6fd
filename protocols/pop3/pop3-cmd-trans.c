/* Maildock - SPDX-License-Identifier: MIT
 *
 * The TRANSACTION state (RFC 1939 sec. 5, 7): STAT, LIST, UIDL, DELE,
 * RSET, NOOP, QUIT and RETR/TOP over the snapshot taken at login. RETR and
 * TOP stream the file through pop3_dotstuff in fixed-size buffers.
 */
#include <errno.h>
#include <unistd.h>
#include "core/conn.h"
#include "core/error.h"
#include "core/session.h"
#include "storage/store.h"
#include "protocols/pop3/pop3-dotstuff.h"
#include "protocols/pop3/pop3.h"
#include "core/compat.h"

#define STREAM_CHUNK 16384

/* Message num of the snapshot, or NULL after answering -ERR. */
static struct pop3_msg *
get_msg(struct pop3_session *p, uint32_t num, int *r_r)
{
	if (num == 0 || num > p->count) {
		*r_r = pop3_reply_err(p, "No such message.");
		return NULL;
	}
	if (p->msgs[num - 1].deleted) {
		*r_r = pop3_reply_err(p, "Message is deleted.");
		return NULL;
	}
	return &p->msgs[num - 1];
}

int
pop3_cmd_stat(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	return conn_printf(p->s->conn, "+OK %u %llu\r\n",
			   p->count - p->ndeleted,
			   (unsigned long long)p->total);
}

int
pop3_cmd_list(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	struct conn *c = p->s->conn;
	struct pop3_msg *m;
	int r;

	if (cmd->nnums == 1) {
		if ((m = get_msg(p, cmd->num[0], &r)) == NULL)
			return r;
		return conn_printf(c, "+OK %u %llu\r\n", cmd->num[0],
				   (unsigned long long)m->size);
	}
	conn_printf(c, "+OK %u messages (%llu octets)\r\n",
		    p->count - p->ndeleted, (unsigned long long)p->total);
	for (uint32_t i = 0; i < p->count; i++)
		if (!p->msgs[i].deleted)
			conn_printf(c, "%u %llu\r\n", i + 1,
				    (unsigned long long)p->msgs[i].size);
	return conn_writes(c, ".\r\n");
}

/* The unique id of message seq in the configured form (RFC 1939 sec. 7:
 * 1-70 characters 0x21-0x7E, stable across sessions). */
static int
get_uidl(struct pop3_session *p, uint32_t seq, char *buf, size_t size)
{
	const struct store_msg *m;

	if (strcmp(p->set->uidl_format, "dovecot") != 0)
		return store_pop3_uidl(p->box, seq, buf, size);
	/* Dovecot's default pop3_uidl_format %08Xu%08Xv: its X modifier
	 * prints lower-case hex (var-expand.c), so "0000000b6b166f5a" */
	if ((m = store_msg_get(p->box, seq)) == NULL)
		return -ERR_INVAL;
	snprintf(buf, size, "%08x%08x", (unsigned)m->uid,
		 (unsigned)store_mailbox_uidvalidity(p->box));
	return 0;
}

int
pop3_cmd_uidl(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	struct conn *c = p->s->conn;
	char id[STORE_POP3_UIDL_MAX];
	int r;

	if (cmd->nnums == 1) {
		if (get_msg(p, cmd->num[0], &r) == NULL)
			return r;
		if (get_uidl(p, cmd->num[0], id, sizeof(id)) < 0)
			return pop3_reply_err(p, "[SYS/TEMP] Cannot read the "
					      "unique id.");
		return conn_printf(c, "+OK %u %s\r\n", cmd->num[0], id);
	}
	/* Check that every id can be had before the +OK goes out. */
	if (p->count > 0 && get_uidl(p, 1, id, sizeof(id)) < 0)
		return pop3_reply_err(p, "[SYS/TEMP] Cannot read the unique "
				      "ids.");
	conn_writes(c, "+OK\r\n");
	for (uint32_t i = 0; i < p->count; i++) {
		if (p->msgs[i].deleted)
			continue;
		if (get_uidl(p, i + 1, id, sizeof(id)) < 0)
			return -ERR_IO;	/* mid-list: only closing is safe */
		conn_printf(c, "%u %s\r\n", i + 1, id);
	}
	return conn_writes(c, ".\r\n");
}

int
pop3_cmd_dele(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	struct pop3_msg *m;
	int r = 0;	/* set by get_msg when it answers */

	if ((m = get_msg(p, cmd->num[0], &r)) == NULL)
		return r;
	m->deleted = true;
	p->ndeleted++;
	p->total -= m->size;
	p->dele_bytes += m->size;
	return conn_printf(p->s->conn, "+OK Message %u deleted.\r\n",
			   cmd->num[0]);
}

int
pop3_cmd_rset(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	for (uint32_t i = 0; i < p->count; i++) {
		if (p->msgs[i].deleted) {
			p->msgs[i].deleted = false;
			p->total += p->msgs[i].size;
		}
	}
	p->ndeleted = 0;
	p->dele_bytes = 0;
	return conn_printf(p->s->conn, "+OK Maildrop has %u messages "
			   "(%llu octets).\r\n", p->count,
			   (unsigned long long)p->total);
}

int
pop3_cmd_noop(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	return conn_writes(p->s->conn, "+OK\r\n");
}

int
pop3_cmd_quit(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	int r;

	if (p->state == POP3_STATE_AUTHORIZATION) {
		conn_writes(p->s->conn, "+OK Bye-bye.\r\n");
		return POP3_CMD_CLOSE;
	}
	p->state = POP3_STATE_UPDATE;
	if (pop3_maildrop_commit(p) < 0) {
		r = pop3_reply_err(p, "[SYS/TEMP] Some deleted messages "
				   "were not removed.");
	} else {
		p->committed = true;
		/* the maildrop lock is released before the answer (RFC 1939
		 * 6): a client that logs in again at once finds it free */
		pop3_maildrop_close(p);
		r = conn_writes(p->s->conn, "+OK Bye-bye.\r\n");
	}
	return r < 0 ? r : POP3_CMD_CLOSE;
}

/* Copy the file fd through the filter d to the connection. Returns 0 or
 * -ERR_IO (the reply is then cut: the caller must close). */
static int
stream(struct pop3_session *p, int fd, struct pop3_dotstuff *d,
       uint64_t *sent_r)
{
	char in[STREAM_CHUNK];
	char out[STREAM_CHUNK * POP3_DOTSTUFF_EXPANSION];
	ssize_t n;
	int r;

	while (!pop3_dotstuff_done(d)) {
		n = read(fd, in, sizeof(in));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			slog_error(p->s, "retr read failed errno=%d", errno);
			return -ERR_IO;
		}
		if (n == 0)
			break;
		size_t o = pop3_dotstuff_feed(d, in, (size_t)n, out);
		if ((r = conn_write(p->s->conn, out, o)) < 0)
			return r;
		*sent_r += o;
	}
	size_t o = pop3_dotstuff_finish(d, out);
	return conn_write(p->s->conn, out, o);
}

int
pop3_cmd_retr(struct pop3_session *p, const struct pop3_cmd *cmd)
{
	bool top = cmd->id == POP3_CMD_TOP;
	struct pop3_dotstuff d;
	struct pop3_msg *m;
	uint64_t sent = 0;
	int fd, r;

	if ((m = get_msg(p, cmd->num[0], &r)) == NULL)
		return r;
	r = store_msg_open(p->box, cmd->num[0], &fd);
	if (r == -ERR_NOTFOUND)
		return pop3_reply_err(p, "Message was removed by another "
				      "session.");
	if (r < 0)
		return pop3_reply_err(p, "[SYS/TEMP] Cannot read the message.");
	if (top)
		conn_writes(p->s->conn, "+OK Top of message follows.\r\n");
	else
		conn_printf(p->s->conn, "+OK %llu octets follow.\r\n",
			    (unsigned long long)m->size);
	pop3_dotstuff_init(&d, top, top ? cmd->num[1] : 0);
	r = stream(p, fd, &d, &sent);
	close(fd);
	p->retr_count++;
	p->retr_bytes += sent;
	return r;
}
