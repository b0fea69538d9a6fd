/* Maildock - SPDX-License-Identifier: MIT
 *
 * passwd-file parsing. Each line is copied once and split in place; the
 * extra fields after the seventh colon may contain colons themselves
 * (userdb_quota_rule=*:storage=1G). Malformed lines are skipped with a
 * file:line message so one bad line never locks the other users out.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "authmods/authmod.h"
#include "authmods/pwfile/pwfile-parse.h"

static bool
valid_user(const char *s)
{
	if (*s == '\0' || strlen(s) > 255)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == '/')
			return false;
	return true;
}

static int
parse_id(const char *s, unsigned long *r)
{
	char *end;
	if (*s == '\0') {
		*r = (unsigned long)-1;
		return 0;
	}
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v >= UINT32_MAX)
		return -1;
	*r = v;
	return 0;
}

/* "1G", "500M", "100k", "1000" (bytes) */
static int
parse_amount(const char *s, uint64_t *r)
{
	char *end;
	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	uint64_t v = strtoull(s, &end, 10), m = 1;
	if (errno != 0)
		return -1;
	switch (*end) {
	case '\0': break;
	case 'k': case 'K': m = 1024ULL; end++; break;
	case 'M': case 'm': m = 1024ULL * 1024; end++; break;
	case 'G': case 'g': m = 1024ULL * 1024 * 1024; end++; break;
	case 'T': case 't': m = 1024ULL * 1024 * 1024 * 1024; end++; break;
	default: return -1;
	}
	if ((*end == 'B' || *end == 'b') && m > 1)
		end++;
	if (*end != '\0' || __builtin_mul_overflow(v, m, &v))
		return -1;
	*r = v;
	return 0;
}

/* Dovecot quota rule "*:storage=1G" or "*:messages=1000" */
static int
quota_rule(struct pwfile_entry *e, const char *rule, uint64_t *bytes,
	   uint64_t *msgs)
{
	if (strncmp(rule, "*:", 2) != 0)
		return -1;
	rule += 2;
	if (strncmp(rule, "storage=", 8) == 0)
		return parse_amount(rule + 8, bytes);
	if (strncmp(rule, "bytes=", 6) == 0)
		return parse_amount(rule + 6, bytes);
	if (strncmp(rule, "messages=", 9) == 0)
		return parse_amount(rule + 9, msgs);
	return -1;
}

static const char *
extra_fields(struct pwfile_entry *e, char *p)
{
	uint64_t bytes = 0, msgs = 0;
	bool rules = false;
	char *save = NULL;

	for (char *w = strtok_r(p, " \t", &save); w != NULL;
	     w = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(w, '=');
		const char *v = eq ? eq + 1 : "";
		if (eq != NULL)
			*eq = '\0';
		if (strncmp(w, "userdb_", 7) == 0)
			w += 7;
		unsigned long id;
		if (strcmp(w, "mail") == 0) {
			e->mail = v;
		} else if (strcmp(w, "home") == 0) {
			e->home = v;
		} else if (strcmp(w, "uid") == 0 || strcmp(w, "gid") == 0) {
			if (parse_id(v, &id) < 0)
				return "bad uid/gid extra field";
			if (*w == 'u')
				e->uid = (uid_t)id;
			else
				e->gid = (gid_t)id;
		} else if (strcmp(w, "quota_rule") == 0 ||
			   strncmp(w, "quota_rule", 10) == 0) {
			if (quota_rule(e, v, &bytes, &msgs) < 0)
				return "bad quota rule";
			rules = true;
		} else if (strcmp(w, "quota") == 0) {
			e->quota = v;
		} else if (strcmp(w, "proxy_host") == 0 ||
			   strcmp(w, "host") == 0) {
			e->proxy_host = v;
		} else if (strcmp(w, "nologin") == 0) {
			e->nologin = true;
		} else if (strcmp(w, "disable-imap") == 0 ||
			   strcmp(w, "disable_imap") == 0) {
			e->disable_imap = true;
		} else if (strcmp(w, "disable-pop3") == 0 ||
			   strcmp(w, "disable_pop3") == 0) {
			e->disable_pop3 = true;
		}
		/* other Dovecot fields are accepted and ignored */
	}
	/* the rules text stays inside the entry and is resolved by
	 * pwfile_quota: entries move (realloc, qsort), so no pointer to it */
	if (rules && e->quota == NULL) {
		int n = 0;
		if (bytes > 0)
			n = snprintf(e->quota_buf, sizeof(e->quota_buf),
				     "%" PRIu64 "S", bytes);
		if (msgs > 0)
			snprintf(e->quota_buf + n, sizeof(e->quota_buf) - (size_t)n,
				 "%s%" PRIu64 "C", n > 0 ? "," : "", msgs);
	}
	return NULL;
}

/* Split line (owned by e) into e's fields; returns NULL or a reason. */
static const char *
parse_line(struct pwfile_entry *e)
{
	char *f[8] = { NULL };
	char *p = e->line;
	unsigned long uid, gid;

	for (int i = 0; i < 7 && p != NULL; i++) {
		f[i] = p;
		p = strchr(p, ':');
		if (p != NULL)
			*p++ = '\0';
	}
	f[7] = p;
	if (f[1] == NULL)
		return "no ':' after the user name";
	if (!valid_user(f[0]))
		return "empty or invalid user name";
	if (parse_id(f[2] ? f[2] : "", &uid) < 0)
		return "uid is not a number";
	if (parse_id(f[3] ? f[3] : "", &gid) < 0)
		return "gid is not a number";
	e->user = f[0];
	e->password = f[1];
	e->uid = (uid_t)uid;
	e->gid = (gid_t)gid;
	e->home = f[5] && *f[5] ? f[5] : NULL;
	return f[7] ? extra_fields(e, f[7]) : NULL;
}

