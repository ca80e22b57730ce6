/*
 * A worker's side of the waiter: handing a connection that waits for its
 * client to the waiter (parking), and finding the listener of one that
 * comes back. A worker never blocks on this: when the waiter is absent,
 * full or behind, the worker keeps the connection and serves it as if
 * there were no waiter.
 */
#ifndef PORTER_WORKER_PARK_H
#define PORTER_WORKER_PARK_H

#include <stdint.h>

#include "lib/handoff.h"
#include "shared/parking.h"

struct conn;
struct worker;

/* Whether a connection may be parked now (a waiter runs, with room). */
int	park_possible(const struct worker *);

/* With PARK_BODY: its request was counted (the next worker must not). */
#define PARK_COUNTED	0x80

/*
 * Hand c's socket and its unread bytes to the waiter, why (enum park_why,
 * PARK_COUNTED or'ed in) since since_ms: 0 when the waiter has it (the caller closes its own
 * descriptor and forgets the connection), -1 when the caller keeps it.
 */
int	park_conn(struct conn *c, int why, int64_t since_ms);

/*
 * Rotation without the waiter: when clients queue for a worker, a
 * kept-alive connection whose client has sent its next request by the
 * time its answer is out goes straight onto the queue the waiter hands
 * connections back on, behind those there, that request with it. The
 * waiter would only read it and queue it there itself, a sleep, a
 * wake-up and two descriptor passes later. 1 queued (the caller closes
 * its descriptor), 0 not (nothing in yet, or half a head: c->buf and
 * c->len hold what came; park it, or serve it), -1 the client left.
 */
int	park_requeue(struct conn *c);

/*
 * Whether park_requeue is for this worker now: the pool is at
 * workers.max (the master says), so rotation is the steady state, not a
 * moment the master is growing the pool out of. While it can grow, a
 * rotation goes through the waiter as before: measured, a pool grown to
 * a worker per busy client was slower than the rotation until it got
 * there, and idle workers left from it slowed short connections down.
 */
int	park_requeue_possible(const struct worker *);

/*
 * During a graceful stop, whether the waiter is still there (it exits
 * once it holds nothing), or has handed back connections not yet taken:
 * the stopping workers stay to serve those, and exit after it.
 */
int	park_draining(const struct worker *);

/*
 * The listener index, in the worker's configuration, of a connection the
 * waiter handed over: the one it was parked with when that was the same
 * generation, else the listener whose address the socket was accepted
 * on. -1 if none (removed by a reload).
 */
int	park_listener(const struct worker *, const struct handoff *, int fd);

#endif
