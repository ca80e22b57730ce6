/*
 * The exchange with a server: one request out, one response back.
 *
 * proxy_request picks a server of the route's pool (pick.c) and makes an
 * attempt on it; an attempt that fails before anything reached the
 * client may go on to another server, up to the pool's retries.
 * proxy_forward makes one attempt on forward mode's destination. An
 * attempt is four steps, each of which may end it:
 *
 *   upstream_open    reuse an idle connection, or connect (every address
 *                    of the server's name in turn)
 *   send_request     the rewritten head, then the request body (relay.c);
 *                    if the body cannot go because the backend already
 *                    answered (a 413), that answer goes to the client
 *                    and both connections end
 *   receive_head     the response head, past interim 1xx answers
 *   send_response    the rewritten head and the body to the client, or a
 *                    tunnel for a 101
 *
 * A reused connection that the backend had already closed shows as a
 * failed send or an end of file before any response byte: the request
 * then goes once more on a fresh connection, if porter can send it again
 * (no body, a method safe to repeat). How an attempt ended is one struct
 * outcome.
 */
#include "config.h"

#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/proxyproto.h"
#include "shared/health.h"
#include "shared/shm.h"
#include "worker/answer.h"
#include "worker/balance.h"
#include "worker/cache.h"
#include "worker/gzip.h"
#include "worker/http_parse.h"
#include "worker/io.h"
#include "worker/limit.h"
#include "worker/metrics.h"
#include "worker/pick.h"
#include "worker/proxy.h"
#include "worker/proxy_header.h"
#include "worker/relay.h"
#include "worker/rewrite.h"
#include "worker/respond.h"
#include "worker/tunnel.h"
#include "worker/upstream.h"

/* A response's first reads, when its body's rest may be spliced. */
#define PROXY_HEAD_READ	(16 * 1024)

static int
idempotent(int meth)
{
	switch (meth) {
	case HTTP_M_GET: case HTTP_M_HEAD: case HTTP_M_PUT:
	case HTTP_M_DELETE: case HTTP_M_OPTIONS: case HTTP_M_TRACE:
		return (1);
	default:
		return (0);
	}
}

/* Outcomes of getting a response head from a backend. */
enum up_rc { UP_OK, UP_EARLY_EOF, UP_TIMEOUT, UP_BAD, UP_CLIENT };

/* Where one attempt goes: a pool's server, or forward mode's destination. */
struct target {
	struct addrlist		 addrs;		/* where it is: one to connect */
	int			 first;		/* the index to try first */
	struct srvaddr		*shared;	/* pool servers: the address
						   in use is kept there */
	const char		*name;		/* for logs; Host for 1.0 */
	char			 tried[256];	/* a name's addresses that failed
						   to connect, for the log */
	const struct cfg_pool	*pool;		/* NULL in forward mode */
	uint32_t		 row;		/* its health row, with pool */
	double			 start;		/* for the latency average */
	int			 send_proxy;	/* PROXY header version, or 0 */
};

/* How an attempt ended. */
struct outcome {
	int		 done;		/* the client has its answer, or is gone */
	int		 rc;		/* done: 0 if the connection may go on */
	int		 status;	/* not done: the client's status if no
					   other server answers (502, 504) */
	const char	*why;		/* not done: why this server did not */
};

/* What one step of an attempt came to. */
enum step {
	STEP_OK,	/* go on to the next step */
	STEP_STALE,	/* a reused connection was closed: again, afresh */
	STEP_EARLY,	/* the backend answered before it took the whole
			   request body: that answer goes to the client,
			   then both connections end */
	STEP_END	/* the attempt is over: see its outcome */
};

static enum step
answered(struct outcome *o, int rc)
{
	o->done = 1;
	o->rc = rc;
	return (STEP_END);
}

/* The client went away: nothing more to say to it. */
static enum step
client_gone(struct conn *c, struct up_conn *u, struct outcome *o)
{
	upstream_close(u);
	c->status = 499;	/* nginx's code for "client closed" in logs */
	return (answered(o, -1));
}

/*
 * The server failed: count it against the server and log it. Returns
 * retry: 1 when the request may go to another server (o says why this one
 * did not), 0 when the caller answers the client.
 */
