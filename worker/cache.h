/*
 * The worker's side of the shared response cache: for a request on a
 * route with cache = true, answer it from the store (a hit, a 304 to a
 * conditional, a range, a response another worker is still fetching),
 * or let proxy.c fetch it and store what comes back (fill), revalidate a
 * stale copy, or invalidate after an unsafe method. The rules of RFC
 * 9111 are worker/cache_policy.c's, the shared memory shared/store.c's;
 * this file joins them to a client connection.
 */
#ifndef PORTER_WORKER_CACHE_H
#define PORTER_WORKER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "shared/store.h"
#include "worker/cache_policy.h"
#include "worker/client.h"
#include "worker/http_parse.h"
#include "worker/relay.h"

struct uses_area;

#define CACHE_KEY_MAX	8192	/* longer keys are not cached */
#define CACHE_VARY_MAX	4096

/* A worker's cache buffers, alive for its life (NULL: no store). */
struct cache_work {
	struct store	*st;
	struct uses_area *uses;		/* miss counts: cache_min_uses */
	uint32_t	 slot;
	char		 key[CACHE_KEY_MAX];
	char		 vary[CACHE_VARY_MAX];
	char		*qbuf;		/* a copy of the request head: the
					   proxy drops it from c->buf */
	size_t		 qcap;
	char		*head;		/* a stored head, read back */
	char		*merged;	/* a stored head updated by a 304 */
	size_t		 hcap;
	struct http_resp sr;		/* the stored head, parsed */
	struct http_resp mr;		/* the merged head, parsed */
	char		 req_extra[512];	/* validators for the backend */
	char		 resp_extra[320];	/* Age, Cache-Status */
};

/* One request on a cache route: what the cache made of it. */
struct cache_req {
	struct cache_work	*cw;
	const struct cfg_route	*rt;
	uint64_t		 hash;
	uint32_t		 klen;		/* of the key in cw->key */
	struct cp_cc		 rq;		/* the request's directives */
	int64_t			 request_time;	/* ms */
	int			 fill;		/* this request fills fref */
	struct store_ref	 fref;
	int			 stale;		/* revalidating sref (pinned) */
	int			 keep;		/* sref pinned only to answer
						   if the backend fails */
	int			 sie;		/* sref (stale or keep) may
						   answer if the backend fails
						   (stale-if-error) */
	struct store_ref	 sref;
	int			 invalidate;	/* an unsafe method */
	int			 storing;	/* the head went in: tee the body */
	const char		*fwd;		/* Cache-Status fwd= */
	const char		*detail;	/* why not stored */
};

/* Per worker, once: 0, or -1 (out of memory). st NULL: nothing to do. */
int	cache_work_init(struct cache_work **, struct store *,
	    struct uses_area *, uint32_t slot, size_t max_head,
	    size_t resp_head);

/*
 * Before proxy.c fetches c's request on route rt (whose cache is on):
 * 1 when the cache answered it (*rc: 0 the connection goes on, -1 it
 * ends), 0 when the request goes to the backend as cr says (cache_end
 * must follow).
 */
int	cache_request(struct conn *, const struct cfg_route *,
	    struct cache_req *, int *rc);

/*
 * The backend's response head r (bytes ub) came: store or not, the
 * Cache-Status for the client set in c->resp_extra. 1 when the cache
 * answered the client itself (a 304 to a revalidation: the stored body
 * went out, *rc as for cache_request), else 0 (with rl's tee set when
 * the body is to be stored).
 */
int	cache_response(struct conn *, struct cache_req *,
	    const struct http_resp *r, const char *ub, struct relay *rl,
	    int *rc);

/* The body relay ended; complete: the whole body went into the tee. */
void	cache_body_end(struct conn *, struct cache_req *, int complete);

/*
 * The backend failed before anything went to the client (no server up,
 * connect error, timeout, a bad response; status is what porter would
 * answer): 1 when a stale copy within its stale-if-error window answered
 * instead (*rc as for cache_request), else 0.
 */
int	cache_stale_on_error(struct conn *, struct cache_req *, int status,
	    int *rc);

/* The request is over: a fill not completed is abandoned, pins dropped. */
void	cache_end(struct conn *, struct cache_req *);

/* The store's hash of a cache key (worker/purge_http.c purges by key). */
uint64_t cache_key_hash(const char *key, size_t len);

/*
 * The cache key of a GET of host, path (normalised), query on route rt
 * into out[0..cap): with key headers from q (its bytes qbuf), or none
 * when q is NULL (a purge from the status listener has no such request).
 * Its length, or 0 when it does not fit.
 */
uint32_t cache_route_key(const struct cfg_route *rt, const char *host,
	    size_t hostlen, const char *path, size_t pathlen, const char *query,
	    size_t querylen, const struct http_req *q, const char *qbuf,
	    char *out, size_t cap);

#endif
