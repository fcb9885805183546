/*
 * tls_test.c - unit tests for lib/tls: protocol ranges, contexts (good,
 * missing and mismatched files), and handshakes over socketpairs between
 * lineio on a loop and an OpenSSL client thread or our own client:
 * implicit TLS, STARTTLS with pipelined plaintext (discarded), a protocol
 * floor, garbage next to a good connection, peer name verification.
 * Linked into: the unit tests only.  Trust: not applicable.
 */
#include <errno.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "base/event.h"
#include "base/lineio.h"
#include "tls/tls.h"
#include "tap.h"

#define GUARD_MS 5000
#define MAX_LINE 512

static char dir[64] = "/tmp/tls_test.XXXXXX";
static char cert_path[128];
static char key_path[128];
static char key2_path[128];
static struct event_base *base;
static int nopen;		/* server connections not yet ended */

/* Our end of one connection, on the loop. */
struct srv {
	struct lineio *l;
	char log[512];		/* "L:line|" and "E:EVENT|" in order */
	size_t discarded;
	char proto[TLS_PROTO_MAX];
	char cipher[TLS_CIPHER_MAX];
	int bits;
	bool verified;
	struct why why;		/* tls_error after LINEIO_ERROR */
	bool client;		/* our client side (tls_client_ctx_new) */
	SSL_CTX *ctx;		/* borrowed: for STARTTLS */
};

/* The OpenSSL client in a thread, on a blocking socket. */
struct cli {
	int fd;
	bool starttls;		/* "STARTTLS\r\nNOOP\r\n" in clear first */
	bool garbage;		/* garbage instead of a ClientHello */
	int max_version;	/* 0: OpenSSL's */
	bool handshake_ok;
	bool eof;		/* the server closed the connection */
	char got[256];		/* everything read */
};

static void
fail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(1);
}


static X509 *
make_cert(EVP_PKEY *key)
{
	X509 *x = X509_new();
	X509_NAME *name = X509_get_subject_name(x);
	X509_EXTENSION *ext;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -60);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, key);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
	    (const unsigned char *)"localhost", -1, -1, 0);
	X509_set_issuer_name(x, name);
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
	    "DNS:localhost");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	ext = X509V3_EXT_conf_nid(NULL, NULL, NID_basic_constraints,
	    "critical,CA:TRUE");
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	if (!X509_sign(x, key, EVP_sha256()))
		fail("X509_sign");
	return x;
}

static void
write_pem(const char *path, EVP_PKEY *key, X509 *x)
{
	FILE *f = fopen(path, "w");
	int r;

	if (f == NULL)
		fail(path);
	r = key != NULL ? PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL,
			      NULL) :
			  PEM_write_X509(f, x);
	if (fclose(f) != 0 || !r)
		fail(path);
}

static void
make_files(void)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	EVP_PKEY *key2 = EVP_EC_gen("P-256");
	X509 *x;

	if (mkdtemp(dir) == NULL || key == NULL || key2 == NULL)
		fail("mkdtemp or EVP_EC_gen");
	snprintf(cert_path, sizeof(cert_path), "%s/cert.pem", dir);
	snprintf(key_path, sizeof(key_path), "%s/key.pem", dir);
	snprintf(key2_path, sizeof(key2_path), "%s/key2.pem", dir);
	x = make_cert(key);
	write_pem(cert_path, NULL, x);
	write_pem(key_path, key, NULL);
	write_pem(key2_path, key2, NULL);
	X509_free(x);
	EVP_PKEY_free(key);
	EVP_PKEY_free(key2);
}

static void
remove_files(void)
{
	unlink(cert_path);
	unlink(key_path);
	unlink(key2_path);
	rmdir(dir);
}


