/*
 * Answers porter gives itself on a client connection: error pages (the
 * operator's, or porter's short ones) and other answers built by a
 * handler, counted and logged. Every handler answers through here, so no
 * handler calls back into the connection loop.
 */
#ifndef PORTER_WORKER_ANSWER_H
#define PORTER_WORKER_ANSWER_H

#include "worker/client.h"
#include "worker/respond.h"

/*
 * Send an answer porter wrote itself (HEAD and HTTP/1.0 keep-alive are
 * handled here) and count its bytes. Returns 0 if the connection may go
 * on: r->keepalive and the send worked.
 */
int	answer_send(struct conn *, struct respond *);

/*
 * 303 See Other to location: the answer to a form a browser posted (the
 * status page's drain and purge forms), which sends it back to the page.
 * body (of type ctype) says what was done, for a client that reads it;
 * extra: more header lines (each ending CRLF). Returns as answer_send.
 */
int	answer_see_other(struct conn *, int closing, const char *why,
	    const char *location, const char *extra, const char *ctype,
	    const char *body);

/*
 * Answer the current request with an error page and log why; closing:
 * the connection ends after it. Returns 0 if the connection may go on.
 * The page is the operator's (error_pages) when there is one.
 */
int	answer_error(struct conn *, int status, int closing, const char *why);
/* The same with more header lines (each ending CRLF), e.g. Allow. */
int	answer_error_with(struct conn *, int status, int closing,
	    const char *why, const char *extra);
/* The same, with porter's page saying detail (e.g. the rule that matched). */
int	answer_error_page(struct conn *, int status, int closing,
	    const char *why, const char *extra, const char *detail);

#endif
