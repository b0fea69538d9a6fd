/* Maildock - SPDX-License-Identifier: MIT
 *
 * RFC 4978 DEFLATE for a connection's two directions with zlib: raw
 * deflate streams, inflated on demand into the reader's buffer, deflated
 * with a sync flush at every flush of the writer (core/conn-deflate.h).
 */
#include <zlib.h>
#include "core/compat.h"
#include "core/conn-deflate.h"
#include "core/error.h"

#define ZBUF 16384
#define INFLATE_WINDOW 15	/* -15: raw, any window a client may use */
#define DEFLATE_WINDOW 12	/* ours: 4 KiB keeps the state small */
#define DEFLATE_MEMLEVEL 6

struct conn_deflate {
	z_stream in, out;
	bool in_ok, out_ok;
	bool in_full;		/* the last inflate filled its output */
	bool dirty;		/* input given to deflate since a flush */
	unsigned char zin[ZBUF];	/* compressed input not inflated yet */
	unsigned char zout[ZBUF];
};

struct conn_deflate *
conn_deflate_new(void)
{
	struct conn_deflate *d = xcalloc(1, sizeof(*d));

	d->in_ok = inflateInit2(&d->in, -INFLATE_WINDOW) == Z_OK;
	d->out_ok = deflateInit2(&d->out, Z_DEFAULT_COMPRESSION, Z_DEFLATED,
				 -DEFLATE_WINDOW, DEFLATE_MEMLEVEL,
				 Z_DEFAULT_STRATEGY) == Z_OK;
	if (!d->in_ok || !d->out_ok) {
		conn_deflate_free(&d);
		return NULL;
	}
	d->in.next_in = d->zin;
	return d;
}

void
conn_deflate_free(struct conn_deflate **dp)
{
	struct conn_deflate *d = *dp;

	if (d == NULL)
		return;
	if (d->in_ok)
		inflateEnd(&d->in);
	if (d->out_ok)
		deflateEnd(&d->out);
	free(d);
	*dp = NULL;
}

void
conn_deflate_in_space(struct conn_deflate *d, char **p_r, size_t *n_r)
{
	/* keep what inflate has not taken yet at the front */
	if (d->in.next_in != d->zin) {
		memmove(d->zin, d->in.next_in, d->in.avail_in);
		d->in.next_in = d->zin;
	}
	*p_r = (char *)d->zin + d->in.avail_in;
	*n_r = ZBUF - d->in.avail_in;
}

void
conn_deflate_in_added(struct conn_deflate *d, size_t n)
{
	d->in.avail_in += (uInt)n;
}

int
conn_deflate_inflate(struct conn_deflate *d, char *out, size_t room,
		     size_t *got_r)
{
	int r;

	*got_r = 0;
	if (room == 0)
		return 0;
	d->in.next_out = (unsigned char *)out;
	d->in.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
	r = inflate(&d->in, Z_SYNC_FLUSH);
	*got_r = room - d->in.avail_out;
	d->in_full = d->in.avail_out == 0;
	if (r == Z_STREAM_END)
		return *got_r > 0 ? 0 : -ERR_EOF;
	if (r == Z_OK || r == Z_BUF_ERROR)	/* BUF_ERROR: no progress */
		return 0;
	return -ERR_IO;
}

bool
conn_deflate_pending(const struct conn_deflate *d)
{
	return d->in.avail_in > 0 || d->in_full;
}

int
conn_deflate_write(struct conn_deflate *d, const char *p, size_t n,
		   bool flush, conn_deflate_sink_fn *sink, void *ctx)
{
	int r = 0;

	if (n == 0 && !(flush && d->dirty))
		return 0;
	d->out.next_in = (unsigned char *)(uintptr_t)p;
	d->out.avail_in = (uInt)n;
	do {
		size_t have;

		d->out.next_out = d->zout;
		d->out.avail_out = ZBUF;
		(void)deflate(&d->out, flush ? Z_SYNC_FLUSH : Z_NO_FLUSH);
		have = ZBUF - d->out.avail_out;
		if (have > 0 && (r = sink(ctx, (const char *)d->zout,
					  have)) < 0)
			return r;
	} while (d->out.avail_out == 0 || d->out.avail_in > 0);
	d->dirty = !flush;
	return 0;
}

bool
conn_deflate_unflushed(const struct conn_deflate *d)
{
	return d->dirty;
}