static int
failed(struct conn *c, struct target *t, int status, int timeout,
    const char *why, int retry, struct outcome *o)
{
	/* which addresses of a name failed, unless the name is the address */
	if (t->tried[0] != '\0' && (t->addrs.n > 1 ||
	    strncmp(t->tried, t->name, strlen(t->name)) != 0))
		log_error("%s: %s %s: %s (%s)", c->peer, t->pool != NULL ?
		    "backend" : "server", t->name, why, t->tried);
	else
		log_error("%s: %s %s: %s", c->peer, t->pool != NULL ?
		    "backend" : "server", t->name, why);
	t->tried[0] = '\0';
	if (t->pool != NULL)
		hc_passive_fail(c->w->shm, t->row, t->pool, hc_now_ms(),
		    timeout, why);
	o->done = 0;
	o->status = status;
	o->why = why;
	return (retry);
}

/*
 * Read the backend's response head into ubuf[0..*ulen), skipping interim
 * 1xx answers (forwarding all but 100 to an HTTP/1.1 client, less their
 * hop-by-hop fields; porter answers 100-continue itself).
 */
static enum up_rc
read_response(struct conn *c, struct up_conn *u, struct http_resp *r,
    size_t *ulen, const char **why)
{
	struct worker *w = c->w;
	size_t want;
	int got = 0;

	*ulen = 0;
	for (;;) {
		enum http_rc rc;
		ssize_t k;

		http_resp_init(r, (uint32_t)w->ucap);
		rc = *ulen > 0 ? http_parse_response(r, w->ubuf, *ulen) :
		    HTTP_AGAIN;
		while (rc == HTTP_AGAIN) {
			if (*ulen == w->ucap) {
				*why = "response head too large";
				return (UP_BAD);
			}
			/*
			 * With a pipe to splice a large body through, read
			 * the head and a small body's worth only: the rest of
			 * a large one then goes without a copy (relay.c).
			 */
			want = w->ucap - *ulen;
			if (w->spl[0] >= 0 && want > PROXY_HEAD_READ)
				want = PROXY_HEAD_READ;
			k = io_read(&u->io, w->ubuf + *ulen, want,
			    clock_now() + w->cfg->timeouts.upstream);
			if (k == 0 || (k < 0 && errno == ECONNRESET)) {
				*why = k == 0 ? "closed before responding" :
				    "reset before responding";
				return (got ? UP_BAD : UP_EARLY_EOF);
			}
			if (k < 0) {
				*why = strerror(errno);
				return (errno == ETIMEDOUT ? UP_TIMEOUT :
				    UP_BAD);
			}
			got = 1;
			*ulen += (size_t)k;
			rc = http_parse_response(r, w->ubuf, *ulen);
		}
		if (rc == HTTP_ERROR) {
			*why = r->h.why;
			return (UP_BAD);
		}
		if (r->code >= 200)
			return (UP_OK);
		if (r->code == 101) {
			if (rewrite_wants_upgrade(&c->req))
				return (UP_OK);
			*why = "unexpected 101 Switching Protocols";
			return (UP_BAD);
		}
		/*
		 * Without its hop-by-hop fields, written in obuf: the request
		 * head there is not sent again once an answer came (no retry
		 * follows a response byte).
		 */
		if (r->code != 100 && c->req.h.version == 11) {
			size_t n = rewrite_interim(c, r, w->ubuf);

			if (n == 0) {
				*why = "interim response head too large";
				return (UP_BAD);
			}
			if (io_write(&c->io, w->obuf, n, clock_now() +
			    w->cfg->timeouts.client_body) == -1)
				return (UP_CLIENT);
		}
		*ulen -= r->h.head_len;
		memmove(w->ubuf, w->ubuf + r->h.head_len, *ulen);
	}
}

/*
 * Whether porter may send the request again, on a fresh connection or to
 * another server, once it has gone out: no body (porter streams bodies
 * and keeps no copy) and a method the pool lets it repeat.
 */
static int
resendable(const struct conn *c, const struct cfg_pool *p)
{
	const struct http_req *q = &c->req;
	int i;

	if (http_req_body(q) != HTTP_BODY_NONE)
		return (0);
	if (idempotent(q->meth))
		return (1);
	for (i = 0; p != NULL && i < p->nretry_methods; i++)
		if (http_span_eq(c->buf, q->method, p->retry_methods[i]))
			return (1);
	return (0);
}

