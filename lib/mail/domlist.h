/*
 * domlist.h - a list of domains as parameters such as mydestination and
 * relay_domains give it: literal domain names and type:name lookup tables
 * (a domain is in a table when it is a key there), separated by commas or
 * blanks.  Matching is case-insensitive.
 * Linked into: authd and any daemon that classifies domains.  Trust: the
 * list is the admin's; the domain looked up may come from a peer.
 */
#ifndef POSTERN_DOMLIST_H
#define POSTERN_DOMLIST_H

#include "base/buf.h"
#include "base/why.h"
#include "mail/dict.h"

struct domlist;

/* Open the tables in list.  NULL with why on a bad item or table. */
struct domlist *domlist_new(const char *list, struct why *why);
void	domlist_free(struct domlist **dl);
/*
 * DICT_FOUND when domain is listed, DICT_NOTFOUND when not, DICT_TEMPFAIL
 * (with why) when a table could not answer.  May block (tables).
 */
enum dict_res domlist_match(struct domlist *dl, struct span domain,
	    struct why *why);

#endif
