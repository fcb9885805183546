/*
 * access.c - access tables (postern-access(5)): the keys of a client,
 * HELO name, sender or recipient, the parser of table values, and the
 * walk over a list of tables.
 * Linked into: smtpd.  Runs as postern, tables opened before the chroot.
 * Trust: the names and addresses are peer data, used only as table keys
 * of bounded length and number; table values are the admin's, parsed
 * strictly so that a typo can never turn into an acceptance.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/cfg.h"
#include "base/log.h"
#include "base/xmem.h"
#include "mail/access.h"
#include "mail/smtpreply.h"

struct access {
	struct dict **tables;	/* owned, in the order given */
	size_t n;
	char *delimiters;	/* owned */
	pthread_mutex_t lock;	/* dict handles are not thread-safe */
};

/* Keys */

/* Add a key unless it is empty, too long for any table, or a repeat. */
static void
add_key(struct access_keys *k, struct span s)
{
	size_t i;

	if (s.len == 0 || s.len > DICT_MAX_KEY || k->n == ACCESS_MAX_KEYS)
		return;
	for (i = 0; i < k->n; i++)
		if (span_eq_span_nocase(k->v[i], s))
			return;
	k->v[k->n++] = s;
}

/* a, then c (when not NUL), then b, copied into k->text; an empty span
 * when the result could not be a table key. */
static struct span
compose(struct access_keys *k, struct span a, int c, struct span b)
{
	size_t len = a.len + (c != '\0') + b.len;
	char *p = k->text + k->text_len;

	if (a.len > DICT_MAX_KEY || b.len > DICT_MAX_KEY ||
	    len > DICT_MAX_KEY || len > sizeof(k->text) - k->text_len)
		return span_make(p, 0);
	memcpy(p, a.p, a.len);
	if (c != '\0')
		p[a.len] = (char)c;
	memcpy(p + a.len + (c != '\0'), b.p, b.len);
	k->text_len += len;
	return span_make(p, len);
}

/*
 * A host name and its parent domains, longest first; an address literal
 * ("[192.0.2.1]") as it is.  One trailing dot is ignored.  Suffixes
 * longer than ACCESS_MAX_NAME are skipped (no DNS name is that long), so
 * a padded name still meets the keys of its real parent domains.
 */
static void
name_keys(struct access_keys *k, struct span name)
{
	size_t i;

	if (name.len > 0 && name.p[0] == '[') {
		add_key(k, name);
		return;
	}
	if (name.len > 0 && name.p[name.len - 1] == '.')
		name.len--;
	i = name.len > ACCESS_MAX_NAME ? name.len - ACCESS_MAX_NAME : 0;
	for (; i < name.len; i++) {
		if (name.p[i] == '.' || (i > 0 && name.p[i - 1] != '.'))
			continue;
		add_key(k, span_sub(name, i, name.len - i));
	}
}

/*
 * A client address in its canonical text (IPv4-mapped IPv6 as IPv4),
 * then shorter and shorter prefixes: IPv4 without its last octet, IPv6
 * without its last group (and the colons before it).  Text that is not a
 * numeric address is one key as it is.
 */
static void
addr_keys(struct access_keys *k, const char *addr)
{
	struct in6_addr a6;
	char text[INET6_ADDRSTRLEN];
	const char *ok = NULL;
	struct span s;
	int delim = '.';
	size_t n;

	if (inet_pton(AF_INET, addr, &a6) == 1)
		ok = inet_ntop(AF_INET, &a6, text, sizeof(text));
	else if (inet_pton(AF_INET6, addr, &a6) == 1) {
		if (IN6_IS_ADDR_V4MAPPED(&a6))
			ok = inet_ntop(AF_INET, &a6.s6_addr[12], text,
			    sizeof(text));
		else if ((ok = inet_ntop(AF_INET6, &a6, text,
			      sizeof(text))) != NULL)
			delim = ':';
	}
	if (ok == NULL) {
		add_key(k, span_str(addr));
		return;
	}
	s = compose(k, span_str(text), '\0', span_make(text, 0));
	while (s.len > 0) {
		add_key(k, s);
		for (n = s.len; n > 0 && s.p[n - 1] != delim; n--)
			;
		while (n > 0 && s.p[n - 1] == delim)
			n--;
		s.len = n;
	}
}

/*
 * An email address: "user+ext@domain", "user@domain", the domain and
 * its parents, "user+ext@", "user@".  The extension starts at the first
 * delimiter character after the first byte of the local part; the
 * domain is after the last '@'.
 */
static void
mail_keys(struct access_keys *k, struct span a, const char *delimiters)
{
	struct span none = span_make(a.p, 0);
	struct span local = a;
	struct span domain = none;
	struct span user;
	bool has_at = false;
	size_t i;

	for (i = a.len; i > 0; i--) {
		if (a.p[i - 1] == '@') {
			local = span_make(a.p, i - 1);
			domain = span_sub(a, i, a.len - i);
			has_at = true;
			break;
		}
	}
	user = local;
	for (i = 1; i < local.len; i++) {
		if (local.p[i] != '\0' && strchr(delimiters, local.p[i])) {
			user.len = i;
			break;
		}
	}
	add_key(k, a);
	if (user.len < local.len)
		add_key(k, has_at ? compose(k, user, '@', domain) : user);
	name_keys(k, domain);
	if (local.len == 0)
		return;
	add_key(k, has_at ? span_make(a.p, local.len + 1)
			  : compose(k, local, '@', none));
	if (user.len < local.len)
		add_key(k, compose(k, user, '@', none));
}

