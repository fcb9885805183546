/*
 * delivery_tls.c - TLS for the clients: two client contexts made at
 * start-up (one that takes any certificate, for may and encrypt; one
 * that verifies against smtp_tls_CAfile, for verify), the level names,
 * and smtp_tls_policy_maps looked up per destination domain.
 * Linked into: delivery.  Runs as mail_owner; the contexts and the CA
 * file are loaded before the chroot.  Trust: the tables are the admin's;
 * a value that is no level is refused (the delivery is deferred).
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "base/cfg.h"
#include "base/log.h"
#include "base/xmem.h"
#include "delivery.h"

/* dict handles are not shared between threads at once. */
static pthread_mutex_t policy_lock = PTHREAD_MUTEX_INITIALIZER;

int
delivery_tls_parse(const char *s, enum smtpclient_tls *out)
{
	static const struct {
		const char *name;
		enum smtpclient_tls level;
	} levels[] = {
		{ "none", SMTPCLIENT_TLS_NONE },
		{ "may", SMTPCLIENT_TLS_MAY },
		{ "encrypt", SMTPCLIENT_TLS_ENCRYPT },
		{ "verify", SMTPCLIENT_TLS_VERIFY },
	};
	size_t i;

	for (i = 0; i < sizeof(levels) / sizeof(levels[0]); i++)
		if (strcmp(s, levels[i].name) == 0) {
			*out = levels[i].level;
			return 0;
		}
	return -1;
}

static SSL_CTX *
client_ctx(const struct params *p, bool verify, struct why *why)
{
	struct tls_conf conf;

	memset(&conf, 0, sizeof(conf));
	conf.protocols = p->tls_protocols;
	conf.ciphers = p->tls_ciphers[0] != '\0' ? p->tls_ciphers : NULL;
	conf.ciphersuites = p->tls_ciphersuites[0] != '\0' ?
	    p->tls_ciphersuites : NULL;
	conf.ca_file = p->smtp_tls_CAfile[0] != '\0' ? p->smtp_tls_CAfile :
							NULL;
	conf.verify = verify;
	return tls_client_ctx_new(&conf, why);
}

static int
open_policy(struct delivery *d)
{
	struct span rest = span_str(d->p->smtp_tls_policy_maps);
	struct span item;
	struct why why;
	char spec[1024];

	while (cfg_list_next(&rest, &item)) {
		snprintf(spec, sizeof(spec), "%.*s", (int)item.len,
		    (const char *)item.p);
		d->policy = xrealloc(d->policy, (d->npolicy + 1) *
		    sizeof(*d->policy));
		d->policy[d->npolicy] = dict_open(spec, &why);
		if (d->policy[d->npolicy] == NULL) {
			log_error("smtp_tls_policy_maps: %s", why.msg);
			return -1;
		}
		d->npolicy++;
	}
	return 0;
}

int
delivery_tls_init(struct delivery *d)
{
	const char *level = d->lmtp ? d->p->lmtp_tls_security_level :
	    d->p->smtp_tls_security_level;
	enum smtpclient_tls l = SMTPCLIENT_TLS_NONE;
	struct why why;

	delivery_tls_parse(level, &l);
	if (!d->lmtp && open_policy(d) == -1)
		return -1;
	/* Contexts only where a level may need them. */
	if (l == SMTPCLIENT_TLS_NONE && d->npolicy == 0)
		return 0;
	d->tls_any = client_ctx(d->p, false, &why);
	if (d->tls_any == NULL) {
		if (l >= SMTPCLIENT_TLS_ENCRYPT) {
			log_error("TLS is required but unavailable: %s",
			    why.msg);
			return -1;
		}
		log_warn("STARTTLS not used: %s", why.msg);
	}
	d->tls_verify = client_ctx(d->p, true, &why);
	if (d->tls_verify == NULL) {
		if (l == SMTPCLIENT_TLS_VERIFY) {
			log_error("TLS verification is required but "
				  "unavailable: %s", why.msg);
			return -1;
		}
		if (d->npolicy > 0)
			log_warn("the verify level is unavailable: %s",
			    why.msg);
	}
	return 0;
}

void
delivery_tls_fini(struct delivery *d)
{
	size_t i;

	tls_ctx_free(&d->tls_any);
	tls_ctx_free(&d->tls_verify);
	for (i = 0; i < d->npolicy; i++)
		dict_close(&d->policy[i]);
	xfree(&d->policy);
	d->npolicy = 0;
}

SSL_CTX *
delivery_tls_ctx(const struct delivery *d, enum smtpclient_tls l)
{
	if (l == SMTPCLIENT_TLS_NONE)
		return NULL;
	return l == SMTPCLIENT_TLS_VERIFY ? d->tls_verify : d->tls_any;
}

/* One key in every table: 1 found (*out set), 0 not, -1 failed. */
static int
lookup(struct delivery *d, const char *key, enum smtpclient_tls *out,
    struct why *why)
{
	struct buf value;
	size_t i;
	int rc = 0;

	buf_init(&value, 256);
	for (i = 0; i < d->npolicy && rc == 0; i++) {
		switch (dict_get(d->policy[i], span_str(key), &value, why)) {
		case DICT_FOUND:
			rc = delivery_tls_parse(buf_str(&value), out) == 0 ?
			    1 : why_set(why, "%s: bad TLS level \"%.*s\" for "
			    "%s", dict_name(d->policy[i]), 40,
			    buf_str(&value), key);
			break;
		case DICT_TEMPFAIL:
			rc = -1;
			break;
		case DICT_NOTFOUND:
			break;
		}
	}
	buf_fini(&value);
	return rc;
}

enum smtpclient_tls
delivery_tls_level(struct delivery *d, const char *domain, struct why *why,
    bool *failed)
{
	enum smtpclient_tls l = SMTPCLIENT_TLS_NONE;
	const char *dot;
	char key[DELIVERREQ_NEXTHOP_SIZE + 1];
	int rc = 0;

	*failed = false;
	pthread_mutex_lock(&policy_lock);
	/* The domain, then ".parent" for each parent domain. */
	if (d->npolicy > 0 && domain[0] != '\0') {
		rc = lookup(d, domain, &l, why);
		for (dot = strchr(domain, '.'); rc == 0 && dot != NULL;
		     dot = strchr(dot + 1, '.')) {
			snprintf(key, sizeof(key), "%s", dot);
			rc = lookup(d, key, &l, why);
		}
	}
	pthread_mutex_unlock(&policy_lock);
	if (rc == -1) {
		*failed = true;
		return SMTPCLIENT_TLS_NONE;
	}
	if (rc == 0)
		delivery_tls_parse(d->p->smtp_tls_security_level, &l);
	return l;
}
