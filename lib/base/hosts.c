/*
 * hosts.c - parse /etc/hosts-style text into a table of addresses and
 * names (canonical names for reverse look-ups, aliases too for forward
 * ones).
 * Linked into: smtpd and the SMTP delivery agent (through dns).  Trust:
 * the text is treated as untrusted bytes; lines, names and the entry
 * count are bounded, and an entry is kept only when its address parses
 * and its name is valid.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "base/hosts.h"
#include "base/net.h"
#include "base/xmem.h"

struct hosts_entry {
	int family;
	unsigned char addr[16];
	size_t name;			/* offset in names */
};

struct hosts {
	struct hosts_entry *v;		/* canonical names */
	size_t n;
	size_t cap;
	struct hosts_entry *alias;	/* aliases, for hosts_find() only */
	size_t nalias;
	size_t alias_cap;
	char *names;			/* the names, NUL-terminated */
	size_t names_len;
	size_t names_cap;
};

static bool
is_blank(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next blank-separated field of *line, or false at its end. */
static bool
next_field(struct span *line, struct span *field_out)
{
	size_t i = 0;
	size_t start;

	while (i < line->len && is_blank(line->p[i]))
		i++;
	start = i;
	while (i < line->len && !is_blank(line->p[i]))
		i++;
	*field_out = span_make(line->p + start, i - start);
	*line = span_sub(*line, i, line->len);
	return field_out->len > 0;
}

/* An IPv4 or IPv6 address in text, without NULs, as family and bytes. */
static int
parse_addr(struct span field, int *family_out, unsigned char addr_out[16])
{
	char text[INET6_ADDRSTRLEN];
	struct in6_addr a6;

	if (field.len >= sizeof(text) || memchr(field.p, '\0', field.len))
		return -1;
	memcpy(text, field.p, field.len);
	text[field.len] = '\0';
	if (inet_pton(AF_INET, text, addr_out) == 1) {
		*family_out = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, &a6) != 1)
		return -1;
	if (IN6_IS_ADDR_V4MAPPED(&a6)) {
		*family_out = AF_INET;
		memcpy(addr_out, a6.s6_addr + 12, 4);
	} else {
		*family_out = AF_INET6;
		memcpy(addr_out, a6.s6_addr, 16);
	}
	return 0;
}

/* Append name to the names; returns its offset. */
static size_t
add_name(struct hosts *h, struct span name)
{
	size_t off = h->names_len;

	if (name.p[name.len - 1] == '.')
		name.len--;
	if (h->names_cap - h->names_len < name.len + 1) {
		h->names_cap = 2 * (h->names_cap + name.len + 1);
		h->names = xrealloc(h->names, h->names_cap);
	}
	memcpy(h->names + off, name.p, name.len);
	h->names[off + name.len] = '\0';
	h->names_len += name.len + 1;
	return off;
}

/* Append an entry to the array *v of *n entries (room for *cap). */
static void
add_entry(struct hosts *h, struct hosts_entry **v, size_t *n, size_t *cap,
    int family, const unsigned char *addr, struct span name)
{
	struct hosts_entry *e;

	if (*n == *cap) {
		*cap = *cap == 0 ? 16 : 2 * *cap;
		*v = xreallocarray(*v, *cap, sizeof(**v));
	}
	e = &(*v)[(*n)++];
	e->family = family;
	memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
	e->name = add_name(h, name);
}

static void
parse_line(struct hosts *h, struct span line)
{
	long hash = span_chr(line, '#');
	struct span addr;
	struct span name;
	unsigned char bytes[16];
	int family;

	if (hash != -1)
		line.len = (size_t)hash;
	if (!next_field(&line, &addr) || !next_field(&line, &name))
		return;
	if (parse_addr(addr, &family, bytes) == -1 ||
	    !net_host_name_valid(name, true))
		return;
	add_entry(h, &h->v, &h->n, &h->cap, family, bytes, name);
	/* A line is at most HOSTS_LINE_MAX bytes: so is its alias count. */
	while (next_field(&line, &name))
		if (h->nalias < HOSTS_MAX_ENTRIES &&
		    net_host_name_valid(name, true))
			add_entry(h, &h->alias, &h->nalias, &h->alias_cap,
			    family, bytes, name);
}

