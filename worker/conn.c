#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "shared/scoreboard.h"
#include "worker/conn.h"
#include "worker/proxy.h"
#include "worker/respond.h"
#include "worker/route.h"

/* Room kept for the access log's copy of the request line. */
#define CONN_LOGLINE	512

int
conn_error(struct conn *c, int status, int closing, const char *why)
{
	int ka = c->keepalive && !closing;
	long n;

	c->status = status;
	c->why = why;
	log_info("%s: %d %s: %s", c->peer, status, respond_reason(status),
	    why);
	n = respond_error(&c->io, status, ka,
	    ka && c->req.h.version == 10, c->req.meth == HTTP_M_HEAD,
	    clock_now() + c->w->cfg->timeouts.client_body);
	if (n < 0)
		return (-1);
	c->sent += (uint64_t)n;
	sb_add(&c->w->sb->bytes_out, (uint64_t)n);
	return (ka ? 0 : -1);
}

/*
 * Read and parse the next request head. Returns 1 with a head in c->buf,
 * 0 when the connection ended or idled out quietly, -1 after answering an
 * error (the connection must close).
 */
static int
read_head(struct conn *c, int first)
{
	const struct cfg *cfg = c->w->cfg;
	double deadline = clock_now() +
	    (first ? cfg->timeouts.client_header : cfg->timeouts.keepalive);
	enum http_rc rc;

	http_req_init(&c->req, cfg->limits.max_header_size,
	    cfg->limits.max_uri_size);
	for (;;) {
		ssize_t n;

		if (c->len > 0) {
			rc = http_parse_request(&c->req, c->buf, c->len);
			if (rc == HTTP_OK)
				return (1);
			if (rc == HTTP_ERROR) {
				c->keepalive = 0;
				(void)conn_error(c, c->req.h.status, 1,
				    c->req.h.why);
				return (-1);
			}
		}
		if (c->len == c->w->ccap) {
			/* cannot happen: max_header_size < ccap */
			log_alert("request head overran its buffer");
			return (-1);
		}
		n = io_read(&c->io, c->buf + c->len, c->w->ccap - c->len,
		    deadline);
		if (n == 0)
			return (0);
		if (n < 0) {
			if (errno == ETIMEDOUT && c->len > 0) {
				c->keepalive = 0;
				(void)conn_error(c, 408, 1,
				    "client_header timeout");
				return (-1);
			}
			if (errno != ETIMEDOUT && errno != ECONNRESET)
				log_debug("%s: read: %s", c->peer,
				    strerror(errno));
			return (0);
		}
		if (c->len == 0 && !first) {
			/* a new request started: the header clock runs */
			deadline = clock_now() + cfg->timeouts.client_header;
			sb_set_state(c->w->sb, SB_READING);
		}
		c->len += (size_t)n;
		sb_add(&c->w->sb->bytes_in, (uint64_t)n);
	}
}

/* "GET /x HTTP/1.1" cut to fit, for the scoreboard and the access log. */
static void
request_line(const struct conn *c, char *dst, size_t cap)
{
	const struct http_req *q = &c->req;
	int n;

	n = snprintf(dst, cap, "%.*s %.*s HTTP/1.%d", (int)q->method.len,
	    c->buf + q->method.off, (int)q->target.len,
	    c->buf + q->target.off, q->h.version == 10 ? 0 : 1);
	if (n < 0)
		dst[0] = '\0';
}

static void
log_request(const struct conn *c, const char *line, double start)
{
	if (!log_access_enabled())
		return;
	log_access("%s \"%s\" %d %llu %s %.3f%s%s", c->peer, line, c->status,
	    (unsigned long long)c->sent, c->backend ? c->backend : "-",
	    clock_now() - start, c->why ? " " : "", c->why ? c->why : "");
}

static void
peer_text(const struct sockaddr *sa, char *dst, size_t cap)
{
	const void *a;

	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		a = &s6->sin6_addr;
	} else {
		const struct sockaddr_in *s4 = (const void *)sa;

		a = &s4->sin_addr;
	}
	if (inet_ntop(sa->sa_family, a, dst, (socklen_t)cap) == NULL)
		(void)snprintf(dst, cap, "?");
}

