/* Maildock - SPDX-License-Identifier: MIT
 *
 * FETCH data items (RFC 3501 section 6.4.5): parsing of the item list,
 * macros and BODY[section]<partial> specifications, and writing one
 * message's FETCH response with body sections streamed from the file.
 */
#ifndef IMAP_FETCH_H
#define IMAP_FETCH_H

#include <stdint.h>
#include "core/compat.h"
#include "storage/mime/mime.h"
#include "storage/store-info.h"

struct arena;
struct imap_arg;
struct imap_session;
struct store_mailbox;
struct sbuf;

/* Part numbers in one section spec, at most (deeper parts cannot exist:
 * MIME_MAX_DEPTH); header names in one HEADER.FIELDS list, at most. */
#define IMAP_FETCH_MAX_PART_DEPTH MIME_MAX_DEPTH
#define IMAP_FETCH_MAX_FIELDS 256
#define IMAP_FETCH_MAX_SECTIONS 64
/* The part of one message's FETCH response built in memory (everything but
 * streamed body sections): ENVELOPE and BODYSTRUCTURE carry header fields
 * whole, and anyone can send a message with a megabyte Subject; RFC 3501
 * sets no limit, so this only bounds memory. */
#define IMAP_FETCH_BUFFER_MAX (16u * 1024 * 1024)

/* Simple items (bits of struct imap_fetch_items.items). */
#define IMAP_FETCH_FLAGS		(1u << 0)
#define IMAP_FETCH_INTERNALDATE		(1u << 1)
#define IMAP_FETCH_RFC822_SIZE		(1u << 2)
#define IMAP_FETCH_ENVELOPE		(1u << 3)
#define IMAP_FETCH_BODY			(1u << 4)	/* non-extensible */
#define IMAP_FETCH_BODYSTRUCTURE	(1u << 5)
#define IMAP_FETCH_UID			(1u << 6)
#define IMAP_FETCH_SAVEDATE		(1u << 7)	/* RFC 8514 */
#define IMAP_FETCH_PREVIEW		(1u << 8)	/* RFC 8970 */
#define IMAP_FETCH_EMAILID		(1u << 9)	/* RFC 8474 */
#define IMAP_FETCH_THREADID		(1u << 10)
#define IMAP_FETCH_MODSEQ		(1u << 11)	/* RFC 7162 3.1.4.1 */

/* What a section sends: BODY[...] as stored, or BINARY (RFC 3516). */
enum imap_fetch_binary {
	IMAP_FETCH_AS_BODY = 0,
	IMAP_FETCH_BINARY_DATA,		/* BINARY[n], BINARY.PEEK[n] */
	IMAP_FETCH_BINARY_SIZE,		/* BINARY.SIZE[n] */
};

/* One BODY[section]<partial> (or RFC822, RFC822.HEADER, RFC822.TEXT, or a
 * BINARY item: part numbers only, decoded). */
struct imap_fetch_section {
	const char *name;	/* response item name without the <origin>,
				   e.g. "BODY[1.HEADER.FIELDS (FROM)]" */
	bool peek;		/* does not set \Seen */
	struct mime_section sec;
	bool partial;
	uint64_t start, len;	/* when partial */
	enum imap_fetch_binary binary;
};

struct imap_fetch_items {
	unsigned items;		/* IMAP_FETCH_* */
	struct imap_fetch_section *sections;
	size_t nsections;
	bool sets_seen;		/* some section is not a PEEK */
	bool needs_file;	/* envelope, structure or a section */
	bool header_only;	/* ...but only the message header's */
	bool needs_text;	/* a body text (PREVIEW) */
};

/* imap_fetch_parse: the FETCH item argument (an atom: one item or a macro
 * ALL/FAST/FULL; or a list of items) into *items_r, allocated in arena.
 * uid adds UID (UID FETCH always reports it, RFC 3501 6.4.8). Returns 0,
 * -ERR_SYNTAX (BAD; *error_r is a static text), -ERR_LIMIT (too many
 * sections or fields, or arena cap). Thread-safe with distinct arenas. */
int imap_fetch_parse(struct arena *arena, const struct imap_arg *arg,
		     bool uid, struct imap_fetch_items *items_r,
		     const char **error_r);

/* What the response writer needs of one message. */
struct imap_fetch_msg {
	uint32_t seq;
	const struct store_msg *msg;
	time_t internal_date;
	time_t save_date;	/* 0: not known (NIL) */
	char email_id[STORE_OBJECTID_SIZE];	/* RFC 8474 */
	char thread_id[STORE_OBJECTID_SIZE];
	uint64_t size;
	const struct mime_message *mime;	/* when items->needs_file */
	/* \Seen was just set: send FLAGS too (with CONDSTORE, UID and
	 * MODSEQ as well) */
	bool add_flags;
};

/* imap_fetch_write: write "* <seq> FETCH (...)" CRLF for m to the session
 * (queued; body sections streamed in CRLF form, partial ranges applied,
 * NUL bytes sent as 0x80; BINARY sections of a base64 or quoted-printable
 * part decoded in scratch first, sent as a literal8 "~{n}" when they hold
 * NUL, RFC 3516 4.3). scratch is an arena for this message only.
 * Returns 0; -ERR_LIMIT when the answer cannot be built (a line over
 * IMAP_REPLY_LINE_MAX, or the arena cap) and no byte of it was written;
 * -ERR_CORRUPT when a BINARY part's transfer encoding is unknown (the
 * command answers NO [UNKNOWN-CTE]) and no byte was written;
 * or, once bytes went out, -ERR_IO or a conn write error: the session
 * must end, as the response cannot be completed. */
int imap_fetch_write(struct imap_session *sess, struct arena *scratch,
		     const struct imap_fetch_items *items,
		     const struct imap_fetch_msg *m);

#endif