void
access_keys(enum access_kind kind, const char *key1, const char *key2,
    const char *delimiters, struct access_keys *out)
{
	out->n = 0;
	out->text_len = 0;
	if (delimiters == NULL)
		delimiters = "+";
	switch (kind) {
	case ACCESS_CLIENT:
		if (key1 != NULL && key1[0] != '\0')
			addr_keys(out, key1);
		if (key2 != NULL && strcasecmp(key2, "unknown") != 0)
			name_keys(out, span_str(key2));
		break;
	case ACCESS_HELO:
		if (key1 != NULL)
			name_keys(out, span_str(key1));
		break;
	case ACCESS_SENDER:
		if (key1 != NULL &&
		    (key1[0] == '\0' || strcmp(key1, "<>") == 0)) {
			add_key(out, span_str("<>"));
			break;
		}
		/* FALLTHROUGH */
	case ACCESS_RECIPIENT:
		if (key1 != NULL && key1[0] != '\0')
			mail_keys(out, span_str(key1), delimiters);
		break;
	}
}

/* Actions */

static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* The first blank-separated word of *s; *s becomes the rest, trimmed. */
static struct span
first_word(struct span *s)
{
	struct span w = *s;
	size_t i = 0;

	while (i < s->len && !is_blank(s->p[i]))
		i++;
	w.len = i;
	*s = span_trim(span_sub(*s, i, s->len - i));
	return w;
}

/* Copy in as printable ASCII (tabs as spaces, other bytes as '?'), cut
 * to size - 1 bytes, without trailing blanks. */
