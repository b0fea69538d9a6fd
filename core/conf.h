/* Maildock - SPDX-License-Identifier: MIT
 *
 * The configuration: "key = value" files with include GLOB lines (STYLE C16).
 * Each layer registers a table of typed settings that fill a struct of its
 * own; a loaded configuration is an immutable, reference-counted generation,
 * so a reload (SIGHUP) swaps generations while sessions keep theirs.
 */
#ifndef CORE_CONF_H
#define CORE_CONF_H

#include <stdio.h>
#include "core/compat.h"

enum conf_type {
	CONF_STRING,	/* const char *, never NULL ("" when empty) */
	CONF_ENUM,	/* const char *, one of values[] */
	CONF_UINT,	/* unsigned, within [min, max] */
	CONF_BOOL,	/* bool: yes/no, true/false, on/off, 1/0 */
	CONF_SIZE,	/* size_t bytes; suffixes k, M, G (powers of 1024) */
	CONF_DURATION,	/* unsigned seconds; suffixes s, m, h, d */
};

struct conf_setting {
	const char *key;		/* full dotted key, e.g. "imap.greeting" */
	enum conf_type type;
	size_t offset;			/* offsetof() into the table's struct */
	const char *def;		/* default, written as in a file */
	const char *const *values;	/* CONF_ENUM: NULL-terminated list */
	unsigned long long min, max;	/* numeric bounds; max 0: none */
	const char *doc;		/* one line for -n and the docs */
	unsigned flags;			/* CONF_F_* */
};

/* a directory that server.user must be able to write in after start-up
 * (a spool): maildockd -t checks it as that user */
#define CONF_F_WRITABLE_DIR 0x1u

struct conf_table {
	const char *name;			/* "core", "imap", ... */
	const struct conf_setting *settings;
	size_t count;
	size_t struct_size;
	/* Keys under this prefix (e.g. "auth.", "tls.sni.") are accepted as
	 * raw strings and validated by the table's owner; NULL for none. */
	const char *free_prefix;
};

struct conf;

/* conf_register: make table t known to every later conf_load. Start-up only
 * (not thread-safe); t must stay valid for the life of the process. At most
 * 32 tables. */
void conf_register(const struct conf_table *t);

/* conf_load: read path and its includes. On success *conf_r is a new
 * generation (reference count 1) and 0 is returned. On failure returns
 * -ERR_SYNTAX/-ERR_IO/-ERR_INVAL and *error_r is a malloc'd
 * "file:line: key: reason" message the caller frees. Thread-safe. */
int conf_load(const char *path, struct conf **conf_r, char **error_r);

/* conf_ref / conf_unref: reference counting (atomic, thread-safe).
 * conf_unref sets *c to NULL and frees the generation on the last release. */
struct conf *conf_ref(struct conf *c);
void conf_unref(struct conf **c);

/* conf_section: the struct filled for table t (which must be registered).
 * Valid while the caller holds a reference to c. */
const void *conf_section(const struct conf *c, const struct conf_table *t);

/* conf_value: the effective text of key (file value or default); NULL when
 * the key is neither registered nor set. Valid while c is referenced. */
const char *conf_value(const struct conf *c, const char *key);

/* conf_origin: where key was last set: 0 with *file_r and *line_r, or
 * -ERR_NOTFOUND when it has its default. */
int conf_origin(const struct conf *c, const char *key, const char **file_r,
		unsigned *line_r);

typedef void conf_foreach_fn(const char *key, const char *value,
			     const char *file, unsigned line, void *ctx);

/* conf_foreach: call fn for every key set in the files that starts with
 * prefix (the last assignment of each), in key order. */
void conf_foreach(const struct conf *c, const char *prefix,
		  conf_foreach_fn *fn, void *ctx);

/* conf_foreach_flagged: call fn(key, effective value, ctx) for every
 * registered setting whose flags include all of flags. */
void conf_foreach_flagged(const struct conf *c, unsigned flags,
			  void (*fn)(const char *key, const char *value,
				     void *ctx),
			  void *ctx);

/* conf_dump: "key = value  # file:line" (or "# default") for every
 * registered and free-prefix key, sorted, to out (maildockd -n). */
void conf_dump(const struct conf *c, FILE *out);

/* conf_errorf: build the malloc'd message "file:line: key: <fmt>" for a key
 * of c (or "key: <fmt>" when it has its default), for owners of free-prefix
 * keys that reject a value. */
char *conf_errorf(const struct conf *c, const char *key, const char *fmt, ...)
	ATTR_PRINTF(3, 4);

/* conf_current / conf_current_set: the generation new connections use.
 * conf_current returns a new reference (release it with conf_unref);
 * conf_current_set takes over the caller's reference to c and releases
 * the previous one. Thread-safe. */
struct conf *conf_current(void);
void conf_current_set(struct conf *c);

/* conf_parse_bool / conf_parse_size / conf_parse_duration: the value syntaxes
 * above, for free-prefix owners. Return 0 or -ERR_INVAL. */
int conf_parse_bool(const char *s, bool *r);
int conf_parse_size(const char *s, unsigned long long *r);
int conf_parse_duration(const char *s, unsigned long long *r);

#endif
