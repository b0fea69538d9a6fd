/* Maildock - SPDX-License-Identifier: MIT
 *
 * For the unit tests of one auth module: load the built module with dlopen
 * and call it through a stand-in host (settings from a key/value array, log
 * lines on stderr as TAP comments, passwords compared as plain text).
 * Included by exactly one .c per test program.
 */
#ifndef T_AUTHMODS_FAKE_HOST_H
#define T_AUTHMODS_FAKE_HOST_H

#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "authmods/authmod.h"

/* NULL-terminated { key, value, key, value, ..., NULL } the module sees */
static const char *const *fake_settings;
static void *handle;
static const struct authmod *mod;

static void fake_log(int level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
fake_log(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "# module log %d: ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static const char *
fake_setting(const void *conf, const char *key)
{
	(void)conf;
	for (const char *const *s = fake_settings; s[0] != NULL; s += 2)
		if (strcmp(s[0], key) == 0)
			return s[1];
	return NULL;
}

static int
fake_verify(const char *password, const char *stored)
{
	return strcmp(password, stored) == 0 ? AUTHMOD_OK : AUTHMOD_FAIL;
}

static const struct authmod_host host = {
	AUTHMOD_ABI, fake_log, fake_setting, fake_verify
};

/* fake_module_load: dlopen $top_builddir/authmods/.libs/libauth_NAME.so
 * into handle and mod; 0, or -1 with the reason on stderr. */
static int
fake_module_load(const char *name)
{
	char path[4096];
	const char *b = getenv("top_builddir");
	snprintf(path, sizeof(path), "%s/authmods/.libs/libauth_%s.so",
		 b ? b : ".", name);
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (handle == NULL) {
		fprintf(stderr, "# %s\n", dlerror());
		return -1;
	}
	mod = dlsym(handle, "authmod_entry");
	return mod ? 0 : -1;
}

/* unload: a cmocka group teardown closing the module */
static int
unload(void **state)
{
	(void)state;
	if (handle)
		dlclose(handle);
	return 0;
}

#endif
