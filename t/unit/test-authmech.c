/* Maildock - SPDX-License-Identifier: MIT
 *
 * SASL PLAIN (RFC 4616) and LOGIN decoding: initial responses, challenges,
 * authorization identities, cancellation, bad base64 and malformed
 * messages.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/evp.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/authmech.h"

static int
setup(void **state)
{
	*state = arena_new_wiped(64 * 1024);
	return 0;
}

static int
teardown(void **state)
{
	struct arena *a = *state;
	arena_free(&a);
	return 0;
}

static void
test_authmech_plain_initial(void **state)
{
	struct authmech m;
	const char *ch;
	/* "\0tim\0tanstaaftanstaaf" from RFC 4616 sec. 4 */
	assert_int_equal(authmech_start(&m, *state, "plain",
			 "AHRpbQB0YW5zdGFhZnRhbnN0YWFm", &ch), AUTHMECH_DONE);
	assert_string_equal(m.authzid, "");
	assert_string_equal(m.authcid, "tim");
	assert_string_equal(m.password, "tanstaaftanstaaf");
}

static void
test_authmech_plain_authzid(void **state)
{
	struct authmech m;
	const char *ch;
	/* "Ursel\0Kurt\0xipj3plmq" from RFC 4616 sec. 4 */
	assert_int_equal(authmech_start(&m, *state, "PLAIN", NULL, &ch),
			 AUTHMECH_CONTINUE);
	assert_string_equal(ch, "");
	assert_int_equal(authmech_step(&m, "VXJzZWwAS3VydAB4aXBqM3BsbXE=", &ch),
			 AUTHMECH_DONE);
	assert_string_equal(m.authzid, "Ursel");
	assert_string_equal(m.authcid, "Kurt");
	assert_string_equal(m.password, "xipj3plmq");
}

static void
test_authmech_plain_malformed(void **state)
{
	struct authmech m;
	const char *ch;
	/* "tim\0pw" (one NUL) */
	assert_int_equal(authmech_start(&m, *state, "PLAIN", "dGltAHB3", &ch),
			 -ERR_SYNTAX);
	/* "\0tim\0pw\0x" (three NULs) */
	assert_int_equal(authmech_start(&m, *state, "PLAIN", "AHRpbQBwdwB4",
					&ch), -ERR_SYNTAX);
	/* "\0\0pw" (empty authcid) */
	assert_int_equal(authmech_start(&m, *state, "PLAIN", "AABwdw==", &ch),
			 -ERR_SYNTAX);
	/* "\0tim\0" (empty password) */
	assert_int_equal(authmech_start(&m, *state, "PLAIN", "AHRpbQA=", &ch),
			 -ERR_SYNTAX);
	/* "=" is the empty response: malformed for PLAIN */
	assert_int_equal(authmech_start(&m, *state, "PLAIN", "=", &ch),
			 -ERR_SYNTAX);
}

static void
test_authmech_bad_base64(void **state)
{
	struct authmech m;
	const char *ch;
	static const char *const bad[] = {
		"AHRpbQB0YW5zdGFhZnRhbnN0YWF",	/* length not a multiple of 4 */
		"AHRpbQB0YW5zdGFhZnRhbnN0YW F",	/* blank */
		"AHRpbQB0YW5zdGFhZnRhbnN0YW!m",	/* bad character */
		"AHRp=QB0YW5zdGFhZnRhbnN0YWFm",	/* padding in the middle */
		"AHRpbQB0YW5zdGFhZnRhbnN0Y===",	/* three pad characters */
		"AHRpbQB0YW5zdGFhZnRhbnN0YW=m",	/* data after padding */
	};
	for (size_t i = 0; i < N_ELEMENTS(bad); i++)
		assert_int_equal(authmech_start(&m, *state, "PLAIN", bad[i],
						&ch), -ERR_SYNTAX);
	char *out;
	size_t n;
	assert_int_equal(authmech_base64_decode(*state, "QQ==", 4, &out, &n), 0);
	assert_int_equal(n, 1);
	assert_string_equal(out, "A");
	assert_int_equal(authmech_base64_decode(*state, "", 0, &out, &n), 0);
	assert_int_equal(n, 0);
	assert_int_equal(authmech_base64_decode(*state, "QQ=A", 4, &out, &n),
			 -ERR_SYNTAX);
}

