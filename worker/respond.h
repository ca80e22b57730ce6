/* Answers porter writes itself: error pages with short HTML bodies. */
#ifndef PORTER_WORKER_RESPOND_H
#define PORTER_WORKER_RESPOND_H

#include <stddef.h>

#include "worker/io.h"

const char	*respond_reason(int status);
/* "Sun, 06 Nov 1994 08:49:37 GMT", recomputed once a second. */
const char	*respond_date(void);

/* An answer porter writes itself. */
struct respond {
	int		 status;
	int		 keepalive;	/* else "Connection: close" */
	int		 http10_ka;	/* an HTTP/1.0 client asked for keep-alive */
	int		 head;		/* HEAD: headers only */
	const char	*extra;		/* more header lines, each ending CRLF */
	const char	*body;		/* NULL: porter's short page */
	size_t		 blen;
	const char	*ctype;		/* of body; NULL: text/html */
	const char	*detail;	/* porter's page: says this instead of the
					   status's usual line (HTML-escaped) */
	const char	*request_id;	/* NULL or "": none; else sent as
					   X-Request-Id, and porter's page
					   shows it (HTML-escaped) */
};

/*
 * Send it; returns the bytes sent, or -1. *head (if not NULL): how many
 * of them were the head.
 */
long	respond_send(struct io *, const struct respond *, double deadline,
	    size_t *head);

#endif
