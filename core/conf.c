/* Maildock - SPDX-License-Identifier: MIT
 *
 * Configuration loader: reads the main file and its includes into a list of
 * assignments (the last one of a key wins), checks every key and value
 * against the registered tables, and fills each table's struct.
 */
#include <ctype.h>
#include <errno.h>
#include <glob.h>
#include <limits.h>
#include <strings.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include "core/conf-private.h"
#include "core/error.h"
#include "core/sbuf.h"

#define CONF_MAX_TABLES 32
#define CONF_MAX_DEPTH 8
#define CONF_MAX_LINE 8192

struct conf_entry {
	char *key, *value, *file;
	unsigned line;
};

struct conf {
	atomic_int refs;
	struct conf_entry *entries;	/* sorted by key, one per key */
	size_t count, alloc;
	void *sections[CONF_MAX_TABLES];
	char **files;			/* file names, owned */
	size_t nfiles;
};

static const struct conf_table *tables[CONF_MAX_TABLES];
static size_t ntables;
static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct conf *current;

void
conf_register(const struct conf_table *t)
{
	for (size_t i = 0; i < ntables; i++)
		if (tables[i] == t)
			return;
	if (ntables < CONF_MAX_TABLES)
		tables[ntables++] = t;
}

static char *
errorf(const char *fmt, ...) ATTR_PRINTF(1, 2);

static char *
errorf(const char *fmt, ...)
{
	struct sbuf b;
	va_list ap;
	sbuf_init(&b, NULL, 4096);
	va_start(ap, fmt);
	sbuf_vappendf(&b, fmt, ap);
	va_end(ap);
	return b.data[0] ? b.data : xstrdup("configuration error");
}

static struct conf_entry *
find(const struct conf *c, const char *key)
{
	size_t lo = 0, hi = c->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(key, c->entries[mid].key);
		if (r == 0)
			return &c->entries[mid];
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

static const struct conf_setting *
find_setting(const char *key, size_t *table_r)
{
	for (size_t t = 0; t < ntables; t++) {
		for (size_t i = 0; i < tables[t]->count; i++) {
			if (strcmp(tables[t]->settings[i].key, key) == 0) {
				if (table_r != NULL)
					*table_r = t;
				return &tables[t]->settings[i];
			}
		}
	}
	return NULL;
}

static bool
is_free_key(const char *key)
{
	for (size_t t = 0; t < ntables; t++) {
		const char *p = tables[t]->free_prefix;
		if (p != NULL && strncmp(key, p, strlen(p)) == 0 &&
		    key[strlen(p)] != '\0')
			return true;
	}
	return false;
}

static void
set_entry(struct conf *c, const char *key, const char *value,
	  const char *file, unsigned line)
{
	/* Files are read in order, so a later assignment replaces the earlier. */
	size_t lo = 0, hi = c->count;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int r = strcmp(key, c->entries[mid].key);
		if (r == 0) {
			free(c->entries[mid].value);
			c->entries[mid].value = xstrdup(value);
			c->entries[mid].file = (char *)file;
			c->entries[mid].line = line;
			return;
		}
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	if (c->count == c->alloc) {
		c->alloc = c->alloc ? c->alloc * 2 : 32;
		c->entries = xrealloc(c->entries, c->alloc * sizeof(*c->entries));
	}
	memmove(&c->entries[lo + 1], &c->entries[lo],
		(c->count - lo) * sizeof(*c->entries));
	c->entries[lo] = (struct conf_entry){ xstrdup(key), xstrdup(value),
					      (char *)file, line };
	c->count++;
}

/* Parse a value: optionally double-quoted with \" and \\ escapes; an
 * unquoted value ends at " #" and has its trailing blanks removed. */
static int
parse_value(const char *p, struct sbuf *out)
{
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\0')
				return -ERR_SYNTAX;
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			sbuf_appendc(out, *p);
		}
		for (p++; isspace((unsigned char)*p); p++)
			;
		return (*p == '\0' || *p == '#') ? 0 : -ERR_SYNTAX;
	}
	const char *end = p;
	for (const char *q = p; *q != '\0'; q++) {
		if (*q == '#' && (q == p || isspace((unsigned char)q[-1])))
			break;
		if (!isspace((unsigned char)*q))
			end = q + 1;
	}
	sbuf_append(out, p, (size_t)(end - p));
	return 0;
}

