/*
 * The cache in a worker: lookups before a request goes to a backend, and
 * the fill as its response comes back (see cache.h).
 *
 * A request on a cache route takes one of these ways:
 *   hit        a stored response usable for it (RFC 9111 4.2, and the
 *              client's directives): served straight from the segment,
 *              as a 304 to the client's own conditional, as a 206 for one
 *              byte range, or as a head for HEAD
 *   collapsed  another worker is fetching the same key: this one waits
 *              for the head (collapse_timeout), then streams the body as
 *              the filler publishes it; if the filler dies mid-body, the
 *              client sees an incomplete response, never a complete one
 *   fill       nothing stored: proxy.c fetches it and the body is teed
 *              into the store (the first to miss fills; the rest wait)
 *   stale      a stored response past its freshness with validators: the
 *              backend is asked conditionally; a 304 refreshes the copy
 *              (a new entry with the merged head and the same body)
 *   grace      a stale response within its stale-while-revalidate window
 *              (RFC 5861, or the route's cache_grace): served at once,
 *              and one refresh queued for the cache keeper; within its
 *              stale-if-error window: served when the backend fails, and
 *              at once when the health table has the whole pool down
 *   pass       not cacheable (a request's no-store, a recent response
 *              that was not storable, an unsafe method)
 */
#include "config.h"

#include <sys/uio.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "keeper/keeper.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "lib/outbuf.h"
#include "shared/jobs.h"
#include "shared/purge.h"
#include "shared/scoreboard.h"
#include "shared/uses.h"
#include "worker/answer.h"
#include "worker/cache.h"
#include "worker/gzip.h"
#include "worker/http_date.h"
#include "worker/io.h"
#include "worker/pick.h"
#include "worker/rewrite.h"
#include "worker/state.h"

#define CACHE_IOV	64	/* body pieces per writev */
#define CACHE_PASS_MS	5000	/* hit-for-miss after an unstorable answer */
#define CACHE_FAIL_PASS_MS 1000	/* and after a fetch that failed */
#define CACHE_AGAIN	2	/* serve_stream: the fill ended before
				   anything went out: look the key up again */
/*
 * meta.flags: porter stored the body gzipped (the route's gzip): one
 * copy for every client, sent as it is to those that accept gzip and
 * inflated for the others. Above the CP_F_* bits.
 */
#define CACHE_F_GZIP	0x8000

int
cache_work_init(struct cache_work **out, struct store *st,
    struct uses_area *uses, uint32_t slot, size_t max_head, size_t resp_head)
{
	struct cache_work *cw;

	*out = NULL;
	if (st == NULL)
		return (0);
	if ((cw = calloc(1, sizeof(*cw))) == NULL)
		return (-1);
	cw->st = st;
	cw->uses = uses;
	cw->slot = slot;
	cw->qcap = max_head;
	cw->hcap = resp_head;
	cw->qbuf = malloc(cw->qcap);
	cw->head = malloc(cw->hcap);
	cw->merged = malloc(cw->hcap);
	if (cw->qbuf == NULL || cw->head == NULL || cw->merged == NULL) {
		free(cw->qbuf);
		free(cw->head);
		free(cw->merged);
		free(cw);
		return (-1);
	}
	*out = cw;
	return (0);
}

