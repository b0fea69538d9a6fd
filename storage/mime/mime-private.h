/* Maildock - SPDX-License-Identifier: MIT
 *
 * Internals shared by the storage/mime files: the RFC 5322 tokenizer, the
 * parameter and address parsers, the Content-* header data. Not for use
 * outside storage/mime (the contract is mime.h).
 */
#ifndef STORAGE_MIME_MIME_PRIVATE_H
#define STORAGE_MIME_MIME_PRIVATE_H

#include "storage/mime/mime.h"

/* A cursor over header text; comment, when set, receives the text of the
 * last comment skipped (for "addr (Name)"). */
struct mime_tok {
	const unsigned char *p, *end;
	struct sbuf *comment;
};

static inline void
mime_tok_init(struct mime_tok *t, const void *p, size_t len,
	      struct sbuf *comment)
{
	t->p = p;
	t->end = t->p + len;
	t->comment = comment;
}

/* Token readers (RFC 5322 3.2, RFC 2045 5.1). Each appends what it reads
 * to str and returns 1 when more input follows, 0 at the end, -1 on a
 * syntax error (the cursor is then somewhere inside the bad token). */
int mime_tok_skip_lwsp(struct mime_tok *t);
int mime_tok_atom(struct mime_tok *t, struct sbuf *str);
int mime_tok_dot_atom(struct mime_tok *t, struct sbuf *str);
int mime_tok_mime_token(struct mime_tok *t, struct sbuf *str);
int mime_tok_quoted(struct mime_tok *t, struct sbuf *str);
int mime_tok_phrase(struct mime_tok *t, struct sbuf *str);
int mime_tok_domain(struct mime_tok *t, struct sbuf *str);
int mime_tok_content_type(struct mime_tok *t, struct sbuf *str);

/* mime_tok_params: the ";"-separated parameters after a Content-Type or
 * Content-Disposition value, RFC 2231 continuations merged, into an arena
 * array. Returns 0 or -ERR_LIMIT. */
int mime_tok_params(struct arena *a, struct mime_tok *t,
		    struct mime_param **params_r, unsigned int *count_r);

/* Content-* data of one part from one header field (name without
 * "Content-"), only the first of each kind counts. Returns 0 / -ERR_LIMIT. */
int mime_content_field(struct arena *a, struct mime_part *part,
		       struct sview name, struct sview value);

/* Where the next address of each address field (From, Sender, Reply-To,
 * To, Cc, Bcc) is appended; zeroed for each header block. */
struct mime_env_tails {
	struct mime_addr **tail[6];
};

/* Envelope field: Date/Subject/Message-ID/In-Reply-To replace an earlier
 * one; addresses of repeated fields are appended. */
int mime_envelope_field(struct arena *a, struct mime_envelope *env,
			struct mime_env_tails *tails, struct sview name,
			struct sview value);

/* One header field as Dovecot's header parser sees it (RFC 5322 2.2): the
 * first line and its continuation lines (those starting with SP or TAB). */
struct mime_hdr {
	size_t start, end;	/* bytes [start, end) incl. the last newline */
	size_t name_end;	/* name is [start, name_end), LWSP trimmed */
	size_t value_start;	/* first-line value after LWSP skipping */
	bool colon;		/* false: the whole line is the name */
	bool nul;		/* the field holds a NUL byte */
	unsigned int last_nl;	/* newline of the last line: 0, 1 (LF), 2 (CRLF) */
	uint64_t lines, crlf;	/* LF count and CRLF size of [start, end) */
};

/* mime_hdr_next: read the field starting at pos (< end). Returns 1 for a
 * field, 0 for the empty line ending the header block (h->end is after
 * it), -1 when pos == end. */
int mime_hdr_next(const unsigned char *d, size_t pos, size_t end,
		  struct mime_hdr *h);

/* mime_hdr_value: the value as Dovecot's full_value: first-line value,
 * then for each continuation line a LF and the line; final CRs dropped.
 * A view into d when the field is one line, else an arena copy. */
int mime_hdr_value(struct arena *a, const unsigned char *d,
		   const struct mime_hdr *h, struct sview *value_r);

/* Copy [p, p+len) into the arena, NUL-terminated. */
char *mime_strndup(struct arena *a, const void *p, size_t len);

#endif
