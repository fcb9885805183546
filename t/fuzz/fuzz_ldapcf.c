/*
 * fuzz_ldapcf.c - libFuzzer target for lib/mail/ldapcf: the ldap: table
 * .cf parser, RFC 4515 escaping, and query_filter and result_template
 * expansion.
 * Linked into: the fuzz build only.  Trust: the input is arbitrary bytes.
 *
 * Input: the first byte is a key length n, the next n bytes the lookup
 * key, the rest the .cf text (also tried as a raw filter and template).
 *
 * Invariants: parsing is deterministic and reports a line within the
 * text (0 for the file as a whole); a parsed table has 1..16 URIs of the
 * three schemes and at most 32 attributes to request (none only for a
 * constant result_template); escaping leaves no
 * '*', '(', ')' or NUL and unescapes back to the key; expanding the
 * table's filter for the key gives exactly the filter syntax ('*', '(',
 * ')') that expanding it for a harmless key does, so no key can add or
 * remove filter structure, and NOQUERY only for keys without a domain.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/why.h"
#include "base/xmem.h"
#include "mail/ldapcf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static void
check_escape(struct span key)
{
	struct buf e;
	struct buf back;
	size_t i;

	buf_init(&e, 3 * key.len + 1);
	buf_init(&back, key.len + 1);
	check(ldapcf_escape(key, &e) == 0);
	for (i = 0; i < e.len; i++) {
		unsigned char c = e.p[i];

		check(c != '*' && c != '(' && c != ')' && c != '\0');
		if (c == '\\') {
			check(i + 2 < e.len);
			check(hexval(e.p[i + 1]) >= 0 &&
			    hexval(e.p[i + 2]) >= 0);
			c = (unsigned char)(hexval(e.p[i + 1]) * 16 +
			    hexval(e.p[i + 2]));
			i += 2;
		}
		check(buf_addc(&back, c) == 0);
	}
	check(back.len == key.len && memcmp(back.p, key.p, key.len) == 0);
	buf_fini(&e);
	buf_fini(&back);
}

/* Count '*', '(' and ')' in b. */
static size_t
syntax_bytes(const struct buf *b)
{
	size_t i;
	size_t n = 0;

	for (i = 0; i < b->len; i++)
		n += b->p[i] == '*' || b->p[i] == '(' || b->p[i] == ')';
	return n;
}

static void
check_table(const struct ldapcf *cf, struct span key)
{
	struct buf out;
	struct buf ref;
	struct why why;
	struct ldapcf_attr av[LDAPCF_MAX_ATTRS];
	enum ldapcf_xres x;
	size_t i;

	check(cf->server_host.n >= 1 && cf->server_host.n <= LDAPCF_MAX_URIS);
	for (i = 0; i < cf->server_host.n; i++)
		check(strncasecmp(cf->server_host.v[i], "ldap", 4) == 0 &&
		    strstr(cf->server_host.v[i], "://") != NULL);
	check(cf->attrs.n <= LDAPCF_MAX_ATTRS);
	check(cf->attrs.n >= 1 || cf->result_template[0] != '\0');
	buf_init(&out, 1 << 20);
	buf_init(&ref, 1 << 20);
	check(ldapcf_filter_expand(cf->query_filter, span_str("u@d"), &ref,
	    &why) == LDAPCF_X_OK);
	x = ldapcf_filter_expand(cf->query_filter, key, &out, &why);
	check(x != LDAPCF_X_ERROR);
	if (x == LDAPCF_X_NOQUERY)
		check(key.len == 0 || key.p[key.len - 1] == '@' ||
		    memchr(key.p, '@', key.len) == NULL);
	else
		check(syntax_bytes(&out) == syntax_bytes(&ref));
	check(memchr(out.p == NULL ? (const void *)"" : out.p, '\0',
	    out.len) == NULL);
	for (i = 0; i < cf->attrs.n; i++) {
		av[i].name = span_str(cf->attrs.v[i]);
		av[i].value = key;
	}
	buf_reset(&out);
	check(ldapcf_template_expand(cf->result_template, av, cf->attrs.n,
	    &out, &why) == 0);
	buf_fini(&out);
	buf_fini(&ref);
}

/* The text as a raw filter and template: errors only, no crash. */
static void
check_raw(const char *text, struct span key)
{
	struct ldapcf_attr av = { span_str("cn"), key };
	struct buf out;
	struct why why;

	buf_init(&out, 4096);
	(void)ldapcf_filter_expand(text, key, &out, &why);
	check(out.len <= 4096);
	buf_reset(&out);
	(void)ldapcf_template_expand(text, &av, 1, &out, &why);
	check(out.len <= 4096);
	buf_fini(&out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct span key;
	struct span text;
	struct ldapcf a;
	struct ldapcf b;
	struct why wa;
	struct why wb;
	int la = -1;
	int lb = -1;
	size_t lines = 1;
	size_t i;
	int ra;
	char *s;

	if (size == 0)
		return 0;
	key = span_make(data + 1, data[0] < size - 1 ? data[0] : size - 1);
	text = span_make(key.p + key.len, size - 1 - key.len);
	for (i = 0; i < text.len; i++)
		lines += text.p[i] == '\n';
	check_escape(key);
	ldapcf_init(&a);
	ldapcf_init(&b);
	ra = ldapcf_parse(text, &a, &la, &wa);
	check(ldapcf_parse(text, &b, &lb, &wb) == ra && la == lb);
	check(ra == 0 || ra == -1);
	check(la >= 0 && (size_t)la <= lines);
	if (ra == 0)
		check(la == 0);
	else
		check(strcmp(wa.msg, wb.msg) == 0 && wa.msg[0] != '\0');
	if (ra == 0)
		check_table(&a, key);
	ldapcf_fini(&a);
	ldapcf_fini(&b);
	s = span_dup(text);
	check_raw(s, key);
	xfree(&s);
	return 0;
}
