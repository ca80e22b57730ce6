/*
 * Unit tests for worker/rewrite.c: the heads porter sends on. Each test
 * builds the least of a worker and a connection that rewriting reads (a
 * configuration, obuf, the Via text, the client's address and parsed
 * request) and looks at the bytes written.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/outbuf.h"
#include "worker/rewrite.h"

#define OCAP	8192

struct fix {
	struct cfg	 cfg;
	struct worker	 w;
	struct conn	 c;
	struct cfg_route rt;
	char		 obuf[OCAP];
	char		 in[4096];	/* the client's or backend's bytes */
	char		 out[OCAP + 1];	/* what porter wrote, NUL-ended */
};

static struct fix f;

static void
setup(void)
{
	memset(&f, 0, sizeof(f));
	f.w.cfg = &f.cfg;
	f.w.obuf = f.obuf;
	f.w.ocap = sizeof(f.obuf);
	strcpy(f.w.via10, "1.0 porter-t");
	strcpy(f.w.via11, "1.1 porter-t");
	f.c.w = &f.w;
	f.c.buf = f.in;
	strcpy(f.c.peer, "192.0.2.7");
	f.rt.path = "/";
	f.rt.host = "*";
}

/* Parse s as the client's request and rewrite it for the backend. */
static const char *
request(const char *s)
{
	size_t n;

	ck_assert_uint_lt(strlen(s), sizeof(f.in));
	strcpy(f.in, s);
	http_req_init(&f.c.req, 8192, 4096);
	ck_assert_int_eq(http_parse_request(&f.c.req, f.in, strlen(s)),
	    HTTP_OK);
	n = rewrite_request(&f.c, &f.rt, "fallback");
	ck_assert_uint_gt(n, 0);
	memcpy(f.out, f.obuf, n);
	f.out[n] = '\0';
	return (f.out);
}

/* Parse s as a backend's response head, for rewrite_response or _interim. */
static void
response(struct http_resp *r, const char *s)
{
	ck_assert_uint_lt(strlen(s), sizeof(f.in));
	strcpy(f.in, s);
	http_resp_init(r, 8192);
	ck_assert_int_eq(http_parse_response(r, f.in, strlen(s)), HTTP_OK);
}

static const char *
written(size_t n)
{
	ck_assert_uint_gt(n, 0);
	memcpy(f.out, f.obuf, n);
	f.out[n] = '\0';
	return (f.out);
}

/* How many lines of head h are field name (any case). */
static int
nfield(const char *h, const char *name)
{
	size_t nl = strlen(name);
	const char *p;
	int n = 0;

	for (p = strstr(h, "\r\n"); p != NULL; p = strstr(p, "\r\n")) {
		p += 2;
		if (strncasecmp(p, name, nl) == 0 && p[nl] == ':')
			n++;
	}
	return (n);
}

/* Whether head h has the line "line\r\n" (exactly, after a line end). */
static int
hasline(const char *h, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\r\n%s\r\n", line);
	return (strstr(h, want) != NULL);
}

START_TEST(underscores_dropped)
{
	const char *o;

	o = request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n"
	    "Content_Length: 10\r\nTransfer_Encoding: chunked\r\n"
	    "X_Any: 1\r\nX-Fine: 2\r\n\r\n");
	ck_assert_int_eq(nfield(o, "Content_Length"), 0);
	ck_assert_int_eq(nfield(o, "Transfer_Encoding"), 0);
	ck_assert_int_eq(nfield(o, "X_Any"), 0);
	ck_assert(hasline(o, "X-Fine: 2"));
	ck_assert(hasline(o, "Content-Length: 3"));

	f.cfg.underscores_in_headers = 1;
	o = request("GET / HTTP/1.1\r\nHost: a\r\nX_Any: 1\r\n\r\n");
	ck_assert(hasline(o, "X_Any: 1"));
}
END_TEST

/*
 * "Host:" with an empty value is a Host (RFC 9110 7.2): passed on once,
 * never with a second one added (found by t/fuzz's roundtrip harness).
 */
START_TEST(empty_host_once)
{
	const char *o;

	o = request("GET / HTTP/1.1\r\nHost:\r\n\r\n");
	ck_assert_int_eq(nfield(o, "Host"), 1);
	o = request("GET / HTTP/1.0\r\n\r\n");
	ck_assert_int_eq(nfield(o, "Host"), 1);
	ck_assert(hasline(o, "Host: fallback"));
}
END_TEST