static void
test_authmech_login(void **state)
{
	struct authmech m;
	const char *ch;
	assert_int_equal(authmech_start(&m, *state, "LOGIN", NULL, &ch),
			 AUTHMECH_CONTINUE);
	assert_string_equal(ch, "VXNlcm5hbWU6");	/* Username: */
	assert_int_equal(authmech_step(&m, "dGlt", &ch), AUTHMECH_CONTINUE);
	assert_string_equal(ch, "UGFzc3dvcmQ6");	/* Password: */
	assert_int_equal(authmech_step(&m, "c2VjcmV0", &ch), AUTHMECH_DONE);
	assert_string_equal(m.authzid, "");
	assert_string_equal(m.authcid, "tim");
	assert_string_equal(m.password, "secret");

	/* initial response carries the user name */
	assert_int_equal(authmech_start(&m, *state, "login", "dGlt", &ch),
			 AUTHMECH_CONTINUE);
	assert_string_equal(ch, "UGFzc3dvcmQ6");
	/* a NUL inside a LOGIN field is refused */
	assert_int_equal(authmech_step(&m, "cwBj", &ch), -ERR_SYNTAX);
	/* empty user name */
	assert_int_equal(authmech_start(&m, *state, "LOGIN", "=", &ch),
			 -ERR_SYNTAX);
	assert_int_equal(authmech_start(&m, *state, "LOGIN", NULL, &ch),
			 AUTHMECH_CONTINUE);
	assert_int_equal(authmech_step(&m, "dGl*", &ch), -ERR_SYNTAX);
}

static void
test_authmech_cancel_unknown_limits(void **state)
{
	struct authmech m;
	const char *ch;
	assert_int_equal(authmech_start(&m, *state, "CRAM-MD5", NULL, &ch),
			 -ERR_NOTFOUND);
	assert_int_equal(authmech_start(&m, *state, "LOGIN", NULL, &ch),
			 AUTHMECH_CONTINUE);
	assert_int_equal(authmech_step(&m, "*", &ch), AUTHMECH_CANCELLED);
	assert_int_equal(authmech_start(&m, *state, "PLAIN", "*", &ch),
			 AUTHMECH_CANCELLED);

	size_t n = AUTHMECH_RESPONSE_MAX + 4;
	char *big = malloc(n + 1);
	memset(big, 'Q', n);
	big[n] = '\0';
	assert_int_equal(authmech_start(&m, *state, "PLAIN", big, &ch),
			 -ERR_LIMIT);
	/* a password field over AUTHMECH_FIELD_MAX: "\0u\0" + 1500 'A' */
	char raw[1503];
	raw[0] = '\0';
	raw[1] = 'u';
	raw[2] = '\0';
	memset(raw + 3, 'A', 1500);
	char b64[2100];
	EVP_EncodeBlock((unsigned char *)b64, (unsigned char *)raw,
			(int)sizeof(raw));
	assert_int_equal(authmech_start(&m, *state, "PLAIN", b64, &ch),
			 -ERR_LIMIT);
	free(big);
	assert_string_equal(authmech_names(), "PLAIN LOGIN");
}

/* random responses (fixed seed): never a crash, and a DONE result only
 * with NUL-free fields within the limits */
static void
test_authmech_random_input(void **state)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=* \t";
	unsigned seed = 12345;
	char buf[200];

	for (int i = 0; i < 20000; i++) {
		size_t n = (size_t)(rand_r(&seed) % 120);
		for (size_t j = 0; j < n; j++)
			buf[j] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
		buf[n] = '\0';
		struct authmech m;
		const char *ch;
		int r = authmech_start(&m, *state, i % 2 ? "PLAIN" : "LOGIN", buf,
				       &ch);
		if (r == AUTHMECH_CONTINUE)
			r = authmech_step(&m, buf, &ch);
		assert_true(r == AUTHMECH_DONE || r == AUTHMECH_CONTINUE ||
			    r == AUTHMECH_CANCELLED || r == -ERR_SYNTAX ||
			    r == -ERR_LIMIT);
		if (r == AUTHMECH_DONE) {
			assert_true(strlen(m.authcid) > 0);
			assert_true(strlen(m.authcid) <= AUTHMECH_FIELD_MAX);
			assert_true(strlen(m.password) <= AUTHMECH_FIELD_MAX);
		}
		if (i % 1000 == 0)
			arena_reset(*state);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_authmech_plain_initial,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_authmech_plain_authzid,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_authmech_plain_malformed,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_authmech_bad_base64,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_authmech_login,
						setup, teardown),
		cmocka_unit_test_setup_teardown(
			test_authmech_cancel_unknown_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authmech_random_input,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
