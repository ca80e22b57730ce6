#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "keeper/keeper.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "master/keeper_ctl.h"
#include "master/master.h"
#include "master/privs.h"
#include "master/waiter_ctl.h"
#include "shared/counters.h"
#include "shared/health.h"
#include "shared/scoreboard.h"
#include "shared/store.h"

#define KEEPER_BACKOFF_MIN	1.0	/* s before a restart */
#define KEEPER_BACKOFF_MAX	30.0
#define KEEPER_YOUNG		10.0	/* s: dying sooner doubles the wait */

/*
 * Its slot after its death: a backend count it held given back, its
 * store hold released (a half-done fill dropped, its waiters woken), its
 * counters folded into the totals, the slot free again.
 */
static void
release(struct master *m)
{
	struct sb_slot *sb = sb_slot(&m->shm, m->nslots);
	uint32_t held = atomic_load(&sb->hc_held);

	if (held > 0 && held <= hc_rows(&m->shm))
		hc_release(&m->shm, held - 1);
	if (shm_store(&m->shm) != NULL)
		store_release_slot(shm_store(&m->shm),
		    shm_cache_slot(&m->shm, m->nslots));
	ctr_fold(&m->shm, sb);
	memset(sb, 0, sizeof(*sb));
}

void
keeper_ctl_close_pod(const struct master *m)
{
	if (m->keeper_pod >= 0)
		(void)close(m->keeper_pod);
}

void
keeper_ctl_end(struct master *m)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	pid_t r;
	int st, i;

	if (m->keeper_pod >= 0) {
		(void)close(m->keeper_pod);
		m->keeper_pod = -1;
	}
	if (m->keeper_pid <= 0)
		return;
	(void)kill(m->keeper_pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		r = waitpid(m->keeper_pid, &st, WNOHANG);
		if (r == m->keeper_pid || (r == -1 && errno == ECHILD))
			break;
		if (i == 199 || r == -1) {
			(void)kill(m->keeper_pid, SIGKILL);
			(void)waitpid(m->keeper_pid, &st, 0);
			break;
		}
		(void)nanosleep(&ts, NULL);
	}
	m->keeper_pid = 0;
	release(m);
}

void
keeper_ctl_start(struct master *m)
{
	struct keeper_args a;
	struct sb_slot *sb;
	int pod[2];
	pid_t pid;

	keeper_ctl_end(m);
	m->keeper_due = 0;
	if (shm_store(&m->shm) == NULL || shm_jobs(&m->shm) == NULL ||
	    m->cfg->cache.size == 0)
		return;
	if (pipe2(pod, O_CLOEXEC) == -1) {
		log_syserr("cache keeper: pipe");
		m->keeper_due = clock_now() + KEEPER_BACKOFF_MIN;
		return;
	}
	sb = sb_slot(&m->shm, m->nslots);
	memset(sb, 0, sizeof(*sb));
	sb->generation = m->generation;
	sb_set_state(sb, SB_STARTING);
	pid = fork();
	if (pid == -1) {
		log_syserr("cache keeper: fork");
		(void)close(pod[0]);
		(void)close(pod[1]);
		sb_set_state(sb, SB_DEAD);
		m->keeper_due = clock_now() + KEEPER_BACKOFF_MIN;
		return;
	}
	if (pid == 0) {
		int i;

		/* only the master holds write ends of pipes of death, and
		   only workers listen */
		(void)close(pod[1]);
		if (m->pod[0] >= 0)
			(void)close(m->pod[0]);
		if (m->pod[1] >= 0)
			(void)close(m->pod[1]);
		if (m->checker_pod >= 0)
			(void)close(m->checker_pod);
		for (i = 0; i < m->cfg->nlisteners; i++)
			if (m->lfds[i] >= 0)
				(void)close(m->lfds[i]);
		waiter_ctl_close_waiter_ends(m);
		if (waiter_ctl_park_fd(m) >= 0)
			(void)close(waiter_ctl_park_fd(m));
		if (waiter_ctl_ready_fd(m) >= 0)
			(void)close(waiter_ctl_ready_fd(m));
		/* it reads what backends send: not as root */
		if (privs_apply(&m->privs) == -1) {
			log_syserr("cache keeper: switching to user %s",
			    m->privs.user);
			_exit(3);
		}
		memset(&a, 0, sizeof(a));
		a.cfg = m->cfg;
		a.shm = &m->shm;
		a.rows = m->rows;
		a.slot = m->nslots;
		a.generation = m->generation;
		a.pod_fd = pod[0];
		a.sigmask = m->oldmask;
		keeper_main(&a);
	}
	(void)close(pod[0]);
	m->keeper_pid = pid;
	m->keeper_pod = pod[1];
	m->keeper_started = clock_now();
}

int
keeper_ctl_reaped(struct master *m, pid_t pid, int st)
{
	double now = clock_now();

	if (pid != m->keeper_pid || pid <= 0)
		return (0);
	m->keeper_pid = 0;
	if (m->keeper_pod >= 0) {
		(void)close(m->keeper_pod);
		m->keeper_pod = -1;
	}
	release(m);
	if (m->stopping || m->quitting)
		return (1);
	/* dying young again and again: wait longer each time */
	if (now - m->keeper_started < KEEPER_YOUNG)
		m->keeper_backoff = m->keeper_backoff < KEEPER_BACKOFF_MIN ?
		    KEEPER_BACKOFF_MIN : m->keeper_backoff * 2;
	else
		m->keeper_backoff = KEEPER_BACKOFF_MIN;
	if (m->keeper_backoff > KEEPER_BACKOFF_MAX)
		m->keeper_backoff = KEEPER_BACKOFF_MAX;
	if (WIFSIGNALED(st))
		log_error("cache keeper killed by signal %d (%s); restarting "
		    "it in %.0f s", WTERMSIG(st), strsignal(WTERMSIG(st)),
		    m->keeper_backoff);
	else
		log_error("cache keeper exited with status %d; restarting it "
		    "in %.0f s", WEXITSTATUS(st), m->keeper_backoff);
	m->keeper_due = now + m->keeper_backoff;
	return (1);
}

void
keeper_ctl_tick(struct master *m, double now)
{
	if (m->keeper_due > 0 && now >= m->keeper_due && !m->quitting &&
	    !m->stopping)
		keeper_ctl_start(m);
}

void
keeper_ctl_stop(struct master *m)
{
	if (m->keeper_pod >= 0)
		(void)close(m->keeper_pod);
	m->keeper_pod = -1;
	if (m->keeper_pid > 0)
		(void)kill(m->keeper_pid, SIGTERM);
	m->keeper_due = 0;
}
