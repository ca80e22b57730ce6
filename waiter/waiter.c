#include "config.h"

#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/clock.h"
#include "lib/handoff.h"
#include "lib/log.h"
#include "lib/proxyproto.h"
#include "master/privs.h"
#include "shared/limits.h"
#include "waiter/deadline.h"
#include "waiter/waiter.h"
#include "worker/http_parse.h"

/* epoll data for the two hand-off sockets; connections carry pointers. */
#define EV_PARK		((uint64_t)1)
#define EV_READY	((uint64_t)2)
/* hand-offs taken from workers per wake-up, so connections get turns */
#define PARK_BATCH	64
/* the first buffer of a connection that sends bytes; it grows by doubling */
#define BUF_FIRST	1024
/*
 * Records (with a first-size buffer) kept for reuse: under a rotation
 * (more busy kept-alive clients than workers) one is taken and dropped
 * per request, and malloc and free then ran for each.
 */
#define SPARE_MAX	256
/* the largest limits.max_header_size, and a body */
#define WAITER_SCRATCH	((1 << 20) + WAITER_BODY_MAX)
/* its nice value (the workers run at 0) */
#define WAITER_NICE	-10
/* a graceful stop ends once it has held nothing for this long */
#define DRAIN_QUIET_MS	200
/* file descriptors beyond max_conns: logs, epoll, the sockets */
#define FD_SPARE	64

struct parked {
	struct dl_node	 dl;		/* when it is closed */
	struct parked	*next;		/* in the ready queue */
	char		*buf;		/* bytes read, NULL until some come */
	uint32_t	 len, cap;
	uint32_t	 need;		/* head + body to hand over; 0 unknown */
	uint32_t	 mark;		/* len when since was set (min_rate) */
	int64_t		 since;		/* ms: the head (body) began, or idle */
	int64_t		 last;		/* ms: its last bytes came */
	int		 fd;
	uint32_t	 generation;
	uint16_t	 listener;
	uint8_t		 why;		/* enum park_why */
	uint8_t		 requests;
	uint8_t		 ready;		/* in the ready queue */
	uint8_t		 watched;	/* in the epoll set */
	uint8_t		 flags;		/* HANDOFF_*, given back as taken */
	uint32_t	 peerlen;
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	}		 peer;
	uint32_t	 locallen;
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	}		 local;
};

struct waiter {
	const struct shm	*shm;
	struct shm_waiter	*sw;
	int			 ep;
	int			 park_fd, ready_fd;
	int			 ready_armed;	/* EPOLLOUT on ready_fd */
	struct dl_heap		 heap;
	struct parked		*rq_head, *rq_tail;	/* ready queue */
	struct parked		*spare;		/* for reuse, by next */
	uint32_t		 nspare;
	struct http_req		 req;		/* scratch: heads are re-parsed */
	/* reads, and what workers parked: a whole head fits */
	char			 scratch[WAITER_SCRATCH];
	/* what is in force, read from the segment on each turn */
	struct dl_limits	 lim;
	uint32_t		 max_head;
	int64_t			 rate_sec;	/* the second being counted */
	uint64_t		 rate_base;	/* hand-offs before it */
};

static const char timeout_answer[] =
    "HTTP/1.1 408 Request Timeout\r\n"
    "Content-Type: text/plain; charset=utf-8\r\n"
    "Content-Length: 23\r\n"
    "Connection: close\r\n\r\n"
    "408 Request Timeout\r\n\r\n";

static struct parked *
of_node(struct dl_node *d)
{
	return ((struct parked *)(void *)((char *)d -
	    offsetof(struct parked, dl)));
}

static void
gauge(struct waiter *wt, int why, int delta)
{
	if (delta > 0)
		atomic_fetch_add_explicit(&wt->sw->parked[why], 1,
		    memory_order_relaxed);
	else
		atomic_fetch_sub_explicit(&wt->sw->parked[why], 1,
		    memory_order_relaxed);
}