/*
 * Open a connection to t, reusing an idle one unless fresh. Only the
 * address tried first is looked for among the idle ones: it is the one
 * that answered last.
 */
/*
 * send_proxy: the PROXY header goes first on a new connection, naming the
 * client (as the balancer in front named it, if there is one). -1 with
 * errno when it cannot be sent: the server is then treated as failing to
 * connect.
 */
static int
send_proxy_header(struct conn *c, const struct target *t, struct up_conn *u)
{
	char hdr[PP_WRITE_MAX];
	size_t n;

	n = proxy_header_out(c, t->send_proxy, hdr, sizeof(hdr));
	if (n == 0)
		n = pp_write_local(t->send_proxy, hdr, sizeof(hdr));
	if (n == 0) {
		errno = EINVAL;	/* cannot happen: hdr holds any */
		return (-1);
	}
	if (io_write(&u->io, hdr, n, clock_now() +
	    c->w->cfg->timeouts.connect) == -1)
		return (-1);
	return (0);
}

static int
upstream_open(struct conn *c, struct target *t, int fresh,
    struct up_conn *u, int *reused)
{
	struct worker *w = c->w;
	const struct addrlist *l = &t->addrs;
	const struct sockaddr *sa, *client;
	socklen_t clientlen;
	char text[ADDR_TEXT];
	int fd, i;

	if (l->n == 0) {
		/* cannot happen: the master publishes before any worker */
		errno = EADDRNOTAVAIL;
		return (-1);
	}
	/* a connection that named a client serves only that client */
	client = t->send_proxy ? (const struct sockaddr *)&c->peer_sa : NULL;
	clientlen = t->send_proxy ? c->peer_len : 0;
	if (!fresh && upstream_take(&w->up, (const struct sockaddr *)
	    &l->sa[t->first], l->len[t->first], client, clientlen,
	    !resendable(c, t->pool), u)) {
		*reused = 1;
		return (0);
	}
	*reused = 0;
	fd = upstream_connect(l, t->first, w->cfg->timeouts.connect, &i,
	    t->tried, sizeof(t->tried));
	if (fd == -1)
		return (-1);
	io_init(&u->io, fd);
	if (t->send_proxy && send_proxy_header(c, t, u) == -1) {
		upstream_close(u);
		return (-1);
	}
	sa = (const struct sockaddr *)&l->sa[i];
	/* another address answered: every process goes there first now */
	if (i != t->first && t->shared != NULL && t->pool != NULL &&
	    srvaddr_prefer(t->shared, sa))
		log_info("backend %s/%s: now using %s (%s)", t->pool->name,
		    t->name, addr_text(sa, text, sizeof(text)), t->tried);
	t->tried[0] = '\0';
	memcpy(&u->sa, sa, l->len[i]);
	u->salen = l->len[i];
	u->clientlen = 0;
	if (clientlen > 0 && clientlen <= sizeof(u->client)) {
		memcpy(&u->client, client, clientlen);
		u->clientlen = clientlen;
	}
	return (0);
}

/* The client's body that porter could not read: the connection must end. */
static int
body_pending(const struct conn *c)
{
	return (http_req_body(&c->req) != HTTP_BODY_NONE);
}

/*
 * The backend failed before anything went to the client: a stale copy
 * within its stale-if-error window answers (worker/cache.c), or porter's
 * error does.
 */
static int
backend_error(struct conn *c, int status, int pending, const char *why)
{
	int rc;

	if (c->cache != NULL && cache_stale_on_error(c, c->cache, status,
	    &rc))
		return (rc);
	return (answer_error(c, status, pending, why));
}

/* 503 with Retry-After: seconds until the pool may have a server again. */
static int
unavailable(struct conn *c, const struct cfg_pool *p, int busy)
{
	char extra[48];
	int rc;
	double after = busy ? 1 : p->health.path != NULL ?
	    p->health.interval * p->health.rise : p->fail_timeout;

	if (c->cache != NULL && cache_stale_on_error(c, c->cache, 503, &rc))
		return (rc);
	if (after < 1)
		after = 1;
	(void)snprintf(extra, sizeof(extra), "Retry-After: %d\r\n",
	    (int)(after + 0.999));
	return (answer_error_with(c, 503, body_pending(c), busy ?
	    "every server is at max_conns" : "no server is up", extra));
}

