/* Maildock - SPDX-License-Identifier: MIT
 *
 * SASL PLAIN and LOGIN as small state machines over already-read lines.
 * Base64 is checked strictly before OpenSSL's EVP_DecodeBlock sees it,
 * since that function skips blanks and counts the padding as data.
 */
#include <ctype.h>
#include <strings.h>
#include <openssl/evp.h>
#include "core/arena.h"
#include "core/error.h"
#include "protocols/authmech.h"

/* base64 of "Username:" and "Password:", as every LOGIN client expects */
#define LOGIN_USER_CHALLENGE "VXNlcm5hbWU6"
#define LOGIN_PASS_CHALLENGE "UGFzc3dvcmQ6"

const char *
authmech_names(void)
{
	return "PLAIN LOGIN";
}

static bool
b64_char(unsigned char c)
{
	return isalnum(c) || c == '+' || c == '/';
}

int
authmech_base64_decode(struct arena *a, const char *in, size_t len,
		       char **out_r, size_t *out_len_r)
{
	size_t pad = 0;

	if (len > AUTHMECH_RESPONSE_MAX)
		return -ERR_LIMIT;
	if (len % 4 != 0)
		return -ERR_SYNTAX;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c == '=' && i >= len - 2 && (i == len - 1 || in[i + 1] == '='))
			pad++;
		else if (pad > 0 || !b64_char(c))
			return -ERR_SYNTAX;
	}
	char *out = arena_alloc(a, len / 4 * 3 + 1);
	if (out == NULL)
		return -ERR_NOMEM;
	int n = len == 0 ? 0 :
		EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)in,
				(int)len);
	if (n < 0 || (size_t)n < pad)
		return -ERR_SYNTAX;
	n -= (int)pad;
	out[n] = '\0';
	*out_r = out;
	*out_len_r = (size_t)n;
	return 0;
}

int
authmech_plain_decode(struct arena *a, const char *msg, size_t len,
		      const char **authzid_r, const char **authcid_r,
		      const char **password_r)
{
	const char *nul1 = memchr(msg, '\0', len);
	if (nul1 == NULL)
		return -ERR_SYNTAX;
	const char *cid = nul1 + 1;
	const char *nul2 = memchr(cid, '\0', len - (size_t)(cid - msg));
	if (nul2 == NULL)
		return -ERR_SYNTAX;
	const char *pw = nul2 + 1;
	size_t zlen = (size_t)(nul1 - msg), clen = (size_t)(nul2 - cid);
	size_t plen = len - (size_t)(pw - msg);
	if (memchr(pw, '\0', plen) != NULL || clen == 0 || plen == 0)
		return -ERR_SYNTAX;
	if (zlen > AUTHMECH_FIELD_MAX || clen > AUTHMECH_FIELD_MAX ||
	    plen > AUTHMECH_FIELD_MAX)
		return -ERR_LIMIT;
	*authzid_r = arena_strndup(a, msg, zlen);
	*authcid_r = arena_strndup(a, cid, clen);
	*password_r = arena_strndup(a, pw, plen);
	if (*authzid_r == NULL || *authcid_r == NULL || *password_r == NULL)
		return -ERR_NOMEM;
	return 0;
}

/* decode one response into a NUL-free string */
static int
decode_field(struct authmech *m, const char *resp, const char **r)
{
	char *s;
	size_t n;
	int ret = authmech_base64_decode(m->arena, resp, strlen(resp), &s, &n);
	if (ret < 0)
		return ret;
	if (memchr(s, '\0', n) != NULL)
		return -ERR_SYNTAX;
	if (n > AUTHMECH_FIELD_MAX)
		return -ERR_LIMIT;
	*r = s;
	return 0;
}

static int
step_plain(struct authmech *m, const char *resp, const char **challenge_r)
{
	char *msg = NULL;
	size_t n = 0;

	int ret = authmech_base64_decode(m->arena, resp, strlen(resp), &msg,
					 &n);
	if (ret == 0)
		ret = authmech_plain_decode(m->arena, msg, n, &m->authzid,
					    &m->authcid, &m->password);
	if (msg != NULL && ret < 0)
		explicit_bzero(msg, n);
	return ret < 0 ? ret : AUTHMECH_DONE;
}

static int
step_login(struct authmech *m, const char *resp, const char **challenge_r)
{
	int ret;

	if (m->step == 0) {
		ret = decode_field(m, resp, &m->authcid);
		if (ret < 0)
			return ret;
		if (*m->authcid == '\0')
			return -ERR_SYNTAX;
		m->step = 1;
		*challenge_r = LOGIN_PASS_CHALLENGE;
		return AUTHMECH_CONTINUE;
	}
	ret = decode_field(m, resp, &m->password);
	return ret < 0 ? ret : AUTHMECH_DONE;
}

int
authmech_step(struct authmech *m, const char *response,
	      const char **challenge_r)
{
	*challenge_r = "";
	if (strcmp(response, "*") == 0)
		return AUTHMECH_CANCELLED;
	if (strlen(response) > AUTHMECH_RESPONSE_MAX)
		return -ERR_LIMIT;
	if (m->kind == AUTHMECH_PLAIN)
		return step_plain(m, response, challenge_r);
	return step_login(m, response, challenge_r);
}

int
authmech_start(struct authmech *m, struct arena *a, const char *name,
	       const char *initial, const char **challenge_r)
{
	memset(m, 0, sizeof(*m));
	m->arena = a;
	m->authzid = "";
	*challenge_r = "";
	if (strcasecmp(name, "PLAIN") == 0)
		m->kind = AUTHMECH_PLAIN;
	else if (strcasecmp(name, "LOGIN") == 0)
		m->kind = AUTHMECH_LOGIN;
	else
		return -ERR_NOTFOUND;
	if (initial == NULL) {
		if (m->kind == AUTHMECH_LOGIN)
			*challenge_r = LOGIN_USER_CHALLENGE;
		return AUTHMECH_CONTINUE;
	}
	/* RFC 4959 sec. 3: "=" is an initial response of zero length */
	return authmech_step(m, strcmp(initial, "=") == 0 ? "" : initial,
			     challenge_r);
}
