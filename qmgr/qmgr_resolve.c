/*
 * qmgr_resolve.c - where each recipient goes: aliases expanded once
 * through authd (a message whose recipients change is written anew with
 * its final recipients), then the transport and next hop from
 * transport_maps, or from the class of the domain (authd's DOMAIN:
 * local, virtual, relay, remote) and the *_transport parameters and
 * relayhost (postern-transport(5)).  A command ("|text") or file
 * ("/path") of a local alias becomes a recipient of its own whose
 * original recipient is the alias; it goes to transport "local" with
 * the alias as next hop, never through transport_maps.
 * Runs on worker threads (authd and table look-ups block); touches
 * nothing of the loop's.  Linked into: qmgr.  Trust: addresses come from
 * queue files smtpd wrote; answers from authd and tables are parsed
 * strictly.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/authclient.h"
#include "base/xmem.h"
#include "qmgr.h"

static struct authclient *
authd(const struct qmgr *qm)
{
	return authclient_thread(qm->authd_path, qm->p->authd_timeout * 1000);
}

static void route_set(struct qmgr_route *r, char state, const char *dsn,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void
route_set(struct qmgr_route *r, char state, const char *dsn,
    const char *fmt, ...)
{
	va_list ap;

	r->state = state;
	snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
	va_start(ap, fmt);
	vsnprintf(r->text, sizeof(r->text), fmt, ap);
	va_end(ap);
}

/* ---- alias expansion ---- */

/* A command or file target that an expansion wrote (qmgr(8)). */
static bool
is_local_target(struct span addr)
{
	return addr.len > 0 && (addr.p[0] == '|' || addr.p[0] == '/');
}

struct expansion {
	struct authproto_msg ans;	/* OK: the final recipients */
	bool changed;
};

/* EXPAND addr: 0 (e filled), or -1 with why (try later). */
static int
expand_one(const struct qmgr *qm, struct span addr, struct expansion *e,
    struct qmgr_route *route, struct why *why)
{
	enum authclient_res r;
	struct span f;

	authproto_init(&e->ans, 2 * 1024 * 1024);
	/* Already final: written by an earlier expansion of this message. */
	if (is_local_target(addr))
		return 0;
	r = authclient_call(authd(qm), "EXPAND", &addr, 1, &e->ans, why);
	if (r == AUTHC_NOTFOUND)
		return 0;	/* the store's LMTP server says 5.1.1 */
	if (r == AUTHC_PERM) {
		char text[200];

		snprintf(text, sizeof(text), "%.*s",
		    e->ans.nfield > 0 ? (int)e->ans.field[0].len : 0,
		    e->ans.nfield > 0 ? (const char *)e->ans.field[0].p : "");
		route_set(route, DELIVERREQ_BOUNCED, "5.3.0",
		    "alias expansion failed: %s", text);
		return 0;
	}
	if (r != AUTHC_OK) {
		char reason[sizeof(why->msg)];

		snprintf(reason, sizeof(reason), "%s", r == AUTHC_TEMP ?
		    why->msg : "authd refused the request");
		return why_set(why, "alias expansion: %s", reason);
	}
	if (e->ans.nfield == 0)
		return why_set(why, "alias expansion: empty answer");
	f = e->ans.field[0];
	/* One deliverable address, itself: nothing to rewrite. */
	e->changed = e->ans.nfield != 1 || f.len != addr.len + 1 ||
	    f.p[0] != '+' ||
	    !span_eq_span_nocase(span_make(f.p + 1, f.len - 1), addr);
	return 0;
}

/* True when addr was written already (an address in any case, a
 * command or path exactly); remembers it. */
static bool
seen(struct hmap *written, struct span addr)
{
	static int mark;
	bool local = is_local_target(addr);
	struct buf key;
	size_t i;
	bool old;

	buf_init(&key, addr.len + 1);
	for (i = 0; i < addr.len; i++)
		buf_addc(&key, !local && addr.p[i] >= 'A' && addr.p[i] <= 'Z' ?
		    addr.p[i] + 'a' - 'A' : addr.p[i]);
	old = hmap_put(written, buf_span(&key), &mark) != NULL;
	buf_fini(&key);
	return old;
}

