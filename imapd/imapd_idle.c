/*
 * imapd_idle.c - IDLE (RFC 2177): "+ idling", then every change another
 * process or session commits to the selected mailbox (the store's change
 * notice, an inotify descriptor) is announced at once with the untagged
 * responses of imapd_select.c's updates, until the client sends DONE.
 * Linked into: imapd.  Trust: the only line taken while idling is DONE;
 * anything else ends the IDLE with BAD.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "imapd.h"

static void
on_change(evutil_socket_t fd, short what, void *arg)
{
	struct imapd_sess *s = arg;

	(void)what;
	store_watch_drain((int)fd);
	if (s->busy)
		s->idle_pending = true;	/* the running update covers it */
	else
		imapd_updates(s, false);
}

static void
idle_stop(struct imapd_sess *s)
{
	if (s->idle_ev != NULL) {
		event_free(s->idle_ev);
		s->idle_ev = NULL;
	}
	if (s->idle_fd != -1) {
		close(s->idle_fd);
		s->idle_fd = -1;
	}
	s->idling = false;
}

void
imapd_idle(struct imapd_sess *s)
{
	struct why why = { "" };

	s->idling = true;
	s->idle_fd = -1;
	snprintf(s->idle_tag, sizeof(s->idle_tag), "%s", s->tag);
	if (s->state == IMAPD_SELECTED) {
		s->idle_fd = store_watch(s->store, s->view->mailbox, &why);
		if (s->idle_fd == -1)
			log_warn("%s: IDLE without change notices: %s", s->id,
			    why.msg);
		else
			s->idle_ev = event_new(s->d->svc->base, s->idle_fd,
			    EV_READ | EV_PERSIST, on_change, s);
		if (s->idle_ev != NULL)
			event_add(s->idle_ev, NULL);
	}
	imapd_write(s, "+ idling\r\n", 10);
	/* What changed before the notice was set up is reported now. */
	if (s->state == IMAPD_SELECTED)
		imapd_updates(s, false);
}

void
imapd_idle_line(struct imapd_sess *s, struct span line)
{
	idle_stop(s);
	/* The IDLE command's frame may still be held (an update ran). */
	imapcmd_frame_reset(&s->frame);
	arena_reset(&s->arena);
	snprintf(s->tag, sizeof(s->tag), "%s", s->idle_tag);
	if (span_eq_nocase(line, "DONE"))
		imapd_tagged(s, "OK", "IDLE terminated");
	else
		imapd_tagged(s, "BAD", "Expected DONE");
	s->tag[0] = '\0';
}

void
imapd_idle_end(struct imapd_sess *s)
{
	idle_stop(s);
}
