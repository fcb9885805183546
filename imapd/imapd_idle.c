/*
 * imapd_idle.c - IDLE (RFC 2177): "+ idling", then every change another
 * process or session commits to the selected mailbox is announced at
 * once with the untagged responses of imapd_select.c's updates, until
 * the client sends DONE.
 *
 * The process has one change-notice descriptor (the store's watch set,
 * one inotify instance) for all its idling sessions, so that thousands
 * of them do not run into the kernel's per-user instance limit.  A table
 * maps each watch id to the sessions idling on that mailbox; sessions
 * on the same mailbox share its watch, which is removed when the last
 * of them stops.  Every imapd_idle_recheck a session is told "* OK Still
 * here" (keeping NAT state alive) and its mailbox is looked at even
 * without a notice, in case one was lost or could not be set up.
 *
 * Linked into: imapd.  Trust: the only line taken while idling is DONE;
 * anything else ends the IDLE with BAD.
 */
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/event.h"
#include "base/hmap.h"
#include "base/log.h"
#include "base/xmem.h"
#include "imapd.h"

/* The sessions idling on one mailbox's watch. */
struct imapd_watch {
	int id;				/* the watch set's */
	bool gone;			/* ended by the kernel; not in the table */
	size_t refs;			/* sessions in the list */
	struct imapd_sess *first;	/* linked through idle_next */
};

static struct span
id_key(const int *id)
{
	return span_make(id, sizeof(*id));
}

/* Something may have changed for s: look (now, or after the update
 * already running). */
static void
wake(struct imapd_sess *s)
{
	if (s->job.busy)
		s->idle_pending = true;	/* the running update covers it */
	else
		imapd_updates(s, false);
}

/* Lost notices: every session with a watch looks. */
static void
wake_all(struct imapd *d)
{
	struct imapd_sess *s, *next;

	for (s = d->sessions; s != NULL; s = next) {
		next = s->next;
		if (s->idling && s->idle_watch != NULL)
			wake(s);
	}
}

static void
on_notice(evutil_socket_t fd, short what, void *arg)
{
	struct imapd *d = arg;
	struct store_notice ev[STORE_WATCHSET_MAX];
	struct imapd_watch *w;
	struct imapd_sess *s, *next;
	size_t n, i;

	(void)what;
	while ((n = store_watchset_read((int)fd, ev)) > 0) {
		for (i = 0; i < n; i++) {
			if (ev[i].id == -1) {
				wake_all(d);
				continue;
			}
			w = hmap_get(d->watches, id_key(&ev[i].id));
			if (w == NULL)
				continue;
			if (ev[i].gone) {
				/* Out of the table: the kernel may hand the
				 * id to a new watch. */
				hmap_del(d->watches, id_key(&w->id));
				w->gone = true;
			}
			for (s = w->first; s != NULL; s = next) {
				next = s->idle_next;
				wake(s);
			}
		}
	}
}

/* The process's descriptor, made on first use; -1 when it cannot be. */
static int
watch_fd(struct imapd *d, struct why *why)
{
	if (d->watch_ev != NULL)
		return d->watch_fd;
	if ((d->watch_fd = store_watchset_open(why)) == -1)
		return -1;
	d->watch_ev = event_new(d->svc->base, d->watch_fd,
	    EV_READ | EV_PERSIST, on_notice, d);
	if (d->watch_ev == NULL || event_add(d->watch_ev, NULL) == -1) {
		if (d->watch_ev != NULL)
			event_free(d->watch_ev);
		d->watch_ev = NULL;
		close(d->watch_fd);
		d->watch_fd = -1;
		return why_set(why, "cannot watch the notice descriptor");
	}
	d->watches = hmap_new();
	return d->watch_fd;
}

/* Join the sessions on the selected mailbox's watch. */
static int
watch_join(struct imapd_sess *s, struct why *why)
{
	struct imapd *d = s->d;
	struct imapd_watch *w;
	int fd, id;

	if ((fd = watch_fd(d, why)) == -1 ||
	    (id = store_watchset_add(fd, s->store, s->view->mailbox, why)) ==
		-1)
		return -1;
	if ((w = hmap_get(d->watches, id_key(&id))) == NULL) {
		w = xcalloc(1, sizeof(*w));
		w->id = id;
		hmap_put(d->watches, id_key(&w->id), w);
	}
	s->idle_watch = w;
	s->idle_next = w->first;
	if (s->idle_next != NULL)
		s->idle_next->idle_prevp = &s->idle_next;
	s->idle_prevp = &w->first;
	w->first = s;
	w->refs++;
	return 0;
}

static void
watch_leave(struct imapd_sess *s)
{
	struct imapd *d = s->d;
	struct imapd_watch *w = s->idle_watch;

	if (w == NULL)
		return;
	*s->idle_prevp = s->idle_next;
	if (s->idle_next != NULL)
		s->idle_next->idle_prevp = s->idle_prevp;
	s->idle_watch = NULL;
	s->idle_next = NULL;
	s->idle_prevp = NULL;
	if (--w->refs > 0)
		return;
	if (!w->gone) {
		hmap_del(d->watches, id_key(&w->id));
		store_watchset_rm(d->watch_fd, w->id);
	}
	free(w);
}

static void
on_recheck(void *arg)
{
	struct imapd_sess *s = arg;

	imapd_untagged(s, "OK Still here");
	if (s->state == IMAPD_SELECTED)
		wake(s);
}

static void
idle_stop(struct imapd_sess *s)
{
	watch_leave(s);
	event_timer_free(&s->idle_timer);
	s->idling = false;
}

void
imapd_idle(struct imapd_sess *s)
{
	struct why why = { "" };

	s->idling = true;
	snprintf(s->idle_tag, sizeof(s->idle_tag), "%s", s->tag);
	if (s->state == IMAPD_SELECTED && watch_join(s, &why) == -1)
		log_warn("%s: IDLE without change notices (a look every %llus "
			 "instead): %s", s->id,
		    (unsigned long long)s->d->p->imapd_idle_recheck, why.msg);
	s->idle_timer = event_timer_new(s->d->svc->base, on_recheck, s);
	event_timer_start(s->idle_timer, s->d->p->imapd_idle_recheck * 1000,
	    true);
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

void
imapd_idle_fini(struct imapd *d)
{
	if (d->watch_ev == NULL)
		return;
	/* Sessions are gone, and with them every watch. */
	ASSERT(hmap_count(d->watches) == 0);
	hmap_free(&d->watches);
	event_free(d->watch_ev);
	d->watch_ev = NULL;
	close(d->watch_fd);
	d->watch_fd = -1;
}
