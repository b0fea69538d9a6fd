/* Maildock - SPDX-License-Identifier: MIT
 *
 * OpenSSL server contexts: one per configuration generation, holding the
 * default certificate and, for SNI, one context per configured domain.
 * Contexts are reference counted so a reload never pulls one from under an
 * open connection.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <strings.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include "core/conf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/sbuf.h"
#include "core/tlsconn.h"
#include "core/tlsconn-ticket.h"

#define TLS_MAX_SNI 256

struct tls_settings {
	const char *cert_file, *key_file, *ca_file;
	const char *ecdsa_cert_file, *ecdsa_key_file;
	const char *min_protocol, *ciphers, *ciphersuites;
	bool prefer_server_ciphers, session_tickets;
	unsigned ticket_lifetime;
};

struct sni_entry {
	char *domain;
	SSL_CTX *ctx;
};

struct tlsconn_ctx {
	atomic_int refs;
	SSL_CTX *ctx;
	struct sni_entry sni[TLS_MAX_SNI];
	size_t nsni;
};

static const char *const protocols[] = { "TLSv1", "TLSv1.1", "TLSv1.2",
					 "TLSv1.3", NULL };

#define S(k, t, f, d, ...) { k, t, offsetof(struct tls_settings, f), d, __VA_ARGS__ }
static const struct conf_setting tls_conf_settings[] = {
	S("tls.cert_file", CONF_STRING, cert_file, "", .doc =
	  "PEM certificate chain, optionally preceded by the private key"),
	S("tls.key_file", CONF_STRING, key_file, "", .doc =
	  "PEM private key; empty when it is in tls.cert_file"),
	S("tls.ca_file", CONF_STRING, ca_file, "", .doc =
	  "PEM intermediate certificates sent after the certificate"),
	S("tls.ecdsa_cert_file", CONF_STRING, ecdsa_cert_file, "", .doc =
	  "PEM ECDSA certificate chain served beside tls.cert_file's RSA one"),
	S("tls.ecdsa_key_file", CONF_STRING, ecdsa_key_file, "", .doc =
	  "PEM ECDSA private key; empty when it is in tls.ecdsa_cert_file"),
	S("tls.min_protocol", CONF_ENUM, min_protocol, "TLSv1.2",
	  .values = protocols, .doc = "oldest TLS version accepted"),
	S("tls.ciphers", CONF_STRING, ciphers,
	  "HIGH:!aNULL:!MD5:!RC4:!3DES", .doc = "TLS 1.2 cipher list"),
	S("tls.ciphersuites", CONF_STRING, ciphersuites, "",
	  .doc = "TLS 1.3 ciphersuites; empty: OpenSSL's default"),
	S("tls.prefer_server_ciphers", CONF_BOOL, prefer_server_ciphers, "yes",
	  .doc = "use the server's cipher order"),
	S("tls.session_tickets", CONF_BOOL, session_tickets, "yes",
	  .doc = "let clients resume TLS sessions with tickets"),
	S("tls.session_ticket_lifetime", CONF_DURATION, ticket_lifetime, "1h",
	  .min = 1, .max = 604800, .doc = "how often ticket keys rotate; a "
	  "ticket stays valid one to two lifetimes"),
};
#undef S

static const struct conf_table tls_conf_table = {
	"tls", tls_conf_settings, N_ELEMENTS(tls_conf_settings),
	sizeof(struct tls_settings), "tls.sni.",
};

static pthread_mutex_t current_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tlsconn_ctx *current;

void
tlsconn_register_settings(void)
{
	conf_register(&tls_conf_table);
}

static char *
ssl_error(const struct conf *conf, const char *key, const char *what)
{
	char buf[256];
	unsigned long e = ERR_peek_last_error();
	ERR_error_string_n(e, buf, sizeof(buf));
	ERR_clear_error();
	return conf_errorf(conf, key, "%s: %s", what, e ? buf : "unknown error");
}

/* What OpenSSL's last error means for a certificate or key file, in an
 * admin's words; NULL when there is nothing to add to OpenSSL's text. */
