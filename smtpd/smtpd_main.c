/*
 * smtpd_main.c - smtpd: the ESMTP server (smtpd(8)).  Start-up and wiring
 * only: configuration, network lists, the DNS resolver, the worker pool,
 * listeners.
 * Linked into: smtpd.  Runs as mail_owner, chrooted to queue_directory.
 * Trust: clients are hostile; the configuration is the admin's.
 */
#include <sys/resource.h>
#include <time.h>

#include "auth/sasl.h"
#include "base/log.h"
#include "smtpd.h"
#include "tls/tls.h"

static struct smtpd sd;

/*
 * Sessions this process can hold: smtpd_connection_limit, but never so
 * many that no descriptor is left for queue files, authd clients and the
 * listeners (a client told 451 for want of a descriptor would be a
 * refusal we made ourselves).  The soft limit is raised to the hard one.
 */
#define SMTPD_FD_RESERVE 64

static uint64_t
session_budget(uint64_t limit)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1)
		return limit;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur == RLIM_INFINITY ||
	    rl.rlim_cur >= limit + SMTPD_FD_RESERVE)
		return limit;
	limit = rl.rlim_cur > 2 * SMTPD_FD_RESERVE ?
	    rl.rlim_cur - SMTPD_FD_RESERVE : rl.rlim_cur / 2;
	log_warn("open file limit %llu: at most %llu connections at once",
	    (unsigned long long)rl.rlim_cur, (unsigned long long)limit);
	return limit;
}

static int
init(struct service *svc)
{
	struct why why;

	sd.svc = svc;
	sd.p = &svc->params;
	/* Before the chroot: the time zone for Received: headers. */
	tzset();
	sd.mynetworks = netmatch_new(sd.p->mynetworks, &why);
	if (sd.mynetworks == NULL) {
		log_error("mynetworks: %s", why.msg);
		return -1;
	}
	if (smtpsrv_tls_init(sd.p, sd.p->smtpd_tls_security_level,
		sd.p->smtpd_tls_wrappermode, &sd.srv.tls_ctx) == -1)
		return -1;
	/* SASL loads its plugins from the system: before the chroot. */
	if (sd.p->smtpd_sasl_auth_enable && authsasl_init(&why) == -1) {
		log_error("SASL: %s", why.msg);
		return -1;
	}
	sd.limit = smtpd_limit_new(sd.p);
	sd.access = sd.p->smtpd_client_access[0] != '\0' ||
	    sd.p->smtpd_helo_access[0] != '\0' ||
	    sd.p->smtpd_sender_access[0] != '\0' ||
	    sd.p->smtpd_recipient_access[0] != '\0';
	sd.max_sessions = session_budget(sd.p->smtpd_connection_limit);
	sd.bare_newline_ok = netmatch_new(
	    sd.p->smtpd_forbid_bare_newline_exclusions, &why);
	if (sd.bare_newline_ok == NULL) {
		log_error("smtpd_forbid_bare_newline_exclusions: %s", why.msg);
		return -1;
	}
	/* The resolvers and /etc/hosts are read now, before the chroot. */
	if (sd.p->smtpd_peername_lookup) {
		sd.dns = dns_new(svc->base, sd.p->dns_servers, DNS_HOSTS_FILE,
		    &why);
		if (sd.dns == NULL) {
			log_error("DNS: %s", why.msg);
			return -1;
		}
	}
	return 0;
}

static void
ready(struct service *svc)
{
	if (service_queue_path(svc, "", sd.queue_dir, sizeof(sd.queue_dir)) ==
		-1 ||
	    service_queue_path(svc, sd.p->authd_socket, sd.authd_path,
		sizeof(sd.authd_path)) == -1 ||
	    service_queue_path(svc, sd.p->qmgr_socket, sd.qmgr_path,
		sizeof(sd.qmgr_path)) == -1)
		log_panic("queue paths too long");
	smtpd_rcpt_init(&sd);
	sd.pool = worker_pool_new(svc->base, 4, 10000);
	smtpd_session_init(&sd);
	log_info("ready: %zu listeners, queue %s", svc->nlisten, sd.queue_dir);
}

static void
on_accept(struct service *svc, int fd, size_t index)
{
	(void)svc;
	(void)index;
	smtpd_session_new(&sd, fd);
}

static void
fini(struct service *svc)
{
	(void)svc;
	worker_pool_free(&sd.pool);
	smtpsrv_free_all(&sd.srv);
	dns_free(&sd.dns);
	netmatch_free(&sd.mynetworks);
	netmatch_free(&sd.bare_newline_ok);
	smtpd_limit_free(&sd.limit);
	tls_ctx_free(&sd.srv.tls_ctx);
	if (sd.p->smtpd_sasl_auth_enable)
		authsasl_done();
}

int
main(int argc, char **argv)
{
	static const struct service_ops ops = { init, ready, on_accept, NULL,
		fini };

	return service_main(argc, argv, "smtpd", &ops, NULL);
}
