#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "shared/health.h"
#include "shared/shm.h"
#include "worker/balance.h"
#include "worker/http_parse.h"
#include "worker/io.h"
#include "worker/proxy.h"
#include "worker/respond.h"
#include "worker/tunnel.h"
#include "worker/upstream.h"

/* A head being written into a fixed buffer; overflow is sticky. */
struct out {
	char	*p;
	size_t	 cap, len;
	int	 overflow;
};

static void
out_add(struct out *o, const char *s, size_t n)
{
	if (n > o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static void
out_str(struct out *o, const char *s)
{
	out_add(o, s, strlen(s));
}

static void
out_span(struct out *o, const char *buf, struct span sp)
{
	out_add(o, buf + sp.off, sp.len);
}

/* "Name: value\r\n" exactly as the client or backend spelled the name. */
static void
out_field(struct out *o, const char *buf, const struct http_hdr *h)
{
	out_span(o, buf, h->name);
	out_add(o, ": ", 2);
	out_span(o, buf, h->value);
	out_add(o, "\r\n", 2);
}

/*
 * Fields that several lines may carry and porter extends (Via,
 * X-Forwarded-For) are joined into one line: "a, b, ours".
 */
static void
out_joined(struct out *o, const char *name, const char *buf,
    const struct http_head *h, int id, const char *ours)
{
	int i, n = 0;

	out_str(o, name);
	out_add(o, ": ", 2);
	for (i = 0; i < h->nhdr; i++) {
		if (h->hdr[i].id != id || h->hdr[i].value.len == 0)
			continue;
		out_span(o, buf, h->hdr[i].value);
		out_add(o, ", ", 2);
		n++;
	}
	out_str(o, ours);
	out_add(o, "\r\n", 2);
}

/*
 * Relaying a body from one socket to another through one buffer.
 * buf[0..have) holds bytes already read from src and not yet passed on;
 * when a relay ends, whatever followed the body is left there.
 * pre, if set, is written in front of the first bytes (the head), so a
 * small response leaves in one sendmsg.
 */
enum relay_rc { RELAY_OK, RELAY_SRC, RELAY_DST, RELAY_BAD, RELAY_TOO_BIG };

struct relay {
	struct io	*src, *dst;
	double		 src_to, dst_to;
	char		*buf;
	size_t		 cap, have;
	struct iovec	 pre;
	uint64_t	 out;		/* body bytes written to dst */
	uint64_t	 max;		/* chunked: largest body; 0 none */
	int		 err;		/* errno of the failure; 0 for EOF */
	const char	*why;
};

static int
relay_write(struct relay *r, const char *p, size_t n)
{
	struct iovec iov[2];
	int k = 0;

	if (r->pre.iov_len > 0)
		iov[k++] = r->pre;
	iov[k].iov_base = (void *)(uintptr_t)p;
	iov[k++].iov_len = n;
	r->pre.iov_len = 0;
	if (io_writev(r->dst, iov, k, clock_now() + r->dst_to) == -1) {
		r->err = errno;
		return (-1);
	}
	r->out += n;
	return (0);
}

static int
relay_fill(struct relay *r, size_t want)
{
	ssize_t k;

	if (want > r->cap - r->have)
		want = r->cap - r->have;
	k = io_read(r->src, r->buf + r->have, want, clock_now() + r->src_to);
	if (k <= 0) {
		r->err = k == 0 ? 0 : errno;
		return (-1);
	}
	r->have += (size_t)k;
	return (0);
}

static void
relay_consume(struct relay *r, size_t n)
{
	if (n < r->have)
		memmove(r->buf, r->buf + n, r->have - n);
	r->have -= n;
}

/* Exactly n bytes; never reads past them. */
static enum relay_rc
relay_length(struct relay *r, uint64_t n)
{
	while (n > 0) {
		size_t m;

		if (r->have == 0 &&
		    relay_fill(r, n < r->cap ? (size_t)n : r->cap) == -1)
			return (RELAY_SRC);
		m = r->have < n ? r->have : (size_t)n;
		if (relay_write(r, r->buf, m) == -1)
			return (RELAY_DST);
		relay_consume(r, m);
		n -= m;
	}
	if (r->pre.iov_len > 0 && relay_write(r, NULL, 0) == -1)
		return (RELAY_DST);
	return (RELAY_OK);
}

static int
dechunk_cb(void *arg, const char *p, size_t n)
{
	return (relay_write(arg, p, n));
}

/*
 * A chunked body, passed on as it is (framing checked), or decoded for a
 * client that cannot take chunked (HTTP/1.0).
 */
static enum relay_rc
relay_chunked(struct relay *r, int decode, uint32_t max_trailers)
{
	struct http_chunked st;

	http_chunked_init(&st, 4096, max_trailers);
	for (;;) {
		enum http_rc rc;
		size_t used = 0;

		if (r->have == 0 && relay_fill(r, r->cap) == -1)
			return (RELAY_SRC);
		r->err = -1;
		rc = http_chunked_scan(&st, r->buf, r->have, &used,
		    decode ? dechunk_cb : NULL, r);
		if (rc == HTTP_ERROR) {
			if (r->err != -1)
				return (RELAY_DST);	/* the callback failed */
			r->why = st.why;
			return (RELAY_BAD);
		}
		if (r->max > 0 && st.total > r->max)
			return (RELAY_TOO_BIG);
		if (!decode && relay_write(r, r->buf, used) == -1)
			return (RELAY_DST);
		relay_consume(r, used);
		if (rc == HTTP_OK)
			break;
	}
	if (r->pre.iov_len > 0 && relay_write(r, NULL, 0) == -1)
		return (RELAY_DST);
	return (RELAY_OK);
}

/* Until the source closes (a response without length or chunking). */
static enum relay_rc
relay_close(struct relay *r)
{
	for (;;) {
		if (r->have == 0 && relay_fill(r, r->cap) == -1) {
			if (r->err != 0)
				return (RELAY_SRC);
			/* the end; an empty body still owes the head */
			if (r->pre.iov_len > 0 && relay_write(r, NULL, 0) == -1)
				return (RELAY_DST);
			return (RELAY_OK);
		}
		if (relay_write(r, r->buf, r->have) == -1)
			return (RELAY_DST);
		r->have = 0;
	}
}

/* Whether the field named by span n is in a route's remove or set list. */
static int
rewritten(const char *buf, struct span n, char *const *remove, int nremove,
    const struct cfg_hdr_set *set, int nset)
{
	int i;

	for (i = 0; i < nremove; i++)
		if (http_span_eq(buf, n, remove[i]))
			return (1);
	for (i = 0; i < nset; i++)
		if (http_span_eq(buf, n, set[i].name))
			return (1);
	return (0);
}

static void
out_set(struct out *o, const struct cfg_hdr_set *set, int nset)
{
	int i;

	for (i = 0; i < nset; i++) {
		out_str(o, set[i].name);
		out_add(o, ": ", 2);
		out_str(o, set[i].value);
		out_add(o, "\r\n", 2);
	}
}

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

/*
 * The absolute-form target "http://authority/path?q" as its authority and
 * its origin-form rest; 0 if the target is not absolute-form.
 */
static int
split_absolute(const char *t, size_t n, struct span *auth, struct span *rest,
    uint32_t base)
{
	size_t i;

	if (n < 8 || strncasecmp(t, "http://", 7) != 0)
		return (0);
	for (i = 7; i < n && t[i] != '/' && t[i] != '?'; i++)
		;
	auth->off = base + 7;
	auth->len = (uint32_t)(i - 7);
	rest->off = base + (uint32_t)i;
	rest->len = (uint32_t)(n - i);
	return (1);
}

/* Fields anonymous mode strips, besides the listener's anonymous_strip. */
static const char *const anon_fields[] = {
	"X-Forwarded-For", "Forwarded", "Via", "From", "Client-IP",
	"X-Real-IP", NULL
};

/* Whether forward mode's anonymous setting hides field n. */
static int
anonymized(const struct conn *c, struct span n)
{
	const struct cfg_forward *f = c->fwd;
	int i;

	if (f == NULL || !f->anonymous)
		return (0);
	for (i = 0; anon_fields[i] != NULL; i++)
		if (http_span_eq(c->buf, n, anon_fields[i]))
			return (1);
	for (i = 0; i < f->nanonymous_strip; i++)
		if (http_span_eq(c->buf, n, f->anonymous_strip[i]))
			return (1);
	return (0);
}

long
proxy_max_forwards(const struct conn *c)
{
	const struct http_head *h = &c->req.h;
	const char *v;
	long n = 0;
	size_t j;
	int i;

	for (i = 0; i < h->nhdr; i++) {
		if (!http_span_eq(c->buf, h->hdr[i].name, "Max-Forwards"))
			continue;
		v = c->buf + h->hdr[i].value.off;
		if (h->hdr[i].value.len == 0 || h->hdr[i].value.len > 9)
			return (-1);
		for (j = 0; j < h->hdr[i].value.len; j++) {
			if (v[j] < '0' || v[j] > '9')
				return (-1);
			n = n * 10 + (v[j] - '0');
		}
		return (n);
	}
	return (-1);
}

/*
 * Max-Forwards on TRACE and OPTIONS (RFC 9110 7.6.2): forwarded one less.
 * conn.c answers the request itself when it is 0.
 */
static int
out_max_forwards(struct out *o, const struct conn *c, const struct http_hdr *h)
{
	char num[24];
	long v;

	if ((c->req.meth != HTTP_M_TRACE && c->req.meth != HTTP_M_OPTIONS) ||
	    !http_span_eq(c->buf, h->name, "Max-Forwards"))
		return (0);
	v = proxy_max_forwards(c);
	if (v <= 0)
		return (0);	/* malformed: passed on as is */
	(void)snprintf(num, sizeof(num), "%ld", v - 1);
	out_str(o, "Max-Forwards: ");
	out_str(o, num);
	out_add(o, "\r\n", 2);
	return (1);
}

/* A WebSocket (or other) upgrade the client asked for. */
static int
wants_upgrade(const struct http_req *q)
{
	return ((q->h.conn & HTTP_CONN_UPGRADE) && q->meth == HTTP_M_GET &&
	    http_req_body(q) == HTTP_BODY_NONE);
}

/*
 * The request head for the backend: origin-form target (absolute-form to a
 * parent proxy), HTTP/1.1, the client's fields less hop-by-hop ones, and
 * porter's Via and X-Forwarded-* (forward mode: Via and X-Forwarded-For
 * only, or nothing that identifies the client when anonymous). Returns
 * its length, or 0 if it does not fit in obuf.
 */
static size_t
build_request(struct conn *c, const struct cfg_route *rt, const char *hostfb)
{
	const struct http_req *q = &c->req;
	const struct cfg_forward *fwd = c->fwd;
	const char *b = c->buf;
	struct out o = { c->w->obuf, c->w->ocap, 0, 0 };
	struct span auth = { 0, 0 }, rest = { 0, 0 };
	int i, absolute, have_host = q->host.len > 0;
	int anon = fwd != NULL && fwd->anonymous;
	int upgrade = wants_upgrade(q);

	absolute = split_absolute(b + q->target.off, q->target.len, &auth,
	    &rest, q->target.off);
	out_span(&o, b, q->method);
	out_add(&o, " ", 1);
	if (c->to_parent) {
		out_span(&o, b, q->target);	/* a proxy wants it absolute */
	} else if (rt->normalize && c->npath[0] == '/') {
		/* the path the rules saw, and the query as sent */
		out_add(&o, c->npath, c->npathlen);
		out_span(&o, b, c->query);
	} else if (absolute) {
		if (rest.len == 0 || b[rest.off] != '/')
			out_add(&o, "/", 1);
		out_span(&o, b, rest);
	} else {
		out_span(&o, b, q->target);
	}
	out_str(&o, " HTTP/1.1\r\n");
	if (absolute) {
		/* RFC 9112 3.2.2: the URI's authority replaces Host. */
		out_str(&o, "Host: ");
		out_span(&o, b, auth);
		out_add(&o, "\r\n", 2);
	} else if (!have_host) {
		/* an HTTP/1.0 client may omit Host; 1.1 backends need one */
		out_str(&o, "Host: ");
		out_str(&o, hostfb);
		out_add(&o, "\r\n", 2);
	}
	for (i = 0; i < q->h.nhdr; i++) {
		const struct http_hdr *h = &q->h.hdr[i];

		switch (h->id) {
		case HH_HOST:
			if (absolute)
				continue;
			break;
		case HH_EXPECT:
			if (q->expect_continue)
				continue;	/* porter answers it itself */
			break;
		case HH_VIA: case HH_X_FORWARDED_FOR:
		case HH_X_FORWARDED_PROTO: case HH_X_FORWARDED_HOST:
			continue;		/* rewritten below */
		case HH_UPGRADE:
			if (upgrade)
				out_field(&o, b, h);
			continue;
		default:
			break;
		}
		if (http_is_hop_by_hop(&q->h, b, i) || anonymized(c, h->name) ||
		    rewritten(b, h->name, rt->remove_request_headers,
		    rt->nremove_request_headers, rt->set_request_headers,
		    rt->nset_request_headers) || out_max_forwards(&o, c, h))
			continue;
		out_field(&o, b, h);
	}
	out_set(&o, rt->set_request_headers, rt->nset_request_headers);
	if (upgrade)
		out_str(&o, "Connection: upgrade\r\n");
	if (q->h.chunked)
		out_str(&o, "Transfer-Encoding: chunked\r\n");
	if (fwd == NULL || (fwd->forwarded_for && !anon))
		out_joined(&o, "X-Forwarded-For", b, &q->h, HH_X_FORWARDED_FOR,
		    c->peer);
	else if (!anon)
		for (i = 0; i < q->h.nhdr; i++)	/* the client's, as sent */
			if (q->h.hdr[i].id == HH_X_FORWARDED_FOR)
				out_field(&o, b, &q->h.hdr[i]);
	if (fwd == NULL) {
		out_str(&o, "X-Forwarded-Proto: http\r\n");
		if (absolute || have_host) {
			out_str(&o, "X-Forwarded-Host: ");
			out_span(&o, b, absolute ? auth : q->host);
			out_add(&o, "\r\n", 2);
		}
	}
	if (fwd == NULL || fwd->forwarded_for)
		out_joined(&o, "Via", b, &q->h, HH_VIA, q->h.version == 10 ?
		    c->w->via10 : c->w->via11);
	else if (!anon)
		for (i = 0; i < q->h.nhdr; i++)	/* the client's, as sent */
			if (q->h.hdr[i].id == HH_VIA)
				out_field(&o, b, &q->h.hdr[i]);
	out_add(&o, "\r\n", 2);
	return (o.overflow ? 0 : o.len);
}

/*
 * The response head for the client. chunked: pass the backend's chunked
 * coding on (its Transfer-Encoding line kept); ka: the client connection
 * stays open after this response.
 */
static size_t
build_response(struct conn *c, const struct cfg_route *rt,
    const struct http_resp *r, const char *ub, int chunked, int ka)
{
	struct out o = { c->w->obuf, c->w->ocap, 0, 0 };
	char line[13] = "HTTP/1.1 000 ";
	int i;

	/* the parser guarantees 100..599 */
	line[9] = (char)('0' + r->code / 100);
	line[10] = (char)('0' + r->code / 10 % 10);
	line[11] = (char)('0' + r->code % 10);
	out_add(&o, line, sizeof(line));
	out_span(&o, ub, r->reason);
	out_add(&o, "\r\n", 2);
	for (i = 0; i < r->h.nhdr; i++) {
		const struct http_hdr *h = &r->h.hdr[i];

		if (h->id == HH_TRANSFER_ENCODING) {
			if (chunked)
				out_field(&o, ub, h);
			continue;
		}
		if (h->id == HH_UPGRADE && r->code == 101) {
			out_field(&o, ub, h);
			continue;
		}
		if (h->id == HH_VIA || http_is_hop_by_hop(&r->h, ub, i) ||
		    rewritten(ub, h->name, rt->remove_response_headers,
		    rt->nremove_response_headers, rt->set_response_headers,
		    rt->nset_response_headers))
			continue;
		out_field(&o, ub, h);
	}
	out_set(&o, rt->set_response_headers, rt->nset_response_headers);
	out_joined(&o, "Via", ub, &r->h, HH_VIA,
	    r->h.version == 10 ? c->w->via10 : c->w->via11);
	if (r->code == 101)
		out_str(&o, "Connection: upgrade\r\n");
	else if (!ka)
		out_str(&o, "Connection: close\r\n");
	else if (c->req.h.version == 10)
		out_str(&o, "Connection: keep-alive\r\n");
	out_add(&o, "\r\n", 2);
	return (o.overflow ? 0 : o.len);
}

/* Outcomes of getting a response head from a backend. */
enum up_rc { UP_OK, UP_EARLY_EOF, UP_TIMEOUT, UP_BAD, UP_CLIENT };

/* Where one attempt goes: a pool's server, or forward mode's destination. */
struct target {
	const struct addrlist	*addrs;		/* where it is: one to connect */
	int			 first;		/* the index to try first */
	struct srvaddr		*shared;	/* pool servers: the address
						   in use is kept there */
	const char		*name;		/* for logs; Host for 1.0 */
	char			 tried[256];	/* a name's addresses that failed
						   to connect, for the log */
	const struct cfg_pool	*pool;		/* NULL in forward mode */
	uint32_t		 row;		/* its health row, with pool */
	double			 start;		/* for the latency average */
	int			 status;	/* 502 or 504 when it failed */
	const char		*why;
};

/* How one attempt ended. */
enum ex_rc {
	EX_DONE,	/* the client has its answer (or is gone) */
	EX_RETRY	/* nothing reached the client; another server may */
};

/*
 * Read the backend's response head into ubuf[0..*ulen), skipping interim
 * 1xx answers (forwarding all but 100 to an HTTP/1.1 client; porter answers
 * 100-continue itself).
 */
static enum up_rc
read_response(struct conn *c, struct up_conn *u, struct http_resp *r,
    size_t *ulen, const char **why)
{
	struct worker *w = c->w;
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
			k = io_read(&u->io, w->ubuf + *ulen, w->ucap - *ulen,
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
			if (wants_upgrade(&c->req))
				return (UP_OK);
			*why = "unexpected 101 Switching Protocols";
			return (UP_BAD);
		}
		if (r->code != 100 && c->req.h.version == 11 &&
		    io_write(&c->io, w->ubuf, r->h.head_len,
		    clock_now() + w->cfg->timeouts.client_body) == -1)
			return (UP_CLIENT);
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
static int
upstream_open(struct conn *c, struct target *t, int fresh,
    struct up_conn *u, int *reused)
{
	struct worker *w = c->w;
	const struct addrlist *l = t->addrs;
	const struct sockaddr *sa;
	char text[ADDR_TEXT];
	int fd, i;

	if (!fresh && upstream_take(&w->up, (const struct sockaddr *)
	    &l->sa[t->first], l->len[t->first], !resendable(c, t->pool), u)) {
		*reused = 1;
		return (0);
	}
	*reused = 0;
	fd = upstream_connect(l, t->first, w->cfg->timeouts.connect, &i,
	    t->tried, sizeof(t->tried));
	if (fd == -1)
		return (-1);
	sa = (const struct sockaddr *)&l->sa[i];
	/* another address answered: every process goes there first now */
	if (i != t->first && t->shared != NULL && t->pool != NULL &&
	    srvaddr_prefer(t->shared, sa))
		log_info("backend %s/%s: now using %s (%s)", t->pool->name,
		    t->name, addr_text(sa, text, sizeof(text)), t->tried);
	t->tried[0] = '\0';
	io_init(&u->io, fd);
	memcpy(&u->sa, sa, l->len[i]);
	u->salen = l->len[i];
	return (0);
}

/* The value of the first field named name, or NULL. */
static const char *
field_value(const struct conn *c, const char *name, size_t *len)
{
	const struct http_head *h = &c->req.h;
	int i;

	for (i = 0; i < h->nhdr; i++)
		if (http_span_eq(c->buf, h->hdr[i].name, name)) {
			*len = h->hdr[i].value.len;
			return (c->buf + h->hdr[i].value.off);
		}
	return (NULL);
}

/* The value of cookie name in the Cookie field, or NULL. */
static const char *
cookie_value(const struct conn *c, const char *name, size_t *len)
{
	size_t n, nl = strlen(name), i = 0, j;
	const char *v = field_value(c, "Cookie", &n);

	while (v != NULL && i < n) {
		while (i < n && (v[i] == ' ' || v[i] == ';'))
			i++;
		for (j = i; j < n && v[j] != ';'; j++)
			;
		if (j - i > nl && v[i + nl] == '=' &&
		    memcmp(v + i, name, nl) == 0) {
			*len = j - i - nl - 1;
			return (v + i + nl + 1);
		}
		i = j;
	}
	return (NULL);
}

/* What balance = "hash" hashes for this request ("" when it is absent). */
static const char *
hash_key(const struct conn *c, const struct cfg_pool *p, size_t *len)
{
	const char *k = NULL;

	switch (p->hash_key) {
	case CFG_HASH_CLIENT_IP:
		*len = strlen(c->peer);
		return (c->peer);
	case CFG_HASH_HEADER:
		k = field_value(c, p->hash_name, len);
		break;
	case CFG_HASH_COOKIE:
		k = cookie_value(c, p->hash_name, len);
		break;
	default:
		*len = c->req.target.len;
		return (c->buf + c->req.target.off);
	}
	if (k == NULL)
		*len = 0;
	return (k != NULL ? k : "");
}

/* xorshift64*: a worker's own cheap random numbers for random2. */
static uint64_t
next_random(struct worker *w)
{
	w->rnd ^= w->rnd >> 12;
	w->rnd ^= w->rnd << 25;
	w->rnd ^= w->rnd >> 27;
	return (w->rnd * 0x2545F4914F6CDD1DULL);
}

/* The pool's algorithm over the servers marked eligible; -1 if none. */
static int
pick_server(struct conn *c, const struct cfg_route *rt, const uint8_t *el)
{
	struct worker *w = c->w;
	const struct cfg_pool *p = &w->cfg->pools[rt->pool];
	const struct balance *b = &w->bal[rt->pool];
	const char *key;
	size_t klen;
	int i;

	if (p->balance == CFG_BAL_LEAST_CONN || p->balance == CFG_BAL_RANDOM2)
		for (i = 0; i < p->nservers; i++)
			w->active[i] = atomic_load_explicit(&hc_row(w->shm,
			    p->servers[i].row)->active, memory_order_relaxed);
	switch (p->balance) {
	case CFG_BAL_LEAST_CONN:
		return (balance_pick_least(b, p, w->active, el, w->tiebreak++));
	case CFG_BAL_RANDOM2:
		return (balance_pick_random2(b, p, w->active, el,
		    next_random(w)));
	case CFG_BAL_HASH:
		key = hash_key(c, p, &klen);
		return (balance_pick_hash(b, key, klen, el));
	default:
		return (balance_pick_rr(b, &shm_pool(w->shm,
		    (uint32_t)rt->pool)->rr, el));
	}
}

/* The client's body that porter could not read: the connection must end. */
static int
body_pending(const struct conn *c)
{
	return (http_req_body(&c->req) != HTTP_BODY_NONE);
}

/* What choose_server says when it names no server. */
#define PICK_NONE	(-1)	/* none is up (or all were tried) */
#define PICK_BUSY	(-2)	/* the usable ones are all at max_conns */

/*
 * The server for the next attempt: among the primaries that are up, not
 * draining, below max_conns and not yet tried for this request, the one
 * the pool's algorithm picks; the backups only when no primary is up.
 * A down server whose passive down time is over gets the request as its
 * trial. slow_start: a server still ramping up is passed over with the
 * probability of the weight it does not have yet.
 */
static int
choose_server(struct conn *c, const struct cfg_route *rt, const uint8_t *tried)
{
	struct worker *w = c->w;
	const struct cfg_pool *p = &w->cfg->pools[rt->pool];
	int64_t now = hc_now_ms();
	int phase, i, s, any, busy = 0, trial, left;

	for (phase = 0; phase <= 1; phase++) {
		any = 0;
		for (i = 0; i < p->nservers; i++) {
			const struct cfg_server *srv = &p->servers[i];

			w->eligible[i] = 0;
			if (srv->backup != phase || tried[i] ||
			    !hc_usable(w->shm, srv->row, p, now, &trial))
				continue;
			if (trial)
				return (i);
			if (srv->max_conns > 0 && atomic_load_explicit(
			    &hc_row(w->shm, srv->row)->active,
			    memory_order_relaxed) >= srv->max_conns) {
				busy = 1;
				continue;
			}
			w->eligible[i] = 1;
			any++;
		}
		if (busy && !any)
			return (PICK_BUSY);
		for (left = any; left > 0; left--) {
			double f;

			s = pick_server(c, rt, w->eligible);
			if (s < 0 || left == 1 || p->slow_start <= 0)
				return (s);
			f = hc_weight_factor(w->shm, p->servers[s].row, p, now);
			if (f >= 1.0 ||
			    (double)(next_random(w) >> 11) / 9007199254740992.0 < f)
				return (s);
			w->eligible[s] = 0;	/* ramping up: not this time */
		}
	}
	return (PICK_NONE);
}

/*
 * Every usable server is at max_conns: wait for a slot, polling the table
 * with a short, growing sleep, until queue_timeout from *since. 0 to try
 * again, -1 when the time is up.
 */
static int
queue_wait(const struct cfg_pool *p, double *since, int *step_ms)
{
	double now = clock_now(), left;
	struct timespec ts;

	if (*since == 0) {
		*since = now;
		*step_ms = 1;
	}
	left = *since + p->queue_timeout - now;
	if (left <= 0)
		return (-1);
	if (left > *step_ms / 1000.0)
		left = *step_ms / 1000.0;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	(void)nanosleep(&ts, NULL);
	if (*step_ms < 16)
		*step_ms *= 2;
	return (0);
}

/* 503 with Retry-After: seconds until the pool may have a server again. */
static int
unavailable(struct conn *c, const struct cfg_pool *p, int busy)
{
	char extra[48];
	double after = busy ? 1 : p->health.path != NULL ?
	    p->health.interval * p->health.rise : p->fail_timeout;

	if (after < 1)
		after = 1;
	(void)snprintf(extra, sizeof(extra), "Retry-After: %d\r\n",
	    (int)(after + 0.999));
	return (conn_error_with(c, 503, body_pending(c), busy ?
	    "every server is at max_conns" : "no server is up", extra));
}

static enum ex_rc	attempt(struct conn *, const struct cfg_route *,
			    struct target *, size_t *, int *);

int
proxy_request(struct conn *c, const struct cfg_route *rt)
{
	struct worker *w = c->w;
	const struct cfg *cfg = w->cfg;
	const struct cfg_pool *pool = &cfg->pools[rt->pool];
	struct http_req *q = &c->req;
	struct target t;
	struct addrlist scratch;
	size_t hlen = 0;
	double qsince = 0;
	int tries = 0, step = 1, s, rc, status = 502;
	const char *why = "no server";

	if (http_req_body(q) == HTTP_BODY_LENGTH &&
	    cfg->limits.max_body_size > 0 &&
	    (uint64_t)q->h.content_length > cfg->limits.max_body_size)
		return (conn_error(c, 413, 1, "body larger than max_body_size"));
	memset(w->tried, 0, (size_t)pool->nservers);
	for (;;) {
		const struct cfg_server *srv;

		s = choose_server(c, rt, w->tried);
		if (s == PICK_BUSY) {
			if (queue_wait(pool, &qsince, &step) == -1)
				return (unavailable(c, pool, 1));
			continue;
		}
		if (s < 0) {
			if (tries == 0)
				return (unavailable(c, pool, 0));
			break;
		}
		srv = &pool->servers[s];
		if (!hc_try_acquire(w->shm, srv->row, srv->max_conns))
			continue;	/* another worker took the last slot */
		memset(&t, 0, sizeof(t));
		t.shared = &hc_row(w->shm, srv->row)->addr;
		t.addrs = srvaddr_list(t.shared, &srv->addrs, cfg->loaded_ms,
		    pool->resolve > 0, &scratch, &t.first);
		t.name = srv->addr.text;
		t.pool = pool;
		t.row = srv->row;
		c->backend = srv->addr.text;
		atomic_store_explicit(&w->sb->hc_held, srv->row + 1,
		    memory_order_relaxed);
		sb_set_state(w->sb, SB_UPSTREAM);
		if (attempt(c, rt, &t, &hlen, &rc) == EX_DONE) {
			atomic_store_explicit(&w->sb->hc_held, 0,
			    memory_order_relaxed);
			hc_release(w->shm, srv->row);
			return (rc);
		}
		atomic_store_explicit(&w->sb->hc_held, 0, memory_order_relaxed);
		hc_release(w->shm, srv->row);
		status = t.status;
		why = t.why;
		w->tried[s] = 1;
		if (++tries > pool->retries)
			break;
		log_info("%s: retrying on another server after %s from %s",
		    c->peer, why, srv->addr.text);
	}
	return (conn_error(c, status, body_pending(c), why));
}

int
proxy_forward(struct conn *c, const struct cfg_route *rt,
    const struct addrlist *addrs, const char *name)
{
	struct target t;
	size_t hlen = 0;
	int rc;

	memset(&t, 0, sizeof(t));
	sb_set_state(c->w->sb, SB_UPSTREAM);
	t.addrs = addrs;
	t.name = name;
	if (attempt(c, rt, &t, &hlen, &rc) == EX_DONE)
		return (rc);
	return (conn_error(c, t.status, body_pending(c), t.why));
}

/* A failed attempt: count it against the server and say what went wrong. */
static enum ex_rc
failed(struct conn *c, struct target *t, int status, int timeout,
    const char *why, int retry)
{
	/* which addresses of a name failed, unless the name is the address */
	if (t->tried[0] != '\0' && (t->addrs->n > 1 ||
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
	t->status = status;
	t->why = why;
	return (retry ? EX_RETRY : EX_DONE);
}

static enum ex_rc	exchange(struct conn *, const struct cfg_route *,
			    struct target *, struct up_conn *, int, size_t *,
			    int *);

/*
 * One attempt on t: connect (or reuse) and exchange. EX_DONE with *rc
 * when the client has its answer, EX_RETRY when another server may take
 * the request (t->status and t->why say why this one did not).
 */
static enum ex_rc
attempt(struct conn *c, const struct cfg_route *rt, struct target *t,
    size_t *hlen, int *rc)
{
	struct up_conn u;
	int reused;
	enum ex_rc x;

	u.io.fd = -1;
	t->start = clock_now();
	if (upstream_open(c, t, 0, &u, &reused) == -1) {
		/* nothing was sent: any method may go elsewhere */
		x = failed(c, t, 502, errno == ETIMEDOUT,
		    addr_connect_why(errno), 1);
		if (x == EX_DONE)
			*rc = conn_error(c, t->status, body_pending(c), t->why);
		return (x);
	}
	return (exchange(c, rt, t, &u, reused, hlen, rc));
}

/*
 * A 101 answer to an Upgrade request: pass the head on, then relay bytes
 * both ways until either side is done. The connection ends with it.
 */
static int
upgrade_tunnel(struct conn *c, struct up_conn *u, size_t hlen,
    const char *pre, size_t npre)
{
	struct worker *w = c->w;
	struct tunnel_end a, b;
	struct tunnel_stats st;

	if (io_write(&c->io, w->obuf, hlen, clock_now() +
	    w->cfg->timeouts.client_body) == -1) {
		upstream_close(u);
		return (-1);
	}
	c->sent += hlen;
	sb_set_state(w->sb, SB_TUNNEL);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	a.fd = c->io.fd;
	a.pre = pre;
	a.npre = npre;
	b.fd = u->io.fd;
	b.pre = c->buf;
	b.npre = c->len;
	(void)tunnel_relay(&a, &b, w->cfg->timeouts.tunnel_idle, w->tbuf,
	    w->tcap, &st);
	c->len = 0;
	upstream_close(u);
	proxy_tunnel_log(c, &st);
	return (-1);
}

void
proxy_tunnel_log(struct conn *c, const struct tunnel_stats *st)
{
	c->sent += st->b2a;
	sb_add(&c->w->sb->bytes_out, st->b2a);
	sb_add(&c->w->sb->bytes_in, st->a2b);
	(void)snprintf(c->w->tunnel_why, sizeof(c->w->tunnel_why),
	    "tunnel up=%llu down=%llu (%s)", (unsigned long long)st->a2b,
	    (unsigned long long)st->b2a, st->end != NULL ? st->end : "ended");
	c->why = c->w->tunnel_why;
	log_info("%s: %s %s", c->peer, c->backend != NULL ? c->backend : "-",
	    c->why);
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

/*
 * Send the request on u (connected to t) and relay the response.
 * EX_DONE with *rc = 0 if the client connection may carry another
 * request; EX_RETRY if the request can go to another server.
 */
static enum ex_rc
exchange(struct conn *c, const struct cfg_route *rt, struct target *t,
    struct up_conn *up, int reused, size_t *hlenp, int *rcp)
{
	struct worker *w = c->w;
	const struct cfg *cfg = w->cfg;
	struct http_req *q = &c->req;
	enum http_body qb = http_req_body(q);
	struct up_conn u = *up;
	struct http_resp r;
	struct relay rl;
	enum relay_rc rrc;
	enum up_rc urc;
	const char *why = NULL;
	size_t hlen = *hlenp, ulen;
	int retried = 0, ka, decode, upstream_ok;
	enum http_body rb;

	*rcp = -1;
	if (hlen == 0) {
		hlen = build_request(c, rt, t->name);
		if (hlen == 0) {
			upstream_keep(&w->up, &u);
			*rcp = conn_error(c, 431, 1,
			    "request head too large to forward");
			return (EX_DONE);
		}
		*hlenp = hlen;
		/* The head is out of c->buf now; the body follows it there. */
		c->len -= q->h.head_len;
		memmove(c->buf, c->buf + q->h.head_len, c->len);
		c->head_done = 1;
	}

retry:
	memset(&rl, 0, sizeof(rl));
	rl.src = &c->io;
	rl.dst = &u.io;
	rl.src_to = cfg->timeouts.client_body;
	rl.dst_to = cfg->timeouts.upstream;
	rl.buf = c->buf;
	rl.cap = w->ccap;
	rl.have = c->len;
	rl.pre.iov_base = w->obuf;
	rl.pre.iov_len = hlen;
	rl.max = cfg->limits.max_body_size;
	if (rt->max_body_size > 0 && (rl.max == 0 || rt->max_body_size < rl.max))
		rl.max = rt->max_body_size;	/* the route's, if tighter */
	if (qb != HTTP_BODY_NONE && q->expect_continue && rl.have == 0 &&
	    q->h.version == 11) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

		if (io_write(&c->io, cont, sizeof(cont) - 1,
		    clock_now() + cfg->timeouts.client_body) == -1)
			goto client_gone;
	}
	switch (qb) {
	case HTTP_BODY_LENGTH:
		rrc = relay_length(&rl, (uint64_t)q->h.content_length);
		break;
	case HTTP_BODY_CHUNKED:
		rrc = relay_chunked(&rl, 0, cfg->limits.max_header_size);
		break;
	default:
		rrc = relay_length(&rl, 0);
		break;
	}
	c->len = rl.have;
	switch (rrc) {
	case RELAY_OK:
		break;
	case RELAY_SRC:
		log_info("%s: client went away during the request body%s%s",
		    c->peer, rl.err ? ": " : "", rl.err ? strerror(rl.err) : "");
		goto client_gone;
	case RELAY_BAD:
		upstream_close(&u);
		*rcp = conn_error(c, 400, 1, rl.why);
		return (EX_DONE);
	case RELAY_TOO_BIG:
		upstream_close(&u);
		*rcp = conn_error(c, 413, 1, "body larger than max_body_size");
		return (EX_DONE);
	case RELAY_DST:
		upstream_close(&u);
		if (reused && !retried && resendable(c, t->pool))
			goto again;
		if (failed(c, t, 502, 0, "failed while sending the request",
		    resendable(c, t->pool)) == EX_RETRY)
			return (EX_RETRY);
		*rcp = conn_error(c, 502, rl.out < (uint64_t)
		    (q->h.content_length > 0 ? q->h.content_length : 0) ||
		    qb == HTTP_BODY_CHUNKED, "backend failed while sending");
		return (EX_DONE);
	}

	urc = read_response(c, &u, &r, &ulen, &why);
	switch (urc) {
	case UP_OK:
		break;
	case UP_CLIENT:
		goto client_gone;
	case UP_EARLY_EOF:
		upstream_close(&u);
		if (reused && !retried && resendable(c, t->pool))
			goto again;	/* a stale kept-alive connection */
		/* nothing came back: another server may answer it */
		if (failed(c, t, 502, 0, why, resendable(c, t->pool)) ==
		    EX_RETRY)
			return (EX_RETRY);
		*rcp = conn_error(c, 502, 0, "bad or no response from backend");
		return (EX_DONE);
	case UP_BAD:
	case UP_TIMEOUT:
		upstream_close(&u);
		(void)failed(c, t, urc == UP_TIMEOUT ? 504 : 502,
		    urc == UP_TIMEOUT, why, 0);
		*rcp = conn_error(c, urc == UP_TIMEOUT ? 504 : 502, 0,
		    urc == UP_TIMEOUT ? "backend timed out" :
		    "bad or no response from backend");
		return (EX_DONE);
	}
	if (t->pool != NULL) {
		if (fail_status(t->pool, r.code)) {
			char st[32];

			(void)snprintf(st, sizeof(st), "status %d", r.code);
			hc_passive_fail(w->shm, t->row, t->pool, hc_now_ms(), 0,
			    st);
		} else {
			hc_passive_ok(w->shm, t->row, t->pool, hc_now_ms(),
			    (uint64_t)((clock_now() - t->start) * 1e6));
		}
	}

	/* Relay the response. */
	sb_set_state(w->sb, SB_WRITING);
	rb = http_resp_body(&r, q->meth);
	ka = c->keepalive && rb != HTTP_BODY_CLOSE;
	decode = rb == HTTP_BODY_CHUNKED && q->h.version == 10;
	if (decode)
		ka = 0;		/* a 1.0 client learns the end from the close */
	hlen = build_response(c, rt, &r, w->ubuf, rb == HTTP_BODY_CHUNKED &&
	    !decode, ka);
	if (hlen == 0) {
		upstream_close(&u);
		log_error("%s: backend %s: response head too large to forward",
		    c->peer, t->name);
		*rcp = conn_error(c, 502, 0, "response head too large");
		return (EX_DONE);
	}
	c->status = r.code;
	if (r.code == 101) {
		*rcp = upgrade_tunnel(c, &u, hlen, w->ubuf + r.h.head_len,
		    ulen - r.h.head_len);
		return (EX_DONE);
	}
	memset(&rl, 0, sizeof(rl));
	rl.src = &u.io;
	rl.dst = &c->io;
	rl.src_to = cfg->timeouts.upstream;
	rl.dst_to = cfg->timeouts.client_body;
	rl.buf = w->ubuf;
	rl.cap = w->ucap;
	rl.have = ulen - r.h.head_len;
	memmove(w->ubuf, w->ubuf + r.h.head_len, rl.have);
	rl.pre.iov_base = w->obuf;
	rl.pre.iov_len = hlen;
	switch (rb) {
	case HTTP_BODY_LENGTH:
		rrc = relay_length(&rl, (uint64_t)r.h.content_length);
		break;
	case HTTP_BODY_CHUNKED:
		rrc = relay_chunked(&rl, decode, cfg->limits.max_header_size);
		break;
	case HTTP_BODY_CLOSE:
		rrc = relay_close(&rl);
		break;
	default:
		rrc = relay_length(&rl, 0);
		break;
	}
	c->sent += rl.out + hlen;
	sb_add(&w->sb->bytes_out, rl.out + hlen);
	upstream_ok = rrc == RELAY_OK && rb != HTTP_BODY_CLOSE && rl.have == 0 &&
	    !(r.h.conn & HTTP_CONN_CLOSE) &&
	    (r.h.version == 11 || (r.h.conn & HTTP_CONN_KEEPALIVE));
	if (upstream_ok)
		upstream_keep(&w->up, &u);
	else
		upstream_close(&u);
	switch (rrc) {
	case RELAY_OK:
		*rcp = ka ? 0 : -1;
		return (EX_DONE);
	case RELAY_DST:
		log_info("%s: client went away during the response: %s",
		    c->peer, strerror(rl.err));
		return (EX_DONE);
	default:
		/* The head is out: all porter can do is cut the client off. */
		log_error("%s: backend %s: response body: %s", c->peer,
		    t->name, rrc == RELAY_BAD ? rl.why :
		    rl.err == 0 ? "closed early" : strerror(rl.err));
		return (EX_DONE);
	}

again:
	/* A kept-alive connection the backend had closed: once, afresh. */
	retried = 1;
	if (upstream_open(c, t, 1, &u, &reused) == -1) {
		if (failed(c, t, 502, errno == ETIMEDOUT, addr_connect_why(errno),
		    1) == EX_RETRY)
			return (EX_RETRY);
		*rcp = conn_error(c, 502, 0, "connect failed");
		return (EX_DONE);
	}
	goto retry;

client_gone:
	upstream_close(&u);
	c->status = 499;	/* nginx's code for "client closed" in logs */
	return (EX_DONE);
}
