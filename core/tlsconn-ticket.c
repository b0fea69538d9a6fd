/* Maildock - SPDX-License-Identifier: MIT
 *
 * Stateless session tickets: the key of each period of the clock is an
 * HMAC of the period under a secret made once in the master, so every
 * worker derives the same keys without talking to the others, a reload
 * keeps them, and a key is never used past the period after its own.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include "core/error.h"
#include "core/tlsconn-ticket.h"

#define TICKET_NAME 16
#define TICKET_KEY 32

static unsigned char secret[32];
static bool have_secret;

struct ticket_keys {
	unsigned char name[TICKET_NAME];	/* in the clear in the ticket */
	unsigned char aes[TICKET_KEY];		/* AES-256-CBC */
	unsigned char mac[TICKET_KEY];		/* HMAC-SHA256 */
};

int
tlsconn_ticket_init(void)
{
	if (have_secret)
		return 0;
	if (RAND_priv_bytes(secret, sizeof(secret)) != 1)
		return -ERR_TLS;
	have_secret = true;
	return 0;
}

/* one HMAC-SHA256 of (label, period) under the secret */
static bool
derive_one(char label, uint64_t period, unsigned char *out, size_t n)
{
	unsigned char msg[9], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;

	msg[0] = (unsigned char)label;
	for (int i = 0; i < 8; i++)
		msg[1 + i] = (unsigned char)(period >> (56 - 8 * i));
	if (HMAC(EVP_sha256(), secret, sizeof(secret), msg, sizeof(msg), md,
		 &mdlen) == NULL || mdlen < n)
		return false;
	memcpy(out, md, n);
	OPENSSL_cleanse(md, sizeof(md));
	return true;
}

static bool
derive(uint64_t period, struct ticket_keys *k)
{
	return derive_one('n', period, k->name, sizeof(k->name)) &&
	       derive_one('e', period, k->aes, sizeof(k->aes)) &&
	       derive_one('m', period, k->mac, sizeof(k->mac));
}

static bool
mac_init(EVP_MAC_CTX *hctx, unsigned char *key)
{
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_octet_string(OSSL_MAC_PARAM_KEY, key,
						  TICKET_KEY),
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest,
						 0),
		OSSL_PARAM_construct_end(),
	};
	return EVP_MAC_CTX_set_params(hctx, params) == 1;
}

/* OpenSSL's ticket key callback: enc 1 issues a ticket under the current
 * period's key; enc 0 finds the key a ticket names: 1 (current period),
 * 2 (the previous one: accept, and issue a fresh ticket), 0 (unknown or
 * too old: a full handshake), -1 (failure). */
static int
ticket_cb(SSL *ssl, unsigned char name[16], unsigned char *iv,
	  EVP_CIPHER_CTX *cctx, EVP_MAC_CTX *hctx, int enc)
{
	long life = SSL_CTX_get_timeout(SSL_get_SSL_CTX(ssl));
	uint64_t period = (uint64_t)time(NULL) / (uint64_t)(life > 0 ? life : 1);
	struct ticket_keys k;
	int r = 0;

	if (enc) {
		r = derive(period, &k) && RAND_bytes(iv, 16) == 1 &&
		    EVP_EncryptInit_ex(cctx, EVP_aes_256_cbc(), NULL, k.aes,
				       iv) == 1 && mac_init(hctx, k.mac) ? 1 : -1;
		if (r == 1)
			memcpy(name, k.name, TICKET_NAME);
	} else {
		for (uint64_t age = 0; age < 2 && period >= age; age++) {
			if (!derive(period - age, &k)) {
				r = -1;
				break;
			}
			if (CRYPTO_memcmp(name, k.name, TICKET_NAME) != 0)
				continue;
			r = EVP_DecryptInit_ex(cctx, EVP_aes_256_cbc(), NULL,
					       k.aes, iv) == 1 &&
			    mac_init(hctx, k.mac) ? (age == 0 ? 1 : 2) : -1;
			break;
		}
	}
	OPENSSL_cleanse(&k, sizeof(k));
	return r;
}

int
tlsconn_ticket_setup(SSL_CTX *ctx, bool enable, unsigned lifetime)
{
	static const unsigned char sid_ctx[] = "maildock";

	/* A server-side session cache lives in one process: a client would
	 * resume only when it met the same worker again. */
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	if (!enable) {
		SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
		return SSL_CTX_set_num_tickets(ctx, 0) == 1 ? 0 : -ERR_TLS;
	}
	if (!have_secret)
		return -ERR_TLS;
	SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_timeout(ctx, (long)lifetime);
	/* one ticket per full handshake, not OpenSSL's default two: each
	 * costs an encryption and a record, and a mail client keeps one */
	if (SSL_CTX_set_num_tickets(ctx, 1) != 1 ||
	    SSL_CTX_set_session_id_context(ctx, sid_ctx,
					   sizeof(sid_ctx) - 1) != 1 ||
	    SSL_CTX_set_tlsext_ticket_key_evp_cb(ctx, ticket_cb) != 1)
		return -ERR_TLS;
	return 0;
}
