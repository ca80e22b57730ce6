#include "config.h"

#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/cfg.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "master/listen.h"
#include "master/master.h"
#include "master/privs.h"
#include "shared/scoreboard.h"
#include "shared/shm.h"
#include "worker/worker.h"

/* Fast stop: how long workers get after SIGTERM before SIGKILL. */
#define STOP_GRACE		5.0
/* Crash loop guard: more unexpected deaths than this in one second... */
#define CRASH_BURST		8

struct master {
	struct cfg	*cfg;
	int		*lfds;
	struct shm	 shm;
	struct privs	 privs;
	uint32_t	 generation;
	int		 death[2];	/* workers hold [0]; closing [1] wakes all */
	pid_t		*pids;		/* by slot; the master's own record */
	int		 nworkers;
	sigset_t	 oldmask;	/* restored in each child */
	double		 crash_second;	/* start of the current count */
	int		 crashes;
	int		 held;		/* respawns held back by the guard */
	int		 stopping;	/* workers were told to stop */
};

static void
spawn(struct master *m)
{
	struct worker_args a;
	struct sb_slot *sb;
	pid_t pid;
	int slot = -1, i;

	for (i = 0; i < m->cfg->workers.max; i++)
		if (m->pids[i] == 0) {
			slot = i;
			break;
		}
	if (slot == -1)
		return;
	sb = sb_slot(&m->shm, (uint32_t)slot);
	/* The slot is the master's until the child owns it. */
	memset(sb, 0, sizeof(*sb));
	sb->generation = m->generation;
	sb_set_state(sb, SB_STARTING);

	pid = fork();
	if (pid == -1) {
		log_syserr("fork");
		sb_set_state(sb, SB_DEAD);
		return;
	}
	if (pid == 0) {
		(void)sigprocmask(SIG_SETMASK, &m->oldmask, NULL);
		(void)close(m->death[1]);
		/* a worker never outlives its master */
		(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (getppid() == 1)
			_exit(0);
		if (privs_apply(&m->privs) == -1) {
			log_syserr("switching to user %s", m->privs.user);
			_exit(3);
		}
		a.cfg = m->cfg;
		a.shm = &m->shm;
		a.slot = (uint32_t)slot;
		a.generation = m->generation;
		a.lfds = m->lfds;
		a.death_fd = m->death[0];
		worker_main(&a);
	}
	m->pids[slot] = pid;
	m->nworkers++;
}

/* Reap every dead child; log the unexpected ones with what they served. */
static void
reap(struct master *m)
{
	pid_t pid;
	int st, i;

	while ((pid = waitpid(-1, &st, WNOHANG)) > 0) {
		struct sb_slot *sb = NULL;
		int expected;

		for (i = 0; i < m->cfg->workers.max; i++)
			if (m->pids[i] == pid) {
				sb = sb_slot(&m->shm, (uint32_t)i);
				break;
			}
		if (sb == NULL)
			continue;
		expected = (WIFEXITED(st) && WEXITSTATUS(st) == 0) ||
		    (m->stopping && WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
		if (expected)
			log_debug("worker %ld (slot %d) exited", (long)pid, i);
		else if (WIFSIGNALED(st))
			log_error("worker %ld (slot %d) killed by signal %d "
			    "(%s)%s%s", (long)pid, i, WTERMSIG(st),
			    strsignal(WTERMSIG(st)),
			    sb->request[0] ? " while serving: " : "",
			    sb->request);
		else
			log_error("worker %ld (slot %d) exited with status %d"
			    "%s%s", (long)pid, i, WEXITSTATUS(st),
			    sb->request[0] ? " while serving: " : "",
			    sb->request);
		memset(sb, 0, sizeof(*sb));	/* SB_DEAD: free again */
		m->pids[i] = 0;
		m->nworkers--;
		if (!expected) {
			double now = clock_now();

			if (now - m->crash_second >= 1.0) {
				m->crash_second = now;
				m->crashes = 0;
			}
			m->crashes++;
		}
	}
}

/* Bring the pool back to its size, unless workers die in a loop. */
static void
maintain(struct master *m, int tick)
{
	int want = m->cfg->workers.start;

	if (m->crashes > CRASH_BURST && clock_now() - m->crash_second < 1.0) {
		if (!m->held)
			log_error("workers are dying in a loop; respawning "
			    "at most one a second");
		m->held = 1;
		if (tick && m->nworkers < want)
			spawn(m);
		return;
	}
	m->held = 0;
	while (m->nworkers < want) {
		int before = m->nworkers;

		spawn(m);
		if (m->nworkers == before)
			break;		/* fork failed; try next tick */
	}
}

static void
stop_workers(struct master *m)
{
	sigset_t chld;
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	double deadline = clock_now() + STOP_GRACE;
	int i;

	m->stopping = 1;
	for (i = 0; i < m->cfg->workers.max; i++)
		if (m->pids[i] > 0)
			(void)kill(m->pids[i], SIGTERM);
	(void)sigemptyset(&chld);
	(void)sigaddset(&chld, SIGCHLD);
	while (m->nworkers > 0 && clock_now() < deadline) {
		(void)sigtimedwait(&chld, NULL, &ts);
		reap(m);
	}
	for (i = 0; i < m->cfg->workers.max; i++)
		if (m->pids[i] > 0) {
			log_warnx("worker %ld did not stop; killing it",
			    (long)m->pids[i]);
			(void)kill(m->pids[i], SIGKILL);
		}
	while (m->nworkers > 0) {
		(void)sigtimedwait(&chld, NULL, &ts);
		reap(m);
	}
}

/* Write the pid file whole or not at all: write a temporary, rename it. */
static int
pidfile_write(const char *path)
{
	char tmp[4096], buf[32];
	int fd, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return (-1);
	}
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) ==
	    -1)
		return (-1);
	n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	if (write(fd, buf, (size_t)n) != n || close(fd) == -1) {
		(void)unlink(tmp);
		return (-1);
	}
	if (rename(tmp, path) == -1) {
		(void)unlink(tmp);
		return (-1);
	}
	return (0);
}

