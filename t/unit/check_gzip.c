/*
 * Unit tests for worker/gzip.c: the deflate and inflate streams round
 * trip (in pieces, empty, large, with the stream reused), Accept-Encoding
 * with q-values, Content-Type matching, the decision rules on real heads
 * parsed by worker/http_parse.c, and the head a compressed response
 * carries (weak ETag, Vary merged, no Content-Length).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "worker/gzip.h"

static char		qb[8192], rb[8192];
static struct http_req	q;
static struct http_resp	r;
static struct gzip	*gz;

/* A growing buffer for a stream's output. */
struct sink {
	char	*p;
	size_t	 len, cap;
	int	 calls;
	int	 fail_at;	/* this call fails (0: never) */
};

static int
sink_cb(void *arg, const char *p, size_t n)
{
	struct sink *s = arg;

	if (++s->calls == s->fail_at)
		return (-1);
	ck_assert_uint_le(n, GZIP_OUT);
	if (s->len + n > s->cap) {
		s->cap = (s->len + n) * 2;
		s->p = realloc(s->p, s->cap);
		ck_assert_ptr_nonnull(s->p);
	}
	memcpy(s->p + s->len, p, n);
	s->len += n;
	return (0);
}

static void
setup(void)
{
	ck_assert_int_eq(gzip_init(&gz, 6), 0);
}

static void
teardown(void)
{
	gzip_free(gz);
	gz = NULL;
}

/* n bytes of text, compressible like a page */
static char *
text(size_t n)
{
	char *t = malloc(n + 1);
	size_t i;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < n; i++)
		t[i] = "<p>the quick brown fox %d</p>\n"[i % 29] + (char)(i /
		    4096 % 3);
	return (t);
}

/* in[0..n) deflated in pieces of step, then inflated in pieces of istep */
static void
round_trip(size_t n, size_t step, size_t istep)
{
	struct sink c = { 0 }, d = { 0 };
	char *in = text(n);
	size_t off;
	int rc = 0;

	gzip_start(gz);
	for (off = 0; off < n; off += step)
		ck_assert_int_eq(gzip_deflate(gz, in + off, n - off < step ?
		    n - off : step, 0, sink_cb, &c), 0);
	ck_assert_int_eq(gzip_deflate(gz, NULL, 0, 1, sink_cb, &c), 0);
	ck_assert_uint_ge(c.len, 18);		/* header and trailer */
	ck_assert_int_eq((unsigned char)c.p[0], 0x1f);
	ck_assert_int_eq((unsigned char)c.p[1], 0x8b);
	if (n > 4096)
		ck_assert_uint_lt(c.len, n / 2);
	gzip_inflate_start(gz);
	for (off = 0; off < c.len && rc == 0; off += istep)
		rc = gzip_inflate(gz, c.p + off, c.len - off < istep ?
		    c.len - off : istep, sink_cb, &d);
	ck_assert_int_eq(rc, 1);
	ck_assert_uint_eq(d.len, n);
	ck_assert(n == 0 || memcmp(d.p, in, n) == 0);
	free(c.p);
	free(d.p);
	free(in);
}

START_TEST(round_trips)
{
	round_trip(0, 1, 1);
	round_trip(1, 1, 1);
	round_trip(5000, 7, 3);
	round_trip(100000, 4096, 512);
	round_trip(3 << 20, 65536, 65536);	/* out in GZIP_OUT pieces */
	round_trip(70000, 70000, 1);		/* again: the streams reset */
}
END_TEST

START_TEST(zlib_agrees)
{
	struct sink c = { 0 };
	char *in = text(50000), *out = malloc(60000);
	uLongf olen = 60000;
	z_stream z;

	gzip_start(gz);
	ck_assert_int_eq(gzip_deflate(gz, in, 50000, 1, sink_cb, &c), 0);
	/* what any gunzip reads: zlib's own inflate, gzip wrapper */
	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)c.p;
	z.avail_in = (uInt)c.len;
	z.next_out = (Bytef *)out;
	z.avail_out = (uInt)olen;
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	ck_assert_uint_eq(z.total_out, 50000);
	ck_assert(memcmp(in, out, 50000) == 0);
	(void)inflateEnd(&z);
	free(c.p);
	free(in);
	free(out);
}
END_TEST

