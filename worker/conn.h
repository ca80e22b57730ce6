/*
 * One client connection: read request heads, refuse bad ones, hand good
 * ones to the handler of the listener's mode (reverse proxy, forward
 * proxy, status page), keep the connection alive between requests and
 * answer pipelined requests in order.
 */
#ifndef PORTER_WORKER_CONN_H
#define PORTER_WORKER_CONN_H

#include <sys/socket.h>

#include "config/cfg.h"
#include "lib/handoff.h"
#include "worker/state.h"

/*
 * Serve the socket fd accepted on lfd until it closes or is parked with
 * the waiter; closes fd. h: NULL for a connection just accepted, or what
 * came with one the waiter handed over (its h->len bytes in w->cbuf).
 */
void	conn_serve(struct worker *, const struct cfg_listener *, int lfd,
	    int fd, const struct sockaddr *, socklen_t,
	    const struct handoff *h);

#endif
