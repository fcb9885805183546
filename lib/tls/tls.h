/*
 * tls.h - OpenSSL contexts for our servers and clients, and TLS on a
 * line connection: STARTTLS (upgrade in place, discarding pipelined
 * plaintext) and implicit TLS from accept (ports 465, 993, 995).
 * Linked into: smtpd, imapd, pop3d and the LMTP/SMTP clients.  Contexts
 * are made at startup as root (keys are read then, so the process can
 * chroot and drop privileges afterwards); connections run as the role
 * user.  Trust: the peer is hostile: the handshake may fail or stall
 * (the lineio idle timeout applies), and a failure ends that connection
 * only.  Nothing here logs: reasons go to struct why.
 */
#ifndef POSTERN_TLS_H
#define POSTERN_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/lineio.h"
#include "base/why.h"

#define TLS_PROTO_MAX 32	/* tls_info's protocol buffer */
#define TLS_CIPHER_MAX 64	/* tls_info's cipher buffer */

/* All strings are borrowed for the duration of the _ctx_new call only. */
struct tls_conf {
	const char *cert_file;	/* PEM; may hold the chain after the cert */
	const char *key_file;	/* PEM, unencrypted (no passphrase prompt) */
	const char *chain_file;	/* optional: intermediate certificates */
	const char *protocols;	/* ">=TLSv1.2" or "TLSv1.2 TLSv1.3"; NULL:
				 * >=TLSv1.2 */
	const char *ciphers;	/* TLS 1.2 cipher list; NULL: OpenSSL's */
	const char *ciphersuites; /* TLS 1.3 suites; NULL: OpenSSL's */
	const char *ca_file;	/* client: trusted CAs (PEM); NULL: the
				 * system default CA file */
	bool verify;		/* client: fail the handshake unless the
				 * peer's certificate chains to a CA and
				 * matches the peer name */
};

enum tls_role {
	TLS_SERVER,
	TLS_CLIENT,
};

/*
 * Parse a protocol range: tokens separated by blanks, commas or colons,
 * each ">=V", "<=V" or a bare "V" (V: TLSv1, TLSv1.1, TLSv1.2, TLSv1.3).
 * Bare versions select the range from the lowest to the highest named.
 * *min_out and *max_out get OpenSSL version numbers; 0 means no upper
 * bound.  Pure.  Returns 0, or -1 with a reason.
 */
int	tls_protocols_parse(const char *spec, int *min_out, int *max_out,
	    struct why *why);

/*
 * A server context: certificate (+ chain) and key loaded now and checked
 * against each other; TLS 1.2 or newer unless conf->protocols says
 * otherwise; no compression, no renegotiation, the server's cipher
 * order.  No session resumption: tickets and the session cache are off,
 * since each process would need the same rotated ticket key (and keys
 * kept for days weaken forward secrecy); mail clients reconnect rarely.
 * Returns a context to free with tls_ctx_free, or NULL with a reason
 * (OpenSSL's error queue rendered into why, then cleared).
 */
SSL_CTX *tls_server_ctx_new(const struct tls_conf *conf, struct why *why);

/*
 * A client context: conf->cert_file/key_file optional (a client
 * certificate); CAs from conf->ca_file, else the system default file,
 * read now (lazily-read CA directories would not work after chroot);
 * conf->verify as documented above.  Returns as tls_server_ctx_new.
 */
SSL_CTX *tls_client_ctx_new(const struct tls_conf *conf, struct why *why);

/*
 * The server context of a service whose TLS level is level: "none",
 * "may" (STARTTLS offered) or "encrypt" (required); implicit TLS (from
 * the first byte) needs a context as encrypt does.  Returns 0 with
 * *ctx_out NULL for none, and for may when no context can be made (why
 * then says why: the caller warns that STARTTLS is not offered); 0 with
 * a context; -1 with why when TLS is needed and no context can be made.
 */
int	tls_server_ctx_level(const struct tls_conf *conf, const char *level,
	    bool implicit, SSL_CTX **ctx_out, struct why *why);

/* Free; NULL allowed, pointer cleared.  Connections hold their own
 * reference, so this is safe while they run. */
void	tls_ctx_free(SSL_CTX **ctxp);

/*
 * Start TLS on l (after the STARTTLS exchange).  Input buffered so far
 * is discarded and its length stored in *discarded_out (the caller logs
 * it: pipelined plaintext after STARTTLS); output already queued (the
 * "220 Ready to start TLS" reply) is sent in clear first.  The handshake
 * then runs on the loop: LINEIO_READY when it is done (see tls_info),
 * LINEIO_ERROR (see tls_error) or LINEIO_EOF/TIMEOUT when it fails.
 * peer_name (client only, may be NULL): the SNI name and the name the
 * certificate must match when ctx verifies.  ctx is borrowed for this
 * call.  Legal inside the line callback.  Returns 0, or -1 with a reason
 * (the connection is ending; end it).
 */
int	tls_lineio_upgrade(struct lineio *l, SSL_CTX *ctx, enum tls_role role,
	    const char *peer_name, size_t *discarded_out, struct why *why);

/*
 * A server connection on an accepted fd (owned from now on), TLS from
 * the first byte: like lineio_new followed by tls_lineio_upgrade.
 * Returns a lineio to free with lineio_free, or NULL with a reason (fd
 * is then closed).
 */
struct lineio *tls_lineio_new_server(struct event_base *base, int fd,
	    SSL_CTX *ctx, size_t max_line, uint64_t idle_ms,
	    lineio_line_fn *on_line, lineio_event_fn *on_event, void *arg,
	    struct why *why);

/*
 * The negotiated protocol ("TLSv1.3") and cipher
 * ("TLS_AES_256_GCM_SHA384") and the cipher's secret bits, for logs and
 * the Received: header.  Returns 0, or -1 when l has no finished
 * handshake (outputs then empty).
 */
int	tls_info(const struct lineio *l, char proto_out[TLS_PROTO_MAX],
	    char cipher_out[TLS_CIPHER_MAX], int *bits_out);

/* True when l's peer presented a certificate that verified. */
bool	tls_peer_verified(const struct lineio *l);

/*
 * Why l's TLS layer failed (after LINEIO_ERROR): OpenSSL's errors for
 * this connection and a certificate verification result.  Returns -1
 * (so that it can end an error path).
 */
int	tls_error(const struct lineio *l, struct why *why);

#endif