/* FNV-1a: the key's hash, the same in every worker. */
static uint64_t
key_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n-- > 0) {
		h ^= (unsigned char)*p++;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

/* The stored meta as the policy reads it. */
static void
fresh_of(const struct store_meta *m, struct cp_fresh *f)
{
	memset(f, 0, sizeof(*f));
	f->request_time = m->request_time;
	f->response_time = m->response_time;
	f->expires = m->expires;
	f->lifetime = m->lifetime;
	f->initial_age = m->initial_age;
	f->stale_while_revalidate = m->stale_while_revalidate;
	f->stale_if_error = m->stale_if_error;
	f->status = m->status;
	f->flags = m->flags;
}

/* store_lookup's variant test: does this request select it? */
static int
vary_match(void *arg, const char *vary, uint32_t vlen)
{
	const struct conn *c = arg;

	return (cp_vary_match(vary, vlen, &c->req, c->w->cache->qbuf));
}

uint32_t
cache_route_key(const struct cfg_route *rt, const char *host, size_t hostlen,
    const char *path, size_t pathlen, const char *query, size_t querylen,
    const struct http_req *q, const char *qbuf, char *out, size_t cap)
{
	struct cp_key k;

	memset(&k, 0, sizeof(k));
	k.meth = HTTP_M_GET;		/* GET and HEAD share their objects */
	k.host = host;
	k.hostlen = hostlen;
	k.path = path;
	k.pathlen = pathlen;
	k.query = query;
	k.querylen = querylen;
	k.ignore_query = rt->cache.ignore_query;
	k.ignore = (const char *const *)rt->cache.ignore_params;
	k.nignore = rt->cache.nignore_params;
	k.route = rt->cache.id;
	if (q != NULL) {
		k.headers = (const char *const *)rt->cache.key_headers;
		k.nheaders = rt->cache.nkey_headers;
		k.q = q;
		k.qbuf = qbuf;
	}
	return ((uint32_t)cp_key_build(out, cap, &k));
}

/*
 * The key of c's request for path/query (the request's own by default),
 * on host (NULL: the request's Host).
 */
static uint32_t
build_key_at(struct conn *c, const struct cfg_route *rt, const char *host,
    size_t hostlen, const char *path, size_t pathlen, const char *query,
    size_t querylen, char *out, size_t cap)
{
	const struct http_req *q = &c->req;

	if (host == NULL) {
		host = q->host.len > 0 ? c->w->cache->qbuf + q->host.off : "";
		hostlen = q->host.len;
	}
	return (cache_route_key(rt, host, hostlen, path, pathlen, query,
	    querylen, q, c->w->cache->qbuf, out, cap));
}

static uint32_t
build_key(struct conn *c, const struct cfg_route *rt, const char *path,
    size_t pathlen, const char *query, size_t querylen, char *out,
    size_t cap)
{
	return (build_key_at(c, rt, NULL, 0, path, pathlen, query, querylen,
	    out, cap));
}

/*
 * A forward listener's key: the absolute URI's authority, path and
 * query (http:// only: forward.c sends nothing else here; the Host
 * field is not used, as RFC 9112 3.2.2 says for absolute-form), the
 * path as the client wrote it. 0 when it does not fit.
 */
static uint32_t
forward_key(struct conn *c, const struct cfg_route *rt)
{
	const struct http_req *q = &c->req;
	const char *t = c->buf + q->target.off, *end = t + q->target.len;
	const char *host, *p, *qm, *path = "/", *query = NULL;
	size_t pathlen = 1, querylen = 0;

	if (q->target.len < 7 || strncasecmp(t, "http://", 7) != 0)
		return (0);
	host = t + 7;
	for (p = host; p < end && *p != '/' && *p != '?'; p++)
		;
	if ((qm = memchr(p, '?', (size_t)(end - p))) == NULL)
		qm = end;
	if (p < qm) {			/* "http://h?q" has the path "/" */
		path = p;
		pathlen = (size_t)(qm - p);
	}
	if (end - qm > 1) {
		query = qm + 1;
		querylen = (size_t)(end - qm - 1);
	}
	return (build_key_at(c, rt, host, (size_t)(p - host), path, pathlen,
	    query, querylen, c->w->cache->key, sizeof(c->w->cache->key)));
}

/*
 * For the access log's $cache_status: "hit", or the fwd= of the
 * Cache-Status being sent ("miss", "stale", "request", ...).
 */
static void
log_word(struct conn *c, const char *p, size_t n)
{
	const char *s = memmem(p, n, "porter; ", 8), *e;
	size_t k;

	if (s == NULL)
		return;
	s += 8;
	if ((size_t)(p + n - s) > 4 && memcmp(s, "fwd=", 4) == 0)
		s += 4;
	for (e = s; e < p + n && *e != ';' && *e != '\r'; e++)
		;
	k = (size_t)(e - s) < sizeof(c->cache_status) - 1 ? (size_t)(e - s) :
	    sizeof(c->cache_status) - 1;
	memcpy(c->cache_status, s, k);
	c->cache_status[k] = '\0';
}

/* "Cache-Status: porter; ...\r\n" (and Age) for the client's response. */
static void
say(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The first n bytes of cw->resp_extra go with the answer and to the log. */
static void
said(struct conn *c, size_t n)
{
	struct cache_work *cw = c->w->cache;

	c->resp_extra = cw->resp_extra;
	c->resp_extra_len = n;
	log_word(c, cw->resp_extra, n);
}

static void
say(struct conn *c, const char *fmt, ...)
{
	struct cache_work *cw = c->w->cache;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(cw->resp_extra, sizeof(cw->resp_extra), fmt, ap);
	va_end(ap);
	said(c, n < 0 || (size_t)n >= sizeof(cw->resp_extra) ? 0 : (size_t)n);
}

/* The stored head of ref into cw->head, parsed into cw->sr: 0 or -1. */
static int
read_head(struct cache_work *cw, struct store_ref ref)
{
	size_t n = store_copy_head(cw->st, ref, cw->head, cw->hcap);

	http_resp_init(&cw->sr, (uint32_t)cw->hcap);
	if (n == 0 || http_parse_response(&cw->sr, cw->head, n) != HTTP_OK)
		return (-1);
	return (0);
}

/* Write iov[0..n) (a head, then body pieces) to the client. */
static int
send_iov(struct conn *c, struct iovec *iov, int n, uint64_t *sent)
{
	uint64_t len = 0;
	int i;

	for (i = 0; i < n; i++)
		len += iov[i].iov_len;
	if (io_writev(&c->io, iov, n, clock_now() +
	    c->w->cfg->timeouts.client_body) == -1)
		return (-1);
	*sent += len;
	return (0);
}

/*
 * Body bytes [off, off + len) of pinned ref to the client, after the head
 * h[0..hlen) when hlen > 0: pieces straight from the segment, CACHE_IOV
 * at a time. 0, or -1 (the client failed).
 */
static int
send_stored(struct conn *c, struct store_ref ref, const char *h, size_t hlen,
    uint64_t off, uint64_t len, uint64_t *sent)
{
	struct store *st = c->w->cache->st;
	struct iovec iov[CACHE_IOV + 1];
	int i, k, n;

	do {
		k = 0;
		if (hlen > 0) {
			iov[k].iov_base = (void *)(uintptr_t)h;
			iov[k++].iov_len = hlen;
			hlen = 0;
		}
		n = len > 0 ? store_body_iov(st, ref, off, len, iov + k,
		    CACHE_IOV) : 0;
		if (n < 0)
			return (-1);
		for (i = 0; i < n; i++) {
			off += iov[k + i].iov_len;
			len -= iov[k + i].iov_len;
		}
		if (k + n == 0)
			break;
		if (send_iov(c, iov, k + n, sent) == -1)
			return (-1);
		if (n == 0)
			break;
	} while (len > 0);
	return (len == 0 ? 0 : -1);
}

/*
 * A gzipped object's identity length is its gzip trailer's ISIZE (the
 * length mod 2^32): exact while the stored copy is at most this long
 * (deflate expands at most 1032 to 1).
 */
#define CACHE_GZ_ISIZE_MAX	4000000

/*
 * Inflated bytes to the client: chunks of its chunked body, or raw; of
 * the inflated stream, skip bytes are left out, then left go (a range).
 */
struct inflating {
	struct conn	*c;
	int		 chunked;
	uint64_t	*sent;
	uint64_t	 skip, left;
	int		 full;		/* left reached 0: stop */
};

static int
inflated_out(void *arg, const char *p, size_t n)
{
	struct inflating *f = arg;
	struct iovec iov[3];
	char line[24];
	int k = 0;

	if (f->skip >= n) {
		f->skip -= n;
		return (0);
	}
	p += f->skip;
	n -= (size_t)f->skip;
	f->skip = 0;
	if (n > f->left)
		n = (size_t)f->left;
	f->left -= n;
	if (f->left == 0)
		f->full = 1;

	if (f->chunked) {
		iov[k].iov_base = line;
		iov[k++].iov_len = (size_t)snprintf(line, sizeof(line),
		    "%zx\r\n", n);
	}
	iov[k].iov_base = (void *)(uintptr_t)p;
	iov[k++].iov_len = n;
	if (f->chunked) {
		iov[k].iov_base = (void *)(uintptr_t)"\r\n";
		iov[k++].iov_len = 2;
	}
	if (send_iov(f->c, iov, k, f->sent) == -1) {
		f->full = 0;
		return (-1);
	}
	return (f->full ? -1 : 0);	/* the range is out: stop there */
}

/*
 * The identity length of a complete gzipped object ref (total bytes
 * stored) into *out: 0, or -1 when it cannot be known for sure.
 */
static int
gz_isize(struct store *st, struct store_ref ref, uint64_t total,
    uint64_t *out)
{
	struct iovec iov[4];
	unsigned char b[4];
	size_t k = 0;
	int i, n;

	if (total < 18 || total > CACHE_GZ_ISIZE_MAX ||
	    (n = store_body_iov(st, ref, total - 4, 4, iov, 4)) <= 0)
		return (-1);
	for (i = 0; i < n && k < 4; i++) {
		size_t m = iov[i].iov_len < 4 - k ? iov[i].iov_len : 4 - k;

		memcpy(b + k, iov[i].iov_base, m);
		k += m;
	}
	if (k != 4)
		return (-1);
	*out = (uint64_t)b[0] | (uint64_t)b[1] << 8 | (uint64_t)b[2] << 16 |
	    (uint64_t)b[3] << 24;
	return (0);
}

/* Whether a gzipped ref's identity length is beyond gz_isize. */
static int
gz_unsized(struct store *st, struct store_ref ref)
{
	uint64_t total, isize;

	store_lengths(st, ref, NULL, NULL, &total, NULL, NULL);
	return (gz_isize(st, ref, total, &isize) == -1);
}

/*
 * The gzipped body of pinned, complete ref (total bytes) inflated to the
 * client after the head h[0..hlen): chunked, or until the close; or
 * only len bytes from off of it (a range, never chunked). 0, or -1 (the
 * client failed, or the stored stream is bad: the response is then cut,
 * which the client sees).
 */
static int
send_inflated(struct conn *c, struct store_ref ref, const char *h,
    size_t hlen, uint64_t total, int chunked, uint64_t off_out,
    uint64_t len, uint64_t *sent)
{
	struct store *st = c->w->cache->st;
	struct inflating f = { c, chunked, sent, off_out, len, 0 };
	struct iovec iov[CACHE_IOV];
	uint64_t off = 0;
	int i, n, rc = 0;

	if (io_write(&c->io, h, hlen, clock_now() +
	    c->w->cfg->timeouts.client_body) == -1)
		return (-1);
	*sent += hlen;
	gzip_inflate_start(c->w->gz);
	while (off < total && rc == 0) {
		if ((n = store_body_iov(st, ref, off, total - off, iov,
		    CACHE_IOV)) <= 0)
			return (-1);
		for (i = 0; i < n && rc == 0; i++) {
			rc = gzip_inflate(c->w->gz, iov[i].iov_base,
			    iov[i].iov_len, inflated_out, &f);
			off += iov[i].iov_len;
		}
	}
	if (f.full)
		return (0);		/* a range, all sent */
	if (rc != 1 || len != UINT64_MAX) {	/* ended short of the range */
		log_error("%s: a gzipped cached object did not inflate; "
		    "closing", c->peer);
		return (-1);
	}
	if (chunked) {
		if (io_write(&c->io, "0\r\n\r\n", 5, clock_now() +
		    c->w->cfg->timeouts.client_body) == -1)
			return (-1);
		*sent += 5;
	}
	return (0);
}

/*
 * A complete stored response: head (parsed at sr, bytes at hb) and the
 * body of ref, total bytes, to the client as a hit: a 304 to its
 * conditional, a 206 or 416 for a range, the head alone for HEAD. A
 * copy stored gzipped goes as it is to a client that accepts gzip, else
 * inflated; its ranges are of the inflated body.
 */
static int
serve_complete(struct conn *c, const struct cfg_route *rt,
    struct store_ref ref, const struct http_resp *sr, const char *hb,
    uint64_t total)
{
	struct worker *w = c->w;
	struct cache_work *cw = w->cache;
	struct rewrite_as as;
	uint64_t sent = 0, start = 0, end = 0, rtotal = total;
	size_t hlen;
	int ka = c->keepalive, body = c->req.meth != HTTP_M_HEAD, gzobj, nm;
	enum cp_range rr = CP_RANGE_NONE;

	memset(&as, 0, sizeof(as));
	as.length = (int64_t)total;
	c->status = sr->code;
	gzobj = (store_meta(cw->st, ref)->flags & CACHE_F_GZIP) != 0;
	/* a range of a gzipped copy is of its identity body: sliced from
	   it inflated (cache_request sent those it cannot size away) */
	nm = cp_not_modified(&c->req, cw->qbuf, &sr->h, hb);
	if (!nm && sr->code == 200 && c->req.meth == HTTP_M_GET &&
	    (!gzobj || gz_isize(cw->st, ref, total, &rtotal) == 0))
		rr = cp_range(&c->req, cw->qbuf, &sr->h, hb, rtotal, &start,
		    &end);
	if (nm) {
		as.code = 304;
		c->status = 304;
		body = 0;
	} else if (rr == CP_RANGE_OK) {
		as.code = 206;
		as.start = start;
		as.end = end;
		as.total = rtotal;
		as.length = (int64_t)(end - start + 1);
		as.inflate = gzobj;
		c->status = 206;
	} else if (rr == CP_RANGE_UNSATISFIABLE) {
		char extra[64];

		(void)snprintf(extra, sizeof(extra), "Content-Range: "
		    "bytes */%llu\r\n", (unsigned long long)rtotal);
		return (answer_error_with(c, 416, 0, "range not satisfiable",
		    extra));
	} else if (gzobj && !gzip_accepted(&c->req, cw->qbuf)) {
		/* inflated on the fly */
		as.inflate = 1;
		as.length = -1;
		as.chunked = c->req.h.version == 11;
		if (!as.chunked && body)
			ka = 0;		/* the close ends the body */
	}
	hlen = rewrite_cached(c, rt, sr, hb, &as, ka);
	if (hlen == 0)
		return (answer_error(c, 500, 0, "stored head too large"));
	c->head_sent = hlen;
	sb_set_state(w->sb, SB_WRITING);
	if ((as.inflate && body ? send_inflated(c, ref, w->obuf, hlen, total,
	    as.chunked, start, as.code == 206 ? (uint64_t)as.length :
	    UINT64_MAX, &sent) : send_stored(c, ref, w->obuf, hlen,
	    as.inflate ? 0 : start, body ? (uint64_t)as.length : 0,
	    &sent)) == -1) {
		c->sent += sent;
		log_info("%s: client went away during a cached response: %s",
		    c->peer, strerror(errno));
		return (-1);
	}
	c->sent += sent;
	sb_add(&w->sb->bytes_out, sent);
	return (ka ? 0 : -1);
}

/*
 * Age and Cache-Status of a hit on f at now, as say() would write them
 * (nothing if they do not fit), without vsnprintf: that was 0.8 % of
 * the CPU at cached ka-c256, once a hit.
 */
static void
say_hit(struct conn *c, const struct cp_fresh *f, int64_t now, int64_t ttl,
    const char *more)
{
	struct cache_work *cw = c->w->cache;
	struct outbuf o = { cw->resp_extra, sizeof(cw->resp_extra), 0, 0 };

	outbuf_str(&o, "Age: ");
	outbuf_i64(&o, cp_age(f, now));
	outbuf_str(&o, "\r\nCache-Status: porter; hit");
	outbuf_str(&o, more);
	outbuf_str(&o, "; ttl=");
	outbuf_i64(&o, ttl);
	outbuf_str(&o, "\r\n");
	said(c, o.overflow ? 0 : o.len);
}

/* A hit on pinned ref, usable with ttl: 1 (answered), *rc set. */
static int
serve_hit(struct conn *c, struct cache_req *cr, struct store_ref ref,
    const struct cp_fresh *f, int64_t ttl, int stale, int *rc)
{
	struct cache_work *cw = c->w->cache;
	uint64_t total;
	int done;

	store_lengths(cw->st, ref, NULL, NULL, &total, &done, NULL);
	if (!done || read_head(cw, ref) == -1) {
		store_unpin(cw->st, cw->slot);
		*rc = answer_error(c, 500, 0, "cached object unreadable");
		return (1);
	}
	store_touch(cw->st, ref);
	store_count(cw->st, stale ? STORE_C_HIT_STALE : STORE_C_HIT_FRESH);
	say_hit(c, f, store_now_ms(), ttl, "");
	*rc = serve_complete(c, cr->rt, ref, &cw->sr, cw->head, total);
	store_unpin(cw->st, cw->slot);
	return (1);
}

/* p[0..n) of iovecs as one chunk of a chunked body. */
static int
send_chunk(struct conn *c, struct iovec *body, int n, const char *h,
    size_t hlen, uint64_t *sent)
{
	struct iovec iov[CACHE_IOV + 3];
	char line[24];
	uint64_t len = 0;
	int i, k = 0;

	if (hlen > 0) {
		iov[k].iov_base = (void *)(uintptr_t)h;
		iov[k++].iov_len = hlen;
	}
	for (i = 0; i < n; i++)
		len += body[i].iov_len;
	if (len > 0) {
		iov[k].iov_base = line;
		iov[k++].iov_len = (size_t)snprintf(line, sizeof(line),
		    "%llx\r\n", (unsigned long long)len);
		for (i = 0; i < n; i++)
			iov[k++] = body[i];
		iov[k].iov_base = (void *)(uintptr_t)"\r\n";
		iov[k++].iov_len = 2;
	}
	return (k == 0 ? 0 : send_iov(c, iov, k, sent));
}

/*
 * A response another worker is filling (ref pinned, its head there):
 * streamed as it is published. Framed by the stored Content-Length when
 * the origin sent one, else chunked; either way a fill that ends early
 * leaves the client's response visibly cut (short of its length, or
 * without the last chunk) and the connection closed. -1 or 0 as rc, or
 * CACHE_AGAIN when it ended before anything went to the client.
 */
static int
serve_stream(struct conn *c, struct cache_req *cr, struct store_ref ref)
{
	struct worker *w = c->w;
	struct cache_work *cw = w->cache;
	struct store *st = cw->st;
	struct rewrite_as as;
	struct iovec iov[CACHE_IOV];
	uint64_t sent = 0, have = 0, body;
	int64_t deadline;
	size_t hlen;
	int done, i, n, ka = c->keepalive, chunked;

	memset(&as, 0, sizeof(as));
	as.length = cw->sr.h.content_length;
	chunked = as.length < 0 && cw->sr.code != 204;
	as.chunked = chunked;
	c->status = cw->sr.code;
	hlen = rewrite_cached(c, cr->rt, &cw->sr, cw->head, &as, ka);
	if (hlen == 0)
		return (answer_error(c, 500, 0, "stored head too large"));
	c->head_sent = hlen;
	sb_set_state(w->sb, SB_WRITING);
	deadline = store_now_ms() + (int64_t)((w->cfg->timeouts.upstream +
	    1) * 1000);
	for (;;) {
		store_lengths(st, ref, NULL, NULL, &body, &done, NULL);
		if (body > have) {
			n = store_body_iov(st, ref, have, body - have, iov,
			    CACHE_IOV);
			if (n <= 0)
				goto cut;
			if (chunked) {
				if (send_chunk(c, iov, n, w->obuf, hlen,
				    &sent) == -1)
					goto gone;
				for (i = 0; i < n; i++)
					have += iov[i].iov_len;
			} else {
				struct iovec all[CACHE_IOV + 1];
				int k = 0;

				if (hlen > 0) {
					all[k].iov_base = w->obuf;
					all[k++].iov_len = hlen;
				}
				for (i = 0; i < n; i++) {
					have += iov[i].iov_len;
					all[k++] = iov[i];
				}
				if (send_iov(c, all, k, &sent) == -1)
					goto gone;
			}
			hlen = 0;
			deadline = store_now_ms() +
			    (int64_t)((w->cfg->timeouts.upstream + 1) * 1000);
			continue;
		}
		if (done) {
			if (hlen > 0 && send_chunk(c, NULL, 0, w->obuf, hlen,
			    &sent) == -1)
				goto gone;
			if (chunked && io_write(&c->io, "0\r\n\r\n", 5,
			    clock_now() + w->cfg->timeouts.client_body) == -1)
				goto gone;
			if (chunked)
				sent += 5;
			break;
		}
		if (store_state(st, ref) == STORE_S_GONE)
			goto cut;
		if (store_wait(st, ref, have, deadline) == -1 &&
		    store_now_ms() >= deadline)
			goto cut;
	}
	c->sent += sent;
	sb_add(&w->sb->bytes_out, sent);
	return (ka ? 0 : -1);
cut:
	/* the fill ended early: what was sent stays visibly incomplete */
	c->sent += sent;
	sb_add(&w->sb->bytes_out, sent);
	if (hlen > 0)		/* nothing went out yet: look again */
		return (CACHE_AGAIN);
	log_error("%s: the fill this response was streamed from ended "
	    "early; closing", c->peer);
	c->why = "cache fill aborted";
	return (-1);
gone:
	c->sent += sent;
	log_info("%s: client went away during a cached response: %s",
	    c->peer, strerror(errno));
	return (-1);
}

enum wait_rc { WAIT_SERVED, WAIT_AGAIN, WAIT_OTHER_VARIANT, WAIT_TIMEOUT };

/*
 * STORE_WAIT on ref: wait for the filler's head (until fill_started +
 * collapse_timeout), then stream it if this request is of its variant.
 */
static enum wait_rc
collapse(struct conn *c, struct cache_req *cr, struct store_ref ref, int *rc)
{
	struct worker *w = c->w;
	struct cache_work *cw = w->cache;
	struct store *st = cw->st;
	const struct store_meta *m = store_meta(st, ref);
	/*
	 * collapse_timeout bounds the wait for a first fill; a fill that
	 * already took over one is waited for as long as its fetch may take
	 * (no cascade of takeovers behind a slow backend).
	 */
	int64_t deadline = m->fill_started + (int64_t)((store_is_takeover(st,
	    ref) ? w->cfg->timeouts.upstream + 1 : w->cfg->cache.collapse_timeout)
	    * 1000);
	size_t vlen;
	int there = 0, state;

	sb_set_state(w->sb, SB_UPSTREAM);
	for (;;) {
		state = store_state(st, ref);
		store_lengths(st, ref, NULL, NULL, NULL, NULL, &there);
		if (there || state != STORE_S_FILLING)
			break;
		if (store_wait(st, ref, STORE_WAIT_HEAD, deadline) == -1 &&
		    store_now_ms() >= deadline) {
			store_count(st, STORE_C_WAITER_TIMEOUTS);
			store_unpin(st, cw->slot);
			return (WAIT_TIMEOUT);
		}
	}
	if (!there) {		/* gone before its head: look again */
		store_unpin(st, cw->slot);
		return (WAIT_AGAIN);
	}
	vlen = store_copy_vary(st, ref, cw->vary, sizeof(cw->vary));
	if (!cp_vary_match(cw->vary, vlen, &c->req, cw->qbuf)) {
		store_unpin(st, cw->slot);
		return (WAIT_OTHER_VARIANT);
	}
	if (read_head(cw, ref) == -1) {
		store_unpin(st, cw->slot);
		return (WAIT_AGAIN);
	}
	store_count(st, STORE_C_HIT_COLLAPSED);
	{
		struct cp_fresh f;

		fresh_of(store_meta(st, ref), &f);
		say_hit(c, &f, store_now_ms(), (int64_t)f.lifetime -
		    cp_age(&f, store_now_ms()), "; collapsed");
	}
	/* an HTTP/1.0 client learns a chunked body's end from the close,
	 * which a cut fill would fake: it gets the complete object; so does
	 * a client without gzip of an object being stored gzipped (it is
	 * inflated from the complete copy) */
	if (cw->sr.h.content_length < 0 && (c->req.h.version == 10 ||
	    ((m->flags & CACHE_F_GZIP) && !gzip_accepted(&c->req,
	    cw->qbuf)))) {
		uint64_t total;
		int done = 0;

		for (;;) {
			/* done first: complete, then replaced, is done */
			store_lengths(st, ref, NULL, NULL, &total, &done,
			    NULL);
			if (done || store_state(st, ref) == STORE_S_GONE)
				break;
			(void)store_wait(st, ref, total, store_now_ms() +
			    1000);
		}
		if (!done) {
			store_unpin(st, cw->slot);
			return (WAIT_AGAIN);	/* nothing went out yet */
		}
		*rc = serve_complete(c, cr->rt, ref, &cw->sr, cw->head, total);
		return (WAIT_SERVED);
	}
	if ((*rc = serve_stream(c, cr, ref)) == CACHE_AGAIN) {
		store_unpin(st, cw->slot);
		return (WAIT_AGAIN);
	}
	return (WAIT_SERVED);
}

/* Validators of the stored head (cw->sr) as request fields. */
static size_t
validators(struct cache_work *cw)
{
	const struct http_head *h = &cw->sr.h;
	size_t n = 0;
	int i;

	for (i = 0; i < h->nhdr; i++) {
		const struct http_hdr *f = &h->hdr[i];
		const char *name = NULL;
		int k;

		if (http_span_eq(cw->head, f->name, "etag"))
			name = "If-None-Match";
		else if (http_span_eq(cw->head, f->name, "last-modified"))
			name = "If-Modified-Since";
		if (name == NULL)
			continue;
		k = snprintf(cw->req_extra + n, sizeof(cw->req_extra) - n,
		    "%s: %.*s\r\n", name, (int)f->value.len,
		    cw->head + f->value.off);
		if (k < 0 || (size_t)k >= sizeof(cw->req_extra) - n)
			return (0);
		n += (size_t)k;
	}
	return (n);
}

/*
 * A stale (or client no-cache) entry ref with validators: keep it pinned
 * and ask the backend conditionally, filling a new entry for the answer.
 */
static void
revalidate(struct conn *c, struct cache_req *cr, struct store_ref ref)
{
	struct cache_work *cw = c->w->cache;
	struct store_ref nref;
	size_t n;

	if (read_head(cw, ref) == -1 || (n = validators(cw)) == 0) {
		store_unpin(cw->st, cw->slot);
		return;
	}
	cr->stale = 1;
	cr->sref = ref;
	c->req_extra = cw->req_extra;
	c->req_extra_len = n;
	c->req_unconditional = 1;
	/* a new entry for the answer beside the old one, still pinned */
	if (store_lookup(cw->st, cw->slot, cr->hash, cw->key, cr->klen,
	    vary_match, c, 1, STORE_SKIP_READY | STORE_SKIP_FILLING |
	    STORE_KEEP_PIN, store_now_ms(), &nref, NULL) == STORE_FILL) {
		cr->fill = 1;
		cr->fref = nref;
	}
}

/*
 * Whether stale copy f (ttl: lifetime - age, s) may be served within a
 * window of dir seconds (a stale-while-revalidate or stale-if-error
 * directive; -1 when the response gave none: the route's cache_grace).
 * Never a copy that must be revalidated (must-revalidate, s-maxage,
 * no-cache), nor to a client that asked for a fresh or validated one
 * (no-cache, max-age it is older than, min-fresh).
 */
static int
stale_window(const struct cache_req *cr, const struct cp_fresh *f,
    int64_t ttl, int64_t dir, int64_t now)
{
	int64_t window = dir >= 0 ? dir : (int64_t)cr->rt->cache.grace;

	if (ttl > 0 || window <= 0 || -ttl > window)
		return (0);
	if (f->flags & (CP_F_MUST_REVALIDATE | CP_F_NO_CACHE))
		return (0);
	if (cr->rq.flags & (CP_CC_NO_CACHE | CP_CC_BAD_MAX_AGE) ||
	    cr->rq.min_fresh >= 0 ||
	    (cr->rq.max_age >= 0 && cp_age(f, now) > cr->rq.max_age))
		return (0);
	return (1);
}

/* Whether field name (a span of buf) stays out of a refresh's head. */
static int
refresh_drops(const char *buf, struct span name)
{
	static const char *const drop[] = { "connection", "keep-alive",
	    "proxy-connection", "te", "upgrade", "expect", "content-length",
	    "transfer-encoding", "if-none-match", "if-modified-since",
	    "if-match", "if-unmodified-since", "if-range", "range",
	    "cache-control", "pragma", NULL };
	int i;

	for (i = 0; drop[i] != NULL; i++)
		if (http_span_eq(buf, name, drop[i]))
			return (1);
	return (0);
}

/*
 * Queue one refresh of c's request for the cache keeper (at most one per
 * key: a second is the same job). 1 when one is queued now or already,
 * 0 when none can be (no job table, a full one, a head too large): the
 * caller then revalidates in the foreground.
 */
static int
refresh_queue(struct conn *c, struct cache_req *cr)
{
	struct worker *w = c->w;
	struct cache_work *cw = w->cache;
	const struct http_req *q = &c->req;
	struct jobs *jb = shm_jobs(w->shm);
	struct job_spec spec;
	char head[KEEPER_HEAD_MAX];
	size_t n = 0, k;
	int i, dup;

	if (jb == NULL)
		return (0);
	/* GET even for a HEAD: the refresh fills */
	k = (size_t)snprintf(head, sizeof(head), "GET %.*s HTTP/1.%d\r\n",
	    (int)q->target.len, cw->qbuf + q->target.off,
	    q->h.version == 10 ? 0 : 1);
	if (k >= sizeof(head))
		return (0);
	n = k;
	for (i = 0; i < q->h.nhdr; i++) {
		const struct http_hdr *h = &q->h.hdr[i];

		if (refresh_drops(cw->qbuf, h->name))
			continue;
		k = h->name.len + h->value.len + 4;
		if (n + k > sizeof(head))
			return (0);
		memcpy(head + n, cw->qbuf + h->name.off, h->name.len);
		n += h->name.len;
		memcpy(head + n, ": ", 2);
		n += 2;
		memcpy(head + n, cw->qbuf + h->value.off, h->value.len);
		n += h->value.len;
		memcpy(head + n, "\r\n", 2);
		n += 2;
	}
	if (n + 21 > sizeof(head))
		return (0);
	memcpy(head + n, "Connection: close\r\n\r\n", 21);
	n += 21;
	if (keeper_refresh_spec(&spec, (const struct sockaddr *)&c->peer_sa,
	    c->peer_len, head, n) == -1)
		return (0);
	spec.hash = cr->hash;
	spec.listener = (uint32_t)(c->lst - w->cfg->listeners);
	spec.route = (uint32_t)(cr->rt - c->lst->routes);
	if (jobs_add(jb, &spec, &dup) == 0)
		return (0);
	if (!dup)
		store_count(cw->st, STORE_C_REFRESHES);
	return (1);
}

/*
 * Stale copy ref (pinned) to the client: 1 (answered, *rc set; the pin
 * is dropped). Cache-Status says fwd=stale with the negative ttl, the
 * backend's status when it failed (fwd_status > 0), and why (detail).
 */
static int
serve_stale(struct conn *c, struct cache_req *cr, struct store_ref ref,
    int fwd_status, const char *detail, int *rc)
{
	struct cache_work *cw = c->w->cache;
	struct cp_fresh f;
	char fs[32];
	uint64_t total;
	int64_t now = store_now_ms(), age, ttl;
	int done;

	store_lengths(cw->st, ref, NULL, NULL, &total, &done, NULL);
	if (!done || read_head(cw, ref) == -1) {
		store_unpin(cw->st, cw->slot);
		*rc = answer_error(c, 500, 0, "cached object unreadable");
		return (1);
	}
	fresh_of(store_meta(cw->st, ref), &f);
	age = cp_age(&f, now);
	/* stale from its last fresh second on: a stale copy's ttl is
	   negative (RFC 9211), -1 at that boundary */
	ttl = (int64_t)f.lifetime - age;
	if (ttl >= 0)
		ttl = -1;
	store_touch(cw->st, ref);
	fs[0] = '\0';
	if (fwd_status > 0)
		(void)snprintf(fs, sizeof(fs), " fwd-status=%d;", fwd_status);
	say(c, "Age: %lld\r\nCache-Status: porter; fwd=stale;%s ttl=%lld; "
	    "detail=%s\r\n", (long long)age, fs, (long long)ttl, detail);
	*rc = serve_complete(c, cr->rt, ref, &cw->sr, cw->head, total);
	store_unpin(cw->st, cw->slot);
	return (1);
}

int
cache_stale_on_error(struct conn *c, struct cache_req *cr, int status,
    int *rc)
{
	struct cache_work *cw = cr->cw;

	if (!cr->sie || !(cr->stale || cr->keep))
		return (0);
	/* the fill for the answer that did not come goes, without a
	   hit-for-miss: the next request tries the backend again */
	if (cr->fill) {
		store_fill_abort(cw->st, cw->slot, cr->fref, 0);
		cr->fill = 0;
		cr->storing = 0;
	}
	cr->stale = cr->keep = cr->sie = 0;
	c->req_extra = NULL;
	c->req_extra_len = 0;
	store_count(cw->st, STORE_C_STALE_ERROR);
	log_info("%s: backend failed (%d): serving a stale copy "
	    "(stale-if-error)", c->peer, status);
	return (serve_stale(c, cr, cr->sref, status, "stale-if-error", rc));
}

int
cache_request(struct conn *c, const struct cfg_route *rt,
    struct cache_req *cr, int *rc)
{
	struct worker *w = c->w;
	struct cache_work *cw = w->cache;
	struct store *st = cw->st;
	const struct http_req *q = &c->req;
	struct store_ref ref;
	struct cp_fresh f;
	enum store_rc src;
	int64_t now, ttl;
	uint32_t nvar = 0;
	int want_fill, skip = STORE_SKIP_NONE, tries, only, sie;

	memset(cr, 0, sizeof(*cr));
	cr->cw = cw;
	cr->rt = rt;
	cr->request_time = store_now_ms();
	/* the head is dropped from c->buf before the response comes */
	if (q->h.head_len > cw->qcap)
		return (0);
	memcpy(cw->qbuf, c->buf, q->h.head_len);
	cp_cc_request(&cr->rq, cw->qbuf, q);
	if (q->meth != HTTP_M_GET && q->meth != HTTP_M_HEAD) {
		cr->fwd = "method";
		cr->invalidate = q->meth != HTTP_M_OPTIONS &&
		    q->meth != HTTP_M_TRACE;
	} else if (http_req_body(q) != HTTP_BODY_NONE)
		cr->fwd = "bypass";	/* a GET with a body: not ours */
	if (c->fwd != NULL)
		cr->klen = forward_key(c, rt);
	else
		cr->klen = build_key(c, rt, c->npath, c->npathlen,
		    c->query.len > 1 ? c->buf + c->query.off + 1 : NULL,
		    c->query.len > 1 ? c->query.len - 1 : 0, cw->key,
		    sizeof(cw->key));
	if (cr->klen == 0) {
		cr->fwd = "bypass";
		cr->invalidate = 0;
		return (0);
	}
	cr->hash = key_hash(cw->key, cr->klen);
	if (cr->fwd != NULL)
		return (0);
	if (cr->rq.flags & CP_CC_NO_STORE) {
		cr->fwd = "request";
		cr->detail = "no-store";
		store_count(st, STORE_C_MISS_REQUEST);
		return (0);
	}
	only = (cr->rq.flags & CP_CC_ONLY_IF_CACHED) != 0;
	want_fill = q->meth == HTTP_M_GET && !only;
	for (tries = 0; tries < 4; tries++) {
		now = store_now_ms();
		/* a hit takes no lock; the rest (fills, waits) the locked way */
		src = tries == 0 ? store_lookup_fast(st, cw->slot, cr->hash,
		    cw->key, cr->klen, vary_match, c, &ref) : STORE_MISS;
		if (src == STORE_MISS)
			src = store_lookup(st, cw->slot, cr->hash, cw->key,
			    cr->klen, vary_match, c, want_fill, skip, now, &ref,
			    &nvar);
		switch (src) {
		case STORE_HIT:
			if ((store_meta(st, ref)->flags & CACHE_F_GZIP) &&
			    gzip_request(q, cw->qbuf) == GZIP_RANGE && !only &&
			    gz_unsized(st, ref)) {
				/* a range of an identity body porter cannot
				   size: the backend serves it */
				store_unpin(st, cw->slot);
				cr->fwd = "miss";
				cr->detail = "gzip-range";
				return (0);
			}
			fresh_of(store_meta(st, ref), &f);
			switch (cp_usable(&cr->rq, &f, now, &ttl)) {
			case CP_FRESH:
				return (serve_hit(c, cr, ref, &f, ttl, 0, rc));
			case CP_STALE_OK:
				return (serve_hit(c, cr, ref, &f, ttl, 1, rc));
			case CP_REVALIDATE:
				if (only)
					break;
				/* RFC 5861: served now, refreshed behind */
				if (!w->keeper && stale_window(cr, &f, ttl,
				    f.stale_while_revalidate, now) &&
				    refresh_queue(c, cr)) {
					store_count(st,
					    STORE_C_STALE_REVALIDATE);
					return (serve_stale(c, cr, ref, 0,
					    "stale-while-revalidate", rc));
				}
				sie = !w->keeper && stale_window(cr, &f, ttl,
				    f.stale_if_error, now);
				/* the whole pool down: no backend attempt */
				if (sie && pick_pool_down(w,
				    &w->cfg->pools[rt->pool])) {
					/* passive checks only: a refresh
					   is the trial that finds it up */
					if (w->cfg->pools[rt->pool].health.path
					    == NULL)
						(void)refresh_queue(c, cr);
					store_count(st,
					    STORE_C_STALE_POOL_DOWN);
					return (serve_stale(c, cr, ref, 503,
					    "pool-down", rc));
				}
				/* RFC 9211: stale, or fresh but the request
				   (no-cache, max-age, min-fresh) said no */
				cr->fwd = ttl > 0 && !(f.flags &
				    CP_F_NO_CACHE) ? "request" : "stale";
				store_count(st, cr->fwd[0] == 'r' ?
				    STORE_C_MISS_REQUEST : STORE_C_MISS_STALE);
				if ((f.flags & CP_F_VALIDATORS) &&
				    q->meth == HTTP_M_GET) {
					revalidate(c, cr, ref);
					cr->sie = sie && cr->stale;
					return (0);
				}
				if (sie) {
					/* kept for a backend failure */
					cr->keep = 1;
					cr->sie = 1;
					cr->sref = ref;
				} else
					store_unpin(st, cw->slot);
				if (q->meth == HTTP_M_GET &&
				    store_lookup(st, cw->slot, cr->hash,
				    cw->key, cr->klen, vary_match, c, 1,
				    STORE_SKIP_READY | STORE_SKIP_FILLING |
				    (sie ? STORE_KEEP_PIN : 0),
				    now, &ref, NULL) == STORE_FILL) {
					cr->fill = 1;
					cr->fref = ref;
					c->req_unconditional = 1;
				}
				return (0);
			default:	/* CP_MISS */
				store_unpin(st, cw->slot);
				cr->fwd = "request";
				return (0);
			}
			store_unpin(st, cw->slot);
			goto not_cached;
		case STORE_WAIT:
			if (q->meth == HTTP_M_HEAD) {
				store_unpin(st, cw->slot);
				cr->fwd = "miss";
				return (0);
			}
			switch (collapse(c, cr, ref, rc)) {
			case WAIT_SERVED:
				store_unpin(st, cw->slot);
				return (1);
			case WAIT_OTHER_VARIANT:
				skip = STORE_SKIP_FILLING;
				break;
			case WAIT_TIMEOUT:
				skip = STORE_SKIP_TAKEOVER;
				break;
			default:
				skip = STORE_SKIP_NONE;
				break;
			}
			continue;
		case STORE_FILL:
			if (rt->cache.min_uses > 1 && uses_bump(cw->uses,
			    cr->hash, now / 1000) < rt->cache.min_uses) {
				/* not yet: fetched, not stored */
				store_fill_abort(st, cw->slot, ref, 0);
				cr->fwd = nvar > 0 ? "vary-miss" : "uri-miss";
				cr->detail = "min-uses";
				store_count(st, STORE_C_NS_MIN_USES);
				return (0);
			}
			cr->fill = 1;
			cr->fref = ref;
			c->req_unconditional = 1;
			cr->fwd = nvar > 0 ? "vary-miss" : "uri-miss";
			store_count(st, nvar > 0 ? STORE_C_MISS_VARY :
			    STORE_C_MISS_URI);
			return (0);
		case STORE_PASS:
			store_count(st, STORE_C_HIT_PASS);
			cr->fwd = "miss";
			if (only)
				goto not_cached;
			return (0);
		case STORE_BUSY:
		case STORE_NOSPACE:
			cr->fwd = "miss";
			if (src == STORE_NOSPACE)
				cr->detail = "no-space";
			if (only)
				goto not_cached;
			return (0);
		default:	/* STORE_MISS: HEAD or only-if-cached */
			if (only)
				goto not_cached;
			cr->fwd = nvar > 0 ? "vary-miss" : "uri-miss";
			store_count(st, nvar > 0 ? STORE_C_MISS_VARY :
			    STORE_C_MISS_URI);
			return (0);
		}
	}
	cr->fwd = "miss";
	return (0);
not_cached:
	say(c, "Cache-Status: porter; fwd=miss; detail=only-if-cached\r\n");
	*rc = answer_error(c, 504, 0, "only-if-cached: not in the cache");
	return (1);
}

/*
 * The variant blob ("name\0value\0" pairs) less the fields the route's
 * cache_ignore_vary names: a Vary on them makes no variants. New length.
 */
static size_t
vary_less(char *blob, size_t len, char *const *names, int n)
{
	size_t in = 0, out = 0, nl, vl;
	int i, drop;

	while (in < len) {
		nl = strnlen(blob + in, len - in);
		vl = in + nl + 1 < len ? strnlen(blob + in + nl + 1,
		    len - in - nl - 1) : 0;
		if (in + nl + 1 + vl >= len) {
			/* not a pair (cannot happen): kept as it is */
			memmove(blob + out, blob + in, len - in);
			return (out + len - in);
		}
		drop = 0;
		for (i = 0; i < n && !drop; i++)
			drop = strcmp(blob + in, names[i]) == 0;
		if (!drop) {
			memmove(blob + out, blob + in, nl + vl + 2);
			out += nl + vl + 2;
		}
		in += nl + vl + 2;
	}
	return (out);
}

/*
 * The stored copy of response r: no framing, no hop-by-hop, no Age
 * (f NULL: none of r's fields dropped). gz: the body is stored gzipped:
 * the head a compressed response carries (gzip_head_field), any
 * Content-Encoding r had replaced by gzip's.
 */
static size_t
stored_head(const struct http_resp *r, const char *ub,
    const struct cp_fresh *f, int gz, char *out, size_t cap)
{
	const char *eol = memchr(ub, '\n', r->h.head_len);
	size_t n, line;
	int i, cl = 0;

	if (eol == NULL)
		return (0);
	line = (size_t)(eol - ub) + 1;
	if (line > cap)
		return (0);
	memcpy(out, ub, line);
	n = line;
	for (i = 0; i < r->h.nhdr; i++) {
		const struct http_hdr *h = &r->h.hdr[i];
		int k;

		if (h->id == HH_TRANSFER_ENCODING ||
		    (f != NULL && cp_dropped(f, i)) ||
		    http_is_hop_by_hop(&r->h, ub, i) ||
		    http_span_eq(ub, h->name, "age") ||
		    (gz && http_span_eq(ub, h->name, "content-encoding")))
			continue;
		if (gz) {
			struct outbuf o = { out + n, cap - n, 0, 0 };

			if (gzip_head_field(&o, &r->h, ub, i)) {
				if (o.overflow)
					return (0);
				n += o.len;
				continue;
			}
		}
		if (h->id == HH_CONTENT_LENGTH) {
			if (cl++ > 0 || r->h.content_length < 0)
				continue;
			k = snprintf(out + n, cap - n, "Content-Length: %lld"
			    "\r\n", (long long)r->h.content_length);
		} else
			k = snprintf(out + n, cap - n, "%.*s: %.*s\r\n",
			    (int)h->name.len, ub + h->name.off,
			    (int)h->value.len, ub + h->value.off);
		if (k < 0 || (size_t)k >= cap - n)
			return (0);
		n += (size_t)k;
	}
	if (gz) {
		struct outbuf o = { out + n, cap - n, 0, 0 };

		gzip_head_end(&o, &r->h, ub);
		if (o.overflow)
			return (0);
		n += o.len;
	}
	if (cap - n < 2)
		return (0);
	memcpy(out + n, "\r\n", 2);
	return (n + 2);
}

/* The route's rules as the policy takes them. */
static void
rules_of(const struct cfg_route *rt, struct cp_rules *ru)
{
	memset(ru, 0, sizeof(*ru));
	ru->default_ttl = (uint32_t)rt->cache.default_ttl;
	ru->max_ttl = (uint32_t)rt->cache.max_ttl;
	ru->set_cookie = rt->cache.set_cookie;
	ru->cdn_cache_control = rt->cache.cdn_control;
}

static void
meta_of(const struct cp_fresh *f, struct store_meta *m)
{
	memset(m, 0, sizeof(*m));
	m->expires = f->expires;
	m->response_time = f->response_time;
	m->request_time = f->request_time;
	m->initial_age = f->initial_age;
	m->lifetime = f->lifetime;
	m->status = f->status;
	m->flags = f->flags;
	m->stale_while_revalidate = (int32_t)(f->stale_while_revalidate >
	    INT32_MAX ? INT32_MAX : f->stale_while_revalidate);
	m->stale_if_error = (int32_t)(f->stale_if_error > INT32_MAX ?
	    INT32_MAX : f->stale_if_error);
}

/* The fill is abandoned: waiters released; pass_ms > 0: hit-for-miss. */
static void
drop_fill(struct cache_req *cr, int64_t pass_ms)
{
	struct cache_work *cw = cr->cw;

	if (!cr->fill)
		return;
	store_fill_abort(cw->st, cw->slot, cr->fref, pass_ms > 0 ?
	    store_now_ms() + pass_ms : 0);
	cr->fill = 0;
	cr->storing = 0;
}

static int
tee_cb(void *arg, const char *p, size_t n)
{
	struct cache_req *cr = arg;
	struct cache_work *cw = cr->cw;

	while (n > 0) {
		uint32_t k = n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;

		if (store_fill_append(cw->st, cr->fref, p, k) == -1) {
			store_count(cw->st, STORE_C_NS_TOO_BIG);
			drop_fill(cr, 0);
			return (-1);
		}
		p += k;
		n -= k;
	}
	return (0);
}

/*
 * The tags of head h (bytes b) for purge by tag: every Surrogate-Key
 * and Cache-Tag value, space- or comma-separated, hashed. 0, or -1 when
 * there are more than STORE_TAGS_MAX (not stored: a purge must find
 * every object carrying its tag).
 */
static int
tags_of(const struct http_head *h, const char *b, uint64_t *tags,
    uint32_t *n)
{
	int i;

	*n = 0;
	for (i = 0; i < h->nhdr; i++)
		if ((http_span_eq(b, h->hdr[i].name, "surrogate-key") ||
		    http_span_eq(b, h->hdr[i].name, "cache-tag")) &&
		    purge_tags_parse(b + h->hdr[i].value.off,
		    h->hdr[i].value.len, tags, n, STORE_TAGS_MAX) == -1)
			return (-1);
	return (0);
}

/* The counter for a not-stored detail. */
static int
ns_counter(const char *d)
{
	static const struct { const char *d; int c; } map[] = {
		{ "no-store", STORE_C_NS_NO_STORE },
		{ "private", STORE_C_NS_PRIVATE },
		{ "set-cookie", STORE_C_NS_SET_COOKIE },
		{ "authorization", STORE_C_NS_AUTHORIZATION },
		{ "status", STORE_C_NS_STATUS },
		{ "method", STORE_C_NS_METHOD },
		{ "vary-star", STORE_C_NS_VARY_STAR },
		{ "too-big", STORE_C_NS_TOO_BIG },
		{ "no-freshness", STORE_C_NS_NO_FRESHNESS },
		{ "no-space", STORE_C_NS_NO_SPACE },
		{ "too-many-tags", STORE_C_NS_TAGS },
	};
	size_t i;

	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].d, d) == 0)
			return (map[i].c);
	return (STORE_C_NS_ABORTED);
}

