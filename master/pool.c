#include "config.h"

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/listenq.h"
#include "lib/log.h"
#include "master/checker_ctl.h"
#include "master/keeper_ctl.h"
#include "master/master.h"
#include "master/pool.h"
#include "master/waiter_ctl.h"
#include "master/upgrade.h"
#include "shared/counters.h"
#include "shared/health.h"
#include "shared/scoreboard.h"
#include "shared/store.h"
#include "worker/worker.h"

/* Apache prefork's ceiling on forks per second while short of idle. */
#define POOL_MAX_RATE		32
/* Idle workers past max_spare: this share of the excess retires a second. */
#define POOL_RETIRE_SHARE	8
/* Crash loop guard: more unexpected deaths than this in one second... */
#define POOL_CRASH_BURST	8
/* "reached workers.max" at most this often, seconds */
#define POOL_MAX_LOG_EVERY	60.0

void
pool_check_nice(const struct cfg *cfg)
{
	int cur;

	if (!cfg->workers.nice_set || geteuid() == 0)
		return;
	errno = 0;
	cur = getpriority(PRIO_PROCESS, 0);
	if (errno == 0 && cfg->workers.nice < cur)
		log_warnx("workers.nice = %d needs root: workers may stay at "
		    "nice %d", cfg->workers.nice, cur);
}

/*
 * Whether the current generation has workers.max workers, for the
 * workers (park_requeue_possible): rotation is the steady state then.
 * Kept as workers come and go, not only once a second.
 */
static void
publish_full(struct master *m)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->pids[i] > 0 && m->gens[i] == m->generation &&
		    !m->retired[i])
			n++;
	atomic_store_explicit(&m->shm.hdr->waiter.pool_full,
	    n >= m->cfg->workers.max, memory_order_relaxed);
}

int
pool_spawn(struct master *m)
{
	struct worker_args a;
	struct sb_slot *sb;
	pid_t pid;
	uint32_t i;
	int slot = -1;

	for (i = 0; i < m->nslots; i++)
		if (m->pids[i] == 0) {
			slot = (int)i;
			break;
		}
	if (slot == -1) {
		log_error("scoreboard full (%u slots): cannot start a worker",
		    m->nslots);
		return (-1);
	}
	sb_mark_used(&m->shm, (uint32_t)slot);
	sb = sb_slot(&m->shm, (uint32_t)slot);
	/*
	 * The slot is the master's until the child owns it. A free slot's
	 * counters are already 0 (folded when its last worker was reaped).
	 */
	memset(sb, 0, sizeof(*sb));
	sb->generation = m->generation;
	sb_set_state(sb, SB_STARTING);

	pid = fork();
	if (pid == -1) {
		log_syserr("fork");
		sb_set_state(sb, SB_DEAD);
		return (-1);
	}
	if (pid == 0) {
		/* signals stay blocked until worker_main has its handlers */
		/* only the master may hold a write end of a pipe of death */
		(void)close(m->pod[1]);
		if (m->checker_pod >= 0)
			(void)close(m->checker_pod);
		keeper_ctl_close_pod(m);
		waiter_ctl_close_park_end(m);
		/* a worker never outlives its master */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		/* before dropping root, which may not raise a priority */
		if (m->cfg->workers.nice_set && setpriority(PRIO_PROCESS, 0,
		    m->cfg->workers.nice) == -1)
			log_debug("worker: nice %d: %s", m->cfg->workers.nice,
			    strerror(errno));
		if (privs_apply(&m->privs) == -1) {
			log_syserr("switching to user %s", m->privs.user);
			_exit(3);
		}
		a.cfg = m->cfg;
		a.shm = &m->shm;
		a.rows = m->rows;
		a.slot = (uint32_t)slot;
		a.generation = m->generation;
		a.lfds = m->lfds;
		a.pod_fd = m->pod[0];
		a.park_fd = waiter_ctl_park_fd(m);
		a.ready_fd = waiter_ctl_ready_fd(m);
		a.requeue_fd = waiter_ctl_requeue_fd(m);
		a.sigmask = m->oldmask;
		worker_main(&a);
	}
	m->pids[slot] = pid;
	m->gens[slot] = m->generation;
	m->nworkers++;
	publish_full(m);
	return (0);
}

int
pool_count(const struct master *m, uint32_t gen)
{
	uint32_t i;
	int n = 0;

	for (i = 0; i < m->nslots; i++)
		if (m->pids[i] > 0 && (gen == 0 || m->gens[i] == gen))
			n++;
	return (n);
}