static const struct {
	const char *spec;
	int rc;
	int min;
	int max;
} proto_cases[] = {
	{ ">=TLSv1.2", 0, TLS1_2_VERSION, 0 },
	{ ">=TLSv1.3", 0, TLS1_3_VERSION, 0 },
	{ "TLSv1.2 TLSv1.3", 0, TLS1_2_VERSION, TLS1_3_VERSION },
	{ "TLSv1.3,TLSv1.2", 0, TLS1_2_VERSION, TLS1_3_VERSION },
	{ "TLSv1.3", 0, TLS1_3_VERSION, TLS1_3_VERSION },
	{ "<=TLSv1.2", 0, TLS1_2_VERSION, TLS1_2_VERSION },
	{ " >=TLSv1 : <=TLSv1.1 ", 0, TLS1_VERSION, TLS1_1_VERSION },
	{ "", -1, 0, 0 },
	{ "  ", -1, 0, 0 },
	{ "SSLv3", -1, 0, 0 },
	{ "TLSv1.4", -1, 0, 0 },
	{ ">=", -1, 0, 0 },
	{ "!TLSv1", -1, 0, 0 },
	{ ">=TLSv1.3 <=TLSv1.2", -1, 0, 0 },
};

static void
test_protocols_parse(void)
{
	size_t i;

	for (i = 0; i < sizeof(proto_cases) / sizeof(proto_cases[0]); i++) {
		int lo = -1;
		int hi = -1;
		struct why why = { "" };
		int rc = tls_protocols_parse(proto_cases[i].spec, &lo, &hi,
		    &why);

		if (proto_cases[i].rc == 0)
			ok(rc == 0 && lo == proto_cases[i].min &&
				hi == proto_cases[i].max,
			    "protocols \"%s\" -> %x..%x", proto_cases[i].spec,
			    (unsigned)lo, (unsigned)hi);
		else
			ok(rc == -1 && why.msg[0] != '\0',
			    "protocols \"%s\" rejected: %s",
			    proto_cases[i].spec, why.msg);
	}
}


/* Contexts that must fail, each with a word the reason must contain. */
static const struct {
	bool client;
	const char *cert, *key, *chain, *ca, *ciphers, *suites, *protocols;
	const char *want;
} bad_ctx[] = {
	{ false, "C", "K", "/nonexistent/chain.pem", 0, 0, 0, 0, "chain.pem" },
	{ false, "/nonexistent/cert.pem", "K", 0, 0, 0, 0, 0, "cert.pem" },
	{ false, "C", "/nonexistent/key.pem", 0, 0, 0, 0, 0, "key.pem" },
	{ false, "C", "K2", 0, 0, 0, 0, 0, "match" },
	{ false, "C", 0, 0, 0, 0, 0, 0, "required" },
	{ false, "C", "K", 0, 0, "NO-SUCH-CIPHER", 0, 0, "cipher list" },
	{ false, "C", "K", 0, 0, 0, "TLS_NO_SUCH", 0, "cipher suites" },
	{ false, "C", "K", 0, 0, 0, 0, "SSLv2", "SSLv2" },
	{ true, 0, 0, 0, "/nonexistent/ca.pem", 0, 0, 0, "ca.pem" },
	{ true, "C", "K2", 0, "C", 0, 0, 0, "match" },
};

/* "C", "K" and "K2" stand for the files made by make_files. */
static const char *
file(const char *name)
{
	if (name != NULL && strcmp(name, "C") == 0)
		return cert_path;
	if (name != NULL && strcmp(name, "K") == 0)
		return key_path;
	if (name != NULL && strcmp(name, "K2") == 0)
		return key2_path;
	return name;
}

static void
test_bad_ctx(void)
{
	size_t i;

	for (i = 0; i < sizeof(bad_ctx) / sizeof(bad_ctx[0]); i++) {
		struct tls_conf c = { .cert_file = file(bad_ctx[i].cert),
			.key_file = file(bad_ctx[i].key),
			.chain_file = bad_ctx[i].chain,
			.ca_file = file(bad_ctx[i].ca),
			.ciphers = bad_ctx[i].ciphers,
			.ciphersuites = bad_ctx[i].suites,
			.protocols = bad_ctx[i].protocols };
		struct why why = { "" };
		SSL_CTX *ctx = bad_ctx[i].client ? tls_client_ctx_new(&c, &why) :
						   tls_server_ctx_new(&c, &why);

		ok(ctx == NULL && strstr(why.msg, bad_ctx[i].want) != NULL,
		    "bad %s context %zu: %s", bad_ctx[i].client ? "client" :
		    "server", i, why.msg);
		tls_ctx_free(&ctx);
	}
}

