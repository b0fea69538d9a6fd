/* Maildock - SPDX-License-Identifier: MIT
 *
 * Shared counters: a MAP_SHARED anonymous mapping holding a fixed table of
 * slots, each one label set of one metric family. A slot is claimed with a
 * compare-and-swap and found again by hashing, so processes forked after
 * stats_init add to the same slots without a lock.
 */
#include <errno.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/mman.h>
#include "core/error.h"
#include "core/sbuf.h"
#include "core/stats.h"

#define LABELS_MAX 96
#define NAME_MAX_LEN 31
#define MAX_PROCS 256
#define NBUCKETS 11

enum family {
	FAM_SESSIONS, FAM_SESSIONS_TOTAL, FAM_BYTES_IN, FAM_BYTES_OUT,
	FAM_LOGINS, FAM_AUTH_SECONDS, FAM_COMMAND_SECONDS, FAM_ERRORS,
	FAM_SYNCS, FAM_CACHE, FAM_COUNT
};

enum kind { GAUGE, COUNTER, HISTOGRAM };

static const struct {
	const char *name, *help;
	enum kind kind;
} families[FAM_COUNT] = {
	[FAM_SESSIONS] = { "maildock_open_sessions",
			   "Connections open now, by protocol", GAUGE },
	[FAM_SESSIONS_TOTAL] = { "maildock_sessions_total",
				 "Connections ended, by protocol and whether "
				 "they used TLS", COUNTER },
	[FAM_BYTES_IN] = { "maildock_received_bytes_total",
			   "Octets received from clients, by protocol",
			   COUNTER },
	[FAM_BYTES_OUT] = { "maildock_sent_bytes_total",
			    "Octets sent to clients, by protocol", COUNTER },
	[FAM_LOGINS] = { "maildock_logins_total",
			 "Authentications, by mechanism, module and result",
			 COUNTER },
	[FAM_AUTH_SECONDS] = { "maildock_auth_duration_seconds",
			       "Time an authentication took, by result",
			       HISTOGRAM },
	[FAM_COMMAND_SECONDS] = { "maildock_command_duration_seconds",
				  "Time a command took, by protocol and "
				  "command", HISTOGRAM },
	[FAM_ERRORS] = { "maildock_command_errors_total",
			 "Commands that failed inside the server, by protocol "
			 "and kind", COUNTER },
	[FAM_SYNCS] = { "maildock_mailbox_syncs_total",
			"Mailbox views brought up to date with their folder "
			"(new, changed and expunged messages), by result",
			COUNTER },
	[FAM_CACHE] = { "maildock_message_cache_lookups_total",
			"Parsed-message cache lookups (structure, envelope, "
			"search), by result: hit, or miss (the message file "
			"parsed)", COUNTER },
};

/* upper bounds, microseconds; the last bucket is +Inf */
static const uint64_t bucket_us[NBUCKETS - 1] = {
	100, 500, 1000, 5000, 10000, 50000, 100000, 500000, 1000000, 5000000
};

enum { SLOT_FREE, SLOT_FILLING, SLOT_READY };

struct slot {
	atomic_uint state;
	unsigned family;
	char labels[LABELS_MAX];
	atomic_int_least64_t value;	/* counter, gauge, or histogram count */
	atomic_uint_least64_t sum_us;
	atomic_uint_least64_t bucket[NBUCKETS];	/* not cumulative */
};

struct region {
	atomic_int procs[MAX_PROCS];
	unsigned nslots;
	struct slot slots[];
};

static struct region *region;

int
stats_init(unsigned slots, char **error_r)
{
	size_t size = sizeof(struct region) + (size_t)slots * sizeof(struct slot);
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		char ebuf[128];
		struct sbuf b;
		sbuf_init(&b, NULL, 0);
		sbuf_appendf(&b, "metrics: cannot map %zu bytes: %s", size,
			     errno_str(errno, ebuf, sizeof(ebuf)));
		*error_r = b.data;
		return -ERR_NOMEM;
	}
	region = p;		/* zero-filled: every slot SLOT_FREE */
	region->nslots = slots;
	stats_process_register();
	return 0;
}

void
stats_process_register(void)
{
	if (region == NULL)
		return;
	int pid = (int)getpid();
	for (unsigned i = 0; i < MAX_PROCS; i++) {
		int old = atomic_load(&region->procs[i]);
		/* a free slot, or one of a process that has gone */
		if ((old == 0 || (kill(old, 0) < 0 && errno == ESRCH)) &&
		    atomic_compare_exchange_strong(&region->procs[i], &old, pid))
			return;
	}
}

