/* Maildock - SPDX-License-Identifier: MIT
 *
 * Running a SEARCH program over the selected view: the bridge between the
 * storage-free program (imap-search.h) and the store (flags, dates, sizes)
 * and MIME parser (decoded header values and body text, RFC 3501 6.4.4:
 * "BODY and TEXT match the decoded text, headers their RFC 2047 decoding").
 */
#include <strings.h>
#include "core/arena.h"
#include "core/error.h"
#include "core/session.h"
#include "storage/store.h"
#include "storage/store-info.h"
#include "storage/store-mail.h"
#include "storage/mime/mime.h"
#include "protocols/imap/imap.h"
#include "protocols/imap/imap-search.h"
#include "protocols/imap/imap-search-cmd.h"
#include "protocols/imap/imap-search-index.h"
#include "core/compat.h"

/* Memory one message's parse and decoded texts may take. */
#define SEARCH_MSG_MEMORY (256u * 1024 * 1024)

struct msg_ctx {
	struct store_mail *mail;
	struct arena *scratch;
	struct mime_message *mime;	/* the whole message */
	struct mime_message *hdr;	/* its header only, or == mime */
};

/* the header (header_only) or the whole message of c, parsed once each
 * by the storage's message handle */
static int
load_part(struct msg_ctx *c, bool header_only)
{
	if (c->mime != NULL || (header_only && c->hdr != NULL))
		return 0;
	if (c->mail == NULL)
		return -ERR_LIMIT;
	if (header_only)
		return store_mail_header(c->mail, &c->hdr);
	return store_mail_message(c->mail, &c->mime);
}

static int
load(struct msg_ctx *c)
{
	return load_part(c, false);
}

/* the root of whichever parse has the message header */
static const struct mime_message *
header_msg(const struct msg_ctx *c)
{
	return c->mime != NULL ? c->mime : c->hdr;
}

/* decoded header text for matching: folds leave TABs, which count as
 * spaces (Dovecot matches "a b" in "a\r\n\tb" too) */
static int
decode_value(struct arena *a, struct sview raw, struct sview *out_r)
{
	size_t i;
	int ret;

	if ((ret = mime_decode_words(a, raw, out_r)) < 0)
		return ret;
	for (i = 0; i < out_r->len; i++)
		if (out_r->p[i] == '\t')
			((char *)out_r->p)[i] = ' ';
	return 0;
}

/* address_texts: the addresses of an address field as "mailbox@domain"
 * texts, one each: SEARCH FROM/TO/CC/BCC look in the envelope's address
 * structure (RFC 3501 6.4.4), where comments and white space inside an
 * address ("<u (c)@ (c) d.org>") are gone. 1 if fn stopped. */
static int
address_texts(struct msg_ctx *c, struct sview raw, imap_search_chunk_fn *fn,
	      void *fctx)
{
	struct mime_addr *list;

	if (mime_addr_parse(c->scratch, raw.p, raw.len, &list) < 0)
		return 0;	/* too big to parse: the raw text only */
	for (; list != NULL; list = list->next) {
		const char *t;

		if (list->mailbox == NULL || list->domain == NULL)
			continue;	/* a group marker */
		t = arena_printf(c->scratch, "%s@%s", list->mailbox,
				 list->domain);
		if (t == NULL)
			return -ERR_NOMEM;
		if (fn(fctx, t, strlen(t)) || fn(fctx, NULL, 0))
			return 1;
	}
	return 0;
}

static const char *const address_fields[] = {
	"From", "Sender", "Reply-To", "To", "Cc", "Bcc",
};

static bool
is_address_field(const char *name)
{
	for (size_t i = 0; i < N_ELEMENTS(address_fields); i++)
		if (strcasecmp(name, address_fields[i]) == 0)
			return true;
	return false;
}

static int
op_header(void *ctx, const char *name, imap_search_chunk_fn *fn, void *fctx)
{
	struct msg_ctx *c = ctx;
	struct mime_header_iter it;
	struct sview fname, value, dec;
	size_t nlen = strlen(name);
	int ret;

	if ((ret = load_part(c, true)) < 0)
		return ret;
	mime_header_iter_init(&it, header_msg(c), header_msg(c)->root);
	while (mime_header_iter_next(&it, &fname, &value)) {
		if (fname.len != nlen || strncasecmp(fname.p, name, nlen) != 0)
			continue;
		if ((ret = decode_value(c->scratch, value, &dec)) < 0)
			return ret;
		if (fn(fctx, dec.p, dec.len) || fn(fctx, NULL, 0))
			return 0;
		if (is_address_field(name) &&
		    (ret = address_texts(c, value, fn, fctx)) != 0)
			return ret < 0 ? ret : 0;
	}
	return 0;
}