/* After an unsafe method's success: its target and Location(s) go. */
static void
invalidate(struct conn *c, struct cache_req *cr, const struct http_resp *r,
    const char *ub)
{
	struct cache_work *cw = cr->cw;
	struct span t[2];
	char key[CACHE_KEY_MAX];
	uint32_t klen;
	int i, n;

	if (r->code < 200 || r->code >= 400)
		return;
	(void)store_invalidate(cw->st, cr->hash, cw->key, cr->klen);
	/* a proxy's Location is another origin's business: only the URI */
	if (c->fwd != NULL)
		return;
	n = cp_invalidation_targets(&c->req, cw->qbuf, r, ub, t);
	for (i = 0; i < n; i++) {
		const char *p = ub + t[i].off, *qm;
		size_t len = t[i].len;

		qm = memchr(p, '?', len);
		klen = build_key(c, cr->rt, p, qm != NULL ? (size_t)(qm - p) :
		    len, qm != NULL ? qm + 1 : NULL, qm != NULL ?
		    len - (size_t)(qm - p) - 1 : 0, key, sizeof(key));
		if (klen > 0)
			(void)store_invalidate(cw->st, key_hash(key, klen),
			    key, klen);
	}
}

/*
 * A 304 to a revalidation: the stored head updated (a new entry with the
 * old body, if this request fills one) and the client answered from the
 * stored body.
 */