static void
daemonize(int keep_stderr)
{
	pid_t pid;
	int fd;

	if ((pid = fork()) == -1)
		log_fatal("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	if (setsid() == -1)
		log_fatal("setsid: %s", strerror(errno));
	if ((pid = fork()) == -1)
		log_fatal("fork: %s", strerror(errno));
	if (pid > 0)
		_exit(0);
	(void)umask(022);
	if (chdir("/") == -1)
		log_fatal("chdir /: %s", strerror(errno));
	if ((fd = open("/dev/null", O_RDWR)) == -1)
		log_fatal("/dev/null: %s", strerror(errno));
	(void)dup2(fd, STDIN_FILENO);
	(void)dup2(fd, STDOUT_FILENO);
	/* error_log = "stderr" keeps it; otherwise the log file has it all */
	if (!keep_stderr)
		(void)dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		(void)close(fd);
}

static void
setup(struct master *m, int foreground)
{
	struct cfg *cfg = m->cfg;
	struct shm_sizes z;
	char err[512];
	int i;

	log_set_level(cfg->log_level + 1);	/* cfg levels start at error */
	if (log_open(cfg->error_log) == -1)
		log_fatal("error_log %s: %s", cfg->error_log, strerror(errno));
	if (log_access_open(cfg->access_log) == -1)
		log_fatal("access_log %s: %s", cfg->access_log,
		    strerror(errno));
	if ((m->lfds = calloc((size_t)cfg->nlisteners, sizeof(int))) == NULL)
		log_fatal("out of memory");
	for (i = 0; i < cfg->nlisteners; i++)
		if ((m->lfds[i] = listen_open(cfg, &cfg->listeners[i], err,
		    sizeof(err))) == -1)
			log_fatal("%s", err);
	if (privs_resolve(cfg, &m->privs, err, sizeof(err)) == -1)
		log_fatal("%s", err);
	if (!foreground)
		daemonize(strcmp(cfg->error_log, "stderr") == 0);
	if (cfg->pid_file != NULL && pidfile_write(cfg->pid_file) == -1)
		log_fatal("pid_file %s: %s", cfg->pid_file, strerror(errno));
	z.nslots = (uint32_t)cfg->workers.max;
	z.npools = (uint32_t)cfg->npools;
	if (shm_create(&m->shm, &z) == -1)
		log_fatal("shared memory: %s", strerror(errno));
	if (pipe2(m->death, O_CLOEXEC) == -1)
		log_fatal("pipe: %s", strerror(errno));
	if ((m->pids = calloc((size_t)cfg->workers.max, sizeof(pid_t))) ==
	    NULL)
		log_fatal("out of memory");
	m->generation = atomic_load(&m->shm.hdr->generation);
}

int
master_run(struct cfg *cfg, int foreground)
{
	struct master m;
	sigset_t set;
	int i, sig;

	memset(&m, 0, sizeof(m));
	m.cfg = cfg;
	/*
	 * Signals are taken synchronously with sigtimedwait: no handlers, no
	 * races between a flag and a sleep.
	 */
	(void)sigemptyset(&set);
	(void)sigaddset(&set, SIGCHLD);
	(void)sigaddset(&set, SIGTERM);
	(void)sigaddset(&set, SIGINT);
	(void)sigaddset(&set, SIGQUIT);
	(void)sigaddset(&set, SIGHUP);
	(void)sigaddset(&set, SIGUSR1);
	(void)sigaddset(&set, SIGUSR2);
	(void)sigaddset(&set, SIGPIPE);
	if (sigprocmask(SIG_BLOCK, &set, &m.oldmask) == -1)
		log_fatal("sigprocmask: %s", strerror(errno));

	setup(&m, foreground);
	log_info("porter %s started: %d listener(s), %d worker(s)",
	    PACKAGE_VERSION, cfg->nlisteners, cfg->workers.start);
	maintain(&m, 1);

	for (;;) {
		struct timespec ts = { 1, 0 };

		sig = sigtimedwait(&set, NULL, &ts);
		if (sig == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_syserr("sigtimedwait");
			maintain(&m, 1);
			continue;
		}
		if (sig == SIGTERM || sig == SIGINT)
			break;
		switch (sig) {
		case SIGCHLD:
			reap(&m);
			maintain(&m, 0);
			break;
		case SIGQUIT:
			log_warnx("SIGQUIT: graceful stop is not available "
			    "yet; stopping now");
			goto stop;
		case SIGHUP:
			log_warnx("SIGHUP: reloading is not available yet; "
			    "keeping the running configuration");
			break;
		case SIGUSR1:
			if (log_reopen() == -1)
				log_syserr("reopening logs");
			break;
		default:
			break;
		}
	}
stop:
	log_info("signal %d: stopping", sig);
	stop_workers(&m);
	if (cfg->pid_file != NULL)
		(void)unlink(cfg->pid_file);
	for (i = 0; i < cfg->nlisteners; i++)
		(void)close(m.lfds[i]);
	(void)close(m.death[0]);
	(void)close(m.death[1]);
	shm_destroy(&m.shm);
	free(m.lfds);
	free(m.pids);
	log_info("stopped");
	cfg_free(cfg);
	return (0);
}
