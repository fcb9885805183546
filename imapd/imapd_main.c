/*
 * imapd_main.c - imapd: the IMAP server over the mailbox store
 * (imapd(8)).  Start-up and wiring only: configuration, TLS, the command
 * limits, the worker pool.
 * Linked into: imapd.  Runs as store_owner (vmail), not chrooted.  Trust:
 * the configuration is the admin's.
 */
#include "base/log.h"
#include "mail/mailaccess.h"
#include "imapd.h"

static struct imapd d;

/* Worker threads: authd look-ups, store reads and writes. */
#define IMAPD_THREADS 8
#define IMAPD_MAX_JOBS 100000

static int
init(struct service *svc)
{
	d.svc = svc;
	d.p = &svc->params;
	if (mailaccess_init(d.p, d.p->imapd_tls_wrappermode, "STARTTLS",
		&d.tls_ctx, &d.sasl_ok) == -1)
		return -1;
	imapcmd_limits_default(&d.lim);
	d.lim.max_line = (size_t)d.p->imapd_max_line;
	d.lim.max_literal = d.p->imapd_max_literal;
	imapcmd_limits_clamp(&d.lim);
	store_conf_init(&d.store, d.p);
	maillogin_conf_init(&d.login, d.p, "imap", "imap", d.authd_path,
	    &d.store);
	return 0;
}

static void
ready(struct service *svc)
{
	if (service_queue_path(svc, d.p->authd_socket, d.authd_path,
		sizeof(d.authd_path)) == -1)
		log_panic("authd socket path too long");
	d.pool = worker_pool_new(svc->base, IMAPD_THREADS, IMAPD_MAX_JOBS);
	/* After the privilege drop: the table's file is store_owner's. */
	imapd_limit_open(&d);
	log_info("ready: %zu listeners, store %s", svc->nlisten,
	    d.p->store_directory);
}

static void
on_accept(struct service *svc, int fd, size_t index)
{
	(void)svc;
	(void)index;
	imapd_session_new(&d, fd);
}

static void
fini(struct service *svc)
{
	(void)svc;
	worker_pool_free(&d.pool);
	imapd_session_free_all(&d);
	imapd_view_cache_free();
	imapd_limit_close(&d);
	mailaccess_fini(&d.tls_ctx, d.sasl_ok);
}

int
main(int argc, char **argv)
{
	static const struct service_ops ops = { init, ready, on_accept, NULL,
		fini };

	return service_main(argc, argv, "imapd", &ops, NULL);
}
