/*
 * sendmail_addr.c - the addresses of a submission: recipients from the
 * command line and from To:, Cc: and Bcc: (RFC 5322 address lists),
 * and the envelope sender from -f.  A mailbox without a domain gets
 * @$myorigin; each is then checked as smtpd will check it (RFC 5321
 * mailbox, with SMTPUTF8) and kept once.
 * Linked into: sendmail.  Runs as the invoking user.  Trust: the text is
 * the user's (or comes from a message the user passes on); it is parsed
 * by the bounded, fuzzed parsers of lib/mail.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>

#include "base/log.h"
#include "base/xmem.h"
#include "mail/addrlist.h"
#include "mail/smtpaddr.h"
#include "sendmail.h"

/* The longest address sent: an RFC 5321 path less its brackets. */
#define ADDR_MAX (SMTPADDR_MAX_PATH - 2)

/* m qualified and in smtpd's canonical form (caller frees), or NULL. */
static char *
canonical(struct sendmail *sm, const struct addrlist_mailbox *m,
          struct why *why)
{
	struct smtpaddr a;
	struct buf b;
	struct buf c;
	char *out = NULL;

	buf_init(&b, ADDRLIST_ADDR_MAX + 512);
	buf_init(&c, ADDRLIST_ADDR_MAX + 512);
	buf_add(&b, m->addr, m->len);
	if ((!m->has_domain && buf_addf(&b, "@%s", sm->p->myorigin) == -1) ||
	    b.len > ADDR_MAX)
		why_set(why, "address too long (over %d bytes)", ADDR_MAX);
	else if (smtpaddr_parse_mailbox(buf_span(&b), SMTPADDR_UTF8, &a, why) ==
	             -1 ||
	         smtpaddr_format(&a, &c) == -1)
		;
	else {
		if (a.has_utf8)
			sm->utf8 = true;
		out = buf_steal(&c);
	}
	buf_fini(&b);
	buf_fini(&c);
	return out;
}

/* Case is ignored: local parts differ only in case for no mailbox
 * Postern knows (its tables fold keys), and one copy is what is wanted. */
static bool
listed(const struct sendmail_rcpts *list, const char *addr)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		if (strcasecmp(list->v[i], addr) == 0)
			return true;
	return false;
}

int
sendmail_rcpts_add(struct sendmail *sm, struct sendmail_rcpts *list,
                   struct span text, const char *what, struct why *why)
{
	char esc[LOG_ESC_SIZE];
	struct addrlist al;
	struct addrlist_mailbox m;
	struct why inner;
	char *addr;
	int r;

	addrlist_init(&al, text);
	while ((r = addrlist_next(&al, &m, &inner)) == 1) {
		addr = canonical(sm, &m, &inner);
		if (addr == NULL)
			break;
		if (listed(list, addr)) {
			free(addr);
			continue;
		}
		if (list->n == list->cap) {
			list->cap = list->cap ? list->cap * 2 : 8;
			list->v =
			    xreallocarray(list->v, list->cap, sizeof(*list->v));
		}
		list->v[list->n++] = addr;
	}
	if (r == 0)
		return EX_OK;
	/* The reason first: the text may be long. */
	why_set(why, "bad address in %s: %s: \"%s%s\"", what, inner.msg,
	        log_esc(span_sub(text, 0, 60), esc),
	        text.len > 60 ? "..." : "");
	return EX_DATAERR;
}

void
sendmail_rcpts_free(struct sendmail_rcpts *list)
{
	size_t i;

	for (i = 0; i < list->n; i++)
		free(list->v[i]);
	free(list->v);
	memset(list, 0, sizeof(*list));
}

int
sendmail_sender(struct sendmail *sm, struct why *why)
{
	const char *f = sm->o->sender;
	struct sendmail_rcpts one = {0};
	struct buf b;
	int status;

	if (f != NULL && (f[0] == '\0' || strcmp(f, "<>") == 0)) {
		sm->sender = xstrdup("");
		return EX_OK;
	}
	buf_init(&b, 4096);
	if (f == NULL)
		buf_adds(&b, sm->login);
	else
		buf_adds(&b, f);
	status = sendmail_rcpts_add(sm, &one, buf_span(&b), "sender", why);
	if (status == EX_OK && one.n != 1) {
		why_set(why, "the sender must be one address");
		status = EX_DATAERR;
	}
	if (status == EX_OK) {
		sm->sender = one.v[0];
		one.n = 0;
	}
	sendmail_rcpts_free(&one);
	buf_fini(&b);
	return status;
}
