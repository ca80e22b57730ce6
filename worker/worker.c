#include "config.h"

#include <sys/epoll.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/arena.h"
#include "lib/log.h"
#include "shared/counters.h"
#include "shared/scoreboard.h"
#include "lib/handoff.h"
#include "waiter/waiter.h"
#include "worker/accesslog.h"
#include "worker/cache.h"
#include "worker/conn.h"
#include "worker/gzip.h"
#include "worker/park.h"
#include "worker/reqid.h"
#include "worker/state.h"
#include "worker/worker.h"

/* Body relay and response head room, per direction. */
#define WORKER_IO_BUF	(64 * 1024)
/* Room porter adds to a forwarded head (Via, X-Forwarded-*). */
#define WORKER_HEAD_EXTRA	4096
/* tunnels (CONNECT, Upgrade): half for each direction */
#define WORKER_TUNNEL_BUF	(64 * 1024)

/* epoll data: listener index, or one of these. */
#define EV_POD		UINT32_MAX		/* the pipe of death */
#define EV_WAITER	(UINT32_MAX - 1)	/* a connection handed back */
/* how often a worker that stays for the waiter's last ones looks again */
#define DRAIN_POLL_MS	100
/* idle this long after serving, a worker gives its buffers' pages back */
#define TRIM_AFTER_MS	1000

/* a worker's client buffer holds whatever the waiter hands over */
_Static_assert(WORKER_IO_BUF >= WAITER_BODY_MAX, "client buffer too small");

/* The worker a signal handler speaks to: this process's one. */
static struct worker	*self;

static void
on_hup(int sig)
{
	(void)sig;
	if (self != NULL)
		self->told_to_stop = 1;
}

static void
worker_exit(struct worker *w, int code)
{
	upstream_drain(&w->up);
	_exit(code);
}

/*
 * An idle worker's buffers hold nothing: past the first page of each (all
 * a small request touches), their pages go back, so a large body or head
 * does not leave the worker with them until it exits. The small blocks
 * and the idle upstream connections stay.
 */
static void
trim_buffers(struct worker *w)
{
	arena_trim(w->cbuf, w->ccap, 1);
	arena_trim(w->ubuf, w->ucap, 1);
	arena_trim(w->obuf, w->ocap, 1);
	arena_trim(w->scratch, w->scratch_len, 0);
	arena_trim(w->tbuf, w->tcap, 0);
}

/* Whether a route compresses: the worker then keeps its zlib streams. */
static int
some_route_gzips(const struct cfg *cfg)
{
	int i, j;

	for (i = 0; i < cfg->nlisteners; i++)
		for (j = 0; j < cfg->listeners[i].nroutes; j++)
			if (cfg->listeners[i].routes[j].gzip)
				return (1);
	return (0);
}

