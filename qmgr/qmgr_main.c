/*
 * qmgr_main.c - qmgr: the queue manager (qmgr(8)).  Start-up and wiring
 * only: configuration, the transport table, the worker pool, recovery of
 * the active queue, the periodic scan.
 * Linked into: qmgr.  Runs as mail_owner, not chrooted (transport_maps
 * files are read where the admin keeps them and reopened when they
 * change).  Trust: the configuration is the admin's.
 */
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "qmgr.h"

static struct qmgr qm;

/* Threads for queue file work (fsyncs) and authd look-ups. */
#define QMGR_THREADS 8
#define QMGR_MAX_JOBS 100000

uint64_t
qmgr_now(void)
{
	return (uint64_t)time(NULL);
}

uint64_t
qmgr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
on_scan_timer(void *arg)
{
	qmgr_dests_expire(arg);
	qmgr_scan(arg, true);
}

static void
on_kick_timer(void *arg)
{
	qmgr_schedule(arg);
}

static int
init(struct service *svc)
{
	struct why why;

	qm.svc = svc;
	qm.p = &svc->params;
	pthread_mutex_init(&qm.transport_lock, NULL);
	if (qm.p->transport_maps[0] != '\0') {
		qm.transport = dict_open(qm.p->transport_maps, &why);
		if (qm.transport == NULL) {
			log_error("transport_maps: %s", why.msg);
			return -1;
		}
	}
	return 0;
}

static void
ready(struct service *svc)
{
	size_t len;

	if (service_queue_path(svc, "", qm.queue_dir, sizeof(qm.queue_dir)) ==
		-1 ||
	    service_queue_path(svc, qm.p->authd_socket, qm.authd_path,
		sizeof(qm.authd_path)) == -1)
		log_panic("queue paths too long");
	/* "/queue/" and "/" alike: paths are made as DIR/state/... */
	len = strlen(qm.queue_dir);
	if (len > 0 && qm.queue_dir[len - 1] == '/')
		qm.queue_dir[len - 1] = '\0';
	qm.pool = worker_pool_new(svc->base, QMGR_THREADS, QMGR_MAX_JOBS);
	qm.dest_map = hmap_new();
	qm.scan_timer = event_timer_new(svc->base, on_scan_timer, &qm);
	qm.kick_timer = event_timer_new(svc->base, on_kick_timer, &qm);
	/* Messages a crash left in active/ are delivered again. */
	qmgr_recover(&qm);
	event_timer_start(qm.scan_timer, qm.p->queue_run_delay * 1000, true);
	log_info("ready: queue %s", qm.queue_dir);
	qmgr_scan(&qm, true);
}

static void
on_accept(struct service *svc, int fd, size_t index)
{
	(void)svc;
	(void)index;
	qmgr_notice_accept(&qm, fd);
}

static void
fini(struct service *svc)
{
	(void)svc;
	/* Jobs in flight finish first: their files stay consistent. */
	worker_pool_free(&qm.pool);
	qmgr_notice_free_all(&qm);
	qmgr_deliveries_free_all(&qm);
	while (qm.msgs != NULL)
		qmgr_msg_free(&qm, qm.msgs);
	qmgr_dests_free(&qm);
	event_timer_free(&qm.scan_timer);
	event_timer_free(&qm.kick_timer);
	dict_close(&qm.transport);
}

int
main(int argc, char **argv)
{
	static const struct service_ops ops = { init, ready, on_accept, NULL,
		fini };

	return service_main(argc, argv, "qmgr", &ops, NULL);
}