static void
safe_copy(char *out, size_t size, struct span in)
{
	size_t n = in.len < size - 1 ? in.len : size - 1;
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = in.p[i];

		out[i] = c == '\t' ? ' ' : (c < 0x20 || c > 0x7e) ? '?' : c;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/* RFC 3463 "class.subject.detail" with the given class digit. */
static int
parse_enh(struct span w, int klass, char *out, size_t size, struct why *why)
{
	char shown[32];

	if (w.len > 0 && w.len < size &&
	    smtpreply_enh_len(w, (char)('0' + klass)) == w.len) {
		memcpy(out, w.p, w.len);
		out[w.len] = '\0';
		return 0;
	}
	safe_copy(shown, sizeof(shown), w);
	return why_set(why, "bad enhanced status code \"%s\" (want %d.N.N, "
	    "1 to 3 digits each)", shown, klass);
}

/* The rest of a REJECT, DEFER or numeric action: [enh] [text]. */
static int
parse_reply(struct span rest, int code, struct access_result *out,
    struct why *why)
{
	int klass = code / 100;
	struct span text = rest;
	struct span word = first_word(&text);

	out->code = code;
	out->action = klass == 5 ? ACCESS_REJECT : ACCESS_DEFER;
	/* A word that starts like "5." is meant as a status code. */
	if (word.len >= 2 && is_digit(word.p[0]) && word.p[1] == '.') {
		if (parse_enh(word, klass, out->enh, sizeof(out->enh),
			why) == -1)
			return -1;
		rest = text;
	} else
		snprintf(out->enh, sizeof(out->enh), "%d.7.1", klass);
	if (rest.len == 0)
		rest = span_str(klass == 5 ? "Access denied" :
					     "Try again later");
	safe_copy(out->text, sizeof(out->text), rest);
	return 0;
}

/* "4NN" or "5NN" with NN from 00 to 59 (RFC 5321 section 4.2.1). */
static int
reply_code(struct span w)
{
	if (w.len != 3 || (w.p[0] != '4' && w.p[0] != '5') ||
	    w.p[1] < '0' || w.p[1] > '5' || !is_digit(w.p[2]))
		return 0;
	return (w.p[0] - '0') * 100 + (w.p[1] - '0') * 10 + (w.p[2] - '0');
}

int
access_parse_action(struct span value, struct access_result *out,
    struct why *why)
{
	struct span rest = span_trim(value);
	struct span w = first_word(&rest);
	bool ok = span_eq_nocase(w, "OK");
	char shown[48];
	int code;

	memset(out, 0, sizeof(*out));
	if (ok || span_eq_nocase(w, "DUNNO")) {
		out->action = ok ? ACCESS_OK : ACCESS_NONE;
		if (rest.len == 0)
			return 0;
		return why_set(why, "nothing may follow %s",
		    ok ? "OK" : "DUNNO");
	}
	if (span_eq_nocase(w, "REJECT"))
		return parse_reply(rest, 554, out, why);
	if (span_eq_nocase(w, "DEFER"))
		return parse_reply(rest, 450, out, why);
	if ((code = reply_code(w)) != 0)
		return parse_reply(rest, code, out, why);
	if (span_eq_nocase(w, "DISCARD") || span_eq_nocase(w, "HOLD")) {
		out->action = span_eq_nocase(w, "HOLD") ? ACCESS_HOLD :
							  ACCESS_DISCARD;
		safe_copy(out->text, sizeof(out->text), rest);
		return 0;
	}
	if (w.len == 0)
		return why_set(why, "empty action");
	safe_copy(shown, sizeof(shown), w);
	return why_set(why, "unknown action \"%s\" (want OK, REJECT, DEFER, "
	    "DISCARD, HOLD, DUNNO or a 4NN/5NN code)", shown);
}

/* Tables */

struct access *
access_open(const char *list, const char *delimiters, struct why *why)
{
	struct access *a = xcalloc(1, sizeof(*a));
	struct span rest = span_str(list != NULL ? list : "");
	struct span item;

	a->delimiters = xstrdup(delimiters != NULL ? delimiters : "+");
	if (pthread_mutex_init(&a->lock, NULL) != 0)
		log_panic("access: cannot create a mutex");
	while (cfg_list_next(&rest, &item)) {
		char *spec = span_dup(item);
		struct dict *d = dict_open(spec, why);

		free(spec);
		if (d == NULL) {
			access_close(&a);
			return NULL;
		}
		a->tables = xreallocarray(a->tables, a->n + 1,
		    sizeof(*a->tables));
		a->tables[a->n++] = d;
	}
	return a;
}

void
access_close(struct access **ap)
{
	struct access *a = ap != NULL ? *ap : NULL;
	size_t i;

	if (a == NULL)
		return;
	for (i = 0; i < a->n; i++)
		dict_close(&a->tables[i]);
	free(a->tables);
	free(a->delimiters);
	pthread_mutex_destroy(&a->lock);
	free(a);
	*ap = NULL;
}

/* A 451 answer: a table that cannot answer, or one with a bad value. */
static void
set_temp(struct access_result *out, bool is_config)
{
	memset(out, 0, sizeof(*out));
	out->action = ACCESS_TEMP;
	out->code = 451;
	snprintf(out->enh, sizeof(out->enh), "%s",
	    is_config ? "4.3.5" : "4.3.0");
	snprintf(out->text, sizeof(out->text), "%s",
	    is_config ? "Server configuration error" :
			"Temporary lookup failure");
}

/* The key as it is (it may hold any byte but NUL), cut to fit. */
static void
keep_key(char *out, size_t size, struct span key)
{
	size_t n = key.len < size - 1 ? key.len : size - 1;

	memcpy(out, key.p, n);
	out[n] = '\0';
}

/*
 * Try each key in d.  Returns true when d decided (out filled), false
 * when no key was found or a found key said DUNNO.
 */
static bool
check_table(struct dict *d, const struct access_keys *k, struct buf *value,
    struct access_result *out, struct why *why)
{
	struct why inner;
	size_t i;

	for (i = 0; i < k->n; i++) {
		enum dict_res r = dict_get(d, k->v[i], value, why);

		if (r == DICT_NOTFOUND)
			continue;
		if (r == DICT_TEMPFAIL)
			set_temp(out, false);
		else if (access_parse_action(buf_span(value), out,
			     &inner) == -1) {
			set_temp(out, true);
			/* An inline table's name is its whole text. */
			why_set(why, "%.100s: bad action: %s", dict_name(d),
			    inner.msg);
		} else if (out->action == ACCESS_NONE)
			return false;	/* DUNNO: no less specific key here */
		out->table = dict_name(d);
		keep_key(out->key, sizeof(out->key), k->v[i]);
		return true;
	}
	return false;
}

enum access_action
access_check(struct access *a, enum access_kind kind, const char *key1,
    const char *key2, struct access_result *out, struct why *why)
{
	struct access_keys keys;
	struct buf value;
	size_t t;
	bool decided = false;

	memset(out, 0, sizeof(*out));
	out->action = ACCESS_NONE;
	if (a->n == 0)
		return ACCESS_NONE;
	access_keys(kind, key1, key2, a->delimiters, &keys);
	buf_init(&value, ACCESS_MAX_VALUE);
	if (pthread_mutex_lock(&a->lock) != 0)
		log_panic("access: cannot lock a mutex");
	for (t = 0; t < a->n && !decided; t++)
		decided = check_table(a->tables[t], &keys, &value, out, why);
	pthread_mutex_unlock(&a->lock);
	buf_fini(&value);
	if (!decided) {
		memset(out, 0, sizeof(*out));
		out->action = ACCESS_NONE;
	}
	return out->action;
}

const char *
access_action_name(enum access_action action)
{
	static const char *const names[] = { "NONE", "OK", "REJECT", "DEFER",
		"DISCARD", "HOLD", "TEMP" };

	if ((size_t)action < sizeof(names) / sizeof(names[0]))
		return names[action];
	return "?";
}

const char *
access_kind_name(enum access_kind kind)
{
	static const char *const names[] = { "client", "helo", "sender",
		"recipient" };

	if ((size_t)kind < sizeof(names) / sizeof(names[0]))
		return names[kind];
	return "?";
}
