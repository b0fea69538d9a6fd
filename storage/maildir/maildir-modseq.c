/* Maildock - SPDX-License-Identifier: MIT
 *
 * The folder's modification sequence (RFC 7162): every message's MODSEQ,
 * the folder's HIGHESTMODSEQ and the UIDs expunged with their modseq, kept
 * in the append-only log "maildock-modseq" beside the UID list, shared by
 * every process under flock(2).
 *
 * File: a header "MAILDOCK-MODSEQ 1 <uidvalidity> <highest> <floor>", then
 * one line per change, "<modseq> <uid> <flags> <kwhash>" (the message's
 * permanent flags and a hash of its keyword names, both hex, as of that
 * modseq) or "<modseq> <uid> X" (expunged). A modseq is handed out only
 * with the log locked and its tail read, and the line is written before
 * the change is reported to the client, so a kill at any moment never
 * makes a modseq go back, never reuses one, and never loses a change that
 * was acknowledged. The state in a line is what makes a change by another
 * program (a rename in cur/, Courier's keyword files) or a change whose
 * line a kill prevented visible: the next sync sees the message differ
 * from its last line and gives it a new modseq. Expunges older than
 * <floor> were forgotten (at most MODSEQ_GONE_MAX are kept); VANISHED
 * (EARLIER) answers conservatively below it (RFC 7162 3.2.5.2). The log is
 * rewritten (temp file + rename) when it holds mostly superseded lines.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>
#include "storage/maildir/maildir.h"
#include "storage/maildir/maildir-sync.h"
#include "core/error.h"
#include "core/compat.h"

#define MODSEQ_FILE	"maildock-modseq"
#define MODSEQ_TMP	"maildock-modseq.tmp"
#define MODSEQ_GONE_MAX	50000	/* expunge records kept per folder */
#define MODSEQ_LINE_MAX	80

struct ms_ent {			/* a message's last logged state */
	uint32_t uid;
	unsigned flags;
	uint64_t kwhash;
	uint64_t modseq;
};

struct ms_gone {		/* an expunge, in modseq order */
	uint32_t uid;
	uint64_t modseq;
};

struct maildir_modseq {
	int fd;
	ino_t ino;
	off_t off;		/* bytes of the log applied */
	uint32_t uidvalidity;
	uint64_t highest, floor;
	struct ms_ent *e;	/* sorted by uid */
	size_t n, cap;
	struct ms_gone *x;
	size_t xn, xcap;
	size_t lines;		/* change lines in the file */
	char *pending;		/* lines to append (malloc'd) */
	size_t plen, pcap;
};

static uint64_t
kwhash(const struct maildir_folder *f, const struct maildir_rec *r)
{
	uint64_t h = 0;

	/* order-free: ids differ between processes, names do not */
	for (unsigned i = 0; i < r->kw_n; i++)
		if (r->kw[i] < f->kw_n)
			h ^= maildir_hash_str(f->kw_names[r->kw[i]],
					      strlen(f->kw_names[r->kw[i]]));
	return h;
}

