/* Maildock - SPDX-License-Identifier: MIT
 *
 * Password schemes. crypt(3) hashes go to libxcrypt (crypt_rn, which needs
 * ~32 KiB of scratch: it comes from the heap, never a bounded thread stack);
 * the LDAP-style salted digests are computed with OpenSSL's EVP; Argon2
 * comes from libargon2 when the system has it (loaded on first use, so
 * maildockd neither needs its headers to build nor the library to run).
 * Every comparison of secrets is constant-time.
 */
#include <crypt.h>
#include <ctype.h>
#include <dlfcn.h>
#include <pthread.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "core/auth-password.h"
#include "core/error.h"

#define DIGEST_MAX 64	/* SHA-512 */
#define SALT_LEN 8

enum kind { K_CRYPT, K_PLAIN, K_DIGEST, K_SALTED, K_ARGON2 };

struct scheme {
	const char *name;
	enum kind kind;
	const char *prefix;	/* crypt(3) setting prefix for hashing */
	const char *md;		/* OpenSSL digest name */
};

static const struct scheme schemes[] = {
	{ "YESCRYPT", K_CRYPT, "$y$", NULL },
	{ "SHA512-CRYPT", K_CRYPT, "$6$", NULL },
	{ "SHA256-CRYPT", K_CRYPT, "$5$", NULL },
	{ "BLF-CRYPT", K_CRYPT, "$2b$", NULL },
	{ "MD5-CRYPT", K_CRYPT, "$1$", NULL },
	{ "CRYPT", K_CRYPT, "$6$", NULL },
	{ "DES-CRYPT", K_CRYPT, NULL, NULL },
	{ "SSHA512", K_SALTED, NULL, "SHA512" },
	{ "SSHA256", K_SALTED, NULL, "SHA256" },
	{ "SSHA", K_SALTED, NULL, "SHA1" },
	{ "SHA512", K_DIGEST, NULL, "SHA512" },
	{ "SHA256", K_DIGEST, NULL, "SHA256" },
	{ "SHA", K_DIGEST, NULL, "SHA1" },
	{ "SHA1", K_DIGEST, NULL, "SHA1" },
	{ "ARGON2ID", K_ARGON2, "$argon2id$", NULL },
	{ "ARGON2I", K_ARGON2, "$argon2i$", NULL },
	{ "PLAIN", K_PLAIN, NULL, NULL },
	{ "CLEARTEXT", K_PLAIN, NULL, NULL },
};

static const char *const scheme_names[] = {
	"YESCRYPT", "SHA512-CRYPT", "SHA256-CRYPT", "BLF-CRYPT", "MD5-CRYPT",
	"SSHA512", "SSHA256", "SSHA", "SHA512", "SHA256", "SHA", "ARGON2ID",
	"ARGON2I", "PLAIN", NULL
};

const char *const *
auth_password_schemes(void)
{
	return scheme_names;
}

static const struct scheme *
scheme_find(const char *name, size_t len)
{
	for (size_t i = 0; i < N_ELEMENTS(schemes); i++)
		if (strlen(schemes[i].name) == len &&
		    strncasecmp(schemes[i].name, name, len) == 0)
			return &schemes[i];
	return NULL;
}

/* Strict base64 (RFC 4648 sec. 4, padded): returns the decoded length or
 * -1. EVP_DecodeBlock alone would accept blanks and count the padding. */
static int
b64_decode(const char *in, unsigned char *out, size_t outsize)
{
	size_t len = strlen(in), pad = 0;

	if (len == 0 || len % 4 != 0 || len / 4 * 3 > outsize ||
	    len > INT32_MAX)
		return -1;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '=') {
			if (i < len - 2)
				return -1;
			pad++;
		} else if (pad > 0 ||
			   !(isalnum(c) || c == '+' || c == '/')) {
			return -1;
		}
	}
	int n = EVP_DecodeBlock(out, (const unsigned char *)in, (int)len);
	return n < 0 ? -1 : n - (int)pad;
}

static int
digest(const char *mdname, const char *pw, const unsigned char *salt,
       size_t saltlen, unsigned char *out, unsigned *outlen_r)
{
	const EVP_MD *md = EVP_get_digestbyname(mdname);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = md != NULL && ctx != NULL &&
		 EVP_DigestInit_ex(ctx, md, NULL) == 1 &&
		 EVP_DigestUpdate(ctx, pw, strlen(pw)) == 1 &&
		 EVP_DigestUpdate(ctx, salt, saltlen) == 1 &&
		 EVP_DigestFinal_ex(ctx, out, outlen_r) == 1;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -ERR_IO;
}