static void	attempt(struct conn *, const struct cfg_route *,
		    struct target *, size_t *, struct outcome *);

static int
proxy_fetch(struct conn *c, const struct cfg_route *rt)
{
	struct worker *w = c->w;
	const struct cfg *cfg = w->cfg;
	const struct cfg_pool *pool = &cfg->pools[rt->pool];
	struct http_req *q = &c->req;
	struct outcome o;
	struct target t;
	size_t hlen = 0;
	double qsince = 0;
	uint32_t row;
	int tries = 0, step = 1, s;

	if (http_req_body(q) == HTTP_BODY_LENGTH &&
	    cfg->limits.max_body_size > 0 &&
	    (uint64_t)q->h.content_length > cfg->limits.max_body_size)
		return (answer_error(c, 413, 1,
		    "body larger than max_body_size"));
	memset(w->tried, 0, (size_t)pool->nservers);
	o.status = 502;
	o.why = "no server";
	for (;;) {
		const struct cfg_server *srv;

		s = pick_server(c, rt, w->tried);
		if (s == PICK_BUSY) {
			if (pick_queue_wait(pool, &qsince, &step) == -1)
				return (unavailable(c, pool, 1));
			continue;
		}
		if (s < 0) {
			if (tries == 0)
				return (unavailable(c, pool, 0));
			break;
		}
		srv = &pool->servers[s];
		row = worker_row(w, pool, s);
		if (!hc_try_acquire(w->shm, row, srv->max_conns))
			continue;	/* another worker took the last slot */
		memset(&t, 0, sizeof(t));
		t.shared = &hc_row(w->shm, row)->addr;
		(void)srvaddr_list(t.shared, &t.addrs, &t.first);
		t.name = srv->addr.text;
		t.pool = pool;
		t.row = row;
		t.send_proxy = srv->send_proxy;
		c->backend = srv->addr.text;
		/* held in the slot: the master gives it back if we die */
		atomic_store_explicit(&w->sb->hc_held, row + 1,
		    memory_order_relaxed);
		sb_set_state(w->sb, SB_UPSTREAM);
		/* after a failure elsewhere: this server has a retry */
		if (tries > 0)
			atomic_fetch_add_explicit(&hc_row(w->shm, row)->retries,
			    1, memory_order_relaxed);
		attempt(c, rt, &t, &hlen, &o);
		atomic_store_explicit(&w->sb->hc_held, 0, memory_order_relaxed);
		hc_release(w->shm, row);
		if (o.done)
			return (o.rc);
		w->tried[s] = 1;
		if (++tries > pool->retries)
			break;
		log_info("%s: retrying on another server after %s from %s",
		    c->peer, o.why, srv->addr.text);
	}
	return (backend_error(c, o.status, body_pending(c), o.why));
}

/*
 * A route with cache = true asks the cache first (worker/cache.c): it
 * answers, or says how the fetch goes (filling, revalidating).
 */
int
proxy_request(struct conn *c, const struct cfg_route *rt)
{
	struct cache_req cr;
	int rc;

	/* while the request head is still in c->buf (the relay drops it) */
	c->gzip_want = rt->gzip && c->w->gz != NULL &&
	    gzip_request(&c->req, c->buf) == GZIP_YES;
	if (!rt->cache.on || c->w->cache == NULL)
		return (proxy_fetch(c, rt));
	if (cache_request(c, rt, &cr, &rc)) {
		cache_end(c, &cr);
		return (rc);
	}
	c->cache = &cr;
	rc = proxy_fetch(c, rt);
	c->cache = NULL;
	cache_end(c, &cr);
	return (rc);
}

int
proxy_forward(struct conn *c, const struct cfg_route *rt,
    const struct addrlist *addrs, const char *name)
{
	struct outcome o;
	struct target t;
	size_t hlen = 0;

	memset(&t, 0, sizeof(t));
	c->gzip_want = 0;	/* a forward proxy passes bodies as they are */
	sb_set_state(c->w->sb, SB_UPSTREAM);
	t.addrs = *addrs;
	t.name = name;
	attempt(c, rt, &t, &hlen, &o);
	if (o.done)
		return (o.rc);
	return (backend_error(c, o.status, body_pending(c), o.why));
}

