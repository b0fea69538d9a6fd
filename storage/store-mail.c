/* Maildock - SPDX-License-Identifier: MIT
 *
 * The message handle of storage/store-mail.h: which parse a caller needs
 * (header only, or the whole message) and reuse of bytes already read,
 * over the backend's msg_read and msg_parsed.
 */
#include "storage/store-private.h"
#include "storage/store-mail.h"
#include "storage/mime/mime.h"
#include "core/arena.h"
#include "core/error.h"
#include "core/compat.h"

/* A large file's header is looked for in this much of its start. */
#define HEADER_PREFIX_MAX (64u * 1024)

struct store_mail {
	struct store_mailbox *box;
	uint32_t seq;
	struct arena *a;
	struct mime_message *full;	/* the whole message, with bytes */
	struct mime_message *hdr;	/* its header only, or == full */
	const void *data;		/* the whole file, when read whole */
	size_t len;
	int err;			/* 0, or the first failure */
};

struct store_mail *
store_mail_open(struct store_mailbox *mb, uint32_t seq, struct arena *a)
{
	struct store_mail *m = arena_zalloc(a, sizeof(*m));

	if (m != NULL) {
		m->box = mb;
		m->seq = seq;
		m->a = a;
	}
	return m;
}

/* the length of the header block at buf (through its empty line), or 0
 * when it does not end within n bytes */
static size_t
header_len(const char *buf, size_t n)
{
	const char *p = buf, *end = buf + n, *nl;

	if (n > 0 && buf[0] == '\n')
		return 1;
	if (n > 1 && buf[0] == '\r' && buf[1] == '\n')
		return 2;
	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		if (nl + 1 < end && nl[1] == '\n')
			return (size_t)(nl + 2 - buf);
		if (nl + 2 < end && nl[1] == '\r' && nl[2] == '\n')
			return (size_t)(nl + 3 - buf);
		p = nl + 1;
	}
	return 0;
}

static int
parse_header(struct store_mail *m)
{
	const struct store_ops *ops = m->box->ops;
	const void *data;
	size_t len, hl;
	bool whole;
	int ret;

	ret = ops->msg_read(m->box, m->seq, m->a, HEADER_PREFIX_MAX, &data,
			    &len, &whole);
	if (ret < 0)
		return ret;
	hl = header_len(data, len);
	if (!whole && hl == 0) {
		/* a header longer than the prefix: the whole file, parsed
		 * whole (its root header is the same) */
		ret = ops->msg_read(m->box, m->seq, m->a, 0, &data, &len,
				    &whole);
		if (ret < 0)
			return ret;
		hl = 0;
	}
	if (whole) {
		m->data = data;
		m->len = len;
	}
	return mime_parse(m->a, data, hl > 0 ? hl : len, &m->hdr);
}

int
store_mail_header(struct store_mail *m, struct mime_message **msg_r)
{
	*msg_r = NULL;
	if (m->hdr == NULL && m->err == 0)
		m->err = parse_header(m);
	if (m->err < 0)
		return m->err;
	*msg_r = m->hdr;
	return 0;
}

int
store_mail_message(struct store_mail *m, struct mime_message **msg_r)
{
	*msg_r = NULL;
	if (m->full == NULL && m->err == 0) {
		if (m->data != NULL)
			m->err = mime_parse(m->a, m->data, m->len, &m->full);
		else
			m->err = m->box->ops->msg_parsed(m->box, m->seq, m->a,
							 true, &m->full);
		if (m->err == 0)
			m->hdr = m->full;
	}
	if (m->err < 0)
		return m->err;
	*msg_r = m->full;
	return 0;
}