static struct ms_ent *
ent_find(struct maildir_modseq *ms, uint32_t uid, size_t *pos_r)
{
	size_t lo = 0, hi = ms->n;

	if (ms->n > 0 && ms->e[ms->n - 1].uid < uid) {	/* appends */
		*pos_r = ms->n;
		return NULL;
	}
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ms->e[mid].uid == uid)
			return &ms->e[mid];
		if (ms->e[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	*pos_r = lo;
	return NULL;
}

static void
gone_add(struct maildir_modseq *ms, uint32_t uid, uint64_t modseq)
{
	if (ms->xn == MODSEQ_GONE_MAX) {
		/* forget the oldest quarter; below floor VANISHED (EARLIER)
		 * answers conservatively */
		size_t drop = MODSEQ_GONE_MAX / 4;
		ms->floor = ms->x[drop - 1].modseq;
		memmove(ms->x, ms->x + drop, (ms->xn - drop) * sizeof(*ms->x));
		ms->xn -= drop;
	}
	if (ms->xn == ms->xcap) {
		ms->xcap = ms->xcap ? ms->xcap * 2 : 64;
		ms->x = xrealloc(ms->x, ms->xcap * sizeof(*ms->x));
	}
	ms->x[ms->xn].uid = uid;
	ms->x[ms->xn++].modseq = modseq;
}

/* apply: one log line's change to the table */
static void
apply(struct maildir_modseq *ms, uint32_t uid, uint64_t modseq, bool gone,
      unsigned flags, uint64_t kwh)
{
	size_t pos = 0;
	struct ms_ent *e = ent_find(ms, uid, &pos);

	if (modseq > ms->highest)
		ms->highest = modseq;
	ms->lines++;
	if (gone) {
		if (e != NULL) {
			pos = (size_t)(e - ms->e);
			memmove(e, e + 1, (ms->n - pos - 1) * sizeof(*e));
			ms->n--;
		}
		gone_add(ms, uid, modseq);
		return;
	}
	if (e == NULL) {
		if (ms->n == ms->cap) {
			ms->cap = ms->cap ? ms->cap * 2 : 256;
			ms->e = xrealloc(ms->e, ms->cap * sizeof(*ms->e));
		}
		e = &ms->e[pos];
		memmove(e + 1, e, (ms->n - pos) * sizeof(*e));
		ms->n++;
		e->uid = uid;
		e->modseq = 0;
	}
	if (modseq >= e->modseq) {
		e->modseq = modseq;
		e->flags = flags;
		e->kwhash = kwh;
	}
}

/* parse_line: apply one change line; a malformed one is ignored */
static void
parse_line(struct maildir_modseq *ms, const char *p)
{
	unsigned long long m, fl, kw;
	unsigned u;
	char x[2];

	if (sscanf(p, "%llu %u %1[X]", &m, &u, x) == 3)
		apply(ms, u, m, true, 0, 0);
	else if (sscanf(p, "%llu %u %llx %llx", &m, &u, &fl, &kw) == 4)
		apply(ms, u, m, false, (unsigned)fl, kw);
}

static void
table_reset(struct maildir_modseq *ms)
{
	ms->n = ms->xn = ms->lines = 0;
	ms->off = 0;
	ms->floor = 0;	/* highest is kept: it never goes back */
}

/* read_tail: apply the lines other processes (or this one, before a
 * reopen) appended since ms->off; the header when reading from 0. A torn
 * last line (a writer killed inside write) is skipped. */
static int
read_tail(struct maildir_modseq *ms)
{
	char buf[65536], *p, *nl;
	size_t have = 0;
	ssize_t got;

	while ((got = pread(ms->fd, buf + have, sizeof(buf) - 1 - have,
			    ms->off + (off_t)have)) > 0) {
		have += (size_t)got;
		buf[have] = '\0';
		for (p = buf; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
			*nl = '\0';
			if (ms->off == 0 && p == buf) {
				unsigned v;
				unsigned long long h, fl;
				if (sscanf(p, "MAILDOCK-MODSEQ 1 %u %llu %llu",
					   &v, &h, &fl) != 3)
					return -ERR_CORRUPT;
				ms->uidvalidity = v;
				if (h > ms->highest)
					ms->highest = h;
				ms->floor = fl;
			} else
				parse_line(ms, p);
		}
		size_t used = (size_t)(p - buf);
		ms->off += (off_t)used;
		memmove(buf, p, have - used);
		have -= used;
		if (have == sizeof(buf) - 1)
			return -ERR_CORRUPT;	/* no line is this long */
	}
	return got < 0 ? maildir_errno(errno) : 0;
}

static void
pend(struct maildir_modseq *ms, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
pend(struct maildir_modseq *ms, const char *fmt, ...)
{
	va_list ap;

	if (ms->pcap - ms->plen < MODSEQ_LINE_MAX) {
		ms->pcap = ms->pcap ? ms->pcap * 2 : 4096;
		ms->pending = xrealloc(ms->pending, ms->pcap);
	}
	va_start(ap, fmt);
	ms->plen += (size_t)vsnprintf(ms->pending + ms->plen,
				      ms->pcap - ms->plen, fmt, ap);
	va_end(ap);
}

/* write_all: the whole buffer at the end of the log (O_APPEND) */
static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return maildir_errno(w < 0 ? errno : EIO);
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* rewrite: replace the log by one line per message and expunge record
 * (temp file, fsync, rename); the lock then moves to the new file. */
static int
rewrite(struct maildir_folder *f)
{
	struct maildir_modseq *ms = f->ms;
	char tmp[MAILDIR_PATH_MAX], path[MAILDIR_PATH_MAX];
	struct stat st;
	int fd, r;

	maildir_path(tmp, sizeof(tmp), f->dir, MODSEQ_TMP, NULL);
	maildir_path(path, sizeof(path), f->dir, MODSEQ_FILE, NULL);
	fd = open(tmp, O_RDWR | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC,
		  0600);
	if (fd < 0)
		return maildir_errno(errno);
	ms->plen = 0;
	pend(ms, "MAILDOCK-MODSEQ 1 %u %" PRIu64 " %" PRIu64 "\n",
	     f->uidvalidity, ms->highest, ms->floor);
	for (size_t i = 0; i < ms->xn; i++)
		pend(ms, "%" PRIu64 " %u X\n", ms->x[i].modseq, ms->x[i].uid);
	for (size_t i = 0; i < ms->n; i++)
		pend(ms, "%" PRIu64 " %u %x %" PRIx64 "\n", ms->e[i].modseq,
		     ms->e[i].uid, ms->e[i].flags, ms->e[i].kwhash);
	r = write_all(fd, ms->pending, ms->plen);
	if (r == 0 && maildir_settings.fsync && fsync(fd) < 0)
		r = maildir_errno(errno);
	if (r == 0 && rename(tmp, path) < 0)
		r = maildir_errno(errno);
	if (r < 0 || fstat(fd, &st) < 0) {
		close(fd);
		unlink(tmp);
		ms->plen = 0;
		return r < 0 ? r : -ERR_IO;
	}
	maildir_fsync_dir(f->dir);
	close(ms->fd);		/* releases the old file's lock */
	ms->fd = fd;
	ms->ino = st.st_ino;
	ms->off = st.st_size;
	ms->lines = ms->n + ms->xn;
	ms->uidvalidity = f->uidvalidity;
	ms->plen = 0;
	return 0;
}

/* lock_log: open and flock the log, follow a rewrite by another process,
 * read what was appended; a new log gets its header, a log of a replaced
 * folder (other UIDVALIDITY) starts again above the old highest. */
static int
lock_log(struct maildir_folder *f)
{
	struct maildir_modseq *ms = f->ms;
	char path[MAILDIR_PATH_MAX];
	struct stat st, pst;
	int r;

	maildir_path(path, sizeof(path), f->dir, MODSEQ_FILE, NULL);
	for (;;) {
		if (ms->fd < 0) {
			ms->fd = open(path, O_RDWR | O_CREAT | O_APPEND |
				      O_CLOEXEC, 0600);
			if (ms->fd < 0 || fstat(ms->fd, &st) < 0)
				return maildir_errno(errno);
			if (st.st_ino != ms->ino)
				table_reset(ms);
			ms->ino = st.st_ino;
		}
		if (flock(ms->fd, LOCK_EX) < 0)
			return maildir_errno(errno);
		if (stat(path, &pst) == 0 && pst.st_ino == ms->ino)
			break;
		close(ms->fd);	/* rewritten or removed meanwhile */
		ms->fd = -1;
	}
	if (fstat(ms->fd, &st) < 0)
		return maildir_errno(errno);
	if (st.st_size < ms->off)
		table_reset(ms);
	if (st.st_size == 0) {
		table_reset(ms);
		ms->floor = ms->highest;
		return rewrite(f);
	}
	if ((r = read_tail(ms)) == -ERR_CORRUPT ||
	    (r == 0 && ms->uidvalidity != f->uidvalidity)) {
		/* unreadable, or a folder created again: nothing older
		 * than now is known */
		table_reset(ms);
		ms->floor = ms->highest;
		return rewrite(f);
	}
	return r;
}

/* unlock_log: close the log, which releases its lock. It is not kept
 * open between changes: a descriptor per open folder made each session
 * cost 1.5 descriptors (issue 12), and the table (ino, off) lets the next
 * lock_log go on from where this one stopped. */
static void
unlock_log(struct maildir_modseq *ms)
{
	if (ms->fd >= 0)
		close(ms->fd);
	ms->fd = -1;
}

/* flush: append the pending lines, then apply them to the table */
static int
flush(struct maildir_folder *f)
{
	struct maildir_modseq *ms = f->ms;
	char *p, *nl;
	int r;

	if (ms->plen == 0)
		return 0;
	r = write_all(ms->fd, ms->pending, ms->plen);
	if (r == 0) {
		ms->off += (off_t)ms->plen;
		for (p = ms->pending; (nl = memchr(p, '\n', (size_t)
		     (ms->pending + ms->plen - p))) != NULL; p = nl + 1) {
			*nl = '\0';
			parse_line(ms, p);
		}
	}
	ms->plen = 0;
	if (r == 0 && ms->lines > 2 * (ms->n + ms->xn) + 1024)
		r = rewrite(f);
	return r;
}

static struct maildir_modseq *
ms_get(struct maildir_folder *f)
{
	if (f->ms == NULL) {
		f->ms = xcalloc(1, sizeof(*f->ms));
		f->ms->fd = -1;
	}
	return f->ms;
}

int
maildir_modseq_sync(struct maildir_folder *f)
{
	struct maildir_modseq *ms = ms_get(f);
	size_t k = 0;
	int r;

	if ((r = lock_log(f)) < 0) {
		unlock_log(ms);
		return r;
	}
	uint64_t next = ms->highest;
	for (size_t i = 0; i <= f->n; i++) {
		struct maildir_rec *rec = i < f->n ? &f->recs[i] : NULL;
		/* in the log, gone from cur/: expunged; a UID another
		 * process numbered after our last look is not ours to judge */
		while (k < ms->n && (rec == NULL || ms->e[k].uid < rec->uid)) {
			if (ms->e[k].uid < f->uidnext)
				pend(ms, "%" PRIu64 " %u X\n", ++next,
				     ms->e[k].uid);
			k++;
		}
		if (rec == NULL)
			break;
		unsigned fl = rec->flags & STORE_FLAGS_PERMANENT;
		uint64_t kh = kwhash(f, rec);
		if (k < ms->n && ms->e[k].uid == rec->uid) {
			rec->modseq = ms->e[k].modseq;
			if (ms->e[k].flags == fl && ms->e[k].kwhash == kh) {
				k++;
				continue;
			}
			k++;
		}
		rec->modseq = ++next;
		pend(ms, "%" PRIu64 " %u %x %" PRIx64 "\n", next, rec->uid,
		     fl, kh);
	}
	r = flush(f);
	unlock_log(ms);
	return r;
}

int
maildir_modseq_touch(struct maildir_folder *f, struct maildir_rec *rec)
{
	struct maildir_modseq *ms = ms_get(f);
	unsigned fl = rec->flags & STORE_FLAGS_PERMANENT;
	uint64_t kh = kwhash(f, rec);
	size_t pos;
	int r;

	if ((r = lock_log(f)) == 0) {
		struct ms_ent *e = ent_find(ms, rec->uid, &pos);
		if (e == NULL || e->flags != fl || e->kwhash != kh) {
			pend(ms, "%" PRIu64 " %u %x %" PRIx64 "\n",
			     ms->highest + 1, rec->uid, fl, kh);
			if ((r = flush(f)) == 0)
				rec->modseq = ms->highest;
		} else
			rec->modseq = e->modseq;
	}
	unlock_log(ms);
	return r;
}

bool
maildir_modseq_stale(struct maildir_folder *f)
{
	char path[MAILDIR_PATH_MAX];
	struct stat st;

	if (f->ms == NULL)
		return true;
	maildir_path(path, sizeof(path), f->dir, MODSEQ_FILE, NULL);
	return stat(path, &st) < 0 || st.st_ino != f->ms->ino ||
	       st.st_size != f->ms->off;
}

uint64_t
maildir_modseq_highest(const struct maildir_folder *f)
{
	return f->ms != NULL ? f->ms->highest : 0;
}

int
maildir_modseq_gone_since(const struct maildir_folder *f, uint64_t since,
			  uint32_t **uids_r, size_t *n_r)
{
	const struct maildir_modseq *ms = f->ms;
	size_t lo, hi;

	*uids_r = NULL;
	*n_r = 0;
	if (ms == NULL || since < ms->floor)
		return 1;
	/* x[] is in modseq order: binary search the first one above */
	for (lo = 0, hi = ms->xn; lo < hi;) {
		size_t mid = (lo + hi) / 2;
		if (ms->x[mid].modseq <= since)
			lo = mid + 1;
		else
			hi = mid;
	}
	*uids_r = xmalloc((ms->xn - lo + 1) * sizeof(**uids_r));
	for (; lo < ms->xn; lo++)
		(*uids_r)[(*n_r)++] = ms->x[lo].uid;
	return 0;
}

void
maildir_modseq_free(struct maildir_modseq *ms)
{
	if (ms == NULL)
		return;
	if (ms->fd >= 0)
		close(ms->fd);
	free(ms->e);
	free(ms->x);
	free(ms->pending);
	free(ms);
}
