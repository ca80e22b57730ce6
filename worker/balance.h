/*
 * Choosing a server of a pool. Weighted round-robin is expanded once, at
 * start, into the smooth sequence nginx uses (weights 5,1,1 give
 * a a b a c a a, not a a a a a b c); each pick takes the next position from
 * a counter shared by all workers in the segment, so the weights hold for
 * the whole service and not per worker.
 */
#ifndef PORTER_WORKER_BALANCE_H
#define PORTER_WORKER_BALANCE_H

#include <stdatomic.h>
#include <stdint.h>

#include "config/cfg.h"

struct balance {
	uint16_t	*seq;		/* server index for each position */
	uint32_t	 len;		/* sum of weights */
	int		 nservers;
};

/* Build the sequence for a pool; 0, or -1 (out of memory). */
int	balance_init(struct balance *, const struct cfg_pool *);
void	balance_free(struct balance *);
/* The server for the next request, given the pool's shared counter. */
int	balance_pick(const struct balance *, _Atomic uint64_t *counter);

#endif