static void
settings(struct waiter *wt)
{
	struct shm_waiter *sw = wt->sw;

	wt->lim.client_header_ms = atomic_load(&sw->client_header_ms);
	wt->lim.client_body_ms = atomic_load(&sw->client_body_ms);
	wt->lim.keepalive_ms = atomic_load(&sw->keepalive_ms);
	wt->lim.min_rate = atomic_load(&sw->min_rate);
	wt->max_head = atomic_load(&sw->max_head);
}

/* When p must be closed if nothing more happens. */
static int64_t
due(const struct waiter *wt, const struct parked *p)
{
	return (dl_due(&wt->lim, p->why, p->since, p->last,
	    p->len - p->mark));
}

/* A zeroed record, from the spares (its buffer kept) or new. */
static struct parked *
parked_new(struct waiter *wt)
{
	struct parked *p = wt->spare;
	char *buf;
	uint32_t cap;

	if (p == NULL)
		return (calloc(1, sizeof(*p)));
	wt->spare = p->next;
	wt->nspare--;
	buf = p->buf;
	cap = p->cap;
	memset(p, 0, sizeof(*p));
	p->buf = buf;
	p->cap = cap;
	return (p);
}

/* Done with p: a spare if there is room and its buffer is small. */
static void
parked_free(struct waiter *wt, struct parked *p)
{
	if (wt->nspare < SPARE_MAX && p->cap <= BUF_FIRST) {
		p->next = wt->spare;
		wt->spare = p;
		wt->nspare++;
		return;
	}
	free(p->buf);
	free(p);
}

static void
drop(struct waiter *wt, struct parked *p)
{
	/* handed back or closed: no more the waiter's, for the cap */
	if (p->peerlen > 0)
		lim_waiter_del(wt->shm, &p->peer.sa);
	if (p->watched)
		(void)epoll_ctl(wt->ep, EPOLL_CTL_DEL, p->fd, NULL);
	if (!p->ready)
		gauge(wt, p->why, -1);
	dl_del(&wt->heap, &p->dl);
	(void)close(p->fd);
	parked_free(wt, p);
}

/* Out of epoll and the heap, onto the ready queue for a worker. */
static void
make_ready(struct waiter *wt, struct parked *p)
{
	/*
	 * Explicitly: the worker will hold the same open file, so closing
	 * our descriptor later would not take it out of our epoll set.
	 */
	if (p->watched)
		(void)epoll_ctl(wt->ep, EPOLL_CTL_DEL, p->fd, NULL);
	p->watched = 0;
	dl_del(&wt->heap, &p->dl);
	gauge(wt, p->why, -1);
	p->ready = 1;
	atomic_fetch_add_explicit(&wt->sw->pending, 1, memory_order_relaxed);
	p->next = NULL;
	if (wt->rq_tail != NULL)
		wt->rq_tail->next = p;
	else
		wt->rq_head = p;
	wt->rq_tail = p;
}

static void
arm_ready(struct waiter *wt, int on)
{
	struct epoll_event ev;

	if (wt->ready_armed == on)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.events = on ? EPOLLOUT : 0;
	ev.data.u64 = EV_READY;
	if (epoll_ctl(wt->ep, EPOLL_CTL_MOD, wt->ready_fd, &ev) == 0)
		wt->ready_armed = on;
}

/* Hand the ready queue to the workers, as far as the socket takes it. */
static void
flush_ready(struct waiter *wt)
{
	struct parked *p;

	while ((p = wt->rq_head) != NULL) {
		struct handoff h;

		memset(&h, 0, sizeof(h));
		h.generation = p->generation;
		h.listener = p->listener;
		h.why = p->why;
		h.requests = p->requests;
		h.flags = p->flags;
		h.since_ms = p->since;
		memcpy(&h.peer, &p->peer, sizeof(h.peer));
		h.peerlen = p->peerlen;
		memcpy(&h.local, &p->local, sizeof(h.local));
		h.locallen = p->locallen;
		if (handoff_send(wt->ready_fd, p->fd, &h, p->buf, p->len)
		    == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ENOBUFS)
				break;	/* workers are behind: wait */
			log_syserr("waiter: handing a connection back");
		} else {
			atomic_fetch_add_explicit(&wt->sw->handoffs_out, 1,
			    memory_order_relaxed);
		}
		wt->rq_head = p->next;
		if (wt->rq_head == NULL)
			wt->rq_tail = NULL;
		/* after the send: a draining worker sees it queued or pending */
		atomic_fetch_sub_explicit(&wt->sw->pending, 1,
		    memory_order_release);
		drop(wt, p);
	}
	arm_ready(wt, wt->rq_head != NULL);
}