static int read_file(struct conf *c, const char *path, int depth,
		     char **error_r);

/* A missing directory in a pattern is an empty match; anything else
 * (permissions) is an error. */
static int
glob_error(const char *path, int err)
{
	(void)path;
	return err != ENOENT;
}

static int
do_include(struct conf *c, const char *from, unsigned line,
	   const char *pattern, int depth, char **error_r)
{
	struct sbuf full;
	glob_t g;
	int ret = 0;

	sbuf_init(&full, NULL, 4096);
	if (pattern[0] != '/') {
		const char *slash = strrchr(from, '/');
		if (slash != NULL)
			sbuf_append(&full, from, (size_t)(slash - from + 1));
	}
	sbuf_appends(&full, pattern);
	int r = glob(full.data, 0, glob_error, &g);
	if (r == GLOB_NOMATCH) {
		/* An empty conf.d is fine; a named file that is missing is not. */
		if (strpbrk(pattern, "*?[") == NULL) {
			*error_r = errorf("%s:%u: include %s: no such file",
					  from, line, full.data);
			ret = -ERR_IO;
		}
	} else if (r != 0) {
		*error_r = errorf("%s:%u: include %s: cannot read",
				  from, line, full.data);
		ret = -ERR_IO;
	} else {
		for (size_t i = 0; i < g.gl_pathc && ret == 0; i++)
			ret = read_file(c, g.gl_pathv[i], depth + 1, error_r);
	}
	if (r != GLOB_NOMATCH)
		globfree(&g);
	sbuf_free(&full);
	return ret;
}

static int
parse_line(struct conf *c, const char *file, unsigned lineno, char *line,
	   int depth, char **error_r)
{
	char *p = line, *key;
	struct sbuf value;
	int ret;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 0;
	if (strncmp(p, "include", 7) == 0 && isspace((unsigned char)p[7])) {
		sbuf_init(&value, NULL, CONF_MAX_LINE);
		ret = parse_value(p + 8 + strspn(p + 8, " \t"), &value);
		if (ret < 0) {
			*error_r = errorf("%s:%u: include: unterminated quoted "
					  "value", file, lineno);
		} else if (value.len == 0) {
			*error_r = errorf("%s:%u: include needs a file name",
					  file, lineno);
			ret = -ERR_SYNTAX;
		} else {
			ret = do_include(c, file, lineno, value.data, depth,
					 error_r);
		}
		sbuf_free(&value);
		return ret;
	}
	key = p;
	while (isalnum((unsigned char)*p) || *p == '.' || *p == '_' ||
	       *p == '-')
		p++;
	size_t keylen = (size_t)(p - key);
	while (isspace((unsigned char)*p))
		p++;
	if (keylen == 0 || *p != '=') {
		*error_r = errorf("%s:%u: expected \"key = value\"", file,
				  lineno);
		return -ERR_SYNTAX;
	}
	key[keylen] = '\0';
	p++;
	while (isspace((unsigned char)*p))
		p++;
	if (find_setting(key, NULL) == NULL && !is_free_key(key)) {
		*error_r = errorf("%s:%u: %s: unknown key", file, lineno, key);
		return -ERR_INVAL;
	}
	sbuf_init(&value, NULL, CONF_MAX_LINE);
	ret = parse_value(p, &value);
	if (ret < 0)
		*error_r = errorf("%s:%u: %s: unterminated quoted value",
				  file, lineno, key);
	else
		set_entry(c, key, value.data, file, lineno);
	sbuf_free(&value);
	return ret;
}

