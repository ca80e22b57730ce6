/*
 * Choosing a server of a pool. Weighted round-robin is expanded once, at
 * start, into the smooth sequence nginx uses (weights 5,1,1 give
 * a a b a c a a, not a a a a a b c); each pick takes the next position from
 * a counter shared by all workers in the segment, so the weights hold for
 * the whole service and not per worker.
 *
 * The other pickers need no shared state beyond what the caller passes:
 * a consistent-hash ring (weight * 40 points per server, built with the
 * sequence), weighted least connections, and the power of two choices.
 * Every picker taking `eligible` (one byte per server, non-zero = may be
 * used; NULL = all) returns -1 when no server is eligible.
 */
#ifndef PORTER_WORKER_BALANCE_H
#define PORTER_WORKER_BALANCE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "lib/arena.h"

#define BALANCE_POINTS		40	/* ring points per unit of weight */
#define BALANCE_MAX_POINTS	65536	/* ring size bound, whole pool */

struct balance_point {
	uint64_t	 hash;
	uint32_t	 server;
};

struct balance {
	uint16_t	*seq;		/* server index for each position */
	uint32_t	 len;		/* sum of weights */
	int		 nservers;
	struct balance_point *ring;	/* sorted by hash, then server */
	uint32_t	 nring;
	int		 in_arena;	/* seq and ring are not freed */
};

/*
 * Build the sequence and the ring for a pool, in mem if it is not NULL
 * (it then needs balance_room bytes of small blocks); 0, or -1 (out of
 * memory).
 */
int	balance_init(struct balance *, const struct cfg_pool *, struct arena *);
size_t	balance_room(const struct cfg_pool *);
void	balance_free(struct balance *);
/*
 * Round-robin that skips ineligible servers: takes positions from the
 * shared counter until one names an eligible server (at most len), so the
 * weights still hold among the eligible ones; -1 if none.
 */
int	balance_pick_rr(const struct balance *, _Atomic uint64_t *counter,
	    const uint8_t *eligible);
/*
 * The owner of the first ring point clockwise from hash(key) whose server
 * is eligible; key need not be NUL-terminated. -1 if none.
 */
int	balance_pick_hash(const struct balance *, const char *key,
	    size_t keylen, const uint8_t *eligible);
/*
 * The eligible server with the least (active[i] + 1) / weight; the scan
 * starts at tiebreak % nservers so equal servers share load. active has
 * nservers entries (negative counts as 0). -1 if none.
 */
int	balance_pick_least(const struct balance *, const struct cfg_pool *,
	    const int32_t *active, const uint8_t *eligible, uint64_t tiebreak);
/*
 * Power of two choices: two different eligible servers drawn from the low
 * and high 32 bits of rnd, the less loaded (as above) wins; the only
 * eligible one if just one; -1 if none.
 */
int	balance_pick_random2(const struct balance *, const struct cfg_pool *,
	    const int32_t *active, const uint8_t *eligible, uint64_t rnd);

#endif