static void
test_ctx(void)
{
	struct tls_conf c = { .cert_file = cert_path, .key_file = key_path };
	struct tls_conf cc = { .ca_file = cert_path, .verify = true };
	struct why why = { "" };
	SSL_CTX *ctx = tls_server_ctx_new(&c, &why);

	ok(ctx != NULL, "server context from good files (%s)", why.msg);
	ok(ctx != NULL && (SSL_CTX_get_options(ctx) & SSL_OP_NO_TICKET) &&
		(SSL_CTX_get_options(ctx) & SSL_OP_NO_RENEGOTIATION) &&
		SSL_CTX_get_min_proto_version(ctx) == TLS1_2_VERSION,
	    "no tickets, no renegotiation, TLS 1.2 floor");
	tls_ctx_free(&ctx);
	ok(ctx == NULL, "tls_ctx_free clears the pointer");
	tls_ctx_free(&ctx);
	c.chain_file = cert_path;
	ctx = tls_server_ctx_new(&c, &why);
	ok(ctx != NULL, "server context with a chain file (%s)", why.msg);
	tls_ctx_free(&ctx);
	ctx = tls_client_ctx_new(&cc, &why);
	ok(ctx != NULL && SSL_CTX_get_verify_mode(ctx) == SSL_VERIFY_PEER,
	    "client context verifying against a CA file (%s)", why.msg);
	tls_ctx_free(&ctx);
	test_bad_ctx();
}

static void
log_add(struct srv *s, const char *tag, const void *p, size_t n)
{
	size_t len = strlen(s->log);

	snprintf(s->log + len, sizeof(s->log) - len, "%s%.*s|", tag, (int)n,
	    (const char *)p);
}

static void
say(struct srv *s, const char *text)
{
	lineio_write(s->l, text, strlen(text));
}

static bool
line_is(struct span line, const char *lit)
{
	return line.len == strlen(lit) && memcmp(line.p, lit, line.len) == 0;
}

static void
on_line(void *arg, struct span line)
{
	struct srv *s = arg;

	log_add(s, "L:", line.p, line.len);
	if (line_is(line, "STARTTLS\r")) {
		say(s, "220 go\r\n");
		if (tls_lineio_upgrade(s->l, s->ctx, TLS_SERVER, NULL,
			&s->discarded, &s->why) == -1)
			lineio_close_flush(s->l);
	} else if (line_is(line, "HELLO\r")) {
		say(s, "250 hi\r\n");
	} else if (line_is(line, "QUIT\r")) {
		say(s, "221 bye\r\n");
		lineio_close_flush(s->l);
	}
}

/* Our client: HELLO went out on READY; QUIT after 250, close after 221. */
static void
on_client_line(void *arg, struct span line)
{
	struct srv *s = arg;

	log_add(s, "L:", line.p, line.len);
	if (line_is(line, "250 hi\r")) {
		s->verified = tls_peer_verified(s->l);
		say(s, "QUIT\r\n");
	} else {
		lineio_close_flush(s->l);
	}
}

static const char *const evname[] = { "EOF", "ERROR", "TIMEOUT", "CLOSED",
	"TOO_LONG", "READY" };

static void
on_event(void *arg, enum lineio_event ev)
{
	struct srv *s = arg;

	log_add(s, "E:", evname[ev], strlen(evname[ev]));
	if (ev == LINEIO_READY) {
		tls_info(s->l, s->proto, s->cipher, &s->bits);
		if (s->client)
			say(s, "HELLO\r\n");
		return;
	}
	if (ev == LINEIO_TOO_LONG)
		return;
	if (ev == LINEIO_ERROR)
		tls_error(s->l, &s->why);
	lineio_free(&s->l);
	if (--nopen == 0)
		event_loop_stop(base);
}

