#include "config.h"

#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/handoff.h"
#include "lib/log.h"
#include "master/keeper_ctl.h"
#include "master/master.h"
#include "master/waiter_ctl.h"
#include "shared/limits.h"
#include "waiter/waiter.h"

/* A waiter that dies sooner than this after its start waits to restart. */
#define WAITER_CRASH_GUARD	1.0

static uint32_t
ms(double secs)
{
	return (secs * 1000.0 > 4e9 ? 4000000000u : (uint32_t)(secs * 1000.0));
}

void
waiter_ctl_init(struct master *m)
{
	m->park[0] = m->park[1] = -1;
	m->ready[0] = m->ready[1] = -1;
	m->waiter_pid = 0;
	m->waiter_due = 0;
}

static int
make_pairs(struct master *m)
{
	if (m->park[0] >= 0)
		return (0);
	if (handoff_pair(m->park) == -1) {
		m->park[0] = m->park[1] = -1;
		return (-1);
	}
	if (handoff_pair(m->ready) == -1) {
		(void)close(m->park[0]);
		(void)close(m->park[1]);
		m->park[0] = m->park[1] = -1;
		m->ready[0] = m->ready[1] = -1;
		return (-1);
	}
	return (0);
}

static void
publish(struct master *m)
{
	struct shm_waiter *sw = &m->shm.hdr->waiter;
	const struct cfg *c = m->cfg;

	atomic_store(&sw->client_header_ms, ms(c->timeouts.client_header));
	atomic_store(&sw->client_body_ms, ms(c->timeouts.client_body));
	atomic_store(&sw->keepalive_ms, ms(c->timeouts.keepalive));
	atomic_store(&sw->min_rate, c->limits.min_rate);
	atomic_store(&sw->max_head, c->limits.max_header_size);
	atomic_store(&sw->yield, (uint32_t)c->workers.yield);
	atomic_store(&sw->max_conns, c->waiter.max_conns);
}

static void
start(struct master *m)
{
	struct waiter_args a;
	pid_t pid;
	int i;

	m->waiter_due = 0;
	if (make_pairs(m) == -1) {
		log_syserr("waiter: socketpair");
		m->waiter_due = clock_now() + WAITER_CRASH_GUARD;
		return;
	}
	pid = fork();
	if (pid == -1) {
		log_syserr("waiter: fork");
		m->waiter_due = clock_now() + WAITER_CRASH_GUARD;
		return;
	}
	if (pid == 0) {
		/*
		 * Only the master may hold the write ends of pipes of death,
		 * and only workers the listening sockets (a graceful stop
		 * closes them in the master).
		 */
		if (m->pod[0] >= 0)
			(void)close(m->pod[0]);
		if (m->pod[1] >= 0)
			(void)close(m->pod[1]);
		if (m->checker_pod >= 0)
			(void)close(m->checker_pod);
		keeper_ctl_close_pod(m);
		for (i = 0; i < m->cfg->nlisteners; i++)
			if (m->lfds[i] >= 0)
				(void)close(m->lfds[i]);
		(void)close(m->park[0]);
		(void)close(m->ready[1]);
		memset(&a, 0, sizeof(a));
		a.shm = &m->shm;
		a.park_fd = m->park[1];
		a.ready_fd = m->ready[0];
		a.sigmask = m->oldmask;
		a.privs = &m->privs;
		waiter_main(&a);
	}
	m->waiter_pid = pid;
	m->waiter_started = clock_now();
	atomic_store(&m->shm.hdr->waiter.pid, (int32_t)pid);
	atomic_fetch_add(&m->shm.hdr->waiter.started, 1);
	/*
	 * Workers may park from now on: what they send before the waiter
	 * reads waits in the socket.
	 */
	atomic_store_explicit(&m->shm.hdr->waiter.up, 1,
	    memory_order_release);
}

void
waiter_ctl_apply(struct master *m)
{
	publish(m);
	if (m->cfg->waiter.max_conns == 0) {
		waiter_ctl_stop(m);
		return;
	}
	if (m->waiter_pid <= 0 && !m->quitting && !m->stopping)
		start(m);
}

int
waiter_ctl_park_fd(const struct master *m)
{
	return (m->cfg->waiter.max_conns > 0 ? m->park[0] : -1);
}

int
waiter_ctl_ready_fd(const struct master *m)
{
	return (m->cfg->waiter.max_conns > 0 ? m->ready[1] : -1);
}

int
waiter_ctl_requeue_fd(const struct master *m)
{
	return (m->cfg->waiter.max_conns > 0 ? m->ready[0] : -1);
}

void
waiter_ctl_close_park_end(const struct master *m)
{
	if (m->park[1] >= 0)
		(void)close(m->park[1]);
}

void
waiter_ctl_close_waiter_ends(const struct master *m)
{
	if (m->park[1] >= 0)
		(void)close(m->park[1]);
	if (m->ready[0] >= 0)
		(void)close(m->ready[0]);
}

int
waiter_ctl_reaped(struct master *m, pid_t pid, int st)
{
	double now = clock_now();
	int i;

	if (pid != m->waiter_pid)
		return (0);
	m->waiter_pid = 0;
	atomic_store(&m->shm.hdr->waiter.up, 0);
	atomic_store(&m->shm.hdr->waiter.pid, 0);
	/*
	 * What it held died with it: its figures and its per-client counts
	 * (their writer is gone, so the master may write them until the
	 * next one starts).
	 */
	for (i = 0; i < PARK_NWHY; i++)
		atomic_store(&m->shm.hdr->waiter.parked[i], 0);
	atomic_store(&m->shm.hdr->waiter.pending, 0);
	lim_waiter_reset(&m->shm);
	if (m->stopping || m->quitting || m->cfg->waiter.max_conns == 0)
		return (1);
	if (WIFSIGNALED(st))
		log_error("waiter killed by signal %d (%s); the connections "
		    "it held are closed; restarting it", WTERMSIG(st),
		    strsignal(WTERMSIG(st)));
	else
		log_error("waiter exited with status %d; restarting it",
		    WEXITSTATUS(st));
	/* at once, unless it keeps dying */
	m->waiter_due = now - m->waiter_started < WAITER_CRASH_GUARD ?
	    m->waiter_started + WAITER_CRASH_GUARD : now;
	if (m->waiter_due <= now)
		start(m);
	return (1);
}

void
waiter_ctl_tick(struct master *m, double now)
{
	if (m->waiter_due > 0 && now >= m->waiter_due && !m->quitting &&
	    !m->stopping && m->waiter_pid <= 0)
		start(m);
}

void
waiter_ctl_drain(struct master *m)
{
	atomic_store(&m->shm.hdr->waiter.up, 0);
	atomic_store(&m->shm.hdr->waiter.draining, 1);
	m->waiter_due = 0;
	if (m->waiter_pid > 0)
		(void)kill(m->waiter_pid, SIGQUIT);
}

void
waiter_ctl_stop(struct master *m)
{
	atomic_store(&m->shm.hdr->waiter.up, 0);
	m->waiter_due = 0;
	if (m->waiter_pid > 0)
		(void)kill(m->waiter_pid, SIGTERM);
}