/* An exit the master asked for, or a worker's own clean exit. */
static int
expected_exit(const struct master *m, int st)
{
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return (1);
	return (m->stopping && WIFSIGNALED(st) &&
	    (WTERMSIG(st) == SIGTERM || WTERMSIG(st) == SIGKILL));
}

void
pool_reap(struct master *m)
{
	pid_t pid;
	int st;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct sb_slot *sb = NULL;
		uint32_t i;
		int expected, replace;

		if (pid == m->upgrade_pid) {
			upgrade_failed(m, st);
			continue;
		}
		if (checker_ctl_reaped(m, pid, st) ||
		    keeper_ctl_reaped(m, pid, st) ||
		    waiter_ctl_reaped(m, pid, st))
			continue;
		for (i = 0; i < m->nslots; i++)
			if (m->pids[i] == pid) {
				sb = sb_slot(&m->shm, i);
				break;
			}
		if (sb == NULL)
			continue;
		expected = expected_exit(m, st);
		if (expected)
			log_debug("worker %ld (slot %u, gen %u) exited",
			    (long)pid, i, m->gens[i]);
		else if (WIFSIGNALED(st))
			log_error("worker %ld (slot %u, gen %u) killed by signal "
			    "%d (%s)%s%s", (long)pid, i, m->gens[i],
			    WTERMSIG(st), strsignal(WTERMSIG(st)),
			    sb->request[0] ? " while serving: " : "",
			    sb->request);
		else
			log_error("worker %ld (slot %u, gen %u) exited with "
			    "status %d%s%s", (long)pid, i, m->gens[i],
			    WEXITSTATUS(st), sb->request[0] ?
			    " while serving: " : "", sb->request);
		/*
		 * A worker of this generation that left on its own (crash,
		 * max_requests) is replaced at once; one that was retired
		 * (spare, old generation) is not.
		 */
		replace = m->gens[i] == m->generation && !m->retired[i];
		/* a request in flight on a backend: give its count back */
		if (atomic_load(&sb->hc_held) > 0 &&
		    atomic_load(&sb->hc_held) <= hc_rows(&m->shm))
			hc_release(&m->shm, atomic_load(&sb->hc_held) - 1);
		/* a cache pin or fill it held: released, its waiters woken */
		if (shm_store(&m->shm) != NULL)
			store_release_slot(shm_store(&m->shm),
			    shm_cache_slot(&m->shm, i));
		/*
		 * Its counters are final: into the retired totals before the
		 * slot is freed, so no total drops (a reader sees them in one
		 * place or the other, never both, never neither).
		 */
		ctr_fold(&m->shm, sb);
		/* SB_DEAD: free again; its client (peer_*) no longer counts */
		memset(sb, 0, sizeof(*sb));
		sb_set_idle(&m->shm, i, 0);
		m->pids[i] = 0;
		m->gens[i] = 0;
		m->retired[i] = 0;
		m->nworkers--;
		publish_full(m);
		if (!expected) {
			double now = clock_now();

			if (now - m->crash_second >= 1.0) {
				m->crash_second = now;
				m->crashes = 0;
			}
			m->crashes++;
		}
		if (!replace || m->stopping || m->quitting)
			continue;
		if (m->crashes > POOL_CRASH_BURST &&
		    clock_now() - m->crash_second < 1.0) {
			if (!m->held)
				log_error("workers are dying in a loop; "
				    "respawning at most one a second");
			m->held = 1;
			continue;
		}
		m->held = 0;
		(void)pool_spawn(m);
	}
}

/*
 * Ask up to n idle workers of the current generation to exit: from the
 * top slot down, so the last forked go first (a worker takes the lowest
 * free slot). Those forked together at start share their copies of the
 * pages the master has written since; each later moment of forking adds
 * copies of its own.
 */
static void
retire_idle(struct master *m, int n)
{
	uint32_t i;

	for (i = m->nslots; i-- > 0 && n > 0;) {
		struct sb_slot *sb = sb_slot(&m->shm, i);

		if (m->pids[i] > 0 && m->gens[i] == m->generation &&
		    !m->retired[i] && sb_get_state(sb) == SB_IDLE) {
			/* a worker told to go is not replaced when it goes */
			m->retired[i] = 1;
			(void)kill(m->pids[i], SIGHUP);
			n--;
		}
	}
}

