/*
 * delivery_main.c - delivery: the delivery agents lmtp(8) and smtp(8),
 * run by master as "delivery lmtp" and "delivery smtp".  Start-up and
 * wiring only: the mode, the timeouts, TLS contexts and policy tables,
 * the resolver, this host's addresses (the MX loop check), the worker
 * pool, listeners.  Each connection on the socket is one request from
 * qmgr (delivery_req.c).
 * Linked into: delivery.  Runs as mail_owner; delivery-smtp chrooted to
 * queue_directory, delivery-lmtp not.  Trust: requests come from qmgr;
 * servers are hostile; the configuration is the admin's.
 */
#include <ifaddrs.h>
#include <string.h>

#include "base/cfg.h"
#include "base/log.h"
#include "delivery.h"

static struct delivery dd;

/* Queue file opens (they read and check the whole file) and table
 * look-ups run on workers, never on the loop. */
#define DELIVERY_THREADS 4
#define DELIVERY_MAX_JOBS 10000

static void
add_self(const struct sockaddr *sa, uint16_t port)
{
	struct delivery_self *s;

	if (dd.nself == DELIVERY_MAX_SELF ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6))
		return;
	s = &dd.self[dd.nself++];
	memset(s, 0, sizeof(*s));
	memcpy(&s->sa, sa, sa->sa_family == AF_INET ?
	    sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6));
	s->port = port;
}

/* Every interface address, for a wildcard listener. */
static void
add_interfaces(uint16_t port)
{
	struct ifaddrs *ifa, *i;

	if (getifaddrs(&ifa) == -1) {
		log_syserr("getifaddrs");
		return;
	}
	for (i = ifa; i != NULL; i = i->ifa_next)
		if (i->ifa_addr != NULL)
			add_self(i->ifa_addr, port);
	freeifaddrs(ifa);
}

/*
 * The addresses an MX must not send us back to: those of smtp_listen
 * (where this instance takes mail from other hosts), at their ports.
 */
static void
find_self(void)
{
	struct span rest = span_str(dd.p->smtp_listen);
	struct span item;
	struct net_addr a, res[8];
	struct why why;
	size_t n, i;

	while (cfg_list_next(&rest, &item)) {
		if (net_addr_parse(item, &a, &why) == -1 ||
		    net_addr_resolve(&a, res, 8, &n, &why) == -1)
			continue;
		for (i = 0; i < n; i++) {
			struct sockaddr_in s4 = { .sin_family = AF_INET };
			struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

			if (res[i].kind == NET_IPV4 &&
			    res[i].v4.s_addr == htonl(INADDR_ANY))
				add_interfaces(res[i].port);
			else if (res[i].kind == NET_IPV6 &&
			    IN6_IS_ADDR_UNSPECIFIED(&res[i].v6))
				add_interfaces(res[i].port);
			else if (res[i].kind == NET_IPV4) {
				s4.sin_addr = res[i].v4;
				add_self((struct sockaddr *)&s4, res[i].port);
			} else if (res[i].kind == NET_IPV6) {
				s6.sin6_addr = res[i].v6;
				add_self((struct sockaddr *)&s6, res[i].port);
			}
		}
	}
}

static int
init(struct service *svc)
{
	const struct params *p = &svc->params;
	struct why why;

	dd.svc = svc;
	dd.p = p;
	if (svc->argc != 1 || (strcmp(svc->argv[0], "lmtp") != 0 &&
				  strcmp(svc->argv[0], "smtp") != 0)) {
		log_error("usage: delivery [options] lmtp|smtp");
		return -1;
	}
	dd.lmtp = strcmp(svc->argv[0], "lmtp") == 0;
	dd.to.connect = p->smtp_connect_timeout * 1000;
	dd.to.helo = p->smtp_helo_timeout * 1000;
	dd.to.mail = p->smtp_mail_timeout * 1000;
	dd.to.rcpt = p->smtp_rcpt_timeout * 1000;
	dd.to.data_init = p->smtp_data_init_timeout * 1000;
	dd.to.data_xfer = p->smtp_data_xfer_timeout * 1000;
	dd.to.data_done = p->smtp_data_done_timeout * 1000;
	dd.to.quit = p->smtp_quit_timeout * 1000;
	if (delivery_tls_init(&dd) == -1)
		return -1;
	/* The resolvers and /etc/hosts are read now, before the chroot. */
	dd.dns = dns_new(svc->base, p->dns_servers, DNS_HOSTS_FILE, &why);
	if (dd.dns == NULL) {
		log_error("DNS: %s", why.msg);
		return -1;
	}
	if (!dd.lmtp)
		find_self();
	return 0;
}

static void
ready(struct service *svc)
{
	if (service_queue_path(svc, "", dd.queue_dir, sizeof(dd.queue_dir)) ==
	    -1)
		log_panic("queue path too long");
	dd.pool = worker_pool_new(svc->base, DELIVERY_THREADS,
	    DELIVERY_MAX_JOBS);
	dd.cache = delivery_cache_new(&dd);
	log_info("ready: %s, %zu listeners, queue %s",
	    dd.lmtp ? "lmtp" : "smtp", svc->nlisten, dd.queue_dir);
}

static void
on_accept(struct service *svc, int fd, size_t index)
{
	(void)svc;
	(void)index;
	delivery_req_new(&dd, fd);
}

static void
fini(struct service *svc)
{
	(void)svc;
	/* Requests in flight end here; qmgr defers their recipients. */
	dd.stopping = true;
	worker_pool_free(&dd.pool);
	delivery_cache_free(&dd.cache);
	delivery_req_free_all(&dd);
	smtpclient_quit_all();
	dns_free(&dd.dns);
	delivery_tls_fini(&dd);
}

int
main(int argc, char **argv)
{
	static const struct service_ops ops = { init, ready, on_accept, NULL,
		fini };

	return service_main(argc, argv, "delivery", &ops, NULL);
}