int
worker_setup(struct worker *w, const struct worker_args *a)
{
	const struct cfg *cfg = a->cfg;
	size_t nlen, small;
	int i, maxsrv = 1;

	memset(w, 0, sizeof(*w));
	w->cfg = cfg;
	w->shm = a->shm;
	w->rows = a->rows;
	w->sb = sb_slot(a->shm, a->slot);
	w->generation = a->generation;
	w->lfds = a->lfds;
	w->park_fd = a->park_fd;
	w->ready_fd = a->ready_fd;
	w->requeue_fd = a->requeue_fd;
	w->park_after = cfg->waiter.park_after;
	/* the client buffer must hold a whole head and a useful body read */
	w->ccap = cfg->limits.max_header_size + WORKER_IO_BUF;
	w->ucap = WORKER_IO_BUF;
	w->ocap = cfg->limits.max_header_size + WORKER_HEAD_EXTRA;
	w->scratch_len = (size_t)cfg->limits.max_header_size + 1;
	w->tcap = WORKER_TUNNEL_BUF;
	nlen = (size_t)cfg->limits.max_uri_size + 1;
	small = (size_t)cfg->npools * sizeof(*w->bal) + 16;
	for (i = 0; i < cfg->npools; i++) {
		if (cfg->pools[i].nservers > maxsrv)
			maxsrv = cfg->pools[i].nservers;
		small += balance_room(&cfg->pools[i]);
	}
	small += 3 * ((size_t)maxsrv * sizeof(*w->active) + 16) + nlen + 16 +
	    (size_t)cfg->nlisteners * sizeof(*w->lst_rows) + 16 +
	    ((size_t)cfg->nlisteners + 1) * sizeof(*w->waiting) + 16;
	if (arena_init(&w->mem, arena_buf_room(small) +
	    arena_buf_room(w->ccap) + arena_buf_room(w->ucap) +
	    arena_buf_room(w->ocap) +
	    arena_buf_room(w->scratch_len) + arena_buf_room(w->tcap) +
	    arena_buf_room((size_t)cfg->upstream_keepalive *
	    sizeof(*w->up.idle))) == -1)
		return (-1);
	/* the small blocks share the first page; each buffer starts a page */
	w->bal = arena_small(&w->mem, (size_t)cfg->npools * sizeof(*w->bal));
	w->eligible = arena_small(&w->mem, (size_t)maxsrv *
	    sizeof(*w->eligible));
	w->active = arena_small(&w->mem, (size_t)maxsrv * sizeof(*w->active));
	w->tried = arena_small(&w->mem, (size_t)maxsrv * sizeof(*w->tried));
	w->lst_rows = arena_small(&w->mem, (size_t)cfg->nlisteners *
	    sizeof(*w->lst_rows));
	w->waiting = arena_small(&w->mem, ((size_t)cfg->nlisteners + 1) *
	    sizeof(*w->waiting));
	if (w->bal == NULL || w->eligible == NULL || w->active == NULL ||
	    w->tried == NULL || w->lst_rows == NULL || w->waiting == NULL)
		return (-1);
	/* the master claimed them before it forked this generation */
	for (i = 0; i < cfg->nlisteners; i++)
		w->lst_rows[i] = ctr_lst_find(a->shm,
		    cfg->listeners[i].addr.text);
	for (i = 0; i < cfg->npools; i++)
		if (balance_init(&w->bal[i], &cfg->pools[i], &w->mem) == -1)
			return (-1);
	/* after the small blocks, not on a page of its own: a short path
	   is written into the page they already dirty */
	if ((w->nbuf = arena_small(&w->mem, nlen)) == NULL)
		return (-1);
	w->cbuf = arena_buf(&w->mem, w->ccap);
	w->ubuf = arena_buf(&w->mem, w->ucap);
	w->obuf = arena_buf(&w->mem, w->ocap);
	w->scratch = arena_buf(&w->mem, w->scratch_len);
	w->tbuf = arena_buf(&w->mem, w->tcap);
	if (w->cbuf == NULL || w->ubuf == NULL || w->obuf == NULL ||
	    w->scratch == NULL || w->tbuf == NULL)
		return (-1);
	/* without the pipe, large bodies go through ubuf like the rest */
	if (pipe2(w->spl, O_CLOEXEC) == -1)
		w->spl[0] = w->spl[1] = -1;
	w->via_instance = (unsigned)a->shm->hdr->instance;
	w->via_listener = -1;
	worker_via(w, 0);
	w->rnd = ((uint64_t)getpid() << 32) ^ (uint64_t)time(NULL) ^
	    0x9E3779B97F4A7C15ULL;
	reqid_seed(&w->reqid);
	if (alog_init(w) == -1)
		return (-1);
	/* with a cache too: objects stored gzipped before a reload that
	   turned gzip off are still inflated for clients without it */
	if ((some_route_gzips(cfg) || shm_store(a->shm) != NULL) &&
	    gzip_init(&w->gz, cfg->gzip.level) == -1)
		return (-1);
	if (cache_work_init(&w->cache, shm_store(a->shm), shm_uses(a->shm),
	    shm_cache_slot(a->shm, a->slot),
	    cfg->limits.max_header_size, w->ucap) == -1)
		return (-1);
	return (upstream_init(&w->up, cfg->upstream_keepalive, &w->mem));
}

/*
 * One epoll set per worker. Listeners are registered EPOLLEXCLUSIVE so a
 * new connection wakes one idle worker, not all of them (the thundering
 * herd); the pipe of death is not, so closing it wakes every worker of
 * the generation. The hand-back socket is registered only while the
 * worker sleeps (watch_handbacks).
 */