/* depth-first over the tree without recursion */
static const struct mime_part *
next_part(const struct mime_part *p)
{
	if (p->children != NULL)
		return p->children;
	while (p != NULL && p->next == NULL)
		p = p->parent;
	return p != NULL ? p->next : NULL;
}

/* a header block, decoded, as one text "Name: value\r\n..."; 1 if fn
 * stopped */
static int
header_text(struct msg_ctx *c, const struct mime_part *part,
	    imap_search_chunk_fn *fn, void *fctx)
{
	struct mime_header_iter it;
	struct sview fname, value, dec;
	int ret;

	mime_header_iter_init(&it, c->mime, part);
	while (mime_header_iter_next(&it, &fname, &value)) {
		if ((ret = decode_value(c->scratch, value, &dec)) < 0)
			return ret;
		if (fn(fctx, fname.p, fname.len) || fn(fctx, ": ", 2) ||
		    fn(fctx, dec.p, dec.len) || fn(fctx, "\r\n", 2))
			return 1;
	}
	return fn(fctx, NULL, 0) ? 1 : 0;
}

static int
encoding_kind(struct sview enc)
{
	static const char *const known[] = {
		"7bit", "8bit", "binary", "quoted-printable", "base64"
	};
	size_t i;

	if (enc.p == NULL)
		return 0;
	for (i = 0; i < N_ELEMENTS(known); i++)
		if (enc.len == strlen(known[i]) &&
		    strncasecmp(enc.p, known[i], enc.len) == 0)
			return (int)i;
	return -1;
}