START_TEST(out_fails_and_bad_data)
{
	struct sink c = { 0 }, d = { 0 };
	char *in = text(200000);

	c.fail_at = 1;
	gzip_start(gz);
	ck_assert_int_eq(gzip_deflate(gz, in, 200000, 1, sink_cb, &c), -1);
	c.fail_at = 0;
	c.calls = 0;
	gzip_start(gz);
	ck_assert_int_eq(gzip_deflate(gz, in, 200000, 1, sink_cb, &c), 0);
	/* a corrupt stream: an error, never a crash or a hang */
	c.p[c.len / 2] ^= 0x55;
	c.p[c.len / 2 + 1] ^= 0x55;
	gzip_inflate_start(gz);
	ck_assert_int_ne(gzip_inflate(gz, c.p, c.len, sink_cb, &d), 1);
	/* not gzip at all */
	gzip_inflate_start(gz);
	ck_assert_int_eq(gzip_inflate(gz, "hello, world", 12, sink_cb, &d),
	    -1);
	/* cut short: wants more, never ends */
	gzip_inflate_start(gz);
	d.len = 0;
	ck_assert_int_eq(gzip_inflate(gz, c.p, 10, sink_cb, &d), 0);
	free(c.p);
	free(d.p);
	free(in);
}
END_TEST

static void
req(const char *fields)
{
	int n = snprintf(qb, sizeof(qb), "GET /p HTTP/1.1\r\nHost: h\r\n%s\r\n",
	    fields);

	ck_assert_int_lt(n, (int)sizeof(qb));
	http_req_init(&q, 8192, 4096);
	ck_assert_int_eq(http_parse_request(&q, qb, (size_t)n), HTTP_OK);
}

static int
accepts(const char *fields)
{
	req(fields);
	return (gzip_accepted(&q, qb));
}

START_TEST(accept_encoding)
{
	ck_assert_int_eq(accepts(""), 0);
	ck_assert_int_eq(accepts("Accept-Encoding: gzip\r\n"), 1);
	ck_assert_int_eq(accepts("Accept-Encoding: GZIP\r\n"), 1);
	ck_assert_int_eq(accepts("Accept-Encoding: x-gzip\r\n"), 1);
	ck_assert_int_eq(accepts("Accept-Encoding: deflate, gzip, br\r\n"), 1);
	ck_assert_int_eq(accepts("Accept-Encoding: br\r\nAccept-Encoding: "
	    "gzip\r\n"), 1);
	ck_assert_int_eq(accepts("Accept-Encoding: gzip;q=0\r\n"), 0);
	ck_assert_int_eq(accepts("Accept-Encoding: gzip; q=0.000\r\n"), 0);
	ck_assert_int_eq(accepts("Accept-Encoding: gzip;q=0.001\r\n"), 1);
	ck_assert_int_eq(accepts("Accept-Encoding: gzip;q=1\r\n"), 1);
	ck_assert_int_eq(accepts("Accept-Encoding: gzip;q=1.5\r\n"), 0);
	ck_assert_int_eq(accepts("Accept-Encoding: gzip;q=x\r\n"), 0);
	ck_assert_int_eq(accepts("Accept-Encoding: identity\r\n"), 0);
	ck_assert_int_eq(accepts("Accept-Encoding: br, *\r\n"), 1);
	ck_assert_int_eq(accepts("Accept-Encoding: *;q=0\r\n"), 0);
	/* gzip named: its own q decides, not the star's */
	ck_assert_int_eq(accepts("Accept-Encoding: *, gzip;q=0\r\n"), 0);
	ck_assert_int_eq(accepts("Accept-Encoding: gzipx\r\n"), 0);
	ck_assert_int_eq(accepts("Accept-Encoding: \r\n"), 0);

	req("Accept-Encoding: gzip\r\n");
	ck_assert_int_eq(gzip_request(&q, qb), GZIP_YES);
	req("Accept-Encoding: gzip\r\nRange: bytes=0-9\r\n");
	ck_assert_int_eq(gzip_request(&q, qb), GZIP_RANGE);
	req("Range: bytes=0-9\r\n");
	ck_assert_int_eq(gzip_request(&q, qb), GZIP_RANGE);
	req("Accept-Encoding: br\r\n");
	ck_assert_int_eq(gzip_request(&q, qb), GZIP_OFF);
}
END_TEST

