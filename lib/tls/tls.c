/*
 * tls.c - OpenSSL server and client contexts, and TLS under a lineio
 * (STARTTLS and implicit TLS) through libevent's OpenSSL bufferevent.
 * Linked into: smtpd, imapd, pop3d and the LMTP/SMTP clients; contexts
 * are built as root before the privilege drop.  Trust: the peer is
 * hostile; plaintext buffered before the handshake is discarded by
 * lineio_wrap, and TLS failures end one connection.
 */
#include <arpa/inet.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "tls/tls.h"

/*
 * Append one OpenSSL error's reason to why->msg.  System errors become
 * strerror text; entries that are no OpenSSL error (libevent also
 * records SSL_get_error codes) and repeats are skipped.
 */
static void
append_err(struct why *why, unsigned long e)
{
	size_t len = strlen(why->msg);
	const char *reason;

	if (ERR_SYSTEM_ERROR(e))
		reason = strerror((int)ERR_GET_REASON(e));
	else if (ERR_GET_LIB(e) == 0)
		return;
	else if ((reason = ERR_reason_error_string(e)) == NULL ||
	    strcmp(reason, "system lib") == 0)
		return;
	if (len >= strlen(reason) + 2 &&
	    strcmp(why->msg + len - strlen(reason), reason) == 0)
		return;
	snprintf(why->msg + len, sizeof(why->msg) - len, ": %s", reason);
}

/* why_set plus the reasons on OpenSSL's error queue, which is cleared
 * (no stale error may be blamed on the next connection).  Returns -1. */
static int why_ssl(struct why *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
why_ssl(struct why *why, const char *fmt, ...)
{
	va_list ap;
	unsigned long e;
	int n = 0;

	va_start(ap, fmt);
	vsnprintf(why->msg, sizeof(why->msg), fmt, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0)
		if (n++ < 3)
			append_err(why, e);
	return -1;
}

static const struct {
	const char *name;
	int version;
} versions[] = {
	{ "TLSv1", TLS1_VERSION },
	{ "TLSv1.1", TLS1_1_VERSION },
	{ "TLSv1.2", TLS1_2_VERSION },
	{ "TLSv1.3", TLS1_3_VERSION },
};

static int
version_of(const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (strlen(versions[i].name) == n &&
		    memcmp(versions[i].name, p, n) == 0)
			return versions[i].version;
	return -1;
}

/* One token: ">=V", "<=V" or "V"; narrows or widens *lo / *hi. */
static int
protocol_token(const char *p, size_t n, int *lo, int *hi, bool *bare,
    struct why *why)
{
	int op = 0;
	int v;

	if (n >= 2 && (memcmp(p, ">=", 2) == 0 || memcmp(p, "<=", 2) == 0)) {
		op = p[0];
		p += 2;
		n -= 2;
	}
	if ((v = version_of(p, n)) == -1)
		return why_set(why, "unknown TLS protocol \"%.*s\"",
		    (int)(n > 40 ? 40 : n), p);
	if (op == '>')
		*lo = v;
	else if (op == '<')
		*hi = v;
	else if (!*bare) {
		*bare = true;
		*lo = *hi = v;
	} else {
		*lo = v < *lo ? v : *lo;
		*hi = v > *hi ? v : *hi;
	}
	return 0;
}

int
tls_protocols_parse(const char *spec, int *min_out, int *max_out,
    struct why *why)
{
	const char *sep = " \t,:";
	int lo = TLS1_2_VERSION;
	int hi = 0;
	bool bare = false;
	bool any = false;
	size_t n;

	while (*spec != '\0') {
		spec += strspn(spec, sep);
		n = strcspn(spec, sep);
		if (n == 0)
			break;
		if (protocol_token(spec, n, &lo, &hi, &bare, why) == -1)
			return -1;
		any = true;
		spec += n;
	}
	if (!any)
		return why_set(why, "empty TLS protocol list");
	if (hi != 0 && hi < lo)
		return why_set(why, "TLS protocol range is empty");
	*min_out = lo;
	*max_out = hi;
	return 0;
}

/* Daemons never prompt for a passphrase: encrypted keys fail to load. */
static int
no_passphrase(char *buf, int size, int rwflag, void *arg)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)arg;
	return 0;
}

/* Protocol range, cipher lists and options common to both sides. */
static int
ctx_policy(SSL_CTX *ctx, const struct tls_conf *conf, struct why *why)
{
	int lo;
	int hi;

	if (tls_protocols_parse(conf->protocols != NULL ? conf->protocols :
		">=TLSv1.2", &lo, &hi, why) == -1)
		return -1;
	if (!SSL_CTX_set_min_proto_version(ctx, lo) ||
	    !SSL_CTX_set_max_proto_version(ctx, hi))
		return why_ssl(why, "cannot set TLS protocols");
	if (conf->ciphers != NULL &&
	    !SSL_CTX_set_cipher_list(ctx, conf->ciphers))
		return why_ssl(why, "bad cipher list \"%s\"", conf->ciphers);
	if (conf->ciphersuites != NULL &&
	    !SSL_CTX_set_ciphersuites(ctx, conf->ciphersuites))
		return why_ssl(why, "bad TLS 1.3 cipher suites \"%s\"",
		    conf->ciphersuites);
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION |
		SSL_OP_NO_RENEGOTIATION);
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_default_passwd_cb(ctx, no_passphrase);
	return 0;
}