static int
make_epoll(const struct worker_args *a)
{
	struct epoll_event ev;
	int ep, i;

	if ((ep = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return (-1);
	for (i = 0; i < a->cfg->nlisteners; i++) {
		memset(&ev, 0, sizeof(ev));
		ev.events = EPOLLIN | EPOLLEXCLUSIVE;
		ev.data.u32 = (uint32_t)i;
		if (epoll_ctl(ep, EPOLL_CTL_ADD, a->lfds[i], &ev) == -1)
			goto fail;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u32 = EV_POD;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, a->pod_fd, &ev) == -1)
		goto fail;
	return (ep);
fail:
	(void)close(ep);
	return (-1);
}

/*
 * Register (op EPOLL_CTL_ADD) or drop (EPOLL_CTL_DEL) the hand-back
 * socket, around a sleep. A send wakes the processes registered on a
 * socket by walking their entries, one lock each, until an exclusive one
 * finds a sleeper. When clients take turns, every request ends with a
 * connection handed back, and most workers are busy: registered for
 * good, each send walked all of them (10 % of the CPU, in a profile at
 * ka-c256 with 64 workers). A busy worker looks at the socket itself
 * instead (serve_waiting), in the poll it makes anyway. An ADD of a
 * socket that is already readable makes epoll_wait return at once, so
 * nothing sent after that look is missed. The listeners stay registered:
 * dropping them too made no difference at close-c64, and would cost two
 * calls a listener for each sleep.
 */
static int
watch_handbacks(int ep, int fd, int op)
{
	struct epoll_event ev;

	if (fd < 0)
		return (0);
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	ev.data.u32 = EV_WAITER;
	return (epoll_ctl(ep, op, fd, &ev));
}

/* Signals as a worker wants them, then the mask the master forked it with. */
static void
set_signals(const sigset_t *restore)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGPIPE, &sa, NULL);
	/* TERM is the fast stop: a worker dies where it stands. */
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGTERM, &sa, NULL);
	/*
	 * INT is the master's: Ctrl-C on porter -f reaches the whole group,
	 * and the master stops the workers itself (TERM), so none of them
	 * is reported as killed by a signal.
	 */
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGINT, &sa, NULL);
	/*
	 * HUP: finish the connection in hand, then exit (no SA_RESTART, so
	 * a wait for the next connection ends at once). QUIT too: it reaches
	 * workers when sent to the whole group (Ctrl-\ on porter -f), and
	 * means a graceful stop there as well. USR1 and USR2 are the
	 * master's business.
	 */
	sa.sa_handler = on_hup;
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGQUIT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGUSR1, &sa, NULL);
	(void)sigaction(SIGUSR2, &sa, NULL);
	/*
	 * The master forked us with its signals blocked; a HUP sent before
	 * the handler above was set would have killed us. Now it may come.
	 */
	(void)sigprocmask(SIG_SETMASK, restore, NULL);
}

/*
 * Take the listeners and the pipe of death out of the epoll set: a
 * stopping worker that stays for the waiter's last connections accepts
 * no new ones (the next master's workers take them).
 */
static void
drain_only(int ep, const struct worker_args *a)
{
	int i;

	for (i = 0; i < a->cfg->nlisteners; i++)
		(void)epoll_ctl(ep, EPOLL_CTL_DEL, a->lfds[i], NULL);
	(void)epoll_ctl(ep, EPOLL_CTL_DEL, a->pod_fd, NULL);
}

/*
 * Accept on listener li and serve the connection: 1 if one was served, 0
 * if there was none to take.
 */