/*
 * Whether p has what a worker needs: a whole head, and a small body with
 * it when one is announced (not with Expect: 100-continue, whose client
 * waits for a word first). Anything the parser refuses goes to a worker
 * too, which refuses it properly.
 */
static int
complete(struct waiter *wt, struct parked *p, int64_t now)
{
	struct pp_result pr;
	const char *why;
	enum http_rc rc;
	uint64_t total;
	size_t off = 0;
	int n;

	if (p->need > 0)
		return (p->len >= p->need);
	if (p->flags & HANDOFF_PROXY) {
		/* the head after a PROXY header; a bad one is the worker's */
		if ((n = pp_parse(p->buf, p->len, &pr, &why)) == PP_ERROR)
			return (1);
		if (n == PP_AGAIN)
			return (0);
		off = (size_t)n;
	}
	http_req_init(&wt->req, wt->max_head, wt->max_head);
	rc = http_parse_request(&wt->req, p->buf + off, p->len - off);
	if (rc == HTTP_AGAIN)
		return (p->len - off >= wt->max_head + WAITER_BODY_MAX);
	if (rc == HTTP_ERROR ||
	    http_req_body(&wt->req) != HTTP_BODY_LENGTH ||
	    wt->req.expect_continue)
		return (1);
	total = (uint64_t)off + (uint64_t)wt->req.h.head_len +
	    (uint64_t)wt->req.h.content_length;
	if (total > (uint64_t)wt->max_head + WAITER_BODY_MAX ||
	    p->len >= total)
		return (1);
	/* the body's own clock and rate from here */
	p->need = (uint32_t)total;
	gauge(wt, p->why, -1);
	p->why = PARK_BODY;
	gauge(wt, p->why, 1);
	p->since = p->last = now;
	p->mark = p->len;
	return (0);
}

/* Append n bytes from the scratch buffer: 0, or -1 out of memory. */
static int
append(struct parked *p, const char *b, size_t n)
{
	if (p->len + n > p->cap) {
		size_t cap = p->cap ? p->cap : BUF_FIRST;
		char *nb;

		while (cap < p->len + n)
			cap *= 2;
		if ((nb = realloc(p->buf, cap)) == NULL)
			return (-1);
		p->buf = nb;
		p->cap = (uint32_t)cap;
	}
	memcpy(p->buf + p->len, b, n);
	p->len += (uint32_t)n;
	return (0);
}

/*
 * Bytes came (or the client left): -1 when p was closed, 1 when it went
 * to the ready queue, 0 when it still waits.
 */
