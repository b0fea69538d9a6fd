/* Maildock - SPDX-License-Identifier: MIT
 *
 * Case-insensitive substring matching on UTF-8 for SEARCH (RFC 3501 6.4.4
 * asks for case-insensitive matching; RFC 5051 i;unicode-casemap is the
 * model, reduced to simple case folding of the common alphabets so that it
 * stays a table-free function and the folded text never grows).
 */
#include <string.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/imap/imap-search.h"
#include "core/compat.h"

#define SUBSTR_CHUNK IMAP_SEARCH_SUBSTR_CHUNK

static uint32_t
fold_cp(uint32_t c)
{
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? c + 32 : c;
	if (c < 0x100) {
		if (c == 0xB5)
			return 0x3BC;
		if (c >= 0xC0 && c <= 0xDE && c != 0xD7)
			return c + 32;
		return c;
	}
	if (c < 0x180) {
		if (c == 0x130)
			return 'i';
		if (c == 0x178)
			return 0xFF;
		if (c == 0x17F)
			return 's';
		if ((c >= 0x139 && c <= 0x148) || (c >= 0x179 && c <= 0x17E))
			return (c & 1) ? c + 1 : c;
		if (c == 0x131 || c == 0x138 || c == 0x149)
			return c;
		return (c & 1) ? c : c + 1;
	}
	if (c >= 0x370 && c < 0x400) {
		if (c == 0x386)
			return 0x3AC;
		if (c >= 0x388 && c <= 0x38A)
			return c + 37;
		if (c == 0x38C)
			return 0x3CC;
		if (c == 0x38E || c == 0x38F)
			return c + 63;
		if ((c >= 0x391 && c <= 0x3A1) || (c >= 0x3A3 && c <= 0x3AB))
			return c + 32;
		if (c == 0x3C2)
			return 0x3C3;
		return c;
	}
	if (c >= 0x400 && c < 0x530) {
		if (c < 0x410)
			return c + 80;
		if (c < 0x430)
			return c + 32;
		if (c < 0x460)
			return c;
		if ((c < 0x482) || (c >= 0x48A && c < 0x4C0) ||
		    (c >= 0x4D0 && c < 0x530))
			return (c & 1) ? c : c + 1;
		if (c == 0x4C0)
			return 0x4CF;
		if (c >= 0x4C1 && c <= 0x4CE)
			return (c & 1) ? c + 1 : c;
		return c;
	}
	if (c >= 0x531 && c <= 0x556)
		return c + 48;
	if ((c >= 0x1E00 && c <= 0x1E95) || (c >= 0x1EA0 && c <= 0x1EFF))
		return (c & 1) ? c : c + 1;
	if (c == 0x1E9E)
		return 0xDF;
	if (c == 0x2126)
		return 0x3C9;
	if (c == 0x212A)
		return 'k';
	if (c == 0x212B)
		return 0xE5;
	if (c >= 0xFF21 && c <= 0xFF3A)
		return c + 32;
	return c;
}

/* decode one UTF-8 sequence; returns its length (0: incomplete at the end
 * of the input, -1: invalid lead or continuation) */
static int
utf8_decode(const unsigned char *p, size_t n, uint32_t *c_r)
{
	unsigned need, i;
	uint32_t c;

	if (p[0] < 0x80) {
		*c_r = p[0];
		return 1;
	}
	if (p[0] >= 0xC2 && p[0] <= 0xDF) {
		need = 2;
		c = p[0] & 0x1F;
	} else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
		need = 3;
		c = p[0] & 0x0F;
	} else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
		need = 4;
		c = p[0] & 0x07;
	} else {
		return -1;
	}
	for (i = 1; i < need; i++) {
		if (i >= n)
			return 0;
		if ((p[i] & 0xC0) != 0x80)
			return -1;
		c = (c << 6) | (p[i] & 0x3F);
	}
	*c_r = c;
	return (int)need;
}

