/* Maildock - SPDX-License-Identifier: MIT
 *
 * Unit tests for core/conf: syntax, includes in lexical order, overrides,
 * file:line errors for unknown keys and bad values, origins and dumps.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "core/conf.h"

struct test_settings {
	const char *name;
	unsigned count;
	bool flag;
	size_t size;
	unsigned secs;
	const char *mode;
};

static const char *const modes[] = { "yes", "no", "loopback", NULL };

#define S(k, t, f, d, ...) { k, t, offsetof(struct test_settings, f), d, __VA_ARGS__ }
static const struct conf_setting settings[] = {
	S("test.name", CONF_STRING, name, "dflt"),
	S("test.count", CONF_UINT, count, "3", .min = 1, .max = 100),
	S("test.flag", CONF_BOOL, flag, "no"),
	S("test.size", CONF_SIZE, size, "1k"),
	S("test.timeout", CONF_DURATION, secs, "1m"),
	S("test.mode", CONF_ENUM, mode, "loopback", .values = modes),
};
#undef S
static const struct conf_table table = { "test", settings, 6,
					 sizeof(struct test_settings), "free." };

static char dir[64];

static void
write_file(const char *name, const char *text)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int
load(const char *main_text, struct conf **c, char **error)
{
	char path[256];
	write_file("main.conf", main_text);
	snprintf(path, sizeof(path), "%s/main.conf", dir);
	*error = NULL;
	return conf_load(path, c, error);
}

static int
setup(void **state)
{
	snprintf(dir, sizeof(dir), "/tmp/maildock-conf-XXXXXX");
	assert_non_null(mkdtemp(dir));
	char sub[128];
	snprintf(sub, sizeof(sub), "%s/conf.d", dir);
	mkdir(sub, 0700);
	conf_register(&table);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void
test_conf_defaults_and_values(void **state)
{
	struct conf *c;
	char *error;
	assert_int_equal(load("# comment\n\ntest.count = 7\n"
			      "test.flag=yes\ntest.size = 2M # trailing\n"
			      "test.name = \"a \\\"quoted\\\" #value\"\n"
			      "test.timeout = 2h\n", &c, &error), 0);
	const struct test_settings *s = conf_section(c, &table);
	assert_int_equal(s->count, 7);
	assert_true(s->flag);
	assert_int_equal(s->size, 2 * 1024 * 1024);
	assert_int_equal(s->secs, 7200);
	assert_string_equal(s->name, "a \"quoted\" #value");
	assert_string_equal(s->mode, "loopback");
	const char *file;
	unsigned line;
	assert_int_equal(conf_origin(c, "test.count", &file, &line), 0);
	assert_int_equal(line, 3);
	assert_int_not_equal(conf_origin(c, "test.mode", &file, &line), 0);
	conf_unref(&c);
	assert_null(c);
}

static void
test_conf_unknown_key_names_file_line(void **state)
{
	struct conf *c;
	char *error;
	assert_true(load("test.count = 1\n\ntest.cuont = 2\n", &c, &error) < 0);
	assert_non_null(strstr(error, "main.conf:3: test.cuont: unknown key"));
	free(error);
}

static void
test_conf_bad_value_names_file_line(void **state)
{
	struct conf *c;
	char *error;
	assert_true(load("test.count = 1000\n", &c, &error) < 0);
	assert_non_null(strstr(error, "main.conf:1: test.count: invalid value"));
	free(error);
	assert_true(load("test.mode = maybe\n", &c, &error) < 0);
	assert_non_null(strstr(error, "one of yes no loopback"));
	free(error);
	assert_true(load("test.flag = perhaps\n", &c, &error) < 0);
	free(error);
	assert_true(load("just words\n", &c, &error) < 0);
	assert_non_null(strstr(error, "main.conf:1:"));
	free(error);
	assert_true(load("test.name = \"open\n", &c, &error) < 0);
	free(error);
}

static void
test_conf_includes_in_lexical_order(void **state)
{
	struct conf *c;
	char *error;
	write_file("conf.d/20-b.conf", "test.count = 20\n");
	write_file("conf.d/10-a.conf", "test.count = 10\ntest.name = a\n");
	assert_int_equal(load("test.count = 1\ninclude conf.d/*.conf\n"
			      "free.anything.here = x\n", &c, &error), 0);
	const struct test_settings *s = conf_section(c, &table);
	assert_int_equal(s->count, 20);
	assert_string_equal(s->name, "a");
	const char *file;
	unsigned line;
	assert_int_equal(conf_origin(c, "test.count", &file, &line), 0);
	assert_non_null(strstr(file, "20-b.conf"));
	assert_string_equal(conf_value(c, "free.anything.here"), "x");
	conf_unref(&c);
}

static void
test_conf_missing_include_is_an_error(void **state)
{
	struct conf *c;
	char *error;
	assert_true(load("include nothere.conf\n", &c, &error) < 0);
	assert_non_null(strstr(error, "main.conf:1: include"));
	free(error);
	/* found by fuzz-conf: the error message was left NULL */
	assert_true(load("include \"a.conf\n", &c, &error) < 0);
	assert_non_null(error);
	assert_non_null(strstr(error, "main.conf:1: include: unterminated"));
	free(error);
	/* an empty glob is fine: an empty conf.d */
	assert_int_equal(load("include empty.d/*.conf\n", &c, &error), 0);
	conf_unref(&c);
}

static void
test_conf_include_loop_is_bounded(void **state)
{
	struct conf *c;
	char *error;
	assert_true(load("include main.conf\n", &c, &error) < 0);
	assert_non_null(strstr(error, "nested too deeply"));
	free(error);
}

static void
test_conf_dump_shows_origin(void **state)
{
	struct conf *c;
	char *error, *text = NULL;
	size_t len = 0;
	assert_int_equal(load("test.count = 5\n", &c, &error), 0);
	FILE *f = open_memstream(&text, &len);
	conf_dump(c, f);
	fclose(f);
	assert_non_null(strstr(text, "test.count = 5  # "));
	assert_non_null(strstr(text, "main.conf:1\n"));
	assert_non_null(strstr(text, "test.name = dflt  # default\n"));
	free(text);
	conf_unref(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conf_defaults_and_values),
		cmocka_unit_test(test_conf_unknown_key_names_file_line),
		cmocka_unit_test(test_conf_bad_value_names_file_line),
		cmocka_unit_test(test_conf_includes_in_lexical_order),
		cmocka_unit_test(test_conf_missing_include_is_an_error),
		cmocka_unit_test(test_conf_include_loop_is_bounded),
		cmocka_unit_test(test_conf_dump_shows_origin),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
