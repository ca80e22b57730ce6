/*
 * The scoreboard: one slot per possible worker. A slot is written only by
 * the worker that owns it (and by the master before that worker is forked
 * and after it is reaped), so it needs no lock. Readers (the master, the
 * status page) tolerate a torn request line; counters are atomics, one
 * per SLOT entry of the counter table (shared/counters.h), and the master
 * folds them into the retired totals when it reaps the worker.
 */
#ifndef PORTER_SHARED_SCOREBOARD_H
#define PORTER_SHARED_SCOREBOARD_H

#include <sys/types.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/counters.h"
#include "shared/shm.h"

#define SB_LAYOUT	3

enum sb_state {
	SB_DEAD,	/* free slot */
	SB_STARTING,	/* forked, not yet accepting */
	SB_IDLE,	/* waiting in accept */
	SB_READING,	/* reading a request head or body */
	SB_UPSTREAM,	/* talking to a backend */
	SB_WRITING,	/* sending the response */
	SB_KEEPALIVE,	/* waiting for the client's next request */
	SB_TUNNEL,	/* relaying a tunnel */
	SB_GRACEFUL	/* finishing its last request before exiting */
};

struct sb_slot {			/* written only by its own worker */
	pid_t			pid;
	uint32_t		generation;
	_Atomic uint8_t		state;		/* enum sb_state */
	/* connections, requests, bytes_in, ...: _Atomic uint64_t each */
	CTR_TABLE(CTR_SLOT_FIELD)
	struct ctr_more		more;	/* responses by listener, refusals by
					   rule, histograms (counters.h) */
	_Atomic uint32_t	hc_held;	/* backend row + 1 it holds; 0 none */
	/*
	 * The client of the connection it holds, for the per-client limits
	 * (shared/limits.h): family 0 when it holds none; the address as
	 * 16 bytes, IPv4 as ::ffff:a.b.c.d. Set at accept, cleared at close;
	 * the master's reset of a reaped worker's slot clears it too.
	 */
	_Atomic uint32_t	peer_family;
	_Atomic uint32_t	peer_addr[4];
	int64_t			started;	/* unix time of the request */
	char			client[48];	/* "addr:port" */
	char			request[160];	/* request line, cut */
} __attribute__((aligned(64)));	/* no false sharing between workers */

/* Bytes the scoreboard needs for n slots. */
size_t		 sb_size(uint32_t nslots);
struct sb_slot	*sb_slot(const struct shm *, uint32_t i);

static inline void
sb_set_state(struct sb_slot *s, int st)
{
	atomic_store_explicit(&s->state, (uint8_t)st, memory_order_relaxed);
}

static inline int
sb_get_state(const struct sb_slot *s)
{
	return (atomic_load_explicit(&s->state, memory_order_relaxed));
}

static inline void
sb_add(_Atomic uint64_t *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

/*
 * The idle map: one byte per slot, 1 while its worker waits for a
 * connection. Kept apart from the slots so "is any worker idle?" reads a
 * few cache lines, not one per slot. Written by the slot's worker, and
 * cleared by the master when it reaps the worker.
 */
void	sb_set_idle(const struct shm *, uint32_t slot, int idle);
int	sb_any_idle(const struct shm *);

/*
 * Scans of every slot in use skip the slots no worker was ever given:
 * reading one would fault its page of the shared segment in, in every
 * process that scans (the master sums the counters once a second), and
 * with workers.max = 512 that is 2 MiB of scoreboard for the few dozen
 * slots a pool uses (the master hands out the lowest free slot). The
 * master marks a slot before a process gets it. The last slot is always
 * looked at: with a cache it is the keeper's.
 *
 *	for (i = 0; i < shm->hdr->nslots; i = sb_scan_next(shm, i))
 */
void	sb_mark_used(const struct shm *, uint32_t slot);

static inline uint32_t
sb_scan_next(const struct shm *s, uint32_t i)
{
	uint32_t used = atomic_load_explicit(&s->hdr->slots_used,
	    memory_order_acquire);
	uint32_t last = s->hdr->nslots - 1;

	return (i + 1 >= used && i + 1 < last ? last : i + 1);
}

#endif
