/* Forward mode: requests and CONNECT tunnels on behalf of clients. */
#ifndef PORTER_WORKER_FORWARD_H
#define PORTER_WORKER_FORWARD_H

#include "worker/client.h"

/*
 * Serve c->req on a forward listener (the client already passed allow and
 * deny): authenticate, check the destination, then fetch or tunnel.
 * Returns 0 if the client connection may carry another request.
 */
int	forward_request(struct conn *);

#endif
