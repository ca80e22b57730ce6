/*
 * The waiter's deadlines: a binary min-heap of the connections it holds,
 * ordered by when each must be closed (client_header, keepalive, the
 * minimum data rate). Each entry knows its place in the heap, so a
 * deadline that moves (bytes arrived) or a connection that leaves (handed
 * back, closed) costs O(log n), and the next one due is at the top.
 */
#ifndef PORTER_WAITER_DEADLINE_H
#define PORTER_WAITER_DEADLINE_H

#include <stdint.h>

#include "shared/parking.h"

#define DL_NONE	UINT32_MAX	/* not in the heap */

/* Embedded in what is timed. */
struct dl_node {
	int64_t		at;	/* monotonic ms */
	uint32_t	i;	/* index in the heap, or DL_NONE */
};

struct dl_heap {
	struct dl_node	**v;
	uint32_t	  n, cap;
};

void		 dl_init(struct dl_heap *);
void		 dl_free(struct dl_heap *);
/* Add node due at at (not in the heap yet): 0, or -1 out of memory. */
int		 dl_add(struct dl_heap *, struct dl_node *, int64_t at);
/* Move a node in the heap to a new time. */
void		 dl_move(struct dl_heap *, struct dl_node *, int64_t at);
/* Take a node out (no-op when it is not in). */
void		 dl_del(struct dl_heap *, struct dl_node *);
/* The node due first, or NULL. */
struct dl_node	*dl_first(const struct dl_heap *);

/* The timeouts in force (the segment's copy of the configuration's). */
struct dl_limits {
	uint32_t	client_header_ms, client_body_ms, keepalive_ms;
	uint32_t	min_rate;	/* bytes/s; 0: off */
};

/* A head or body must keep up with min_rate after this much time. */
#define DL_RATE_GRACE_MS	1000

/*
 * When a parked connection must be closed: why (enum park_why) it waits,
 * since when (ms), when its last bytes came (ms), and how many bytes it
 * has sent since since. An idle one gets keepalive from since; a head
 * client_header from since (a deadline for the whole head); a body
 * client_body from its last bytes (the longest wait for the next piece,
 * as in a worker). Heads and bodies are cut sooner when they fall behind
 * min_rate: a second's grace, then a second for every min_rate bytes
 * (Apache's mod_reqtimeout MinRate).
 */
int64_t		 dl_due(const struct dl_limits *, int why, int64_t since,
		    int64_t last, uint32_t bytes);

#endif
