#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "lib/outbuf.h"
#include "worker/gzip.h"
#include "worker/rewrite.h"


static void
out_span(struct outbuf *o, const char *buf, struct span sp)
{
	outbuf_add(o, buf + sp.off, sp.len);
}

/* "Name: value\r\n" exactly as the client or backend spelled the name. */
static void
out_field(struct outbuf *o, const char *buf, const struct http_hdr *h)
{
	out_span(o, buf, h->name);
	outbuf_add(o, ": ", 2);
	out_span(o, buf, h->value);
	outbuf_add(o, "\r\n", 2);
}

/*
 * Fields that several lines may carry and porter extends (Via,
 * X-Forwarded-For) are joined into one line: "a, b, ours".
 */
static void
out_joined(struct outbuf *o, const char *name, const char *buf,
    const struct http_head *h, int id, const char *ours)
{
	int i, n = 0;

	outbuf_str(o, name);
	outbuf_add(o, ": ", 2);
	for (i = 0; i < h->nhdr; i++) {
		/* one the sender named in Connection was for porter alone */
		if (h->hdr[i].id != id || h->hdr[i].value.len == 0 ||
		    http_is_hop_by_hop(h, buf, i))
			continue;
		out_span(o, buf, h->hdr[i].value);
		outbuf_add(o, ", ", 2);
		n++;
	}
	outbuf_str(o, ours);
	outbuf_add(o, "\r\n", 2);
}

/*
 * Content-Length, once, at its first line: RFC 9110 8.6 lets a recipient
 * read "5, 5" or two lines of 5 as one value (the parser refused
 * differing ones), and a next hop that refuses duplicates must not see
 * them. Nothing at all when the parser set content_length to -1 though
 * lines were there: a response's Transfer-Encoding overrode it.
 */
static void
out_content_length(struct outbuf *o, const struct http_head *h, int *done)
{
	if (*done || h->content_length < 0)
		return;
	*done = 1;
	outbuf_str(o, "Content-Length: ");
	outbuf_u64(o, (uint64_t)h->content_length);
	outbuf_add(o, "\r\n", 2);
}

/*
 * A field name with "_": a backend that maps "_" to "-" (CGI, many app
 * servers) would read Transfer_Encoding or Content_Length as a second
 * framing field that porter never checked.
 */
static int
underscored(const char *buf, struct span n)
{
	return (memchr(buf + n.off, '_', n.len) != NULL);
}

/*
 * A field that makes a request conditional or partial: left out when the
 * cache fetches a whole response to store (it answers the client's
 * conditions itself).
 */
static int
conditional(const char *buf, struct span n)
{
	static const char *const names[] = { "if-none-match",
	    "if-modified-since", "if-match", "if-unmodified-since",
	    "if-range", "range", NULL };

	return (http_span_in(buf, n, names));
}

/*
 * Surrogate-Key and Cache-Tag: the tags a cache route indexes its
 * objects by, for this cache (the surrogate) only, like Fastly's and
 * Cloudflare's, so never sent on to clients.
 */
