/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer target for the users-file parser (authmods/pwfile/pwfile-parse.h,
 * Dovecot's passwd-file layout): the input is parsed as a whole file, then
 * every entry is looked up by its own name and copied into an
 * authmod_user. Checks: entries are sorted and unique, each is found by
 * name, fields stay inside the entry's own line, and pwfile_fill either
 * fits or refuses. Build and run: make fuzz.
 */
#include <assert.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "authmods/authmod.h"
#include "authmods/pwfile/pwfile-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(void *ctx, int level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
quiet(void *ctx, int level, const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);	/* format every message */
	va_end(ap);
	(*(unsigned *)ctx)++;
}

static void
check_inside(const struct pwfile_entry *e, const char *s)
{
	if (s == NULL || *s == '\0')	/* NULL, or "" for "key" alone */
		return;
	/* strings point into the entry's line or its quota buffer */
	if (s >= e->quota_buf && s < e->quota_buf + sizeof(e->quota_buf))
		return;
	assert(s >= e->line && s <= e->line + e->linelen);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pwfile_db db;
	struct authmod_user u;
	unsigned msgs = 0;
	FILE *f;

	if (size == 0)
		return 0;
	f = fmemopen((void *)data, size, "r");
	if (f == NULL)
		return 0;
	memset(&db, 0, sizeof(db));
	int r = pwfile_parse(f, "fuzz", &db, quiet, &msgs);
	fclose(f);
	if (r < 0) {
		assert(db.count == 0);
		pwfile_db_free(&db);
		return 0;
	}
	for (size_t i = 0; i < db.count; i++) {
		const struct pwfile_entry *e = &db.entries[i];
		assert(e->user != NULL && e->password != NULL);
		if (i > 0)
			assert(strcmp(db.entries[i - 1].user, e->user) < 0);
		check_inside(e, e->user);
		check_inside(e, e->password);
		check_inside(e, e->home);
		check_inside(e, e->mail);
		check_inside(e, e->quota);
		check_inside(e, e->proxy_host);
		assert(pwfile_find(&db, e->user) == e);
		memset(&u, 0, sizeof(u));
		if (pwfile_fill(e, &u) == 0) {
			assert(u.user != NULL && strcmp(u.user, e->user) == 0);
			assert(u.user >= u.buf && u.user < u.buf + sizeof(u.buf));
		}
	}
	(void)pwfile_find(&db, "alice@example.org");
	(void)pwfile_find(&db, "");
	pwfile_db_free(&db);
	assert(db.count == 0 && db.entries == NULL);
	return 0;
}