/* Intermediate certificates from a PEM file, appended to the chain. */
static int
load_chain(SSL_CTX *ctx, const char *path, struct why *why)
{
	BIO *bio = BIO_new_file(path, "r");
	X509 *x;
	int n = 0;

	if (bio == NULL)
		return why_ssl(why, "cannot open chain file %s", path);
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (!SSL_CTX_add0_chain_cert(ctx, x)) {
			X509_free(x);
			BIO_free(bio);
			return why_ssl(why, "cannot use chain file %s", path);
		}
		n++;
	}
	BIO_free(bio);
	ERR_clear_error();	/* the end of file shows up as an error */
	if (n == 0)
		return why_set(why, "no certificate in chain file %s", path);
	return 0;
}

static int
load_identity(SSL_CTX *ctx, const struct tls_conf *conf, struct why *why)
{
	if (conf->cert_file == NULL || conf->key_file == NULL)
		return why_set(why, "certificate and key file are required");
	if (!SSL_CTX_use_certificate_chain_file(ctx, conf->cert_file))
		return why_ssl(why, "cannot load certificate %s",
		    conf->cert_file);
	if (conf->chain_file != NULL &&
	    load_chain(ctx, conf->chain_file, why) == -1)
		return -1;
	if (!SSL_CTX_use_PrivateKey_file(ctx, conf->key_file,
		SSL_FILETYPE_PEM))
		return why_ssl(why, "cannot load private key %s",
		    conf->key_file);
	if (!SSL_CTX_check_private_key(ctx))
		return why_ssl(why, "private key %s does not match "
				    "certificate %s",
		    conf->key_file, conf->cert_file);
	return 0;
}

SSL_CTX *
tls_server_ctx_new(const struct tls_conf *conf, struct why *why)
{
	SSL_CTX *ctx;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_server_method())) == NULL) {
		why_ssl(why, "cannot create a TLS server context");
		return NULL;
	}
	if (ctx_policy(ctx, conf, why) == -1 ||
	    load_identity(ctx, conf, why) == -1) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE |
		SSL_OP_NO_TICKET);
	SSL_CTX_set_num_tickets(ctx, 0);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	return ctx;
}

SSL_CTX *
tls_client_ctx_new(const struct tls_conf *conf, struct why *why)
{
	SSL_CTX *ctx;
	int r;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL) {
		why_ssl(why, "cannot create a TLS client context");
		return NULL;
	}
	if (conf->ca_file != NULL)
		r = SSL_CTX_load_verify_file(ctx, conf->ca_file);
	else
		r = SSL_CTX_set_default_verify_paths(ctx);
	if (!r)
		why_ssl(why, "cannot load CA file %s",
		    conf->ca_file != NULL ? conf->ca_file : "(default)");
	if (!r || ctx_policy(ctx, conf, why) == -1 ||
	    ((conf->cert_file != NULL || conf->key_file != NULL) &&
		load_identity(ctx, conf, why) == -1)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	SSL_CTX_set_verify(ctx, conf->verify ? SSL_VERIFY_PEER :
	    SSL_VERIFY_NONE, NULL);
	return ctx;
}

int
tls_server_ctx_level(const struct tls_conf *conf, const char *level,
    bool implicit, SSL_CTX **ctx_out, struct why *why)
{
	bool required = implicit || strcmp(level, "encrypt") == 0;

	why->msg[0] = '\0';
	*ctx_out = NULL;
	if (!required && strcmp(level, "none") == 0)
		return 0;
	*ctx_out = tls_server_ctx_new(conf, why);
	return *ctx_out == NULL && required ? -1 : 0;
}

void
tls_ctx_free(SSL_CTX **ctxp)
{
	SSL_CTX_free(*ctxp);
	*ctxp = NULL;
}

/* lineio_wrap_fn: the SSL (arg, owned) goes onto fd. */
static struct bufferevent *
wrap_ssl(struct event_base *base, int fd, void *arg)
{
	SSL *ssl = arg;
	struct bufferevent *bev;

	if (fd < 0) {
		SSL_free(ssl);
		return NULL;
	}
	/* On failure libevent frees ssl and the fd (BEV_OPT_CLOSE_ON_FREE). */
	bev = bufferevent_openssl_socket_new(base, fd, ssl,
	    SSL_is_server(ssl) ? BUFFEREVENT_SSL_ACCEPTING :
				 BUFFEREVENT_SSL_CONNECTING,
	    BEV_OPT_CLOSE_ON_FREE);
	/* Clients often just close: that is an end, not an attack. */
	if (bev != NULL)
		bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
	return bev;
}

