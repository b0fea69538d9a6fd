/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer target for the configuration parser (core/conf.h): the input is
 * split at "\n--8<--\n" into up to three files, main.conf, a.conf and
 * b.conf, in a private temporary directory, so include lines (globs,
 * self-includes, loops) have something to find; then conf_load reads
 * main.conf against a table with one setting of each type and a free
 * prefix. Checks: a failure comes with a message naming the file, a success
 * dumps and releases cleanly. Build and run: make fuzz (fuzz/local.mk).
 */
#include <assert.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "core/conf.h"
#include "core/error.h"
#include "core/compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_settings {
	const char *name;
	unsigned count;
	bool flag;
	size_t size;
	unsigned secs;
	const char *mode;
};

static const char *const modes[] = { "yes", "no", "loopback", NULL };

#define S(k, t, f, d, ...) \
	{ k, t, offsetof(struct fuzz_settings, f), d, __VA_ARGS__ }
static const struct conf_setting settings[] = {
	S("f.name", CONF_STRING, name, "dflt"),
	S("f.count", CONF_UINT, count, "3", .min = 1, .max = 100),
	S("f.flag", CONF_BOOL, flag, "no"),
	S("f.size", CONF_SIZE, size, "1k"),
	S("f.timeout", CONF_DURATION, secs, "1m"),
	S("f.mode", CONF_ENUM, mode, "loopback", .values = modes),
};
#undef S
static const struct conf_table table = { "fuzz", settings, 6,
					 sizeof(struct fuzz_settings), "free." };

static char dir[64];
static char paths[3][96];
static FILE *devnull;

static void
fuzz_cleanup(void)
{
	for (int i = 0; i < 3; i++)
		unlink(paths[i]);
	rmdir(dir);
	if (devnull != NULL)
		fclose(devnull);
}

static void
fuzz_init(void)
{
	static const char *const names[3] = { "main.conf", "a.conf", "b.conf" };

	snprintf(dir, sizeof(dir), "/tmp/maildock-fuzz-conf.XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	for (int i = 0; i < 3; i++)
		snprintf(paths[i], sizeof(paths[i]), "%s/%s", dir, names[i]);
	conf_register(&table);
	devnull = fopen("/dev/null", "w");
	atexit(fuzz_cleanup);
}

static void
write_part(int i, const uint8_t *p, size_t n)
{
	int fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);

	if (fd < 0)
		abort();
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			abort();
		p += w;
		n -= (size_t)w;
	}
	close(fd);
}

static void
dump_one(const char *key, const char *value, const char *file, unsigned line,
	 void *ctx)
{
	assert(key != NULL && value != NULL && file != NULL);
	(*(unsigned *)ctx)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char sep[] = "\n--8<--\n";
	static bool ready;
	struct conf *c = NULL;
	char *error = NULL;
	size_t off = 0;
	unsigned n = 0;

	if (!ready) {
		fuzz_init();
		ready = true;
	}
	for (int i = 0; i < 3; i++) {
		const uint8_t *end = NULL;
		for (size_t j = off; i < 2 && j + sizeof(sep) - 1 <= size; j++)
			if (memcmp(data + j, sep, sizeof(sep) - 1) == 0) {
				end = data + j;
				break;
			}
		size_t len = end != NULL ? (size_t)(end - data) - off : size - off;
		write_part(i, data + off, len);
		off += len + (end != NULL ? sizeof(sep) - 1 : 0);
		if (off > size)
			off = size;
	}
	int r = conf_load(paths[0], &c, &error);
	if (r < 0) {
		assert(c == NULL || r < 0);
		assert(error != NULL && strlen(error) > 0);
		free(error);
		return 0;
	}
	assert(c != NULL);
	const struct fuzz_settings *s = conf_section(c, &table);
	assert(s != NULL && s->name != NULL && s->mode != NULL);
	assert(s->count >= 1 && s->count <= 100);
	conf_foreach(c, "", dump_one, &n);
	conf_dump(c, devnull);
	conf_unref(&c);
	assert(c == NULL);
	return 0;
}