static int
read_file(struct conf *c, const char *path, int depth, char **error_r)
{
	char buf[CONF_MAX_LINE], ebuf[128];
	unsigned lineno = 0;
	int ret = 0;

	if (depth > CONF_MAX_DEPTH) {
		*error_r = errorf("%s: includes nested too deeply", path);
		return -ERR_LIMIT;
	}
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		*error_r = errorf("%s: cannot open: %s", path,
				  errno_str(errno, ebuf, sizeof(ebuf)));
		return -ERR_IO;
	}
	c->files = xrealloc(c->files, (c->nfiles + 1) * sizeof(*c->files));
	char *name = c->files[c->nfiles++] = xstrdup(path);
	while (ret == 0 && fgets(buf, sizeof(buf), f) != NULL) {
		lineno++;
		size_t len = strlen(buf);
		if (len == sizeof(buf) - 1 && buf[len - 1] != '\n') {
			*error_r = errorf("%s:%u: line too long", name, lineno);
			ret = -ERR_LIMIT;
			break;
		}
		buf[strcspn(buf, "\r\n")] = '\0';
		ret = parse_line(c, name, lineno, buf, depth, error_r);
	}
	if (ret == 0 && ferror(f)) {
		*error_r = errorf("%s: read error", name);
		ret = -ERR_IO;
	}
	fclose(f);
	return ret;
}

static int
fill_sections(struct conf *c, char **error_r)
{
	char ebuf[256];

	for (size_t t = 0; t < ntables; t++) {
		const struct conf_table *tab = tables[t];
		c->sections[t] = xcalloc(1, tab->struct_size);
		for (size_t i = 0; i < tab->count; i++) {
			const struct conf_setting *st = &tab->settings[i];
			struct conf_entry *e = find(c, st->key);
			const char *v = e ? e->value : st->def;
			if (conf_fill_one(st, c->sections[t], v) == 0)
				continue;
			if (e != NULL)
				*error_r = errorf("%s:%u: %s: invalid value "
						  "\"%s\": expected %s",
						  e->file, e->line, st->key, v,
						  conf_expected(st, ebuf, sizeof(ebuf)));
			else
				*error_r = errorf("%s: bad built-in default",
						  st->key);
			return -ERR_INVAL;
		}
	}
	return 0;
}

static void
conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->count; i++) {
		free(c->entries[i].key);
		free(c->entries[i].value);
	}
	free(c->entries);
	for (size_t i = 0; i < CONF_MAX_TABLES; i++)
		free(c->sections[i]);
	for (size_t i = 0; i < c->nfiles; i++)
		free(c->files[i]);
	free(c->files);
	free(c);
}

int
conf_load(const char *path, struct conf **conf_r, char **error_r)
{
	struct conf *c = xcalloc(1, sizeof(*c));
	int ret;

	atomic_init(&c->refs, 1);
	*error_r = NULL;
	ret = read_file(c, path, 0, error_r);
	if (ret == 0)
		ret = fill_sections(c, error_r);
	if (ret < 0) {
		conf_free(c);
		return ret;
	}
	*conf_r = c;
	return 0;
}

struct conf *
conf_ref(struct conf *c)
{
	atomic_fetch_add(&c->refs, 1);
	return c;
}

void
conf_unref(struct conf **cp)
{
	struct conf *c = *cp;
	if (c == NULL)
		return;
	*cp = NULL;
	if (atomic_fetch_sub(&c->refs, 1) == 1)
		conf_free(c);
}

const void *
conf_section(const struct conf *c, const struct conf_table *t)
{
	for (size_t i = 0; i < ntables; i++)
		if (tables[i] == t)
			return c->sections[i];
	return NULL;
}