static int
refreshed(struct conn *c, struct cache_req *cr, const struct http_resp *r,
    const char *ub, int *rc)
{
	struct cache_work *cw = cr->cw;
	struct store *st = cw->st;
	struct cp_rules ru;
	struct cp_fresh f;
	struct store_meta m;
	struct iovec iov[CACHE_IOV];
	const char *detail = NULL;
	uint64_t total, off = 0, tags[STORE_TAGS_MAX];
	uint32_t ntags = 0;
	size_t mlen, vlen, slen;
	int done, n, i, gz;

	store_lengths(st, cr->sref, NULL, NULL, &total, &done, NULL);
	if (!done || read_head(cw, cr->sref) == -1 ||
	    (mlen = cp_merge_304(cw->merged, cw->hcap, &cw->sr, cw->head, r,
	    ub)) == 0) {
		drop_fill(cr, 0);
		return (0);
	}
	http_resp_init(&cw->mr, (uint32_t)cw->hcap);
	if (http_parse_response(&cw->mr, cw->merged, mlen) != HTTP_OK) {
		drop_fill(cr, 0);
		return (0);
	}
	/* stored gzipped: the 304's strong ETag is the identity body's */
	gz = (store_meta(st, cr->sref)->flags & CACHE_F_GZIP) != 0;
	if (gz) {
		mlen = stored_head(&cw->mr, cw->merged, NULL, 1, cw->head,
		    cw->hcap);
		if (mlen > 0) {
			memcpy(cw->merged, cw->head, mlen);
			http_resp_init(&cw->mr, (uint32_t)cw->hcap);
		}
		if (mlen == 0 || http_parse_response(&cw->mr, cw->merged,
		    mlen) != HTTP_OK) {
			drop_fill(cr, 0);
			return (0);
		}
	}
	store_count(st, STORE_C_HIT_REVALIDATED);
	rules_of(cr->rt, &ru);
	/* the request's own Cache-Control must not veto the refresh: the
	 * decision is the merged response's */
	if (cr->fill && cp_storable(&c->req, cw->qbuf, &cw->mr, cw->merged,
	    &ru, cr->request_time, store_now_ms(), &f, &detail)) {
		meta_of(&f, &m);
		if (gz)
			m.flags |= CACHE_F_GZIP;
		vlen = store_copy_vary(st, cr->sref, cw->vary,
		    sizeof(cw->vary));
		/* the merged head's copy without what the policy drops */
		slen = stored_head(&cw->mr, cw->merged, &f, 0, cw->head,
		    cw->hcap);
		/* the tags as the merged head names them (a 304 may
		   update them) */
		if (slen == 0 || tags_of(&cw->mr.h, cw->merged, tags,
		    &ntags) == -1 || store_fill_head_tags(st, cr->fref,
		    cw->vary, (uint32_t)vlen, tags, ntags, cw->head,
		    (uint32_t)slen, &m) == -1)
			drop_fill(cr, 0);
		while (cr->fill && off < total &&
		    (n = store_body_iov(st, cr->sref, off, total - off, iov,
		    CACHE_IOV)) > 0)
			for (i = 0; i < n && cr->fill; i++) {
				if (store_fill_append(st, cr->fref,
				    iov[i].iov_base,
				    (uint32_t)iov[i].iov_len) == -1)
					drop_fill(cr, 0);
				off += iov[i].iov_len;
			}
		if (cr->fill) {
			(void)store_fill_done(st, cw->slot, cr->fref);
			cr->fill = 0;
		}
	} else {
		fresh_of(store_meta(st, cr->sref), &f);
		drop_fill(cr, 0);
	}
	say(c, "Age: %lld\r\nCache-Status: porter; fwd=stale; fwd-status=304;"
	    " ttl=%lld\r\n", (long long)cp_age(&f, store_now_ms()),
	    (long long)((int64_t)f.lifetime - cp_age(&f, store_now_ms())));
	*rc = serve_complete(c, cr->rt, cr->sref, &cw->mr, cw->merged,
	    total);
	return (1);
}

