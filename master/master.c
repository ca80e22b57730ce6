#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>

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
#include "master/backends.h"
#include "master/cachefile.h"
#include "master/checker_ctl.h"
#include "master/drain.h"
#include "master/keeper_ctl.h"
#include "master/listen.h"
#include "master/master.h"
#include "master/pidfile.h"
#include "master/pool.h"
#include "master/privs.h"
#include "master/reload.h"
#include "master/upgrade.h"
#include "master/waiter_ctl.h"
#include "shared/counters.h"
#include "shared/health.h"
#include "shared/rate.h"
#include "shared/scoreboard.h"
#include "shared/shm.h"
#include "shared/store.h"

/* Fast stop: how long workers get after SIGTERM before SIGKILL. */
#define STOP_GRACE		5.0
/* Pools counted in the segment: room for reloads that add pools. */
#define MIN_POOL_SLOTS		64
/* Backend table rows: room for reloads that add servers. */
#define MIN_BACKEND_ROWS	256
/* File descriptors a worker may need beyond its idle upstream ones. */
#define FDS_PER_WORKER		64

static void
open_pod(struct master *m)
{
	if (pipe2(m->pod, O_CLOEXEC) == -1)
		log_fatal("pipe: %s", strerror(errno));
}

/* Bump the generation: old workers finish and exit, new ones start. */
static void
master_new_generation(struct master *m)
{
	int pod[2], i, want;

	if (pipe2(pod, O_CLOEXEC) == -1) {
		log_syserr("new generation: pipe");
		return;
	}
	/* as many as the old generation had, so a busy service keeps pace */
	want = pool_count(m, m->generation);
	if (want < m->cfg->workers.start)
		want = m->cfg->workers.start;
	if (want > m->cfg->workers.max)
		want = m->cfg->workers.max;
	m->generation++;
	atomic_store(&m->shm.hdr->generation, m->generation);
	/*
	 * Closing the old pipe wakes every idle worker of the old generation
	 * at once. It must be closed before the new workers are forked, or
	 * they would hold it open.
	 */
	(void)close(m->pod[0]);
	(void)close(m->pod[1]);
	m->pod[0] = pod[0];
	m->pod[1] = pod[1];
	m->spawn_rate = 1;
	for (i = 0; i < want; i++)
		if (pool_spawn(m) == -1)
			break;
	pool_retire_old(m, m->generation);
}

/* Fast stop: TERM every worker, then KILL what is left after a grace. */
static void
stop_workers(struct master *m)
{
	sigset_t chld;
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	double deadline = clock_now() + STOP_GRACE;

	m->stopping = 1;
	checker_ctl_stop(m);
	keeper_ctl_stop(m);
	waiter_ctl_stop(m);
	pool_signal_all(m, SIGTERM);
	(void)sigemptyset(&chld);
	(void)sigaddset(&chld, SIGCHLD);
	/* the waiter too: nothing of porter outlives its master */
	while ((m->nworkers > 0 || m->waiter_pid > 0 || m->keeper_pid > 0) &&
	    clock_now() < deadline) {
		(void)sigtimedwait(&chld, NULL, &ts);
		pool_reap(m);
	}
	if (m->nworkers > 0) {
		log_warnx("%d worker(s) did not stop; killing them",
		    m->nworkers);
		pool_signal_all(m, SIGKILL);
	}
	if (m->waiter_pid > 0)
		(void)kill(m->waiter_pid, SIGKILL);
	if (m->keeper_pid > 0)
		(void)kill(m->keeper_pid, SIGKILL);
	while (m->nworkers > 0 || m->waiter_pid > 0 || m->keeper_pid > 0) {
		(void)sigtimedwait(&chld, NULL, &ts);
		pool_reap(m);
	}
}

/* Graceful stop: accept no more, let requests in flight finish. */
static void
quit_start(struct master *m)
{
	int i;

	if (m->quitting)
		return;
	m->quitting = 1;
	checker_ctl_stop(m);
	keeper_ctl_stop(m);
	/* it hands back what it holds, then exits */
	waiter_ctl_drain(m);
	m->quit_deadline = clock_now() + m->cfg->shutdown_timeout;
	log_info("graceful stop: waiting up to %.1f s for %d worker(s)",
	    m->cfg->shutdown_timeout, m->nworkers);
	/* the workers hold their own copies; they close them as they go */
	for (i = 0; i < m->cfg->nlisteners; i++) {
		(void)close(m->lfds[i]);
		m->lfds[i] = -1;
	}
	m->generation++;
	atomic_store(&m->shm.hdr->generation, m->generation);
	(void)close(m->pod[0]);
	(void)close(m->pod[1]);
	m->pod[0] = m->pod[1] = -1;
	pool_retire_old(m, m->generation);
}

