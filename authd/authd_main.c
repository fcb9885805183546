/*
 * authd_main.c - authd: user look-ups, password checks and address
 * expansion for the other daemons, over a unix socket (authd(8)).  The
 * only process that reads password hashes.
 * Linked into: authd.  Runs as postern-auth (auth_owner), not chrooted.
 * Trust: requests are hostile input.
 */
#include "authd.h"
#include "authd_map.h"
#include "base/log.h"

static struct authd ad;

/* The access tables smtpd asks about (postern-access(5)). */
static int
open_access(const struct params *p)
{
	const char *lists[4] = { p->smtpd_client_access, p->smtpd_helo_access,
		p->smtpd_sender_access, p->smtpd_recipient_access };
	static const char *const names[4] = { "smtpd_client_access",
		"smtpd_helo_access", "smtpd_sender_access",
		"smtpd_recipient_access" };
	struct why why;
	size_t i;

	for (i = 0; i < 4; i++) {
		ad.access[i] = access_open(lists[i], p->recipient_delimiter,
		    &why);
		if (ad.access[i] == NULL) {
			log_error("%s: %s", names[i], why.msg);
			return -1;
		}
	}
	return 0;
}

static int
init(struct service *svc)
{
	const struct params *p = &svc->params;
	struct directory *dir;
	struct why why;

	ad.svc = svc;
	ad.p = p;
	ad.dconf = (struct directory_conf){
		.myorigin = p->myorigin,
		.mydestination = p->mydestination,
		.virtual_mailbox_domains = p->virtual_mailbox_domains,
		.relay_domains = p->relay_domains,
		.users = p->virtual_mailbox_maps,
		.virtual_alias_maps = p->virtual_alias_maps,
		.alias_maps = p->alias_maps,
		.recipient_delimiter = p->recipient_delimiter,
		.recursion_limit = p->virtual_alias_recursion_limit,
		.expansion_limit = p->virtual_alias_expansion_limit,
		.allow_commands = p->allow_mail_to_commands,
		.allow_files = p->allow_mail_to_files,
	};
	/* Open every table once now, so a bad name stops start-up. */
	if ((dir = directory_new(&ad.dconf, &why)) == NULL) {
		log_error("directory: %s", why.msg);
		return -1;
	}
	directory_free(&dir);
	return open_access(p);
}

static void
ready(struct service *svc)
{
	ad.pool = worker_pool_new(svc->base, (unsigned)ad.p->authd_threads,
	    10000);
	ad.cache = authd_map_new((size_t)ad.p->authd_cache_size);
	ad.fails = authd_map_new((size_t)ad.p->authd_cache_size);
	authd_work_init(&ad);
	log_info("ready: %llu threads, users in %s",
	    (unsigned long long)ad.p->authd_threads,
	    ad.p->virtual_mailbox_maps);
}

static void
on_accept(struct service *svc, int fd, size_t index)
{
	(void)svc;
	(void)index;
	authd_session_new(&ad, fd);
}

static void
fini(struct service *svc)
{
	size_t i;

	(void)svc;
	/* Finish queued work first: its answers go to live sessions. */
	worker_pool_free(&ad.pool);
	authd_session_free_all(&ad);
	authd_map_free(&ad.cache);
	authd_map_free(&ad.fails);
	for (i = 0; i < 4; i++)
		access_close(&ad.access[i]);
}

int
main(int argc, char **argv)
{
	static const struct service_ops ops = { init, ready, on_accept, NULL,
		fini };

	return service_main(argc, argv, "authd", &ops, NULL);
}