static const char *
file_error_words(unsigned long e, bool is_key)
{
	int lib = ERR_GET_LIB(e), reason = ERR_GET_REASON(e);

	if (lib == ERR_LIB_PEM && reason == PEM_R_NO_START_LINE)
		return is_key ? "no PEM private key in the file (a DER "
				"file? convert it with openssl pkey -outform pem)"
			      : "not a PEM certificate (a DER file? convert it "
				"with openssl x509 -inform der -outform pem)";
	if ((lib == ERR_LIB_PEM && (reason == PEM_R_BAD_PASSWORD_READ ||
				    reason == PEM_R_BAD_DECRYPT ||
				    reason == PEM_R_PROBLEMS_GETTING_PASSWORD)) ||
	    (lib == ERR_LIB_EVP && reason == EVP_R_BAD_DECRYPT))
		return "the private key is protected by a password, which a "
		       "daemon cannot type: store it decrypted (openssl pkey "
		       "-in KEY -out NEWKEY), readable by root only";
	if (is_key && lib == ERR_LIB_OSSL_DECODER && reason == ERR_R_UNSUPPORTED)
		return "no PEM private key in the file";
	if (lib == ERR_LIB_X509 && reason == X509_R_KEY_VALUES_MISMATCH)
		return "the private key does not match the certificate";
	if (lib == ERR_LIB_SSL && reason == SSL_R_EE_KEY_TOO_SMALL)
		return "the key is too short for this system's OpenSSL "
		       "security level";
	return NULL;
}

/* A certificate or key file OpenSSL refused: the words for the first
 * error in the queue that has some, then that error's OpenSSL text (the
 * last one is only SSL's "PEM lib"). */
static char *
file_error(const struct conf *conf, const char *key, const char *path,
	   bool is_key)
{
	char buf[256];
	const char *words = NULL;
	unsigned long e, shown = 0;

	while ((e = ERR_get_error()) != 0) {
		if (words == NULL) {
			words = file_error_words(e, is_key);
			shown = e;
		}
	}
	if (shown == 0)
		return conf_errorf(conf, key, "%s: cannot load it", path);
	ERR_error_string_n(shown, buf, sizeof(buf));
	if (words == NULL)
		return conf_errorf(conf, key, "%s: %s", path, buf);
	return conf_errorf(conf, key, "%s: %s (OpenSSL: %s)", path, words,
			   buf);
}

/* A passphrase callback that has none: without it OpenSSL would prompt on
 * the terminal (or hang a daemon) for an encrypted key. */
static int
no_password(char *buf, int size, int rwflag, void *userdata)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)userdata;
	return -1;
}

/* An expired or not yet valid certificate still loads (clients decide), but
 * the admin hears of it at start-up, at reload and from maildockd -t. */
static void
warn_validity(const struct conf *conf, const char *key, const char *path,
	      SSL_CTX *ctx)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	if (x == NULL)
		return;
	const char *what = X509_cmp_current_time(X509_get0_notAfter(x)) < 0
				   ? "expired"
			   : X509_cmp_current_time(X509_get0_notBefore(x)) > 0
				   ? "is not valid yet"
				   : NULL;
	if (what == NULL)
		return;
	char *msg = conf_errorf(conf, key, "%s: the certificate %s", path,
				what);
	log_warn("tls", "%s (clients will refuse it)", msg);
	free(msg);
}

static int
proto_version(const char *name)
{
	if (strcmp(name, "TLSv1") == 0)
		return TLS1_VERSION;
	if (strcmp(name, "TLSv1.1") == 0)
		return TLS1_1_VERSION;
	if (strcmp(name, "TLSv1.3") == 0)
		return TLS1_3_VERSION;
	return TLS1_2_VERSION;
}

/* Open each file first, so a missing or unreadable one is reported with
 * its errno (OpenSSL says only "system lib") and a permission problem can be
 * told apart: -ERR_PERM. */
