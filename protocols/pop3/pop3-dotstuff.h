/* Maildock - SPDX-License-Identifier: MIT
 *
 * The body of a RETR or TOP reply as a streaming filter (RFC 1939 sec. 3):
 * bare LF becomes CRLF, a line starting with "." gets another "." in front,
 * the reply ends with CRLF "." CRLF; for TOP, output stops after the header,
 * the blank line and n body lines. Constant memory, whatever the message
 * size; pure, so it is unit-tested and fuzzed on its own.
 */
#ifndef PROTOCOLS_POP3_POP3_DOTSTUFF_H
#define PROTOCOLS_POP3_POP3_DOTSTUFF_H

#include <stdint.h>
#include "core/compat.h"

struct pop3_dotstuff {
	bool bol;		/* the next output byte starts a line */
	bool cr;		/* the last input byte was a CR */
	bool in_body;		/* the header's blank line was passed */
	bool limit;		/* TOP: stop after lines_left body lines */
	bool done;		/* TOP's limit was reached */
	size_t linelen;		/* input bytes of the current line */
	uint64_t lines_left;
};

/* The most bytes pop3_dotstuff_feed writes per input byte, and the most
 * pop3_dotstuff_finish writes. */
#define POP3_DOTSTUFF_EXPANSION 2
#define POP3_DOTSTUFF_FINISH_MAX 5

/* pop3_dotstuff_init: a filter for a whole message (top false) or for TOP
 * with lines body lines (0: the header and the blank line only). */
void pop3_dotstuff_init(struct pop3_dotstuff *d, bool top, uint64_t lines);

/* pop3_dotstuff_feed: convert in[0..n) into out, which must have room for
 * POP3_DOTSTUFF_EXPANSION * n bytes. Returns the bytes written. Once
 * pop3_dotstuff_done is true, further input is ignored (returns 0). */
size_t pop3_dotstuff_feed(struct pop3_dotstuff *d, const char *in, size_t n,
			  char *out);

/* pop3_dotstuff_done: whether TOP's line limit was reached (the caller may
 * stop reading the message). */
bool pop3_dotstuff_done(const struct pop3_dotstuff *d);

/* pop3_dotstuff_finish: the end of the reply: a CRLF if the message did not
 * end with a line break, then ".\r\n". Writes at most
 * POP3_DOTSTUFF_FINISH_MAX bytes into out and returns the count. */
size_t pop3_dotstuff_finish(struct pop3_dotstuff *d, char *out);

#endif
