/*
 * Rewriting message heads as they pass through porter: the request for
 * the backend (origin form, hop-by-hop fields out, Via and X-Forwarded-*
 * or anonymous, the route's header rules) and the response for the client.
 * Heads are written into the worker's obuf, never past it.
 */
#ifndef PORTER_WORKER_REWRITE_H
#define PORTER_WORKER_REWRITE_H

#include <stddef.h>

#include "config/cfg.h"
#include "worker/client.h"
#include "worker/http_parse.h"

/*
 * The request head for the backend: origin-form target (absolute-form to a
 * parent proxy), HTTP/1.1, the client's fields less hop-by-hop ones (those
 * its Connection names too, also Via and X-Forwarded-For), less names with
 * "_" unless underscores_in_headers, Content-Length once, and
 * porter's Via and X-Forwarded-* (forward mode: Via and X-Forwarded-For
 * only, or nothing that identifies the client when anonymous). hostfb is
 * the Host for a request without one (HTTP/1.0). Returns its length, or 0
 * if it does not fit in obuf.
 */
size_t	rewrite_request(struct conn *, const struct cfg_route *,
	    const char *hostfb);

/*
 * The response head r (its bytes in ub) for the client. chunked:
 * REWRITE_TE_KEEP passes the backend's chunked coding on (its
 * Transfer-Encoding line kept), REWRITE_TE_CHUNK says porter chunks a
 * body the backend frames by the close (r has no Transfer-Encoding), 0
 * drops Transfer-Encoding; ka: the client connection stays open after
 * this response. Length, or 0.
 */
#define REWRITE_TE_KEEP		1
#define REWRITE_TE_CHUNK	2
/* Or'ed in: porter gzips the body (worker/gzip.h gzip_head_field). */
#define REWRITE_GZIP		4

/*
 * A stored response r (head bytes ub, which carry no framing fields) as
 * the cache sends it: as->code 0 as stored, 304 (only the fields a 304
 * carries), or 206 (Content-Range from start, end, total); framed by
 * Content-Length as->length (>= 0), or chunked with as->chunked (a body
 * still being filled, for an HTTP/1.1 client), or by the close. The
 * route's response rules, c->resp_extra and Via apply as for a
 * response from the backend. Length, or 0 if it does not fit in obuf.
 */
struct rewrite_as {
	int		code;		/* 0, 206 or 304 */
	int64_t		length;		/* Content-Length; -1: none */
	int		chunked;
	uint64_t	start, end, total;	/* 206 */
	int		inflate;	/* a body stored gzipped goes out
					   inflated: no Content-Encoding */
};
size_t	rewrite_cached(struct conn *, const struct cfg_route *,
	    const struct http_resp *, const char *ub, const struct rewrite_as *,
	    int ka);

size_t	rewrite_response(struct conn *, const struct cfg_route *,
	    const struct http_resp *r, const char *ub, int chunked, int ka);

/*
 * An interim 1xx response r (its bytes in ub) for the client: its fields
 * less hop-by-hop ones and those its Connection names. Length, or 0 if it
 * does not fit in obuf.
 */
size_t	rewrite_interim(struct conn *, const struct http_resp *r,
	    const char *ub);

/* A WebSocket (or other) upgrade the client asked for. */
int	rewrite_wants_upgrade(const struct http_req *);

#endif