static int
check_readable(const struct conf *conf, const char *key, const char *path,
	       char **error_r)
{
	char ebuf[128];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	int e = errno;
	*error_r = conf_errorf(conf, key, "%s: %s", path,
			       errno_str(e, ebuf, sizeof(ebuf)));
	return e == EACCES || e == EPERM ? -ERR_PERM : -ERR_IO;
}

/* A context for one certificate. The combined file (key then chain, as
 * Courier's TLS_CERTFILE) works because SSL_CTX_use_PrivateKey_file reads
 * the first key in a PEM and use_certificate_chain_file the certificates. */
static int
load_ctx(const struct conf *conf, const struct tls_settings *set,
	 const char *cert, const char *cert_key, const char *key,
	 const char *key_key, SSL_CTX **ctx_r, char **error_r)
{
	int r = check_readable(conf, cert_key, cert, error_r);
	if (r == 0 && key[0] != '\0')
		r = check_readable(conf, key_key, key, error_r);
	if (r == 0 && set->ca_file[0] != '\0')
		r = check_readable(conf, "tls.ca_file", set->ca_file, error_r);
	if (r < 0)
		return r;
	SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
	if (ctx == NULL) {
		*error_r = ssl_error(conf, cert_key, "cannot create a TLS context");
		return -ERR_TLS;
	}
	SSL_CTX_set_min_proto_version(ctx, proto_version(set->min_protocol));
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
				 SSL_OP_NO_RENEGOTIATION |
				 (set->prefer_server_ciphers ?
				  SSL_OP_CIPHER_SERVER_PREFERENCE : 0));
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
			      SSL_MODE_ENABLE_PARTIAL_WRITE);
	/* Read whatever the socket holds, not a record header and then its
	 * body: half the read(2) calls. Input then waits inside OpenSSL
	 * where poll cannot see it: core/conn.c asks SSL_has_pending. */
	SSL_CTX_set_read_ahead(ctx, 1);
	if (tlsconn_ticket_setup(ctx, set->session_tickets,
				 set->ticket_lifetime) < 0) {
		*error_r = ssl_error(conf, "tls.session_tickets",
				     "cannot set up session tickets");
		goto fail;
	}
	if (set->ciphers[0] != '\0' &&
	    SSL_CTX_set_cipher_list(ctx, set->ciphers) != 1) {
		*error_r = ssl_error(conf, "tls.ciphers", "bad cipher list");
		goto fail;
	}
	if (set->ciphersuites[0] != '\0' &&
	    SSL_CTX_set_ciphersuites(ctx, set->ciphersuites) != 1) {
		*error_r = ssl_error(conf, "tls.ciphersuites",
				     "bad ciphersuites");
		goto fail;
	}
	SSL_CTX_set_default_passwd_cb(ctx, no_password);
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		*error_r = file_error(conf, cert_key, cert, false);
		goto fail;
	}
	warn_validity(conf, cert_key, cert, ctx);
	const char *kf = key[0] != '\0' ? key : cert;
	if (SSL_CTX_use_PrivateKey_file(ctx, kf, SSL_FILETYPE_PEM) != 1) {
		*error_r = file_error(conf, key[0] ? key_key : cert_key, kf,
				      true);
		goto fail;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		*error_r = ssl_error(conf, key[0] ? key_key : cert_key,
				     "the private key does not match the certificate");
		goto fail;
	}
	if (set->ca_file[0] != '\0') {
		BIO *bio = BIO_new_file(set->ca_file, "r");
		X509 *x;
		if (bio == NULL) {
			*error_r = ssl_error(conf, "tls.ca_file", set->ca_file);
			goto fail;
		}
		while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
			SSL_CTX_add_extra_chain_cert(ctx, x);
		BIO_free(bio);
		ERR_clear_error();
	}
	*ctx_r = ctx;
	return 0;
fail:
	SSL_CTX_free(ctx);
	return -ERR_INVAL;
}