static int
surrogate(const char *buf, struct span n)
{
	static const char *const names[] = { "surrogate-key", "cache-tag",
	    NULL };

	return (http_span_in(buf, n, names));
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
out_set(struct outbuf *o, const struct cfg_hdr_set *set, int nset)
{
	int i;

	for (i = 0; i < nset; i++) {
		outbuf_str(o, set[i].name);
		outbuf_add(o, ": ", 2);
		outbuf_str(o, set[i].value);
		outbuf_add(o, "\r\n", 2);
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

/*
 * Max-Forwards on TRACE and OPTIONS (RFC 9110 7.6.2): forwarded one less.
 * conn.c answers the request itself when it is 0.
 */
static int
out_max_forwards(struct outbuf *o, const struct conn *c, const struct http_hdr *h)
{
	char num[24];
	long v;

	if ((c->req.meth != HTTP_M_TRACE && c->req.meth != HTTP_M_OPTIONS) ||
	    !http_span_eq(c->buf, h->name, "Max-Forwards"))
		return (0);
	v = http_max_forwards(&c->req, c->buf);
	if (v <= 0)
		return (0);	/* malformed: passed on as is */
	(void)snprintf(num, sizeof(num), "%ld", v - 1);
	outbuf_str(o, "Max-Forwards: ");
	outbuf_str(o, num);
	outbuf_add(o, "\r\n", 2);
	return (1);
}

/* A WebSocket (or other) upgrade the client asked for. */
int
rewrite_wants_upgrade(const struct http_req *q)
{
	return ((q->h.conn & HTTP_CONN_UPGRADE) && q->meth == HTTP_M_GET &&
	    http_req_body(q) == HTTP_BODY_NONE);
}

/*
 * The fields that say who asked and through whom: X-Forwarded-For,
 * X-Forwarded-Proto and -Host (reverse mode), Via; in forward mode as
 * forwarded_for and anonymous say. auth: the absolute-form target's
 * authority, or NULL.
 */
static void
out_identity(struct outbuf *o, const struct conn *c, const struct span *auth)
{
	const struct http_req *q = &c->req;
	const struct cfg_forward *fwd = c->fwd;
	const char *b = c->buf;
	int anon = fwd != NULL && fwd->anonymous;
	int i;

	if (fwd == NULL || (fwd->forwarded_for && !anon))
		out_joined(o, "X-Forwarded-For", b, &q->h, HH_X_FORWARDED_FOR,
		    c->peer);
	else if (!anon)
		for (i = 0; i < q->h.nhdr; i++)	/* the client's, as sent */
			if (q->h.hdr[i].id == HH_X_FORWARDED_FOR &&
			    !http_is_hop_by_hop(&q->h, b, i))
				out_field(o, b, &q->h.hdr[i]);
	if (fwd == NULL) {
		outbuf_str(o, "X-Forwarded-Proto: http\r\n");
		if (auth != NULL || q->host.len > 0) {
			outbuf_str(o, "X-Forwarded-Host: ");
			out_span(o, b, auth != NULL ? *auth : q->host);
			outbuf_add(o, "\r\n", 2);
		}
	}
	if (fwd == NULL || fwd->forwarded_for)
		out_joined(o, "Via", b, &q->h, HH_VIA, q->h.version == 10 ?
		    c->w->via10 : c->w->via11);
	else if (!anon)
		for (i = 0; i < q->h.nhdr; i++)	/* the client's, as sent */
			if (q->h.hdr[i].id == HH_VIA &&
			    !http_is_hop_by_hop(&q->h, b, i))
				out_field(o, b, &q->h.hdr[i]);
}

size_t
rewrite_request(struct conn *c, const struct cfg_route *rt, const char *hostfb)
{
	const struct http_req *q = &c->req;
	const char *b = c->buf;
	struct outbuf o = { c->w->obuf, c->w->ocap, 0, 0 };
	struct span auth = { 0, 0 }, rest = { 0, 0 };
	int i, absolute, have_host = 0, cl = 0;
	int upgrade = rewrite_wants_upgrade(q);
	int underscores = c->w->cfg->underscores_in_headers;
	/* reverse mode: the backend gets the request's id, and only that */
	int reqid = c->fwd == NULL && c->request_id[0] != '\0';

	/* unless the route sets one of its own */
	for (i = 0; reqid && i < rt->nset_request_headers; i++)
		if (strcasecmp(rt->set_request_headers[i].name,
		    "X-Request-Id") == 0)
			reqid = 0;

	absolute = split_absolute(b + q->target.off, q->target.len, &auth,
	    &rest, q->target.off);
	/* present, even empty ("Host:" is valid): then it is not added */
	for (i = 0; i < q->h.nhdr && !have_host; i++)
		have_host = q->h.hdr[i].id == HH_HOST;
	out_span(&o, b, q->method);
	outbuf_add(&o, " ", 1);
	if (c->to_parent) {
		out_span(&o, b, q->target);	/* a proxy wants it absolute */
	} else if (rt->normalize && c->npath[0] == '/') {
		/* the path the rules saw, and the query as sent */
		outbuf_add(&o, c->npath, c->npathlen);
		out_span(&o, b, c->query);
	} else if (absolute) {
		if (rest.len == 0 || b[rest.off] != '/')
			outbuf_add(&o, "/", 1);
		out_span(&o, b, rest);
	} else {
		out_span(&o, b, q->target);
	}
	outbuf_str(&o, " HTTP/1.1\r\n");
	if (absolute) {
		/* RFC 9112 3.2.2: the URI's authority replaces Host. */
		outbuf_str(&o, "Host: ");
		out_span(&o, b, auth);
		outbuf_add(&o, "\r\n", 2);
	} else if (!have_host) {
		/* an HTTP/1.0 client may omit Host; 1.1 backends need one */
		outbuf_str(&o, "Host: ");
		outbuf_str(&o, hostfb);
		outbuf_add(&o, "\r\n", 2);
	}
	for (i = 0; i < q->h.nhdr; i++) {
		const struct http_hdr *h = &q->h.hdr[i];

		if (!underscores && underscored(b, h->name))
			continue;
		switch (h->id) {
		case HH_HOST:
			if (absolute)
				continue;
			break;
		case HH_CONTENT_LENGTH:
			out_content_length(&o, &q->h, &cl);
			continue;
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
		if (c->req_unconditional && conditional(b, h->name))
			continue;
		if (reqid && http_span_eq(b, h->name, "X-Request-Id"))
			continue;
		if (http_is_hop_by_hop(&q->h, b, i) || anonymized(c, h->name) ||
		    rewritten(b, h->name, rt->remove_request_headers,
		    rt->nremove_request_headers, rt->set_request_headers,
		    rt->nset_request_headers) || out_max_forwards(&o, c, h))
			continue;
		out_field(&o, b, h);
	}
	out_set(&o, rt->set_request_headers, rt->nset_request_headers);
	if (reqid) {
		outbuf_str(&o, "X-Request-Id: ");
		outbuf_str(&o, c->request_id);
		outbuf_add(&o, "\r\n", 2);
	}
	if (c->req_extra_len > 0)
		outbuf_add(&o, c->req_extra, c->req_extra_len);
	if (upgrade)
		outbuf_str(&o, "Connection: upgrade\r\n");
	if (q->h.chunked)
		outbuf_str(&o, "Transfer-Encoding: chunked\r\n");
	out_identity(&o, c, absolute ? &auth : NULL);
	outbuf_add(&o, "\r\n", 2);
	return (o.overflow ? 0 : o.len);
}

/* "HTTP/1.1 NNN reason\r\n" for response r, its bytes in ub. */
static void
out_status(struct outbuf *o, const struct http_resp *r, const char *ub)
{
	char line[13] = "HTTP/1.1 000 ";

	/* the parser guarantees 100..599 */
	line[9] = (char)('0' + r->code / 100);
	line[10] = (char)('0' + r->code / 10 % 10);
	line[11] = (char)('0' + r->code % 10);
	outbuf_add(o, line, sizeof(line));
	out_span(o, ub, r->reason);
	outbuf_add(o, "\r\n", 2);
}

size_t
rewrite_response(struct conn *c, const struct cfg_route *rt,
    const struct http_resp *r, const char *ub, int chunked, int ka)
{
	struct outbuf o = { c->w->obuf, c->w->ocap, 0, 0 };
	int i, cl = 0, gz = chunked & REWRITE_GZIP;

	chunked &= ~REWRITE_GZIP;
	out_status(&o, r, ub);
	for (i = 0; i < r->h.nhdr; i++) {
		const struct http_hdr *h = &r->h.hdr[i];

		if (h->id == HH_CONTENT_LENGTH) {
			if (!gz)	/* a compressed body has another */
				out_content_length(&o, &r->h, &cl);
			continue;
		}
		if (h->id == HH_TRANSFER_ENCODING) {
			if (chunked == REWRITE_TE_KEEP)
				out_field(&o, ub, h);
			continue;
		}
		if (h->id == HH_UPGRADE && r->code == 101) {
			out_field(&o, ub, h);
			continue;
		}
		if (h->id == HH_VIA || http_is_hop_by_hop(&r->h, ub, i) ||
		    (rt->cache.on && surrogate(ub, h->name)) ||
		    rewritten(ub, h->name, rt->remove_response_headers,
		    rt->nremove_response_headers, rt->set_response_headers,
		    rt->nset_response_headers))
			continue;
		if (gz && gzip_head_field(&o, &r->h, ub, i))
			continue;
		out_field(&o, ub, h);
	}
	if (gz)
		gzip_head_end(&o, &r->h, ub);
	if (chunked == REWRITE_TE_CHUNK)
		outbuf_str(&o, "Transfer-Encoding: chunked\r\n");
	if (c->resp_extra_len > 0)
		outbuf_add(&o, c->resp_extra, c->resp_extra_len);
	out_set(&o, rt->set_response_headers, rt->nset_response_headers);
	out_joined(&o, "Via", ub, &r->h, HH_VIA,
	    r->h.version == 10 ? c->w->via10 : c->w->via11);
	if (r->code == 101)
		outbuf_str(&o, "Connection: upgrade\r\n");
	else if (!ka)
		outbuf_str(&o, "Connection: close\r\n");
	else if (c->req.h.version == 10)
		outbuf_str(&o, "Connection: keep-alive\r\n");
	outbuf_add(&o, "\r\n", 2);
	return (o.overflow ? 0 : o.len);
}

size_t
rewrite_interim(struct conn *c, const struct http_resp *r, const char *ub)
{
	struct outbuf o = { c->w->obuf, c->w->ocap, 0, 0 };
	int i;

	out_status(&o, r, ub);
	for (i = 0; i < r->h.nhdr; i++)
		if (!http_is_hop_by_hop(&r->h, ub, i))
			out_field(&o, ub, &r->h.hdr[i]);
	outbuf_add(&o, "\r\n", 2);
	return (o.overflow ? 0 : o.len);
}

/* Fields a 304 carries from the stored response (RFC 9110 15.4.5). */
static int
kept_in_304(const char *buf, struct span n)
{
	static const char *const names[] = { "cache-control",
	    "content-location", "date", "etag", "expires", "vary",
	    "last-modified", NULL };

	return (http_span_in(buf, n, names));
}

size_t
rewrite_cached(struct conn *c, const struct cfg_route *rt,
    const struct http_resp *r, const char *ub, const struct rewrite_as *as,
    int ka)
{
	struct outbuf o = { c->w->obuf, c->w->ocap, 0, 0 };
	char num[80];
	int i;

	switch (as->code) {
	case 304:
		outbuf_str(&o, "HTTP/1.1 304 Not Modified\r\n");
		break;
	case 206:
		outbuf_str(&o, "HTTP/1.1 206 Partial Content\r\n");
		(void)snprintf(num, sizeof(num), "Content-Range: bytes "
		    "%llu-%llu/%llu\r\n", (unsigned long long)as->start,
		    (unsigned long long)as->end, (unsigned long long)as->total);
		outbuf_str(&o, num);
		break;
	default:
		out_status(&o, r, ub);
		break;
	}
	for (i = 0; i < r->h.nhdr; i++) {
		const struct http_hdr *h = &r->h.hdr[i];

		/* the stored head has no framing: the cache frames it */
		if (h->id == HH_CONTENT_LENGTH ||
		    h->id == HH_TRANSFER_ENCODING || h->id == HH_VIA ||
		    http_is_hop_by_hop(&r->h, ub, i) ||
		    (as->code == 304 && !kept_in_304(ub, h->name)) ||
		    (as->inflate && http_span_eq(ub, h->name,
		    "content-encoding")) ||
		    surrogate(ub, h->name) ||
		    rewritten(ub, h->name, rt->remove_response_headers,
		    rt->nremove_response_headers, rt->set_response_headers,
		    rt->nset_response_headers))
			continue;
		out_field(&o, ub, h);
	}
	if (as->chunked)
		outbuf_str(&o, "Transfer-Encoding: chunked\r\n");
	else if (as->code != 304 && as->length >= 0 && r->code != 204) {
		outbuf_str(&o, "Content-Length: ");
		outbuf_u64(&o, (uint64_t)as->length);
		outbuf_add(&o, "\r\n", 2);
	}
	if (c->resp_extra_len > 0)
		outbuf_add(&o, c->resp_extra, c->resp_extra_len);
	out_set(&o, rt->set_response_headers, rt->nset_response_headers);
	out_joined(&o, "Via", ub, &r->h, HH_VIA,
	    r->h.version == 10 ? c->w->via10 : c->w->via11);
	if (!ka)
		outbuf_str(&o, "Connection: close\r\n");
	else if (c->req.h.version == 10)
		outbuf_str(&o, "Connection: keep-alive\r\n");
	outbuf_add(&o, "\r\n", 2);
	return (o.overflow ? 0 : o.len);
}