static int
readable(struct waiter *wt, struct parked *p, int64_t now)
{
	size_t cap = (size_t)wt->max_head + WAITER_BODY_MAX +
	    ((p->flags & HANDOFF_PROXY) ? 16 + PP_V2_MAX : 0);
	int newline = 0;

	for (;;) {
		size_t room;
		ssize_t n;

		/* (a reload may have made max_header_size smaller) */
		if (p->len >= cap)
			break;
		room = cap - p->len;
		if (room > sizeof(wt->scratch))
			room = sizeof(wt->scratch);
		n = recv(p->fd, wt->scratch, room, MSG_DONTWAIT);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			/* gone, or a reset: nothing to answer */
			atomic_fetch_add_explicit(&wt->sw->closed, 1,
			    memory_order_relaxed);
			drop(wt, p);
			return (-1);
		}
		if (p->len == 0 && p->why == PARK_KEEPALIVE) {
			/* a next request began: the header clock runs */
			gauge(wt, p->why, -1);
			p->why = PARK_HEAD;
			gauge(wt, p->why, 1);
			p->since = now;
			p->mark = 0;
		}
		p->last = now;
		if (append(p, wt->scratch, (size_t)n) == -1) {
			log_syserr("waiter: buffer");
			drop(wt, p);
			return (-1);
		}
		if (memchr(wt->scratch, '\n', (size_t)n) != NULL)
			newline = 1;
		if ((size_t)n < room)
			break;
	}
	if ((newline || p->need > 0 || p->len >= cap ||
	    (p->flags & HANDOFF_PROXY)) && complete(wt, p, now)) {
		make_ready(wt, p);
		return (1);
	}
	dl_move(&wt->heap, &p->dl, due(wt, p));
	return (0);
}

/* A connection a worker parked: hold it. */
static void
take(struct waiter *wt, int fd, const struct handoff *h, int64_t now)
{
	struct epoll_event ev;
	struct parked *p;

	atomic_fetch_add_explicit(&wt->sw->handoffs_in, 1,
	    memory_order_relaxed);
	if ((p = parked_new(wt)) == NULL) {
		log_syserr("waiter");
		(void)close(fd);
		return;
	}
	p->fd = fd;
	p->dl.i = DL_NONE;
	p->generation = h->generation;
	p->listener = h->listener;
	p->why = h->why < PARK_NWHY ? h->why : PARK_HEAD;
	p->requests = h->requests;
	p->flags = h->flags;
	p->since = h->since_ms > 0 && h->since_ms <= now ? h->since_ms : now;
	p->last = now;
	p->peerlen = h->peerlen;
	memcpy(&p->peer, &h->peer, sizeof(p->peer));
	p->locallen = h->locallen;
	memcpy(&p->local, &h->local, sizeof(p->local));
	if (h->len > 0 && append(p, wt->scratch, h->len) == -1) {
		log_syserr("waiter");
		(void)close(fd);
		parked_free(wt, p);
		return;
	}
	/* from here drop() undoes it */
	if (p->peerlen > 0)
		lim_waiter_add(wt->shm, &p->peer.sa);
	if (p->len == 0 && p->why == PARK_HEAD)
		p->why = PARK_KEEPALIVE;	/* nothing of a head yet */
	gauge(wt, p->why, 1);
	if (dl_add(&wt->heap, &p->dl, due(wt, p)) == -1) {
		log_syserr("waiter");
		drop(wt, p);
		return;
	}
	/* bytes that were parked may complete a head (a pipelined one) */
	if (p->len > 0 && complete(wt, p, now)) {
		make_ready(wt, p);
		return;
	}
	/*
	 * A busy client's next request is often in by now (a worker parks
	 * a kept-alive connection as soon as its answer is sent when others
	 * queue): then it goes back without a turn in the epoll set, two
	 * epoll_ctl calls saved for one recv that finds nothing otherwise.
	 */
	if (readable(wt, p, now) != 0)
		return;
	memset(&ev, 0, sizeof(ev));
	/* level-triggered: bytes that came since show at once */
	ev.events = EPOLLIN | EPOLLRDHUP;
	ev.data.ptr = p;
	if (epoll_ctl(wt->ep, EPOLL_CTL_ADD, fd, &ev) == -1) {
		log_syserr("waiter: epoll_ctl");
		drop(wt, p);
		return;
	}
	p->watched = 1;
}

static void
take_parked(struct waiter *wt, int64_t now)
{
	int i;

	for (i = 0; i < PARK_BATCH; i++) {
		struct handoff h;
		int fd, r;

		r = handoff_recv(wt->park_fd, &h, wt->scratch,
		    sizeof(wt->scratch), &fd);
		if (r == 0)
			return;
		if (r == -1) {
			log_syserr("waiter: taking a connection");
			return;
		}
		take(wt, fd, &h, now);
	}
}

