/* Maildock - SPDX-License-Identifier: MIT
 *
 * libFuzzer target for SASL decoding (protocols/authmech.h: PLAIN of
 * RFC 4616 and LOGIN, as IMAP AUTHENTICATE / POP3 AUTH feed them). Input:
 * the first byte picks the mechanism name and whether the first line is an
 * initial response; the rest is split at '\n' into client response lines.
 * Also the raw decoders on the whole input. Checks: results are one of the
 * documented codes, DONE comes with NUL-free credentials within the limits,
 * and a small arena cap fails with -ERR_NOMEM, never worse.
 * Build and run: make fuzz.
 */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/authmech.h"
#include "core/compat.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_result(int r, const struct authmech *m)
{
	assert(r == AUTHMECH_CONTINUE || r == AUTHMECH_DONE ||
	       r == AUTHMECH_CANCELLED || r == -ERR_NOTFOUND ||
	       r == -ERR_SYNTAX || r == -ERR_LIMIT || r == -ERR_NOMEM);
	if (r != AUTHMECH_DONE)
		return;
	assert(m->authzid != NULL && m->authcid != NULL && m->password != NULL);
	assert(strlen(m->authcid) > 0 && strlen(m->authcid) <= AUTHMECH_FIELD_MAX);
	assert(strlen(m->password) <= AUTHMECH_FIELD_MAX);
	assert(strlen(m->authzid) <= AUTHMECH_FIELD_MAX);
}

static void
run_mech(const char *name, bool initial, char *text, size_t cap)
{
	struct arena *a = arena_new_wiped(cap);
	struct authmech m;
	const char *challenge = NULL;
	char *save = NULL;
	char *line = strtok_r(text, "\n", &save);
	int r;

	memset(&m, 0, sizeof(m));
	r = authmech_start(&m, a, name, initial ? line : NULL, &challenge);
	if (initial && line != NULL)
		line = strtok_r(NULL, "\n", &save);
	check_result(r, &m);
	for (unsigned steps = 0; r == AUTHMECH_CONTINUE && line != NULL &&
	     steps < 8; steps++) {
		assert(challenge != NULL);
		r = authmech_step(&m, line, &challenge);
		check_result(r, &m);
		line = strtok_r(NULL, "\n", &save);
	}
	arena_free(&a);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "PLAIN", "LOGIN", "plain",
					     "login", "CRAM-MD5", "" };
	struct arena *a;
	char *text, *out;
	size_t out_len;
	const char *z, *c, *p;

	if (size == 0 || size > 4 * AUTHMECH_RESPONSE_MAX)
		return 0;
	/* raw decoders on the bytes after the selector */
	a = arena_new(0);
	int r = authmech_base64_decode(a, (const char *)data + 1, size - 1,
				       &out, &out_len);
	assert(r == 0 || r == -ERR_SYNTAX || r == -ERR_LIMIT);
	if (r == 0) {
		assert(out[out_len] == '\0');
		r = authmech_plain_decode(a, out, out_len, &z, &c, &p);
		assert(r == 0 || r == -ERR_SYNTAX || r == -ERR_LIMIT);
		if (r == 0)
			assert(*c != '\0' && *p != '\0');
	}
	r = authmech_plain_decode(a, (const char *)data + 1, size - 1, &z, &c, &p);
	assert(r == 0 || r == -ERR_SYNTAX || r == -ERR_LIMIT);
	arena_free(&a);

	/* the state machines, as a session drives them */
	text = malloc(size);
	assert(text != NULL);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	run_mech(names[data[0] % 6], data[0] & 0x80, text,
		 data[0] & 0x40 ? 64 : 0);
	free(text);
	return 0;
}
