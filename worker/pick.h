/* Choosing the server of a pool for one request. */
#ifndef PORTER_WORKER_PICK_H
#define PORTER_WORKER_PICK_H

#include <stdint.h>

#include "config/cfg.h"
#include "worker/client.h"

/* What pick_server says when it names no server. */
#define PICK_NONE	(-1)	/* none is up (or all were tried) */
#define PICK_BUSY	(-2)	/* the usable ones are all at max_conns */

/*
 * The server for the next attempt: among the primaries that are up, not
 * draining, below max_conns and not yet tried for this request, the one
 * the pool's algorithm picks; the backups only when no primary is up.
 * A down server whose passive down time is over gets the request as its
 * trial. slow_start: a server still ramping up is passed over with the
 * probability of the weight it does not have yet. Its index in the
 * pool's servers, or PICK_NONE or PICK_BUSY.
 */
int	pick_server(struct conn *, const struct cfg_route *,
	    const uint8_t *tried);

/*
 * Whether the health table says every server of pool p (backups too) is
 * down: stale-if-error then serves a stale copy without trying any. A
 * read of the table only: no trial is claimed.
 */
int	pick_pool_down(const struct worker *, const struct cfg_pool *p);

/*
 * Every usable server is at max_conns: wait for a slot, polling the table
 * with a short, growing sleep, until queue_timeout from *since. 0 to try
 * again, -1 when the time is up.
 */
int	pick_queue_wait(const struct cfg_pool *, double *since, int *step_ms);

#endif