/* SNI and the name to verify; an address literal is matched as such. */
static int
set_peer_name(SSL *ssl, const char *name, struct why *why)
{
	unsigned char addr[16];
	X509_VERIFY_PARAM *vp = SSL_get0_param(ssl);

	if (inet_pton(AF_INET, name, addr) == 1 ||
	    inet_pton(AF_INET6, name, addr) == 1) {
		if (!X509_VERIFY_PARAM_set1_ip_asc(vp, name))
			return why_ssl(why, "bad peer address %s", name);
		return 0;
	}
	if (!SSL_set_tlsext_host_name(ssl, name) || !SSL_set1_host(ssl, name))
		return why_ssl(why, "bad peer name %s", name);
	return 0;
}

int
tls_lineio_upgrade(struct lineio *l, SSL_CTX *ctx, enum tls_role role,
    const char *peer_name, size_t *discarded_out, struct why *why)
{
	SSL *ssl;

	*discarded_out = 0;
	ERR_clear_error();
	if ((ssl = SSL_new(ctx)) == NULL)
		return why_ssl(why, "cannot create a TLS connection");
	if (role == TLS_SERVER) {
		SSL_set_accept_state(ssl);
	} else {
		SSL_set_connect_state(ssl);
		if (peer_name != NULL &&
		    set_peer_name(ssl, peer_name, why) == -1) {
			SSL_free(ssl);
			return -1;
		}
	}
	if (lineio_wrap(l, wrap_ssl, ssl, discarded_out) == -1)
		return why_set(why, "connection is ending or already upgrading");
	return 0;
}

struct lineio *
tls_lineio_new_server(struct event_base *base, int fd, SSL_CTX *ctx,
    size_t max_line, uint64_t idle_ms, lineio_line_fn *on_line,
    lineio_event_fn *on_event, void *arg, struct why *why)
{
	struct lineio *l;
	size_t discarded;

	l = lineio_new(base, fd, max_line, idle_ms, on_line, on_event, arg);
	if (l == NULL) {
		why_set(why, "cannot set up the connection");
		return NULL;
	}
	/* Nothing has been read yet: the loop has not run. */
	if (tls_lineio_upgrade(l, ctx, TLS_SERVER, NULL, &discarded, why) ==
	    -1) {
		lineio_free(&l);
		return NULL;
	}
	return l;
}

/* l's SSL once its handshake is done, else NULL. */
static SSL *
ready_ssl(const struct lineio *l)
{
	SSL *ssl = bufferevent_openssl_get_ssl(lineio_bufferevent(l));

	return ssl != NULL && SSL_is_init_finished(ssl) ? ssl : NULL;
}

int
tls_info(const struct lineio *l, char proto_out[TLS_PROTO_MAX],
    char cipher_out[TLS_CIPHER_MAX], int *bits_out)
{
	SSL *ssl = ready_ssl(l);
	const SSL_CIPHER *c;

	proto_out[0] = cipher_out[0] = '\0';
	*bits_out = 0;
	if (ssl == NULL || (c = SSL_get_current_cipher(ssl)) == NULL)
		return -1;
	snprintf(proto_out, TLS_PROTO_MAX, "%s", SSL_get_version(ssl));
	snprintf(cipher_out, TLS_CIPHER_MAX, "%s", SSL_CIPHER_get_name(c));
	*bits_out = SSL_CIPHER_get_bits(c, NULL);
	return 0;
}

bool
tls_peer_verified(const struct lineio *l)
{
	SSL *ssl = ready_ssl(l);

	return ssl != NULL && SSL_get0_peer_certificate(ssl) != NULL &&
	    SSL_get_verify_result(ssl) == X509_V_OK;
}

int
tls_error(const struct lineio *l, struct why *why)
{
	struct bufferevent *bev = lineio_bufferevent(l);
	SSL *ssl = bufferevent_openssl_get_ssl(bev);
	unsigned long e;
	long v;
	int n = 0;

	why_set(why, "TLS failed");
	if (ssl == NULL)
		return why_set(why, "no TLS on this connection");
	v = SSL_get_verify_result(ssl);
	if (v != X509_V_OK)
		why_set(why, "TLS failed: certificate: %s",
		    X509_verify_cert_error_string(v));
	while ((e = bufferevent_get_openssl_error(bev)) != 0)
		if (n++ < 3)
			append_err(why, e);
	if (n == 0 && v == X509_V_OK && !SSL_is_init_finished(ssl))
		why_set(why, "TLS handshake failed: peer closed or timed out");
	return -1;
}
