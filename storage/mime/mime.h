/* Maildock - SPDX-License-Identifier: MIT
 *
 * RFC 5322 / MIME message parser over the raw bytes of a message file, with
 * everything FETCH needs (envelope fields, body structure tree, CRLF sizes,
 * section offsets, CRLF streaming with partial ranges) and the decoders
 * SEARCH needs (RFC 2047 words, quoted-printable, base64, charset to UTF-8).
 *
 * The file may use LF or CRLF line ends. IMAP counts octets of the message
 * in CRLF form (RFC 3501 2.3.4), so each size below comes in two units:
 * "raw" (bytes in the file) and "crlf" (bytes once every bare LF became CRLF;
 * a lone CR stays one octet). The parse follows Dovecot 2.3's
 * message-parser, so answers match Dovecot's for the same file.
 *
 * Memory: all results live in the struct arena passed in and stay valid
 * until that arena is reset; the raw bytes are not copied, so the caller
 * keeps them mapped as long as it uses the result. Nothing here keeps global
 * state: every function is thread-safe on distinct arenas / results, and a
 * parsed struct mime_message is read-only, so several threads may read one.
 */
#ifndef STORAGE_MIME_MIME_H
#define STORAGE_MIME_MIME_H

#include <stdint.h>
#include "core/sbuf.h"
#include "core/compat.h"

struct arena;

/* Depth cap: parts exist down to depth MIME_MAX_DEPTH - 1 (the root is 0);
 * a multipart or message/rfc822 there is kept as an opaque leaf, as with
 * Dovecot's max_nested_mime_parts = 100. Part cap: at most this many parts;
 * later boundaries are body text. */
#define MIME_MAX_DEPTH 100
#define MIME_MAX_PARTS 10000

/* Part flags (struct mime_part.flags):
 * MULTIPART: multipart/(any), parsed; its parts are the children.
 * RFC822: message/rfc822, parsed; the encapsulated message is the child.
 * TEXT: text/(any), or text/plain by default.
 * IS_MIME: MIME-Version or Content-Type seen, or a member of a multipart.
 * HAS_NULS: NUL bytes somewhere in the part.
 * DIGEST: multipart/digest, whose parts default to message/rfc822. */
#define MIME_PART_MULTIPART	0x01u
#define MIME_PART_RFC822	0x02u
#define MIME_PART_TEXT		0x04u
#define MIME_PART_IS_MIME	0x08u
#define MIME_PART_HAS_NULS	0x10u
#define MIME_PART_DIGEST	0x20u

/* Octet counts of one region. raw: bytes in the file; crlf: octets in CRLF
 * form (RFC 3501 size); lines: LF count. */
struct mime_size {
	uint64_t raw;
	uint64_t crlf;
	uint64_t lines;
};

/* One MIME parameter (RFC 2045 5.1) with RFC 2231 continuations joined
 * ("name*0", "name*1" -> "name"; extended ones -> "name*" whose value keeps
 * its charset'lang' prefix and %-escapes, as Dovecot reports them). The
 * name keeps the header's case (compare case-insensitively); both strings
 * are NUL-terminated. */
struct mime_param {
	const char *name;
	const char *value;
};

/* One address of an address list (RFC 5322 3.4, obsolete syntax 4.4),
 * in IMAP ENVELOPE form (RFC 3501 7.4.2): NULL stands for NIL. A group
 * "name: a, b;" is a start marker {mailbox = "name", domain = NULL}, its
 * members, then an end marker with all four NULL. RFC 2047 words are left
 * encoded, as on the wire. Strings are NUL-terminated. */
struct mime_addr {
	const char *name;
	const char *route;
	const char *mailbox;
	const char *domain;
	struct mime_addr *next;
};