static char *types[] = { "text/html", "application/json", "image/*",
    "text/css" };

static int
tm(const char *v)
{
	return (gzip_type_match(v, strlen(v), types, 4));
}

START_TEST(type_matching)
{
	char *star[] = { "*" };

	ck_assert_int_eq(tm("text/html"), 1);
	ck_assert_int_eq(tm("TEXT/HTML"), 1);
	ck_assert_int_eq(tm("text/html; charset=utf-8"), 1);
	ck_assert_int_eq(tm("text/html;charset=utf-8"), 1);
	ck_assert_int_eq(tm("application/json"), 1);
	ck_assert_int_eq(tm("image/svg+xml"), 1);
	ck_assert_int_eq(tm("image/png"), 1);
	ck_assert_int_eq(tm("text/plain"), 0);
	ck_assert_int_eq(tm("text/htmlx"), 0);
	ck_assert_int_eq(tm("text/htm"), 0);
	ck_assert_int_eq(tm("application/json-seq"), 0);
	ck_assert_int_eq(tm("imagex/png"), 0);
	ck_assert_int_eq(tm("text"), 0);
	ck_assert_int_eq(tm("text/"), 0);
	ck_assert_int_eq(tm("/html"), 0);
	ck_assert_int_eq(tm(""), 0);
	ck_assert_int_eq(gzip_type_match("a/b", 3, star, 1), 1);
	ck_assert_int_eq(gzip_type_match("ab", 2, star, 1), 0);
}
END_TEST

static const struct cfg_gzip conf = { 1, 6, 256, types, 4 };

static enum gzip_why
decide(int meth, int code, const char *fields)
{
	int n = snprintf(rb, sizeof(rb), "HTTP/1.1 %d X\r\n%s\r\n", code,
	    fields);

	ck_assert_int_lt(n, (int)sizeof(rb));
	http_resp_init(&r, 8192);
	ck_assert_int_eq(http_parse_response(&r, rb, (size_t)n), HTTP_OK);
	return (gzip_decide(&conf, meth, &r, rb));
}

#define HTML	"Content-Type: text/html\r\n"

START_TEST(decision_rules)
{
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Content-Length: 300\r\n"),
	    GZIP_YES);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML), GZIP_YES);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Transfer-Encoding: "
	    "chunked\r\n"), GZIP_YES);
	ck_assert_int_eq(decide(HTTP_M_HEAD, 200, HTML "Content-Length: "
	    "300\r\n"), GZIP_YES);
	ck_assert_int_eq(decide(HTTP_M_POST, 404, HTML "Content-Length: "
	    "300\r\n"), GZIP_YES);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Content-Length: 255\r\n"),
	    GZIP_SHORT);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Content-Length: 256\r\n"),
	    GZIP_YES);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Content-Length: 0\r\n"),
	    GZIP_SHORT);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, "Content-Type: text/plain\r\n"),
	    GZIP_TYPE);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, "Content-Length: 900\r\n"),
	    GZIP_TYPE);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Content-Encoding: "
	    "gzip\r\n"), GZIP_ENCODED);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Content-Encoding: "
	    "br\r\n"), GZIP_ENCODED);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Transfer-Encoding: "
	    "gzip, chunked\r\n"), GZIP_ENCODED);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Cache-Control: "
	    "public, no-transform\r\n"), GZIP_NO_TRANSFORM);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Cache-Control: "
	    "No-Transform\r\n"), GZIP_NO_TRANSFORM);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Cache-Control: "
	    "no-transformx\r\n"), GZIP_YES);
	ck_assert_int_eq(decide(HTTP_M_GET, 206, HTML "Content-Range: "
	    "bytes 0-9/900\r\n"), GZIP_STATUS);
	ck_assert_int_eq(decide(HTTP_M_GET, 200, HTML "Content-Range: "
	    "bytes 0-9/900\r\n"), GZIP_RANGE);
	ck_assert_int_eq(decide(HTTP_M_GET, 204, HTML), GZIP_STATUS);
	ck_assert_int_eq(decide(HTTP_M_GET, 304, HTML), GZIP_STATUS);
	ck_assert_int_eq(decide(HTTP_M_OPTIONS, 200, HTML), GZIP_METHOD);
}
END_TEST