/*
 * Detach. The process that was started waits until the daemon says it
 * is ready (listening, pid file written: daemon_ready()) and exits 0,
 * or 1 if the daemon died first, so "porter && porter -s stop" and init
 * scripts never race the pid file, and a failed start is a failed command.
 */
static int	ready_fd = -1;

static void
daemonize(int keep_stderr)
{
	pid_t pid;
	int fd, p[2];
	char c;

	if (pipe2(p, O_CLOEXEC) == -1)
		log_fatal("pipe: %s", strerror(errno));
	if ((pid = fork()) == -1)
		log_fatal("fork: %s", strerror(errno));
	if (pid > 0) {
		ssize_t n;

		(void)close(p[1]);
		do
			n = read(p[0], &c, 1);
		while (n == -1 && errno == EINTR);
		_exit(n == 1 ? 0 : 1);
	}
	(void)close(p[0]);
	ready_fd = p[1];
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
daemon_ready(void)
{
	if (ready_fd == -1)
		return;
	if (write(ready_fd, "1", 1) != 1)
		log_syserr("telling the starting process we are ready");
	(void)close(ready_fd);
	ready_fd = -1;
}

/* Enough descriptors for a worker's client, backends and logs. */
static void
raise_nofile(const struct cfg *cfg)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)(cfg->nlisteners + cfg->upstream_keepalive +
	    cfg->nlogs + FDS_PER_WORKER);

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= want ?
	    want : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		log_warn("raising RLIMIT_NOFILE to %llu",
		    (unsigned long long)want);
	else if (rl.rlim_cur < want)
		log_warnx("RLIMIT_NOFILE is capped at %llu; workers may run "
		    "out of descriptors", (unsigned long long)rl.rlim_cur);
}

/* Refuse to start over a live porter named in the pid file. */
static void
pidfile_claim(const struct cfg *cfg)
{
	pid_t pid;

	if (cfg->pid_file == NULL)
		return;
	if (pidfile_read(cfg->pid_file, &pid) == 0 && pid != getpid() &&
	    pidfile_is_porter(pid))
		log_fatal("porter is already running (pid %ld, pid file %s)",
		    (long)pid, cfg->pid_file);
}

void
master_cache_params(const struct cfg *cfg, uint32_t nslots,
    struct store_params *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->size = cfg->cache.size;
	sp->chunk_size = cfg->cache.chunk_size;
	sp->max_object = cfg->cache.max_object;
	sp->nslots = nslots + 1;	/* and the cache keeper's hold */
	sp->max_variants = cfg->cache.max_variants;
	sp->max_waiters = cfg->cache.max_waiters;
	sp->collapse_ms = (uint32_t)(cfg->cache.collapse_timeout * 1000);
}