static unsigned
hash(unsigned family, const char *labels)
{
	unsigned h = 2166136261u ^ family;
	for (const char *p = labels; *p != '\0'; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

/* The slot of (family, labels), claimed if new; NULL when the table is
 * full (the sample is then dropped, never a wrong one counted). */
static struct slot *
slot_get(unsigned family, const char *labels)
{
	unsigned n = region->nslots, h = hash(family, labels);
	for (unsigned probe = 0; probe < n; probe++) {
		struct slot *s = &region->slots[(h + probe) % n];
		unsigned st = atomic_load(&s->state);
		if (st == SLOT_FREE) {
			unsigned expect = SLOT_FREE;
			if (atomic_compare_exchange_strong(&s->state, &expect,
							   SLOT_FILLING)) {
				s->family = family;
				str_copy(s->labels, labels, sizeof(s->labels));
				atomic_store(&s->state, SLOT_READY);
				return s;
			}
			st = expect;
		}
		while (st == SLOT_FILLING)	/* a few stores away */
			st = atomic_load(&s->state);
		if (s->family == family && strcmp(s->labels, labels) == 0)
			return s;
	}
	return NULL;
}

static void
add(unsigned family, const char *labels, int64_t n)
{
	struct slot *s = region != NULL ? slot_get(family, labels) : NULL;
	if (s != NULL)
		atomic_fetch_add(&s->value, n);
}

static void
observe(unsigned family, const char *labels, uint64_t usec)
{
	struct slot *s = region != NULL ? slot_get(family, labels) : NULL;
	if (s == NULL)
		return;
	unsigned b = 0;
	while (b < NBUCKETS - 1 && usec > bucket_us[b])
		b++;
	atomic_fetch_add(&s->bucket[b], 1);
	atomic_fetch_add(&s->sum_us, usec);
	atomic_fetch_add(&s->value, 1);
}

/* A label value from code or configuration, kept to a safe alphabet. */
static const char *
safe_name(const char *s)
{
	if (s == NULL)
		return "none";
	size_t n = strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
			     "0123456789_-");
	return n == 0 || s[n] != '\0' || n > NAME_MAX_LEN ? "other" : s;
}

void
stats_session_started(const char *proto)
{
	char l[LABELS_MAX];
	snprintf(l, sizeof(l), "protocol=\"%s\"", safe_name(proto));
	add(FAM_SESSIONS, l, 1);
}

void
stats_session_ended(const char *proto, bool tls, uint64_t in, uint64_t out)
{
	char l[LABELS_MAX];
	snprintf(l, sizeof(l), "protocol=\"%s\"", safe_name(proto));
	add(FAM_SESSIONS, l, -1);
	add(FAM_BYTES_IN, l, (int64_t)in);
	add(FAM_BYTES_OUT, l, (int64_t)out);
	snprintf(l, sizeof(l), "protocol=\"%s\",tls=\"%d\"", safe_name(proto),
		 tls ? 1 : 0);
	add(FAM_SESSIONS_TOTAL, l, 1);
}

void
stats_login(const char *mech, const char *module, bool ok, uint64_t usec)
{
	char l[LABELS_MAX];
	const char *result = ok ? "ok" : "failed";
	snprintf(l, sizeof(l), "mechanism=\"%s\",module=\"%s\",result=\"%s\"",
		 safe_name(mech), safe_name(module), result);
	add(FAM_LOGINS, l, 1);
	snprintf(l, sizeof(l), "result=\"%s\"", result);
	observe(FAM_AUTH_SECONDS, l, usec);
}

void
stats_mailbox_sync(bool ok)
{
	add(FAM_SYNCS, ok ? "result=\"ok\"" : "result=\"error\"", 1);
}

void
stats_cache_lookup(bool hit)
{
	add(FAM_CACHE, hit ? "result=\"hit\"" : "result=\"miss\"", 1);
}

/* the -ERR_* codes as label values */
static const char *const err_kinds[ERR_MAX] = {
	[ERR_NOMEM] = "nomem", [ERR_LIMIT] = "limit", [ERR_SYNTAX] = "syntax",
	[ERR_IO] = "io", [ERR_TEMP] = "temp", [ERR_NOTFOUND] = "notfound",
	[ERR_EXISTS] = "exists", [ERR_PERM] = "perm",
	[ERR_TIMEOUT] = "timeout", [ERR_EOF] = "eof", [ERR_INVAL] = "inval",
	[ERR_NOSPACE] = "nospace", [ERR_QUOTA] = "quota", [ERR_TLS] = "tls",
	[ERR_CORRUPT] = "corrupt", [ERR_BUSY] = "busy",
	[ERR_SHUTDOWN] = "shutdown", [ERR_AGAIN] = "again",
	[ERR_KICKED] = "kicked",
};

void
stats_command(const char *proto, const char *name, uint64_t usec, int result)
{
	char l[LABELS_MAX];
	snprintf(l, sizeof(l), "protocol=\"%s\",command=\"%s\"",
		 safe_name(proto), safe_name(name));
	observe(FAM_COMMAND_SECONDS, l, usec);
	if (result < 0) {
		int e = -result;
		snprintf(l, sizeof(l), "protocol=\"%s\",kind=\"%s\"",
			 safe_name(proto), e < ERR_MAX && err_kinds[e] != NULL
						   ? err_kinds[e] : "other");
		add(FAM_ERRORS, l, 1);
	}
}

uint64_t
stats_usec_since(const struct timespec *start)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	int64_t us = (int64_t)(now.tv_sec - start->tv_sec) * 1000000 +
		     (now.tv_nsec - start->tv_nsec) / 1000;
	return us > 0 ? (uint64_t)us : 0;
}