/* Once a second: the hand-offs of the second that ended. */
static void
count_rate(struct waiter *wt, int64_t now)
{
	int64_t sec = now / 1000;
	uint64_t total;

	if (sec == wt->rate_sec)
		return;
	total = atomic_load(&wt->sw->handoffs_in) +
	    atomic_load(&wt->sw->handoffs_out);
	atomic_store(&wt->sw->per_s, sec == wt->rate_sec + 1 ?
	    total - wt->rate_base : 0);
	atomic_store(&wt->sw->per_s_at, sec);
	wt->rate_sec = sec;
	wt->rate_base = total;
}

/* Close what is due; the time to sleep until the next, in ms. */
static int
expire(struct waiter *wt, int64_t now)
{
	struct dl_node *d;

	while ((d = dl_first(&wt->heap)) != NULL && d->at <= now) {
		struct parked *p = of_node(d);

		/*
		 * A head or body cut short is told why; an idle one is not,
		 * nor a balancer that never finished its PROXY header.
		 */
		if (p->flags & HANDOFF_PROXY) {
			char text[ADDR_TEXT];

			log_info("connection from %s closed: no whole "
			    "PROXY header in time",
			    p->peerlen > 0 ? addr_text(&p->peer.sa, text,
			    sizeof(text)) : "?");
		} else if (p->len > 0)
			(void)send(p->fd, timeout_answer,
			    sizeof(timeout_answer) - 1,
			    MSG_DONTWAIT | MSG_NOSIGNAL);
		atomic_fetch_add_explicit(&wt->sw->timeouts, 1,
		    memory_order_relaxed);
		drop(wt, p);
	}
	/* at least once a second, for the rate */
	if (d == NULL || d->at - now > 1000)
		return (1000);
	return ((int)(d->at - now));
}

/* QUIT: the master's graceful stop. Only a flag; the loop acts. */
static volatile sig_atomic_t told_to_drain;

static void
on_quit(int sig)
{
	(void)sig;
	told_to_drain = 1;
}

static void
set_signals(const sigset_t *restore)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	/* no SA_RESTART: it ends a wait in epoll_wait */
	sa.sa_handler = on_quit;
	(void)sigaction(SIGQUIT, &sa, NULL);
	/* TERM (the master, or its death): die; the kernel closes them all */
	sa.sa_handler = SIG_DFL;
	(void)sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	(void)sigaction(SIGINT, &sa, NULL);
	(void)sigaction(SIGPIPE, &sa, NULL);
	(void)sigaction(SIGHUP, &sa, NULL);
	(void)sigaction(SIGUSR1, &sa, NULL);
	(void)sigaction(SIGUSR2, &sa, NULL);
	(void)sigprocmask(SIG_SETMASK, restore, NULL);
}

/*
 * Room for every connection it may hold. As root (before the switch of
 * user) the hard limit may be raised too; otherwise up to it.
 */
static void
raise_nofile(uint32_t max_conns)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_conns + FD_SPARE;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= want)
		return;
	if (rl.rlim_max < want) {
		struct rlimit hard = { want, want };

		if (setrlimit(RLIMIT_NOFILE, &hard) == 0)
			return;
		want = rl.rlim_max;
		log_warnx("waiter: can hold %llu connections, not %u "
		    "(RLIMIT_NOFILE)", (unsigned long long)want, max_conns);
	}
	rl.rlim_cur = want;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
}