/*
 * Clients waiting in the listeners' accept queues: the demand the busy
 * count does not show yet.
 */
static int
queued_clients(const struct master *m)
{
	int64_t n = 0;
	int i;

	for (i = 0; i < m->cfg->nlisteners; i++)
		if (m->lfds[i] >= 0)
			n += listen_queued(m->lfds[i]);
	return (n > INT_MAX ? INT_MAX : (int)n);
}

void
pool_maintain(struct master *m)
{
	const struct cfg_workers *cw = &m->cfg->workers;
	uint32_t i;
	int idle = 0, total = 0, n, queued;

	if (m->stopping || m->quitting)
		return;
	for (i = 0; i < m->nslots; i++) {
		int st;

		if (m->pids[i] <= 0 || m->gens[i] != m->generation ||
		    m->retired[i])
			continue;
		total++;
		st = sb_get_state(sb_slot(&m->shm, i));
		/* a worker still starting will be idle: do not over-fork */
		if (st == SB_IDLE || st == SB_STARTING)
			idle++;
	}
	publish_full(m);
	if (m->held && clock_now() - m->crash_second >= 2.0)
		m->held = 0;		/* a quiet second: back to normal */
	if (m->held) {
		/* the crash guard: one a second, up to start */
		if (total < cw->start)
			(void)pool_spawn(m);
		return;
	}
	if (idle > cw->max_spare) {
		/*
		 * One a second, as Apache does, or an eighth of the excess
		 * when that is more: a pool grown for a surge of hundreds
		 * gives its memory back in about half a minute, not minutes.
		 */
		n = (idle - cw->max_spare) / POOL_RETIRE_SHARE;
		retire_idle(m, n > 1 ? n : 1);
		m->spawn_rate = 1;
		return;
	}
	if (idle >= cw->min_spare && total >= cw->start) {
		m->spawn_rate = 1;
		return;
	}
	if (total >= cw->max) {
		double now = clock_now();

		/*
		 * Only when none is idle: with workers.count (min_spare =
		 * max) one busy worker is already short of min_spare, and
		 * "all busy" would be false.
		 */
		if (idle == 0 && now - m->max_logged >= POOL_MAX_LOG_EVERY) {
			log_warnx("reached workers.max (%d): all busy; "
			    "consider raising workers.max", cw->max);
			m->max_logged = now;
		}
		m->spawn_rate = 1;
		return;
	}
	/*
	 * What is short: up to min_spare idle, and up to start. While
	 * clients queue for a worker, fork at least the rate, which
	 * doubles each second (Apache's ramp: a surge is met within
	 * seconds), but not more than they and min_spare need. Apache
	 * cannot see its queue, and its ramp's last doubling overshoots
	 * min_spare by up to the rate (64 busy clients, min_spare 8: 79
	 * workers where 72 do); every worker too many costs its own pages
	 * for as long as it lives.
	 */
	n = cw->min_spare - idle;
	if (n < 0)
		n = 0;
	if (total < cw->start && n < cw->start - total)
		n = cw->start - total;
	queued = queued_clients(m);
	if (queued > 0 && n < m->spawn_rate)
		n = m->spawn_rate < n + queued ? m->spawn_rate : n + queued;
	if (n > cw->max - total)
		n = cw->max - total;
	if (queued > 0 && m->spawn_rate >= 8)
		log_info("busy: %d idle of %d workers, %d clients queued; "
		    "starting %d more", idle, total, queued, n);
	while (n-- > 0)
		if (pool_spawn(m) == -1)
			break;
	if (queued == 0)
		m->spawn_rate = 1;
	else if (m->spawn_rate < POOL_MAX_RATE)
		m->spawn_rate *= 2;
}

void
pool_retire_old(struct master *m, uint32_t gen)
{
	uint32_t i;

	/*
	 * Idle ones already woke on their pipe of death. A busy one sees the
	 * segment's generation move on, answers its current request with
	 * "Connection: close" and exits; the signal only makes sure one that
	 * was about to wait for a connection does not.
	 */
	for (i = 0; i < m->nslots; i++)
		if (m->pids[i] > 0 && m->gens[i] < gen) {
			m->retired[i] = 1;
			(void)kill(m->pids[i], SIGHUP);
		}
}

void
pool_signal_all(struct master *m, int sig)
{
	uint32_t i;

	for (i = 0; i < m->nslots; i++)
		if (m->pids[i] > 0)
			(void)kill(m->pids[i], sig);
}