static void
on_timer(void *arg)
{
	if (arg != NULL)
		diag("guard fired");
	event_loop_stop(base);
}

/* Run until every connection ended, then one more pass, in which
 * libevent lets go of the freed connections and closes their fds. */
static void
run_loop(void)
{
	struct event_timer *guard = event_timer_new(base, on_timer, "");
	struct event_timer *settle = event_timer_new(base, on_timer, NULL);

	event_timer_start(guard, GUARD_MS, false);
	event_loop_run(base);
	event_timer_start(settle, 1, false);
	event_loop_run(base);
	event_timer_free(&settle);
	event_timer_free(&guard);
}

/* A socketpair: sv[0] non-blocking for the loop, sv[1] for the peer. */
static void
pair(int sv[2])
{
	struct timeval tv = { 5, 0 };

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1 ||
	    fcntl(sv[0], F_SETFL, O_NONBLOCK) == -1 ||
	    setsockopt(sv[1], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1)
		fail("socketpair");
}


static void
got_add(struct cli *c, const char *p, size_t n)
{
	size_t len = strlen(c->got);

	snprintf(c->got + len, sizeof(c->got) - len, "%.*s", (int)n, p);
}

/* The plaintext reply to STARTTLS, byte by byte (TLS follows it). */
static void
read_clear_line(struct cli *c)
{
	char ch;

	while (read(c->fd, &ch, 1) == 1) {
		got_add(c, &ch, 1);
		if (ch == '\n')
			return;
	}
}

static void
read_to_eof(struct cli *c)
{
	char b[256];
	ssize_t n;

	while ((n = read(c->fd, b, sizeof(b))) > 0)
		;
	/* Unix sockets report a close with unread input as a reset. */
	c->eof = n == 0 || (n == -1 && errno == ECONNRESET);
}

static void
tls_session(struct cli *c, SSL *ssl)
{
	char b[256];
	int n;

	SSL_write(ssl, "HELLO\r\n", 7);
	SSL_write(ssl, "QUIT\r\n", 6);
	while ((n = SSL_read(ssl, b, sizeof(b))) > 0)
		got_add(c, b, (size_t)n);
	c->eof = SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN ||
	    SSL_get_error(ssl, n) == SSL_ERROR_SYSCALL ||
	    SSL_get_error(ssl, n) == SSL_ERROR_SSL;
}

static void *
client_main(void *arg)
{
	struct cli *c = arg;
	SSL_CTX *ctx;
	SSL *ssl;

	if (c->starttls) {
		if (write(c->fd, "STARTTLS\r\nNOOP\r\n", 16) != 16)
			return NULL;
		read_clear_line(c);
	}
	if (c->garbage) {
		if (write(c->fd, "GET / HTTP/1.0\r\n\r\n", 18) == 18)
			read_to_eof(c);
		return NULL;
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (c->max_version != 0)
		SSL_CTX_set_max_proto_version(ctx, c->max_version);
	ssl = SSL_new(ctx);
	SSL_set_fd(ssl, c->fd);
	c->handshake_ok = SSL_connect(ssl) == 1;
	if (c->handshake_ok)
		tls_session(c, ssl);
	else
		read_to_eof(c);
	SSL_free(ssl);
	SSL_CTX_free(ctx);
	ERR_clear_error();
	return NULL;
}


static SSL_CTX *
server_ctx(const char *protocols)
{
	struct tls_conf c = { .cert_file = cert_path, .key_file = key_path,
		.protocols = protocols };
	struct why why = { "" };
	SSL_CTX *ctx = tls_server_ctx_new(&c, &why);

	if (ctx == NULL) {
		printf("Bail out! server context: %s\n", why.msg);
		exit(1);
	}
	return ctx;
}

/* Our server on sv[0], implicit TLS or (ctx in s->ctx only) STARTTLS. */
static void
start_server(struct srv *s, int fd, SSL_CTX *ctx, bool implicit)
{
	memset(s, 0, sizeof(*s));
	s->ctx = ctx;
	if (implicit)
		s->l = tls_lineio_new_server(base, fd, ctx, MAX_LINE, 0,
		    on_line, on_event, s, &s->why);
	else
		s->l = lineio_new(base, fd, MAX_LINE, 0, on_line, on_event, s);
	if (s->l == NULL) {
		printf("Bail out! server side: %s\n", s->why.msg);
		exit(1);
	}
	nopen++;
}

/* Run the loop while the OpenSSL clients talk to our servers. */
static void
run_clients(struct cli *c, size_t n)
{
	pthread_t t[2];
	size_t i;

	for (i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, client_main, &c[i]) != 0)
			fail("pthread_create");
	run_loop();
	for (i = 0; i < n; i++) {
		pthread_join(t[i], NULL);
		close(c[i].fd);
	}
}

