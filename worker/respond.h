/* Answers porter writes itself: error pages with short HTML bodies. */
#ifndef PORTER_WORKER_RESPOND_H
#define PORTER_WORKER_RESPOND_H

#include <stddef.h>

#include "worker/io.h"

const char	*respond_reason(int status);
/* "Sun, 06 Nov 1994 08:49:37 GMT", recomputed once a second. */
const char	*respond_date(void);

/*
 * Send an error answer. keepalive: the client may send another request
 * (else "Connection: close"); http10_ka: an HTTP/1.0 client that asked for
 * keep-alive needs "Connection: keep-alive"; head: no body (HEAD).
 * Returns the bytes sent, or -1.
 */
long	respond_error(struct io *, int status, int keepalive, int http10_ka,
	    int head, double deadline);

#endif
