/*
 * ldapcf_test.c - unit tests for lib/mail/ldapcf: the ldap: table .cf
 * parser (defaults, every parameter, every rejection with its line),
 * RFC 4515 escaping, query_filter expansion (%s %u %d %%, keys without
 * '@', injection attempts) and result_template expansion.
 */
#include "base/buf.h"
#include "base/why.h"
#include "mail/ldapcf.h"
#include "tap.h"

#define GOOD_TAIL                                                        \
	"search_base = dc=example,dc=org\n"                              \
	"query_filter = (mail=%s)\n"                                     \
	"result_attribute = mail\n"

/* Parse text; returns ldapcf_parse's result and fills line and why. */
static int
parse(const char *text, struct ldapcf *cf, int *line, struct why *why)
{
	ldapcf_init(cf);
	return ldapcf_parse(span_str(text), cf, line, why);
}

static void
test_defaults(void)
{
	struct ldapcf cf;
	struct why why = { "" };
	int line = -1;

	is_int(parse("server_host = ldap://localhost\n" GOOD_TAIL, &cf, &line,
	    &why), 0, "minimal file parses");
	is_int(line, 0, "no error line");
	is_int(cf.scope, LDAPCF_SCOPE_SUB, "scope defaults to sub");
	is_str(ldapcf_scope_name(cf.scope), "sub", "scope name");
	is_int(cf.timeout, 10, "timeout defaults to 10s");
	is_int(cf.size_limit, 0, "size_limit defaults to 0");
	ok(!cf.start_tls && cf.tls_require_cert, "TLS defaults");
	is_str(cf.bind_dn, "", "anonymous by default");
	is_str(cf.bind_pw, "", "no password by default");
	is_str(cf.result_template, "", "no template by default");
	is_int(cf.attrs.n, 1, "attrs from result_attribute");
	is_str(cf.attrs.v[0], "mail", "requested attribute");
	ldapcf_fini(&cf);
}

static const char full[] =
    "# users\n"
    "server_host = ldap://a.example:389, ldaps://b.example:636/\n"
    "   ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi\n"
    "start_tls = yes\n"
    "tls_ca_cert_file = /etc/ssl/ca.pem\n"
    "tls_require_cert = no\n"
    "bind_dn = cn=postern,dc=example,dc=org\n"
    "bind_pw_file = /etc/postern/ldap.pw\n"
    "search_base = ou=people,dc=example,dc=org\n"
    "scope = one\n"
    "\n"
    "query_filter = (&(objectClass=posternAccount)(mail=%s))\n"
    "result_template = %{userPassword}:%{posternEnabled}:%%:%{CN}\n"
    "  :%{cn}:%{posternMailHost}\n"
    "timeout = 2m\n"
    "size_limit = 5\n";

static void
test_full(void)
{
	struct ldapcf cf;
	struct why why = { "" };
	int line = -1;

	if (!ok(parse(full, &cf, &line, &why) == 0, "full file parses"))
		diag("line %d: %s", line, why.msg);
	is_int(cf.server_host.n, 3, "three URIs (continuation line)");
	is_str(cf.server_host.v[1], "ldaps://b.example:636/", "second URI");
	is_str(cf.server_host.v[2], "ldapi://%2Fvar%2Frun%2Fslapd%2Fldapi",
	    "ldapi URI");
	ok(cf.start_tls && !cf.tls_require_cert, "TLS flags");
	is_str(cf.tls_ca_cert_file, "/etc/ssl/ca.pem", "CA file");
	is_str(cf.bind_dn, "cn=postern,dc=example,dc=org", "bind_dn");
	is_str(cf.bind_pw_file, "/etc/postern/ldap.pw", "bind_pw_file");
	is_int(cf.scope, LDAPCF_SCOPE_ONE, "scope one");
	is_str(cf.result_template, "%{userPassword}:%{posternEnabled}:%%:"
	    "%{CN} :%{cn}:%{posternMailHost}", "template joined");
	is_int(cf.timeout, 120, "timeout 2m");
	is_int(cf.size_limit, 5, "size_limit");
	is_int(cf.attrs.n, 4, "distinct template attributes");
	if (cf.attrs.n == 4) {
		is_str(cf.attrs.v[0], "userPassword", "first attribute");
		is_str(cf.attrs.v[2], "CN", "cn once, as first written");
		is_str(cf.attrs.v[3], "posternMailHost", "last attribute");
	}
	ldapcf_fini(&cf);
}