static void
render_histogram(struct sbuf *b, const char *name, const struct slot *s)
{
	uint64_t cum = 0;
	for (unsigned i = 0; i < NBUCKETS; i++) {
		cum += atomic_load(&s->bucket[i]);
		if (i < NBUCKETS - 1)
			sbuf_appendf(b, "%s_bucket{%s,le=\"%g\"} %llu\n", name,
				     s->labels, (double)bucket_us[i] / 1e6,
				     (unsigned long long)cum);
		else
			sbuf_appendf(b, "%s_bucket{%s,le=\"+Inf\"} %llu\n", name,
				     s->labels, (unsigned long long)cum);
	}
	/* count from the buckets read, so _count equals the +Inf bucket */
	sbuf_appendf(b, "%s_sum{%s} %.6f\n%s_count{%s} %llu\n", name, s->labels,
		     (double)atomic_load(&s->sum_us) / 1e6, name, s->labels,
		     (unsigned long long)cum);
}

/* VmRSS (kB) and Threads of one process from /proc; false when gone. */
static bool
proc_figures(int pid, uint64_t *rss_r, uint64_t *threads_r)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return false;
	unsigned long long v;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (sscanf(line, "VmRSS: %llu kB", &v) == 1)
			*rss_r += v * 1024;
		else if (sscanf(line, "Threads: %llu", &v) == 1)
			*threads_r += v;
	}
	fclose(f);
	return true;
}

static void
render_processes(struct sbuf *b)
{
	uint64_t rss = 0, threads = 0, n = 0;
	for (unsigned i = 0; i < MAX_PROCS; i++) {
		int pid = atomic_load(&region->procs[i]);
		if (pid > 0 && proc_figures(pid, &rss, &threads))
			n++;
	}
	sbuf_appendf(b, "# HELP maildock_processes Server processes running\n"
		     "# TYPE maildock_processes gauge\nmaildock_processes %llu\n"
		     "# HELP maildock_resident_memory_bytes Resident memory of "
		     "all server processes\n# TYPE maildock_resident_memory_bytes"
		     " gauge\nmaildock_resident_memory_bytes %llu\n"
		     "# HELP maildock_threads Threads of all server processes\n"
		     "# TYPE maildock_threads gauge\nmaildock_threads %llu\n",
		     (unsigned long long)n, (unsigned long long)rss,
		     (unsigned long long)threads);
}

void
stats_render(struct sbuf *b)
{
	static const char *const kinds[] = { "gauge", "counter", "histogram" };
	if (region == NULL)
		return;
	for (unsigned f = 0; f < FAM_COUNT; f++) {
		const char *name = families[f].name;
		sbuf_appendf(b, "# HELP %s %s\n# TYPE %s %s\n", name,
			     families[f].help, name, kinds[families[f].kind]);
		for (unsigned i = 0; i < region->nslots; i++) {
			const struct slot *s = &region->slots[i];
			if (atomic_load(&s->state) != SLOT_READY ||
			    s->family != f)
				continue;
			if (families[f].kind == HISTOGRAM)
				render_histogram(b, name, s);
			else
				sbuf_appendf(b, "%s{%s} %lld\n", name, s->labels,
					     (long long)atomic_load(&s->value));
		}
	}
	render_processes(b);
}
