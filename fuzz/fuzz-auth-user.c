/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer target for the user-name rules and the mail-location expansion
 * (core/auth-chain.h: auth_user_normalize, auth_mail_expand), the place a
 * hostile user name could turn into a path. Input: byte 0 picks settings
 * (lower-casing, default domain, domain separators, template); the rest is
 * "name\ntemplate\nhome". Checks: a normalized name has only the allowed
 * bytes, no leading '.', no "..", at most one '@' with both sides
 * non-empty, fits AUTH_USER_MAX, and normalizes to itself; expanding a
 * fixed template with it gives an absolute path under the template's
 * prefix with no "." or ".." component and no "//"; any template and home
 * from the input expand to an absolute path or an error, never a crash.
 * Build and run: make fuzz.
 */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/arena.h"
#include "core/auth-chain.h"
#include "core/error.h"
#include "core/compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const templates[] = {
	"/var/vmail/%d/%n/Maildir", "%h/Maildir", "~/Maildir",
	"/srv/mail/%u", "/m/%d/%n",
};

static bool
allowed(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c >= 0x80 || strchr("._-+=@", c);
}

static void
check_name(const struct auth_settings *set, const char *out)
{
	char again[AUTH_USER_MAX + 1];
	size_t len = strlen(out);
	const char *at = strchr(out, '@');

	assert(len > 0 && len <= AUTH_USER_MAX);
	for (size_t i = 0; i < len; i++)
		assert(allowed((unsigned char)out[i]));
	assert(out[0] != '.' && strstr(out, "..") == NULL);
	if (at != NULL) {
		assert(at > out && at[1] != '\0' && strchr(at + 1, '@') == NULL);
	}
	assert(auth_user_normalize(set, out, again, sizeof(again)) == 0);
	assert(strcmp(again, out) == 0);
}

static void
check_path(const char *path, const char *tmpl)
{
	assert(path[0] == '/');
	assert(strstr(path, "/../") == NULL && strstr(path, "/./") == NULL);
	assert(strstr(path, "//") == NULL);
	size_t n = strlen(path);
	assert(!(n >= 3 && strcmp(path + n - 3, "/..") == 0));
	assert(!(n >= 2 && strcmp(path + n - 2, "/.") == 0));
	/* the fixed part of an absolute template stays in front */
	if (tmpl[0] == '/') {
		size_t fixed = strcspn(tmpl, "%");
		assert(strncmp(path, tmpl, fixed) == 0);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct auth_settings set;
	char *text, *name, *tmpl = NULL, *home = NULL, *nl;
	char out[AUTH_USER_MAX + 1];
	const char *err = NULL, *path;

	if (size == 0 || size > 8192)
		return 0;
	memset(&set, 0, sizeof(set));
	set.username_lowercase = data[0] & 1;
	set.default_domain = data[0] & 2 ? "example.org" : "";
	set.domain_separators = data[0] & 4 ? "@%" : "@";
	set.mail_location = templates[(data[0] >> 3) % 5];
	text = malloc(size);
	assert(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	name = text;
	if ((nl = strchr(name, '\n')) != NULL) {
		*nl = '\0';
		tmpl = nl + 1;
		if ((nl = strchr(tmpl, '\n')) != NULL) {
			*nl = '\0';
			home = nl + 1;
		}
	}
	struct arena *a = arena_new(1 << 20);
	if (auth_user_normalize(&set, name, out, sizeof(out)) == 0) {
		check_name(&set, out);
		for (size_t i = 0; i < 5; i++) {
			path = auth_mail_expand(a, &set, templates[i], out,
						"/home/user", &err);
			if (path != NULL)
				check_path(path, templates[i]);
			else
				assert(err != NULL);
		}
	}
	if (tmpl != NULL) {
		path = auth_mail_expand(a, &set, tmpl, name, home, &err);
		if (path != NULL)
			assert(path[0] == '/');
		else
			assert(err != NULL);
	}
	arena_free(&a);
	free(text);
	return 0;
}
