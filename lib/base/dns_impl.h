/*
 * dns_impl.h - what dns.c (the resolver, peer names) and dns_mx.c (mail
 * hosts and host addresses) share: the resolver and query structures.
 * Not for use outside lib/base/dns*.
 * Linked into: smtpd and the SMTP delivery agent.  Trust: not applicable.
 */
#ifndef POSTERN_DNS_IMPL_H
#define POSTERN_DNS_IMPL_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "base/dns.h"
#include "base/hosts.h"
#include "base/log.h"

/* Name servers dns_mx() asks, at most (the C library's resolver asks 3). */
#define DNS_SERVERS_MAX 8

struct dns_server {
	struct sockaddr_storage sa;
	socklen_t len;
};

struct dns {
	struct event_base *base;	/* borrowed: the caller's loop */
	struct evdns_base *evdns;
	struct hosts *hosts;
	struct dns_query *queries;	/* every live query */
	/* The servers evdns was given, for dns_mx(), in its order. */
	struct dns_server server[DNS_SERVERS_MAX];
	size_t nserver;
	unsigned int timeout_ms;	/* per try */
	unsigned int attempts;		/* rounds over the servers */
};

struct dns_mxq;

struct dns_query {
	struct dns *dns;		/* borrowed: owns the query */
	struct dns_query *next;
	struct dns_query **prevp;
	/* An MX or host look-up (dns_mx.c), or NULL for a peer name. */
	struct dns_mxq *mx;
	/* The rest is for peer names (dns.c). */
	struct evdns_request *req;	/* running, or NULL */
	struct event_timer *soon;	/* an answer known at once, or NULL */
	dns_peername_fn *fn;		/* NULL once cancelled */
	void *arg;			/* borrowed: the caller's */
	int family;
	unsigned char addr[16];
	char addr_text[INET6_ADDRSTRLEN];
	char ptr[LOG_ESC_SIZE];		/* the PTR name, escaped */
	bool have_ptr;
	struct dns_answer answer;
	char name[HOSTS_NAME_MAX + 1];
	char reason[LOG_ESC_SIZE + 128];
};

/* A new query of dns, on its list (dns.c). */
struct dns_query *dns_query_new(struct dns *dns);
/* Take q off its list and free it with what it holds (dns.c). */
void	dns_query_free(struct dns_query *q);
/* Free an MX or host look-up's state: sockets, events, timers; accepts
 * NULL and clears the pointer (dns_mx.c). */
void	dns_mxq_free(struct dns_mxq **mp);

#endif
