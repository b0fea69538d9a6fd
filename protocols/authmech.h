/* Maildock - SPDX-License-Identifier: MIT
 *
 * SASL mechanisms shared by IMAP AUTHENTICATE (RFC 3501 sec. 6.2.2, with
 * SASL-IR of RFC 4959) and POP3 AUTH (RFC 5034): PLAIN (RFC 4616) and
 * LOGIN (draft-murchison-sasl-login). Pure decoding: no I/O, no logging.
 * The decoded credentials go to auth_login (core/auth.h).
 */
#ifndef PROTOCOLS_AUTHMECH_H
#define PROTOCOLS_AUTHMECH_H

#include "core/compat.h"

struct arena;

/* the longest client response accepted (base64 text), and the longest
 * identity or password inside it, in bytes */
#define AUTHMECH_RESPONSE_MAX 8192
#define AUTHMECH_FIELD_MAX 1024

/* results of authmech_start/authmech_step besides the negative errors */
#define AUTHMECH_CONTINUE 0	/* send *challenge_r, read another line */
#define AUTHMECH_DONE 1		/* authzid/authcid/password are set */
#define AUTHMECH_CANCELLED 2	/* client sent "*" (IMAP: tagged BAD) */

enum authmech_kind {
	AUTHMECH_PLAIN,
	AUTHMECH_LOGIN,
};

struct authmech {
	enum authmech_kind kind;
	unsigned step;
	struct arena *arena;	/* credentials live here (use a wiped one) */
	const char *authzid;	/* "" when none */
	const char *authcid;
	const char *password;
};

/* authmech_names: the mechanisms for a CAPABILITY "AUTH=" / CAPA "SASL"
 * list, space-separated: "PLAIN LOGIN" (static). */
const char *authmech_names(void);

/* authmech_start: begin mechanism name (case-insensitive) for m, keeping
 * decoded strings in arena a (which should be an arena_new_wiped one).
 * initial is the SASL initial response (NULL when the client sent none;
 * "=" is the empty response). Returns AUTHMECH_CONTINUE with *challenge_r
 * the base64 challenge to send (static; "" for an empty one),
 * AUTHMECH_DONE, AUTHMECH_CANCELLED, or:
 *   -ERR_NOTFOUND  unknown mechanism
 *   -ERR_SYNTAX    bad base64, or a malformed PLAIN message
 *   -ERR_LIMIT     response or field too long
 *   -ERR_NOMEM     arena cap reached
 * Not thread-safe for one m; different m are independent. */
int authmech_start(struct authmech *m, struct arena *a, const char *name,
		   const char *initial, const char **challenge_r);

/* authmech_step: feed the client's next response line (without CRLF).
 * Same results as authmech_start. */
int authmech_step(struct authmech *m, const char *response,
		  const char **challenge_r);

/* authmech_base64_decode: strict base64 (RFC 4648 sec. 4: padded, no
 * blanks) of in[0..len) into a NUL-terminated arena string; *out_len_r is
 * the decoded length (which may contain NULs). Returns 0, -ERR_SYNTAX,
 * -ERR_LIMIT (len > AUTHMECH_RESPONSE_MAX) or -ERR_NOMEM. Thread-safe. */
int authmech_base64_decode(struct arena *a, const char *in, size_t len,
			   char **out_r, size_t *out_len_r);

/* authmech_plain_decode: split a decoded PLAIN message
 * "[authzid] NUL authcid NUL passwd" (RFC 4616 sec. 2) into arena
 * strings. Returns 0, -ERR_SYNTAX (not exactly two NULs, empty authcid
 * or password), -ERR_LIMIT (a field over AUTHMECH_FIELD_MAX) or -ERR_NOMEM. */
int authmech_plain_decode(struct arena *a, const char *msg, size_t len,
			  const char **authzid_r, const char **authcid_r,
			  const char **password_r);

#endif
