/*
 * A worker process's own state, alive for its life: its configuration,
 * the segment, its scoreboard slot, its buffers and its idle backend
 * connections. Everything that serves a connection works on it.
 */
#ifndef PORTER_WORKER_STATE_H
#define PORTER_WORKER_STATE_H

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "lib/arena.h"
#include "shared/scoreboard.h"
#include "shared/shm.h"
#include "worker/balance.h"
#include "worker/reqid.h"
#include "worker/upstream.h"

struct cache_work;
struct gzip;

/* Per-worker state, alive for the life of the process. */
struct worker {
	const struct cfg	*cfg;
	const struct shm	*shm;
	const uint32_t		*rows;		/* health row of each server, by
						   cfg_server_index */
	struct sb_slot		*sb;
	struct arena		 mem;		/* the buffers and small state
						   below, as few pages as can be */
	struct balance		*bal;		/* one per pool */
	int			*lst_rows;	/* each listener's counters row
						   (ctr_lst_find), by index */
	struct pollfd		*waiting;	/* the listeners, then the
						   hand-back socket: what a
						   worker looks at between
						   connections */
	uint8_t			*eligible;	/* per server of a pool, scratch */
	uint8_t			*tried;		/* per server of a pool: this
						   request failed there */
	int32_t			*active;	/* per server of a pool, scratch */
	uint64_t		 rnd;		/* random2's generator state */
	uint64_t		 tiebreak;	/* least_conn's rotation */
	struct upstream		 up;		/* idle upstream connections */
	struct cache_work	*cache;		/* NULL: the segment has no
						   cache (worker/cache.h) */
	struct gzip		*gz;		/* NULL: no route gzips
						   (worker/gzip.h) */
	char			*cbuf;		/* client input */
	size_t			 ccap;
	char			*ubuf;		/* upstream input */
	size_t			 ucap;
	int			 spl[2];	/* a pipe for splicing large
						   bodies; -1: none (relay.c) */
	char			*obuf;		/* heads porter writes */
	size_t			 ocap;
	char			*nbuf;		/* the normalised path */
	char			*scratch;	/* one header value, for regexec */
	size_t			 scratch_len;
	char			*head_copy;	/* the request head, kept for
						   the access log once the
						   proxy drops it from cbuf
						   (NULL: no access log) */
	char			*lbuf;		/* one access line */
	size_t			 lcap;
	struct reqid_rng	 reqid;		/* request ids */
	char			*tbuf;		/* tunnels, both directions */
	size_t			 tcap;
	char			 tunnel_why[128];	/* its log words */
	/*
	 * The Via name of this porter's listener serving the connection:
	 * "porter-1a2b3c4d-0", the segment's instance and the listener's
	 * index (worker_via). A request that comes back to the same
	 * listener is a loop (508); one that goes from a listener to
	 * another of the same porter (a cache tier in one process) is not.
	 */
	char			 via_token[32];
	char			 via10[40];	/* "1.0 porter-1a2b3c4d-0" */
	char			 via11[40];
	int			 via_listener;	/* whose names those are; -1 */
	unsigned		 via_instance;
	char			 fwd_name[300];	/* forward: "host:port" */
	uint32_t		 generation;
	const int		*lfds;		/* listening sockets, by listener */
	int			 park_fd;	/* to the waiter; -1: none */
	int			 ready_fd;	/* from the waiter; -1: none */
	int			 requeue_fd;	/* onto ready_fd's queue; -1 */
	int			 yielded;	/* conn_serve's last act was a
						   yield: worker_main's is not
						   needed */
	double			 park_after;	/* s a client may keep a worker
						   waiting before it is parked */
	volatile sig_atomic_t	 told_to_stop;	/* SIGHUP: too many idle */
	int			 keeper;	/* this is the cache keeper
						   (keeper/keeper.c) running a
						   refresh: never serve stale,
						   never queue a refresh */
};

/*
 * Whether this worker should finish what it is doing and exit: it was
 * told to (SIGHUP: the pool has too many idle workers), or a newer
 * generation has started (reload, graceful stop). Read between requests
 * and before each response, which then says "Connection: close".
 */
/* The health row of server j of pool p. */
static inline uint32_t
worker_row(const struct worker *w, const struct cfg_pool *p, int j)
{
	return (w->rows[cfg_server_index(p, j)]);
}

/* The Via names of listener li (see via_token), made when it changes. */
static inline void
worker_via(struct worker *w, int li)
{
	if (w->via_listener == li)
		return;
	w->via_listener = li;
	(void)snprintf(w->via_token, sizeof(w->via_token), "porter-%08x-%d",
	    w->via_instance, li);
	(void)snprintf(w->via10, sizeof(w->via10), "1.0 %s", w->via_token);
	(void)snprintf(w->via11, sizeof(w->via11), "1.1 %s", w->via_token);
}

static inline int
worker_stopping(const struct worker *w)
{
	return (w->told_to_stop || atomic_load_explicit(
	    &w->shm->hdr->generation, memory_order_relaxed) != w->generation);
}

/*
 * The worker has just given another process something to do (a request
 * to its backend, an answer to its client, or its last connection's end)
 * and is about to wait for the result: its next read would sleep, and
 * the result would come with a wake-up. Yielding first lets every
 * process that can run go before it: on a busy CPU that is the backend
 * it just woke and the other workers, so when this one runs again its
 * answer is usually there and its read does not sleep. A switch replaces
 * a sleep and a wake-up, the backend finds the requests of several
 * workers when it wakes, and the workers take turns in the order they
 * came to wait, which keeps a worker that never sleeps (a queue of new
 * connections) from running its whole time slice while others hold
 * half-served requests. On an idle CPU sched_yield() returns at once:
 * one system call. workers.yield = false turns it off.
 */
static inline void
worker_yield(struct worker *w)
{
	if (!w->cfg->workers.yield)
		return;
	(void)sched_yield();	/* cannot fail on Linux */
	sb_add(&w->sb->yields, 1);
}

#endif