/* The ENVELOPE fields of one message. date, subject, in_reply_to and
 * message_id are the raw header values (p == NULL when the header is absent;
 * a later header of the same name replaces an earlier one, as in Dovecot):
 * leading white space after the colon skipped, the line breaks of folded
 * lines kept as a single LF, CRs removed; they may contain NUL and 8-bit
 * bytes. Address lists are NULL when absent or empty. sender and reply_to
 * are NOT defaulted to from here: the IMAP formatter does that. */
struct mime_envelope {
	struct sview date;
	struct sview subject;
	struct mime_addr *from;
	struct mime_addr *sender;
	struct mime_addr *reply_to;
	struct mime_addr *to;
	struct mime_addr *cc;
	struct mime_addr *bcc;
	struct sview in_reply_to;
	struct sview message_id;
};

/* One node of the body structure tree. Offsets are raw file offsets. The
 * part's bytes are [offset, offset + header.raw + body.raw): its MIME
 * header block (including the blank line that ends it, except that the
 * newline just before a boundary line belongs to the boundary, RFC 2046
 * 5.1.1) then its body. For the root, the header block is the message
 * header. For a message/rfc822
 * part, the body is the encapsulated message, which is the single child;
 * that child's header is the encapsulated message's header.
 *
 * Content-* fields come from the part's own header, only when the part is
 * MIME (MIME_PART_IS_MIME); p == NULL / count 0 means absent. type and
 * subtype keep the header's case (compare case-insensitively); when
 * Content-Type is absent, type.p is NULL and the defaults of RFC 2045 5.2 /
 * RFC 2046 5.1.5 apply (see flags); when it is malformed, type and subtype
 * are "" (or the type alone with subtype "", for "Content-Type: text"), as
 * Dovecot reports them. language holds the
 * Content-Language tags. envelope is set on the root and on every child of a
 * message/rfc822 part, NULL elsewhere. */
struct mime_part {
	struct mime_part *parent, *next, *children;
	unsigned int flags;		/* MIME_PART_* */
	unsigned int depth;		/* 0 for the root */
	uint64_t offset;		/* raw offset of the header block */
	struct mime_size header;	/* header block incl. the blank line */
	struct mime_size body;		/* all after the header block */

	struct sview type, subtype;
	struct mime_param *params;
	unsigned int nparams;
	struct sview id, description, encoding, md5, location;
	struct sview disposition;
	struct mime_param *disp_params;
	unsigned int ndisp_params;
	const char **language;
	unsigned int nlanguage;

	struct mime_envelope *envelope;
};

/* A parsed message. data/size: the raw bytes (not owned). size_crlf is
 * RFC822.SIZE. nparts counts every node of the tree. */
struct mime_message {
	const unsigned char *data;
	size_t size;
	uint64_t size_crlf;
	struct mime_part *root;
	unsigned int nparts;
};

/* mime_parse: parse size bytes at data into *msg_r (allocated in a).
 * Never fails on malformed input (missing or unterminated boundaries, bare
 * LF/CR, NULs, endless nesting, huge header lines all give a usable tree);
 * runs in time linear in size times the depth of nested boundaries
 * (bounded by MIME_MAX_DEPTH). data must stay valid while *msg_r is used.
 * Returns 0, or -ERR_LIMIT when the arena's cap was reached (then *msg_r is
 * NULL). Thread-safe (no shared state). */
int mime_parse(struct arena *a, const void *data, size_t size,
	       struct mime_message **msg_r);

/* mime_map_fd: map the regular file open on fd read-only into *data_r,
 * *size_r octets; the mapping is released when a is reset
 * (arena_on_reset). An empty file gives "" and 0. Returns 0, -ERR_IO (not
 * a regular file, fstat/mmap failed, errno set), -ERR_LIMIT (arena cap).
 * The fd may be closed after return. The same rule as for mime_parse_fd
 * keeps the mapping valid. Thread-safe. */
int mime_map_fd(struct arena *a, int fd, const void **data_r,
		size_t *size_r);