/* One OpenSSL client against our server (implicit TLS or STARTTLS). */
static void
one_client(struct srv *s, struct cli *c, const char *protocols,
    bool implicit)
{
	SSL_CTX *ctx = server_ctx(protocols);
	int sv[2];

	pair(sv);
	start_server(s, sv[0], ctx, implicit);
	c->fd = sv[1];
	run_clients(c, 1);
	tls_ctx_free(&ctx);
}

static void
test_implicit(void)
{
	struct srv s;
	struct cli c = { 0 };

	one_client(&s, &c, NULL, true);
	ok(c.handshake_ok, "implicit TLS: handshake");
	is_str(s.log, "E:READY|L:HELLO\r|L:QUIT\r|E:CLOSED|",
	    "implicit TLS: lines arrive as lines after READY");
	is_str(c.got, "250 hi\r\n221 bye\r\n", "implicit TLS: replies");
	ok(c.eof, "implicit TLS: fd closed after lineio_free");
	is_str(s.proto, "TLSv1.3", "implicit TLS: protocol reported");
	ok(strncmp(s.cipher, "TLS_", 4) == 0 && s.bits >= 128,
	    "implicit TLS: cipher reported (%s, %d bits)", s.cipher, s.bits);
}

static void
test_starttls_injection(void)
{
	struct srv s;
	struct cli c = { .starttls = true };

	one_client(&s, &c, NULL, false);
	ok(c.handshake_ok, "STARTTLS: handshake after the clear 220");
	is_str(s.log,
	    "L:STARTTLS\r|E:READY|L:HELLO\r|L:QUIT\r|E:CLOSED|",
	    "STARTTLS: pipelined NOOP never delivered");
	is_int(s.discarded, 6, "STARTTLS: 6 plaintext bytes discarded");
	is_str(c.got, "220 go\r\n250 hi\r\n221 bye\r\n", "STARTTLS: replies");
	is_str(s.proto, "TLSv1.3", "STARTTLS: protocol reported");
}

static void
test_protocol_floor(void)
{
	struct srv s;
	struct cli c = { .max_version = TLS1_2_VERSION };

	one_client(&s, &c, ">=TLSv1.3", true);
	ok(!c.handshake_ok, ">=TLSv1.3: a TLS 1.2 client fails");
	is_str(s.log, "E:ERROR|", ">=TLSv1.3: error event, no READY");
	ok(strstr(s.why.msg, "protocol") != NULL, ">=TLSv1.3: reason: %s",
	    s.why.msg);
}

static void
test_garbage(void)
{
	SSL_CTX *ctx = server_ctx(NULL);
	struct srv s[2];
	struct cli c[2] = { { .garbage = true }, { 0 } };
	int sv[2][2];

	pair(sv[0]);
	pair(sv[1]);
	start_server(&s[0], sv[0][0], ctx, true);
	start_server(&s[1], sv[1][0], ctx, true);
	c[0].fd = sv[0][1];
	c[1].fd = sv[1][1];
	run_clients(c, 2);
	is_str(s[0].log, "E:ERROR|", "garbage: error event for that one");
	ok(strncmp(s[0].why.msg, "TLS failed: ", 12) == 0 &&
		strlen(s[0].why.msg) > 12,
	    "garbage: reason: %s", s[0].why.msg);
	ok(c[0].eof, "garbage: connection closed");
	is_str(s[1].log, "E:READY|L:HELLO\r|L:QUIT\r|E:CLOSED|",
	    "garbage: the other connection works");
	tls_ctx_free(&ctx);
}

