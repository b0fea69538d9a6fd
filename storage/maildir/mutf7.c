/* Maildock - SPDX-License-Identifier: MIT
 *
 * Modified UTF-7 (RFC 3501 5.1.3) to and from UTF-8: the IMAP wire form of
 * mailbox names and, as in Courier-IMAP, their on-disk form in Maildir++.
 * The decoder accepts only the canonical encoding, so a name has one
 * spelling on disk.
 */
#include "storage/store.h"
#include "core/error.h"
#include "core/compat.h"

static const char b64[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* utf8_next: decode one code point at s[*i..n); -1 when invalid. */
static long
utf8_next(const unsigned char *s, size_t n, size_t *i)
{
	unsigned char c = s[*i];
	long cp;
	size_t len, k;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else
		return -1;
	if (n - *i < len)
		return -1;
	for (k = 1; k < len; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += len;
	return cp;
}

static bool
put(char *out, size_t size, size_t *o, char c)
{
	if (*o + 1 >= size)
		return false;
	out[(*o)++] = c;
	return true;
}

/* The base64 state of an encoded run, streamed so a run has no length
 * limit (a run split in two would not be canonical). */
struct b64_run {
	uint32_t acc;
	int bits;
	bool open;
};

static bool
run_unit(struct b64_run *st, uint16_t u, char *out, size_t size, size_t *o)
{
	if (!st->open) {
		if (!put(out, size, o, '&'))
			return false;
		st->open = true;
		st->acc = 0;
		st->bits = 0;
	}
	st->acc = (st->acc << 16) | u;
	st->bits += 16;
	while (st->bits >= 6) {
		st->bits -= 6;
		if (!put(out, size, o, b64[(st->acc >> st->bits) & 0x3f]))
			return false;
	}
	st->acc &= (1u << st->bits) - 1;
	return true;
}

static bool
run_close(struct b64_run *st, char *out, size_t size, size_t *o)
{
	if (!st->open)
		return true;
	st->open = false;
	if (st->bits > 0 &&
	    !put(out, size, o, b64[(st->acc << (6 - st->bits)) & 0x3f]))
		return false;
	return put(out, size, o, '-');
}

int
store_mutf7_encode(const char *in, size_t n, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	struct b64_run st = { 0, 0, false };
	size_t i = 0, o = 0;

	if (size == 0)
		return -ERR_LIMIT;
	while (i < n) {
		if (s[i] >= 0x20 && s[i] < 0x7f) {
			if (!run_close(&st, out, size, &o) ||
			    !put(out, size, &o, (char)s[i]))
				return -ERR_LIMIT;
			if (s[i] == '&' && !put(out, size, &o, '-'))
				return -ERR_LIMIT;
			i++;
			continue;
		}
		long cp = utf8_next(s, n, &i);
		if (cp < 0)
			return -ERR_INVAL;
		bool ok;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			ok = run_unit(&st, (uint16_t)(0xd800 | (cp >> 10)), out,
				      size, &o) &&
			     run_unit(&st, (uint16_t)(0xdc00 | (cp & 0x3ff)),
				      out, size, &o);
		} else
			ok = run_unit(&st, (uint16_t)cp, out, size, &o);
		if (!ok)
			return -ERR_LIMIT;
	}
	if (!run_close(&st, out, size, &o))
		return -ERR_LIMIT;
	out[o] = '\0';
	return (int)o;
}

static int
b64_val(unsigned char c)
{
	const char *p = c != '\0' ? strchr(b64, c) : NULL;

	return p == NULL ? -1 : (int)(p - b64);
}

static bool
put_utf8(char *out, size_t size, size_t *o, uint32_t cp)
{
	if (cp < 0x800)
		return put(out, size, o, (char)(0xc0 | (cp >> 6))) &&
		       put(out, size, o, (char)(0x80 | (cp & 0x3f)));
	if (cp < 0x10000)
		return put(out, size, o, (char)(0xe0 | (cp >> 12))) &&
		       put(out, size, o, (char)(0x80 | ((cp >> 6) & 0x3f))) &&
		       put(out, size, o, (char)(0x80 | (cp & 0x3f)));
	return put(out, size, o, (char)(0xf0 | (cp >> 18))) &&
	       put(out, size, o, (char)(0x80 | ((cp >> 12) & 0x3f))) &&
	       put(out, size, o, (char)(0x80 | ((cp >> 6) & 0x3f))) &&
	       put(out, size, o, (char)(0x80 | (cp & 0x3f)));
}

/* decode_b64: the run after '&' up to '-' at *i; 0 or -ERR_*. */
static int
decode_b64(const unsigned char *s, size_t n, size_t *i, char *out,
	   size_t size, size_t *o)
{
	uint32_t acc = 0, hi = 0;
	int bits = 0, v;
	size_t units = 0;

	while (*i < n && s[*i] != '-') {
		if ((v = b64_val(s[*i])) < 0)
			return -ERR_INVAL;
		(*i)++;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits < 16)
			continue;
		bits -= 16;
		uint32_t u = (acc >> bits) & 0xffff;
		units++;
		if (hi != 0) {
			if (u < 0xdc00 || u > 0xdfff)
				return -ERR_INVAL;
			u = 0x10000 + ((hi - 0xd800) << 10) + (u - 0xdc00);
			hi = 0;
		} else if (u >= 0xd800 && u <= 0xdbff) {
			hi = u;
			continue;
		} else if (u >= 0xdc00 && u <= 0xdfff)
			return -ERR_INVAL;
		/* printable ASCII must not be encoded (canonical form); an
		 * encoded U+0000 would cut the decoded name short, making
		 * "Foo&AAA-bar" another spelling of "Foo" */
		if (u == 0 || (u >= 0x20 && u < 0x7f))
			return -ERR_INVAL;
		if (u < 0x80) {
			if (!put(out, size, o, (char)u))
				return -ERR_LIMIT;
		} else if (!put_utf8(out, size, o, u))
			return -ERR_LIMIT;
	}
	if (*i >= n || units == 0 || hi != 0 || bits >= 6 ||
	    (acc & ((1u << bits) - 1)) != 0)
		return -ERR_INVAL;
	(*i)++;		/* '-' */
	return 0;
}

int
store_mutf7_decode(const char *in, size_t n, char *out, size_t size)
{
	const unsigned char *s = (const unsigned char *)in;
	size_t i = 0, o = 0;
	int r;

	if (size == 0)
		return -ERR_LIMIT;
	while (i < n) {
		if (s[i] < 0x20 || s[i] >= 0x7f)
			return -ERR_INVAL;
		if (s[i] != '&') {
			if (!put(out, size, &o, (char)s[i++]))
				return -ERR_LIMIT;
			continue;
		}
		i++;
		if (i < n && s[i] == '-') {
			if (!put(out, size, &o, '&'))
				return -ERR_LIMIT;
			i++;
			continue;
		}
		if ((r = decode_b64(s, n, &i, out, size, &o)) < 0)
			return r;
		/* two adjacent encoded runs are not canonical */
		if (i < n && s[i] == '&' && !(i + 1 < n && s[i + 1] == '-'))
			return -ERR_INVAL;
	}
	out[o] = '\0';
	return (int)o;
}