/* mime_parse_fd: map the regular file open on fd read-only and parse it;
 * the mapping is released when a is reset (arena_on_reset). Empty files
 * parse as an empty message. Returns 0, -ERR_IO (fstat/mmap failed, errno
 * set), -ERR_LIMIT (arena cap). The fd may be closed after return.
 * Relies on Maildir's rule that a delivered message file is never rewritten
 * in place (unlinking it is fine: the mapping stays valid); truncating a
 * mapped file under a reader would fault. */
int mime_parse_fd(struct arena *a, int fd, struct mime_message **msg_r);

/* mime_part_find: the part addressed by the IMAP section part number
 * nums[0].nums[1]...  (n >= 1), with RFC 3501 6.4.5 semantics as Dovecot
 * implements them: the parts of a multipart are numbered from 1; a
 * non-multipart body has only part 1 (itself); a number after a
 * message/rfc822 part addresses the parts of the encapsulated message's body.
 * Returns NULL when no such part exists (or a number is 0). n == 0 returns
 * the root. Pure, thread-safe. */
const struct mime_part *mime_part_find(const struct mime_message *m,
				       const unsigned int *nums, size_t n);

/* Section kinds of BODY[section] (RFC 3501 6.4.5). */
enum mime_section_kind {
	MIME_SECTION_FULL,		/* [] or [n]: message / part body */
	MIME_SECTION_HEADER,		/* [HEADER], [n.HEADER] */
	MIME_SECTION_HEADER_FIELDS,	/* [HEADER.FIELDS (...)] */
	MIME_SECTION_HEADER_FIELDS_NOT,	/* [HEADER.FIELDS.NOT (...)] */
	MIME_SECTION_TEXT,		/* [TEXT], [n.TEXT] */
	MIME_SECTION_MIME		/* [n.MIME] (n required) */
};

/* A section request. nums/n: the part number (n == 0: the message).
 * fields/nfields: header names for the HEADER.FIELDS kinds (matched
 * case-insensitively; not copied). */
struct mime_section {
	const unsigned int *nums;
	size_t n;
	enum mime_section_kind kind;
	const char *const *fields;
	size_t nfields;
};

/* Where a section's bytes are. If filtered.p is NULL, the section is the
 * raw file range [offset, offset + raw_len) whose CRLF form is crlf_len
 * octets (stream it with mime_write_range). If filtered.p is set
 * (HEADER.FIELDS[.NOT]), the section's bytes are already built in CRLF form
 * in the arena: filtered.len == crlf_len. */
struct mime_extract {
	uint64_t offset;
	uint64_t raw_len;
	uint64_t crlf_len;
	struct sview filtered;
};

/* mime_section_locate: resolve s against m into *ex_r.
 * Semantics (Dovecot 2.3 = RFC 3501 6.4.5): [n] is the body of part n (for a
 * message/rfc822 part: the whole encapsulated message); [n.MIME] is part n's
 * own header block (for a part directly under message/rfc822 or a
 * non-multipart root that is the message header); [n.HEADER], [n.TEXT],
 * [n.HEADER.FIELDS...] need part n to be message/rfc822 and address the
 * encapsulated message. [HEADER.FIELDS...] output is the matching (or
 * non-matching) header fields, each with its folded lines, in file order,
 * then a blank line (always, RFC 3501 6.4.5).
 * Returns 0; -ERR_NOTFOUND when the part does not exist or the kind does
 * not apply to it (FETCH then answers an empty string / NIL); -ERR_INVAL
 * for MIME without a part number or a deserialized message not attached
 * (mime_attach); -ERR_LIMIT on arena cap. Thread-safe. */
int mime_section_locate(struct arena *a, const struct mime_message *m,
			const struct mime_section *s,
			struct mime_extract *ex_r);

/* mime_partial_len: octets that BODY[...]<start.len> sends for a section of
 * total octets (RFC 3501 6.4.5): 0 when start >= total, else
 * min(len, total - start). Pure. */
