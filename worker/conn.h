/*
 * One client connection: read request heads, refuse bad ones, hand good
 * ones to the proxy, keep the connection alive between requests and answer
 * pipelined requests in order.
 */
#ifndef PORTER_WORKER_CONN_H
#define PORTER_WORKER_CONN_H

#include <sys/socket.h>

#include <stdint.h>

#include "config/cfg.h"
#include "worker/http_parse.h"
#include "worker/io.h"
#include "worker/respond.h"
#include "worker/worker.h"

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
	char				*buf;		/* client bytes [0, len) */
	size_t				 len;
	struct http_req			 req;
	int				 keepalive;	/* may serve another request */
	int				 head_done;	/* head removed from buf */
	const char			*npath;		/* normalised path (w->nbuf) */
	size_t				 npathlen;
	struct span			 query;		/* "?..." of the target, or empty */

	/* about the current request, for the log */
	int				 status;	/* sent to the client */
	uint64_t			 sent;		/* bytes to the client */
	const char			*backend;	/* address text, or NULL */
	const char			*why;		/* why porter answered itself */
	char				 why_buf[600];	/* its text, if not static */
};

/* Serve the socket fd accepted on lfd until it closes; closes fd. */
void	conn_serve(struct worker *, const struct cfg_listener *, int lfd,
	    int fd, const struct sockaddr *, socklen_t);

/*
 * Send an answer porter wrote itself (HEAD and HTTP/1.0 keep-alive are
 * handled here) and count its bytes. Returns 0 if the connection may go
 * on: r->keepalive and the send worked.
 */
int	conn_send(struct conn *, struct respond *);

/*
 * Answer the current request with an error page and log why; closing:
 * the connection ends after it. Returns 0 if the connection may go on.
 * The page is the operator's (error_pages) when there is one.
 */
int	conn_error(struct conn *, int status, int closing, const char *why);
/* The same with more header lines (each ending CRLF), e.g. Allow. */
int	conn_error_with(struct conn *, int status, int closing,
	    const char *why, const char *extra);
/* The same, with porter's page saying detail (e.g. the rule that matched). */
int	conn_error_page(struct conn *, int status, int closing,
	    const char *why, const char *extra, const char *detail);

#endif
