/*
 * fuzz_access.c - libFuzzer target for lib/mail/access: the parser of
 * access-table values (access_parse_action) and the key generator
 * (access_keys).
 * Linked into: the fuzz build only.  Trust: the input is arbitrary bytes.
 *
 * The first byte picks the kind of check and the delimiters; the rest is
 * parsed as a table value, and also split at its first NUL into the two
 * strings a check looks up.
 *
 * Invariants: a value parses to 0 or -1, with a reason on -1; an accepted
 * action is one a table may give, REJECT carries a 5xx code (500-559)
 * with an enhanced code of class 5, DEFER a 4xx code (400-459) with class
 * 4, every other action no code; the text is printable ASCII of at most
 * ACCESS_MAX_TEXT bytes without blanks at either end, and a reply never
 * has empty text; parsing is deterministic.  Keys: at most
 * ACCESS_MAX_KEYS, each 1..DICT_MAX_KEY bytes, inside one of the inputs
 * or the struct's own text, and no two equal ignoring case.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/access.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static bool
inside(const void *base, size_t len, struct span s)
{
	const unsigned char *b = base;

	return s.p >= b && s.len <= len && (size_t)(s.p - b) <= len - s.len;
}

/* "C.S.D" with class c, 1 to 3 digits for S and D. */
static void
check_enh(const char *enh, char c)
{
	size_t i = 2;
	size_t n;

	check(enh[0] == c && enh[1] == '.');
	for (n = 0; enh[i] >= '0' && enh[i] <= '9'; i++)
		n++;
	check(n >= 1 && n <= 3 && enh[i++] == '.');
	for (n = 0; enh[i] >= '0' && enh[i] <= '9'; i++)
		n++;
	check(n >= 1 && n <= 3 && enh[i] == '\0');
}

static void
check_result(const struct access_result *r)
{
	size_t len = strlen(r->text);
	size_t i;

	check(len <= ACCESS_MAX_TEXT);
	for (i = 0; i < len; i++)
		check(r->text[i] >= 0x20 && r->text[i] <= 0x7e);
	check(len == 0 || (r->text[0] != ' ' && r->text[len - 1] != ' '));
	check(r->table == NULL && r->key[0] == '\0');
	switch (r->action) {
	case ACCESS_REJECT:
		check(r->code >= 500 && r->code <= 559 && len > 0);
		check_enh(r->enh, '5');
		break;
	case ACCESS_DEFER:
		check(r->code >= 400 && r->code <= 459 && len > 0);
		check_enh(r->enh, '4');
		break;
	case ACCESS_NONE:
	case ACCESS_OK:
		check(len == 0);
		/* FALLTHROUGH */
	case ACCESS_DISCARD:
	case ACCESS_HOLD:
		check(r->code == 0 && r->enh[0] == '\0');
		break;
	default:
		check(0);
	}
}

static void
fuzz_parse(struct span value)
{
	struct access_result one;
	struct access_result two;
	struct why why = { "" };
	int rc = access_parse_action(value, &one, &why);

	check(rc == 0 || rc == -1);
	if (rc == -1) {
		check(why.msg[0] != '\0');
		check(access_parse_action(value, &two, &why) == -1);
		return;
	}
	check_result(&one);
	check(access_parse_action(value, &two, &why) == 0);
	check(one.action == two.action && one.code == two.code &&
	    strcmp(one.enh, two.enh) == 0 && strcmp(one.text, two.text) == 0);
}

static void
fuzz_keys(enum access_kind kind, const char *k1, const char *k2,
    const char *delimiters)
{
	static struct access_keys k;
	size_t i;
	size_t j;

	access_keys(kind, k1, k2, delimiters, &k);
	check(k.n <= ACCESS_MAX_KEYS && k.text_len <= sizeof(k.text));
	for (i = 0; i < k.n; i++) {
		struct span s = k.v[i];

		check(s.len >= 1 && s.len <= DICT_MAX_KEY);
		check(inside(k1, strlen(k1), s) || inside(k2, strlen(k2), s) ||
		    inside(k.text, k.text_len, s) ||
		    (s.len == 2 && memcmp(s.p, "<>", 2) == 0));
		for (j = 0; j < i; j++)
			check(!span_eq_span_nocase(k.v[j], s));
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *k1;
	char *k2;
	size_t n1;

	if (size == 0)
		return 0;
	fuzz_parse(span_make(data + 1, size - 1));

	/* Two C strings: up to the first NUL, and the rest. */
	k1 = malloc(size);
	k2 = malloc(size);
	check(k1 != NULL && k2 != NULL);
	memcpy(k1, data + 1, size - 1);
	k1[size - 1] = '\0';
	n1 = strlen(k1);
	if (n1 + 1 < size) {
		memcpy(k2, data + 2 + n1, size - 2 - n1);
		k2[size - 2 - n1] = '\0';
	} else
		k2[0] = '\0';
	fuzz_keys((enum access_kind)(data[0] % 4), k1, k2,
	    (data[0] & 4) ? "+-" : (data[0] & 8) ? "" : NULL);
	free(k1);
	free(k2);
	return 0;
}
