#include "config.h"

#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "master/checker.h"
#include "master/checker_ctl.h"
#include "master/master.h"

void
checker_ctl_end(struct master *m)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	pid_t r;
	int st, i;

	if (m->checker_pod >= 0) {
		(void)close(m->checker_pod);
		m->checker_pod = -1;
	}
	if (m->checker_pid <= 0)
		return;
	(void)kill(m->checker_pid, SIGTERM);
	for (i = 0; i < 200; i++) {
		r = waitpid(m->checker_pid, &st, WNOHANG);
		if (r == m->checker_pid || (r == -1 && errno == ECHILD))
			break;
		if (i == 199 || r == -1) {
			(void)kill(m->checker_pid, SIGKILL);
			(void)waitpid(m->checker_pid, &st, 0);
			break;
		}
		(void)nanosleep(&ts, NULL);
	}
	m->checker_pid = 0;
}

void
checker_ctl_start(struct master *m)
{
	int pod[2];
	pid_t pid;

	checker_ctl_end(m);
	m->checker_due = 0;
	if (pipe2(pod, O_CLOEXEC) == -1) {
		log_syserr("health checker: pipe");
		m->checker_due = clock_now() + 1.0;
		return;
	}
	pid = checker_start(m->cfg, m->rows, &m->shm, pod[0], &m->oldmask,
	    &m->privs);
	(void)close(pod[0]);
	if (pid <= 0) {
		(void)close(pod[1]);
		if (pid == -1) {
			log_syserr("health checker: fork");
			m->checker_due = clock_now() + 1.0;
		}
		return;
	}
	m->checker_pid = pid;
	m->checker_pod = pod[1];
}

int
checker_ctl_reaped(struct master *m, pid_t pid, int st)
{
	if (pid != m->checker_pid)
		return (0);
	m->checker_pid = 0;
	if (m->stopping || m->quitting)
		return (1);
	if (WIFSIGNALED(st))
		log_error("health checker killed by signal %d (%s); "
		    "restarting it", WTERMSIG(st), strsignal(WTERMSIG(st)));
	else
		log_error("health checker exited with status %d; restarting "
		    "it", WEXITSTATUS(st));
	m->checker_due = clock_now() + 1.0;
	return (1);
}

void
checker_ctl_tick(struct master *m, double now)
{
	if (m->checker_due > 0 && now >= m->checker_due && !m->quitting)
		checker_ctl_start(m);
}

void
checker_ctl_stop(struct master *m)
{
	if (m->checker_pod >= 0)
		(void)close(m->checker_pod);
	m->checker_pod = -1;
	if (m->checker_pid > 0)
		(void)kill(m->checker_pid, SIGTERM);
	m->checker_due = 0;
}
