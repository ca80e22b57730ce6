/*
 * Per-client limits, counted in the shared segment so that every process
 * sees the same numbers: how many connections a client address holds
 * (max_conns_per_client), its token bucket (rate, burst), and how many
 * tunnels are open (max_tunnels).
 *
 * Built so that any process may die at any instruction without leaking a
 * count or blocking the others:
 *
 *   - A worker's connection is counted by its own scoreboard slot (the
 *     client address in struct sb_slot), never by a shared counter it
 *     would have to decrement: the master clears a dead worker's slot.
 *   - The waiter's connections are counted in a table only the waiter
 *     writes; a waiter that starts afresh resets it (the connections of a
 *     dead waiter died with it).
 *   - The token buckets are single words changed by compare-and-swap:
 *     a process that dies mid-update leaves each word as it was or as it
 *     wanted it, both consistent (one that dies between taking a bucket
 *     over and emptying its debt leaves the new client the old one's
 *     level for a moment: approximate, never stuck).
 *   - Tunnels are counted from the slots' states (SB_TUNNEL).
 *
 * Nobody locks. A reader that meets a waiter's entry mid-write tries
 * again a few times, then counts it as empty (its writer died there).
 */
#ifndef PORTER_SHARED_LIMITS_H
#define PORTER_SHARED_LIMITS_H

#include <sys/socket.h>

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/shm.h"

#define LIM_LAYOUT	1

/*
 * The waiter's table: one entry per client address it holds connections
 * of, open addressing with at most LIM_PROBE places looked at from the
 * address's hash. When those places all hold other addresses with
 * connections (LIM_WAITER_SLOTS is far above the distinct addresses a
 * waiter holds at once, so this takes a flood of addresses colliding), a
 * new address is not counted: its connections escape the cap until a
 * place frees up (the limit fails open rather than refusing a client
 * for another's sake).
 */
#define LIM_WAITER_SLOTS	16384	/* a power of two */
/*
 * The token buckets: one per recently seen client address, keyed by a
 * 64-bit hash of it (seeded per running porter). A bucket that has
 * filled up again carries no information and is taken over by the next
 * address that needs a place; when every place near the hash is in use,
 * the bucket nearest to full is taken over (its client starts afresh).
 * Two addresses with the same hash share a bucket. So limiting is
 * approximate under collisions and floods, never stricter than asked
 * for a client alone in its bucket.
 */
#define LIM_RATE_SLOTS		16384	/* a power of two */
#define LIM_PROBE		32

struct lim_wentry {
	_Atomic uint32_t	seq;		/* odd while the waiter writes */
	_Atomic uint32_t	family;		/* 0: never used (ends a probe) */
	_Atomic uint32_t	count;		/* 0: a free place, reusable */
	_Atomic uint32_t	addr[4];
	uint32_t		pad;
};

struct lim_rentry {
	_Atomic uint64_t	key;		/* hash of the address; 0 free */
	_Atomic int64_t		tat;		/* GCRA's theoretical arrival
						   time, ns of CLOCK_MONOTONIC */
};

/* The segment's limits area (offset off_limits in the header). */
struct lim_area {
	struct lim_wentry	waiter[LIM_WAITER_SLOTS];
	struct lim_rentry	rate[LIM_RATE_SLOTS];
} __attribute__((aligned(64)));

struct sb_slot;

/* Bytes the limits area needs. */
static inline size_t
lim_size(void)
{
	return (sizeof(struct lim_area));
}

/*
 * A worker, for the connection it now holds (peer: the client; AF_INET
 * or AF_INET6, anything else is not recorded), and when it closes it.
 * The master's reset of a reaped slot clears it as well.
 */
void		lim_slot_set(struct sb_slot *, const struct sockaddr *peer);
void		lim_slot_clear(struct sb_slot *);

/*
 * The waiter only (one writer). reset when it starts: the connections a
 * dead waiter held died with it (the master may call it too, after it
 * reaped the waiter and before it starts the next). add when it takes a
 * connection from peer, del when it closes it or hands it to a worker
 * (after the worker has it: counted twice for a moment rather than not
 * at all). del of an address it holds nothing of is ignored, so counts
 * never wrap. An add the table has no place for is not counted (see
 * LIM_WAITER_SLOTS); its del is then ignored too, or, if the address has
 * found a place meanwhile, takes off one of its other connections: the
 * count errs low, never high.
 */
void		lim_waiter_reset(const struct shm *);
void		lim_waiter_add(const struct shm *, const struct sockaddr *peer);
void		lim_waiter_del(const struct shm *, const struct sockaddr *peer);

/*
 * Connections from peer's address held now: by workers (a scan of the
 * scoreboard) plus by the waiter. IPv4 and IPv4-mapped IPv6 are one
 * address. A caller that checks a cap records its own connection first
 * (lim_slot_set, lim_waiter_add) and refuses when the count is above the
 * cap: two racing for the last place may both be refused, never both
 * let in. A slot whose worker changes connection while it is read may
 * be miscounted by that one.
 */
uint32_t	lim_conns(const struct shm *, const struct sockaddr *peer);

/*
 * Take a token from peer's bucket: rate tokens a second (> 0), at most
 * burst (>= 1) saved up; now is clock_now() (CLOCK_MONOTONIC seconds,
 * the same in every process). 1: taken, the request may go on. 0: the
 * bucket is empty; *retry_after is the seconds until a token is there
 * (> 0). A refused request takes nothing. Lock-free: a few atomic
 * compare-and-swaps. A clock that went backwards never makes a client
 * wait more than one token's time (1 / rate). rate <= 0, or a peer that
 * is not IP, always takes.
 */
int		lim_rate_take(const struct shm *, const struct sockaddr *peer,
		    double rate, uint32_t burst, double now,
		    double *retry_after);

/* Workers relaying a tunnel now (scoreboard slots in SB_TUNNEL). */
uint32_t	lim_tunnels(const struct shm *);

/*
 * A worker about to open a tunnel: set its slot to SB_TUNNEL, then count
 * the tunnels. 1: at most max are open, this one included; the slot
 * stays SB_TUNNEL. 0: more would be open; the slot's state is put back.
 * Setting before counting (both sequentially consistent) means two
 * workers racing for the last place never both get it (both may be
 * refused): the count never exceeds max. A slot already in SB_TUNNEL
 * (its place taken earlier) gets 1 at once.
 */
int		lim_tunnel_take(const struct shm *, struct sb_slot *self,
		    uint32_t max);

#endif