/* libargon2's API (argon2.h), declared here so no headers are needed */
#define ARGON2_TYPE_I 1
#define ARGON2_TYPE_ID 2
#define ARGON2_VERIFY_MISMATCH (-35)
#define ARGON2_T_COST 3
#define ARGON2_M_COST 65536	/* KiB */
#define ARGON2_SALT_LEN 16

typedef int argon2_verify_fn(const char *encoded, const void *pwd,
			     size_t pwdlen, int type);
typedef int argon2_hash_fn(uint32_t t_cost, uint32_t m_cost,
			   uint32_t parallelism, const void *pwd,
			   size_t pwdlen, const void *salt, size_t saltlen,
			   size_t hashlen, char *encoded, size_t encodedlen);

static pthread_once_t argon2_once = PTHREAD_ONCE_INIT;
static argon2_verify_fn *argon2_verify_p;
static argon2_hash_fn *argon2i_hash_p, *argon2id_hash_p;

static void
argon2_load(void)
{
	void *h = dlopen("libargon2.so.1", RTLD_NOW | RTLD_LOCAL);
	if (h == NULL)
		return;
	argon2_verify_p = (argon2_verify_fn *)dlsym(h, "argon2_verify");
	argon2i_hash_p = (argon2_hash_fn *)dlsym(h, "argon2i_hash_encoded");
	argon2id_hash_p = (argon2_hash_fn *)dlsym(h, "argon2id_hash_encoded");
}

static bool
argon2_available(void)
{
	pthread_once(&argon2_once, argon2_load);
	return argon2_verify_p != NULL && argon2i_hash_p != NULL &&
	       argon2id_hash_p != NULL;
}

/* "$argon2id$v=19$m=...,t=...,p=...$salt$hash" (the type is in the text;
 * libargon2 compares in constant time) */
static int
verify_argon2(const char *password, const char *data)
{
	int type;
	if (strncmp(data, "$argon2id$", 10) == 0)
		type = ARGON2_TYPE_ID;
	else if (strncmp(data, "$argon2i$", 9) == 0)
		type = ARGON2_TYPE_I;
	else
		return -ERR_INVAL;
	if (!argon2_available())
		return -ERR_INVAL;
	int r = argon2_verify_p(data, password, strlen(password), type);
	if (r == 0)
		return 0;
	return r == ARGON2_VERIFY_MISMATCH ? -ERR_PERM : -ERR_INVAL;
}

static int
hash_argon2(const struct scheme *sc, const char *password, char **hash_r)
{
	unsigned char salt[ARGON2_SALT_LEN];
	char enc[256];

	if (!argon2_available())
		return -ERR_NOTFOUND;
	if (RAND_bytes(salt, sizeof(salt)) != 1)
		return -ERR_IO;
	argon2_hash_fn *fn = strcmp(sc->name, "ARGON2ID") == 0 ?
			     argon2id_hash_p : argon2i_hash_p;
	if (fn(ARGON2_T_COST, ARGON2_M_COST, 1, password, strlen(password),
	       salt, sizeof(salt), 32, enc, sizeof(enc)) != 0)
		return -ERR_IO;
	size_t n = strlen(sc->name) + strlen(enc) + 3;
	*hash_r = xmalloc(n);
	snprintf(*hash_r, n, "{%s}%s", sc->name, enc);
	return 0;
}

