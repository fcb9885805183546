/*
 * imapcmd_impl.h - what the IMAP grammar's files share (imapcmd.c: the
 * tokenizer, imapcmd_args.c and imapcmd_fetch.c: typed arguments,
 * imapsearch.c: SEARCH keys): the parse context and the typed readers of
 * argument nodes.  Not for use outside lib/mail/imapcmd* and imapsearch.
 * Linked into: imapd.  Trust: nodes hold peer data.
 */
#ifndef POSTERN_IMAPCMD_IMPL_H
#define POSTERN_IMAPCMD_IMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "mail/imapcmd.h"

/* One parse: where to allocate, the limits, and where errors go. */
struct imapcmd_cx {
	struct arena *a;
	const struct imapcmd_limits *lim;
	struct why *why;
	enum imapcmd_err err;
};

/* Set the error (kind and reason); return -1. */
int	imapcmd_fail(struct imapcmd_cx *cx, enum imapcmd_err err,
	    const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* From the arena, or NULL after setting ERR_LIMIT. */
void	*imapcmd_alloc(struct imapcmd_cx *cx, size_t nmemb, size_t size);
/* Count a list's elements. */
size_t	imapcmd_count(const struct imapcmd_node *n);
/* n is an atom (or NIL or number) spelled lit, ignoring case. */
bool	imapcmd_is(const struct imapcmd_node *n, const char *lit);

/*
 * Readers: each takes the node at *c, advancing *c on success; what names
 * the argument in the reason.  Each returns 0, or -1 via imapcmd_fail.
 */
int	imapcmd_arg_astring(struct imapcmd_cx *cx, const struct imapcmd_node **c,
	    const char *what, struct span *out);
int	imapcmd_arg_mbox(struct imapcmd_cx *cx, const struct imapcmd_node **c,
	    const char *what, struct imapcmd_mbox *out);
int	imapcmd_arg_atom(struct imapcmd_cx *cx, const struct imapcmd_node **c,
	    const char *what, struct span *out);
int	imapcmd_arg_number(struct imapcmd_cx *cx, const struct imapcmd_node **c,
	    const char *what, uint64_t min, uint64_t max, uint64_t *out);
int	imapcmd_arg_seq(struct imapcmd_cx *cx, const struct imapcmd_node **c,
	    const char *what, struct imapseq *out);
int	imapcmd_arg_list(struct imapcmd_cx *cx, const struct imapcmd_node **c,
	    const char *what, const struct imapcmd_node **first_out);
/* A flag list ("(\Seen foo)"), or with bare, one or more flags in a row
 * (STORE's form); \Recent is refused unless search. */
int	imapcmd_arg_flags(struct imapcmd_cx *cx, const struct imapcmd_node **c, bool bare,
	    struct imapcmd_flags *out);
/* One flag: a system flag's bit (0 for a keyword, then *kw_out). */
int	imapcmd_flag(struct imapcmd_cx *cx, const struct imapcmd_node *n,
	    bool search, unsigned *bit_out, struct span *kw_out);
/* date (RFC 3501: d-Mon-yyyy, maybe quoted) as days since 1970-01-01. */
int	imapcmd_arg_date(struct imapcmd_cx *cx, const struct imapcmd_node **c,
	    int32_t *days_out);
/* No arguments left. */
int	imapcmd_arg_end(struct imapcmd_cx *cx, const struct imapcmd_node *c);
/* Days since 1970-01-01 of a proleptic Gregorian date. */
int32_t	imapcmd_days(int y, unsigned m, unsigned d);
/* The month named by three letters (any case), 1-12, or 0. */
unsigned imapcmd_month(const unsigned char *p);

/* Per-command parsers (imapcmd_args.c, imapcmd_fetch.c). */
int	imapcmd_parse_args(struct imapcmd_cx *cx, struct imapcmd *cmd);
int	imapcmd_parse_fetch(struct imapcmd_cx *cx, const struct imapcmd_node *c,
	    struct imapcmd *cmd);
/* SEARCH (imapsearch.c). */
int	imapsearch_parse_cx(struct imapcmd_cx *cx,
	    const struct imapcmd_node *args, const struct imapsearch **out);

#endif