static int
cmp_entry(const void *a, const void *b)
{
	const struct pwfile_entry *x = a, *y = b;
	int r = strcmp(x->user, y->user);
	if (r != 0)
		return r;
	return x->lineno < y->lineno ? -1 : x->lineno > y->lineno;
}

static int
add_line(struct pwfile_db *db, size_t *alloc, char *buf, unsigned lineno)
{
	if (db->count == *alloc) {
		size_t n = *alloc ? *alloc * 2 : 64;
		void *p = realloc(db->entries, n * sizeof(*db->entries));
		if (p == NULL)
			return -1;
		db->entries = p;
		*alloc = n;
	}
	struct pwfile_entry *e = &db->entries[db->count];
	memset(e, 0, sizeof(*e));
	e->line = strdup(buf);
	if (e->line == NULL)
		return -1;
	e->linelen = strlen(buf);
	e->lineno = lineno;
	return 0;
}

static void
dedup(struct pwfile_db *db, const char *name, pwfile_log_fn *log, void *ctx)
{
	size_t out = 0;
	if (db->count < 2)
		return;		/* nothing to sort (entries may be NULL) */
	qsort(db->entries, db->count, sizeof(*db->entries), cmp_entry);
	for (size_t i = 0; i < db->count; i++) {
		if (out > 0 &&
		    strcmp(db->entries[out - 1].user, db->entries[i].user) == 0) {
			log(ctx, AUTHMOD_LOG_WARNING,
			    "%s:%u: duplicate user (line %u wins), skipped",
			    name, db->entries[i].lineno,
			    db->entries[out - 1].lineno);
			explicit_bzero(db->entries[i].line,
				       db->entries[i].linelen);
			free(db->entries[i].line);
			db->malformed++;
			continue;
		}
		db->entries[out++] = db->entries[i];
	}
	db->count = out;
}

int
pwfile_parse(FILE *f, const char *name, struct pwfile_db *db,
	     pwfile_log_fn *log, void *ctx)
{
	char buf[PWFILE_LINE_MAX + 2];
	unsigned lineno = 0;
	size_t alloc = 0;
	bool skipping = false;

	memset(db, 0, sizeof(*db));
	while (fgets(buf, sizeof(buf), f) != NULL) {
		size_t len = strlen(buf);
		bool eol = len > 0 && buf[len - 1] == '\n';
		if (skipping) {		/* the rest of an over-long line */
			skipping = !eol;
			continue;
		}
		lineno++;
		if (!eol && len > PWFILE_LINE_MAX) {
			log(ctx, AUTHMOD_LOG_ERROR, "%s:%u: line too long, "
			    "skipped", name, lineno);
			db->malformed++;
			skipping = true;
			continue;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		const char *p = buf + strspn(buf, " \t");
		if (*p == '\0' || *p == '#')
			continue;
		if (db->count >= PWFILE_USERS_MAX || add_line(db, &alloc, buf,
							      lineno) < 0)
			goto fail;
		const char *why = parse_line(&db->entries[db->count]);
		if (why != NULL) {
			log(ctx, AUTHMOD_LOG_ERROR, "%s:%u: %s, skipped", name,
			    lineno, why);
			explicit_bzero(db->entries[db->count].line,
				       db->entries[db->count].linelen);
			free(db->entries[db->count].line);
			db->malformed++;
			continue;
		}
		db->count++;
	}
	explicit_bzero(buf, sizeof(buf));
	if (ferror(f))
		goto fail;
	dedup(db, name, log, ctx);
	return 0;
fail:
	explicit_bzero(buf, sizeof(buf));
	pwfile_db_free(db);
	return -1;
}

const struct pwfile_entry *
pwfile_find(const struct pwfile_db *db, const char *user)
{
	size_t lo = 0, hi = db->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = strcmp(user, db->entries[mid].user);
		if (r == 0)
			return &db->entries[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const char *
put(struct authmod_user *u, size_t *off, const char *s, bool *overflow)
{
	if (s == NULL)
		return NULL;
	size_t n = strlen(s) + 1;
	if (n > sizeof(u->buf) - *off) {
		*overflow = true;
		return NULL;
	}
	char *d = u->buf + *off;
	memcpy(d, s, n);
	*off += n;
	return d;
}

const char *
pwfile_quota(const struct pwfile_entry *e)
{
	if (e->quota != NULL)
		return e->quota;
	return e->quota_buf[0] != '\0' ? e->quota_buf : NULL;
}

int
pwfile_fill(const struct pwfile_entry *e, struct authmod_user *u)
{
	size_t off = 0;
	bool overflow = false;
	char opts[32];

	snprintf(opts, sizeof(opts), "%s%s%s",
		 e->disable_imap ? "disable-imap" : "",
		 e->disable_imap && e->disable_pop3 ? " " : "",
		 e->disable_pop3 ? "disable-pop3" : "");
	u->user = put(u, &off, e->user, &overflow);
	u->uid = e->uid;
	u->gid = e->gid;
	u->home = put(u, &off, e->home, &overflow);
	u->mail = put(u, &off, e->mail, &overflow);
	u->quota = put(u, &off, pwfile_quota(e), &overflow);
	u->options = put(u, &off, opts, &overflow);
	u->proxy_host = put(u, &off, e->proxy_host, &overflow);
	return overflow ? -1 : 0;
}

void
pwfile_db_free(struct pwfile_db *db)
{
	for (size_t i = 0; i < db->count; i++) {
		struct pwfile_entry *e = &db->entries[i];
		explicit_bzero(e->line, e->linelen);
		free(e->line);
	}
	free(db->entries);
	memset(db, 0, sizeof(*db));
}