/* A tunnel ended: count its bytes and log them, for the access log too. */
static void
tunnel_log(struct conn *c, const struct tunnel_stats *st)
{
	c->sent += st->b2a;
	c->received += st->a2b;
	sb_add(&c->w->sb->bytes_out, st->b2a);
	sb_add(&c->w->sb->bytes_in, st->a2b);
	(void)snprintf(c->w->tunnel_why, sizeof(c->w->tunnel_why),
	    "tunnel up=%llu down=%llu (%s)", (unsigned long long)st->a2b,
	    (unsigned long long)st->b2a, st->end != NULL ? st->end : "ended");
	c->why = c->w->tunnel_why;
	log_info("%s: %s %s", c->peer, c->backend != NULL ? c->backend : "-",
	    c->why);
}

int
proxy_tunnel(struct conn *c, int fd, const char *head, size_t hlen,
    const char *pre, size_t npre)
{
	struct worker *w = c->w;
	struct tunnel_end a, b;
	struct tunnel_stats st;
	int rc;

	/* max_tunnels: a CONNECT took its place before connecting */
	if (!limit_tunnel_admit(c, &rc)) {
		(void)close(fd);
		return (rc);
	}
	if (io_write(&c->io, head, hlen, clock_now() +
	    w->cfg->timeouts.client_body) == -1) {
		(void)close(fd);
		return (-1);
	}
	c->sent += hlen;
	sb_add(&w->sb->tunnels, 1);
	c->head_sent += hlen;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.fd = c->io.fd;
	a.pre = pre;
	a.npre = npre;
	b.fd = fd;
	b.pre = c->buf;
	b.npre = c->len;
	(void)tunnel_relay(&a, &b, w->cfg->timeouts.tunnel_idle, w->tbuf,
	    w->tcap, &st);
	c->len = 0;
	(void)close(fd);
	tunnel_log(c, &st);
	return (-1);
}

static int
fail_status(const struct cfg_pool *p, int code)
{
	int i;

	for (i = 0; p != NULL && i < p->nfail_status; i++)
		if (p->fail_status[i] == code)
			return (1);
	return (0);
}

/* Bytes wait on fd now (a response that came before porter asked). */
static int
has_bytes(int fd)
{
	char b;

	return (recv(fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) > 0);
}

/*
 * Sending the request body to u failed: the backend may have answered
 * early (413, 401) and stopped reading, as it may. Its final response
 * head, if already there, into ubuf[0..*ulen); STEP_EARLY then, else
 * STEP_OK (no early answer: the send failed). Waits only when the
 * response has begun to come.
 */
static enum step
early_answer(struct conn *c, struct target *t, struct up_conn *u,
    struct http_resp *r, size_t *ulen, struct outcome *o)
{
	const char *why = NULL;

	if (!has_bytes(u->io.fd))
		return (STEP_OK);
	switch (read_response(c, u, r, ulen, &why)) {
	case UP_OK:
		if (r->code == 101)
			return (STEP_OK);
		log_info("%s: %s %s answered %d before the whole request body",
		    c->peer, t->pool != NULL ? "backend" : "server", t->name,
		    r->code);
		return (STEP_EARLY);
	case UP_CLIENT:
		return (client_gone(c, u, o));
	default:
		return (STEP_OK);
	}
}

/*
 * The request head (built once per request: a retry sends the same) and
 * the request body, from the client to u; STEP_EARLY with the backend's
 * answer in r when it answered before taking the whole body.
 */
