/*
 * qmgr_scan.c - the queue directories: recovery of active/ at start,
 * scans of incoming/ and of deferred/ for messages whose retry time (the
 * file's mtime, postern-queue(5)) has come, and removal of stale .tmp
 * files.  Scans run on a worker; the loop then loads what they found.
 * Linked into: qmgr.  Trust: names in the directories are checked with
 * qid_valid() before they are used.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/xmem.h"
#include "qmgr.h"

/* A .tmp file this old was left by a writer that crashed. */
#define STALE_TMP_SECONDS 86400

struct scan_job {
	struct qmgr *qm;
	char queue_dir[4096];
	bool deferred_too;
	size_t room;			/* how many to find at most */
	uint64_t now;
	uint64_t now_ms;
	char (*found)[QID_SIZE];	/* qids, incoming first */
	char *state;			/* 'i' or 'd' per found qid */
	size_t nfound;
	bool more;			/* more than room were there */
	size_t stale;			/* stale .tmp files removed */
};

typedef void visit_fn(void *arg, const char *dir, const char *name);

/* Call fn for every entry of queue_dir/state/H1/H2/. */
static void
walk(const char *queue_dir, const char *state, visit_fn *fn, void *arg)
{
	static const char hex[] = "0123456789abcdef";
	char dir[4200];
	int i, j;

	for (i = 0; i < 16; i++) {
		for (j = 0; j < 16; j++) {
			struct dirent *de;
			DIR *d;

			snprintf(dir, sizeof(dir), "%s/%s/%c/%c", queue_dir,
			    state, hex[i], hex[j]);
			d = opendir(dir);
			if (d == NULL)
				continue;
			while ((de = readdir(d)) != NULL)
				if (de->d_name[0] != '.')
					fn(arg, dir, de->d_name);
			closedir(d);
		}
	}
}

static void
add_found(struct scan_job *j, const char *qid, char state)
{
	if (j->nfound == j->room) {
		j->more = true;
		return;
	}
	snprintf(j->found[j->nfound], QID_SIZE, "%s", qid);
	j->state[j->nfound++] = state;
}

static void
visit_incoming(void *arg, const char *dir, const char *name)
{
	struct scan_job *j = arg;
	size_t len = strlen(name);
	char path[4500];
	struct stat st;

	if (qid_valid_str(name)) {
		add_found(j, name, 'i');
		return;
	}
	/* A writer that crashed before its commit leaves QID.tmp. */
	if (len > 4 && strcmp(name + len - 4, ".tmp") == 0) {
		snprintf(path, sizeof(path), "%s/%s", dir, name);
		if (lstat(path, &st) == 0 &&
		    (uint64_t)st.st_mtime + STALE_TMP_SECONDS < j->now &&
		    unlink(path) == 0)
			j->stale++;
	}
}

static void
visit_deferred(void *arg, const char *dir, const char *name)
{
	struct scan_job *j = arg;
	char path[4500];
	struct stat st;

	if (!qid_valid_str(name))
		return;
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	/* The mtime of a deferred file is its next retry time. */
	if (lstat(path, &st) == 0 &&
	    (uint64_t)st.st_mtim.tv_sec * 1000 +
		    (uint64_t)st.st_mtim.tv_nsec / 1000000 <=
		j->now_ms)
		add_found(j, name, 'd');
}

static void
scan_work(void *arg)
{
	struct scan_job *j = arg;

	walk(j->queue_dir, "incoming", visit_incoming, j);
	if (j->deferred_too)
		walk(j->queue_dir, "deferred", visit_deferred, j);
}

static void
scan_done(void *arg)
{
	struct scan_job *j = arg;
	struct qmgr *qm = j->qm;
	bool again = qm->scan_again;
	size_t i;

	qm->scanning = false;
	qm->scan_again = false;
	if (j->stale > 0)
		log_info("removed %zu stale temporary files from incoming",
		    j->stale);
	for (i = 0; i < j->nfound; i++)
		qmgr_load(qm, j->state[i] == 'i' ? "incoming" : "deferred",
		    j->found[i]);
	qm->backlog = j->more;
	free(j->found);
	free(j->state);
	free(j);
	if (again)
		qmgr_scan(qm, true);
}

void
qmgr_scan(struct qmgr *qm, bool deferred_too)
{
	struct scan_job *j;
	size_t used = qm->nmsgs + qm->nloading;
	size_t limit = (size_t)qm->p->qmgr_message_active_limit;

	if (qm->svc->stopping)
		return;
	if (qm->scanning) {
		qm->scan_again = true;
		return;
	}
	if (used >= limit) {
		qm->backlog = true;
		return;
	}
	j = xcalloc(1, sizeof(*j));
	j->qm = qm;
	snprintf(j->queue_dir, sizeof(j->queue_dir), "%s", qm->queue_dir);
	j->deferred_too = deferred_too;
	j->room = limit - used;
	j->now = qmgr_now();
	j->now_ms = qmgr_now_ms();
	j->found = xcalloc(j->room, QID_SIZE);
	j->state = xcalloc(j->room, 1);
	if (worker_submit(qm->pool, scan_work, scan_done, j) == -1) {
		free(j->found);
		free(j->state);
		free(j);
		return;
	}
	qm->scanning = true;
}

void
qmgr_incoming(struct qmgr *qm, const char *qid)
{
	if (!qmgr_has_room(qm)) {
		qm->backlog = true;
		return;
	}
	qmgr_load(qm, "incoming", qid);
}

struct recover {
	const char *queue_dir;
	size_t moved;
};

static void
visit_active(void *arg, const char *dir, const char *name)
{
	struct recover *r = arg;
	char from[4500], to[4500];
	struct why why;

	if (!qid_valid_str(name))
		return;
	snprintf(from, sizeof(from), "%s/%s", dir, name);
	if (qfile_mkdirs(r->queue_dir, "incoming", name, &why) == -1 ||
	    qfile_path(r->queue_dir, "incoming", name, to, sizeof(to)) == -1) {
		log_error("%s: cannot recover from active: %s", name, why.msg);
		return;
	}
	if (rename(from, to) == -1) {
		log_syserr("%s: cannot move back to incoming", name);
		return;
	}
	r->moved++;
}

void
qmgr_recover(struct qmgr *qm)
{
	struct recover r = { qm->queue_dir, 0 };

	/* A move lost in a crash is made again at the next start. */
	walk(qm->queue_dir, "active", visit_active, &r);
	if (r.moved > 0)
		log_info("recovered %zu messages from the active queue", r.moved);
}
