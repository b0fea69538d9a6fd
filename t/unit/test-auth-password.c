/* Maildock - SPDX-License-Identifier: MIT
 *
 * Password schemes: known hashes from libxcrypt's and Drepper's test
 * vectors and from OpenSSL (openssl dgst), with and without a {SCHEME}
 * prefix, locked and malformed hashes, and hash-then-verify round trips.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "core/auth-password.h"
#include "core/error.h"

#define PW "Hello world!"

struct vector {
	const char *stored;
	const char *password;
};

/* crypt(3) outputs for "Hello world!" (SHA-crypt ones are the examples of
 * Drepper's specification) */
static const struct vector crypt_vectors[] = {
	{ "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$"
	  "42RgPIrXdXSEEs77lDi/4IqKVqFBAVaHJkzw5uD1r57", PW },
	{ "$2b$05$abcdefghijklmnopqrstuu7nFISH/8YdwlXD3lw69A4iBUf6fvWAW", PW },
	{ "$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1", PW },
	{ "$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5", PW },
	{ "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQ"
	  "JuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", PW },
	{ "{SHA512-CRYPT}$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O8"
	  "17G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", PW },
	{ "{SHA256-CRYPT}$5$saltstring$5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaB"
	  "BGWEc5", PW },
	{ "{BLF-CRYPT}$2b$05$abcdefghijklmnopqrstuu7nFISH/8YdwlXD3lw69A4iBUf6"
	  "fvWAW", PW },
	{ "{MD5-CRYPT}$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1", PW },
	{ "{CRYPT}$y$j9T$F5Jx5fExrKuPp53xLKQ..1$42RgPIrXdXSEEs77lDi/4IqKVqFBA"
	  "VaHJkzw5uD1r57", PW },
	{ "{crypt}$1$saltstri$YMyguxXMBpd2TEZ.vS/3q1", PW },
};

/* openssl dgst -binary of "secret" (+ salt "salt1234"), base64 */
static const struct vector openssl_vectors[] = {
	{ "{PLAIN}secret", "secret" },
	{ "{SHA}5en6G6MezRroT3XKqkdPOmY/BfQ=", "secret" },
	{ "{SSHA}Wcm1xEisNjqp921ALcHfuQ7avFdzYWx0MTIzNA==", "secret" },
	{ "{SSHA256}lXT7qF+fT7OVoVlwD0tMd02E1ak2dLDbk993wZxIM65zYWx0MTIzNA==",
	  "secret" },
	{ "{SSHA512}Enu6C74BUnsH3FJ5DbcJeTfPKMqMpMZOm66wJaf/iZqtrDfdcDyFhEmcw"
	  "bcWyY5CUEDqbpdskEI2yPdeCZGVPXNhbHQxMjM0", "secret" },
};

static void
test_auth_password_crypt_known(void **state)
{
	for (size_t i = 0; i < N_ELEMENTS(crypt_vectors); i++) {
		const struct vector *v = &crypt_vectors[i];
		assert_int_equal(auth_password_verify(v->password, v->stored), 0);
		assert_int_equal(auth_password_verify("hello world!", v->stored),
				 -ERR_PERM);
		assert_int_equal(auth_password_verify("", v->stored), -ERR_PERM);
	}
}

static void
test_auth_password_openssl_known(void **state)
{
	for (size_t i = 0; i < N_ELEMENTS(openssl_vectors); i++) {
		const struct vector *v = &openssl_vectors[i];
		assert_int_equal(auth_password_verify(v->password, v->stored), 0);
		assert_int_equal(auth_password_verify("Secret", v->stored),
				 -ERR_PERM);
		assert_int_equal(auth_password_verify("secret2", v->stored),
				 -ERR_PERM);
		assert_int_equal(auth_password_verify("secre", v->stored),
				 -ERR_PERM);
	}
}

/* libargon2 (argon2id_hash_encoded / argon2i_hash_encoded, m=1024 t=2
 * p=1, salt "saltsaltsaltsalt") of "Hello world!"; skipped where the
 * library is absent */
