/*
 * mailaccess.c - the set-up the mail-access daemons share: TLS, SASL,
 * the descriptor limit, the connection table (mailaccess.h).
 * Linked into: imapd, pop3d.  Runs as root at start-up, then as
 * store_owner.  Trust: the configuration is the admin's; addresses and
 * user names only hashed.
 */
#include <stdio.h>
#include <sys/resource.h>

#include "auth/sasl.h"
#include "base/cfg.h"
#include "base/connlimit.h"
#include "base/log.h"
#include "mail/mailaccess.h"
#include "tls/tls.h"

/* Slots of the shared table: room for well over 10,000 connections and
 * as many logged-in users (24 bytes each). */
#define MAILACCESS_LIMIT_SLOTS 65536

/* Whether the list names any mechanism (commas and blanks separate). */
static bool
any_mechanism(const char *list)
{
	struct span rest = span_str(list);
	struct span m;

	return cfg_list_next(&rest, &m);
}

int
mailaccess_init(const struct params *p, bool wrappermode,
    const char *starttls, SSL_CTX **tls_out, bool *sasl_ok_out)
{
	struct tls_conf tc;
	struct rlimit rl;
	struct why why;

	params_tls_conf(p, &tc);
	if (tls_server_ctx_level(&tc, wrappermode ? "encrypt" : "may",
		wrappermode, tls_out, &why) == -1) {
		log_error("TLS: %s", why.msg);
		return -1;
	}
	if (*tls_out == NULL)
		log_warn("%s not offered: %s", starttls, why.msg);
	/* SASL loads its plugins from the system: at start-up.  Configured
	 * mechanisms that cannot work are a misconfiguration: refuse to
	 * start, as smtpd does (an empty auth_mechanisms means password
	 * logins only). */
	*sasl_ok_out = any_mechanism(p->auth_mechanisms);
	if (*sasl_ok_out && authsasl_init(&why) == -1) {
		log_error("SASL: %s", why.msg);
		tls_ctx_free(tls_out);
		return -1;
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return 0;
}

void
mailaccess_fini(SSL_CTX **tlsp, bool sasl_ok)
{
	tls_ctx_free(tlsp);
	if (sasl_ok)
		authsasl_done();
}

struct shcount *
mailaccess_limit_open(const char *store_dir, const char *file)
{
	char path[4200];
	struct why warn, why;
	struct shcount *t;

	snprintf(path, sizeof(path), "%s/%s", store_dir, file);
	t = connlimit_open(path, MAILACCESS_LIMIT_SLOTS, &warn, &why);
	if (warn.msg[0] != '\0')
		log_warn("connection table %s: %s; connection limits count "
			 "this process's connections only", path, warn.msg);
	if (t == NULL)
		log_warn("no connection limits: %s", why.msg);
	return t;
}

int
mailaccess_count(struct shcount *t, const char *id, const char *user,
    const char *addr, uint64_t limit)
{
	static bool warned;

	switch (connlimit_add(t, user, addr, limit)) {
	case CONNLIMIT_COUNTED:
		return 1;
	case CONNLIMIT_OVER:
		return 0;
	default:
		if (!warned)
			log_warn("%s: connection table full: a connection is "
				 "not counted", id);
		warned = true;
		return -1;
	}
}

bool
mailaccess_limit_connect(struct shcount *t, const char *id,
    const char *addr, uint64_t limit, bool *counted_out)
{
	int r;

	if (limit == 0 || t == NULL)
		return true;
	r = mailaccess_count(t, id, NULL, addr, limit);
	*counted_out = r == 1;
	if (r == 0)
		log_info("%s: too many connections from [%s] (limit %llu)",
		    id, addr, (unsigned long long)limit);
	return r != 0;
}
