/*
 * Access log lines: a request's fields written by a format the config
 * compiled (config/cfg_log.c), into the worker's line buffer, and sent
 * with one write(2) to the listener's or the route's destination. No
 * allocation and no printf per line.
 */
#ifndef PORTER_WORKER_ACCESSLOG_H
#define PORTER_WORKER_ACCESSLOG_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config/cfg.h"
#include "worker/http_parse.h"

struct conn;
struct worker;

/* Everything a line may show, as plain values (tests build these). */
struct alog_rec {
	time_t			 now;
	const char		*remote_addr;
	const char		*remote_user;	/* NULL or "": none */
	const char		*request;	/* the request line as received */
	size_t			 request_len;	/* 0: none */
	const char		*porter_request;	/* the same cut at 511 */
	size_t			 porter_request_len;
	const char		*head;		/* the head's bytes, for h */
	const struct http_head	*h;		/* NULL: no fields (a head
						   that did not parse) */
	int			 status;
	uint64_t		 sent, head_sent, received;
	double			 request_time;	/* s */
	double			 up_connect;	/* s; < 0 none */
	double			 up_header;
	const char		*upstream_addr;	/* NULL none */
	int			 upstream_status;	/* 0 none */
	const char		*cache_status;	/* NULL or "": none */
	const char		*request_id;
	const char		*rule;
	const char		*listener;
	long			 worker;
	const char		*detail;
};

/*
 * The line for r by format f, ending in a newline, into buf[0..cap);
 * its length. A line that does not fit is cut (the buffer is sized so
 * that none can: see alog_line_max).
 */
size_t	alog_render(const struct cfg_log_format *f, const struct alog_rec *r,
	    char *buf, size_t cap);
/* The longest line a request with a head of max_head bytes can give. */
size_t	alog_line_max(size_t max_head);

/* Per worker, once: buffers when an access log is on. 0, or -1. */
int	alog_init(struct worker *);
/*
 * c's request ended: its line to its route's access log, else its
 * listener's (if on). line: porter's cut copy of the request line, NULL
 * when its head did not parse; start: clock_now() when its head was in.
 */
void	alog_request(const struct conn *c, const char *line, double start);

#endif