/* outbuf_u64: the Content-Length digits, and the overflow rule. */
START_TEST(outbuf_decimal)
{
	static const struct { uint64_t v; const char *s; } t[] = {
		{ 0, "0" }, { 9, "9" }, { 10, "10" }, { 1024, "1024" },
		{ 4294967296ULL, "4294967296" },
		{ 18446744073709551615ULL, "18446744073709551615" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct outbuf o = { buf, sizeof(buf) - 1, 0, 0 };

		outbuf_str(&o, "n=");
		outbuf_u64(&o, t[i].v);
		ck_assert_int_eq(o.overflow, 0);
		buf[o.len] = '\0';
		ck_assert_str_eq(buf + 2, t[i].s);
	}
	{
		struct outbuf o = { buf, 3, 0, 0 };

		outbuf_u64(&o, 1234);
		ck_assert_int_eq(o.overflow, 1);
		ck_assert_uint_eq(o.len, 0);
	}
}
END_TEST

/* outbuf_i64: a stale entry's negative ttl, and the extremes. */
START_TEST(outbuf_signed)
{
	static const struct { int64_t v; const char *s; } t[] = {
		{ 0, "0" }, { 7, "7" }, { -1, "-1" }, { -86400, "-86400" },
		{ INT64_MAX, "9223372036854775807" },
		{ INT64_MIN, "-9223372036854775808" },
	};
	char buf[32];
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct outbuf o = { buf, sizeof(buf) - 1, 0, 0 };

		outbuf_i64(&o, t[i].v);
		ck_assert_int_eq(o.overflow, 0);
		buf[o.len] = '\0';
		ck_assert_str_eq(buf, t[i].s);
	}
}
END_TEST

START_TEST(content_length_once)
{
	const char *o;

	o = request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
	    "X: y\r\ncontent-length: 5\r\n\r\n");
	ck_assert_int_eq(nfield(o, "Content-Length"), 1);
	ck_assert(hasline(o, "Content-Length: 5"));
	o = request("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 005\r\n"
	    "\r\n");
	ck_assert_int_eq(nfield(o, "Content-Length"), 1);
	ck_assert(hasline(o, "Content-Length: 5"));
	o = request("GET / HTTP/1.1\r\nHost: a\r\n\r\n");
	ck_assert_int_eq(nfield(o, "Content-Length"), 0);
}
END_TEST

/* What the client names in Connection is gone before porter adds its own. */
START_TEST(connection_listed_request)
{
	static struct cfg_hdr_set set[] = { { "X-Set", "rule" } };
	const char *o;

	f.rt.set_request_headers = set;
	f.rt.nset_request_headers = 1;
	o = request("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: X-Forwarded-For, via, Forwarded, X-Set, X-Other\r\n"
	    "X-Forwarded-For: 10.6.6.6\r\nVia: 1.1 evil\r\n"
	    "Forwarded: for=10.6.6.6\r\nX-Set: client\r\nX-Other: 1\r\n"
	    "X-Kept: 1\r\n\r\n");
	ck_assert_int_eq(nfield(o, "X-Forwarded-For"), 1);
	ck_assert(hasline(o, "X-Forwarded-For: 192.0.2.7"));
	ck_assert_int_eq(nfield(o, "Via"), 1);
	ck_assert(hasline(o, "Via: 1.1 porter-t"));
	ck_assert_int_eq(nfield(o, "Forwarded"), 0);
	ck_assert_int_eq(nfield(o, "X-Set"), 1);
	ck_assert(hasline(o, "X-Set: rule"));
	ck_assert_int_eq(nfield(o, "X-Other"), 0);
	ck_assert_int_eq(nfield(o, "Connection"), 0);
	ck_assert(hasline(o, "X-Kept: 1"));
	ck_assert(strstr(o, "10.6.6.6") == NULL);
	ck_assert(strstr(o, "evil") == NULL);

	/* not named: the client's chain goes on, porter appends */
	o = request("GET / HTTP/1.1\r\nHost: a\r\n"
	    "X-Forwarded-For: 10.1.1.1\r\nVia: 1.1 front\r\n\r\n");
	ck_assert(hasline(o, "X-Forwarded-For: 10.1.1.1, 192.0.2.7"));
	ck_assert(hasline(o, "Via: 1.1 front, 1.1 porter-t"));
}
END_TEST

