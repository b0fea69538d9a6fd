/* Maildock - SPDX-License-Identifier: MIT
 *
 * RETR/TOP output filter: CRLF conversion, dot-stuffing and TOP's line
 * count, one input byte at a time with a few bits of state, so a 20 MB
 * message goes through a fixed-size buffer.
 */
#include "protocols/pop3/pop3-dotstuff.h"

void
pop3_dotstuff_init(struct pop3_dotstuff *d, bool top, uint64_t lines)
{
	*d = (struct pop3_dotstuff){ .bol = true, .limit = top,
				     .lines_left = lines };
}

bool
pop3_dotstuff_done(const struct pop3_dotstuff *d)
{
	return d->done;
}

/* A line ended (at its LF): decide whether TOP has what it needs. */
static void
end_line(struct pop3_dotstuff *d)
{
	bool empty = d->linelen == 0 || (d->linelen == 1 && d->cr);

	if (!d->in_body) {
		if (!empty)
			return;
		d->in_body = true;
		if (d->limit && d->lines_left == 0)
			d->done = true;
		return;
	}
	if (d->limit && --d->lines_left == 0)
		d->done = true;
}

size_t
pop3_dotstuff_feed(struct pop3_dotstuff *d, const char *in, size_t n,
		   char *out)
{
	size_t o = 0;

	for (size_t i = 0; i < n && !d->done; i++) {
		char c = in[i];
		if (c == '\n') {
			if (!d->cr)
				out[o++] = '\r';
			out[o++] = '\n';
			end_line(d);
			d->bol = true;
			d->cr = false;
			d->linelen = 0;
			continue;
		}
		if (d->bol && c == '.')
			out[o++] = '.';
		out[o++] = c;
		d->bol = false;
		d->cr = c == '\r';
		d->linelen++;
	}
	return o;
}

size_t
pop3_dotstuff_finish(struct pop3_dotstuff *d, char *out)
{
	size_t o = 0;

	if (!d->bol) {
		if (!d->cr)
			out[o++] = '\r';
		out[o++] = '\n';
	}
	out[o++] = '.';
	out[o++] = '\r';
	out[o++] = '\n';
	d->bol = true;
	d->cr = false;
	return o;
}