static const struct bad {
	const char *text;
	int line;
	const char *why;
} bads[] = {
	{ "server_host = ldap://x\nserverhost = ldap://y\n" GOOD_TAIL, 2,
	    "unknown parameter serverhost" },
	{ "Server_Host = ldap://x\n" GOOD_TAIL, 1,
	    "unknown parameter Server_Host" },
	{ "server_host = ldap://x\n" GOOD_TAIL "\nserver_host = ldap://y\n", 6,
	    "duplicate parameter server_host (first set on line 1)" },
	{ "server_host = ldap://x\nscope = subtree\n" GOOD_TAIL, 2,
	    "scope: bad scope \"subtree\"" },
	{ "server_host = ldap://x\nstart_tls = maybe\n" GOOD_TAIL, 2,
	    "start_tls: bad boolean \"maybe\"" },
	{ "server_host = ldap://x\ntls_require_cert =\n" GOOD_TAIL, 2,
	    "tls_require_cert: bad boolean" },
	{ "server_host = ldap://x\n" GOOD_TAIL "timeout = 10 s\n", 5,
	    "timeout: bad time \"10 s\"" },
	{ "server_host = ldap://x\n" GOOD_TAIL "timeout = 0\n", 5,
	    "timeout: bad time \"0\"" },
	{ "server_host = ldap://x\n" GOOD_TAIL "timeout = 2h\n", 5,
	    "timeout: bad time" },
	{ "server_host = ldap://x\n" GOOD_TAIL "size_limit = -1\n", 5,
	    "size_limit: bad number \"-1\"" },
	{ "server_host = ldap://x http://y\n" GOOD_TAIL, 1,
	    "server_host: bad URI \"http://y\"" },
	{ "server_host = ldap://x/dc=example??sub\n" GOOD_TAIL, 1,
	    "server_host: bad URI" },
	{ "server_host = x.example.org\n" GOOD_TAIL, 1,
	    "server_host: bad URI \"x.example.org\"" },
	{ "server_host = ldap://1 ldap://2 ldap://3 ldap://4 ldap://5 "
	  "ldap://6 ldap://7 ldap://8 ldap://9 ldap://10 ldap://11 ldap://12 "
	  "ldap://13 ldap://14 ldap://15 ldap://16 ldap://17\n" GOOD_TAIL, 1,
	    "server_host: more than 16 items" },
	{ "server_host = ldap://x\n"
	  "search_base = dc=example,dc=org\n"
	  "query_filter = (mail=%s)\n"
	  "result_attribute = mail, -x\n", 4,
	    "result_attribute: bad attribute name \"-x\"" },
	{ "server_host = ldap://x\n  # comment\nfoo\n", 3,
	    "missing '=' after \"foo\"" },
	{ "  search_base = x\n", 1, "continuation line without" },
	{ "server_host = ldap://x\nbind_pw = a\0b\n", 2, "NUL byte" },
	{ GOOD_TAIL, 0, "missing server_host" },
	{ "server_host =\n" GOOD_TAIL, 0, "missing server_host" },
	{ "server_host = ldap://x\n"
	  "query_filter = (mail=%s)\n"
	  "result_attribute = mail\n", 0, "missing search_base" },
	{ "server_host = ldap://x\n"
	  "search_base = dc=example,dc=org\n"
	  "result_attribute = mail\n", 0, "missing query_filter" },
	{ "server_host = ldap://x\n"
	  "search_base = dc=example,dc=org\n"
	  "query_filter = (mail=%s)\n", 0,
	    "missing result_attribute or result_template" },
	{ "server_host = ldap://x\n" GOOD_TAIL "result_template = %{cn}\n", 0,
	    "set result_attribute or result_template, not both" },
	{ "server_host = ldap://x\n"
	  "search_base = dc=example,dc=org\n"
	  "query_filter = (mail=%x)\n"
	  "result_attribute = mail\n", 0, "query_filter: bad % sequence" },
	{ "server_host = ldap://x\n"
	  "search_base = dc=example,dc=org\n"
	  "query_filter = (mail=%s)%\n"
	  "result_attribute = mail\n", 0, "query_filter: bad % sequence" },
	{ "server_host = ldap://x\n"
	  "search_base = dc=example,dc=org\n"
	  "query_filter = (mail=%s)\n"
	  "result_template = %{cn}:%q\n", 0,
	    "result_template: bad % sequence" },
	{ "server_host = ldap://x\n"
	  "search_base = dc=example,dc=org\n"
	  "query_filter = (mail=%s)\n"
	  "result_template = %{cn\n", 0, "result_template: bad %{attribute}" },
	{ "server_host = ldap://x\n"
	  "search_base = dc=example,dc=org\n"
	  "query_filter = (mail=%s)\n"
	  "result_template = %{}\n", 0, "result_template: bad %{attribute}" },
	{ "server_host = ldap://x\n"
	  "search_base = dc=example,dc=org\n"
	  "query_filter = (mail=%s)\n"
	  "result_template = %{a b}\n", 0,
	    "result_template: bad %{attribute}" },
	{ "server_host = ldap://x\n" GOOD_TAIL "bind_pw = s3cret\n", 0,
	    "a password is set but bind_dn is empty" },
	{ "server_host = ldap://x\n" GOOD_TAIL "bind_dn = cn=x\n", 0,
	    "bind_dn needs bind_pw or bind_pw_file" },
	{ "server_host = ldap://x\n" GOOD_TAIL "bind_dn = cn=x\n"
	  "bind_pw = s3cret\nbind_pw_file = /x\n", 0,
	    "set bind_pw or bind_pw_file, not both" },
	{ "server_host = ldap://x\n" GOOD_TAIL "bind_dn = cn=x\n"
	  "bind_pw = s3cret\nbind_pw = s3cret\n", 7,
	    "duplicate parameter bind_pw (first set on line 6)" },
};