/* Write the message anew with every recipient's expansion. */
static int
rewrite(const struct qmgr *qm, const struct qfile *q,
    const struct expansion *e, char newqid[QID_SIZE], struct why *why)
{
	struct qfile_writer *w;
	struct hmap *written = hmap_new();
	size_t n = 0, i, k;
	int r = 0;

	w = qfile_create(qm->queue_dir, why);
	if (w == NULL || qfile_set_env(w, &q->env, why) == -1)
		r = -1;
	for (i = 0; r == 0 && i < q->nrcpt; i++) {
		struct qfile_rcpt nr = q->rcpt[i];

		if (!e[i].changed) {
			if (!seen(written, nr.addr)) {
				n++;
				r = qfile_add_rcpt(w, &nr, why);
			}
			continue;
		}
		/* Final recipients keep the original recipient (ORCPT) and
		 * NOTIFY of the address they came from; duplicates go.  A
		 * command or file keeps the alias as its original recipient
		 * instead: local(8) asks authd about that alias again. */
		for (k = 0; r == 0 && k < e[i].ans.nfield; k++) {
			struct span f = e[i].ans.field[k];

			if (f.len < 2)
				continue;
			nr = q->rcpt[i];
			if (is_local_target(f)) {
				nr.addr = f;
				nr.orig = q->rcpt[i].addr;
				nr.orcpt_type = span_make("", 0);
			} else if (f.p[0] == '+' || f.p[0] == '-') {
				nr.addr = span_make(f.p + 1, f.len - 1);
			} else {
				continue;
			}
			if (seen(written, nr.addr))
				continue;
			if (n == QFILE_MAX_RCPT) {
				r = why_set(why, "more than %d recipients "
						 "after alias expansion",
				    QFILE_MAX_RCPT);
				break;
			}
			n++;
			r = qfile_add_rcpt(w, &nr, why);
		}
	}
	if (r == 0)
		r = qfile_write_content(w, span_make((const char *)q->map +
		    q->content_off, q->content_len), why);
	if (r == 0)
		r = qfile_commit(w, newqid, why);
	if (r == -1)
		qfile_abort(&w);
	qfile_writer_free(&w);
	hmap_free(&written);
	return r;
}

int
qmgr_expand(struct qmgr *qm, struct qfile *q, struct qmgr_route *routes,
    char newqid_out[QID_SIZE], struct why *why)
{
	struct expansion *e = xcalloc(q->nrcpt, sizeof(*e));
	bool changed = false;
	size_t i, done = 0;
	int r = 0;

	for (i = 0; i < q->nrcpt; i++, done++) {
		if (expand_one(qm, q->rcpt[i].addr, &e[i], &routes[i], why) ==
		    -1) {
			r = -1;
			done++;
			break;
		}
		changed |= e[i].changed;
	}
	if (r == 0 && changed)
		r = rewrite(qm, q, e, newqid_out, why) == 0 ? 1 : -1;
	for (i = 0; i < done; i++)
		authproto_fini(&e[i].ans);
	free(e);
	return r;
}

/* ---- transports ---- */

/* A transport name: lower-case letters, digits, '-', '_', '.'. */
static bool
transport_ok(struct span t)
{
	size_t i;

	if (t.len == 0 || t.len > QMGR_TRANSPORT_MAX)
		return false;
	for (i = 0; i < t.len; i++)
		if (!((t.p[i] >= 'a' && t.p[i] <= 'z') ||
			(t.p[i] >= '0' && t.p[i] <= '9') || t.p[i] == '-' ||
			t.p[i] == '_' || t.p[i] == '.'))
			return false;
	return true;
}

/* "transport:nexthop" (either may be empty; no colon: a transport). */
static void
split_transport(struct span v, struct span *t, struct span *hop)
{
	long c;

	v = span_trim(v);
	c = span_chr(v, ':');
	if (c < 0) {
		*t = v;
		*hop = span_make(v.p + v.len, 0);
		return;
	}
	*t = span_sub(v, 0, (size_t)c);
	*hop = span_sub(v, (size_t)c + 1, v.len - (size_t)c - 1);
}

/* transport_maps: the address, its domain, then ".parent" domains.
 * 1 found (value in out), 0 not found, -1 with why. */
static int
map_lookup(struct qmgr *qm, struct span addr, struct span domain,
    struct buf *out, struct why *why)
{
	enum dict_res r;
	struct buf key;
	struct span d = domain;
	long dot;

	if (qm->transport == NULL)
		return 0;
	buf_init(&key, DICT_MAX_KEY + 2);
	pthread_mutex_lock(&qm->transport_lock);
	r = dict_get(qm->transport, addr, out, why);
	if (r == DICT_NOTFOUND && domain.len > 0)
		r = dict_get(qm->transport, domain, out, why);
	while (r == DICT_NOTFOUND && (dot = span_chr(d, '.')) >= 0) {
		d = span_sub(d, (size_t)dot, d.len - (size_t)dot);
		buf_reset(&key);
		buf_addspan(&key, d);
		r = dict_get(qm->transport, buf_span(&key), out, why);
		d = span_sub(d, 1, d.len - 1);
	}
	pthread_mutex_unlock(&qm->transport_lock);
	buf_fini(&key);
	if (r == DICT_TEMPFAIL)
		return -1;
	return r == DICT_FOUND;
}

/* The class parameter of a domain (authd DOMAIN).  NULL with why. */
static const char *
class_transport(struct qmgr *qm, struct span domain, bool *remote,
    struct why *why)
{
	struct authproto_msg ans;
	const char *v = NULL;