uint64_t mime_partial_len(uint64_t total, uint64_t start, uint64_t len);

/* Output callback for mime_write_range: write n bytes; return 0 or a
 * negative error (-ERR_*), which stops the write and is passed back. */
typedef int mime_write_fn(void *ctx, const void *p, size_t n);

/* mime_write_range: stream the raw bytes [offset, offset + raw_len) of data
 * in CRLF form (a LF not preceded by CR becomes CRLF) with NUL bytes
 * replaced by 0x80 when nul_to_80 (IMAP literals carry no NUL, RFC 3501
 * 4.3; Dovecot does the same), skipping the first `start` CRLF-form octets
 * and writing at most `len` octets (UINT64_MAX: all). Calls fn with chunks
 * of at most 8 KiB, reading data sequentially (so an mmap is paged in
 * lazily). A CRLF split by start writes only the LF. Returns the number of
 * octets written (== mime_partial_len(crlf size, start, len)) as a
 * non-negative int64_t, or fn's negative error. Thread-safe. */
int64_t mime_write_range(const unsigned char *data, uint64_t offset,
			 uint64_t raw_len, uint64_t start, uint64_t len,
			 bool nul_to_80, mime_write_fn *fn, void *ctx);

/* mime_extract_write: write section ex of m (as located above) in CRLF
 * form with NULs as 0x80 and the partial range <start.len> applied (len
 * UINT64_MAX: no partial): streams from the file or from ex->filtered.
 * Announce mime_partial_len(ex->crlf_len, start, len) octets first; exactly
 * that many are written. Same return as mime_write_range. */
int64_t mime_extract_write(const struct mime_message *m,
			   const struct mime_extract *ex, uint64_t start,
			   uint64_t len, mime_write_fn *fn, void *ctx);

/* Header access. An iterator over the fields of one header block. */
struct mime_header_iter {
	const unsigned char *p, *end;
};

/* mime_header_iter_init: iterate over the header block of part (the
 * message header for the root; for a child of message/rfc822, the
 * encapsulated message's header). A deserialized message that is not
 * attached has no fields. */
void mime_header_iter_init(struct mime_header_iter *it,
			   const struct mime_message *m,
			   const struct mime_part *part);

/* mime_header_iter_next: the next field. name_r: the field name (white
 * space before the colon trimmed; a line without colon is a field whose
 * name is the whole line and whose value is empty); value_r: the raw value
 * after the colon, leading white space skipped, still folded (line breaks
 * inside, no final line break). Views point into the message bytes.
 * Returns false at the end of the header block. */
bool mime_header_iter_next(struct mime_header_iter *it, struct sview *name_r,
			   struct sview *value_r);

/* mime_header_get: the unfolded value (CR and LF of folds removed, RFC 5322
 * 2.2.3) of the first field named name (case-insensitive) in part's header
 * block, in the arena, NUL-terminated. Returns 1 found, 0 absent,
 * -ERR_LIMIT arena cap. */
int mime_header_get(struct arena *a, const struct mime_message *m,
		    const struct mime_part *part, const char *name,
		    struct sview *value_r);

/* mime_unfold: copy of raw without CR/LF (RFC 5322 2.2.3 unfolding; a TAB
 * that starts a folded line becomes a space, so "a\n\tb" reads "a b"), in
 * the arena, NUL-terminated. NULL on arena cap. */
char *mime_unfold(struct arena *a, struct sview raw, size_t *len_r);

/* Decoders for SEARCH (all write NUL-terminated UTF-8 into the arena and
 * return 0 or -ERR_LIMIT on arena cap; malformed input never fails: bad
 * sequences are copied or skipped as Dovecot does). */

