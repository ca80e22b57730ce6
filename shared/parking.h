/*
 * The waiter's part of the segment's header: what the master tells the
 * waiter (its settings, republished at each reload, since the waiter
 * outlives configurations), whether a waiter is there for workers to park
 * connections with, and what the waiter reports (the status page reads
 * it). Each field has one writer, named beside it.
 */
#ifndef PORTER_SHARED_PARKING_H
#define PORTER_SHARED_PARKING_H

#include <stdatomic.h>
#include <stdint.h>

/* Why a connection is parked (the waiter's gauges, by reason). */
enum park_why {
	PARK_HEAD,		/* its request head has not all arrived */
	PARK_KEEPALIVE,		/* idle between requests */
	PARK_BODY,		/* head in, a small body still arriving */
	PARK_NWHY
};

struct shm_waiter {
	/* written by the master: settings, then up (release) */
	_Atomic uint32_t	max_conns;	/* 0: no waiter at all */
	_Atomic uint32_t	client_header_ms;
	_Atomic uint32_t	client_body_ms;
	_Atomic uint32_t	keepalive_ms;
	_Atomic uint32_t	min_rate;	/* bytes/s; 0: off */
	_Atomic uint32_t	max_head;	/* limits.max_header_size */
	_Atomic uint32_t	yield;		/* workers.yield */
	_Atomic int32_t		pid;		/* the running waiter; 0 none */
	_Atomic uint32_t	up;		/* 1 while a waiter runs: workers
						   may park */
	_Atomic uint32_t	draining;	/* graceful stop: it hands back
						   what it holds, then exits */
	_Atomic uint32_t	pool_full;	/* the master: the current
						   generation has workers.max
						   workers (park_requeue) */
	/* written by the waiter (reset when one starts) */
	_Atomic uint32_t	parked[PARK_NWHY];	/* held now */
	_Atomic uint32_t	pending;	/* ready, not yet handed back */
	_Atomic uint64_t	handoffs_in;	/* taken from workers */
	_Atomic uint64_t	handoffs_out;	/* given back to workers */
	_Atomic uint64_t	timeouts;	/* closed: timeout or min_rate */
	_Atomic uint64_t	closed;		/* closed by the client */
	_Atomic uint64_t	yields;		/* sched_yield() after a turn */
	_Atomic uint64_t	started;	/* waiters started (master) */
	_Atomic uint64_t	per_s;		/* hand-offs both ways in the
						   second that ended at per_s_at */
	_Atomic int64_t		per_s_at;	/* clock_now_ms() / 1000 */
};

/* Hand-offs a second (both ways), over the last whole second. */
static inline uint64_t
parking_per_s(const struct shm_waiter *p, int64_t now_ms)
{
	int64_t at = atomic_load_explicit(&p->per_s_at, memory_order_relaxed);

	/* a waiter with nothing to do does not tick: no hand-offs then */
	return (now_ms / 1000 - at <= 1 ? atomic_load_explicit(&p->per_s,
	    memory_order_relaxed) : 0);
}

static inline uint32_t
parking_total(const struct shm_waiter *p)
{
	uint32_t n = 0;
	int i;

	for (i = 0; i < PARK_NWHY; i++)
		n += atomic_load_explicit(&p->parked[i],
		    memory_order_relaxed);
	return (n);
}

#endif