static void
setup(struct master *m, struct addrlist *addrs)
{
	struct cfg *cfg = m->cfg;
	struct shm_sizes z;
	struct store_params sp;
	struct log_sinks *sinks;
	char err[CFG_ERRLEN];
	int inherited;

	log_set_level(cfg->log_level + 1);	/* cfg levels start at error */
	if (log_open_dest(&cfg->error_to) == -1)
		log_fatal("error_log %s: %s", cfg->error_log, strerror(errno));
	if ((sinks = log_sinks_open(cfg->logs, cfg->nlogs, err,
	    sizeof(err))) == NULL)
		log_fatal("%s", err);
	log_sinks_use(sinks);
	pidfile_claim(cfg);
	inherited = upgrade_inherited();
	if (inherited)
		upgrade_adopt(m);
	else if ((m->lfds = listen_all(cfg, NULL, 0, err, sizeof(err))) == NULL)
		log_fatal("%s", err);
	if (privs_resolve(cfg, &m->privs, err, sizeof(err)) == -1)
		log_fatal("%s", err);
	raise_nofile(cfg);
	pool_check_nice(cfg);
	/* a new binary started by USR2 is already detached, as a child of
	 * the old master (nginx does the same) */
	if (!m->foreground && !inherited)
		daemonize(strcmp(cfg->error_log, "stderr") == 0);
	if (cfg->pid_file != NULL && pidfile_write(cfg->pid_file) == -1)
		log_fatal("pid_file %s: %s", cfg->pid_file, strerror(errno));
	/*
	 * Old and new workers share the scoreboard during a graceful
	 * restart: room for two full generations.
	 */
	m->nslots = (uint32_t)cfg->workers.max * 2;
	/* with a cache, one more: the cache keeper's (keeper_ctl.c) */
	z.nslots = m->nslots + (cfg->cache.size > 0 ? 1 : 0);
	z.npools = (uint32_t)(cfg->npools > MIN_POOL_SLOTS ? cfg->npools :
	    MIN_POOL_SLOTS);
	/* backend rows: room for reloads that add servers */
	z.nrows = (uint32_t)cfg_nservers(cfg) * 2;
	if (z.nrows < MIN_BACKEND_ROWS)
		z.nrows = MIN_BACKEND_ROWS;
	z.cache = NULL;
	z.cache_apart = 0;
	if (cfg->cache.size > 0) {
		master_cache_params(cfg, m->nslots, &sp);
		z.cache = &sp;
		z.cache_apart = cfg->cache.path != NULL;
	}
	if (shm_create(&m->shm, &z) == -1)
		log_fatal("shared memory: %s", strerror(errno));
	/* the cache's own mapping, before the first fork too */
	if (z.cache_apart && cachefile_open(&m->shm, cfg->cache.path, &sp,
	    &m->privs) == -1)
		log_fatal("cache.path %s: porter cannot start",
		    cfg->cache.path);
	if ((m->rows = calloc((size_t)cfg_nservers(cfg) + 1,
	    sizeof(*m->rows))) == NULL)
		log_fatal("out of memory");
	if (hc_assign(&m->shm, cfg, NULL, m->rows) == -1)
		log_fatal("shared memory: backend table too small");
	/* before any child: the master is the segment's only writer now */
	backends_publish(&m->shm, cfg, m->rows, addrs);
	ctr_lst_claim_all(&m->shm, cfg);
	free(addrs);
	open_pod(m);
	if (arena_init(&m->own, m->nslots * (sizeof(*m->pids) +
	    sizeof(*m->gens) + sizeof(*m->retired)) + 64) == -1 ||
	    arena_not_inherited(&m->own) == -1)
		log_fatal("memory for the worker table: %s", strerror(errno));
	m->pids = arena_small(&m->own, m->nslots * sizeof(*m->pids));
	m->gens = arena_small(&m->own, m->nslots * sizeof(*m->gens));
	m->retired = arena_small(&m->own, m->nslots * sizeof(*m->retired));
	if (m->pids == NULL || m->gens == NULL || m->retired == NULL)
		log_fatal("out of memory");
	m->generation = atomic_load(&m->shm.hdr->generation);
	m->spawn_rate = 1;
}

static void
teardown(struct master *m)
{
	int i;

	if (m->upgrade_pid > 0)
		upgrade_release_pidfile(m);	/* the new master has the name */
	else if (m->cfg->pid_file != NULL)
		(void)unlink(m->cfg->pid_file);
	for (i = 0; i < m->cfg->nlisteners; i++)
		if (m->lfds[i] >= 0)
			(void)close(m->lfds[i]);
	if (m->pod[0] >= 0) {
		(void)close(m->pod[0]);
		(void)close(m->pod[1]);
	}
	/* every child is gone: the cache file may be marked clean */
	cachefile_close(&m->shm);
	shm_destroy(&m->shm);
	free(m->lfds);
	arena_free(&m->own);
	free(m->rows);
	cfg_free(m->cfg);
}

/* The binary to exec on USR2, remembered now: it may be replaced on disk. */
static const char *
own_binary(const char *argv0)
{
	static char exe[4096];
	ssize_t n;

	if ((n = readlink("/proc/self/exe", exe, sizeof(exe) - 1)) > 0) {
		exe[n] = '\0';
		/* an upgraded binary is a new file; the old name is the one */
		if (n > 10 && strcmp(exe + n - 10, " (deleted)") == 0)
			exe[n - 10] = '\0';
	} else
		(void)snprintf(exe, sizeof(exe), "%s", argv0);
	return (exe);
}

/*
 * Block the signals the master takes synchronously with sigtimedwait:
 * no handlers, no races between a flag and a sleep. The old mask is
 * what children restore.
 */
static void
block_signals(sigset_t *set, sigset_t *old)
{
	const int sigs[] = { SIGCHLD, SIGTERM, SIGINT, SIGQUIT, SIGHUP,
	    SIGUSR1, SIGUSR2, SIGPIPE, DRAIN_SIGNAL };
	size_t i;

	(void)sigemptyset(set);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		(void)sigaddset(set, sigs[i]);
	if (sigprocmask(SIG_BLOCK, set, old) == -1)
		log_fatal("sigprocmask: %s", strerror(errno));
}

/* HUP: a new configuration, or the running one kept if it is bad. */
static void
on_reload(struct master *m)
{
	if (m->quitting)
		return;
	log_info("SIGHUP: reloading %s", m->cfg_path);
	if (reload_config(m) == 0) {
		pool_check_nice(m->cfg);
		/* before the new workers: they need the hand-off pairs */
		waiter_ctl_apply(m);
		master_new_generation(m);
		checker_ctl_start(m);
		keeper_ctl_start(m);
		log_info("reloaded: generation %u", m->generation);
	}
}