/* Forward mode without forwarded_for passes the client's own: not these. */
START_TEST(connection_listed_forward)
{
	struct cfg_forward fwd;
	const char *o;

	memset(&fwd, 0, sizeof(fwd));
	f.c.fwd = &fwd;
	o = request("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "Connection: X-Forwarded-For, Via\r\n"
	    "X-Forwarded-For: 10.6.6.6\r\nVia: 1.1 evil\r\n\r\n");
	ck_assert_int_eq(nfield(o, "X-Forwarded-For"), 0);
	ck_assert_int_eq(nfield(o, "Via"), 0);
	o = request("GET http://h/ HTTP/1.1\r\nHost: h\r\n"
	    "X-Forwarded-For: 10.1.1.1\r\n\r\n");
	ck_assert(hasline(o, "X-Forwarded-For: 10.1.1.1"));
}
END_TEST

START_TEST(response_te_and_cl)
{
	struct http_resp r;
	const char *o;

	http_req_init(&f.c.req, 8192, 4096);
	f.c.req.h.version = 11;
	response(&r, "HTTP/1.1 200 OK\r\nContent-Length: 99\r\n"
	    "Transfer-Encoding: chunked\r\nX: y\r\n\r\n");
	o = written(rewrite_response(&f.c, &f.rt, &r, f.in, REWRITE_TE_KEEP,
	    1));
	ck_assert_int_eq(nfield(o, "Content-Length"), 0);
	ck_assert(hasline(o, "Transfer-Encoding: chunked"));
	ck_assert(hasline(o, "X: y"));
	/* de-chunked for a 1.0 client: no framing field at all */
	o = written(rewrite_response(&f.c, &f.rt, &r, f.in, 0, 0));
	ck_assert_int_eq(nfield(o, "Content-Length"), 0);
	ck_assert_int_eq(nfield(o, "Transfer-Encoding"), 0);
	/* a repeated length goes on once */
	response(&r, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n"
	    "Content-Length: 2\r\n\r\n");
	o = written(rewrite_response(&f.c, &f.rt, &r, f.in, 0, 1));
	ck_assert_int_eq(nfield(o, "Content-Length"), 1);
	ck_assert(hasline(o, "Content-Length: 2"));
}
END_TEST

/* A body framed by the close, chunked by porter for a 1.1 client. */
START_TEST(response_rechunked)
{
	struct http_resp r;
	const char *o;

	http_req_init(&f.c.req, 8192, 4096);
	f.c.req.h.version = 11;
	response(&r, "HTTP/1.0 200 OK\r\nX: y\r\n\r\n");
	o = written(rewrite_response(&f.c, &f.rt, &r, f.in, REWRITE_TE_CHUNK,
	    1));
	ck_assert_int_eq(nfield(o, "Transfer-Encoding"), 1);
	ck_assert(hasline(o, "Transfer-Encoding: chunked"));
	ck_assert_int_eq(nfield(o, "Connection"), 0);
	ck_assert(hasline(o, "X: y"));
}
END_TEST

START_TEST(interim_hop_by_hop)
{
	struct http_resp r;
	const char *o;

	response(&r, "HTTP/1.1 103 Early Hints\r\nConnection: X-A, close\r\n"
	    "X-A: secret\r\nKeep-Alive: timeout=5\r\nTrailer: X\r\n"
	    "Link: </s.css>; rel=preload\r\n\r\n");
	o = written(rewrite_interim(&f.c, &r, f.in));
	ck_assert(strncmp(o, "HTTP/1.1 103 Early Hints\r\n", 26) == 0);
	ck_assert_int_eq(nfield(o, "Connection"), 0);
	ck_assert_int_eq(nfield(o, "X-A"), 0);
	ck_assert_int_eq(nfield(o, "Keep-Alive"), 0);
	ck_assert_int_eq(nfield(o, "Trailer"), 0);
	ck_assert(hasline(o, "Link: </s.css>; rel=preload"));
	ck_assert(strcmp(o + strlen(o) - 4, "\r\n\r\n") == 0);
	/* one that does not fit in obuf: 0, nothing half-written is used */
	f.w.ocap = 20;
	ck_assert_uint_eq(rewrite_interim(&f.c, &r, f.in), 0);
}
END_TEST

static Suite *
rewrite_suite(void)
{
	Suite	*s = suite_create("rewrite");
	TCase	*tc = tcase_create("heads");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, underscores_dropped);
	tcase_add_test(tc, empty_host_once);
	tcase_add_test(tc, content_length_once);
	tcase_add_test(tc, outbuf_decimal);
	tcase_add_test(tc, outbuf_signed);
	tcase_add_test(tc, connection_listed_request);
	tcase_add_test(tc, connection_listed_forward);
	tcase_add_test(tc, response_te_and_cl);
	tcase_add_test(tc, response_rechunked);
	tcase_add_test(tc, interim_hop_by_hop);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(rewrite_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