/* Serve one request whose head is parsed; 0 if the connection goes on. */
static int
serve_request(struct conn *c)
{
	const struct http_req *q = &c->req;
	const struct cfg_route *rt;
	const char *host, *path;
	size_t hostlen, pathlen;

	if (route_split(c->buf + q->target.off, q->target.len,
	    c->buf + q->host.off, q->host.len, &host, &hostlen, &path,
	    &pathlen) == -1)
		return (conn_error(c, 400, 1, "bad request target"));
	if (q->meth == HTTP_M_CONNECT)
		return (conn_error(c, 405, 1, "CONNECT on a reverse listener"));
	rt = route_match(c->lst, host, hostlen, path, pathlen);
	if (rt == NULL)
		return (conn_error(c, 404, http_req_body(q) != HTTP_BODY_NONE,
		    "no route"));
	return (proxy_request(c, rt));
}

/*
 * Whether clients are queued on the listener with no idle worker to take
 * them. A worker holds a kept-alive connection for as long as the client
 * keeps it busy, so when every worker is taken, queued clients would
 * starve; a worker that sees them ends its connection after this
 * response instead (with "Connection: close", which clients handle
 * cleanly), and the pool serves everyone in turn while it grows. While a
 * worker is idle it will take the queued client itself: closing then
 * would only feed the queue. For a listening socket Linux reports the
 * accept queue in tcpi_unacked.
 */
static int
clients_starving(const struct worker *w, int lfd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (sb_any_idle(w->shm))
		return (0);
	if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return (0);
	return (ti.tcpi_unacked > 0);
}

void
conn_serve(struct worker *w, const struct cfg_listener *l, int lfd, int fd,
    const struct sockaddr *sa, socklen_t salen)
{
	struct conn c;
	char line[CONN_LOGLINE];
	int first = 1;

	(void)salen;
	memset(&c, 0, sizeof(c));
	c.w = w;
	c.lst = l;
	c.lfd = lfd;
	c.buf = w->cbuf;
	/* TCP_NODELAY and both timeouts came with the socket from listen_tune */
	io_init_set(&c.io, fd, cfg_accept_rcvtimeo(w->cfg),
	    cfg_accept_sndtimeo(w->cfg));
	peer_text(sa, c.peer, sizeof(c.peer));
	sb_add(&w->sb->connections, 1);
	(void)str_copy(w->sb->client, sizeof(w->sb->client), c.peer);
	sb_set_state(w->sb, SB_READING);

	for (;;) {
		double start;
		int rc;

		rc = read_head(&c, first);
		if (rc <= 0)
			break;
		start = clock_now();
		sb_add(&w->sb->requests, 1);
		w->sb->started = (int64_t)time(NULL);
		request_line(&c, line, sizeof(line));
		(void)str_copy(w->sb->request, sizeof(w->sb->request), line);
		c.status = 0;
		c.sent = 0;
		c.backend = NULL;
		c.why = NULL;
		c.head_done = 0;
		if (c.req.h.version == 11)
			c.keepalive = !(c.req.h.conn & HTTP_CONN_CLOSE);
		else
			c.keepalive = (c.req.h.conn & HTTP_CONN_KEEPALIVE) != 0;
		if (worker_stopping(w)) {
			c.keepalive = 0;	/* this is its last answer */
			sb_set_state(w->sb, SB_GRACEFUL);
		} else if (c.keepalive && clients_starving(w, lfd)) {
			c.keepalive = 0;	/* others queue for a worker */
		}
		rc = serve_request(&c);
		log_request(&c, line, start);
		if (!c.head_done) {
			/* answered by porter: drop the head, keep what follows */
			c.len -= c.req.h.head_len;
			memmove(c.buf, c.buf + c.req.h.head_len, c.len);
		}
		if (rc == -1 || !c.keepalive)
			break;
		first = 0;
		sb_set_state(w->sb, c.len > 0 ? SB_READING : SB_KEEPALIVE);
	}
	(void)close(fd);
	w->sb->request[0] = '\0';
}
