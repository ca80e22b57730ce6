/*
 * The per-client limits on a worker's connection (limits in the config;
 * the counts live in the shared segment, shared/limits.h): connections
 * per client address, requests per second per client address (a token
 * bucket), tunnels open at once, and the rate a client must read
 * responses at. The status listener is never limited; exempt clients
 * have no connection cap and no rate.
 */
#ifndef PORTER_WORKER_LIMIT_H
#define PORTER_WORKER_LIMIT_H

#include <stddef.h>

#include "worker/client.h"

/*
 * A connection just accepted: record its client in this worker's slot,
 * pace writes to it (min_rate), and check max_conns_per_client. 1: go
 * on. 0: refused; the client has its 503 (before any of its request was
 * read) and the caller calls limit_conn_end and closes the socket.
 */
int	limit_conn_admit(struct conn *);

/*
 * What limit_conn_admit does but the check: for a connection another
 * process (the waiter) admitted and handed over.
 */
void	limit_conn_start(struct conn *);

/*
 * The connection is about to be closed: the slot no longer holds its
 * client; a client cut off for reading too slowly is logged and counted,
 * and its socket set to be reset by the close (what the kernel still
 * holds for it is dropped, not trickled out).
 */
void	limit_conn_end(struct conn *);

/*
 * A request whose head passed the listener's allow and deny: take a
 * token from its client's bucket (rate, burst). 1: go on. 0: refused
 * with 429 and Retry-After; *rc is what answering returned (0 when the
 * connection goes on: a request without a body keeps it). Also starts
 * the response's min_rate count.
 */
int	limit_request_admit(struct conn *, int *rc);

/*
 * A CONNECT or Upgrade about to hold this worker for a tunnel: take one
 * of limits.max_tunnels places (the slot shows SB_TUNNEL from here on).
 * 1: go on. 0: refused with 503; *rc is what answering returned (-1:
 * the connection ends). A slot that took its place already gets 1.
 */
int	limit_tunnel_admit(struct conn *, int *rc);

/*
 * The whole answer to a connection over max_conns_per_client, into
 * buf[0..cap): 503, a short text body, Retry-After: 1, Connection:
 * close. Its length, or 0 if cap is too small (512 is enough).
 */
size_t	limit_conn_refusal(char *buf, size_t cap);

#endif