static void
test_rejections(void)
{
	struct ldapcf cf;
	struct why why;
	size_t i;
	int line;

	for (i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
		const struct bad *b = &bads[i];
		struct span text = span_str(b->text);
		int r;

		/* One case carries a NUL: measure it up to the final "\n". */
		if (strstr(b->why, "NUL") != NULL)
			text.len = strlen(b->text) + 3;
		ldapcf_init(&cf);
		line = -1;
		why.msg[0] = '\0';
		r = ldapcf_parse(text, &cf, &line, &why);
		is_int(r, -1, "bad file %zu is refused", i);
		is_int(line, b->line, "bad file %zu: line", i);
		if (!ok(strstr(why.msg, b->why) != NULL, "bad file %zu: %s", i,
		    b->why))
			diag("got: %s", why.msg);
		ok(strstr(why.msg, "s3cret") == NULL,
		    "bad file %zu: password not in the reason", i);
		ldapcf_fini(&cf);
	}
}

static void
test_too_many_attrs(void)
{
	struct ldapcf cf;
	struct why why;
	struct buf t;
	int line;
	int i;

	buf_init(&t, 1 << 16);
	buf_adds(&t, "server_host = ldapi://\nsearch_base = o=x\n"
		     "query_filter = (uid=%u)\nresult_template =");
	for (i = 0; i < LDAPCF_MAX_ATTRS; i++)
		buf_addf(&t, " %%{a%d}", i);
	ldapcf_init(&cf);
	is_int(ldapcf_parse(buf_span(&t), &cf, &line, &why), 0,
	    "%d template attributes are fine", LDAPCF_MAX_ATTRS);
	ldapcf_fini(&cf);
	buf_adds(&t, " %{a0} %{A0} %{onemore}");
	ldapcf_init(&cf);
	is_int(ldapcf_parse(buf_span(&t), &cf, &line, &why), -1,
	    "one more is refused");
	ok(strstr(why.msg, "more than 32 attributes") != NULL, "reason: %s",
	    why.msg);
	ldapcf_fini(&cf);
	buf_fini(&t);
}

/* Expand filter for key (n bytes); "NOQUERY" or "ERROR" otherwise. */
static const char *
expand(const char *filter, const char *key, size_t n, size_t max)
{
	static char out[1024];
	struct why why;
	struct buf b;
	enum ldapcf_xres x;

	buf_init(&b, max);
	x = ldapcf_filter_expand(filter, span_make(key, n), &b, &why);
	snprintf(out, sizeof(out), "%s", x == LDAPCF_X_NOQUERY ? "NOQUERY" :
	    x == LDAPCF_X_ERROR ? "ERROR" : b.len ? buf_str(&b) : "");
	buf_fini(&b);
	return out;
}

#define X(filter, key) expand((filter), (key), strlen(key), 4096)

static void
test_escape(void)
{
	struct buf b;

	buf_init(&b, 64);
	is_int(ldapcf_escape(span_make("a*b(c)d\\e\0f", 11), &b), 0,
	    "escape");
	is_str(buf_str(&b), "a\\2ab\\28c\\29d\\5ce\\00f", "RFC 4515 escapes");
	buf_reset(&b);
	ldapcf_escape(span_str("j\xc3\xbcrgen@b\xc3\xbc" "cher.de"), &b);
	is_str(buf_str(&b), "j\xc3\xbcrgen@b\xc3\xbc" "cher.de",
	    "UTF-8 passes unchanged");
	buf_fini(&b);
	buf_init(&b, 4);
	is_int(ldapcf_escape(span_str("ab*"), &b), -1, "full buffer: -1");
	buf_fini(&b);
}