static enum step
send_request(struct conn *c, const struct cfg_route *rt, struct target *t,
    struct up_conn *u, int reused, size_t *hlen, struct http_resp *r,
    size_t *ulen, struct outcome *o)
{
	struct worker *w = c->w;
	const struct cfg *cfg = w->cfg;
	const struct http_req *q = &c->req;
	enum http_body qb = http_req_body(q);
	struct relay rl;
	enum relay_rc rrc;
	enum step st;

	if (*hlen == 0) {
		if ((*hlen = rewrite_request(c, rt, t->name)) == 0) {
			upstream_keep(&w->up, u);
			return (answered(o, answer_error(c, 431, 1,
			    "request head too large to forward")));
		}
		/* The head is out of c->buf now; the body follows it there. */
		client_drop_head(c);
	}
	memset(&rl, 0, sizeof(rl));
	rl.src = &c->io;
	rl.dst = &u->io;
	rl.src_to = cfg->timeouts.client_body;
	rl.dst_to = cfg->timeouts.upstream;
	rl.buf = c->buf;
	rl.cap = w->ccap;
	rl.have = c->len;
	rl.pre.iov_base = w->obuf;
	rl.pre.iov_len = *hlen;
	rl.max = cfg->limits.max_body_size;
	if (rt->max_body_size > 0 && (rl.max == 0 || rt->max_body_size < rl.max))
		rl.max = rt->max_body_size;	/* the route's, if tighter */
	if (qb != HTTP_BODY_NONE && q->expect_continue && rl.have == 0 &&
	    q->h.version == 11) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		if (io_write(&c->io, cont, sizeof(cont) - 1,
		    clock_now() + cfg->timeouts.client_body) == -1)
			return (client_gone(c, u, o));
	}
	rrc = relay_body(&rl, qb, (uint64_t)q->h.content_length, 0,
	    cfg->limits.max_header_size);
	c->len = rl.have;
	c->received += rl.out;
	switch (rrc) {
	case RELAY_OK:
		return (STEP_OK);
	case RELAY_SRC:
		log_info("%s: client went away during the request body%s%s",
		    c->peer, rl.err ? ": " : "", rl.err ? strerror(rl.err) : "");
		return (client_gone(c, u, o));
	case RELAY_BAD:
		upstream_close(u);
		return (answered(o, answer_error(c, 400, 1, rl.why)));
	case RELAY_TOO_BIG:
		upstream_close(u);
		return (answered(o, answer_error(c, 413, 1,
		    "body larger than max_body_size")));
	default:	/* RELAY_DST */
		if (qb != HTTP_BODY_NONE &&
		    (st = early_answer(c, t, u, r, ulen, o)) != STEP_OK)
			return (st);
		upstream_close(u);
		if (reused && resendable(c, t->pool))
			return (STEP_STALE);
		if (failed(c, t, 502, 0, "failed while sending the request",
		    resendable(c, t->pool), o))
			return (STEP_END);
		return (answered(o, answer_error(c, 502, rl.out < (uint64_t)
		    (q->h.content_length > 0 ? q->h.content_length : 0) ||
		    qb == HTTP_BODY_CHUNKED, "backend failed while sending")));
	}
}

/* A response head came from t's server: passive health counts it. */
static void
passive(struct conn *c, const struct target *t, const struct http_resp *r)
{
	char st[32];

	if (t->pool == NULL)
		return;
	if (fail_status(t->pool, r->code)) {
		(void)snprintf(st, sizeof(st), "status %d", r->code);
		hc_passive_fail(c->w->shm, t->row, t->pool, hc_now_ms(), 0,
		    st);
	} else
		hc_passive_ok(c->w->shm, t->row, t->pool, hc_now_ms(),
		    (uint64_t)((clock_now() - t->start) * 1e6));
}

/* The response head, into ubuf[0..*ulen); passive health counted. */
static enum step
receive_head(struct conn *c, struct target *t, struct up_conn *u,
    int reused, struct http_resp *r, size_t *ulen, struct outcome *o)
{
	const char *why = NULL;
	enum up_rc urc;

	urc = read_response(c, u, r, ulen, &why);
	switch (urc) {
	case UP_OK:
		metrics_upstream_header(c->w, clock_now() - t->start);
		break;
	case UP_CLIENT:
		return (client_gone(c, u, o));
	case UP_EARLY_EOF:
		upstream_close(u);
		if (reused && resendable(c, t->pool))
			return (STEP_STALE);
		/* nothing came back: another server may answer it */
		if (failed(c, t, 502, 0, why, resendable(c, t->pool), o))
			return (STEP_END);
		return (answered(o, backend_error(c, 502, 0,
		    "bad or no response from backend")));
	default:	/* UP_BAD, UP_TIMEOUT */
		upstream_close(u);
		(void)failed(c, t, urc == UP_TIMEOUT ? 504 : 502,
		    urc == UP_TIMEOUT, why, 0, o);
		return (answered(o, backend_error(c, urc == UP_TIMEOUT ? 504 :
		    502, 0, urc == UP_TIMEOUT ? "backend timed out" :
		    "bad or no response from backend")));
	}
	passive(c, t, r);
	return (STEP_OK);
}