static int
serve_accepted(struct worker *w, const struct worker_args *a, int li)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int fd;

	fd = accept4(a->lfds[li], (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	if (fd == -1) {
		/* another worker took it, or the client left */
		if (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR || errno == ECONNABORTED)
			return (0);
		log_syserr("accept on %s", a->cfg->listeners[li].addr.text);
		if (errno == EMFILE || errno == ENFILE ||
		    errno == ENOBUFS || errno == ENOMEM)
			(void)usleep(100 * 1000);
		return (0);
	}
	conn_serve(w, &a->cfg->listeners[li], a->lfds[li], fd,
	    (struct sockaddr *)&ss, sl, NULL);
	return (1);
}

/*
 * Take a connection the waiter hands back, with its bytes, and serve it:
 * 1 if one was served, 0 if another worker took it first.
 */
static int
take_back(struct worker *w, const struct worker_args *a)
{
	struct handoff h;
	int fd, li, r;

	r = handoff_recv(a->ready_fd, &h, w->cbuf, w->ccap, &fd);
	if (r == -1)
		log_syserr("taking a connection from the waiter");
	if (r != 1)
		return (0);
	if ((li = park_listener(w, &h, fd)) == -1) {
		/* its listener is gone with a reload */
		(void)close(fd);
		return (0);
	}
	conn_serve(w, &a->cfg->listeners[li], a->lfds[li], fd, &h.peer.sa,
	    (socklen_t)h.peerlen, &h);
	return (1);
}

/*
 * Serve a connection that already waits, without sleeping: 1 if one was
 * served. One poll with no timeout over w->waiting says what waits (the
 * listeners' entries in the epoll set may say so too, but not the
 * hand-back socket's, and a blind try is not cheap: a failed accept
 * makes a socket and frees it). When a new connection and one handed
 * back both wait, they go in turn (*turn): kept-alive clients that come
 * back at once would otherwise keep new ones in the accept queue for as
 * long as the load lasts. A draining worker takes hand-backs only.
 */
static int
serve_waiting(struct worker *w, const struct worker_args *a, int draining,
    int *turn)
{
	struct pollfd *pf = w->waiting;
	int nl = a->cfg->nlisteners, np = nl + (a->ready_fd >= 0), k, r;
	int back, li = -1;

	if (draining) {
		pf += nl;
		np -= nl;
		nl = 0;
	}
	do
		r = poll(pf, (nfds_t)np, 0);
	while (r == -1 && errno == EINTR);
	if (r <= 0)
		return (0);
	for (k = 0; k < nl; k++)
		if (pf[k].revents != 0 && li == -1)
			li = k;
	back = np > nl && pf[nl].revents != 0;
	if (back && li != -1) {
		back = *turn;
		*turn = !*turn;
	}
	if (back)
		return (take_back(w, a));
	return (li != -1 ? serve_accepted(w, a, li) : 0);
}

void
worker_main(const struct worker_args *a)
{
	static struct worker w;
	char who[64];
	long served = 0;
	int ep, i, draining = 0, turn = 0, trimmed = 1, woken = 0;

	(void)snprintf(who, sizeof(who), "gen %u slot %u", a->generation,
	    a->slot);
	log_set_who(who);
	self = &w;
	set_signals(&a->sigmask);

	if (worker_setup(&w, a) == -1) {
		log_syserr("worker setup");
		_exit(2);
	}
	if ((ep = make_epoll(a)) == -1) {
		log_syserr("epoll");
		_exit(2);
	}
	/* the cache keeper sets up a worker too, with no listeners */
	for (i = 0; i < a->cfg->nlisteners; i++)
		w.waiting[i].fd = a->lfds[i];
	w.waiting[i].fd = a->ready_fd;
	for (i = 0; i <= a->cfg->nlisteners; i++)
		w.waiting[i].events = POLLIN;
	w.sb->pid = getpid();
	w.sb->generation = a->generation;
	sb_set_state(w.sb, SB_IDLE);

	for (;;) {
		struct epoll_event ev[8];
		int n;

		/*
		 * A worker woken for a connection looks for it even when told
		 * to stop: with EPOLLEXCLUSIVE no other worker was woken for
		 * it.
		 */
		if (!woken && worker_stopping(&w)) {
			if (!park_draining(&w))
				worker_exit(&w, 0);
			/*
			 * A graceful stop while the waiter still holds
			 * connections: stay to serve those, and only those.
			 */
			if (!draining) {
				drain_only(ep, a);
				draining = 1;
			}
		}
		if (serve_waiting(&w, a, draining, &turn)) {
			woken = 0;
			served++;
			trimmed = 0;
			sb_set_state(w.sb, SB_IDLE);
			/* those holding half-served requests before a new
			   one (done already when the connection went back
			   on the queue) */
			if (!w.yielded)
				worker_yield(&w);
			w.yielded = 0;
			if (a->cfg->workers.max_requests > 0 &&
			    served >= a->cfg->workers.max_requests)
				worker_exit(&w, 0);
			continue;
		}
		if (woken) {
			/* another worker took it: look at the stop first */
			woken = 0;
			continue;
		}
		/* nothing waits: sleep until something comes */
		if (watch_handbacks(ep, a->ready_fd, EPOLL_CTL_ADD) == -1) {
			log_syserr("epoll_ctl");
			worker_exit(&w, 2);
		}
		sb_set_idle(w.shm, a->slot, 1);
		n = epoll_wait(ep, ev, 8, draining ? DRAIN_POLL_MS :
		    trimmed ? -1 : TRIM_AFTER_MS);
		sb_set_idle(w.shm, a->slot, 0);
		if (n == -1 && errno != EINTR) {
			log_syserr("epoll_wait");
			worker_exit(&w, 2);
		}
		if (watch_handbacks(ep, a->ready_fd, EPOLL_CTL_DEL) == -1) {
			log_syserr("epoll_ctl");
			worker_exit(&w, 2);
		}
		if (n == 0 && !draining && !trimmed) {
			trim_buffers(&w);
			trimmed = 1;
		}
		for (i = 0; i < n; i++) {
			if (ev[i].data.u32 == EV_POD)
				w.told_to_stop = 1;	/* generation retired */
			else
				woken = 1;
		}
	}
}
