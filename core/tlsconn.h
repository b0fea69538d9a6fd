/* Maildock - SPDX-License-Identifier: MIT
 *
 * TLS server contexts (OpenSSL): certificate and key loading (combined PEM
 * as Courier's TLS_CERTFILE, or separate files), an ECDSA certificate
 * beside the RSA one, protocol floor, ciphers, session tickets
 * (core/tlsconn-ticket.h), and SNI with per-domain certificates
 * (tls.sni.<domain>.cert_file/key_file).
 */
#ifndef CORE_TLSCONN_H
#define CORE_TLSCONN_H

#include <openssl/ssl.h>
#include "core/compat.h"

struct conf;
struct tlsconn_ctx;

/* tlsconn_register_settings: register the tls.* keys with core/conf.
 * Start-up only. */
void tlsconn_register_settings(void);

/* tlsconn_ctx_new: build a context from conf's tls.* keys (read-ahead on:
 * see conn_input_pending). Every file is
 * loaded and the key checked against the certificate now, so a bad file
 * fails start-up or reload, not the first client. With no tls.cert_file
 * set, *ctx_r is NULL and 0 is returned (no TLS service).
 * Errors: -ERR_INVAL/-ERR_IO with *error_r malloc'd ("file:line: key: why");
 * -ERR_PERM when a file exists but may not be read (a reload after the
 * privilege drop of a root-only key).
 * Call before dropping privileges (keys are often root-only). */
int tlsconn_ctx_new(const struct conf *conf, struct tlsconn_ctx **ctx_r,
		    char **error_r);

/* tlsconn_ctx_ref / tlsconn_ctx_unref: atomic reference counting; unref
 * sets *ctx to NULL and frees on the last release. Thread-safe. */
struct tlsconn_ctx *tlsconn_ctx_ref(struct tlsconn_ctx *ctx);
void tlsconn_ctx_unref(struct tlsconn_ctx **ctx);

/* tlsconn_new_ssl: a server SSL object for one connection, or NULL. */
SSL *tlsconn_new_ssl(struct tlsconn_ctx *ctx);

/* tlsconn_current / tlsconn_current_set: the context new connections use
 * (reloaded on SIGHUP). _current returns a new reference or NULL; _set takes
 * over the caller's reference. Thread-safe. */
struct tlsconn_ctx *tlsconn_current(void);
void tlsconn_current_set(struct tlsconn_ctx *ctx);

#endif
