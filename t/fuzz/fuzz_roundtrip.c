/*
 * libFuzzer harness, differential: a request porter accepts is rewritten
 * for the backend as a reverse proxy would (worker/rewrite.c), and the
 * result is parsed again by the same parser. It must parse, and agree on
 * the method, the target, the framing and the body's length, and carry
 * no field the first parse would have dropped (hop-by-hop, "_" names):
 * a message that means something else when read again is a smuggling
 * vector.
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "worker/rewrite.h"

#define OCAP	(16384 + 4096)

static struct cfg	 cfg;
static struct worker	 w;
static struct conn	 c;
static struct cfg_route	 rt;
static char		 obuf[OCAP];

static int
same(const char *a, struct span x, const char *b, struct span y)
{
	return (x.len == y.len && memcmp(a + x.off, b + y.off, x.len) == 0);
}

/* Fields porter writes itself, whatever the client sent. */
static int
porters(int id)
{
	switch (id) {
	case HH_HOST: case HH_CONTENT_LENGTH: case HH_TRANSFER_ENCODING:
	case HH_CONNECTION: case HH_VIA: case HH_X_FORWARDED_FOR:
	case HH_X_FORWARDED_PROTO: case HH_X_FORWARDED_HOST: case HH_UPGRADE:
	case HH_EXPECT:
		return (1);
	default:
		return (0);
	}
}

/* Whether head h (bytes in b) has a field named and valued as f in fb. */
static int
has(const struct http_head *h, const char *b, const struct http_hdr *f,
    const char *fb)
{
	int i;

	for (i = 0; i < h->nhdr; i++)
		if (h->hdr[i].name.len == f->name.len &&
		    strncasecmp(b + h->hdr[i].name.off, fb + f->name.off,
		    f->name.len) == 0 && same(b, h->hdr[i].value, fb,
		    f->value))
			return (1);
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req q, again;
	enum http_rc rc;
	char *in;
	size_t n;
	int i;

	if (size == 0 || (in = malloc(size)) == NULL)
		return (0);
	memcpy(in, data, size);
	memset(&c, 0, sizeof(c));
	w.cfg = &cfg;
	w.obuf = obuf;
	w.ocap = sizeof(obuf);
	strcpy(w.via10, "1.0 porter-fuzz");
	strcpy(w.via11, "1.1 porter-fuzz");
	c.w = &w;
	c.buf = in;
	strcpy(c.peer, "192.0.2.1");
	rt.path = "/";
	rt.host = "*";
	http_req_init(&q, 16384, 8192);
	if (http_parse_request(&q, in, size) != HTTP_OK ||
	    q.meth == HTTP_M_CONNECT) {
		free(in);
		return (0);
	}
	c.req = q;
	if ((n = rewrite_request(&c, &rt, "fallback")) == 0) {
		free(in);
		return (0);
	}
	http_req_init(&again, OCAP, OCAP);
	rc = http_parse_request(&again, obuf, n);
	/*
	 * porter adds up to four fields (X-Forwarded-*, Via): a head at the
	 * field limit may exceed it after; too large is the only way out
	 */
	if (rc == HTTP_ERROR && again.h.status == 431) {
		free(in);
		return (0);
	}
	assert(rc == HTTP_OK);
	assert(again.h.head_len == n);
	assert(same(in, q.method, obuf, again.method));
	assert(again.meth == q.meth);
	assert(http_req_body(&again) == http_req_body(&q));
	assert(again.h.content_length == q.h.content_length);
	assert(again.h.chunked == q.h.chunked);
	/* origin form stays as sent; absolute form becomes its path */
	if (in[q.target.off] == '/' || in[q.target.off] == '*')
		assert(same(in, q.target, obuf, again.target));
	/*
	 * The field list: every field that went out, but porter's own, came
	 * from the client as it was; every field of the client's that is not
	 * hop-by-hop, not "_"-named and not porter's went out.
	 */
	for (i = 0; i < again.h.nhdr; i++) {
		const struct http_hdr *f = &again.h.hdr[i];

		assert(memchr(obuf + f->name.off, '_', f->name.len) == NULL);
		assert(f->id != HH_PROXY_AUTHORIZATION);
		/* Max-Forwards goes out one less on TRACE and OPTIONS */
		if (!porters(f->id) &&
		    !http_span_eq(obuf, f->name, "Max-Forwards"))
			assert(has(&q.h, in, f, obuf));
	}
	for (i = 0; i < q.h.nhdr; i++) {
		const struct http_hdr *f = &q.h.hdr[i];

		if (porters(f->id) || http_is_hop_by_hop(&q.h, in, i) ||
		    memchr(in + f->name.off, '_', f->name.len) != NULL ||
		    http_span_eq(in, f->name, "Max-Forwards") ||
		    f->id == HH_PROXY_AUTHORIZATION)
			continue;
		assert(has(&again.h, obuf, f, in));
	}
	free(in);
	return (0);
}