	authproto_init(&ans, 4096);
	if (authclient_call(authd(qm), "DOMAIN", &domain, 1, &ans, why) ==
		AUTHC_OK &&
	    ans.nfield == 1) {
		struct span c = ans.field[0];

		*remote = false;
		if (span_eq(c, "local"))
			v = qm->p->local_transport;
		else if (span_eq(c, "virtual"))
			v = qm->p->virtual_transport;
		else if ((*remote = span_eq(c, "relay")))
			v = qm->p->relay_transport;
		else if ((*remote = span_eq(c, "remote")))
			v = qm->p->default_transport;
	}
	if (v == NULL && why->msg[0] == '\0')
		why_set(why, "authd: bad DOMAIN answer");
	authproto_fini(&ans);
	return v;
}

/* A command or file: transport local, next hop the alias (the
 * original recipient), which must be a plain address. */
static void
resolve_local(struct span orig, struct qmgr_route *r)
{
	size_t i;

	if (orig.len == 0 || orig.len >= sizeof(r->nexthop) ||
	    span_chr(orig, '@') < 0) {
		route_set(r, DELIVERREQ_BOUNCED, "5.3.0", "%s",
		    "a command or file recipient without its alias");
		return;
	}
	for (i = 0; i < orig.len; i++)
		if (orig.p[i] <= ' ' || orig.p[i] >= 0x7f) {
			route_set(r, DELIVERREQ_BOUNCED, "5.3.0", "%s",
			    "a command or file recipient with a bad alias");
			return;
		}
	snprintf(r->transport, sizeof(r->transport), "local");
	memcpy(r->nexthop, orig.p, orig.len);
	r->nexthop[orig.len] = '\0';
}

static void
resolve_one(struct qmgr *qm, struct span addr, struct qmgr_route *r)
{
	struct span domain, t, hop, ct, chop;
	const char *cls = NULL;
	bool remote = true;
	struct why why = { "" };
	struct buf val;
	long at = -1;
	size_t i;
	int found;

	for (i = 0; i < addr.len; i++)
		if (addr.p[i] == '@')
			at = (long)i;
	domain = at < 0 ? span_str(qm->p->myhostname) :
			  span_sub(addr, (size_t)at + 1, addr.len - (size_t)at - 1);
	buf_init(&val, 4096);
	found = map_lookup(qm, addr, domain, &val, &why);
	if (found == -1) {
		route_set(r, DELIVERREQ_DEFERRED, "4.3.0",
		    "transport_maps look-up failed: %s", why.msg);
		goto out;
	}
	t = hop = span_make("", 0);
	if (found)
		split_transport(buf_span(&val), &t, &hop);
	if (!found || t.len == 0 || hop.len == 0) {
		cls = class_transport(qm, domain, &remote, &why);
		if (cls == NULL) {
			route_set(r, DELIVERREQ_DEFERRED, "4.3.0",
			    "domain look-up failed: %s", why.msg);
			goto out;
		}
		split_transport(span_str(cls), &ct, &chop);
		if (t.len == 0)
			t = ct;
		if (hop.len == 0 && span_eq_span(t, ct))
			hop = chop;
	}
	if (span_eq(t, "error")) {
		char text[200];

		snprintf(text, sizeof(text), "%.*s", (int)hop.len,
		    (const char *)hop.p);
		route_set(r, DELIVERREQ_BOUNCED, "5.0.0", "%s",
		    hop.len > 0 ? text : "mail for this address is refused");
		goto out;
	}
	if (span_eq(t, "discard")) {
		route_set(r, DELIVERREQ_SENT, "2.0.0", "%s", "discarded");
		goto out;
	}
	if (!transport_ok(t)) {
		route_set(r, DELIVERREQ_DEFERRED, "4.3.5", "%s",
		    "bad transport name in the configuration");
		goto out;
	}
	if (hop.len == 0 && !span_eq(t, "lmtp"))
		hop = remote && qm->p->relayhost[0] != '\0' ?
		    span_str(qm->p->relayhost) : domain;
	if (hop.len == 0 || hop.len >= sizeof(r->nexthop)) {
		route_set(r, DELIVERREQ_DEFERRED, "4.3.5", "%s",
		    "no usable next hop in the configuration");
		goto out;
	}
	memcpy(r->transport, t.p, t.len);
	r->transport[t.len] = '\0';
	memcpy(r->nexthop, hop.p, hop.len);
	r->nexthop[hop.len] = '\0';
	for (i = 0; i < hop.len; i++)
		if (r->nexthop[i] <= ' ' || r->nexthop[i] >= 0x7f) {
			r->transport[0] = '\0';
			route_set(r, DELIVERREQ_DEFERRED, "4.3.5", "%s",
			    "bad next hop in the configuration");
			break;
		}
out:
	buf_fini(&val);
}

void
qmgr_resolve(struct qmgr *qm, const struct qfile *q, struct qmgr_route *routes)
{
	size_t i;

	for (i = 0; i < q->nrcpt; i++) {
		char s = (char)q->rcpt[i].status.state;

		if (s == QFILE_SENT || s == QFILE_BOUNCED ||
		    routes[i].state != 0)
			continue;
		if (is_local_target(q->rcpt[i].addr))
			resolve_local(q->rcpt[i].orig, &routes[i]);
		else
			resolve_one(qm, q->rcpt[i].addr, &routes[i]);
	}
}
