/*
 * dict_ldap.c - the ldap: table type: ldap:/path/file.cf looks keys up in
 * an LDAP directory as the .cf file says (postern-ldap(5)).
 * Linked into: every program that links dict (smtpd, qmgr, authd,
 * postern).  Trust: the .cf file is the admin's (parsed strictly by
 * ldapcf.c); lookup keys are peer data and reach the filter only
 * escaped; the server is trusted for its answers but not for their
 * form, so values with NUL bytes are refused and its diagnostic text is
 * made printable before it goes into a reason.
 *
 * Lookups block (connect, bind and search use the synchronous OpenLDAP
 * API, each bounded by the table's timeout): programs with an event loop
 * run them on a worker thread or leave them to authd.  A connection may
 * see its server vanish, so callers must ignore SIGPIPE (every Postern
 * program does).
 *
 * Connection life: opening the table only reads the .cf file (and
 * bind_pw_file); the first lookup connects, trying the server_host URIs
 * in order.  The connection is kept.  When a search on a kept connection
 * fails because the server went away (server down, unavailable, connect
 * error, timeout, busy) it is dropped and the lookup is retried once on
 * a new connection, trying the URIs from the one after the failed one
 * round to the failed one again; so a restarted server is used again
 * without reopening the table.  Only a search that succeeded can say
 * DICT_NOTFOUND; every other failure is DICT_TEMPFAIL with a reason.
 */
#include <ldap.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "base/buf.h"
#include "base/file.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/dict.h"
#include "mail/dict_impl.h"
#include "mail/ldapcf.h"

/* Room for an expanded filter: the filter text plus escaped keys. */
#define FILTER_MAX (128 * 1024)

struct ldap_table {
	struct ldapcf cf;
	char *pw;		/* owned secret: bind_pw or bind_pw_file's */
	char **attrs;		/* owned array, NULL-terminated; the strings
				 * are borrowed from cf.attrs (or static) */
	LDAP *ld;		/* owned: NULL while not connected */
	size_t server;		/* index in cf.server_host of ld's server */
};

static void
drop(struct ldap_table *t)
{
	if (t->ld != NULL)
		ldap_unbind_ext_s(t->ld, NULL, NULL);
	t->ld = NULL;
}

static void
ldap_close(void *impl)
{
	struct ldap_table *t = impl;

	drop(t);
	if (t->pw != NULL)
		secret_wipe(t->pw, strlen(t->pw));
	xfree(&t->pw);
	xfree(&t->attrs);
	ldapcf_fini(&t->cf);
	xfree(&t);
}

/* rc in words, with the server's diagnostic message made printable. */
static void
ld_error(LDAP *ld, int rc, char *out, size_t size)
{
	char *diag = NULL;
	size_t i;

	if (ld != NULL)
		ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag);
	if (diag != NULL && diag[0] == '(')
		snprintf(out, size, "%s %.100s", ldap_err2string(rc), diag);
	else if (diag != NULL && diag[0] != '\0')
		snprintf(out, size, "%s (%.100s)", ldap_err2string(rc), diag);
	else
		snprintf(out, size, "%s", ldap_err2string(rc));
	for (i = 0; out[i] != '\0'; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			out[i] = '?';
	ldap_memfree(diag);
}

static bool
is_server_error(int rc)
{
	return rc == LDAP_SERVER_DOWN || rc == LDAP_UNAVAILABLE ||
	    rc == LDAP_CONNECT_ERROR || rc == LDAP_TIMEOUT || rc == LDAP_BUSY;
}

static bool
uses_tls(const struct ldap_table *t, const char *uri)
{
	return strncasecmp(uri, "ldaps://", 8) == 0 ||
	    (t->cf.start_tls && strncasecmp(uri, "ldap://", 7) == 0);
}

/* Options for a new handle. */
static int
set_options(struct ldap_table *t, LDAP *ld)
{
	struct timeval tv = { (time_t)t->cf.timeout, 0 };
	int version = LDAP_VERSION3;
	int rc;

	if ((rc = ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &tv)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_TIMEOUT, &tv)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_RESTART, LDAP_OPT_ON)))
		return rc;
	return LDAP_SUCCESS;
}