static int
has_field(const struct http_resp *r, int id)
{
	int i;

	for (i = 0; i < r->h.nhdr; i++)
		if (r->h.hdr[i].id == id)
			return (1);
	return (0);
}

/*
 * The response r (head in ubuf, ulen bytes read) to the client. early:
 * it came before the backend took the whole request body, so neither
 * connection goes on (the rest of the client's body is never read: it
 * must not be taken for a next request).
 */
static enum step
send_response(struct conn *c, const struct cfg_route *rt, struct target *t,
    struct up_conn *u, const struct http_resp *r, size_t ulen, int early,
    struct outcome *o)
{
	struct worker *w = c->w;
	const struct cfg *cfg = w->cfg;
	enum http_body rb = http_resp_body(r, c->req.meth);
	struct relay rl;
	enum relay_rc rrc;
	size_t hlen;
	int ka, decode, rechunk, fd, rc, gz, te;

	sb_set_state(w->sb, SB_WRITING);
	memset(&rl, 0, sizeof(rl));
	/* the cache stores it (a tee on rl), or answers a 304 itself */
	if (c->cache != NULL && !early && cache_response(c, c->cache, r,
	    w->ubuf, &rl, &rc)) {
		if (rb == HTTP_BODY_NONE && !(r->h.conn & HTTP_CONN_CLOSE) &&
		    ulen == r->h.head_len)
			upstream_keep(&w->up, u);
		else
			upstream_close(u);
		return (answered(o, rc));
	}
	/*
	 * gzip on the fly (worker/gzip.c): the client's copy compressed,
	 * chunked to HTTP/1.1, until the close to 1.0. The backend's own
	 * chunking is decoded first. A HEAD gets the head a GET would.
	 */
	gz = c->gzip_want && !early && (rb != HTTP_BODY_NONE ||
	    c->req.meth == HTTP_M_HEAD) && gzip_decide(&cfg->gzip,
	    c->req.meth, r, w->ubuf) == GZIP_YES;
	if (gz && rb != HTTP_BODY_NONE) {
		rl.gz = w->gz;
		rl.gz_dst = 1;
		rl.gz_chunk = c->req.h.version == 11;
	}
	if (rl.gz != NULL)	/* for the client, the store or both */
		gzip_start(rl.gz);
	/*
	 * A body framed by the close goes to an HTTP/1.1 client chunked, so
	 * that its connection can go on (as nginx does); not when the backend
	 * named a coding of its own (its Transfer-Encoding without chunked).
	 */
	rechunk = !gz && rb == HTTP_BODY_CLOSE && c->req.h.version == 11 &&
	    r->code != 101 && !has_field(r, HH_TRANSFER_ENCODING);
	ka = c->keepalive && !early && (rb != HTTP_BODY_CLOSE || rechunk);
	decode = rb == HTTP_BODY_CHUNKED && (c->req.h.version == 10 || gz);
	if (decode && c->req.h.version == 10)
		ka = 0;		/* a 1.0 client learns the end from the close */
	if (gz) {
		ka = c->keepalive && !early && (c->req.h.version == 11 ||
		    rb == HTTP_BODY_NONE);
		te = (c->req.h.version == 11 ? REWRITE_TE_CHUNK : 0) |
		    REWRITE_GZIP;
	} else
		te = rechunk ? REWRITE_TE_CHUNK : rb == HTTP_BODY_CHUNKED &&
		    !decode ? REWRITE_TE_KEEP : 0;
	hlen = rewrite_response(c, rt, r, w->ubuf, te, ka);
	if (hlen == 0) {
		upstream_close(u);
		log_error("%s: backend %s: response head too large to forward",
		    c->peer, t->name);
		return (answered(o, answer_error(c, 502, 0,
		    "response head too large")));
	}
	c->status = r->code;
	if (r->code == 101) {
		fd = u->io.fd;
		u->io.fd = -1;
		return (answered(o, proxy_tunnel(c, fd, w->obuf, hlen,
		    w->ubuf + r->h.head_len, ulen - r->h.head_len)));
	}
	rl.src = &u->io;
	rl.dst = &c->io;
	rl.src_to = cfg->timeouts.upstream;
	rl.dst_to = cfg->timeouts.client_body;
	rl.buf = w->ubuf;
	rl.cap = w->ucap;
	rl.have = ulen - r->h.head_len;
	memmove(w->ubuf, w->ubuf + r->h.head_len, rl.have);
	rl.pre.iov_base = w->obuf;
	rl.pre.iov_len = hlen;
	rl.chunk = rechunk;
	rl.spl = w->spl;	/* used only where it can be (relay.c) */
	rrc = relay_body(&rl, rb, (uint64_t)r->h.content_length, decode,
	    cfg->limits.max_header_size);
	if (c->cache != NULL)
		cache_body_end(c, c->cache, rrc == RELAY_OK ||
		    (rrc == RELAY_DST && rl.dst_gone && rl.tee != NULL));
	c->sent += rl.out + hlen;
	c->head_sent += hlen;
	sb_add(&w->sb->bytes_out, rl.out + hlen);
	if (rrc == RELAY_OK && !early && rb != HTTP_BODY_CLOSE &&
	    rl.have == 0 && !(r->h.conn & HTTP_CONN_CLOSE) &&
	    (r->h.version == 11 || (r->h.conn & HTTP_CONN_KEEPALIVE)))
		upstream_keep(&w->up, u);
	else
		upstream_close(u);
	switch (rrc) {
	case RELAY_OK:
		return (answered(o, ka ? 0 : -1));
	case RELAY_DST:
		/* the keeper's refresh has no client: the fill was the point */
		if (!w->keeper)
			log_info("%s: client went away during the response: "
			    "%s", c->peer, strerror(rl.err));
		return (answered(o, -1));
	default:
		/* The head is out: all porter can do is cut the client off. */
		log_error("%s: backend %s: response body: %s", c->peer,
		    t->name, rrc == RELAY_BAD ? rl.why :
		    rl.err == 0 ? "closed early" : strerror(rl.err));
		return (answered(o, -1));
	}
}