static bool
is_ecdsa(const X509 *x)
{
	EVP_PKEY *pk = x != NULL ? X509_get0_pubkey(x) : NULL;
	return pk != NULL && EVP_PKEY_get_base_id(pk) == EVP_PKEY_EC;
}

/* The ECDSA certificate beside the RSA one. OpenSSL keeps one certificate
 * per key type in a context and picks, for each handshake, one that the
 * client's signature algorithms (TLS 1.3, RFC 8446 4.2.3) or cipher
 * suites (TLS 1.2) accept, ECDSA first when both fit: its signature costs
 * the server a fraction of an RSA one. */
static int
add_ecdsa(const struct conf *conf, const struct tls_settings *set,
	  SSL_CTX *ctx, char **error_r)
{
	const char *cert = set->ecdsa_cert_file, *key = set->ecdsa_key_file;
	const char *ck = "tls.ecdsa_cert_file", *kk = "tls.ecdsa_key_file";
	const char *kf = key[0] != '\0' ? key : cert;
	int r;

	if (cert[0] == '\0') {
		if (key[0] == '\0')
			return 0;
		*error_r = conf_errorf(conf, kk, "set without %s", ck);
		return -ERR_INVAL;
	}
	if (is_ecdsa(SSL_CTX_get0_certificate(ctx))) {
		*error_r = conf_errorf(conf, ck, "tls.cert_file holds an ECDSA "
				       "certificate already (the RSA one goes "
				       "there)");
		return -ERR_INVAL;
	}
	if ((r = check_readable(conf, ck, cert, error_r)) < 0 ||
	    (kf != cert && (r = check_readable(conf, kk, kf, error_r)) < 0))
		return r;
	if (SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
		*error_r = file_error(conf, ck, cert, false);
		return -ERR_INVAL;
	}
	if (!is_ecdsa(SSL_CTX_get0_certificate(ctx))) {
		*error_r = conf_errorf(conf, ck, "%s: not an ECDSA certificate",
				       cert);
		return -ERR_INVAL;
	}
	warn_validity(conf, ck, cert, ctx);
	if (SSL_CTX_use_PrivateKey_file(ctx, kf, SSL_FILETYPE_PEM) != 1) {
		*error_r = file_error(conf, kf == key ? kk : ck, kf, true);
		return -ERR_INVAL;
	}
	if (SSL_CTX_check_private_key(ctx) != 1) {
		*error_r = ssl_error(conf, kf == key ? kk : ck, "the private "
				     "key does not match the certificate");
		return -ERR_INVAL;
	}
	return 0;
}

static int
sni_callback(SSL *ssl, int *alert, void *arg)
{
	struct tlsconn_ctx *t = arg;
	const char *name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
	(void)alert;
	if (name == NULL)
		return SSL_TLSEXT_ERR_OK;
	for (size_t i = 0; i < t->nsni; i++) {
		if (strcasecmp(name, t->sni[i].domain) == 0) {
			SSL_set_SSL_CTX(ssl, t->sni[i].ctx);
			break;
		}
	}
	return SSL_TLSEXT_ERR_OK;
}

struct sni_scan {
	const struct conf *conf;
	const struct tls_settings *set;
	struct tlsconn_ctx *t;
	char *error;
};

/* tls.sni.<domain>.cert_file (and .key_file): the domain may hold dots,
 * so the setting name is what follows the last dot. */
