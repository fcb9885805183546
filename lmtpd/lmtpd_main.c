/*
 * lmtpd_main.c - lmtpd: the LMTP server that delivers into the mailbox
 * store (lmtpd(8)).  Start-up and wiring only: configuration, the client
 * allowlist, TLS and SASL, the worker pool, the open-store cache.
 * Linked into: lmtpd.  Runs as store_owner (vmail), not chrooted.
 * Trust: clients are other MTAs, still checked; the configuration is the
 * admin's.
 */
#include <sys/resource.h>

#include "auth/sasl.h"
#include "base/log.h"
#include "lmtpd.h"
#include "tls/tls.h"

static struct lmtpd ld;

/*
 * Worker threads: look-ups, AUTH steps and store writes.  Several store
 * writes in flight let their fsyncs share journal commits; one user's
 * deliveries take turns (lmtpd_store.c), so more threads help only with
 * more users at once.
 */
#define LMTPD_THREADS 8
/* Jobs waiting at most: beyond this a command is answered 451. */
#define LMTPD_MAX_JOBS 10000
/* Stores kept open between deliveries. */
#define LMTPD_IDLE_STORES 256

static int
init(struct service *svc)
{
	struct rlimit rl;
	struct why why;

	ld.svc = svc;
	ld.p = &svc->params;
	ld.clients = netmatch_new(ld.p->lmtpd_client_networks, &why);
	if (ld.clients == NULL) {
		log_error("lmtpd_client_networks: %s", why.msg);
		return -1;
	}
	if (smtpsrv_tls_init(ld.p, ld.p->lmtpd_tls_security_level, false,
		&ld.srv.tls_ctx) == -1)
		return -1;
	if (ld.p->lmtpd_sasl_auth_enable && authsasl_init(&why) == -1) {
		log_error("SASL: %s", why.msg);
		return -1;
	}
	/* Every open store holds descriptors: use what the hard limit gives. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ld.store.root = ld.p->store_directory;
	ld.store.index_size = ld.p->store_index_max_size;
	ld.store.sent = ld.p->store_sent_mailbox;
	ld.store.drafts = ld.p->store_drafts_mailbox;
	ld.store.trash = ld.p->store_trash_mailbox;
	ld.store.junk = ld.p->store_junk_mailbox;
	return 0;
}

static void
ready(struct service *svc)
{
	if (service_queue_path(svc, ld.p->authd_socket, ld.authd_path,
		sizeof(ld.authd_path)) == -1)
		log_panic("authd socket path too long");
	ld.stores = lmtpd_stores_new(&ld.store, LMTPD_IDLE_STORES);
	ld.pool = worker_pool_new(svc->base, LMTPD_THREADS, LMTPD_MAX_JOBS);
	lmtpd_session_init(&ld);
	log_info("ready: %zu listeners, store %s", svc->nlisten,
	    ld.p->store_directory);
}

static void
on_accept(struct service *svc, int fd, size_t index)
{
	(void)svc;
	(void)index;
	lmtpd_session_new(&ld, fd);
}

static void
fini(struct service *svc)
{
	(void)svc;
	/* Deliveries in flight finish (and are durable) before the end. */
	worker_pool_free(&ld.pool);
	smtpsrv_free_all(&ld.srv);
	lmtpd_stores_free(&ld.stores);
	netmatch_free(&ld.clients);
	tls_ctx_free(&ld.srv.tls_ctx);
	if (ld.p->lmtpd_sasl_auth_enable)
		authsasl_done();
}

int
main(int argc, char **argv)
{
	static const struct service_ops ops = { init, ready, on_accept, NULL,
		fini };

	return service_main(argc, argv, "lmtpd", &ops, NULL);
}