int
cache_response(struct conn *c, struct cache_req *cr,
    const struct http_resp *r, const char *ub, struct relay *rl, int *rc)
{
	struct cache_work *cw = cr->cw;
	struct store *st = cw->st;
	struct cp_rules ru;
	struct cp_fresh f;
	struct store_meta m;
	const char *detail = NULL;
	uint64_t tags[STORE_TAGS_MAX];
	uint32_t ntags = 0;
	long vlen;
	size_t hlen;
	enum http_body rb = http_resp_body(r, c->req.meth);
	static char *const ae[] = { "accept-encoding" };
	int gz;

	if (cr->stale && r->code == 304)
		return (refreshed(c, cr, r, ub, rc));
	/* stale-if-error: a 5xx is a failure the stale copy covers */
	if (r->code >= 500 && cache_stale_on_error(c, cr, r->code, rc))
		return (1);
	if (cr->stale || cr->keep) {	/* a full answer replaces it */
		store_unpin(st, cw->slot);
		cr->stale = cr->keep = cr->sie = 0;
	}
	if (cr->invalidate)
		invalidate(c, cr, r, ub);
	if (!cr->fill) {
		if (cr->detail == NULL && c->req.meth == HTTP_M_HEAD)
			cr->detail = "method";
		if (cr->detail != NULL)
			say(c, "Cache-Status: porter; fwd=%s; fwd-status=%d; "
			    "detail=%s\r\n", cr->fwd != NULL ? cr->fwd :
			    "miss", r->code, cr->detail);
		else
			say(c, "Cache-Status: porter; fwd=%s; fwd-status=%d"
			    "\r\n", cr->fwd != NULL ? cr->fwd : "miss",
			    r->code);
		return (0);
	}
	rules_of(cr->rt, &ru);
	if (r->code == 101 || rb == HTTP_BODY_CLOSE)
		detail = r->code == 101 ? "status" : NULL;
	/* stored gzipped: one copy for clients with and without (its
	   compressed size is checked against max_object as it fills) */
	gz = cr->rt->gzip && c->w->gz != NULL && gzip_decide(
	    &c->w->cfg->gzip, HTTP_M_GET, r, ub) == GZIP_YES;
	if (detail == NULL && !cp_storable(&c->req, cw->qbuf, r, ub, &ru,
	    cr->request_time, store_now_ms(), &f, &detail))
		;
	else if (detail == NULL && r->h.content_length >= 0 && !gz &&
	    (uint64_t)r->h.content_length > c->w->cfg->cache.max_object)
		detail = "too-big";
	else if (detail == NULL) {
		vlen = cp_vary_build(cw->vary, sizeof(cw->vary), r, ub,
		    &c->req, cw->qbuf);
		if (vlen > 0 && cr->rt->cache.nignore_vary > 0)
			vlen = (long)vary_less(cw->vary, (size_t)vlen,
			    cr->rt->cache.ignore_vary,
			    cr->rt->cache.nignore_vary);
		if (vlen > 0 && gz)
			vlen = (long)vary_less(cw->vary, (size_t)vlen, ae, 1);
		hlen = vlen < 0 ? 0 : stored_head(r, ub, &f, gz, cw->head,
		    cw->hcap);
		meta_of(&f, &m);
		if (gz)
			m.flags |= CACHE_F_GZIP;
		if (vlen < 0)
			detail = "vary-star";
		else if (hlen == 0)
			detail = "too-big";
		else if (tags_of(&r->h, ub, tags, &ntags) == -1)
			detail = "too-many-tags";
		else if (store_fill_head_tags(st, cr->fref, cw->vary,
		    (uint32_t)vlen, tags, ntags, cw->head, (uint32_t)hlen,
		    &m) == -1)
			/* a waiter that timed out took the fill over, or
			   no room could be made */
			detail = store_state(st, cr->fref) == STORE_S_GONE ?
			    "aborted" : "no-space";
	}
	if (detail != NULL) {
		store_count(st, ns_counter(detail));
		/*
		 * Waiters go at once; for an unstorable response the next
		 * ones fetch without waiting (hit-for-miss), not when the
		 * fill was only taken over or found no room.
		 */
		drop_fill(cr, strcmp(detail, "aborted") == 0 ||
		    strcmp(detail, "no-space") == 0 ? 0 : CACHE_PASS_MS);
		say(c, "Cache-Status: porter; fwd=%s; fwd-status=%d; "
		    "detail=%s\r\n", cr->fwd, r->code, detail);
		return (0);
	}
	cr->storing = 1;
	rl->tee = tee_cb;
	rl->tee_arg = cr;
	if (m.flags & CACHE_F_GZIP) {
		rl->gz = c->w->gz;	/* started by proxy.c */
		rl->gz_tee = 1;
	}
	say(c, "Cache-Status: porter; fwd=%s; fwd-status=%d; stored\r\n",
	    cr->fwd, r->code);
	return (0);
}

