/*
 * One client connection and the request being served on it: what every
 * handler (proxy, forward, status) works on. Data only; conn.c runs the
 * connection, answer.c writes porter's own answers.
 */
#ifndef PORTER_WORKER_CLIENT_H
#define PORTER_WORKER_CLIENT_H

#include <sys/socket.h>

#include <stdint.h>
#include <string.h>

#include "config/cfg.h"
#include "worker/http_parse.h"
#include "worker/io.h"
#include "worker/reqid.h"
#include "worker/state.h"

struct cache_req;

struct conn {
	struct worker			*w;
	const struct cfg_listener	*lst;
	int				 lfd;		/* its listening socket */
	const struct cfg_forward	*fwd;		/* forward listener's
							   settings, or NULL */
	int				 to_parent;	/* forward: this request
							   goes to a parent proxy */
	struct io			 io;
	char				 peer[46];	/* client address (INET6_ADDRSTRLEN) */
	struct sockaddr_storage		 peer_sa;
	socklen_t			 peer_len;
	struct sockaddr_storage		 local_sa;	/* the address it reached
							   (local_len 0: not
							   looked up yet) */
	socklen_t			 local_len;
	int				 pp_pending;	/* a PROXY header comes
							   first, not read yet */
	unsigned			 requests;	/* served on it so far */
	int				 resumed;	/* this request was parked
							   for its body by another
							   worker: counted and
							   admitted there */
	char				*buf;		/* client bytes [0, len) */
	size_t				 len;
	struct http_req			 req;
	int				 keepalive;	/* may serve another request */
	int				 head_done;	/* head removed from buf */
	const char			*npath;		/* normalised path (w->nbuf) */
	size_t				 npathlen;
	struct span			 query;		/* "?..." of the target, or empty */

	/*
	 * The cache's words for this request (worker/cache.c), NULL/0 when
	 * the route does not cache: fields for the backend request (a
	 * revalidation's validators), whether to leave out the client's
	 * conditional and Range fields (a fill fetches the whole response),
	 * and fields for the response (Cache-Status).
	 */
	struct cache_req		*cache;		/* NULL: not cached */
	const char			*req_extra;
	size_t				 req_extra_len;
	int				 req_unconditional;
	const char			*resp_extra;
	size_t				 resp_extra_len;
	int				 gzip_want;	/* the route gzips, the
							   client accepts it and
							   asked no range */

	/* about the current request, for the log */
	int				 status;	/* sent to the client */
	uint64_t			 sent;		/* bytes to the client */
	const char			*backend;	/* address text, or NULL */
	const char			*why;		/* why porter answered itself */
	char				 why_buf[600];	/* its text, if not static */
	/* ... and for the access log's other fields (worker/accesslog.c) */
	int				 parsed;	/* the head parsed: req's
							   spans are good */
	const struct cfg_route		*route;		/* the route it took */
	uint64_t			 head_sent;	/* of sent: the head's */
	uint64_t			 received;	/* from the client: head,
							   body passed on, a
							   tunnel's bytes up */
	int				 up_status;	/* the backend's; 0 none */
	double				 up_connect;	/* s to connect (0:
							   reused); < 0 none */
	double				 up_header;	/* s to its response head */
	const char			*rule;		/* the rule that refused it */
	char				 cache_status[16];	/* "hit", "miss"
							   ...; "" none */
	char				 user[64];	/* proxy-authenticated */
	char				 request_id[REQID_MAX + 1];
							/* "": none */
};

/*
 * Take the request head out of c->buf, once: what follows it (a body, a
 * pipelined request) moves to the front. The proxy does it before relaying
 * the body; conn.c after any other answer.
 */
static inline void
client_drop_head(struct conn *c)
{
	if (c->head_done)
		return;
	/* the access log still wants the head's fields */
	if (c->w->head_copy != NULL)
		memcpy(c->w->head_copy, c->buf, c->req.h.head_len);
	c->len -= c->req.h.head_len;
	memmove(c->buf, c->buf + c->req.h.head_len, c->len);
	c->head_done = 1;
}

#endif
