/* Reverse-proxy routing: which route of a listener serves a request. */
#ifndef PORTER_WORKER_ROUTE_H
#define PORTER_WORKER_ROUTE_H

#include <stddef.h>

#include "config/cfg.h"

/*
 * Split a request target into host and path: origin-form "/p" (host from
 * the Host header), absolute-form "http://h:port/p" (host from the URI, as
 * RFC 9112 3.2.2 wants), asterisk-form "*" (path "*"). The host loses its
 * port. Returns 0, or -1 for a target that is none of these.
 */
int	route_split(const char *target, size_t tlen, const char *hosthdr,
	    size_t hlen, const char **host, size_t *hostlen,
	    const char **path, size_t *pathlen);

/*
 * The best route of the listener for host (any case, no port) and path:
 * an exact host beats "*.suffix" (longer suffix first) beats "*"; among
 * those, the longest path prefix. NULL when none matches.
 */
const struct cfg_route *route_match(const struct cfg_listener *,
	    const char *host, size_t hostlen, const char *path, size_t pathlen);

#endif