void
cache_body_end(struct conn *c, struct cache_req *cr, int complete)
{
	struct cache_work *cw = cr->cw;

	(void)c;
	if (!cr->fill || !cr->storing)
		return;
	if (complete) {
		(void)store_fill_done(cw->st, cw->slot, cr->fref);
		cr->fill = 0;
		cr->storing = 0;
		return;
	}
	store_count(cw->st, STORE_C_NS_ABORTED);
	drop_fill(cr, 0);
}

void
cache_end(struct conn *c, struct cache_req *cr)
{
	struct cache_work *cw = cr->cw;

	/*
	 * A fill that never got its head (the backend failed, porter
	 * answered an error): its waiters fetch at once, side by side,
	 * rather than one after another behind a failing backend.
	 */
	drop_fill(cr, cr->storing ? 0 : CACHE_FAIL_PASS_MS);
	if (cr->stale || cr->keep) {
		store_unpin(cw->st, cw->slot);
		cr->stale = cr->keep = cr->sie = 0;
	}
	c->req_extra = NULL;
	c->req_extra_len = 0;
	c->req_unconditional = 0;
	c->resp_extra = NULL;
	c->resp_extra_len = 0;
}

/* ---- purge (issue 14) ---- */

uint64_t
cache_key_hash(const char *key, size_t len)
{
	return (key_hash(key, len));
}
