/*
 * gzip on the fly (like nginx's gzip module): whether a response may be
 * compressed for a client, its head as porter sends it compressed, and
 * the streams themselves. A worker keeps one deflate and one inflate
 * stream for its life and resets them per response: zlib allocates in
 * deflateInit and inflateInit, never per request.
 */
#ifndef PORTER_WORKER_GZIP_H
#define PORTER_WORKER_GZIP_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "lib/outbuf.h"
#include "worker/http_parse.h"

#define GZIP_OUT	16384	/* output bytes handed on at a time */

struct gzip;

/* Where a stream's output goes: 0, or -1 to stop it. */
typedef int	gzip_out_fn(void *arg, const char *p, size_t n);

/* Per worker, once: *out set, 0; -1 (out of memory). level: 1..9. */
int	gzip_init(struct gzip **out, int level);
void	gzip_free(struct gzip *);

/* A new compressed stream (the previous one, if any, is dropped). */
void	gzip_start(struct gzip *);

/*
 * p[0..n) into the stream begun by gzip_start; finish: these are the
 * last bytes (n may be 0), the gzip trailer follows. Output goes to out
 * in pieces of at most GZIP_OUT bytes as zlib makes it. 0, or -1 (out
 * failed, or a zlib error).
 */
int	gzip_deflate(struct gzip *, const char *p, size_t n, int finish,
	    gzip_out_fn *out, void *arg);

/* A new inflate stream. */
void	gzip_inflate_start(struct gzip *);

/*
 * Compressed p[0..n) of the stream begun by gzip_inflate_start, its
 * output to out: 1 the gzip stream ended (what follows it is ignored),
 * 0 it wants more, -1 bad data or out failed.
 */
int	gzip_inflate(struct gzip *, const char *p, size_t n,
	    gzip_out_fn *out, void *arg);

/* Whether request q (bytes qbuf) accepts gzip: q-values honoured. */
int	gzip_accepted(const struct http_req *q, const char *qbuf);

/*
 * Whether the Content-Type value v[0..n) (parameters and case ignored)
 * is one of types: "type/sub", a wildcard subtype (type, slash, star)
 * or "*".
 */
int	gzip_type_match(const char *v, size_t n, char *const *types,
	    int ntypes);

/* Why a response is not compressed (GZIP_YES: it is). */
enum gzip_why {
	GZIP_YES, GZIP_OFF, GZIP_METHOD, GZIP_RANGE, GZIP_STATUS,
	GZIP_ENCODED, GZIP_NO_TRANSFORM, GZIP_TYPE, GZIP_SHORT
};

/*
 * The request's side: GZIP_RANGE when q (bytes qbuf) asks a Range (a
 * range is served from the identity body), else GZIP_YES when it accepts
 * gzip, else GZIP_OFF.
 */
enum gzip_why gzip_request(const struct http_req *q, const char *qbuf);

/*
 * The response's side: whether r (bytes rb) to a request of method meth
 * may be compressed under g: a status with a body (not 204, 206, 304,
 * 1xx), no Content-Encoding and no transfer coding but chunked, no
 * Content-Range, no Cache-Control no-transform, a Content-Type in g's
 * types, a Content-Length of at least min_length (or none). HEAD is
 * judged as the GET would be (its head says what a GET would get).
 */
enum gzip_why gzip_decide(const struct cfg_gzip *g, int meth,
	    const struct http_resp *r, const char *rb);

/*
 * Field i of head h (bytes b) as a response porter compresses carries
 * it, into o: Content-Length dropped, a strong ETag made weak, the
 * first Vary with Accept-Encoding added (unless a Vary already names it
 * or is "*"). 1 when done here (written or dropped), 0 when the caller
 * writes the field as it is.
 */
int	gzip_head_field(struct outbuf *o, const struct http_head *h,
	    const char *b, int i);

/* After the fields: Content-Encoding: gzip, and a Vary if h had none. */
void	gzip_head_end(struct outbuf *o, const struct http_head *h,
	    const char *b);

#endif
