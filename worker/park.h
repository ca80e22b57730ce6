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