/* A wrap waiting for queued output: writes refused, freed on free. */
static void
test_pending_cancel(void)
{
	SSL_CTX *ctx = server_ctx(NULL);
	struct srv s;
	size_t d = 99;
	int sv[2];

	pair(sv);
	start_server(&s, sv[0], ctx, false);
	lineio_write(s.l, "220 go\r\n", 8);
	ok(tls_lineio_upgrade(s.l, ctx, TLS_SERVER, NULL, &d, &s.why) == 0 &&
		d == 0 && lineio_write(s.l, "x", 1) == -1,
	    "pending upgrade: no writes until the clear reply is out");
	ok(tls_lineio_upgrade(s.l, ctx, TLS_SERVER, NULL, &d, &s.why) == -1,
	    "pending upgrade: a second one is refused (%s)", s.why.msg);
	lineio_free(&s.l);	/* the SSL goes with it (no leak under ASan) */
	nopen--;
	close(sv[1]);
	tls_ctx_free(&ctx);
}

/* Our client (lineio + tls_client_ctx_new) against our server. */
static void
run_our_client(struct srv *s, struct srv *cl, const char *peer_name)
{
	SSL_CTX *sctx = server_ctx(NULL);
	struct tls_conf cc = { .ca_file = cert_path, .verify = true };
	SSL_CTX *cctx = tls_client_ctx_new(&cc, &cl->why);
	size_t discarded = 99;
	int sv[2];

	pair(sv);
	if (cctx == NULL || fcntl(sv[1], F_SETFL, O_NONBLOCK) == -1)
		fail("client context");
	start_server(s, sv[0], sctx, true);
	memset(cl, 0, sizeof(*cl));
	cl->client = true;
	cl->l = lineio_new(base, sv[1], MAX_LINE, 0, on_client_line, on_event,
	    cl);
	nopen++;
	ok(tls_lineio_upgrade(cl->l, cctx, TLS_CLIENT, peer_name, &discarded,
	       &cl->why) == 0 && discarded == 0,
	    "our client: upgrade started (%s)", peer_name);
	tls_ctx_free(&cctx);	/* the connection holds its own reference */
	run_loop();
	tls_ctx_free(&sctx);
}

static void
test_our_client(void)
{
	struct srv s;
	struct srv cl;

	run_our_client(&s, &cl, "localhost");
	is_str(cl.log, "E:READY|L:250 hi\r|L:221 bye\r|E:CLOSED|",
	    "our client: session over TLS");
	is_str(s.log, "E:READY|L:HELLO\r|L:QUIT\r|E:CLOSED|",
	    "our client: server side");
	ok(cl.verified, "our client: server certificate verified");
	is_str(cl.proto, "TLSv1.3", "our client: protocol reported");
	run_our_client(&s, &cl, "mail.example");
	is_str(cl.log, "E:ERROR|", "wrong peer name: handshake fails");
	ok(strstr(cl.why.msg, "mismatch") != NULL,
	    "wrong peer name: reason: %s", cl.why.msg);
	ok(strncmp(s.log, "E:ERROR|", 8) == 0 || strncmp(s.log, "E:EOF|", 6) ==
		0, "wrong peer name: server side ends (%s)", s.log);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	make_files();
	test_protocols_parse();
	test_ctx();
	base = event_loop_new();
	test_implicit();
	test_starttls_injection();
	test_protocol_floor();
	test_garbage();
	test_our_client();
	test_pending_cancel();
	event_loop_free(&base);
	remove_files();
	return done_testing();
}
