/* Maildock - SPDX-License-Identifier: MIT
 *
 * IMAP responses (RFC 3501 section 7): tagged and untagged lines, and the
 * encoding of strings as atom, quoted string or literal as their bytes
 * require (a name with '"' or CR/LF must never break the framing).
 */
#ifndef IMAP_REPLY_H
#define IMAP_REPLY_H

#include <stdint.h>
#include "core/compat.h"

struct imap_result;
struct imap_session;
struct sbuf;
struct store_mailbox;
struct store_msg;

/* Output of one response line is built in an sbuf and written whole;
 * replies longer than this are refused (-ERR_LIMIT) rather than cut. */
#define IMAP_REPLY_LINE_MAX (1024 * 1024)

/* imap_reply_tagged: write "<tag> <status> [<code>] <text>\r\n" for res
 * (tag NULL: "*"; res->text bounded by imap_command_done) and flush;
 * nothing else: the untagged updates before it are the dispatcher's
 * (imap_command_finish). Returns IMAP_CMD_DONE (0) or a conn write
 * error. */
int imap_reply_tagged(struct imap_session *sess, const char *tag,
		      const struct imap_result *res);

/* imap_reply_untagged: queue "* <text>\r\n" (not flushed). Text must not
 * contain client data that needs quoting: build such lines in an sbuf with
 * the append helpers below and use imap_reply_line. Returns 0 or a conn
 * write error. */
int imap_reply_untagged(struct imap_session *sess, const char *fmt, ...)
	ATTR_PRINTF(2, 3);

/* imap_reply_line: queue b's bytes followed by CRLF (b holds a whole
 * response without its line end, e.g. "* LIST (...) "." "a""). Returns 0,
 * -ERR_LIMIT when b failed (over its max; nothing is written) or a conn
 * write error. */
int imap_reply_line(struct imap_session *sess, const struct sbuf *b);

/* imap_reply_write: queue raw bytes (literal data of FETCH). Returns 0 or
 * a conn write error. imap_reply_flush sends everything queued. */
int imap_reply_write(struct imap_session *sess, const void *p, size_t n);
int imap_reply_flush(struct imap_session *sess);

/* imap_reply_continue: send "+ <text>\r\n" and flush (RFC 3501 7.5; text
 * "" gives "+ " with the space, never a bare "+"). */
int imap_reply_continue(struct imap_session *sess, const char *text);

/* String encoders appending to b. All are pure.
 * imap_reply_append_string: s[0..n) as a quoted string when it has only
 * 7-bit TEXT-CHARs (with '"' and '\' escaped) and is short, else as a
 * literal "{n}\r\n<bytes>" (RFC 3501 4.3).
 * imap_reply_append_astring: as an atom when every byte is an ATOM-CHAR
 * and it is not "NIL" (any case), else as imap_reply_append_string.
 * imap_reply_append_nstring: NIL for s == NULL, else a string. */
void imap_reply_append_string(struct sbuf *b, const char *s, size_t n);
void imap_reply_append_astring(struct sbuf *b, const char *s, size_t n);
void imap_reply_append_nstring(struct sbuf *b, const char *s, size_t n);

/* imap_reply_append_mailbox: the UTF-8 folder name (store.h form) in
 * modified UTF-7 (RFC 3501 5.1.3), quoted or literal as needed; with
 * utf8_out (the client enabled UTF8=ACCEPT, RFC 6855 3) as a quoted
 * UTF-8 string instead. Returns 0 or -ERR_INVAL for a name that cannot be
 * encoded. */
int imap_reply_append_mailbox(struct sbuf *b, const char *utf8_name,
			      bool utf8_out);

/* imap_reply_append_flags: "(\Seen \Recent $Label1 ...)" for msg of mb:
 * system flags, \Recent when set, then the message's keywords. */
void imap_reply_append_flags(struct sbuf *b, const struct store_mailbox *mb,
			     const struct store_msg *msg);

/* imap_reply_append_flag_mask: the system flags of mask (STORE_FLAG_*) as
 * space-separated names "\Seen \Answered ..." without parentheses; nothing
 * for 0. */
void imap_reply_append_flag_mask(struct sbuf *b, unsigned mask);

/* imap_reply_append_date: an INTERNALDATE date-time "dd-Mon-yyyy hh:mm:ss
 * +zzzz" (quoted) of t in the server's local zone (localtime_r). */
void imap_reply_append_date(struct sbuf *b, int64_t t);

#endif