static void
sni_key(const char *key, const char *value, const char *file, unsigned line,
	void *ctx)
{
	struct sni_scan *sc = ctx;
	const char *rest = key + strlen("tls.sni."), *dot = strrchr(rest, '.');
	(void)file;
	(void)line;
	if (sc->error != NULL)
		return;
	if (dot == NULL || dot == rest ||
	    (strcmp(dot, ".cert_file") != 0 && strcmp(dot, ".key_file") != 0)) {
		sc->error = conf_errorf(sc->conf, key, "unknown key "
					"(expected tls.sni.<domain>.cert_file or .key_file)");
		return;
	}
	if (strcmp(dot, ".key_file") == 0)
		return;
	if (sc->t->nsni == TLS_MAX_SNI) {
		sc->error = conf_errorf(sc->conf, key, "too many SNI domains");
		return;
	}
	struct sbuf kk;
	sbuf_init(&kk, NULL, 1024);
	sbuf_append(&kk, key, (size_t)(dot - key));
	sbuf_appends(&kk, ".key_file");
	const char *keyfile = conf_value(sc->conf, kk.data);
	struct sni_entry *e = &sc->t->sni[sc->t->nsni];
	if (load_ctx(sc->conf, sc->set, value, key, keyfile ? keyfile : "",
		     kk.data, &e->ctx, &sc->error) == 0) {
		e->domain = xstrndup(rest, (size_t)(dot - rest));
		sc->t->nsni++;
	}
	sbuf_free(&kk);
}

static void
ctx_free(struct tlsconn_ctx *t)
{
	for (size_t i = 0; i < t->nsni; i++) {
		SSL_CTX_free(t->sni[i].ctx);
		free(t->sni[i].domain);
	}
	SSL_CTX_free(t->ctx);
	free(t);
}

int
tlsconn_ctx_new(const struct conf *conf, struct tlsconn_ctx **ctx_r,
		char **error_r)
{
	const struct tls_settings *set = conf_section(conf, &tls_conf_table);
	struct tlsconn_ctx *t;

	*ctx_r = NULL;
	if (set->cert_file[0] == '\0')
		return 0;
	/* first made in the master, before the workers fork: they share it */
	if (tlsconn_ticket_init() < 0) {
		*error_r = ssl_error(conf, "tls.session_tickets",
				     "no randomness for the ticket secret");
		return -ERR_TLS;
	}
	t = xcalloc(1, sizeof(*t));
	atomic_init(&t->refs, 1);
	int r = load_ctx(conf, set, set->cert_file, "tls.cert_file",
			 set->key_file, "tls.key_file", &t->ctx, error_r);
	if (r == 0)
		r = add_ecdsa(conf, set, t->ctx, error_r);
	if (r < 0) {
		ctx_free(t);
		return r;
	}
	struct sni_scan sc = { conf, set, t, NULL };
	conf_foreach(conf, "tls.sni.", sni_key, &sc);
	if (sc.error != NULL) {
		*error_r = sc.error;
		ctx_free(t);
		return -ERR_INVAL;
	}
	if (t->nsni > 0) {
		SSL_CTX_set_tlsext_servername_callback(t->ctx, sni_callback);
		SSL_CTX_set_tlsext_servername_arg(t->ctx, t);
	}
	*ctx_r = t;
	return 0;
}

struct tlsconn_ctx *
tlsconn_ctx_ref(struct tlsconn_ctx *t)
{
	atomic_fetch_add(&t->refs, 1);
	return t;
}

void
tlsconn_ctx_unref(struct tlsconn_ctx **tp)
{
	struct tlsconn_ctx *t = *tp;
	if (t == NULL)
		return;
	*tp = NULL;
	if (atomic_fetch_sub(&t->refs, 1) == 1)
		ctx_free(t);
}

SSL *
tlsconn_new_ssl(struct tlsconn_ctx *t)
{
	return SSL_new(t->ctx);
}

struct tlsconn_ctx *
tlsconn_current(void)
{
	pthread_mutex_lock(&current_lock);
	struct tlsconn_ctx *t = current ? tlsconn_ctx_ref(current) : NULL;
	pthread_mutex_unlock(&current_lock);
	return t;
}

void
tlsconn_current_set(struct tlsconn_ctx *t)
{
	pthread_mutex_lock(&current_lock);
	struct tlsconn_ctx *old = current;
	current = t;
	pthread_mutex_unlock(&current_lock);
	tlsconn_ctx_unref(&old);
}
