#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/clock.h"
#include "lib/listenq.h"
#include "lib/log.h"
#include "lib/str.h"
#include "shared/scoreboard.h"
#include "waiter/waiter.h"
#include "worker/accesslog.h"
#include "worker/acl.h"
#include "worker/answer.h"
#include "worker/client.h"
#include "worker/conn.h"
#include "worker/filter.h"
#include "worker/forward.h"
#include "worker/fwd_rules.h"
#include "worker/limit.h"
#include "worker/metrics.h"
#include "worker/normalize.h"
#include "worker/park.h"
#include "worker/proxy_header.h"
#include "worker/proxy.h"
#include "worker/purge_http.h"
#include "worker/reqid.h"
#include "worker/route.h"
#include "worker/status.h"

/* Room kept for the access log's copy of the request line. */
#define CONN_LOGLINE	512
/* Longest a worker reads and drops a body after an early answer. */
#define CONN_LINGER_S		2.0
/* How long the next piece of a small body may take before it is parked. */
#define CONN_BODY_WAIT_MS	2

/*
 * A small body (Content-Length, at most what the waiter reads) that has
 * not all come with its head: read it here while its pieces come back
 * to back, else park the connection with head and all, so that a client
 * trickling its body holds no worker either. Called once the request is
 * accepted (a refusal needs no body). 1: serve it (whatever came), 2:
 * parked.
 */
static int
read_small_body(struct conn *c)
{
	const struct http_req *q = &c->req;
	const struct cfg *cfg = c->w->cfg;
	uint64_t need;

	if (c->w->park_fd < 0 || http_req_body(q) != HTTP_BODY_LENGTH ||
	    q->expect_continue)
		return (1);
	need = (uint64_t)q->h.head_len + (uint64_t)q->h.content_length;
	if (c->len >= need || need > (uint64_t)cfg->limits.max_header_size +
	    WAITER_BODY_MAX || need > c->w->ccap ||
	    (cfg->limits.max_body_size > 0 &&
	    (uint64_t)q->h.content_length > cfg->limits.max_body_size))
		return (1);
	while (c->len < need) {
		struct pollfd pfd;
		ssize_t n;

		/*
		 * A client sends its small body with its head; one that has
		 * not sent the rest within a moment is slow (poll: a socket
		 * timeout cannot be made this short for free).
		 */
		pfd.fd = c->io.fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, CONN_BODY_WAIT_MS) == 0)
			return (park_conn(c, PARK_BODY | PARK_COUNTED,
			    clock_now_ms()) == 0 ? 2 : 1);
		n = io_read(&c->io, c->buf + c->len, need - c->len,
		    clock_now() + cfg->timeouts.client_body);
		/* the end, or an error: serving it finds out */
		if (n <= 0)
			return (1);
		c->len += (size_t)n;
		sb_add(&c->w->sb->bytes_in, (uint64_t)n);
	}
	return (1);
}

/*
 * Read and parse the next request head. Returns 1 with a head in c->buf,
 * 0 when the connection ended or idled out quietly, -1 after answering an
 * error (the connection must close), 2 when it was parked with the waiter
 * (the worker is done with it).
 *
 * A worker waits for a client only briefly (waiter.park_after): a head
 * that does not arrive by then, or a kept-alive client that does not send
 * its next request, is handed to the waiter, which hands it back once
 * there is a request to serve. A client that sends at once (most, and
 * every benchmark) never leaves its worker.
 */
