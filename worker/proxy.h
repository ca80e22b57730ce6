/* Forwarding one request to a backend and relaying its response. */
#ifndef PORTER_WORKER_PROXY_H
#define PORTER_WORKER_PROXY_H

#include "config/cfg.h"
#include "worker/conn.h"

/*
 * Serve c->req (parsed head at the start of c->buf) through the route's
 * pool. On return the request and its body are consumed from c->buf and
 * c->buf holds only what the client sent after it. Returns 0 if the client
 * connection may carry another request, -1 if it must close.
 */
int	proxy_request(struct conn *, const struct cfg_route *);

#endif