/*
 * USR1: reopen the logs here, then start a new generation of workers,
 * which inherit the new files (workers run as another user and may not
 * open them themselves).
 */
static void
on_reopen(struct master *m)
{
	if (log_reopen() == -1) {
		log_syserr("reopening logs");
		return;
	}
	log_info("SIGUSR1: logs reopened");
	if (!m->quitting) {
		master_new_generation(m);
		/* it logs too: onto the new file */
		checker_ctl_start(m);
		keeper_ctl_start(m);
	}
}

/* The status page's requests a second: the total, once a second. */
static void
rate_tick(struct master *m)
{
	int64_t sec = clock_now_ms() / 1000;
	uint64_t v[CTR_N];

	if (!rate_due(&m->shm.hdr->rate, sec))
		return;
	(void)ctr_totals(&m->shm, v);
	rate_sample(&m->shm.hdr->rate, sec, v[CTR_ID(requests)]);
}

/*
 * Once a turn of the loop, after any signal: the checker's restart, the
 * graceful stop's progress, the pool's size once a second. 1 when the
 * master is done.
 */
static int
master_tick(struct master *m, double *last_tick)
{
	double now = clock_now();

	checker_ctl_tick(m, now);
	keeper_ctl_tick(m, now);
	waiter_ctl_tick(m, now);
	rate_tick(m);
	if (m->quitting) {
		pool_reap(m);
		/* the waiter hands back its last connections first */
		if (m->nworkers == 0 && m->waiter_pid <= 0 &&
		    m->keeper_pid <= 0) {
			log_info("graceful stop: all workers done");
			return (1);
		}
		if (now >= m->quit_deadline) {
			log_warnx("graceful stop: shutdown_timeout passed; "
			    "stopping %d worker(s) now", m->nworkers);
			stop_workers(m);
			return (1);
		}
	}
	if (now - *last_tick >= 1.0) {
		*last_tick = now;
		pool_maintain(m);
		/*
		 * Dying cache entries that a dead worker's release could not
		 * free at once (a lock was busy): freed here (trylock only),
		 * and by the cache keeper's sweeps.
		 */
		if (shm_store(&m->shm) != NULL)
			(void)store_reclaim(shm_store(&m->shm));
	}
	return (0);
}

int
master_run(struct cfg *cfg, struct addrlist *addrs, const char *cfg_path,
    int foreground, char *const argv[])
{
	struct master m;
	sigset_t set;
	siginfo_t info;
	double last_tick;
	int i, sig;

	memset(&m, 0, sizeof(m));
	m.checker_pod = -1;
	m.keeper_pod = -1;
	waiter_ctl_init(&m);
	m.cfg = cfg;
	m.cfg_path = cfg_path;
	m.foreground = foreground;
	m.argv = argv;
	m.exe = own_binary(argv[0]);
	block_signals(&set, &m.oldmask);

	setup(&m, addrs);
	log_info("porter %s started: %d listener(s), %d worker(s)",
	    PACKAGE_VERSION, m.cfg->nlisteners, m.cfg->workers.start);
	/* before the first fork, so no worker holds the pipe */
	daemon_ready();
	/* the waiter first: workers are forked with its hand-off pairs */
	waiter_ctl_apply(&m);
	for (i = 0; i < m.cfg->workers.start; i++)
		if (pool_spawn(&m) == -1)
			break;
	checker_ctl_start(&m);
	keeper_ctl_start(&m);
	last_tick = clock_now();

	for (;;) {
		struct timespec ts = { 0, 250 * 1000 * 1000 };

		sig = sigtimedwait(&set, &info, &ts);
		if (sig == -1 && errno != EAGAIN && errno != EINTR)
			log_syserr("sigtimedwait");
		if (sig == SIGTERM || sig == SIGINT) {
			log_info("signal %d: stopping", sig);
			stop_workers(&m);
			break;
		}
		if (sig == SIGCHLD)
			pool_reap(&m);
		else if (sig == SIGQUIT)
			quit_start(&m);
		else if (sig == SIGHUP)
			on_reload(&m);
		else if (sig == SIGUSR1)
			on_reopen(&m);
		else if (sig == SIGUSR2 && !m.quitting)
			upgrade_start(&m);
		else if (sig == DRAIN_SIGNAL)
			drain_apply(&m, info.si_value.sival_int);
		if (master_tick(&m, &last_tick))
			break;
	}
	teardown(&m);
	log_info("stopped");
	return (0);
}