static void
test_auth_password_argon2_known(void **state)
{
	static const char id[] = "$argon2id$v=19$m=1024,t=2,p=1$c2FsdHNhbHRz"
		"YWx0c2FsdA$ONP2LC5W7Hz2fHf9fgl8Fqnf4IKiVNu75vBrBSYa7CU";
	static const char i[] = "$argon2i$v=19$m=1024,t=2,p=1$c2FsdHNhbHRzYW"
		"x0c2FsdA$GsvMv5uicGTVg0FUlHkXxTqg6aD1onBO6nSgdLKhkg4";
	char *h = NULL;
	if (auth_password_hash("ARGON2ID", "x", &h) == -ERR_NOTFOUND)
		skip();
	free(h);
	char buf[300];
	assert_int_equal(auth_password_verify(PW, id), 0);
	assert_int_equal(auth_password_verify(PW, i), 0);
	snprintf(buf, sizeof(buf), "{ARGON2ID}%s", id);
	assert_int_equal(auth_password_verify(PW, buf), 0);
	assert_int_equal(auth_password_verify("hello world!", buf), -ERR_PERM);
	snprintf(buf, sizeof(buf), "{ARGON2I}%s", i);
	assert_int_equal(auth_password_verify(PW, buf), 0);
	assert_int_equal(auth_password_verify("", buf), -ERR_PERM);
	/* a damaged hash is malformed, not a mismatch */
	assert_int_equal(auth_password_verify(PW, "{ARGON2ID}$argon2id$v=19$"
					      "m=1024,t=2,p=1$c2Fs$"),
			 -ERR_INVAL);
	assert_int_equal(auth_password_verify(PW, "{ARGON2ID}$6$saltstring$x"),
			 -ERR_INVAL);
}

static void
test_auth_password_locked_and_malformed(void **state)
{
	assert_int_equal(auth_password_verify("", ""), -ERR_PERM);
	assert_int_equal(auth_password_verify("x", "!$6$saltstring$svn8"),
			 -ERR_PERM);
	assert_int_equal(auth_password_verify("x", "*"), -ERR_PERM);
	assert_int_equal(auth_password_verify("x", "{PLAIN}"), -ERR_PERM);
	assert_int_equal(auth_password_verify("", "{PLAIN}"), -ERR_PERM);
	assert_int_equal(auth_password_verify("", "{SHA512-CRYPT}"), -ERR_PERM);
	assert_int_equal(auth_password_verify("secret", "{NOPE}secret"),
			 -ERR_INVAL);
	assert_int_equal(auth_password_verify("secret", "{PLAIN"), -ERR_INVAL);
	/* bad base64: wrong length, bad characters, padding in the middle */
	assert_int_equal(auth_password_verify("secret", "{SSHA}Wcm1xE"),
			 -ERR_INVAL);
	assert_int_equal(auth_password_verify("secret",
			 "{SSHA}Wcm1xEisNjqp921ALcHfuQ7avFdzYWx0MTIz*A=="),
			 -ERR_INVAL);
	assert_int_equal(auth_password_verify("secret",
			 "{SSHA}Wcm1=EisNjqp921ALcHfuQ7avFdzYWx0MTIzNA=="),
			 -ERR_INVAL);
	/* an SSHA too short to hold its digest */
	assert_int_equal(auth_password_verify("secret", "{SSHA512}c2FsdA=="),
			 -ERR_INVAL);
	/* unsalted digest with trailing bytes is not a digest */
	assert_int_equal(auth_password_verify("secret",
			 "{SHA}5en6G6MezRroT3XKqkdPOmY/BfRzYWx0"), -ERR_INVAL);
	/* a crypt setting libxcrypt does not know */
	assert_int_equal(auth_password_verify("x", "$9$zzz$zzz"), -ERR_INVAL);
}

static void
test_auth_password_hash_roundtrip(void **state)
{
	for (const char *const *s = auth_password_schemes(); *s; s++) {
		char *h = NULL;
		int r = auth_password_hash(*s, "p\xc3\xa4ss w:rd", &h);
		if (r == -ERR_NOTFOUND && strncmp(*s, "ARGON2", 6) == 0)
			continue;	/* no libargon2 here */
		assert_int_equal(r, 0);
		assert_non_null(h);
		assert_int_equal(h[0], '{');
		assert_int_equal(auth_password_verify("p\xc3\xa4ss w:rd", h), 0);
		assert_int_equal(auth_password_verify("pass w:rd", h), -ERR_PERM);
		free(h);
	}
	char *a = NULL, *b = NULL;
	assert_int_equal(auth_password_hash("ssha512", "x", &a), 0);
	assert_int_equal(auth_password_hash("SSHA512", "x", &b), 0);
	assert_string_not_equal(a, b);	/* fresh salt each time */
	free(a);
	free(b);
	assert_int_equal(auth_password_hash("NOPE", "x", &a), -ERR_NOTFOUND);
}

static void
test_auth_password_too_long(void **state)
{
	char big[AUTH_PASSWORD_MAX + 2];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	char *stored = xmalloc(sizeof(big) + 8);
	snprintf(stored, sizeof(big) + 8, "{PLAIN}%s", big + 8);
	assert_int_equal(auth_password_verify(big, stored), -ERR_PERM);
	char *h = NULL;
	assert_int_equal(auth_password_hash("PLAIN", big, &h), -ERR_INVAL);
	free(stored);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_auth_password_crypt_known),
		cmocka_unit_test(test_auth_password_openssl_known),
		cmocka_unit_test(test_auth_password_argon2_known),
		cmocka_unit_test(test_auth_password_locked_and_malformed),
		cmocka_unit_test(test_auth_password_hash_roundtrip),
		cmocka_unit_test(test_auth_password_too_long),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
