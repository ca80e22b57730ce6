/*
 * gzip on the fly: the decision (gzip_decide, gzip_accepted), the head
 * porter sends with a compressed body (gzip_head_field, gzip_head_end)
 * and the deflate and inflate streams with fixed buffers. See gzip.h.
 */
#include "config.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "worker/cache_policy.h"
#include "worker/gzip.h"

struct gzip {
	z_stream	d;		/* deflate, gzip wrapper */
	z_stream	i;		/* inflate, gzip wrapper */
	int		started;	/* d has been used since its reset */
	int		istarted;
	char		out[GZIP_OUT];
};

int
gzip_init(struct gzip **out, int level)
{
	struct gzip *g;

	*out = NULL;
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return (-1);
	/* windowBits 15 + 16: a gzip header and trailer, not zlib's */
	if (deflateInit2(&g->d, level, Z_DEFLATED, 15 + 16, 8,
	    Z_DEFAULT_STRATEGY) != Z_OK) {
		free(g);
		return (-1);
	}
	if (inflateInit2(&g->i, 15 + 16) != Z_OK) {
		(void)deflateEnd(&g->d);
		free(g);
		return (-1);
	}
	*out = g;
	return (0);
}

void
gzip_free(struct gzip *g)
{
	if (g == NULL)
		return;
	(void)deflateEnd(&g->d);
	(void)inflateEnd(&g->i);
	free(g);
}

void
gzip_start(struct gzip *g)
{
	if (g->started)
		(void)deflateReset(&g->d);
	g->started = 1;
}

int
gzip_deflate(struct gzip *g, const char *p, size_t n, int finish,
    gzip_out_fn *out, void *arg)
{
	z_stream *z = &g->d;
	size_t have;
	int rc;

	do {
		/* zlib counts in uInt: a larger piece goes in parts */
		size_t k = n > UINT_MAX / 2 ? UINT_MAX / 2 : n;
		int last = finish && k == n;

		z->next_in = (Bytef *)(uintptr_t)p;
		z->avail_in = (uInt)k;
		p += k;
		n -= k;
		for (;;) {
			z->next_out = (Bytef *)g->out;
			z->avail_out = sizeof(g->out);
			rc = deflate(z, last ? Z_FINISH : Z_NO_FLUSH);
			if (rc == Z_STREAM_ERROR)
				return (-1);
			have = sizeof(g->out) - z->avail_out;
			if (have > 0 && out(arg, g->out, have) == -1)
				return (-1);
			if (rc == Z_STREAM_END)
				break;
			/* no room was left: there may be more to come out */
			if (z->avail_out == 0)
				continue;
			if (!last)
				break;		/* all input taken */
			if (rc == Z_BUF_ERROR && have == 0)
				return (-1);	/* cannot happen */
		}
	} while (n > 0);
	return (0);
}

void
gzip_inflate_start(struct gzip *g)
{
	if (g->istarted)
		(void)inflateReset(&g->i);
	g->istarted = 1;
}

int
gzip_inflate(struct gzip *g, const char *p, size_t n, gzip_out_fn *out,
    void *arg)
{
	z_stream *z = &g->i;
	size_t have;
	int rc;

	do {
		size_t k = n > UINT_MAX / 2 ? UINT_MAX / 2 : n;

		z->next_in = (Bytef *)(uintptr_t)p;
		z->avail_in = (uInt)k;
		p += k;
		n -= k;
		do {
			z->next_out = (Bytef *)g->out;
			z->avail_out = sizeof(g->out);
			rc = inflate(z, Z_NO_FLUSH);
			if (rc != Z_OK && rc != Z_STREAM_END &&
			    rc != Z_BUF_ERROR)
				return (-1);
			have = sizeof(g->out) - z->avail_out;
			if (have > 0 && out(arg, g->out, have) == -1)
				return (-1);
			if (rc == Z_STREAM_END)
				return (1);
			if (rc == Z_BUF_ERROR && have == 0)
				break;		/* wants more input */
		} while (z->avail_in > 0 || z->avail_out == 0);
	} while (n > 0);
	return (0);
}

/*
 * One truth with the cache's variants (cp_value reduces Accept-Encoding
 * to "gzip" or ""): a client the cache files under "gzip" gets gzip.
 */
int
gzip_accepted(const struct http_req *q, const char *qbuf)
{
	char v[8];

	return (cp_value(v, sizeof(v), q, qbuf, "accept-encoding") == 4);
}

int
gzip_type_match(const char *v, size_t n, char *const *types, int ntypes)
{
	size_t len, slash;
	int i;

	/* the media type ends at ';' or whitespace */
	for (len = 0; len < n && v[len] != ';' && v[len] != ' ' &&
	    v[len] != '\t'; len++)
		;
	for (slash = 0; slash < len && v[slash] != '/'; slash++)
		;
	if (slash == 0 || slash >= len - 1)
		return (0);
	for (i = 0; i < ntypes; i++) {
		const char *t = types[i];
		size_t tl = strlen(t);

		if (strcmp(t, "*") == 0)
			return (1);
		if (tl == slash + 2 && t[slash] == '/' && t[slash + 1] == '*' &&
		    strncasecmp(t, v, slash) == 0)
			return (1);
		if (tl == len && strncasecmp(t, v, len) == 0)
			return (1);
	}
	return (0);
}