/* The head fields of a compressed response, for the fields given. */
static void
head(const char *fields, char *out, size_t cap)
{
	struct outbuf o = { out, cap - 1, 0, 0 };
	int n = snprintf(rb, sizeof(rb), "HTTP/1.1 200 X\r\n%s\r\n", fields);
	int i;

	http_resp_init(&r, 8192);
	ck_assert_int_eq(http_parse_response(&r, rb, (size_t)n), HTTP_OK);
	for (i = 0; i < r.h.nhdr; i++)
		if (!gzip_head_field(&o, &r.h, rb, i)) {
			outbuf_add(&o, rb + r.h.hdr[i].name.off,
			    r.h.hdr[i].name.len);
			outbuf_str(&o, ": ");
			outbuf_add(&o, rb + r.h.hdr[i].value.off,
			    r.h.hdr[i].value.len);
			outbuf_str(&o, "\r\n");
		}
	gzip_head_end(&o, &r.h, rb);
	ck_assert_int_eq(o.overflow, 0);
	out[o.len] = '\0';
}

START_TEST(compressed_head)
{
	char h[1024];

	head("Content-Length: 900\r\nETag: \"abc\"\r\n", h, sizeof(h));
	ck_assert_str_eq(h, "ETag: W/\"abc\"\r\nContent-Encoding: gzip\r\n"
	    "Vary: Accept-Encoding\r\n");
	head("ETag: W/\"abc\"\r\nVary: Cookie\r\n", h, sizeof(h));
	ck_assert_str_eq(h, "ETag: W/\"abc\"\r\nVary: Cookie, "
	    "Accept-Encoding\r\nContent-Encoding: gzip\r\n");
	head("Vary: Cookie\r\nVary: accept-encoding\r\n", h, sizeof(h));
	ck_assert_str_eq(h, "Vary: Cookie\r\nVary: accept-encoding\r\n"
	    "Content-Encoding: gzip\r\n");
	head("Vary: *\r\n", h, sizeof(h));
	ck_assert_str_eq(h, "Vary: *\r\nContent-Encoding: gzip\r\n");
	head("Vary: A\r\nVary: B\r\n", h, sizeof(h));
	ck_assert_str_eq(h, "Vary: A, Accept-Encoding\r\nVary: B\r\n"
	    "Content-Encoding: gzip\r\n");
	/* an ETag porter cannot read is left alone */
	head("ETag: abc\r\n", h, sizeof(h));
	ck_assert_str_eq(h, "ETag: abc\r\nContent-Encoding: gzip\r\n"
	    "Vary: Accept-Encoding\r\n");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("gzip");
	TCase *tc = tcase_create("gzip");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, zlib_agrees);
	tcase_add_test(tc, out_fails_and_bad_data);
	tcase_add_test(tc, accept_encoding);
	tcase_add_test(tc, type_matching);
	tcase_add_test(tc, decision_rules);
	tcase_add_test(tc, compressed_head);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? 0 : 1);
}