struct hosts *
hosts_parse(struct span text)
{
	struct hosts *h = xcalloc(1, sizeof(*h));

	while (text.len > 0 && h->n < HOSTS_MAX_ENTRIES) {
		long nl = span_chr(text, '\n');
		size_t len = nl == -1 ? text.len : (size_t)nl;

		if (len <= HOSTS_LINE_MAX)
			parse_line(h, span_make(text.p, len));
		text = span_sub(text, len + 1, text.len);
	}
	return h;
}

void
hosts_free(struct hosts **hp)
{
	if (*hp == NULL)
		return;
	free((*hp)->v);
	free((*hp)->alias);
	free((*hp)->names);
	free(*hp);
	*hp = NULL;
}

size_t
hosts_count(const struct hosts *h)
{
	return h->n;
}

static void
entry_sa(const struct hosts_entry *e, struct sockaddr_storage *sa_out)
{
	memset(sa_out, 0, sizeof(*sa_out));
	if (e->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)sa_out;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, e->addr, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)sa_out;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, e->addr, 16);
	}
}

const char *
hosts_entry(const struct hosts *h, size_t i, struct sockaddr_storage *sa_out)
{
	entry_sa(&h->v[i], sa_out);
	return h->names + h->v[i].name;
}

int
hosts_addr(const struct sockaddr *sa, int *family_out,
    unsigned char addr_out[16])
{
	const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
	const struct in6_addr *a6;

	if (sa->sa_family == AF_INET) {
		*family_out = AF_INET;
		memcpy(addr_out, &s4->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family != AF_INET6)
		return -1;
	a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
	if (IN6_IS_ADDR_V4MAPPED(a6)) {
		*family_out = AF_INET;
		memcpy(addr_out, a6->s6_addr + 12, 4);
	} else {
		*family_out = AF_INET6;
		memcpy(addr_out, a6->s6_addr, 16);
	}
	return 0;
}

const char *
hosts_lookup(const struct hosts *h, const struct sockaddr *sa)
{
	unsigned char addr[16];
	int family;
	size_t i;

	if (hosts_addr(sa, &family, addr) == -1)
		return NULL;
	for (i = 0; i < h->n; i++)
		if (h->v[i].family == family &&
		    memcmp(h->v[i].addr, addr, family == AF_INET ? 4 : 16) == 0)
			return h->names + h->v[i].name;
	return NULL;
}

/* The entries of v named name, not yet in out, appended to out. */
static void
find_in(const struct hosts *h, const struct hosts_entry *v, size_t n,
    struct span name, int family, struct sockaddr_storage *out, size_t max,
    size_t *nout)
{
	size_t i;
	size_t j;

	for (i = 0; i < n && *nout < max; i++) {
		const struct hosts_entry *e = &v[i];
		size_t alen = e->family == AF_INET ? 4 : 16;

		if ((family != AF_UNSPEC && e->family != family) ||
		    !span_eq_span_nocase(span_str(h->names + e->name), name))
			continue;
		for (j = 0; j < *nout; j++) {
			unsigned char seen[16];
			int seen_family;

			if (hosts_addr((const struct sockaddr *)&out[j],
				&seen_family, seen) == 0 &&
			    seen_family == e->family &&
			    memcmp(seen, e->addr, alen) == 0)
				break;
		}
		if (j == *nout)
			entry_sa(e, &out[(*nout)++]);
	}
}

size_t
hosts_find(const struct hosts *h, struct span name, int family,
    struct sockaddr_storage *out, size_t max)
{
	size_t n = 0;

	if (name.len > 1 && name.p[name.len - 1] == '.')
		name.len--;
	find_in(h, h->v, h->n, name, family, out, max, &n);
	find_in(h, h->alias, h->nalias, name, family, out, max, &n);
	return n;
}
