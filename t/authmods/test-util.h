/* Maildock - SPDX-License-Identifier: MIT
 *
 * Helpers shared by the auth unit tests (included by exactly one .c per
 * test program): paths of the built modules, a configuration written to
 * a temporary file, and stand-ins for the session functions auth.c calls,
 * so the tests link without the daemon's connection code.
 */
#ifndef T_AUTHMODS_TEST_UTIL_H
#define T_AUTHMODS_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <cmocka.h>
#include "core/auth.h"
#include "core/conf.h"
#include "core/conn.h"
#include "core/session.h"

/* the build tree: $top_builddir as the test harness sets it, else "." */
static inline const char *
test_builddir(void)
{
	const char *d = getenv("top_builddir");
	return d != NULL && *d != '\0' ? d : ".";
}

/* dir of the test modules (t/authmods/.libs) or the real ones
 * (authmods/.libs), into buf */
static inline const char *
test_moddir(char *buf, size_t size, bool real)
{
	snprintf(buf, size, "%s/%s/.libs", test_builddir(),
		 real ? "authmods" : "t/authmods");
	return buf;
}

/* write text into a new temporary file; returns its malloc'd path */
static inline char *
test_write_file(const char *text)
{
	char *path = strdup("/tmp/maildock-auth-test-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

/* load a configuration made of the printf-formatted lines */
static inline int
test_conf(struct conf **conf_r, char **error_r, char **path_r,
	  const char *fmt, ...) ATTR_PRINTF(4, 5);

static inline int
test_conf(struct conf **conf_r, char **error_r, char **path_r,
	  const char *fmt, ...)
{
	char text[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	char *path = test_write_file(text);
	int r = conf_load(path, conf_r, error_r);
	if (path_r != NULL)
		*path_r = path;
	else {
		unlink(path);
		free(path);
	}
	return r;
}

/* stand-ins for core/session.c and core/conn.c */
bool test_conn_tls;
char test_last_log[4096];

void
slog_write(const struct session *s, enum log_level level, const char *fmt,
	   ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(test_last_log, sizeof(test_last_log), fmt, ap);
	va_end(ap);
}

bool
conn_is_tls(const struct conn *c)
{
	return test_conn_tls;
}

#endif
