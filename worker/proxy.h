/* Forwarding one request to a backend and relaying its response. */
#ifndef PORTER_WORKER_PROXY_H
#define PORTER_WORKER_PROXY_H

#include "config/cfg.h"
#include "lib/addr.h"
#include "worker/client.h"

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
 * Turn the client connection into a tunnel to fd (a CONNECT, or a 101
 * answer to an Upgrade): write head (hlen bytes) to the client, then relay
 * bytes both ways until either side ends. pre: what the server already
 * sent past its head, for the client first. Closes fd; logs the bytes
 * each way. Returns -1: the client connection ends with the tunnel.
 * Over limits.max_tunnels the client gets 503 instead (worker/limit.h).
 */
int	proxy_tunnel(struct conn *, int fd, const char *head, size_t hlen,
	    const char *pre, size_t npre);

#endif
