#include "config.h"

#include <sys/prctl.h>
#include <sys/socket.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keeper/keeper.h"
#include "lib/handoff.h"
#include "lib/log.h"
#include "shared/jobs.h"
#include "shared/purge.h"
#include "shared/scoreboard.h"
#include "shared/store.h"
#include "worker/conn.h"
#include "worker/state.h"
#include "worker/worker.h"

static volatile sig_atomic_t	stop;

static void
on_quit(int sig)
{
	(void)sig;
	stop = 1;
}

/*
 * TERM ends it where it stands (a job in hand is redone by the next
 * keeper); QUIT and HUP, which reach it when sent to the whole group,
 * end it after the job in hand. PIPE: every refresh writes to a closed
 * socket.
 */
static void
set_signals(const sigset_t *restore)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigaction(SIGUSR1, &sa, NULL);
	(void)sigaction(SIGUSR2, &sa, NULL);
	sa.sa_handler = on_quit;
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGQUIT, &sa, NULL);
	(void)sigprocmask(SIG_SETMASK, restore, NULL);
}

/* Whether the master is gone or has hung up the keeper's pipe. */
static int
told_to_exit(int pod_fd, pid_t parent)
{
	struct pollfd p = { .fd = pod_fd, .events = POLLIN };
	char c;

	if (stop || getppid() != parent)
		return (1);
	if (poll(&p, 1, 0) <= 0)
		return (0);
	if (p.revents & POLLNVAL)
		return (1);
	return (read(pod_fd, &c, 1) == 0);
}

int
keeper_refresh_spec(struct job_spec *spec, const struct sockaddr *peer,
    socklen_t peer_len, const char *head, size_t hlen)
{
	struct keeper_refresh kr;

	if (hlen > KEEPER_HEAD_MAX)
		return (-1);
	memset(spec, 0, offsetof(struct job_spec, data));
	memset(&kr, 0, sizeof(kr));
	if (peer_len > 0 && peer_len <= KEEPER_PEER_MAX) {
		kr.peer_len = (uint8_t)peer_len;
		memcpy(kr.peer, peer, peer_len);
	}
	spec->kind = JOB_REFRESH;
	memcpy(spec->data, &kr, sizeof(kr));
	memcpy(spec->data + sizeof(kr), head, hlen);
	spec->len = (uint32_t)(sizeof(kr) + hlen);
	return (0);
}

/*
 * A refresh: the request served again by the workers' own code, so it
 * takes the same route, pools, balancer, health table and cache rules.
 * The client is a socket whose other end is already closed: the head is
 * handed over as a waiter hands one back (already counted: no request,
 * rate or connection limit counts it twice), the response's writes fail
 * at once, and the cache's tee goes on filling without the client, as it
 * does when a client goes away mid-fill. The cache sees w->keeper: the
 * stale copy is revalidated (its validators) or fetched anew, never
 * served stale again.
 */
static int
refresh(struct worker *w, const struct job_spec *spec)
{
	const struct cfg *cfg = w->cfg;
	struct keeper_refresh kr;
	struct handoff h;
	size_t hlen;
	int sv[2];

	if (spec->len < sizeof(kr) || spec->listener >= (uint32_t)
	    cfg->nlisteners || cfg->listeners[spec->listener].mode !=
	    CFG_MODE_REVERSE)
		return (JOB_DROPPED);	/* its listener went with a reload */
	memcpy(&kr, spec->data, sizeof(kr));
	hlen = spec->len - sizeof(kr);
	if (hlen == 0 || hlen > w->ccap || kr.peer_len > sizeof(h.peer))
		return (JOB_DROPPED);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == -1) {
		log_syserr("refresh: socketpair");
		return (JOB_DROPPED);
	}
	(void)close(sv[1]);
	memset(&h, 0, sizeof(h));
	h.magic = HANDOFF_MAGIC;
	h.generation = w->generation;
	h.listener = (uint16_t)spec->listener;
	h.flags = HANDOFF_COUNTED;
	h.len = (uint32_t)hlen;
	memcpy(&h.peer, kr.peer, kr.peer_len);
	h.peerlen = kr.peer_len;
	memcpy(w->cbuf, spec->data + sizeof(kr), hlen);
	/* conn_serve closes sv[0] */
	conn_serve(w, &cfg->listeners[spec->listener], -1, sv[0], &h.peer.sa,
	    (socklen_t)h.peerlen, &h);
	/* it counted a connection back from the waiter: not one */
	atomic_fetch_sub_explicit(&w->sb->unparked, 1, memory_order_relaxed);
	return (JOB_DONE);
}

/*
 * Purges by prefix and tag: the store's scan (shared/purge.c); a job
 * that is not one it knows is dropped (its view says so).
 */
static int
purge(struct store *st, const struct job_spec *spec, uint64_t *result)
{
	int64_t n = purge_run_job(st, spec);

	*result = n > 0 ? (uint64_t)n : 0;
	return (n < 0 ? JOB_DROPPED : JOB_DONE);
}

