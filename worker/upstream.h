/*
 * A worker's idle connections to backends, kept for reuse. They are the
 * worker's own (a prefork worker serves one request at a time, so nothing
 * else can want them), bounded by upstream_keepalive.
 */
#ifndef PORTER_WORKER_UPSTREAM_H
#define PORTER_WORKER_UPSTREAM_H

#include <sys/socket.h>

#include "lib/addr.h"
#include "lib/arena.h"
#include "worker/io.h"

struct up_conn {
	struct io		 io;
	struct sockaddr_storage	 sa;		/* where it goes: the key */
	socklen_t		 salen;
	struct sockaddr_storage	 client;	/* and, when it began with a
						   PROXY header, for whom */
	socklen_t		 clientlen;	/* 0: for anyone */
	double			 since;		/* idle since (clock_now) */
};

struct upstream {
	struct up_conn	*idle;
	int		 nidle;
	int		 max;
};

/* 0, or -1 (out of memory). max may be 0: no reuse. */
int	upstream_init(struct upstream *, int max, struct arena *);
/*
 * Take an idle connection to the address sa (a backend, an origin server
 * or a parent proxy: forward mode reaches many by name, so the key is the
 * address, not a config entry); 1 if one was found (in *out), 0 if none.
 * probe: first make sure the backend has not closed it (one recv). A
 * caller that can resend its request on a fresh connection skips that.
 * client (clientlen > 0): only one that began with a PROXY header for
 * this client address and port; clientlen 0: only one that did not.
 */
int	upstream_take(struct upstream *, const struct sockaddr *, socklen_t,
	    const struct sockaddr *client, socklen_t clientlen, int probe,
	    struct up_conn *out);
/*
 * Connect to the first of l's addresses that answers, trying them in
 * order from index first (wrapping around), all within timeout seconds:
 * each gets an equal share of the time left, so one that never answers
 * cannot starve the others. The socket, with *which its index; or -1
 * with errno from the last address tried. Each address that failed is
 * described in tried ("[::1]:80: connect refused; ..."), cut to cap.
 */
int	upstream_connect(const struct addrlist *l, int first, double timeout,
	    int *which, char *tried, size_t cap);
/* Keep a connection whose last response ended cleanly; may close it. */
void	upstream_keep(struct upstream *, struct up_conn *);
void	upstream_close(struct up_conn *);
/* Close every idle connection (worker exit). */
void	upstream_drain(struct upstream *);

#endif