const char *
conf_value(const struct conf *c, const char *key)
{
	struct conf_entry *e = find(c, key);
	if (e != NULL)
		return e->value;
	const struct conf_setting *st = find_setting(key, NULL);
	return st ? st->def : NULL;
}

void
conf_foreach_flagged(const struct conf *c, unsigned flags,
		     void (*fn)(const char *key, const char *value, void *ctx),
		     void *ctx)
{
	for (size_t t = 0; t < ntables; t++)
		for (size_t i = 0; i < tables[t]->count; i++) {
			const struct conf_setting *st = &tables[t]->settings[i];
			if ((st->flags & flags) == flags)
				fn(st->key, conf_value(c, st->key), ctx);
		}
}

int
conf_origin(const struct conf *c, const char *key, const char **file_r,
	    unsigned *line_r)
{
	struct conf_entry *e = find(c, key);
	if (e == NULL)
		return -ERR_NOTFOUND;
	*file_r = e->file;
	*line_r = e->line;
	return 0;
}

void
conf_foreach(const struct conf *c, const char *prefix, conf_foreach_fn *fn,
	     void *ctx)
{
	size_t plen = strlen(prefix);
	for (size_t i = 0; i < c->count; i++) {
		const struct conf_entry *e = &c->entries[i];
		if (strncmp(e->key, prefix, plen) == 0)
			fn(e->key, e->value, e->file, e->line, ctx);
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
dump_quoted(FILE *out, const char *v)
{
	bool plain = *v != '\0' && *v != '"' && strchr(v, '#') == NULL &&
		     !isspace((unsigned char)*v) &&
		     !isspace((unsigned char)v[strlen(v) - 1]);
	if (plain) {
		fputs(v, out);
		return;
	}
	fputc('"', out);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\')
			fputc('\\', out);
		fputc(*v, out);
	}
	fputc('"', out);
}

void
conf_dump(const struct conf *c, FILE *out)
{
	size_t n = 0, alloc = c->count;
	for (size_t t = 0; t < ntables; t++)
		alloc += tables[t]->count;
	const char **keys = xcalloc(alloc ? alloc : 1, sizeof(*keys));
	for (size_t t = 0; t < ntables; t++)
		for (size_t i = 0; i < tables[t]->count; i++)
			keys[n++] = tables[t]->settings[i].key;
	for (size_t i = 0; i < c->count; i++)
		if (find_setting(c->entries[i].key, NULL) == NULL)
			keys[n++] = c->entries[i].key;
	qsort(keys, n, sizeof(*keys), cmp_str);
	for (size_t i = 0; i < n; i++) {
		const struct conf_entry *e = find(c, keys[i]);
		fprintf(out, "%s = ", keys[i]);
		dump_quoted(out, conf_value(c, keys[i]));
		if (e != NULL)
			fprintf(out, "  # %s:%u\n", e->file, e->line);
		else
			fputs("  # default\n", out);
	}
	free(keys);
}

char *
conf_errorf(const struct conf *c, const char *key, const char *fmt, ...)
{
	struct sbuf b;
	va_list ap;
	const struct conf_entry *e = find(c, key);

	sbuf_init(&b, NULL, 4096);
	if (e != NULL)
		sbuf_appendf(&b, "%s:%u: ", e->file, e->line);
	sbuf_appendf(&b, "%s: ", key);
	va_start(ap, fmt);
	sbuf_vappendf(&b, fmt, ap);
	va_end(ap);
	return b.len ? b.data : xstrdup("configuration error");
}

struct conf *
conf_current(void)
{
	pthread_mutex_lock(&current_lock);
	struct conf *c = current ? conf_ref(current) : NULL;
	pthread_mutex_unlock(&current_lock);
	return c;
}

void
conf_current_set(struct conf *c)
{
	pthread_mutex_lock(&current_lock);
	struct conf *old = current;
	current = c;
	pthread_mutex_unlock(&current_lock);
	conf_unref(&old);
}