/*
 * What the sweep keeps past an entry's own stale windows, in ms: the
 * longest cache_grace of any route (for entries that carry neither
 * directive), and KEEPER_LINGER_MS for a client's max-stale.
 */
static int64_t
grace_ms(const struct cfg *cfg)
{
	double g = 0;
	int i, j;

	for (i = 0; i < cfg->nlisteners; i++)
		for (j = 0; j < cfg->listeners[i].nroutes; j++)
			if (cfg->listeners[i].routes[j].cache.grace > g)
				g = cfg->listeners[i].routes[j].cache.grace;
	return ((int64_t)(g * 1000) + KEEPER_LINGER_MS);
}

static void
run(struct worker *w, struct store *st, struct jobs *jb, uint64_t id,
    const struct job_spec *spec, int64_t keep_ms)
{
	uint64_t result = 0;
	int state;

	switch (spec->kind) {
	case JOB_REFRESH:
		state = refresh(w, spec);
		if (state == JOB_DONE)
			store_count(st, STORE_C_REFRESHES_DONE);
		break;
	case JOB_PURGE_PREFIX:
	case JOB_PURGE_TAG:
		state = purge(st, spec, &result);
		break;
	case JOB_SWEEP:
		result = (uint64_t)store_sweep_expired(st, store_now_ms(),
		    keep_ms, KEEPER_KEEP_MS);
		state = JOB_DONE;
		break;
	default:
		state = JOB_DROPPED;
		break;
	}
	jobs_finish(jb, id, state, result);
	/* idle, it is no worker: the status page and the totals count
	   its slot only while it serves a refresh */
	sb_set_state(w->sb, SB_DEAD);
	w->sb->request[0] = '\0';
}

void
keeper_main(const struct keeper_args *a)
{
	static struct worker w;
	static struct job_spec spec;
	struct worker_args wa;
	struct store *st;
	struct jobs *jb;
	pid_t parent = getppid();
	int64_t now, next_sweep, next_audit, wake, keep_ms;
	uint64_t id;
	int n;

	log_set_who("cache keeper");
	/* "ps" (and the tests) tell it from the workers by its name */
	(void)prctl(PR_SET_NAME, "porter-keeper");
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent || parent == 1)
		_exit(0);
	set_signals(&a->sigmask);
	st = shm_store(a->shm);
	jb = shm_jobs(a->shm);
	if (st == NULL || jb == NULL)
		_exit(0);
	memset(&wa, 0, sizeof(wa));
	wa.cfg = a->cfg;
	wa.shm = a->shm;
	wa.rows = a->rows;
	wa.slot = a->slot;
	wa.generation = a->generation;
	wa.lfds = NULL;
	wa.park_fd = wa.ready_fd = wa.requeue_fd = -1;
	wa.pod_fd = a->pod_fd;
	if (worker_setup(&w, &wa) == -1) {
		log_syserr("cache keeper setup");
		_exit(2);
	}
	w.keeper = 1;
	w.park_after = 0;
	w.sb->pid = getpid();
	w.sb->generation = a->generation;
	sb_set_state(w.sb, SB_DEAD);
	keep_ms = grace_ms(a->cfg);
	/* its predecessor's jobs in hand: redone, never half-applied */
	if ((n = jobs_requeue(jb)) > 0)
		log_info("started: %d job%s its predecessor left "
		    "running queued again", n, n == 1 ? "" : "s");
	else
		log_info("started");
	/* and what its death may have left: leaks given back now */
	if ((n = store_audit(st)) > 0)
		log_warnx("store audit: %d leaked chunk%s or entr%s given back",
		    n, n == 1 ? "" : "s", n == 1 ? "y" : "ies");
	now = store_now_ms();
	next_sweep = now + KEEPER_SWEEP_MS;
	next_audit = now + KEEPER_AUDIT_MS;
	while (!told_to_exit(a->pod_fd, parent)) {
		if ((id = jobs_take(jb, &spec)) != 0) {
			sb_set_state(w.sb, SB_UPSTREAM);
			run(&w, st, jb, id, &spec, keep_ms);
			continue;
		}
		now = store_now_ms();
		if (now >= next_sweep) {
			if ((n = store_sweep_expired(st, now, keep_ms,
			    KEEPER_KEEP_MS)) > 0)
				log_debug("swept %d expired entr%s", n,
				    n == 1 ? "y" : "ies");
			next_sweep = now + KEEPER_SWEEP_MS;
		}
		if (now >= next_audit) {
			if ((n = store_audit(st)) > 0)
				log_warnx("store audit: %d leaked chunk%s or "
				    "entr%s given back", n, n == 1 ? "" : "s",
				    n == 1 ? "y" : "ies");
			(void)store_reclaim(st);
			next_audit = now + KEEPER_AUDIT_MS;
		}
		/* a second at most: the pipe is looked at between sleeps */
		wake = next_sweep < now + 1000 ? next_sweep : now + 1000;
		jobs_wait(jb, wake);
	}
	upstream_drain(&w.up);
	_exit(0);
}