static bool
ascii_charset(const char *cs)
{
	static const char *const prefixes[] = {
		"us-ascii", "ascii", "utf-8", "utf8", "iso-8859-", "iso8859-",
		"windows-125", "cp125", "koi8-", "latin",
	};
	size_t i;

	if (cs == NULL || *cs == '\0')
		return true;
	for (i = 0; i < N_ELEMENTS(prefixes); i++)
		if (strncasecmp(cs, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

/* the bytes of a text part in an ASCII-compatible charset, transfer
 * encoding undone, for an ASCII needle (IMAP_SEARCH_TEXT_ASCII): skips
 * the charset conversion (iconv) that costs more than the search */
static int
leaf_bytes(struct msg_ctx *c, const struct mime_part *p, int kind,
	   struct sview *text_r)
{
	struct sview raw;
	int ret = 0;

	raw.p = (const char *)c->mime->data + p->offset + p->header.raw;
	raw.len = (size_t)p->body.raw;
	if (kind == 3)
		ret = mime_decode_qp(c->scratch, raw, &raw);
	else if (kind == 4)
		ret = mime_decode_base64(c->scratch, raw, &raw);
	*text_r = raw;
	return ret < 0 ? ret : 1;
}

/* the searchable text of a leaf: 1 with *text_r, 0 to skip the part.
 * Dovecot honours Content-Transfer-Encoding even in a message without
 * MIME-Version, and skips parts whose encoding it does not know (e.g.
 * "chunked"), so we do the same. */
static int
leaf_text(struct msg_ctx *c, const struct mime_part *p, bool ascii,
	  struct sview *text_r)
{
	struct sview enc = p->encoding, raw;
	int kind, ret;

	if (enc.p == NULL &&
	    (ret = mime_header_get(c->scratch, c->mime, p,
				   "Content-Transfer-Encoding", &enc)) < 0)
		return ret;
	if ((kind = encoding_kind(enc)) < 0)
		return 0;
	if ((p->flags & MIME_PART_IS_MIME) == 0 && kind >= 3) {
		raw.p = (const char *)c->mime->data + p->offset +
			p->header.raw;
		raw.len = (size_t)p->body.raw;
		ret = kind == 3 ? mime_decode_qp(c->scratch, raw, &raw) :
				  mime_decode_base64(c->scratch, raw, &raw);
		if (ret == 0)
			ret = mime_charset_to_utf8(c->scratch, NULL, raw,
						   text_r);
		return ret < 0 ? ret : 1;
	}
	if (ascii && (p->flags & MIME_PART_IS_MIME) &&
	    (p->flags & (MIME_PART_MULTIPART | MIME_PART_RFC822)) == 0) {
		struct sview t = p->type;

		if (t.p != NULL &&
		    !(t.len == 4 && strncasecmp(t.p, "text", 4) == 0) &&
		    !(t.len == 7 && strncasecmp(t.p, "message", 7) == 0))
			return 0;	/* as mime_part_text: not searched */
		if (ascii_charset(mime_param_get(p->params, p->nparams,
						 "charset")))
			return leaf_bytes(c, p, kind, text_r);
	}
	ret = mime_part_text(c->scratch, c->mime, p, text_r);
	return ret < 0 ? ret : 1;
}

/* the decoded text of every leaf part; with headers, every header block
 * too (the message's, each MIME part's and each attached message's), as
 * TEXT covers the whole message and BODY only the body texts (Dovecot) */
static int
body_texts(struct msg_ctx *c, bool headers, unsigned flags,
	   imap_search_chunk_fn *fn, void *fctx)
{
	const struct mime_part *p;
	struct sview text;
	int ret;

	for (p = c->mime->root; p != NULL; p = next_part(p)) {
		if (headers && (ret = header_text(c, p, fn, fctx)) != 0)
			return ret;
		if (p->children != NULL)
			continue;
		ret = leaf_text(c, p, (flags & IMAP_SEARCH_TEXT_ASCII) != 0,
				&text);
		if (ret == -ERR_LIMIT) {
			/* a part whose decoded text does not fit the
			 * message's memory is not searched, rather than
			 * failing the whole SEARCH */
			continue;
		}
		if (ret < 0)
			return ret;
		if (ret == 0)
			continue;
		if (fn(fctx, text.p, text.len) || fn(fctx, NULL, 0))
			return 1;
	}
	return 0;
}

static int
op_body(void *ctx, unsigned flags, imap_search_chunk_fn *fn, void *fctx)
{
	struct msg_ctx *c = ctx;
	int ret;

	if ((ret = load(c)) < 0)
		return ret;
	ret = body_texts(c, false, flags, fn, fctx);
	return ret < 0 ? ret : 0;
}

static int
op_text(void *ctx, unsigned flags, imap_search_chunk_fn *fn, void *fctx)
{
	struct msg_ctx *c = ctx;
	int ret;

	if ((ret = load(c)) < 0)
		return ret;
	ret = body_texts(c, true, flags, fn, fctx);
	return ret < 0 ? ret : 0;
}

static const struct imap_search_msg_ops msg_ops = {
	op_header, op_body, op_text
};

int
imap_search_cmd_index_text(struct store_mailbox *box, uint32_t seq,
			   struct arena *scratch,
			   imap_search_index_chunk_fn *fn, void *fctx)
{
	struct msg_ctx c;
	size_t i;
	int ret;

	memset(&c, 0, sizeof(c));
	c.mail = store_mail_open(box, seq, scratch);
	c.scratch = scratch;
	/* TEXT's texts hold every header value and body text; header keys
	 * also see the address forms, which are not in the header text */
	ret = op_text(&c, 0, fn, fctx);
	for (i = 0; ret == 0 && i < N_ELEMENTS(address_fields); i++)
		ret = op_header(&c, address_fields[i], fn, fctx);
	return ret;
}

/* which cheap fields the program reads */
struct uses {
	bool date, size, keywords, save_date, object_ids;
};

static void
uses_scan(const struct imap_search_key *k, struct uses *u)
{
	size_t i;

	switch (k->type) {
	case IMAP_SEARCH_BEFORE:
	case IMAP_SEARCH_ON:
	case IMAP_SEARCH_SINCE:
	case IMAP_SEARCH_SENTBEFORE:	/* fallback without Date: */
	case IMAP_SEARCH_SENTON:
	case IMAP_SEARCH_SENTSINCE:
		u->date = true;
		break;
	case IMAP_SEARCH_SAVEDBEFORE:
	case IMAP_SEARCH_SAVEDON:
	case IMAP_SEARCH_SAVEDSINCE:
		u->date = u->save_date = true;
		break;
	case IMAP_SEARCH_EMAILID:
	case IMAP_SEARCH_THREADID:
		u->object_ids = true;
		break;
	case IMAP_SEARCH_OLDER:
	case IMAP_SEARCH_YOUNGER:
		u->date = true;
		break;
	case IMAP_SEARCH_LARGER:
	case IMAP_SEARCH_SMALLER:
		u->size = true;
		break;
	case IMAP_SEARCH_KEYWORD:
		u->keywords = true;
		break;
	default:
		break;
	}
	for (i = 0; i < k->count; i++)
		uses_scan(k->children[i], u);
}

static unsigned
search_flags(unsigned f)
{
	unsigned r = 0;

	r |= (f & STORE_FLAG_ANSWERED) ? IMAP_SEARCH_F_ANSWERED : 0;
	r |= (f & STORE_FLAG_FLAGGED) ? IMAP_SEARCH_F_FLAGGED : 0;
	r |= (f & STORE_FLAG_DELETED) ? IMAP_SEARCH_F_DELETED : 0;
	r |= (f & STORE_FLAG_SEEN) ? IMAP_SEARCH_F_SEEN : 0;
	r |= (f & STORE_FLAG_DRAFT) ? IMAP_SEARCH_F_DRAFT : 0;
	r |= (f & STORE_FLAG_RECENT) ? IMAP_SEARCH_F_RECENT : 0;
	return r;
}

/* fill the cheap fields of message seq; -ERR_NOTFOUND if it vanished */
static int
msg_fill(struct store_mailbox *box, const struct uses *u, uint32_t seq,
	 struct arena *scratch, struct imap_search_msg *m)
{
	const struct store_msg *sm = store_msg_get(box, seq);
	const char *const *names;
	unsigned nnames, i;
	const char **kws;
	int ret;

	if (sm == NULL)
		return -ERR_NOTFOUND;
	m->seq = seq;
	m->uid = sm->uid;
	m->modseq = sm->modseq;
	m->flags = search_flags(sm->flags);
	if (u->date &&
	    (ret = store_msg_internal_date(box, seq, &m->internal_date)) < 0)
		return ret;
	if (u->size && (ret = store_msg_size(box, seq, &m->size)) < 0)
		return ret;
	if (u->save_date &&
	    (ret = store_msg_save_date(box, seq, &m->save_date)) < 0)
		return ret;
	if (u->object_ids) {
		char *e = arena_alloc(scratch, 2 * STORE_OBJECTID_SIZE);
		if (e == NULL)
			return -ERR_LIMIT;
		if ((ret = store_msg_object_ids(box, seq, scratch, e,
						e + STORE_OBJECTID_SIZE)) < 0)
			return ret;
		m->email_id = e;
		m->thread_id = e + STORE_OBJECTID_SIZE;
	}
	if (u->keywords && sm->keyword_count > 0) {
		names = store_mailbox_keywords(box, &nnames);
		kws = arena_alloc(scratch, sm->keyword_count * sizeof(*kws));
		if (kws == NULL)
			return -ERR_LIMIT;
		for (i = 0; i < sm->keyword_count; i++)
			kws[i] = sm->keywords[i] < nnames ?
				 names[sm->keywords[i]] : "";
		m->keywords = kws;
		m->keyword_count = sm->keyword_count;
	}
	return 0;
}

/* match_one: prog on message seq (count messages, the last max_uid);
 * scratch is reset after. 1, 0 or a negative error. */
static int
match_one(struct store_mailbox *box, const struct imap_search_key *prog,
	  const struct uses *u, struct arena *scratch, uint32_t seq,
	  uint32_t count, uint32_t max_uid)
{
	struct imap_search_msg m;
	struct msg_ctx c;
	int ret;

	memset(&m, 0, sizeof(m));
	memset(&c, 0, sizeof(c));
	c.mail = store_mail_open(box, seq, scratch);
	c.scratch = scratch;
	m.max_seq = count;
	m.max_uid = max_uid;
	m.ops = &msg_ops;
	m.ctx = &c;
	ret = msg_fill(box, u, seq, scratch, &m);
	if (ret == 0)
		ret = imap_search_match(prog, &m);
	arena_reset(scratch);
	return ret == -ERR_NOTFOUND ? 0 : ret;
}

int
imap_search_cmd_match(struct store_mailbox *box,
		      const struct imap_search_key *prog,
		      struct arena *scratch, uint32_t seq)
{
	uint32_t count = store_mailbox_count(box);
	struct uses u = { false, false, false, false, false };

	if (seq == 0 || seq > count)
		return 0;
	uses_scan(prog, &u);
	return match_one(box, prog, &u, scratch, seq, count,
			 store_msg_get(box, count)->uid);
}

/* run prog over box's messages, those fl (the search index's candidates,
 * or NULL: all) leaves */
static int
run_box(struct store_mailbox *box, struct arena *a,
	const struct imap_search_key *prog,
	const struct imap_search_index_filter *fl, uint32_t **seqs_r,
	uint32_t *n_r)
{
	uint32_t count = store_mailbox_count(box), seq, n = 0, max_uid;
	struct arena *scratch = arena_new(SEARCH_MSG_MEMORY);
	struct uses u = { false, false, false, false, false };
	uint32_t *seqs;
	int ret = 0;

	seqs = arena_alloc(a, (count ? count : 1) * sizeof(*seqs));
	if (seqs == NULL) {
		arena_free(&scratch);
		return -ERR_LIMIT;
	}
	uses_scan(prog, &u);
	max_uid = count > 0 ? store_msg_get(box, count)->uid : 0;
	for (seq = 1; seq <= count; seq++) {
		if (fl != NULL &&
		    imap_search_index_skip(fl, store_msg_get(box, seq)->uid))
			continue;
		ret = match_one(box, prog, &u, scratch, seq, count, max_uid);
		if (ret < 0)
			break;
		if (ret == 1)
			seqs[n++] = seq;
		ret = 0;
	}
	arena_free(&scratch);
	if (ret < 0)
		return ret;
	*seqs_r = seqs;
	*n_r = n;
	return 0;
}

int
imap_search_cmd_run_seqs(struct imap_cmd *cmd,
			 const struct imap_search_key *prog,
			 uint32_t **seqs_r, uint32_t *n_r)
{
	struct imap_search_index_filter *fl;

	imap_search_index_filter(cmd, prog, &fl);
	int ret = run_box(cmd->sess->box, cmd->arena, prog, fl, seqs_r, n_r);
	imap_search_index_filter_free(&fl);
	return ret;
}

int
imap_search_box(struct store_mailbox *box, struct arena *a,
		const struct imap_search_key *prog, uint32_t **seqs_r,
		uint32_t *n_r)
{
	return run_box(box, a, prog, NULL, seqs_r, n_r);
}

int
imap_search_cmd_run(struct imap_cmd *cmd, const struct imap_search_key *prog,
		    uint32_t **ids_r, uint32_t *n_r)
{
	uint32_t i;
	int ret;

	if ((ret = imap_search_cmd_run_seqs(cmd, prog, ids_r, n_r)) < 0)
		return ret;
	if (cmd->uid) {
		for (i = 0; i < *n_r; i++)
			(*ids_r)[i] = store_msg_get(cmd->sess->box,
						    (*ids_r)[i])->uid;
	}
	return 0;
}

int
imap_search_cmd_run_error(struct imap_cmd *cmd, int err)
{
	if (err == -ERR_LIMIT)
		return imap_command_done(cmd, "NO", "[LIMIT] Search needs "
					 "too much memory");
	slog_warn(cmd->sess->s, "search failed: %s", err_str(err));
	return imap_command_done(cmd, "NO", "[SERVERBUG] Search failed");
}

/* the parser's arguments as the search parser's (lists bounded by the
 * command parser's depth limit) */
int
imap_search_cmd_convert(struct arena *a, const struct imap_arg *in,
			unsigned n, struct imap_search_arg **out_r)
{
	struct imap_search_arg *out, *sub;
	unsigned i;
	int ret;

	out = arena_zalloc(a, (n ? n : 1) * sizeof(*out));
	if (out == NULL)
		return -ERR_LIMIT;
	for (i = 0; i < n; i++) {
		switch (in[i].type) {
		case IMAP_ARG_ATOM:
		case IMAP_ARG_NIL:
			out[i].type = IMAP_SEARCH_ARG_ATOM;
			break;
		case IMAP_ARG_QUOTED:
		case IMAP_ARG_LITERAL:
			out[i].type = IMAP_SEARCH_ARG_STRING;
			break;
		case IMAP_ARG_LIST:
			out[i].type = IMAP_SEARCH_ARG_LIST;
			ret = imap_search_cmd_convert(a, in[i].list,
						      in[i].count, &sub);
			if (ret < 0)
				return ret;
			out[i].list = sub;
			out[i].count = in[i].count;
			continue;
		default:
			return -ERR_SYNTAX;
		}
		out[i].str = in[i].str;
		out[i].len = in[i].len;
	}
	*out_r = out;
	return 0;
}

/* searchres_subst: each "$" key (RFC 5182 2.1: the saved result, as
 * UIDs whatever the command) becomes the list (UID <set>), or (NOT ALL)
 * when nothing is saved */
static int
searchres_subst(struct imap_cmd *cmd, struct imap_search_arg *args,
		unsigned n)
{
	struct imap_session *sess = cmd->sess;
	struct imap_search_arg *sub;
	struct sbuf b;
	int ret;

	for (unsigned i = 0; i < n; i++) {
		if (args[i].type == IMAP_SEARCH_ARG_LIST) {
			/* lists come from imap_search_cmd_convert, in
			 * cmd->arena, writable */
			ret = searchres_subst(cmd,
				(struct imap_search_arg *)args[i].list,
				(unsigned)args[i].count);
			if (ret < 0)
				return ret;
			continue;
		}
		if (args[i].type != IMAP_SEARCH_ARG_ATOM || args[i].len != 1 ||
		    args[i].str[0] != '$')
			continue;
		sub = arena_zalloc(cmd->arena, 2 * sizeof(*sub));
		if (sub == NULL)
			return -ERR_LIMIT;
		sub[0].type = sub[1].type = IMAP_SEARCH_ARG_ATOM;
		sub[0].str = sess->searchres_n > 0 ? "UID" : "NOT";
		sub[1].str = "ALL";
		if (sess->searchres_n > 0) {
			sbuf_init(&b, cmd->arena, 0);
			imap_seqset_append_uids(&b, sess->searchres,
						sess->searchres_n);
			if (sbuf_failed(&b))
				return -ERR_LIMIT;
			sub[1].str = b.data;
		}
		sub[0].len = strlen(sub[0].str);
		sub[1].len = strlen(sub[1].str);
		args[i].type = IMAP_SEARCH_ARG_LIST;
		args[i].list = sub;
		args[i].count = 2;
	}
	return 0;
}

/* args_copy: in[0..n) and every string and list under it, into a */
static int
args_copy(struct arena *a, const struct imap_search_arg *in, size_t n,
	  struct imap_search_arg **out_r)
{
	struct imap_search_arg *out, *sub;
	int ret;

	if ((out = arena_zalloc(a, (n ? n : 1) * sizeof(*out))) == NULL)
		return -ERR_LIMIT;
	for (size_t i = 0; i < n; i++) {
		out[i] = in[i];
		if (in[i].type == IMAP_SEARCH_ARG_LIST) {
			if ((ret = args_copy(a, in[i].list, in[i].count,
					     &sub)) < 0)
				return ret;
			out[i].list = sub;
		} else if ((out[i].str = arena_strndup(a, in[i].str,
							in[i].len)) == NULL) {
			return -ERR_LIMIT;
		}
	}
	*out_r = out;
	return 0;
}

int
imap_search_cmd_program_in(struct imap_cmd *cmd, struct arena *a,
			   const struct imap_arg *args, unsigned argc,
			   const char *charset, struct imap_search_key **prog_r,
			   const char **error_r)
{
	struct imap_search_arg *sargs;
	int ret;

	if ((ret = imap_search_cmd_convert(cmd->arena, args, argc,
					   &sargs)) < 0 ||
	    (ret = searchres_subst(cmd, sargs, argc)) < 0 ||
	    (a != cmd->arena &&
	     (ret = args_copy(a, sargs, argc, &sargs)) < 0)) {
		*error_r = ret == -ERR_LIMIT ? "Search program too large" :
			   "Invalid search argument";
		return ret;
	}
	return imap_search_parse(a, sargs, argc, charset, prog_r, error_r);
}

int
imap_search_cmd_program(struct imap_cmd *cmd, const struct imap_arg *args,
			unsigned argc, const char *charset,
			struct imap_search_key **prog_r, const char **error_r)
{
	return imap_search_cmd_program_in(cmd, cmd->arena, args, argc,
					  charset, prog_r, error_r);
}

int
imap_search_cmd_parse_error(struct imap_cmd *cmd, int err, const char *error)
{
	if (err == -ERR_INVAL)
		return imap_command_done(cmd, "NO", "[BADCHARSET ("
					 IMAP_SEARCH_CHARSETS ")] %s", error);
	return imap_command_done(cmd, "BAD", "%s", error);
}