/*
 * One attempt on t: open a connection and exchange the request and the
 * response on it; a stale reused connection gets one more go afresh.
 * hlen: the rewritten request head's length once built (0 before).
 */
static void
attempt(struct conn *c, const struct cfg_route *rt, struct target *t,
    size_t *hlen, struct outcome *o)
{
	struct http_resp r;
	struct up_conn u;
	size_t ulen;
	enum step st;
	int fresh, reused;

	t->start = clock_now();
	/* the log tells of this attempt (the last, when there are several) */
	c->up_status = 0;
	c->up_connect = -1;
	c->up_header = -1;
	for (fresh = 0; ; fresh = 1) {
		u.io.fd = -1;
		if (upstream_open(c, t, fresh, &u, &reused) == -1) {
			/* nothing was sent: any method may go elsewhere */
			(void)failed(c, t, 502, errno == ETIMEDOUT,
			    addr_connect_why(errno), 1, o);
			return;
		}
		c->up_connect = reused ? 0 : clock_now() - t->start;
		st = send_request(c, rt, t, &u, reused, hlen, &r, &ulen, o);
		if (st == STEP_EARLY) {
			metrics_upstream_header(c->w, clock_now() - t->start);
			c->up_status = r.code;
			c->up_header = clock_now() - t->start;
			passive(c, t, &r);
			st = send_response(c, rt, t, &u, &r, ulen, 1, o);
		}
		if (st == STEP_OK) {
			worker_yield(c->w);	/* the backend has work */
			st = receive_head(c, t, &u, reused, &r, &ulen, o);
		}
		if (st == STEP_OK) {
			c->up_status = r.code;
			c->up_header = clock_now() - t->start;
			st = send_response(c, rt, t, &u, &r, ulen, 0, o);
		}
		/* a fresh connection is never reused: this runs twice at most */
		if (st != STEP_STALE)
			return;
	}
}