static int
read_head(struct conn *c, int first)
{
	const struct cfg *cfg = c->w->cfg;
	double now = clock_now(), deadline = now +
	    (first ? cfg->timeouts.client_header : cfg->timeouts.keepalive);
	double park_at = c->w->park_fd >= 0 ? now + c->w->park_after : 0;
	int64_t since = clock_now_ms();
	enum http_rc rc;

	http_req_init(&c->req, cfg->limits.max_header_size,
	    cfg->limits.max_uri_size);
	for (;;) {
		ssize_t n;

		if (c->len > 0 && c->pp_pending) {
			/* the balancer's PROXY header, then the request */
			int r = proxy_header_take(c);

			if (r == -1)
				return (-1);
			if (r == 1 && !limit_conn_admit(c))
				return (-1);
		}
		if (c->len > 0 && !c->pp_pending) {
			rc = http_parse_request(&c->req, c->buf, c->len);
			if (rc == HTTP_OK)
				return (1);
			if (rc == HTTP_ERROR) {
				c->keepalive = 0;
				(void)answer_error(c, c->req.h.status, 1,
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
		    park_at > 0 && park_at < deadline ? park_at : deadline);
		if (n == 0)
			return (0);
		if (n < 0 && errno == ETIMEDOUT && park_at > 0 &&
		    clock_now() < deadline) {
			/* the client keeps us waiting: the waiter waits */
			if (park_conn(c, first || c->len > 0 ? PARK_HEAD :
			    PARK_KEEPALIVE, since) == 0)
				return (2);
			park_at = 0;	/* it cannot: wait here, as before */
			continue;
		}
		if (n < 0) {
			if (errno == ETIMEDOUT && c->pp_pending) {
				sb_add(&c->w->sb->proxy_refused, 1);
				log_info("%s: connection to %s closed: no whole "
				    "PROXY header within client_header",
				    c->peer, c->lst->addr.text);
				return (-1);
			}
			if (errno == ETIMEDOUT && c->len > 0) {
				c->keepalive = 0;
				(void)answer_error(c, 408, 1,
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
			since = clock_now_ms();
			sb_set_state(c->w->sb, SB_READING);
		}
		c->len += (size_t)n;
		sb_add(&c->w->sb->bytes_in, (uint64_t)n);
		/*
		 * A new connection is accepted once its first bytes are in
		 * (TCP_DEFER_ACCEPT), and a client sends a head in one
		 * piece: one that is still short now is slow, and is parked
		 * without waiting any longer (a slowloris costs a worker a
		 * few system calls, not park_after).
		 */
		if (first && park_at > 0)
			park_at = clock_now();
	}
}

/*
 * "GET /x HTTP/1.1" cut to fit, for the scoreboard and the access log.
 * Plain copies: this runs for every request and printf showed in profiles.
 */
static void
request_line(const struct conn *c, char *dst, size_t cap)
{
	const struct http_req *q = &c->req;
	const char *ver = q->h.version == 10 ? " HTTP/1.0" : " HTTP/1.1";
	size_t n = 0, k;

	k = q->method.len < cap - 1 ? q->method.len : cap - 1;
	memcpy(dst, c->buf + q->method.off, k);
	n = k;
	if (n < cap - 1)
		dst[n++] = ' ';
	k = q->target.len < cap - 1 - n ? q->target.len : cap - 1 - n;
	memcpy(dst + n, c->buf + q->target.off, k);
	n += k;
	k = 9 < cap - 1 - n ? 9 : cap - 1 - n;
	memcpy(dst + n, ver, k);
	n += k;
	dst[n] = '\0';
}

/*
 * Before a head is read: what the log says of a request starts afresh,
 * and it gets its id (porter's answer to a head that does not parse
 * carries one too).
 */
static void
request_start(struct conn *c)
{
	c->status = 0;
	c->sent = 0;
	c->backend = NULL;
	c->why = NULL;
	c->parsed = 0;
	c->route = NULL;
	c->head_sent = 0;
	c->received = 0;
	c->up_status = 0;
	c->up_connect = -1;
	c->up_header = -1;
	c->rule = NULL;
	c->cache_status[0] = '\0';
	c->user[0] = '\0';
	c->request_id[0] = '\0';
	if (c->w->cfg->request_id)
		reqid_make(&c->w->reqid, c->request_id);
}

/*
 * A client the listener trusts (request_id_from) keeps its own
 * X-Request-Id, if it is a valid one; anyone else's is replaced.
 */
static void
request_id_client(struct conn *c)
{
	const struct http_head *h = &c->req.h;
	const struct cfg_listener *l = c->lst;
	int i;

	if (l->nrequest_id_from == 0 || !c->w->cfg->request_id ||
	    !acl_match(l->request_id_from, l->nrequest_id_from,
	    (const struct sockaddr *)&c->peer_sa))
		return;
	for (i = 0; i < h->nhdr; i++) {
		const struct span v = h->hdr[i].value;

		if (!http_span_eq(c->buf, h->hdr[i].name, "X-Request-Id"))
			continue;
		if (reqid_ok(c->buf + v.off, v.len)) {
			memcpy(c->request_id, c->buf + v.off, v.len);
			c->request_id[v.len] = '\0';
		}
		return;
	}
}

/* A refusal by a filtering rule: logged with the rule, and counted. */
static int
refuse(struct conn *c, const struct cfg_filter *f, int status,
    const char *why, enum ctr_rule rule)
{
	char allow[512], extra[560];
	int closing = http_req_body(&c->req) != HTTP_BODY_NONE, rc;

	metrics_refused(c->w, rule);
	if (status != 405)
		rc = answer_error(c, status, closing, why);
	else {
		filter_allow_header(f, allow, sizeof(allow));
		(void)snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
		rc = answer_error_with(c, status, closing, why, extra);
	}
	c->rule = c->why;	/* the rule, for the access log */
	return (rc);
}

/*
 * Check the filter f (a listener's or a route's) on the request, with the
 * normalised path (or "" where only addresses are checked). 0 if it
 * passes; otherwise 1, with *rc what answering the refusal returned.
 */
static int
filtered(struct conn *c, const struct cfg_filter *f, const char *path,
    int *rc)
{
	struct filter_req fr;
	char rule[512];
	int st;

	memset(&fr, 0, sizeof(fr));
	fr.peer = (const struct sockaddr *)&c->peer_sa;
	fr.req = &c->req;
	fr.buf = c->buf;
	fr.path = path;
	fr.scratch = c->w->scratch;
	fr.scratch_len = c->w->scratch_len;
	if ((st = filter_check(f, &fr, rule, sizeof(rule))) == 0)
		return (0);
	/* filter_check's words start with the setting's name */
	*rc = refuse(c, f, st, rule, ctr_rule_of(rule));
	return (1);
}

/*
 * TRACE or OPTIONS with Max-Forwards: 0 is for porter to answer (RFC 9110
 * 7.6.2): TRACE with the request as received (less credentials), OPTIONS
 * with what it allows.
 */
static int
answer_here(struct conn *c)
{
	const struct http_req *q = &c->req;
	struct respond r;
	char *p = c->w->obuf;
	size_t n = 0, cap = c->w->ocap;
	int i;

	memset(&r, 0, sizeof(r));
	r.status = 200;
	r.keepalive = c->keepalive && http_req_body(q) == HTTP_BODY_NONE;
	c->status = 200;
	c->why = "Max-Forwards: 0";
	if (q->meth == HTTP_M_OPTIONS) {
		r.extra = c->fwd != NULL ? "Allow: GET, HEAD, POST, PUT, "
		    "DELETE, OPTIONS, TRACE, CONNECT, PATCH\r\n" :
		    "Allow: GET, HEAD, POST, PUT, DELETE, OPTIONS, TRACE, "
		    "PATCH\r\n";
		r.body = "";
		r.ctype = "text/plain";
		return (answer_send(c, &r));
	}
	/* the request line, then each field but the secret ones */
	i = snprintf(p, cap, "%.*s %.*s HTTP/1.%d\r\n", (int)q->method.len,
	    c->buf + q->method.off, (int)q->target.len,
	    c->buf + q->target.off, q->h.version == 10 ? 0 : 1);
	if (i > 0 && (size_t)i < cap)
		n = (size_t)i;
	for (i = 0; i < q->h.nhdr; i++) {
		const struct http_hdr *h = &q->h.hdr[i];
		size_t k = h->name.len + h->value.len + 4;

		if (h->id == HH_PROXY_AUTHORIZATION ||
		    http_span_eq(c->buf, h->name, "Authorization") ||
		    http_span_eq(c->buf, h->name, "Cookie") || n + k + 2 > cap)
			continue;
		memcpy(p + n, c->buf + h->name.off, h->name.len);
		n += h->name.len;
		memcpy(p + n, ": ", 2);
		n += 2;
		memcpy(p + n, c->buf + h->value.off, h->value.len);
		n += h->value.len;
		memcpy(p + n, "\r\n", 2);
		n += 2;
	}
	if (n + 2 <= cap) {
		memcpy(p + n, "\r\n", 2);
		n += 2;
	}
	r.body = p;
	r.blen = n;
	r.ctype = "message/http";
	return (answer_send(c, &r));
}

/*
 * Checks every proxy makes before forwarding: a request that carries
 * porter's own Via name has come round a loop (508); TRACE and OPTIONS
 * with Max-Forwards: 0 stop here. 0 to go on, 1 or -1 when answered
 * (the connection goes on / ends).
 */
static int
hop_checks(struct conn *c)
{
	const struct http_head *h = &c->req.h;
	int i;

	for (i = 0; i < h->nhdr; i++)
		if (h->hdr[i].id == HH_VIA && fwd_via_has(c->buf +
		    h->hdr[i].value.off, h->hdr[i].value.len,
		    c->w->via_token))
			return (answer_error(c, 508, http_req_body(&c->req) !=
			    HTTP_BODY_NONE, "loop: the request carries "
			    "porter's own Via") == 0 ? 1 : -1);
	if ((c->req.meth == HTTP_M_TRACE || c->req.meth == HTTP_M_OPTIONS) &&
	    http_max_forwards(&c->req, c->buf) == 0)
		return (answer_here(c) == 0 ? 1 : -1);
	return (0);
}

/*
 * A route that answers by itself: return = { status; location; body; }.
 * Not inlined: its 4 KiB of headers would sit in conn_serve's frame and
 * push every proxied request's calls a page deeper into the stack.
 */
static __attribute__((noinline)) int
answer_return(struct conn *c, const struct cfg_route *rt)
{
	const struct cfg_return *ret = &rt->ret;
	struct respond r;
	char extra[4096];
	int n, i;

	memset(&r, 0, sizeof(r));
	r.status = ret->status;
	r.keepalive = c->keepalive && http_req_body(&c->req) == HTTP_BODY_NONE;
	r.body = ret->body != NULL ? ret->body : "";
	r.blen = strlen(r.body);
	/* a body that looks like a page is served as one */
	r.ctype = r.body[0] == '<' ? "text/html; charset=utf-8" :
	    "text/plain; charset=utf-8";
	/* Location, then the route's own response headers (config-bounded) */
	n = 0;
	if (ret->location != NULL)
		n = snprintf(extra, sizeof(extra), "Location: %s\r\n",
		    ret->location);
	for (i = 0; i < rt->nset_response_headers && n >= 0 &&
	    (size_t)n < sizeof(extra); i++)
		n += snprintf(extra + n, sizeof(extra) - (size_t)n,
		    "%s: %s\r\n", rt->set_response_headers[i].name,
		    rt->set_response_headers[i].value);
	if (n > 0 && (size_t)n < sizeof(extra))
		r.extra = extra;
	c->status = ret->status;
	c->why = "return";
	return (answer_send(c, &r));
}

/*
 * Serve one request whose head is parsed; 0 if the connection goes on,
 * -1 if it ends, 2 if it was parked with the waiter for its body.
 * Routing and every rule see the normalised path, so /./admin, //admin
 * or /%61dmin are /admin to them.
 */
static int
serve_request(struct conn *c)
{
	const struct http_req *q = &c->req;
	const struct cfg_route *rt;
	const char *host, *path, *why = NULL;
	size_t hostlen, pathlen, plen;
	long n;
	int st, rc;

	/* allow and deny first on every listener: nothing else for strangers */
	if (c->lst->mode == CFG_MODE_STATUS)
		return (filtered(c, &c->lst->filter, "", &rc) ? rc :
		    status_request(c));
	if (c->fwd != NULL) {
		if (filtered(c, &c->lst->filter, "", &rc) ||
		    (!c->resumed && !limit_request_admit(c, &rc)))
			return (rc);
		if ((st = hop_checks(c)) != 0)
			return (st == 1 ? 0 : -1);
		return (forward_request(c));
	}
	if (route_split(c->buf + q->target.off, q->target.len,
	    c->buf + q->host.off, q->host.len, &host, &hostlen, &path,
	    &pathlen) == -1)
		return (answer_error(c, 400, 1, "bad request target"));
	if (q->meth == HTTP_M_CONNECT)
		return (answer_error(c, 405, 1, "CONNECT on a reverse listener"));
	(void)norm_split_query(path, pathlen, &plen);
	c->query.off = (uint32_t)(path + plen - c->buf);
	c->query.len = (uint32_t)(pathlen - plen);
	if (plen == 1 && path[0] == '*') {
		c->w->nbuf[0] = '*';	/* OPTIONS * */
		c->w->nbuf[1] = '\0';
		n = 1;
	} else if ((n = norm_path(path, plen, c->w->nbuf, 1, &why)) < 0) {
		return (answer_error(c, 400, 1, why));
	}
	c->npath = c->w->nbuf;
	c->npathlen = (size_t)n;

	if (filtered(c, &c->lst->filter, c->npath, &rc) ||
	    (!c->resumed && !limit_request_admit(c, &rc)))
		return (rc);
	/* PURGE is porter's own, never a backend's (worker/purge_http.c) */
	if (purge_http_is(c))
		return (purge_http_request(c));
	rt = route_match(c->lst, host, hostlen, c->npath, c->npathlen);
	c->route = rt;		/* its access log, if it has its own */
	if (rt == NULL)
		return (answer_error(c, 404, http_req_body(q) != HTTP_BODY_NONE,
		    "no route"));
	if (!rt->allow_encoded_slash && memmem(c->npath, c->npathlen, "%2F",
	    3) != NULL)
		return (answer_error(c, 400, 1, "encoded slash in the path"));
	if (filtered(c, &rt->filter, c->npath, &rc))
		return (rc);
	if (rt->max_body_size > 0 && q->h.content_length > 0 &&
	    (uint64_t)q->h.content_length > rt->max_body_size)
		return (refuse(c, &rt->filter, 413,
		    "route max_body_size", CTR_RULE(max_body_size)));
	if (rt->ret.status != 0)
		return (answer_return(c, rt));
	if ((st = hop_checks(c)) != 0)
		return (st == 1 ? 0 : -1);
	if (read_small_body(c) == 2)
		return (2);
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
 * would only feed the queue. Connections the waiter hands back queue the
 * same way, on the hand-back socket.
 */
static int
clients_starving(const struct worker *w, int lfd)
{
	if (sb_any_idle(w->shm))
		return (0);
	if (w->ready_fd >= 0 && handoff_queued(w->ready_fd))
		return (1);
	return (listen_queued(lfd) > 0);
}

/*
 * The connection ends while the client still sends its request body (an
 * answer that came before the body was read): closing now would make the
 * kernel send a reset, which can destroy the answer on its way to the
 * client. Stop writing, and read and drop what the client still sends
 * until it closes, for CONN_LINGER_S at most (nginx's lingering_close).
 */
static void
linger_close(struct conn *c)
{
	/* the tunnel buffer is idle here, and not 16 KiB more of stack */
	char *sink = c->w->tbuf;
	double until = clock_now() + CONN_LINGER_S;
	struct pollfd pfd;
	ssize_t n;

	if (recv(c->io.fd, sink, 1, MSG_PEEK | MSG_DONTWAIT) <= 0 ||
	    shutdown(c->io.fd, SHUT_WR) == -1)
		return;	/* nothing unread: a plain close is clean */
	while (clock_now() < until) {
		pfd.fd = c->io.fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (poll(&pfd, 1, 100) == -1 && errno != EINTR)
			return;
		n = recv(c->io.fd, sink, c->w->tcap, MSG_DONTWAIT);
		if (n == 0 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK && errno != EINTR))
			return;
	}
}

void
conn_serve(struct worker *w, const struct cfg_listener *l, int lfd, int fd,
    const struct sockaddr *sa, socklen_t salen, const struct handoff *h)
{
	struct conn c;
	char line[CONN_LOGLINE];
	int first = 1, park_now = 0, counted = 0, linger = 0, rq;

	memset(&c, 0, sizeof(c));
	c.w = w;
	c.lst = l;
	c.lfd = lfd;
	c.fwd = l->mode == CFG_MODE_FORWARD ? &l->fwd : NULL;
	c.buf = w->cbuf;
	worker_via(w, (int)(l - w->cfg->listeners));
	if (h != NULL) {
		/* from the waiter: its bytes are in cbuf already */
		c.len = h->len;
		c.requests = h->requests;
		counted = (h->flags & HANDOFF_COUNTED) != 0;
		/* its timeouts are the listener's, as for an accepted one */
		io_init(&c.io, fd);
		sb_add(&w->sb->unparked, 1);
	} else {
		/* TCP_NODELAY and both timeouts came from listen_tune */
		io_init_set(&c.io, fd, cfg_accept_rcvtimeo(w->cfg),
		    cfg_accept_sndtimeo(w->cfg));
		sb_add(&w->sb->connections, 1);
	}
	(void)addr_host_text(sa, c.peer, sizeof(c.peer));
	if (salen <= sizeof(c.peer_sa)) {
		memcpy(&c.peer_sa, sa, salen);
		c.peer_len = salen;
	}
	if (h != NULL && h->locallen > 0 && h->locallen <= sizeof(c.local_sa)) {
		memcpy(&c.local_sa, &h->local, h->locallen);
		c.local_len = h->locallen;
	}
	(void)str_copy(w->sb->client, sizeof(w->sb->client), c.peer);
	sb_set_state(w->sb, SB_READING);
	/*
	 * Behind a balancer the client is known once its PROXY header is
	 * read (read_head admits it then); only the balancers may send one.
	 */
	c.pp_pending = l->proxy_protocol &&
	    (h == NULL || (h->flags & HANDOFF_PROXY));
	if (c.pp_pending && h == NULL && !proxy_header_allowed(&c))
		goto out;
	/* one the waiter hands back was admitted when it was accepted */
	if (!c.pp_pending && h != NULL)
		limit_conn_start(&c);
	else if (!c.pp_pending && !limit_conn_admit(&c))
		goto out;

	for (;;) {
		double start;
		int rc;

		request_start(&c);
		rc = read_head(&c, first);
		if (rc == -1 && c.status != 0) {
			/* porter refused a head that did not parse */
			c.received = c.len;
			alog_request(&c, NULL, clock_now());
		}
		if (rc <= 0 || rc == 2)
			break;
		start = clock_now();
		c.parsed = 1;
		c.received = c.req.h.head_len;
		request_id_client(&c);
		/*
		 * Counted (and its rate taken) once, by the worker that
		 * first read its head.
		 */
		c.resumed = counted;
		if (!counted)
			sb_add(&w->sb->requests, 1);
		counted = 0;
		w->sb->started = (int64_t)time(NULL);
		request_line(&c, line, sizeof(line));
		(void)str_copy(w->sb->request, sizeof(w->sb->request), line);
		c.head_done = 0;
		c.to_parent = 0;
		if (c.req.h.version == 11)
			c.keepalive = !(c.req.h.conn & HTTP_CONN_CLOSE);
		else
			c.keepalive = (c.req.h.conn & HTTP_CONN_KEEPALIVE) != 0;
		if (worker_stopping(w)) {
			c.keepalive = 0;	/* this is its last answer */
			sb_set_state(w->sb, SB_GRACEFUL);
		} else if (c.keepalive && clients_starving(w, lfd)) {
			/*
			 * Others queue for a worker: the waiter keeps this
			 * client's connection after the answer, or, without
			 * one, the answer ends it.
			 */
			if (park_possible(w))
				park_now = 1;
			else
				c.keepalive = 0;
		}
		rc = serve_request(&c);
		if (rc == 2)
			break;	/* the waiter has it until its body is in */
		alog_request(&c, line, start);
		metrics_request_done(&c, start);
		client_drop_head(&c);	/* if the proxy did not */
		c.requests++;
		if (rc == -1 || !c.keepalive) {
			/* its body may still be on its way (an early answer) */
			linger = http_req_body(&c.req) != HTTP_BODY_NONE;
			break;
		}
		first = 0;
		if (park_now && c.len == 0) {
			int rotate = park_requeue_possible(w);

			/* its next request comes meanwhile, mostly */
			if (rotate)
				worker_yield(w);
			rq = rotate ? park_requeue(&c) : 0;
			if (rq == 0 && park_conn(&c, c.len > 0 ? PARK_HEAD :
			    PARK_KEEPALIVE, clock_now_ms()) == 0)
				rq = 1;
			if (rq != 0) {
				w->yielded = rotate;
				break;
			}
		}
		park_now = 0;
		sb_set_state(w->sb, c.len > 0 ? SB_READING : SB_KEEPALIVE);
		if (c.len == 0)
			worker_yield(w);	/* the client has its answer */
	}
out:
	if (linger && !c.io.pace_cut)
		linger_close(&c);
	limit_conn_end(&c);
	(void)close(fd);
	w->sb->request[0] = '\0';
}
