/*
 * pop3d_main.c - pop3d: the POP3 server over the mailbox store
 * (pop3d(8)).  Start-up and wiring only: configuration, TLS, SASL, the
 * worker pool, the connection table.
 * Linked into: pop3d.  Runs as store_owner (vmail), not chrooted.  Trust:
 * the configuration is the admin's.
 */
#include <sys/resource.h>

#include "auth/sasl.h"
#include "base/cfg.h"
#include "base/log.h"
#include "pop3d.h"
#include "tls/tls.h"

static struct pop3d d;

/* Worker threads: authd look-ups, store reads and writes. */
#define POP3D_THREADS 8
#define POP3D_MAX_JOBS 100000

/* Whether the list names any mechanism (commas and blanks separate). */
static bool
any_mechanism(const char *list)
{
	struct span rest = span_str(list);
	struct span m;

	return cfg_list_next(&rest, &m);
}

static int
init(struct service *svc)
{
	struct tls_conf tc;
	struct rlimit rl;
	struct why why;

	d.svc = svc;
	d.p = &svc->params;
	params_tls_conf(d.p, &tc);
	if (tls_server_ctx_level(&tc, d.p->pop3d_tls_wrappermode ? "encrypt" :
		"may", d.p->pop3d_tls_wrappermode, &d.tls_ctx, &why) == -1) {
		log_error("TLS: %s", why.msg);
		return -1;
	}
	if (d.tls_ctx == NULL)
		log_warn("STLS not offered: %s", why.msg);
	/* SASL loads its plugins from the system: at start-up.  Configured
	 * mechanisms that cannot work are a misconfiguration: refuse to
	 * start, as smtpd and imapd do (an empty auth_mechanisms means
	 * USER/PASS only). */
	d.sasl_ok = any_mechanism(d.p->auth_mechanisms);
	if (d.sasl_ok && authsasl_init(&why) == -1) {
		log_error("SASL: %s", why.msg);
		tls_ctx_free(&d.tls_ctx);
		return -1;
	}
	d.max_line = (size_t)d.p->pop3d_max_line;
	store_conf_init(&d.store, d.p);
	/* Every open store holds descriptors: use what the hard limit gives. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
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
	tls_ctx_free(&d.tls_ctx);
	if (d.sasl_ok)
		authsasl_done();
}

int
main(int argc, char **argv)
{
	static const struct service_ops ops = { init, ready, on_accept, NULL,
		fini };

	return service_main(argc, argv, "pop3d", &ops, NULL);
}