/* mime_addr_parse: an address list (RFC 5322 3.4 with 4.4 obsolete forms)
 * the way Dovecot's message_address_parse(fill_missing) reads it, into
 * arena a: comments and folding white space dropped, so
 * "<u (c)@ (c) d.org>" gives mailbox "u", domain "d.org". *list_r is NULL
 * for an empty list. Returns 0 or -ERR_LIMIT (arena cap). Thread-safe. */
int mime_addr_parse(struct arena *a, const void *p, size_t len,
		    struct mime_addr **list_r);

/* mime_decode_words: unfold, then decode RFC 2047 encoded-words (B and Q,
 * any iconv charset, RFC 2231 language suffix ignored); white space between
 * adjacent encoded-words is dropped (RFC 2047 6.2); undecodable words stay as
 * they are; raw 8-bit text is read as UTF-8, invalid bytes become U+FFFD. */
int mime_decode_words(struct arena *a, struct sview raw, struct sview *out_r);

/* mime_decode_qp: quoted-printable (RFC 2045 6.7) to bytes; soft breaks
 * removed, bad escapes kept literally. */
int mime_decode_qp(struct arena *a, struct sview in, struct sview *out_r);

/* mime_decode_base64: base64 (RFC 2045 6.8) to bytes; characters outside
 * the alphabet ignored, decoding stops at the end or at '='. */
int mime_decode_base64(struct arena *a, struct sview in, struct sview *out_r);

/* mime_charset_to_utf8: convert in from charset to UTF-8 with iconv;
 * NULL, US-ASCII, UTF-8 and charsets iconv does not know are read as UTF-8.
 * Invalid sequences become U+FFFD. */
int mime_charset_to_utf8(struct arena *a, const char *charset,
			 struct sview in, struct sview *out_r);

/* mime_part_text: the decoded text of a leaf part for SEARCH BODY/TEXT:
 * transfer encoding undone (7bit/8bit/binary as is, quoted-printable,
 * base64; read from the header even without MIME-Version), then converted
 * from the charset parameter to UTF-8. Only text/, message/ and untyped
 * parts have text; other types, multiparts (their preamble/epilogue too),
 * message/rfc822 containers and unknown transfer encodings give an empty
 * text (as Dovecot searches).
 * Returns 0, -ERR_LIMIT (arena cap) or -ERR_INVAL (a deserialized message
 * not attached). */
int mime_part_text(struct arena *a, const struct mime_message *m,
		   const struct mime_part *part, struct sview *out_r);

/* Cache support: a parsed message as bytes and back, so ENVELOPE, BODY and
 * BODYSTRUCTURE need no message file on a later FETCH. */

/* mime_serialize: append the binary form of m (part tree, Content-* data,
 * envelopes, sizes; not the message bytes) to out. The format is versioned
 * and independent of the host. Returns 0, or -ERR_LIMIT when out failed. */
int mime_serialize(const struct mime_message *m, struct sbuf *out);

/* mime_deserialize: rebuild a message from len bytes of mime_serialize
 * output into the arena. Every length, count, depth and part range is
 * checked (parts lie inside the message and their parents), so damaged
 * input gives -ERR_CORRUPT, never a crash; -ERR_LIMIT on arena cap. The
 * result has data == NULL: envelope, structure and sizes are usable at
 * once; sections, header access and text decoding need mime_attach first.
 * The caller checks that the cache entry belongs to the file (name, size,
 * mtime); this layer only guarantees memory safety. */
int mime_deserialize(struct arena *a, const void *buf, size_t len,
		     struct mime_message **msg_r);

/* mime_attach: give a deserialized message its file bytes (not copied).
 * Returns 0, or -ERR_CORRUPT when size differs from the parsed size (the
 * file changed: parse it again). */
int mime_attach(struct mime_message *m, const void *data, size_t size);

/* mime_param_get: value of parameter name (case-insensitive) among
 * params, or NULL. Pure. */
const char *mime_param_get(const struct mime_param *params, unsigned int n,
			   const char *name);

#endif
