/* Forwarding one request to a backend and relaying its response. */
#ifndef PORTER_WORKER_PROXY_H
#define PORTER_WORKER_PROXY_H

#include "config/cfg.h"
#include "lib/addr.h"
#include "worker/conn.h"

/*
 * Serve c->req (parsed head at the start of c->buf) through the route's
 * pool. On return the request and its body are consumed from c->buf and
 * c->buf holds only what the client sent after it. Returns 0 if the client
 * connection may carry another request, -1 if it must close.
 */
int	proxy_request(struct conn *, const struct cfg_route *);

/*
 * Forward mode: the same exchange with the server at the first of the
 * addresses that takes it (name for logs), with rt's header rules
 * (forward listeners get an empty route).
 */
int	proxy_forward(struct conn *, const struct cfg_route *,
	    const struct addrlist *, const char *name);

/*
 * Max-Forwards of a TRACE or OPTIONS request: its value, or -1 when it
 * has none (or it is not a number).
 */
long	proxy_max_forwards(const struct conn *);

struct tunnel_stats;
/* A tunnel ended: count its bytes and log them, for the access log too. */
void	proxy_tunnel_log(struct conn *, const struct tunnel_stats *);

#endif
