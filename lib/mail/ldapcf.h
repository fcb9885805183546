/*
 * ldapcf.h - the configuration of an ldap: lookup table (the .cf file,
 * postern-ldap(5)) and the pure functions an LDAP lookup is built from:
 * RFC 4515 filter escaping, query_filter expansion (%s %u %d %%) and
 * result_template expansion (%{attr} %%).
 * Linked into: every program that links dict (smtpd, qmgr, authd,
 * postern).  Trust: the .cf file is the admin's but security-relevant,
 * so it is parsed strictly (unknown names and duplicates are errors);
 * lookup keys are peer data and are escaped before they reach a filter.
 */
#ifndef POSTERN_LDAPCF_H
#define POSTERN_LDAPCF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/why.h"

/* Most URIs in server_host and attributes a table may name. */
#define LDAPCF_MAX_URIS 16
#define LDAPCF_MAX_ATTRS 32
/* Largest .cf file and bind_pw_file read. */
#define LDAPCF_MAX_FILE (64 * 1024)
#define LDAPCF_MAX_PW 1024

enum ldapcf_scope {
	LDAPCF_SCOPE_SUB,
	LDAPCF_SCOPE_ONE,
	LDAPCF_SCOPE_BASE,
};

/* A list of heap strings, each owned by the list. */
struct ldapcf_list {
	char **v;
	size_t n;
};

/*
 * One table's settings; every pointer is owned and freed by
 * ldapcf_fini.  Strings that were not set are "" (never NULL).
 */
struct ldapcf {
	struct ldapcf_list server_host;	/* ldap:// ldaps:// ldapi:// URIs */
	bool start_tls;
	char *tls_ca_cert_file;
	bool tls_require_cert;
	char *bind_dn;			/* "" = anonymous */
	char *bind_pw;			/* secret: wiped by ldapcf_fini */
	char *bind_pw_file;
	char *search_base;
	enum ldapcf_scope scope;
	char *query_filter;
	struct ldapcf_list result_attribute;
	char *result_template;		/* "" = join result_attribute */
	uint64_t timeout;		/* seconds */
	uint64_t size_limit;		/* 0 = none */
	/* Derived: the attributes to request (result_attribute, or the
	 * distinct %{attr} names of result_template, in order; none for a
	 * template without %{attr}). */
	struct ldapcf_list attrs;
};

/* Set the defaults (scope sub, timeout 10s, tls_require_cert yes). */
void	ldapcf_init(struct ldapcf *cf);
/* Free everything, wiping bind_pw; cf may be reused after ldapcf_init. */
void	ldapcf_fini(struct ldapcf *cf);

/*
 * Parse .cf text (cfg_parse syntax: "name = value", '#' comments,
 * continuation lines) into cf, which must have been ldapcf_init()ed,
 * and check the whole: required parameters, URI schemes, % sequences,
 * attribute names.  Returns 0, or -1 with *err_line_out set (0 for a
 * problem of the file as a whole, such as a missing parameter) and the
 * reason in why (which never quotes bind_pw).  On failure cf holds
 * whatever was parsed and must still be ldapcf_fini()ed.  Pure: no I/O,
 * no logging.
 */
int	ldapcf_parse(struct span text, struct ldapcf *cf, int *err_line_out,
	    struct why *why);

/* Append s escaped per RFC 4515 ('*' '(' ')' '\' NUL as \2a \28 \29
 * \5c \00; every other byte as is).  0, or -1 when out's max is hit. */
int	ldapcf_escape(struct span s, struct buf *out);

enum ldapcf_xres {
	LDAPCF_X_OK,
	LDAPCF_X_NOQUERY,	/* %d with a key that has no domain */
	LDAPCF_X_ERROR,		/* why is set */
};

/*
 * Expand a query_filter for key (appended to out): %s is the whole key,
 * %u the part before the last '@' (the whole key when it has none), %d
 * the part after the last '@', %% a '%'; each expansion is escaped with
 * ldapcf_escape.  LDAPCF_X_NOQUERY when filter uses %d and key has no
 * '@' or nothing after it: such a key cannot match, so the caller
 * answers "not found" without asking the server.  LDAPCF_X_ERROR for a
 * bad % sequence or when out's max is hit.
 */
enum ldapcf_xres ldapcf_filter_expand(const char *filter, struct span key,
	    struct buf *out, struct why *why);

/* An attribute and its first value, as found in one entry (borrowed). */
struct ldapcf_attr {
	struct span name;
	struct span value;
};

/*
 * Expand a result_template (appended to out): %{name} becomes the value
 * of the first attrs[] entry whose name matches (ASCII case-insensitive,
 * as LDAP attribute names are), or nothing when none does; %% is a '%'.
 * 0, or -1 with why for a bad % sequence or when out's max is hit.
 */
int	ldapcf_template_expand(const char *tmpl,
	    const struct ldapcf_attr *attrs, size_t nattrs, struct buf *out,
	    struct why *why);

/* "sub", "one" or "base". */
const char *ldapcf_scope_name(enum ldapcf_scope scope);

#endif