static void
test_filter(void)
{
	is_str(X("(mail=%s)", "user@example.org"), "(mail=user@example.org)",
	    "%%s");
	is_str(X("(&(uid=%u)(dc=%d))", "john.doe@example.org"),
	    "(&(uid=john.doe)(dc=example.org))", "%%u and %%d");
	is_str(X("(&(uid=%u)(dc=%d))", "a@b@c"), "(&(uid=a@b)(dc=c))",
	    "split at the last @");
	is_str(X("(uid=%u)", "postmaster"), "(uid=postmaster)",
	    "%%u of a key without @ is the key");
	is_str(X("(|(uid=%u)(dc=%d))", "postmaster"), "NOQUERY",
	    "%%d of a key without @: no query");
	is_str(X("(dc=%d)", "user@"), "NOQUERY", "empty domain: no query");
	is_str(X("(mail=%s)", "postmaster"), "(mail=postmaster)",
	    "no %%d: a key without @ is queried");
	is_str(X("(uid=%u)", "@example.org"), "(uid=)", "empty local part");
	is_str(X("(x=100%%)(mail=%s)", "a"), "(x=100%)(mail=a)",
	    "%%%% literal");
	is_str(X("(mail=%s)", "*"), "(mail=\\2a)", "a lone * is literal");
	is_str(X("(mail=%s)", "*)(uid=*))(|(uid=*"),
	    "(mail=\\2a\\29\\28uid=\\2a\\29\\29\\28|\\28uid=\\2a)",
	    "injection attempt stays one assertion value");
	is_str(X("(&(uid=%u)(dc=%d))", "a)(x=*@b(*"),
	    "(&(uid=a\\29\\28x=\\2a)(dc=b\\28\\2a))", "%%u and %%d escaped");
	is_str(expand("(mail=%s)", "a\0b\\", 4, 4096), "(mail=a\\00b\\5c)",
	    "NUL and backslash");
	is_str(X("(mail=%s)", ""), "(mail=)", "empty key");
	is_str(X("(mail=%S)", "a"), "ERROR", "%%S is not a sequence");
	is_str(X("(mail=%s)%", "a"), "ERROR", "trailing %%");
	is_str(expand("(mail=%s)", "aaaa", 4, 8), "ERROR", "output too long");
	is_str(X("", "a"), "", "empty filter");
}

static const char *
tmpl(const char *t, const struct ldapcf_attr *av, size_t n)
{
	static char out[1024];
	struct why why;
	struct buf b;

	buf_init(&b, 64);
	if (ldapcf_template_expand(t, av, n, &b, &why) == -1)
		snprintf(out, sizeof(out), "ERROR %s", why.msg);
	else
		snprintf(out, sizeof(out), "%s", b.len ? buf_str(&b) : "");
	buf_fini(&b);
	return out;
}

#define A(n, v) { { (const unsigned char *)(n), sizeof(n) - 1 }, \
	{ (const unsigned char *)(v), sizeof(v) - 1 } }

static void
test_template(void)
{
	static const struct ldapcf_attr av[] = {
		A("userPassword", "{CRYPT}$6$x$y"),
		A("posternEnabled", "TRUE"),
		A("cn", "Alice: the first"),
		A("CN", "second cn entry is ignored"),
		A("posternQuotaBytes", "100%"),
	};
	size_t n = sizeof(av) / sizeof(av[0]);

	is_str(tmpl("%{userPassword}:%{posternEnabled}:%{posternQuotaBytes}:"
	    "%{posternQuotaMessages}:%{posternMailHost}:%{cn}", av, n),
	    "{CRYPT}$6$x$y:TRUE:100%:::Alice: the first", "user record");
	is_str(tmpl("%{USERPASSWORD}", av, n), "{CRYPT}$6$x$y",
	    "names are case-insensitive");
	is_str(tmpl("%{CN}", av, n), "Alice: the first", "first match wins");
	is_str(tmpl("100%% %{mail}.", av, n), "100% .",
	    "%%%% and a missing attribute");
	is_str(tmpl("%{cn}", NULL, 0), "", "no attributes at all");
	is_str(tmpl("%{cn;lang-en}", NULL, 0), "", "options are names too");
	is_str(tmpl("%{cn", av, n), "ERROR bad %{attribute}", "unterminated");
	is_str(tmpl("%{c n}", av, n), "ERROR bad %{attribute}", "blank");
	is_str(tmpl("%s", av, n), "ERROR bad % sequence (want %{name} or %%)",
	    "%%s is not a template sequence");
	is_str(tmpl("%", av, n), "ERROR bad % sequence (want %{name} or %%)",
	    "trailing %%");
	ok(strncmp(tmpl("%{cn}%{cn}%{cn}%{cn}%{cn}", av, n),
	    "ERROR result longer", 19) == 0, "output too long");
}

int
main(void)
{
	test_defaults();
	test_full();
	test_rejections();
	test_too_many_attrs();
	test_escape();
	test_filter();
	test_template();
	return done_testing();
}