static int
verify_crypt(const char *password, const char *stored)
{
	struct crypt_data *cd;
	int ret = -ERR_PERM;

	/* "!" and "*" lock an account (shadow(5)); "" is no password. */
	if (*stored == '\0' || *stored == '!' || *stored == '*')
		return -ERR_PERM;
	cd = xcalloc(1, sizeof(*cd));
	const char *h = crypt_rn(password, stored, cd, (int)sizeof(*cd));
	if (h == NULL || *h == '*') {
		ret = -ERR_INVAL;
	} else {
		size_t hl = strlen(h);
		if (hl == strlen(stored) && CRYPTO_memcmp(h, stored, hl) == 0)
			ret = 0;
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ret;
}

static int
verify_digest(const struct scheme *sc, const char *password,
	      const char *data)
{
	unsigned char raw[DIGEST_MAX + 256], mine[DIGEST_MAX];
	unsigned mlen = 0;
	int n = b64_decode(data, raw, sizeof(raw));
	const EVP_MD *md = EVP_get_digestbyname(sc->md);

	if (n < 0 || md == NULL)
		return -ERR_INVAL;
	size_t dlen = (size_t)EVP_MD_get_size(md);
	if ((size_t)n < dlen || (sc->kind == K_DIGEST && (size_t)n != dlen))
		return -ERR_INVAL;
	if (digest(sc->md, password, raw + dlen, (size_t)n - dlen, mine,
		   &mlen) < 0 || mlen != dlen)
		return -ERR_INVAL;
	int ret = CRYPTO_memcmp(mine, raw, dlen) == 0 ? 0 : -ERR_PERM;
	explicit_bzero(mine, sizeof(mine));
	return ret;
}

static int
verify_plain(const char *password, const char *data)
{
	size_t a = strlen(password), b = strlen(data);
	/* compare over the stored length so timing does not reveal it early */
	int diff = CRYPTO_memcmp(password, data, a < b ? a : b);
	return diff == 0 && a == b ? 0 : -ERR_PERM;
}

int
auth_password_verify(const char *password, const char *stored)
{
	const struct scheme *sc = NULL;
	const char *data = stored;

	if (password == NULL || stored == NULL ||
	    strlen(password) > AUTH_PASSWORD_MAX)
		return -ERR_PERM;
	if (strnlen(stored, AUTH_PASSWORD_HASH_MAX + 1) > AUTH_PASSWORD_HASH_MAX)
		return -ERR_INVAL;
	if (*stored == '{') {
		const char *end = strchr(stored, '}');
		if (end == NULL)
			return -ERR_INVAL;
		sc = scheme_find(stored + 1, (size_t)(end - stored - 1));
		if (sc == NULL)
			return -ERR_INVAL;
		data = end + 1;
	}
	if (*data == '\0')
		return -ERR_PERM;	/* no password set: never a match */
	if ((sc == NULL || sc->kind == K_CRYPT || sc->kind == K_ARGON2) &&
	    strncmp(data, "$argon2", 7) == 0)
		return verify_argon2(password, data);
	if (sc != NULL && sc->kind == K_ARGON2)
		return -ERR_INVAL;
	if (sc == NULL || sc->kind == K_CRYPT)
		return verify_crypt(password, data);
	if (sc->kind == K_PLAIN)
		return verify_plain(password, data);
	return verify_digest(sc, password, data);
}

static int
hash_crypt(const struct scheme *sc, const char *password, char **hash_r)
{
	char setting[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *cd;
	int ret = 0;

	if (sc->prefix == NULL)
		return -ERR_NOTFOUND;	/* DES: verify only */
	if (crypt_gensalt_rn(sc->prefix, 0, NULL, 0, setting,
			     (int)sizeof(setting)) == NULL)
		return -ERR_IO;
	cd = xcalloc(1, sizeof(*cd));
	const char *h = crypt_rn(password, setting, cd, (int)sizeof(*cd));
	if (h == NULL || *h == '*') {
		ret = -ERR_IO;
	} else {
		size_t n = strlen(sc->name) + strlen(h) + 3;
		*hash_r = xmalloc(n);
		snprintf(*hash_r, n, "{%s}%s", sc->name, h);
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	return ret;
}

static int
hash_digest(const struct scheme *sc, const char *password, char **hash_r)
{
	unsigned char raw[DIGEST_MAX + SALT_LEN];
	unsigned dlen = 0;
	size_t saltlen = sc->kind == K_SALTED ? SALT_LEN : 0;
	unsigned char *salt = raw + DIGEST_MAX;

	if (saltlen > 0 && RAND_bytes(salt, (int)saltlen) != 1)
		return -ERR_IO;
	if (digest(sc->md, password, salt, saltlen, raw, &dlen) < 0)
		return -ERR_IO;
	memmove(raw + dlen, salt, saltlen);
	size_t rawlen = dlen + saltlen;
	size_t n = strlen(sc->name) + 3 + (rawlen + 2) / 3 * 4 + 1;
	*hash_r = xmalloc(n);
	int off = snprintf(*hash_r, n, "{%s}", sc->name);
	EVP_EncodeBlock((unsigned char *)*hash_r + off, raw, (int)rawlen);
	return 0;
}

int
auth_password_hash(const char *scheme, const char *password, char **hash_r)
{
	const struct scheme *sc = scheme_find(scheme, strlen(scheme));

	if (sc == NULL)
		return -ERR_NOTFOUND;
	if (strlen(password) > AUTH_PASSWORD_MAX)
		return -ERR_INVAL;
	if (sc->kind == K_CRYPT)
		return hash_crypt(sc, password, hash_r);
	if (sc->kind == K_ARGON2)
		return hash_argon2(sc, password, hash_r);
	if (sc->kind == K_PLAIN) {
		size_t n = strlen(password) + 8;
		*hash_r = xmalloc(n);
		snprintf(*hash_r, n, "{PLAIN}%s", password);
		return 0;
	}
	return hash_digest(sc, password, hash_r);
}
