/*
 * The PROXY header a balancer writes first on a connection to a listener
 * with proxy_protocol = true: who may send one, and reading it, after
 * which the address it names is the client everywhere (allow/deny, the
 * per-client limits, X-Forwarded-For, hash_key = "client_ip", the logs,
 * the scoreboard).
 */
#ifndef PORTER_WORKER_PROXY_HEADER_H
#define PORTER_WORKER_PROXY_HEADER_H

#include "worker/client.h"

/*
 * For a connection just accepted: 1 if its peer is in the listener's
 * proxy_protocol_from, else 0 (logged and counted: the caller closes it).
 */
int	proxy_header_allowed(struct conn *);

/*
 * Read the header at the start of c->buf: 1 when it is taken (removed
 * from the buffer, c->peer and the rest set from it), 0 when more bytes
 * are needed, -1 when it is not valid (logged and counted: the caller
 * closes the connection without an answer, as HAProxy does; there is no
 * HTTP client to answer).
 */
int	proxy_header_take(struct conn *);

/*
 * Write the PROXY header of version v for c's client to buf (cap at least
 * PP_WRITE_MAX): the client's address and the one it reached, from the
 * header porter read or else porter's own end of the socket. Its length,
 * or 0 (then nothing can be said: the caller sends a LOCAL header).
 */
size_t	proxy_header_out(struct conn *, int v, char *buf, size_t cap);

#endif
