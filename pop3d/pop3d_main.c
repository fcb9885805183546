/*
 * pop3d_main.c - pop3d: the POP3 server over the mailbox store
 * (pop3d(8)).  Start-up and wiring only: configuration, TLS, SASL, the
 * worker pool, the connection table.
 * Linked into: pop3d.  Runs as store_owner (vmail), not chrooted.  Trust:
 * the configuration is the admin's.
 */
#include "base/log.h"
#include "mail/mailaccess.h"
#include "pop3d.h"

static struct pop3d d;

/* Worker threads: authd look-ups, store reads and writes. */
#define POP3D_THREADS 8
#define POP3D_MAX_JOBS 100000

static int
init(struct service *svc)
{
	d.svc = svc;
	d.p = &svc->params;
	if (mailaccess_init(d.p, d.p->pop3d_tls_wrappermode, "STLS",
		&d.tls_ctx, &d.sasl_ok) == -1)
		return -1;
	d.max_line = (size_t)d.p->pop3d_max_line;
	store_conf_init(&d.store, d.p);
	maillogin_conf_init(&d.login, d.p, "pop3", "pop", d.authd_path,
	    &d.store);
	return 0;
}

static void
ready(struct service *svc)
{
	if (service_queue_path(svc, d.p->authd_socket, d.authd_path,
		sizeof(d.authd_path)) == -1)
		log_panic("authd socket path too long");
	d.pool = worker_pool_new(svc->base, POP3D_THREADS, POP3D_MAX_JOBS);
	/* After the privilege drop: the table's file is store_owner's. */
	pop3d_limit_open(&d);
	log_info("ready: %zu listeners, store %s", svc->nlisten,
	    d.p->store_directory);
}

static void
on_accept(struct service *svc, int fd, size_t index)
{
	(void)svc;
	(void)index;
	pop3d_session_new(&d, fd);
}

static void
fini(struct service *svc)
{
	(void)svc;
	/* The pool first: it runs the done callbacks of the jobs in flight,
	 * which may end their sessions.  Sessions ended from now on set
	 * their \Seen flags at once (pop3d_maildrop_end). */
	d.stopping = true;
	worker_pool_free(&d.pool);
	pop3d_session_free_all(&d);
	pop3d_limit_close(&d);
	mailaccess_fini(&d.tls_ctx, d.sasl_ok);
}

int
main(int argc, char **argv)
{
	static const struct service_ops ops = { init, ready, on_accept, NULL,
		fini };

	return service_main(argc, argv, "pop3d", &ops, NULL);
}
