/*
 * Request filtering on the reverse proxy: the access rules of a listener
 * or a route (client addresses, methods, paths, headers), checked before
 * any backend is involved.
 */
#ifndef PORTER_WORKER_FILTER_H
#define PORTER_WORKER_FILTER_H

#include <sys/socket.h>

#include <stddef.h>

#include "config/cfg.h"
#include "worker/http_parse.h"

/* What a request is checked with. */
struct filter_req {
	const struct sockaddr	*peer;	/* the client */
	const struct http_req	*req;	/* its parsed head, spans into buf */
	const char		*buf;
	const char		*path;	/* normalised path, NUL-terminated */
	char			*scratch;	/* room for one header value + 1 */
	size_t			 scratch_len;
};

/*
 * 0 if the request passes f; otherwise the status to answer: 403 (an
 * address, path or header rule) or 405 (methods). why gets the rule that
 * matched, for the log.
 */
int	filter_check(const struct cfg_filter *f, const struct filter_req *,
	    char *why, size_t whylen);

/* "GET, HEAD" for the Allow header of a 405; "" when methods is empty. */
void	filter_allow_header(const struct cfg_filter *f, char *dst,
	    size_t len);

#endif