/* TLS options, and a TLS context of this handle's own that has them. */
static int
set_tls(struct ldap_table *t, LDAP *ld)
{
	int demand = t->cf.tls_require_cert ? LDAP_OPT_X_TLS_DEMAND :
	    LDAP_OPT_X_TLS_NEVER;
	int zero = 0;
	int rc;

	if (t->cf.tls_ca_cert_file[0] != '\0' &&
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE,
		t->cf.tls_ca_cert_file)))
		return rc;
	if ((rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand)) ||
	    (rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &zero)))
		return rc;
	return LDAP_SUCCESS;
}

/* Options, StartTLS, bind on a new handle; *step names the one that
 * failed. */
static int
conn_steps(struct ldap_table *t, LDAP *ld, const char *uri,
    const char **step)
{
	struct berval cred;
	int rc;

	*step = "options";
	if ((rc = set_options(t, ld)) != LDAP_SUCCESS)
		return rc;
	*step = "TLS setup";
	if (uses_tls(t, uri) && (rc = set_tls(t, ld)) != LDAP_SUCCESS)
		return rc;
	/* A failed StartTLS is an error, never a reason to go on in clear. */
	if (t->cf.start_tls && strncasecmp(uri, "ldap://", 7) == 0) {
		*step = "StartTLS";
		if ((rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS)
			return rc;
	}
	*step = "bind";
	cred.bv_val = t->pw;
	cred.bv_len = strlen(t->pw);
	return ldap_sasl_bind_s(ld, t->cf.bind_dn, LDAP_SASL_SIMPLE, &cred,
	    NULL, NULL, NULL);
}

/* Connect to server i.  0, or -1 with why. */
static int
conn_open(struct ldap_table *t, size_t i, struct why *why)
{
	const char *uri = t->cf.server_host.v[i];
	const char *step = "initialize";
	char err[200];
	LDAP *ld = NULL;
	int rc;

	rc = ldap_initialize(&ld, uri);
	if (rc == LDAP_SUCCESS)
		rc = conn_steps(t, ld, uri, &step);
	if (rc == LDAP_SUCCESS) {
		t->ld = ld;
		t->server = i;
		return 0;
	}
	ld_error(ld, rc, err, sizeof(err));
	if (ld != NULL)
		ldap_unbind_ext_s(ld, NULL, NULL);
	return why_set(why, "%s: %s: %s", uri, step, err);
}

/* Connect to the first server that answers, starting at first. */
static int
connect_any(struct ldap_table *t, size_t first, struct why *why)
{
	size_t n = t->cf.server_host.n;
	struct why last;
	size_t k;

	for (k = 0; k < n; k++)
		if (conn_open(t, (first + k) % n, &last) == 0)
			return 0;
	if (n > 1)
		return why_set(why, "no server answered; last: %s", last.msg);
	return why_set(why, "%s", last.msg);
}

static int
search(struct ldap_table *t, const char *filter, LDAPMessage **res_out)
{
	static const int scopes[] = { LDAP_SCOPE_SUBTREE, LDAP_SCOPE_ONELEVEL,
		LDAP_SCOPE_BASE };
	struct timeval tv = { (time_t)t->cf.timeout, 0 };

	*res_out = NULL;
	return ldap_search_ext_s(t->ld, t->cf.search_base,
	    scopes[t->cf.scope], filter, t->attrs, 0, NULL, NULL, &tv,
	    (int)t->cf.size_limit, res_out);
}

/*
 * Run the search, connecting first if need be, and retrying once on a
 * new connection when a kept one turns out dead.  LDAP_SUCCESS with
 * *res_out set, or another code with why set (*res_out may be set too).
 */
static int
query(struct ldap_table *t, const char *filter, LDAPMessage **res_out,
    struct why *why)
{
	bool kept = t->ld != NULL;
	char err[200];
	int rc;

	*res_out = NULL;
	if (!kept && connect_any(t, 0, why) == -1)
		return LDAP_SERVER_DOWN;
	rc = search(t, filter, res_out);
	if (kept && is_server_error(rc)) {
		ldap_msgfree(*res_out);
		drop(t);
		if (connect_any(t, t->server + 1, why) == -1)
			return LDAP_SERVER_DOWN;
		rc = search(t, filter, res_out);
	}
	if (rc == LDAP_SUCCESS)
		return rc;
	ld_error(t->ld, rc, err, sizeof(err));
	if (rc == LDAP_SIZELIMIT_EXCEEDED)
		why_set(why, "more entries match than the size limit (%llu, "
			     "0 = the server's) allows",
		    (unsigned long long)t->cf.size_limit);
	else if (rc == LDAP_NO_SUCH_OBJECT)
		why_set(why, "search_base %s does not exist",
		    t->cf.search_base);
	else
		why_set(why, "%s: search: %s", t->cf.server_host.v[t->server],
		    err);
	if (is_server_error(rc))
		drop(t);
	return rc;
}

static int
check_value(const struct berval *v, const char *attr, struct why *why)
{
	if (memchr(v->bv_val, '\0', v->bv_len) != NULL)
		return why_set(why, "attribute %s: value with NUL byte", attr);
	return 0;
}

/* Append vals to out, each after ", " but the first; counts them. */
static int
add_values(struct buf *out, struct berval **vals, const char *attr,
    size_t *n, struct why *why)
{
	size_t j;

	for (j = 0; vals != NULL && vals[j] != NULL; j++) {
		if (check_value(vals[j], attr, why) == -1)
			return -1;
		if ((*n > 0 && buf_adds(out, ", ") == -1) ||
		    buf_add(out, vals[j]->bv_val, vals[j]->bv_len) == -1)
			return why_set(why, "value longer than %zu bytes",
			    out->max);
		(*n)++;
	}
	return 0;
}

/* result_attribute: every value of every attribute of every entry. */
static enum dict_res
join_values(struct ldap_table *t, LDAPMessage *res, struct buf *out,
    struct why *why)
{
	LDAPMessage *e;
	struct berval **vals;
	size_t n = 0;
	size_t i;
	int r = 0;

	for (e = ldap_first_entry(t->ld, res); e != NULL && r == 0;
	    e = ldap_next_entry(t->ld, e)) {
		for (i = 0; t->attrs[i] != NULL && r == 0; i++) {
			vals = ldap_get_values_len(t->ld, e, t->attrs[i]);
			r = add_values(out, vals, t->attrs[i], &n, why);
			ldap_value_free_len(vals);
		}
	}
	if (r == -1)
		return DICT_TEMPFAIL;
	return n > 0 ? DICT_FOUND : DICT_NOTFOUND;
}

/* result_template: the first value of each attribute of one entry. */
static enum dict_res
fill_template(struct ldap_table *t, LDAPMessage *res, struct buf *out,
    struct why *why)
{
	struct ldapcf_attr av[LDAPCF_MAX_ATTRS];
	struct berval **vals[LDAPCF_MAX_ATTRS];
	LDAPMessage *e = ldap_first_entry(t->ld, res);
	int n = ldap_count_entries(t->ld, res);
	size_t i;
	int r = 0;

	if (n == 0 || e == NULL)
		return DICT_NOTFOUND;
	if (n > 1) {
		why_set(why, "%d entries match; result_template needs exactly "
			     "one", n);
		return DICT_TEMPFAIL;
	}
	for (i = 0; i < t->cf.attrs.n; i++) {
		vals[i] = ldap_get_values_len(t->ld, e, t->attrs[i]);
		av[i].name = span_str(t->attrs[i]);
		av[i].value = span_make("", 0);
		if (vals[i] != NULL && vals[i][0] != NULL) {
			av[i].value = span_make(vals[i][0]->bv_val,
			    vals[i][0]->bv_len);
			if (r == 0)
				r = check_value(vals[i][0], t->attrs[i], why);
		}
	}
	if (r == 0)
		r = ldapcf_template_expand(t->cf.result_template, av,
		    t->cf.attrs.n, out, why);
	for (i = 0; i < t->cf.attrs.n; i++)
		ldap_value_free_len(vals[i]);
	return r == 0 ? DICT_FOUND : DICT_TEMPFAIL;
}

static enum dict_res
ldap_get(void *impl, struct span key, struct buf *value_out,
    struct why *why)
{
	struct ldap_table *t = impl;
	LDAPMessage *res = NULL;
	enum dict_res dr = DICT_TEMPFAIL;
	struct buf filter;
	struct buf val;

	buf_init(&filter, FILTER_MAX);
	buf_init(&val, value_out->max);
	switch (ldapcf_filter_expand(t->cf.query_filter, key, &filter, why)) {
	case LDAPCF_X_NOQUERY:
		dr = DICT_NOTFOUND;
		break;
	case LDAPCF_X_ERROR:
		break;
	case LDAPCF_X_OK:
		if (query(t, buf_str(&filter), &res, why) != LDAP_SUCCESS)
			break;
		if (t->cf.result_template[0] != '\0')
			dr = fill_template(t, res, &val, why);
		else
			dr = join_values(t, res, &val, why);
		break;
	}
	if (dr == DICT_FOUND)
		dr = dict_set_value(value_out, val.p, val.len, why);
	ldap_msgfree(res);
	buf_fini(&filter);
	buf_fini(&val);
	return dr;
}

static const struct dict_ops ldap_ops = { ldap_get, ldap_close };

/* bind_pw_file: one line; a final newline is not part of it. */
static int
read_pw_file(struct ldap_table *t, struct why *why)
{
	const char *path = t->cf.bind_pw_file;
	struct buf b;
	int r;

	buf_init(&b, LDAPCF_MAX_PW);
	r = file_read(path, &b, why);
	if (r == 1)
		why_set(why, "%s: bind_pw_file does not exist", path);
	if (r == 0 && b.len > 0 && b.p[b.len - 1] == '\n')
		buf_truncate(&b, b.len - (b.len > 1 && b.p[b.len - 2] == '\r'
		    ? 2 : 1));
	if (r == 0 && (b.len == 0 || memchr(b.p, '\0', b.len) != NULL ||
	    memchr(b.p, '\n', b.len) != NULL))
		r = why_set(why, "%s: want the password on one line", path);
	if (r == 0)
		t->pw = buf_steal(&b);
	buf_wipe(&b);
	return r == 0 ? 0 : -1;
}

/* Read and parse the .cf file into t->cf.  0, or -1 with why. */
static int
read_cf(struct ldap_table *t, const char *path, struct why *why)
{
	struct buf text;
	struct why inner;
	int line = 0;
	int r;

	buf_init(&text, LDAPCF_MAX_FILE);
	r = file_read(path, &text, why);
	if (r == 1)
		r = why_set(why, "%s: No such file or directory", path);
	if (r == 0 && ldapcf_parse(buf_span(&text), &t->cf, &line,
	    &inner) == -1) {
		if (line > 0)
			r = why_set(why, "%s:%d: %s", path, line, inner.msg);
		else
			r = why_set(why, "%s: %s", path, inner.msg);
	}
	buf_wipe(&text);
	return r;
}

int
dict_ldap_open(const char *arg, const struct dict_ops **ops_out,
    void **impl_out, struct why *why)
{
	struct ldap_table *t = xcalloc(1, sizeof(*t));
	size_t i;

	ldapcf_init(&t->cf);
	if (read_cf(t, arg, why) == -1 || (t->cf.bind_pw_file[0] != '\0' &&
	    read_pw_file(t, why) == -1)) {
		ldap_close(t);
		return -1;
	}
	if (t->pw == NULL)
		t->pw = xstrdup(t->cf.bind_pw);
	t->attrs = xcalloc(t->cf.attrs.n + 2, sizeof(*t->attrs));
	for (i = 0; i < t->cf.attrs.n; i++)
		t->attrs[i] = t->cf.attrs.v[i];
	/* A constant template needs no attribute; an empty list would
	 * ask for all of them (RFC 4511 4.5.1.8). */
	if (t->cf.attrs.n == 0)
		t->attrs[0] = (char *)LDAP_NO_ATTRS;
	*ops_out = &ldap_ops;
	*impl_out = t;
	return 0;
}
