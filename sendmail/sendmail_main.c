/*
 * sendmail_main.c - the sendmail command: configuration, who runs it, and
 * dispatch to the mode's file (options: sendmail_args.c).  Run as mailq
 * it lists the queue (-bp: sendmail_queue.c), as newaliases it rebuilds
 * the alias tables (-bi).
 *
 *   sendmail [-C DIR] [-f SENDER] [-F NAME] [-t] [-i] [-v] [-N DSN]
 *            [-R RET] [-V ENVID] [-B TYPE] [-o X]... [ADDRESS...]
 *   sendmail -bs | -bp | -bi | -q
 *
 * Linked into: sendmail.  Runs as any user, without privileges (as root,
 * -bp becomes mail_owner to read the queue).  Trust:
 * the arguments are the invoking user's; each is checked before use.
 */
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/xmem.h"
#include "sendmail.h"

static void
warn_cb(const char *msg, void *arg)
{
	fprintf(stderr, "%s: warning: %s\n", (const char *)arg, msg);
}

/* Who runs us: the login name and the full name of the passwd entry.
 * Only the default sender needs them; without -f a user who has no
 * passwd entry cannot send. */
static int
who_am_i(struct sendmail *sm, struct why *why)
{
	struct passwd *pw = getpwuid(getuid());
	char *comma;

	if (pw == NULL) {
		if (sm->o->sender != NULL)
			return EX_OK;
		why_set(why,
		        "no user name for uid %u; give the sender with "
		        "-f",
		        (unsigned)getuid());
		return EX_NOUSER;
	}
	sm->login = xstrdup(pw->pw_name);
	sm->gecos = xstrdup(pw->pw_gecos != NULL ? pw->pw_gecos : "");
	comma = strchr(sm->gecos, ',');
	if (comma != NULL)
		*comma = '\0';
	return EX_OK;
}

void
sendmail_free(struct sendmail *sm)
{
	free(sm->login);
	free(sm->gecos);
	free(sm->sender);
	sendmail_rcpts_free(&sm->rcpt);
	buf_fini(&sm->text);
	memset(sm, 0, sizeof(*sm));
}

static int
deliver(const struct sendmail_opts *o, const struct params *p, struct why *why)
{
	struct sendmail sm = {.o = o, .p = p};
	int status = EX_OK;
	int i;

	status = who_am_i(&sm, why);
	if (status == EX_OK)
		status = sendmail_sender(&sm, why);
	for (i = 0; status == EX_OK && i < o->nrcpt_args; i++)
		status = sendmail_rcpts_add(
		    &sm, &sm.rcpt, span_str(o->rcpt_args[i]), "recipient", why);
	if (status == EX_OK)
		status = sendmail_msg_read(&sm, STDIN_FILENO, why);
	if (status == EX_OK && sm.rcpt.n == 0)
		status = (why_set(why, "no recipient addresses found in the "
		                       "message header"),
		          EX_USAGE);
	if (status == EX_OK)
		status = sendmail_submit(&sm, why);
	sendmail_free(&sm);
	return status;
}

int
main(int argc, char **argv)
{
	struct sendmail_opts o = {0};
	struct params p;
	struct cfg *cfg;
	struct why why;
	int status;

	/* A closed socket is an error reply, not a silent death. */
	signal(SIGPIPE, SIG_IGN);
	status = sendmail_args(&o, argc, argv);
	if (status != EX_OK)
		return status;
	if (o.mode == SENDMAIL_QUEUE_RUN) {
		fprintf(stderr,
		        "%s: a queue run is not available; use \"postern queue "
		        "flush\"\n",
		        o.prog);
		return EX_UNAVAILABLE;
	}
	cfg = params_load(o.config_dir, NULL, 0, &p, warn_cb, (void *)o.prog,
	                  &why);
	if (cfg == NULL) {
		fprintf(stderr, "%s: %s\n", o.prog, why.msg);
		return EX_CONFIG;
	}
	if (o.mode == SENDMAIL_SMTP)
		status = sendmail_smtp_proxy(&o, &p, &why);
	else if (o.mode == SENDMAIL_ALIASES)
		status = sendmail_aliases(&o, &p, &why);
	else if (o.mode == SENDMAIL_QUEUE_LIST)
		status = sendmail_queue_list(&p, &why);
	else
		status = deliver(&o, &p, &why);
	if (status != EX_OK)
		fprintf(stderr, "%s: %s\n", o.prog, why.msg);
	cfg_free(&cfg);
	return status;
}
