/* Maildock - SPDX-License-Identifier: MIT
 *
 * COPY and MOVE between two users' Maildirs (a shared folder and one of
 * the user's own, or two owners): storage copies within one Maildir only,
 * so each message is streamed into the destination as an APPEND would be,
 * with its flags, keywords and internal date.
 */
#include <unistd.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-acl.h"
#include "protocols/imap/imap-commands.h"
#include "core/compat.h"

#define COPY_CHUNK (64 * 1024)

/* copy_one: message seq of the selected view into dst; *uid_r 0 when it
 * was expunged meanwhile */
static int
copy_one(struct imap_session *sess, uint32_t seq,
	 const struct imap_acl_box *dst, char *buf, uint32_t *uidv_r,
	 uint32_t *uid_r)
{
	const struct store_msg *m = store_msg_get(sess->box, seq);
	const char *const *names, **kw;
	struct store_append *a = NULL;
	unsigned nnames, flags;
	size_t nkw = 0;
	time_t date = 0;
	ssize_t got;
	int fd, r;

	*uid_r = 0;
	if (m == NULL)
		return 0;
	names = store_mailbox_keywords(sess->box, &nnames);
	kw = xmalloc((m->keyword_count + 1) * sizeof(*kw));
	for (unsigned i = 0; i < m->keyword_count; i++)
		if (m->keywords[i] < nnames)
			kw[nkw++] = names[m->keywords[i]];
	flags = m->flags & STORE_FLAGS_PERMANENT;
	imap_acl_flags_mask(dst->rights, &flags, &nkw);
	(void)store_msg_internal_date(sess->box, seq, &date);
	r = store_msg_open(sess->box, seq, &fd);
	if (r == -ERR_NOTFOUND)
		r = 0;		/* expunged by someone else: skipped */
	else if (r == 0) {
		r = store_append_begin(dst->store, dst->name, flags, kw, nkw,
				       date, 0, &a);
		while (r == 0 && (got = read(fd, buf, COPY_CHUNK)) != 0)
			r = got < 0 ? -ERR_IO :
			    store_append_write(a, buf, (size_t)got);
		close(fd);
		if (r == 0)
			r = store_append_finish(&a, uidv_r, uid_r);
		store_append_abort(&a);
	}
	free(kw);
	return r;
}

int
imap_acl_copy_across(struct imap_cmd *cmd, const uint32_t *seqs, uint32_t n,
		     const struct imap_acl_box *dst, bool move,
		     uint32_t *uidv_r, uint32_t *dst_uids_r,
		     store_expunged_fn *expunged, void *ctx)
{
	struct imap_session *sess = cmd->sess;
	struct store_uid_range *ranges;
	char *buf = xmalloc(COPY_CHUNK);
	size_t nr = 0;
	int r = 0;

	for (uint32_t i = 0; i < n; i++)
		dst_uids_r[i] = 0;
	for (uint32_t i = 0; i < n && r == 0; i++)
		r = copy_one(sess, seqs[i], dst, buf, uidv_r, &dst_uids_r[i]);
	free(buf);
	if (r < 0 || !move)
		return r;
	/* only after every copy exists: mark and expunge the sources */
	ranges = arena_alloc(cmd->arena, (n + 1) * sizeof(*ranges));
	if (ranges == NULL)
		return -ERR_NOMEM;
	for (uint32_t i = 0; i < n; i++) {
		const struct store_msg *m = store_msg_get(sess->box, seqs[i]);
		if (m == NULL || dst_uids_r[i] == 0)
			continue;
		ranges[nr].first = ranges[nr].last = m->uid;
		nr++;
		if ((r = store_msg_set_flags(sess->box, seqs[i],
					     STORE_FLAGS_ADD,
					     STORE_FLAG_DELETED, NULL, 0)) < 0)
			return r;
	}
	return nr == 0 ? 0 : store_mailbox_expunge(sess->box, ranges, nr,
						   expunged, ctx);
}