/* The first field named name in h, or -1. */
static int
field(const struct http_head *h, const char *b, const char *name)
{
	int i;

	for (i = 0; i < h->nhdr; i++)
		if (http_span_eq(b, h->hdr[i].name, name))
			return (i);
	return (-1);
}

/* Whether a comma list value v holds the token tok (any case). */
static int
list_has(const char *v, size_t n, const char *tok)
{
	size_t i = 0, s, e, tl = strlen(tok);

	while (i < n) {
		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		/* a directive's argument ("no-transform" has none) */
		if (e - s == tl && strncasecmp(v + s, tok, tl) == 0)
			return (1);
	}
	return (0);
}

/* Whether any field named name lists tok. */
static int
fields_list(const struct http_head *h, const char *b, const char *name,
    const char *tok)
{
	int i;

	for (i = 0; i < h->nhdr; i++)
		if (http_span_eq(b, h->hdr[i].name, name) &&
		    list_has(b + h->hdr[i].value.off, h->hdr[i].value.len, tok))
			return (1);
	return (0);
}

enum gzip_why
gzip_request(const struct http_req *q, const char *qbuf)
{
	if (field(&q->h, qbuf, "range") >= 0)
		return (GZIP_RANGE);
	if (!gzip_accepted(q, qbuf))
		return (GZIP_OFF);
	return (GZIP_YES);
}

enum gzip_why
gzip_decide(const struct cfg_gzip *g, int meth, const struct http_resp *r,
    const char *rb)
{
	const struct http_hdr *f;
	int i;

	/* what nginx's gzip does for any method, less the odd ones */
	if (meth == HTTP_M_CONNECT || meth == HTTP_M_OPTIONS ||
	    meth == HTTP_M_TRACE)
		return (GZIP_METHOD);
	if (r->code < 200 || r->code == 204 || r->code == 206 ||
	    r->code == 304)
		return (GZIP_STATUS);
	if (field(&r->h, rb, "content-range") >= 0)
		return (GZIP_RANGE);
	if ((i = field(&r->h, rb, "content-encoding")) >= 0 &&
	    r->h.hdr[i].value.len > 0)
		return (GZIP_ENCODED);
	for (i = 0; i < r->h.nhdr; i++) {
		f = &r->h.hdr[i];
		if (f->id == HH_TRANSFER_ENCODING &&
		    !http_span_eq(rb, f->value, "chunked"))
			return (GZIP_ENCODED);
	}
	if (fields_list(&r->h, rb, "cache-control", "no-transform"))
		return (GZIP_NO_TRANSFORM);
	if ((i = field(&r->h, rb, "content-type")) < 0 ||
	    !gzip_type_match(rb + r->h.hdr[i].value.off,
	    r->h.hdr[i].value.len, g->types, g->ntypes))
		return (GZIP_TYPE);
	/* an empty body stays empty, whatever min_length says */
	if (r->h.content_length == 0 || (r->h.content_length > 0 &&
	    (uint64_t)r->h.content_length < g->min_length))
		return (GZIP_SHORT);
	return (GZIP_YES);
}

/* Whether h's Vary already covers Accept-Encoding ("*" covers all). */
static int
vary_covers(const struct http_head *h, const char *b)
{
	return (fields_list(h, b, "vary", "accept-encoding") ||
	    fields_list(h, b, "vary", "*"));
}

int
gzip_head_field(struct outbuf *o, const struct http_head *h, const char *b,
    int i)
{
	const struct http_hdr *f = &h->hdr[i];

	if (f->id == HH_CONTENT_LENGTH)
		return (1);
	if (http_span_eq(b, f->name, "etag")) {
		if (f->value.len == 0 || b[f->value.off] != '"')
			return (0);	/* weak already (W/"..."), or odd */
		outbuf_add(o, b + f->name.off, f->name.len);
		outbuf_str(o, ": W/");
		outbuf_add(o, b + f->value.off, f->value.len);
		outbuf_str(o, "\r\n");
		return (1);
	}
	if (http_span_eq(b, f->name, "vary") && field(h, b, "vary") == i &&
	    !vary_covers(h, b)) {
		outbuf_add(o, b + f->name.off, f->name.len);
		outbuf_str(o, ": ");
		outbuf_add(o, b + f->value.off, f->value.len);
		outbuf_str(o, f->value.len > 0 ? ", Accept-Encoding\r\n" :
		    "Accept-Encoding\r\n");
		return (1);
	}
	return (0);
}

void
gzip_head_end(struct outbuf *o, const struct http_head *h, const char *b)
{
	outbuf_str(o, "Content-Encoding: gzip\r\n");
	if (field(h, b, "vary") < 0)
		outbuf_str(o, "Vary: Accept-Encoding\r\n");
}
