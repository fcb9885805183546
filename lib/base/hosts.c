/*
 * hosts.c - parse /etc/hosts-style text into an address-to-name table and
 * check host names.
 * Linked into: smtpd (through dns).  Trust: the text is treated as
 * untrusted bytes; lines, names and the entry count are bounded, and an
 * entry is kept only when its address parses and its name is valid.
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
	struct hosts_entry *v;
	size_t n;
	size_t cap;
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

static void
add_entry(struct hosts *h, int family, const unsigned char *addr,
    struct span name)
{
	struct hosts_entry *e;

	if (name.p[name.len - 1] == '.')
		name.len--;
	if (h->n == h->cap) {
		h->cap = h->cap == 0 ? 16 : 2 * h->cap;
		h->v = xreallocarray(h->v, h->cap, sizeof(*h->v));
	}
	if (h->names_cap - h->names_len < name.len + 1) {
		h->names_cap = 2 * (h->names_cap + name.len + 1);
		h->names = xrealloc(h->names, h->names_cap);
	}
	e = &h->v[h->n++];
	e->family = family;
	memcpy(e->addr, addr, family == AF_INET ? 4 : 16);
	e->name = h->names_len;
	memcpy(h->names + h->names_len, name.p, name.len);
	h->names[h->names_len + name.len] = '\0';
	h->names_len += name.len + 1;
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
	add_entry(h, family, bytes, name);
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
	free((*hp)->names);
	free(*hp);
	*hp = NULL;
}

size_t
hosts_count(const struct hosts *h)
{
	return h->n;
}

const char *
hosts_entry(const struct hosts *h, size_t i, struct sockaddr_storage *sa_out)
{
	const struct hosts_entry *e = &h->v[i];

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
	return h->names + e->name;
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
