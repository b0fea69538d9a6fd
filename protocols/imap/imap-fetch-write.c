/* Maildock - SPDX-License-Identifier: MIT
 *
 * One message's FETCH response (RFC 3501 7.4.2). Everything but the body
 * sections is built in a bounded buffer; sections go out as literals
 * streamed from the message file (mmap'd, read in 8 KiB steps), so a large
 * body is never held in memory and the announced literal length is
 * exactly the number of octets written (B20, B21).
 */
#include <inttypes.h>
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/sbuf.h"
#include "storage/store.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-fetch.h"
#include "protocols/imap/imap-envelope.h"
#include "protocols/imap/imap-bodystructure.h"
#include "protocols/imap/imap-condstore.h"
#include "protocols/imap/imap-preview.h"
#include "core/compat.h"

struct out {
	struct imap_session *sess;
	struct sbuf b;
	bool first;
	const char *preview;	/* RFC 8970, made before any output */
	size_t preview_len;
};

/* prefix and decimal v: FETCH 1:* writes three numbers per message and
 * sbuf_appendf (vsnprintf twice) was most of its cost */
static void
append_u64(struct sbuf *b, const char *prefix, uint64_t v)
{
	char d[20];
	size_t i = sizeof(d);

	do {
		d[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	sbuf_appends(b, prefix);
	sbuf_append(b, d + i, sizeof(d) - i);
}

static void
item_sep(struct out *o)
{
	if (!o->first)
		sbuf_appendc(&o->b, ' ');
	o->first = false;
}

/* send what the buffer holds (before a literal's data) */
static int
out_flush(struct out *o)
{
	int ret;

	if (sbuf_failed(&o->b))
		return -ERR_LIMIT;
	ret = imap_reply_write(o->sess, o->b.data, o->b.len);
	sbuf_reset(&o->b);
	return ret;
}

static int
write_cb(void *ctx, const void *p, size_t n)
{
	struct imap_session *sess = ctx;

	return imap_reply_write(sess, p, n);
}

/* where each section is: located before any byte of the response goes
 * out, so that a failure (arena cap) can still refuse the whole answer */
struct located {
	struct mime_extract ex;
	int ret;		/* of mime_section_locate */
	bool decoded;		/* BINARY: dec holds the content */
	struct sview dec;
};

static bool
is_cte(struct sview enc, const char *name)
{
	return enc.len == strlen(name) && strncasecmp(enc.p, name, enc.len) == 0;
}

/* binary_decode: a BINARY section's content (RFC 3516 4.2): a leaf part in
 * base64 or quoted-printable is decoded here, before any output, and one
 * in "binary" is its stored octets (NULs and bare LFs kept); 7bit and 8bit
 * parts (lines), containers and the whole message go as BODY[n] sends
 * them. An unknown encoding is -ERR_CORRUPT ([UNKNOWN-CTE]). */
static int
binary_decode(struct arena *scratch, const struct imap_fetch_msg *m,
	      const struct imap_fetch_section *s, struct located *loc)
{
	const struct mime_part *p;
	struct sview enc, raw;
	int ret;

	if (s->sec.n == 0 ||
	    (p = mime_part_find(m->mime, s->sec.nums, s->sec.n)) == NULL ||
	    (p->flags & (MIME_PART_MULTIPART | MIME_PART_RFC822)) != 0 ||
	    (p->flags & MIME_PART_IS_MIME) == 0 || p->encoding.p == NULL)
		return 0;
	enc = p->encoding;
	if (is_cte(enc, "7bit") || is_cte(enc, "8bit"))
		return 0;
	raw.p = (const char *)m->mime->data + loc->ex.offset;
	raw.len = (size_t)loc->ex.raw_len;
	if (is_cte(enc, "binary")) {
		loc->dec = raw;
		ret = 0;
	} else if (is_cte(enc, "base64"))
		ret = mime_decode_base64(scratch, raw, &loc->dec);
	else if (is_cte(enc, "quoted-printable"))
		ret = mime_decode_qp(scratch, raw, &loc->dec);
	else
		return -ERR_CORRUPT;
	if (ret < 0)
		return -ERR_LIMIT;
	loc->decoded = true;
	return 0;
}

static int
locate_all(struct arena *scratch, const struct imap_fetch_items *items,
	   const struct imap_fetch_msg *m, struct located **loc_r)
{
	struct located *loc;
	size_t i;

	*loc_r = NULL;
	if (items->nsections == 0)
		return 0;
	loc = arena_alloc(scratch, items->nsections * sizeof(*loc));
	if (loc == NULL)
		return -ERR_LIMIT;
	for (i = 0; i < items->nsections; i++) {
		int ret;

		loc[i].decoded = false;
		loc[i].ret = mime_section_locate(scratch, m->mime,
						 &items->sections[i].sec,
						 &loc[i].ex);
		if (loc[i].ret < 0 && loc[i].ret != -ERR_NOTFOUND &&
		    loc[i].ret != -ERR_INVAL)
			return loc[i].ret;
		if (loc[i].ret == 0 && items->sections[i].binary &&
		    (ret = binary_decode(scratch, m, &items->sections[i],
					 &loc[i])) < 0)
			return ret;
	}
	*loc_r = loc;
	return 0;
}

/* write_decoded: a decoded BINARY section; NUL octets go only in a
 * literal8 (RFC 3516 4.3) */
static int
write_decoded(struct out *o, const struct imap_fetch_section *s,
	      const struct located *loc)
{
	uint64_t start = s->partial ? s->start : 0;
	uint64_t n = s->partial ? mime_partial_len(loc->dec.len, s->start,
						   s->len) : loc->dec.len;
	const char *p = loc->dec.p + (n > 0 ? start : 0);
	int ret;

	sbuf_appendf(&o->b, " %s{%" PRIu64 "}\r\n",
		     memchr(p, 0, (size_t)n) != NULL ? "~" : "", n);
	if ((ret = out_flush(o)) < 0)
		return ret;
	return imap_reply_write(o->sess, p, (size_t)n);
}

static int
write_section(struct out *o, const struct imap_fetch_section *s,
	      const struct located *loc, const struct imap_fetch_msg *m)
{
	uint64_t n, len = s->partial ? s->len : UINT64_MAX;
	int64_t written;
	int ret;

	item_sep(o);
	sbuf_appends(&o->b, s->name);
	if (s->partial)
		sbuf_appendf(&o->b, "<%" PRIu64 ">", s->start);
	if (loc->ret < 0) {
		/* no such part, or .HEADER of a non-message part: NIL, as
		 * Dovecot answers */
		sbuf_appends(&o->b, " NIL");
		return 0;
	}
	if (s->binary == IMAP_FETCH_BINARY_SIZE) {
		append_u64(&o->b, " ", loc->decoded ? loc->dec.len :
			   loc->ex.crlf_len);
		return 0;
	}
	if (loc->decoded)
		return write_decoded(o, s, loc);
	n = s->partial ? mime_partial_len(loc->ex.crlf_len, s->start,
					  s->len) : loc->ex.crlf_len;
	sbuf_appendf(&o->b, " {%" PRIu64 "}\r\n", n);
	if ((ret = out_flush(o)) < 0)
		return ret;
	written = mime_extract_write(m->mime, &loc->ex,
				     s->partial ? s->start : 0, len, write_cb,
				     o->sess);
	if (written < 0)
		return (int)written;
	if ((uint64_t)written != n) {
		/* the literal is announced: the stream cannot be repaired */
		return -ERR_IO;
	}
	return 0;
}

static void
write_simple(struct out *o, const struct imap_fetch_items *items,
	     const struct imap_fetch_msg *m)
{
	unsigned it = items->items;
	/* RFC 7162 3.1: once CONDSTORE is on, a FETCH caused by a flag
	 * change (here the implicit \Seen) carries UID and MODSEQ */
	bool cs = m->add_flags && IMAP_CONDSTORE(o->sess);

	if ((it & IMAP_FETCH_UID) || cs) {
		item_sep(o);
		append_u64(&o->b, "UID ", m->msg->uid);
	}
	if ((it & IMAP_FETCH_FLAGS) || m->add_flags) {
		item_sep(o);
		sbuf_appends(&o->b, "FLAGS ");
		imap_reply_append_flags(&o->b, o->sess->box, m->msg);
	}
	if ((it & IMAP_FETCH_MODSEQ) || cs) {
		item_sep(o);
		append_u64(&o->b, "MODSEQ (", m->msg->modseq);
		sbuf_appendc(&o->b, ')');
	}
	if (it & IMAP_FETCH_INTERNALDATE) {
		item_sep(o);
		sbuf_appends(&o->b, "INTERNALDATE ");
		imap_reply_append_date(&o->b, (int64_t)m->internal_date);
	}
	if (it & IMAP_FETCH_RFC822_SIZE) {
		item_sep(o);
		append_u64(&o->b, "RFC822.SIZE ", m->size);
	}
	if (it & IMAP_FETCH_EMAILID) {
		item_sep(o);
		sbuf_appendf(&o->b, "EMAILID (%s)", m->email_id);
	}
	if (it & IMAP_FETCH_THREADID) {
		item_sep(o);
		sbuf_appendf(&o->b, "THREADID (%s)", m->thread_id);
	}
	if (it & IMAP_FETCH_SAVEDATE) {
		item_sep(o);
		sbuf_appends(&o->b, "SAVEDATE ");
		if (m->save_date == 0)
			sbuf_appends(&o->b, "NIL");	/* RFC 8514 3 */
		else
			imap_reply_append_date(&o->b, (int64_t)m->save_date);
	}
}

static void
write_structure(struct out *o,
		const struct imap_fetch_items *items,
		const struct imap_fetch_msg *m)
{
	unsigned it = items->items;

	if (it & IMAP_FETCH_PREVIEW) {
		item_sep(o);
		sbuf_appends(&o->b, "PREVIEW ");
		imap_reply_append_string(&o->b, o->preview, o->preview_len);
	}
	if (it & IMAP_FETCH_ENVELOPE) {
		item_sep(o);
		sbuf_appends(&o->b, "ENVELOPE ");
		imap_envelope_write(&o->b, m->mime->root->envelope);
	}
	if (it & IMAP_FETCH_BODY) {
		item_sep(o);
		sbuf_appends(&o->b, "BODY ");
		imap_bodystructure_write(&o->b, m->mime->root, false);
	}
	if (it & IMAP_FETCH_BODYSTRUCTURE) {
		item_sep(o);
		sbuf_appends(&o->b, "BODYSTRUCTURE ");
		imap_bodystructure_write(&o->b, m->mime->root, true);
	}
}

int
imap_fetch_write(struct imap_session *sess, struct arena *scratch,
		 const struct imap_fetch_items *items,
		 const struct imap_fetch_msg *m)
{
	struct out o = { .sess = sess, .first = true };
	struct located *loc;
	size_t i;
	int ret;

	if ((ret = locate_all(scratch, items, m, &loc)) < 0)
		return ret;
	if ((items->items & IMAP_FETCH_PREVIEW) &&
	    (ret = imap_preview_make(scratch, m->mime, &o.preview,
				     &o.preview_len)) < 0)
		return ret == -ERR_INVAL ? -ERR_LIMIT : ret;
	sbuf_init(&o.b, scratch, IMAP_FETCH_BUFFER_MAX);
	append_u64(&o.b, "* ", m->seq);
	sbuf_appends(&o.b, " FETCH (");
	write_simple(&o, items, m);
	if (items->needs_file)
		write_structure(&o, items, m);
	/* nothing is on the wire yet: a line over the limit is refused whole */
	if (sbuf_failed(&o.b))
		return -ERR_LIMIT;
	for (i = 0; i < items->nsections; i++) {
		ret = write_section(&o, &items->sections[i], &loc[i], m);
		if (ret < 0) {
			/* bytes of this response are out: only ending the
			 * session keeps the stream in step */
			return ret == -ERR_LIMIT ? -ERR_IO : ret;
		}
	}
	sbuf_appends(&o.b, ")\r\n");
	ret = out_flush(&o);
	return ret == -ERR_LIMIT ? -ERR_IO : ret;
}