void
waiter_main(const struct waiter_args *a)
{
	static struct waiter wt;
	struct epoll_event ev;
	int i;

	log_set_who("waiter");
	(void)prctl(PR_SET_NAME, "porter-waiter");
	(void)prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		_exit(0);
	set_signals(&a->sigmask);
	wt.shm = a->shm;
	wt.sw = &a->shm->hdr->waiter;
	wt.park_fd = a->park_fd;
	wt.ready_fd = a->ready_fd;
	dl_init(&wt.heap);
	raise_nofile(atomic_load(&wt.sw->max_conns));
	/*
	 * Ahead of the workers on the CPU (as root; otherwise as it is):
	 * every client it holds waits on this one process, and among
	 * dozens of busy workers an equal share delays them all (p99 at
	 * 256 keep-alive connections on one core: 130 ms at nice 0, 33 ms
	 * at -10).
	 */
	if (setpriority(PRIO_PROCESS, 0, WAITER_NICE) == -1)
		log_debug("waiter: nice %d: %s", WAITER_NICE,
		    strerror(errno));
	if (a->privs != NULL && privs_apply(a->privs) == -1) {
		log_syserr("waiter: switching to user %s", a->privs->user);
		_exit(3);
	}
	/* what a dead waiter held died with it */
	for (i = 0; i < PARK_NWHY; i++)
		atomic_store(&wt.sw->parked[i], 0);
	atomic_store(&wt.sw->pending, 0);
	lim_waiter_reset(wt.shm);
	if ((wt.ep = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		log_syserr("waiter: epoll");
		_exit(1);
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.u64 = EV_PARK;
	if (epoll_ctl(wt.ep, EPOLL_CTL_ADD, wt.park_fd, &ev) == -1) {
		log_syserr("waiter: epoll_ctl");
		_exit(1);
	}
	ev.events = 0;
	ev.data.u64 = EV_READY;
	if (epoll_ctl(wt.ep, EPOLL_CTL_ADD, wt.ready_fd, &ev) == -1) {
		log_syserr("waiter: epoll_ctl");
		_exit(1);
	}

	int64_t empty_since = 0;

	for (;;) {
		struct epoll_event evs[256];
		int64_t now;
		int n, wait;

		settings(&wt);
		now = clock_now_ms();
		wait = expire(&wt, now);
		/*
		 * A graceful stop: no worker parks any more, and each
		 * connection held goes back to a (stopping) worker when its
		 * next request is in, which answers it with "Connection:
		 * close", or is closed at its timeout, as a worker would
		 * have. Then the waiter is done.
		 */
		if (told_to_drain || atomic_load(&wt.sw->draining)) {
			if (dl_first(&wt.heap) != NULL || wt.rq_head != NULL ||
			    handoff_queued(wt.park_fd))
				empty_since = 0;
			else if (empty_since == 0)
				empty_since = now;
			/*
			 * Empty for a while: a worker that decided to park
			 * just before the stop has sent by then.
			 */
			else if (now - empty_since >= DRAIN_QUIET_MS)
				_exit(0);
			if (wait > DRAIN_QUIET_MS / 4)
				wait = DRAIN_QUIET_MS / 4;
		}
		n = epoll_wait(wt.ep, evs, 256, wait);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			log_syserr("waiter: epoll_wait");
			_exit(1);
		}
		now = clock_now_ms();
		count_rate(&wt, now);
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 == EV_PARK)
				take_parked(&wt, now);
			else if (evs[i].data.u64 != EV_READY)
				(void)readable(&wt, evs[i].data.ptr, now);
		}
		if (wt.rq_head != NULL)
			flush_ready(&wt);
		/*
		 * Let the workers run before the next wait (workers.yield).
		 * Run at nice -10, the waiter would otherwise be back on
		 * the CPU at the first wake-up, for one parked connection
		 * or one readable client at a time: under a rotation (more
		 * busy kept-alive clients than workers) that was a sleep
		 * and a wake-up per request. After a yield the next wait
		 * usually finds several events ready and does not sleep.
		 * With nothing else to run, the yield returns at once.
		 * Read now, not before the wait: a reload may have come
		 * while it slept.
		 */
		if (n > 0 && atomic_load_explicit(&wt.sw->yield,
		    memory_order_relaxed) != 0) {
			(void)sched_yield();
			atomic_fetch_add_explicit(&wt.sw->yields, 1,
			    memory_order_relaxed);
		}
	}
}