static size_t
utf8_encode(uint32_t c, char *out)
{
	if (c < 0x80) {
		out[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		out[0] = (char)(0xC0 | (c >> 6));
		out[1] = (char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		out[0] = (char)(0xE0 | (c >> 12));
		out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
		out[2] = (char)(0x80 | (c & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (c >> 18));
	out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
	out[3] = (char)(0x80 | (c & 0x3F));
	return 4;
}

size_t
imap_search_fold(const char *in, size_t len, char *out, bool partial,
		 size_t *consumed_r)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i = 0, o = 0;
	uint32_t c;
	int k;

	while (i < len) {
		/* runs of ASCII 8 bytes at a time (most mail text): a 0x80
		 * bit lands in each byte in 'A'..'Z' (no carry crosses a
		 * byte below 0x80), shifted to 0x20 it lowercases */
		while (len - i >= 8) {
			uint64_t w, up;

			memcpy(&w, p + i, 8);
			if (w & 0x8080808080808080ull)
				break;
			up = ((w + 0x3f3f3f3f3f3f3f3full) ^
			      (w + 0x2525252525252525ull)) &
			     0x8080808080808080ull;
			w |= up >> 2;
			memcpy(out + o, &w, 8);
			i += 8;
			o += 8;
		}
		if (i == len)
			break;
		if (p[i] < 0x80) {
			unsigned char b = p[i++];
			out[o++] = (char)((b >= 'A' && b <= 'Z') ? b + 32 : b);
			continue;
		}
		k = utf8_decode(p + i, len - i, &c);
		if (k == 0 && partial)
			break;
		if (k <= 0) {
			out[o++] = (char)p[i++];
			continue;
		}
		/* fold_cp never maps to a longer sequence (see the table);
		 * keep the original bytes if it ever would */
		{
			char tmp[4];
			size_t el = utf8_encode(fold_cp(c), tmp);

			if (el <= (size_t)k) {
				memcpy(out + o, tmp, el);
				o += el;
			} else {
				memcpy(out + o, p + i, (size_t)k);
				o += (size_t)k;
			}
		}
		i += (size_t)k;
	}
	if (consumed_r != NULL)
		*consumed_r = i;
	return o;
}

int
imap_search_substr_init(struct imap_search_substr *m, struct arena *a,
			const char *needle, size_t needle_len)
{
	memset(m, 0, sizeof(*m));
	m->needle = needle;
	m->needle_len = needle_len;
	/* carry (needle_len - 1) + raw tail (4) + one folded pass */
	m->buf_size = needle_len + 4 + SUBSTR_CHUNK;
	m->buf = arena_alloc(a, m->buf_size);
	if (m->buf == NULL)
		return -ERR_LIMIT;
	return 0;
}

/* fold in[0..n) (n <= SUBSTR_CHUNK) after the carry and search */
static int
substr_pass(struct imap_search_substr *m, const char *in, size_t n)
{
	size_t consumed, len, keep;
	char *start = m->buf + m->carry;
	size_t avail = n;

	len = imap_search_fold(in, avail, start, true, &consumed);
	len += m->carry;
	/* an incomplete UTF-8 tail waits for the next chunk */
	m->raw_len = avail - consumed;
	memcpy(m->raw, in + consumed, m->raw_len);
	if (len >= m->needle_len &&
	    memmem(m->buf, len, m->needle, m->needle_len) != NULL) {
		m->found = true;
		return 1;
	}
	keep = m->needle_len > 0 ? m->needle_len - 1 : 0;
	if (keep > len)
		keep = len;
	memmove(m->buf, m->buf + len - keep, keep);
	m->carry = keep;
	return 0;
}

int
imap_search_substr_feed(struct imap_search_substr *m, const char *p, size_t n)
{
	char joined[SUBSTR_CHUNK + 4];
	size_t step;

	if (m->found)
		return 1;
	if (m->needle_len == 0) {
		/* the empty string is in every text, even an empty one */
		m->found = true;
		return 1;
	}
	if (p == NULL) {
		m->carry = 0;
		m->raw_len = 0;
		return 0;
	}
	while (n > 0) {
		step = n < SUBSTR_CHUNK ? n : SUBSTR_CHUNK;
		memcpy(joined, m->raw, m->raw_len);
		memcpy(joined + m->raw_len, p, step);
		if (substr_pass(m, joined, m->raw_len + step) == 1)
			return 1;
		p += step;
		n -= step;
	}
	return 0;
}
