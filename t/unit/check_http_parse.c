/*
 * Unit tests for worker/http_parse.c.
 *
 * Every input is copied into a heap buffer of exactly its size, so the
 * sanitizers catch a parser that reads one byte too far. Tables of bad
 * inputs check the status and the reason, so a message refused for the
 * wrong cause still fails. The split tests feed each input cut at every
 * byte and byte by byte, and want the very same struct as one call gives.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/http_parse.h"

#define MAX_HEAD	8192
#define MAX_URI		4096
#define MAX_LINE	256
#define MAX_TRAILERS	1024

/*
 * Structs are filled with junk before init, as a worker's would be: a
 * parser that reads a field it never wrote gives different answers.
 * Both sides of a comparison get the same junk, so memcmp still works.
 */
#define JUNK		0xa5

/* A string literal and its length, NULs inside included. */
#define S(x)		x, sizeof(x) - 1
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

struct bad {
	const char	*in;
	size_t		 len;
	int		 status;
	const char	*why;
};

/* De-chunked data, as handed to the callback. */
struct sink {
	char		 data[8192];
	size_t		 n;
	int		 fail;	/* -1 once this many bytes came */
};

static char	*tb;			/* the buffer under test */

static const char *
load(const char *s, size_t n)
{
	free(tb);
	tb = malloc(n > 0 ? n : 1);
	ck_assert_ptr_nonnull(tb);
	memcpy(tb, s, n);
	return (tb);
}

static void
teardown(void)
{
	free(tb);
	tb = NULL;
}

/* The input, escaped and cut short, for assertion messages. */
static const char *
show(const char *s, size_t n)
{
	static char	out[200];
	size_t		i, o = 0;
	unsigned char	c;

	for (i = 0; i < n && o < sizeof(out) - 8; i++) {
		c = (unsigned char)s[i];
		if (c == '\r')
			o += snprintf(out + o, sizeof(out) - o, "\\r");
		else if (c == '\n')
			o += snprintf(out + o, sizeof(out) - o, "\\n");
		else if (c < 0x20 || c >= 0x7f)
			o += snprintf(out + o, sizeof(out) - o, "\\x%02x", c);
		else
			out[o++] = (char)c;
	}
	if (i < n)
		o += snprintf(out + o, sizeof(out) - o, "...");
	out[o] = '\0';
	return (out);
}

static enum http_rc
reqn(struct http_req *r, const char *s, size_t n, uint32_t mh, uint32_t mu)
{
	memset(r, JUNK, sizeof(*r));
	http_req_init(r, mh, mu);
	return (http_parse_request(r, load(s, n), n));
}

static enum http_rc
req(struct http_req *r, const char *s)
{
	return (reqn(r, s, strlen(s), MAX_HEAD, MAX_URI));
}

static enum http_rc
respn(struct http_resp *r, const char *s, size_t n, uint32_t mh)
{
	memset(r, JUNK, sizeof(*r));
	http_resp_init(r, mh);
	return (http_parse_response(r, load(s, n), n));
}

static enum http_rc
resp(struct http_resp *r, const char *s)
{
	return (respn(r, s, strlen(s), MAX_HEAD));
}

/* The span, in the buffer under test, is exactly s (case kept). */
static int
is(struct span sp, const char *s)
{
	return (sp.len == strlen(s) && memcmp(tb + sp.off, s, sp.len) == 0);
}

static void
expect_bad_req(const struct bad *t, size_t n)
{
	struct http_req	r;
	enum http_rc	rc;
	size_t		i;

	for (i = 0; i < n; i++) {
		rc = reqn(&r, t[i].in, t[i].len, MAX_HEAD, MAX_URI);
		ck_assert_msg(rc == HTTP_ERROR, "request \"%s\": rc %d, want "
		    "HTTP_ERROR", show(t[i].in, t[i].len), rc);
		ck_assert_msg(r.h.status == t[i].status, "request \"%s\": "
		    "status %d, want %d", show(t[i].in, t[i].len),
		    r.h.status, t[i].status);
		ck_assert_msg(r.h.why != NULL && strcmp(r.h.why, t[i].why) == 0,
		    "request \"%s\": why \"%s\", want \"%s\"",
		    show(t[i].in, t[i].len), r.h.why ? r.h.why : "(null)",
		    t[i].why);
	}
}

static void
expect_bad_resp(const struct bad *t, size_t n)
{
	struct http_resp	r;
	enum http_rc		rc;
	size_t			i;

	for (i = 0; i < n; i++) {
		rc = respn(&r, t[i].in, t[i].len, MAX_HEAD);
		ck_assert_msg(rc == HTTP_ERROR, "response \"%s\": rc %d, want "
		    "HTTP_ERROR", show(t[i].in, t[i].len), rc);
		ck_assert_msg(r.h.status == 502, "response \"%s\": status %d, "
		    "want 502", show(t[i].in, t[i].len), r.h.status);
		ck_assert_msg(r.h.why != NULL && strcmp(r.h.why, t[i].why) == 0,
		    "response \"%s\": why \"%s\", want \"%s\"",
		    show(t[i].in, t[i].len), r.h.why ? r.h.why : "(null)",
		    t[i].why);
	}
}

/*
 * One call on the whole input, then every two-piece split and byte by
 * byte: the struct must come out identical, byte for byte.
 */
static void
split_req(const char *s, size_t n, uint32_t mh, uint32_t mu)
{
	struct http_req	ref, r;
	enum http_rc	want, rc;
	const char	*b = load(s, n);
	size_t		cut;

	memset(&ref, JUNK, sizeof(ref));
	http_req_init(&ref, mh, mu);
	want = http_parse_request(&ref, b, n);
	for (cut = 0; cut <= n; cut++) {
		memset(&r, JUNK, sizeof(r));
		http_req_init(&r, mh, mu);
		rc = http_parse_request(&r, b, cut);
		if (rc == HTTP_AGAIN)
			rc = http_parse_request(&r, b, n);
		ck_assert_msg(rc == want && memcmp(&r, &ref, sizeof(r)) == 0,
		    "request \"%s\" split at %zu: rc %d want %d (%s)",
		    show(s, n), cut, rc, want, r.h.why ? r.h.why : "");
	}
	memset(&r, JUNK, sizeof(r));
	http_req_init(&r, mh, mu);
	for (cut = 0; (rc = http_parse_request(&r, b, cut)) == HTTP_AGAIN &&
	    cut < n; cut++)
		continue;
	ck_assert_msg(rc == want && memcmp(&r, &ref, sizeof(r)) == 0,
	    "request \"%s\" byte by byte: rc %d want %d", show(s, n), rc, want);
}

static void
split_resp(const char *s, size_t n, uint32_t mh)
{
	struct http_resp	ref, r;
	enum http_rc		want, rc;
	const char		*b = load(s, n);
	size_t			cut;

	memset(&ref, JUNK, sizeof(ref));
	http_resp_init(&ref, mh);
	want = http_parse_response(&ref, b, n);
	for (cut = 0; cut <= n; cut++) {
		memset(&r, JUNK, sizeof(r));
		http_resp_init(&r, mh);
		rc = http_parse_response(&r, b, cut);
		if (rc == HTTP_AGAIN)
			rc = http_parse_response(&r, b, n);
		ck_assert_msg(rc == want && memcmp(&r, &ref, sizeof(r)) == 0,
		    "response \"%s\" split at %zu: rc %d want %d",
		    show(s, n), cut, rc, want);
	}
	memset(&r, JUNK, sizeof(r));
	http_resp_init(&r, mh);
	for (cut = 0; (rc = http_parse_response(&r, b, cut)) == HTTP_AGAIN &&
	    cut < n; cut++)
		continue;
	ck_assert_msg(rc == want && memcmp(&r, &ref, sizeof(r)) == 0,
	    "response \"%s\" byte by byte: rc %d want %d", show(s, n), rc,
	    want);
}

static int
sink_cb(void *arg, const char *p, size_t n)
{
	struct sink	*k = arg;

	ck_assert_uint_le(k->n + n, sizeof(k->data));
	memcpy(k->data + k->n, p, n);
	k->n += n;
	if (k->fail > 0 && k->n >= (size_t)k->fail)
		return (-1);
	return (0);
}

/* Scan s in one call; *used and the de-chunked bytes land in k. */
static enum http_rc
chunked(struct http_chunked *ch, const char *s, size_t n, size_t *used,
    struct sink *k, uint32_t ml, uint32_t mt)
{
	memset(ch, JUNK, sizeof(*ch));
	http_chunked_init(ch, ml, mt);
	if (k != NULL)
		memset(k, 0, sizeof(*k));
	return (http_chunked_scan(ch, load(s, n), n, used,
	    k != NULL ? sink_cb : NULL, k));
}

/*
 * Scan the pieces s[0..cut) and s[cut..n), each in its own exact-size
 * buffer; the result must match one call on the whole.
 */
static void
split_chunked(const char *s, size_t n, uint32_t ml, uint32_t mt)
{
	struct http_chunked	 ref, ch;
	struct sink		*kref, *k;
	enum http_rc		 want, rc;
	size_t			 cut, wused, used, u;
	char			*p1, *p2;

	kref = calloc(1, sizeof(*kref));
	k = calloc(1, sizeof(*k));
	ck_assert(kref != NULL && k != NULL);
	want = chunked(&ref, s, n, &wused, kref, ml, mt);
	for (cut = 0; cut <= n; cut++) {
		p1 = malloc(cut > 0 ? cut : 1);
		p2 = malloc(n - cut > 0 ? n - cut : 1);
		ck_assert(p1 != NULL && p2 != NULL);
		memcpy(p1, s, cut);
		memcpy(p2, s + cut, n - cut);
		memset(k, 0, sizeof(*k));
		http_chunked_init(&ch, ml, mt);
		rc = http_chunked_scan(&ch, p1, cut, &used, sink_cb, k);
		if (rc == HTTP_AGAIN) {
			ck_assert_uint_eq(used, cut);
			rc = http_chunked_scan(&ch, p2, n - cut, &u, sink_cb,
			    k);
			used += u;
		}
		ck_assert_msg(rc == want && used == wused &&
		    ch.total == ref.total && k->n == kref->n &&
		    memcmp(k->data, kref->data, k->n) == 0 &&
		    (ch.why == ref.why ||
		    (ch.why && ref.why && strcmp(ch.why, ref.why) == 0)),
		    "chunked \"%s\" split at %zu: rc %d want %d, used %zu "
		    "want %zu", show(s, n), cut, rc, want, used, wused);
		free(p1);
		free(p2);
	}
	/* byte by byte */
	memset(k, 0, sizeof(*k));
	http_chunked_init(&ch, ml, mt);
	for (cut = 0, used = 0, rc = HTTP_AGAIN; cut < n && rc == HTTP_AGAIN;
	    cut++) {
		p1 = malloc(1);
		ck_assert(p1 != NULL);
		p1[0] = s[cut];
		rc = http_chunked_scan(&ch, p1, 1, &u, sink_cb, k);
		used += u;
		free(p1);
	}
	ck_assert_msg(rc == want && used == wused && ch.total == ref.total &&
	    k->n == kref->n && memcmp(k->data, kref->data, k->n) == 0,
	    "chunked \"%s\" byte by byte: rc %d want %d", show(s, n), rc,
	    want);
	free(kref);
	free(k);
}

/* ---- request line ---- */

START_TEST(req_simple_get)
{
	struct http_req	r;
	const char	*s = "GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\n"
			    "Accept: */*\r\n\r\n";

	ck_assert_int_eq(req(&r, s), HTTP_OK);
	ck_assert(is(r.method, "GET"));
	ck_assert_int_eq(r.meth, HTTP_M_GET);
	ck_assert(is(r.target, "/a/b?c=d"));
	ck_assert_int_eq(r.h.version, 11);
	ck_assert(is(r.host, "example.com"));
	ck_assert_int_eq(r.h.nhdr, 2);
	ck_assert_int_eq(r.h.hdr[0].id, HH_HOST);
	ck_assert_int_eq(r.h.hdr[1].id, HH_OTHER);
	ck_assert(is(r.h.hdr[1].name, "Accept"));
	ck_assert(is(r.h.hdr[1].value, "*/*"));
	ck_assert_uint_eq(r.h.head_len, strlen(s));
	ck_assert_int_eq(r.h.content_length, -1);
	ck_assert_int_eq(http_req_body(&r), HTTP_BODY_NONE);
}
END_TEST

START_TEST(req_methods)
{
	static const struct {
		const char	*m;
		int		 meth;
	} t[] = {
		{ "GET", HTTP_M_GET }, { "HEAD", HTTP_M_HEAD },
		{ "POST", HTTP_M_POST }, { "PUT", HTTP_M_PUT },
		{ "DELETE", HTTP_M_DELETE }, { "OPTIONS", HTTP_M_OPTIONS },
		{ "TRACE", HTTP_M_TRACE }, { "CONNECT", HTTP_M_CONNECT },
		{ "PATCH", HTTP_M_PATCH }, { "get", HTTP_M_OTHER },
		{ "Get", HTTP_M_OTHER }, { "PURGE", HTTP_M_OTHER },
		{ "M-SEARCH", HTTP_M_OTHER }, { "GETS", HTTP_M_OTHER },
	};
	struct http_req	r;
	char		s[128];
	size_t		i;

	for (i = 0; i < NELEM(t); i++) {
		snprintf(s, sizeof(s), "%s / HTTP/1.1\r\nHost: a\r\n\r\n",
		    t[i].m);
		ck_assert_msg(req(&r, s) == HTTP_OK, "%s refused", t[i].m);
		ck_assert_msg(r.meth == t[i].meth, "%s: meth %d, want %d",
		    t[i].m, r.meth, t[i].meth);
		ck_assert(is(r.method, t[i].m));
	}
}
END_TEST

START_TEST(req_http10)
{
	struct http_req	r;

	ck_assert_int_eq(req(&r, "GET / HTTP/1.0\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.version, 10);
	ck_assert_uint_eq(r.host.len, 0);
	ck_assert_int_eq(req(&r, "GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
	    "Expect: 100-continue\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.conn, HTTP_CONN_KEEPALIVE);
	ck_assert_msg(r.expect_continue == 0,
	    "Expect: 100-continue honoured in HTTP/1.0");
	ck_assert_int_eq(req(&r, "POST / HTTP/1.0\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 400);
	ck_assert_str_eq(r.h.why, "Transfer-Encoding in HTTP/1.0");
}
END_TEST

START_TEST(req_bad_request_line)
{
	static const struct bad t[] = {
		{ S("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "empty request target" },
		{ S("GET /  HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "bad HTTP version" },
		{ S("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"), 400,
		    "bad HTTP version" },
		{ S("GET / HTTP/1.1x\r\nHost: a\r\n\r\n"), 400,
		    "bad HTTP version" },
		{ S("GET / http/1.1\r\nHost: a\r\n\r\n"), 400,
		    "bad HTTP version" },
		{ S("GET / HTTP/1.10\r\nHost: a\r\n\r\n"), 400,
		    "bad HTTP version" },
		{ S("GET / HTTP/11\r\nHost: a\r\n\r\n"), 400,
		    "bad HTTP version" },
		{ S("GET / \r\nHost: a\r\n\r\n"), 400, "bad HTTP version" },
		{ S("GET /\r\nHost: a\r\n\r\n"), 400, "bad request target" },
		{ S("GET\r\n\r\n"), 400, "bad method" },
		{ S("GE(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "bad method" },
		{ S("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "bad method" },
		{ S(" GET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "bad request line" },
		{ S("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "bad request target" },
		{ S("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "bad request target" },
		{ S("GET /caf\xc3\xa9 HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "bad request target" },
		{ S("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "bad request target" },
		{ S("\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"),
		    400,
		    "too many empty lines" },
		{ S("\n\n\n\n\n\n\n\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "too many empty lines" },
	};

	expect_bad_req(t, NELEM(t));
}
END_TEST

/* RFC 9112 3.2.4: "*" is a target only for OPTIONS. */
START_TEST(req_asterisk_form)
{
	static const struct bad t[] = {
		{ S("GET * HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "asterisk form without OPTIONS" },
		{ S("HEAD * HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "asterisk form without OPTIONS" },
		{ S("POST * HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n"
		    "\r\n"), 400, "asterisk form without OPTIONS" },
		{ S("options * HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "asterisk form without OPTIONS" },
		{ S("BREW * HTTP/1.0\r\n\r\n"), 400,
		    "asterisk form without OPTIONS" },
	};
	struct http_req	r;

	expect_bad_req(t, NELEM(t));
	ck_assert_int_eq(req(&r, "OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"),
	    HTTP_OK);
	ck_assert_int_eq(r.meth, HTTP_M_OPTIONS);
	ck_assert(is(r.target, "*"));
	/* only a target of just "*" is the asterisk form */
	ck_assert_int_eq(req(&r, "GET /* HTTP/1.1\r\nHost: a\r\n\r\n"),
	    HTTP_OK);
	ck_assert_int_eq(req(&r, "GET ** HTTP/1.1\r\nHost: a\r\n\r\n"),
	    HTTP_OK);
	split_req(S("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"), MAX_HEAD,
	    MAX_URI);
}
END_TEST

/*
 * An absolute-form target's authority replaces Host (RFC 9112 3.2.2): it
 * is held to what a Host may be, and userinfo is refused (found by
 * t/fuzz's roundtrip harness: "http://@h/" went out as "Host: @h").
 */
START_TEST(req_absolute_host)
{
	static const struct bad t[] = {
		{ S("GET http://@h/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400,
		    "bad host in the request target" },
		{ S("GET http://user:pw@h/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400,
		    "bad host in the request target" },
		{ S("GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n"), 400,
		    "bad host in the request target" },
		{ S("GET HTTP://h\"/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400,
		    "bad host in the request target" },
	};
	struct http_req	r;

	expect_bad_req(t, NELEM(t));
	ck_assert_int_eq(req(&r, "GET http://h:81/p?q HTTP/1.1\r\nHost: h\r\n"
	    "\r\n"), HTTP_OK);
	ck_assert_int_eq(req(&r, "GET http://[::1]:81?q HTTP/1.1\r\n"
	    "Host: h\r\n\r\n"), HTTP_OK);
	/* not absolute form: a path may hold "@" */
	ck_assert_int_eq(req(&r, "GET /a@b HTTP/1.1\r\nHost: h\r\n\r\n"),
	    HTTP_OK);
}
END_TEST

START_TEST(req_version_505)
{
	static const struct bad t[] = {
		{ S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505,
		    "unsupported HTTP version" },
		{ S("GET / HTTP/1.2\r\nHost: a\r\n\r\n"), 505,
		    "unsupported HTTP version" },
		{ S("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505,
		    "unsupported HTTP version" },
		{ S("GET / HTTP/9.9\n\n"), 505, "unsupported HTTP version" },
	};

	expect_bad_req(t, NELEM(t));
}
END_TEST

START_TEST(req_uri_414)
{
	struct http_req	r;
	const char	*ok = "GET /123456789 HTTP/1.1\r\nHost: a\r\n\r\n";
	const char	*big = "GET /1234567890 HTTP/1.1\r\nHost: a\r\n\r\n";

	/* a target of exactly max_uri bytes is fine */
	ck_assert_int_eq(reqn(&r, ok, strlen(ok), MAX_HEAD, 10), HTTP_OK);
	ck_assert_uint_eq(r.target.len, 10);
	ck_assert_int_eq(reqn(&r, big, strlen(big), MAX_HEAD, 10),
	    HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 414);
	/* refused as soon as byte max_uri + 1 arrives, no SP needed */
	ck_assert_int_eq(reqn(&r, big, 14, MAX_HEAD, 10), HTTP_AGAIN);
	ck_assert_int_eq(reqn(&r, big, 15, MAX_HEAD, 10), HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 414);
	ck_assert_str_eq(r.h.why, "request target too long");
}
END_TEST

START_TEST(req_head_431)
{
	struct http_req	r;
	const char	*s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	const char	*open = "GET / HTTP/1.1\r\nHost: a\r\nX-Long: aaaaaaa"
			    "aaaaa"
			    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
	size_t		n = strlen(s);

	ck_assert_int_eq(reqn(&r, s, n, n, MAX_URI), HTTP_OK);
	ck_assert_int_eq(reqn(&r, s, n, n - 1, MAX_URI), HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 431);
	ck_assert_str_eq(r.h.why, "head too large");
	/* no end of head by max_head: refused without waiting for more */
	ck_assert_int_eq(reqn(&r, open, 63, 64, MAX_URI), HTTP_AGAIN);
	ck_assert_int_eq(reqn(&r, open, 64, 64, MAX_URI), HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 431);
	/* also while still in the request line */
	ck_assert_int_eq(reqn(&r, open, 10, 10, MAX_URI), HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 431);
}
END_TEST

START_TEST(req_too_many_fields_431)
{
	struct http_req	r;
	char		s[4096];
	size_t		o;
	int		i;

	o = snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 1; i < HTTP_MAX_HEADERS; i++)
		o += snprintf(s + o, sizeof(s) - o, "X-%d: v\r\n", i);
	snprintf(s + o, sizeof(s) - o, "\r\n");
	ck_assert_int_eq(req(&r, s), HTTP_OK);
	ck_assert_int_eq(r.h.nhdr, HTTP_MAX_HEADERS);
	o += snprintf(s + o, sizeof(s) - o, "X-last: v\r\n\r\n");
	ck_assert_int_eq(req(&r, s), HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 431);
	ck_assert_str_eq(r.h.why, "too many header fields");
}
END_TEST

START_TEST(req_leading_empty_lines)
{
	struct http_req	r;
	const char	*s = "\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";

	ck_assert_int_eq(req(&r, s), HTTP_OK);
	ck_assert_uint_eq(r.method.off, 3);
	ck_assert_uint_eq(r.h.head_len, strlen(s));
	ck_assert_int_eq(req(&r, "\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a"
	    "\r\n\r\n"), HTTP_OK);
}
END_TEST

START_TEST(req_bare_lf)
{
	struct http_req	r;
	const char	*s = "GET / HTTP/1.1\nHost: a\nX-A:  b \n\n";

	ck_assert_int_eq(req(&r, s), HTTP_OK);
	ck_assert_uint_eq(r.h.head_len, strlen(s));
	ck_assert(is(r.h.hdr[1].value, "b"));
	ck_assert_int_eq(req(&r, "GET / HTTP/1.1\r\nHost: a\n\r\n"), HTTP_OK);
}
END_TEST

START_TEST(req_bare_cr)
{
	static const struct bad t[] = {
		{ S("\rGET / HTTP/1.1\r\nHost: a\r\n\r\n"), 400, "bare CR" },
		{ S("GET / HTTP/1.1\rHost: a\r\n\r\n"), 400, "bare CR" },
		{ S("GET / HTTP/1.1\r\nHost: a\rX: b\r\n\r\n"),
		    400, "bare CR" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\r\n\r\n"), 400,
		    "bare CR" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\n\rX"), 400, "bare CR" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX\r: b\r\n\r\n"), 400,
		    "field without colon" },
		{ S("GET /\r HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "bad request target" },
	};

	expect_bad_req(t, NELEM(t));
}
END_TEST

START_TEST(req_nul)
{
	static const struct bad t[] = {
		{ S("\0GET / HTTP/1.1\r\nHost: a\r\n\r\n"),
		    400, "NUL in head" },
		{ S("GE\0T / HTTP/1.1\r\nHost: a\r\n\r\n"),
		    400, "NUL in head" },
		{ S("GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n"), 400,
		    "NUL in head" },
		{ S("GET / HTTP/1.1\0\r\nHost: a\r\n\r\n"),
		    400, "NUL in head" },
		{ S("GET / HTTP/1.1\r\nHo\0st: a\r\n\r\n"),
		    400, "NUL in head" },
		{ S("GET / HTTP/1.1\r\nHost: a\0\r\n\r\n"),
		    400, "NUL in head" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\n\0\r\n"),
		    400, "NUL in head" },
	};

	expect_bad_req(t, NELEM(t));
}
END_TEST

/* ---- fields ---- */

START_TEST(req_bad_fields)
{
	static const struct bad t[] = {
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX-A : b\r\n\r\n"), 400,
		    "space before colon" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX-A\t: b\r\n\r\n"), 400,
		    "space before colon" },
		{ S("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n"), 400,
		    "space before colon" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n c\r\n\r\n"), 400,
		    "obs-fold" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b\r\n\tc\r\n\r\n"), 400,
		    "obs-fold" },
		{ S("GET / HTTP/1.1\r\n Host: a\r\n\r\n"), 400,
		    "whitespace before first field" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n"), 400,
		    "field without colon" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\n: empty\r\n\r\n"), 400,
		    "bad field name" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX(y): 1\r\n\r\n"), 400,
		    "bad field name" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX-\xc3\xa9: 1\r\n\r\n"), 400,
		    "bad field name" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX: a\x01z\r\n\r\n"), 400,
		    "bad byte in field value" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX: a\x7fz\r\n\r\n"), 400,
		    "bad byte in field value" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX: \x1b[0m\r\n\r\n"), 400,
		    "bad byte in field value" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX: a\x0b\r\n\r\n"), 400,
		    "bad byte in field value" },
	};

	expect_bad_req(t, NELEM(t));
}
END_TEST

/*
 * The value and target scanners look at eight bytes at a time: put each
 * byte worth a second look at every offset of a long value or target.
 */
START_TEST(req_byte_every_position)
{
	static const struct {
		unsigned char	 c;
		int		 value_ok, target_ok;
	} t[] = {
		{ 0x00, 0, 0 }, { 0x01, 0, 0 }, { 0x09, 1, 0 }, { 0x0b, 0, 0 },
		{ 0x1f, 0, 0 }, { 0x20, 1, 0 }, { 0x21, 1, 1 }, { 0x7e, 1, 1 },
		{ 0x7f, 0, 0 }, { 0x80, 1, 0 }, { 0xff, 1, 0 },
	};
	struct http_req	r;
	char		s[256];
	size_t		i, pos, n, at;
	enum http_rc	rc;

	for (i = 0; i < NELEM(t); i++) {
		for (pos = 0; pos < 24; pos++) {
			n = snprintf(s, sizeof(s), "GET / HTTP/1.1\r\n"
			    "Host: a\r\nX: v%s\r\n\r\n",
			    "abcdefghijklmnopqrstuvwxyz");
			at = strlen("GET / HTTP/1.1\r\nHost: a\r\nX: v") + pos;
			s[at] = (char)t[i].c;
			rc = reqn(&r, s, n, MAX_HEAD, MAX_URI);
			ck_assert_msg((rc == HTTP_OK) == t[i].value_ok,
			    "byte 0x%02x at value offset %zu: rc %d (%s)",
			    t[i].c, pos + 1, rc, r.h.why ? r.h.why : "");
			if (rc == HTTP_OK)
				ck_assert_uint_eq(r.h.hdr[1].value.len, 27);

			n = snprintf(s, sizeof(s), "GET /%s HTTP/1.1\r\n"
			    "Host: a\r\n\r\n", "abcdefghijklmnopqrstuvwxyz");
			at = strlen("GET /") + pos;
			s[at] = (char)t[i].c;
			rc = reqn(&r, s, n, MAX_HEAD, MAX_URI);
			ck_assert_msg((rc == HTTP_OK) == t[i].target_ok,
			    "byte 0x%02x at target offset %zu: rc %d (%s)",
			    t[i].c, pos + 1, rc, r.h.why ? r.h.why : "");
		}
	}
}
END_TEST

START_TEST(req_value_trim)
{
	struct http_req	r;

	ck_assert_int_eq(req(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "X-A: \t a \t b \t \r\nX-B:\r\nX-C: \t \r\nX-D:v\r\n"
	    "X-E: caf\xc3\xa9\r\n\r\n"), HTTP_OK);
	ck_assert(is(r.h.hdr[1].value, "a \t b"));
	ck_assert_uint_eq(r.h.hdr[2].value.len, 0);
	ck_assert_uint_eq(r.h.hdr[3].value.len, 0);
	ck_assert(is(r.h.hdr[4].value, "v"));
	ck_assert(is(r.h.hdr[5].value, "caf\xc3\xa9"));
	ck_assert(is(r.h.hdr[1].name, "X-A"));
}
END_TEST

START_TEST(req_header_ids)
{
	static const struct {
		const char	*name;
		int		 id;
	} t[] = {
		{ "hOST", HH_HOST }, { "content-LENGTH", HH_CONTENT_LENGTH },
		{ "CONNECTION", HH_CONNECTION },
		{ "Keep-Alive", HH_KEEP_ALIVE },
		{ "Proxy-Connection", HH_PROXY_CONNECTION }, { "te", HH_TE },
		{ "Trailer", HH_TRAILER }, { "Upgrade", HH_UPGRADE },
		{ "Expect", HH_EXPECT }, { "VIA", HH_VIA },
		{ "X-Forwarded-For", HH_X_FORWARDED_FOR },
		{ "x-forwarded-proto", HH_X_FORWARDED_PROTO },
		{ "X-Forwarded-Host", HH_X_FORWARDED_HOST },
		{ "Proxy-Authorization", HH_PROXY_AUTHORIZATION },
		{ "Proxy-Authenticate", HH_PROXY_AUTHENTICATE },
		{ "Hosts", HH_OTHER }, { "Hos", HH_OTHER }, { "T", HH_OTHER },
		{ "X-Forwarded-Fo", HH_OTHER }, { "Content-Type", HH_OTHER },
	};
	struct http_req	r;
	char		s[2048];
	size_t		i, o;

	o = snprintf(s, sizeof(s), "GET / HTTP/1.1\r\n");
	for (i = 0; i < NELEM(t); i++)
		o += snprintf(s + o, sizeof(s) - o, "%s: 0\r\n", t[i].name);
	snprintf(s + o, sizeof(s) - o, "\r\n");
	ck_assert_int_eq(req(&r, s), HTTP_OK);
	ck_assert_int_eq(r.h.nhdr, (int)NELEM(t));
	for (i = 0; i < NELEM(t); i++)
		ck_assert_msg(r.h.hdr[i].id == t[i].id, "%s: id %d, want %d",
		    t[i].name, r.h.hdr[i].id, t[i].id);
	ck_assert_int_eq(req(&r, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "TRANSFER-encoding: chunked\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.hdr[1].id, HH_TRANSFER_ENCODING);
}
END_TEST

START_TEST(req_host)
{
	static const struct bad t[] = {
		{ S("GET / HTTP/1.1\r\n\r\n"), 400, "missing Host" },
		{ S("GET / HTTP/1.1\r\nX: y\r\n\r\n"), 400, "missing Host" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400,
		    "duplicate Host" },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n"), 400,
		    "duplicate Host" },
		{ S("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400,
		    "duplicate Host" },
		{ S("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400, "bad Host" },
		{ S("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n"), 400, "bad Host" },
		{ S("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"), 400, "bad Host" },
	};
	struct http_req	r;

	expect_bad_req(t, NELEM(t));
	ck_assert_int_eq(req(&r, "GET / HTTP/1.1\r\nHost:  [::1]:8080 \r\n"
	    "\r\n"), HTTP_OK);
	ck_assert(is(r.host, "[::1]:8080"));
	/* RFC 9110 7.2: empty when the target has no authority */
	ck_assert_int_eq(req(&r, "OPTIONS * HTTP/1.1\r\nHost:\r\n\r\n"),
	    HTTP_OK);
	ck_assert_uint_eq(r.host.len, 0);
	ck_assert(is(r.target, "*"));
}
END_TEST

START_TEST(req_content_length)
{
	struct http_req	r;

	ck_assert_int_eq(req(&r, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 42\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.content_length, 42);
	ck_assert_int_eq(http_req_body(&r), HTTP_BODY_LENGTH);
	ck_assert_int_eq(req(&r, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 0\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.content_length, 0);
	ck_assert_int_eq(http_req_body(&r), HTTP_BODY_NONE);
	ck_assert_int_eq(req(&r, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 5, 5\r\nContent-Length: 005\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.content_length, 5);
	ck_assert_int_eq(req(&r, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 9223372036854775807\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.content_length, INT64_MAX);
}
END_TEST

START_TEST(req_content_length_bad)
{
	static const struct bad t[] = {
		{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n"),
		    400, "bad Content-Length" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n"),
		    400, "bad Content-Length" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x5\r\n"
		    "\r\n"),
		    400, "bad Content-Length" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5 5\r\n"
		    "\r\n"),
		    400, "bad Content-Length" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n"),
		    400, "bad Content-Length" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5,\r\n\r\n"),
		    400, "bad Content-Length" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n"
		    "\r\n"),
		    400, "differing Content-Length" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		    "Content-Length: 6\r\n\r\n"), 400,
		    "differing Content-Length" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Content-Length: 9223372036854775808\r\n\r\n"), 400,
		    "Content-Length overflow" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Content-Length: 99999999999999999999999\r\n\r\n"), 400,
		    "Content-Length overflow" },
	};

	expect_bad_req(t, NELEM(t));
}
END_TEST

START_TEST(req_transfer_encoding)
{
	struct http_req	r;

	ck_assert_int_eq(req(&r, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.chunked, 1);
	ck_assert_int_eq(http_req_body(&r), HTTP_BODY_CHUNKED);
	ck_assert_int_eq(req(&r, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: , CHUNKED\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.chunked, 1);
}
END_TEST

START_TEST(req_transfer_encoding_bad)
{
	static const struct bad t[] = {
		{ S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n"
		    "\r\n"), 501, "unsupported transfer coding" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: gzip, chunked\r\n\r\n"), 501,
		    "unsupported transfer coding" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunked, gzip\r\n\r\n"), 400,
		    "chunked not last" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunked\r\n"
		    "Transfer-Encoding: identity\r\n\r\n"), 400,
		    "chunked not last" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunked, chunked\r\n\r\n"), 400,
		    "chunked twice" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunked;q=1\r\n\r\n"), 400,
		    "chunked with parameters" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n"),
		    400, "empty Transfer-Encoding" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n"
		    "\r\n"),
		    400, "empty Transfer-Encoding" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunk ed\r\n\r\n"), 400,
		    "bad Transfer-Encoding" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: \"chunked\"\r\n\r\n"), 400,
		    "bad Transfer-Encoding" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\n"
		    "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"),
		    400, "both Content-Length and Transfer-Encoding" },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n"), 400,
		    "both Content-Length and Transfer-Encoding" },
		{ S("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
		    400,
		    "Transfer-Encoding in HTTP/1.0" },
	};

	expect_bad_req(t, NELEM(t));
}
END_TEST

START_TEST(req_connection_tokens)
{
	struct http_req	r;

	ck_assert_int_eq(req(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: close\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.conn, HTTP_CONN_CLOSE);
	ck_assert_int_eq(req(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: Keep-Alive ,, UPGRADE\r\nUpgrade: websocket\r\n\r\n"),
	    HTTP_OK);
	ck_assert_int_eq(r.h.conn, HTTP_CONN_KEEPALIVE | HTTP_CONN_UPGRADE);
	ck_assert_int_eq(req(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Proxy-Connection: close\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.conn, HTTP_CONN_CLOSE);
	ck_assert_int_eq(req(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: closed\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.conn, 0);
	ck_assert_int_eq(req(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: close foo\r\n\r\n"), HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 400);
	ck_assert_str_eq(r.h.why, "bad Connection");
}
END_TEST

START_TEST(req_hop_by_hop)
{
	static const struct {
		const char	*name;
		int		 hop;
	} t[] = {
		{ "Host", 0 }, { "Connection", 1 }, { "connection", 1 },
		{ "X-Foo", 1 }, { "X-Bar", 1 }, { "X-Baz", 0 },
		{ "Keep-Alive", 1 }, { "TE", 1 }, { "Trailer", 1 },
		{ "Upgrade", 1 }, { "Proxy-Authorization", 1 },
		{ "Proxy-Connection", 1 }, { "Via", 0 }, { "X-Fo", 0 },
		{ "X-Foo-Bar", 0 }, { "Content-Length", 0 },
	};
	struct http_req	r;
	size_t		i;

	ck_assert_int_eq(req(&r, "POST / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: keep-alive, X-Foo\r\nconnection: x-bar, Host, "
	    "content-length\r\nX-Foo: 1\r\nX-Bar: 2\r\nX-Baz: 3\r\n"
	    "Keep-Alive: 5\r\nTE: trailers\r\nTrailer: X-T\r\nUpgrade: h2c\r\n"
	    "Proxy-Authorization: x\r\nProxy-Connection: y\r\nVia: 1.1 p\r\n"
	    "X-Fo: 4\r\nX-Foo-Bar: 5\r\nContent-Length: 0\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.nhdr, (int)NELEM(t));
	for (i = 0; i < NELEM(t); i++) {
		ck_assert_msg(is(r.h.hdr[i].name, t[i].name), "%s not at %zu",
		    t[i].name, i);
		ck_assert_msg(http_is_hop_by_hop(&r.h, tb, i) == t[i].hop,
		    "%s: hop-by-hop %d, want %d", t[i].name,
		    http_is_hop_by_hop(&r.h, tb, i), t[i].hop);
	}
	/* without Connection naming it, X-Foo is end-to-end */
	ck_assert_int_eq(req(&r, "GET / HTTP/1.1\r\nHost: a\r\n"
	    "Connection: close, TE\r\nX-Foo: 1\r\nTE: trailers\r\n\r\n"),
	    HTTP_OK);
	ck_assert_int_eq(http_is_hop_by_hop(&r.h, tb, 0), 0);
	ck_assert_int_eq(http_is_hop_by_hop(&r.h, tb, 1), 1);
	ck_assert_int_eq(http_is_hop_by_hop(&r.h, tb, 2), 0);
	ck_assert_int_eq(http_is_hop_by_hop(&r.h, tb, 3), 1);
}
END_TEST

START_TEST(req_expect)
{
	struct http_req	r;

	ck_assert_int_eq(req(&r, "PUT / HTTP/1.1\r\nHost: a\r\n"
	    "Expect: 100-Continue\r\nContent-Length: 3\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.expect_continue, 1);
	ck_assert_int_eq(req(&r, "PUT / HTTP/1.1\r\nHost: a\r\n"
	    "Expect: something-else\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.expect_continue, 0);
	ck_assert_int_eq(r.h.hdr[1].id, HH_EXPECT);
}
END_TEST

/* ---- resuming ---- */

START_TEST(req_again_and_after)
{
	struct http_req	r;
	const char	*s = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
	const char	*b;
	size_t		n = strlen(s);

	b = load(s, n);
	memset(&r, JUNK, sizeof(r));
	http_req_init(&r, MAX_HEAD, MAX_URI);
	ck_assert_int_eq(http_parse_request(&r, b, 0), HTTP_AGAIN);
	ck_assert_int_eq(http_parse_request(&r, b, n - 1), HTTP_AGAIN);
	ck_assert_int_eq(http_parse_request(&r, b, n), HTTP_OK);
	ck_assert_uint_eq(r.h.head_len, n);
	/* a finished parser keeps its answer */
	ck_assert_int_eq(http_parse_request(&r, b, n), HTTP_OK);
	ck_assert_uint_eq(r.h.head_len, n);
	ck_assert_int_eq(reqn(&r, "GET  /", 6, MAX_HEAD, MAX_URI), HTTP_ERROR);
	ck_assert_int_eq(http_parse_request(&r, tb, 6), HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 400);
}
END_TEST

START_TEST(req_pipelined)
{
	struct http_req	r;
	const char	*s = "GET /a HTTP/1.1\r\nHost: a\r\n\r\n"
			    "POST /b HTTP/1.1\r\nHost: b\r\n"
			    "Content-Length: 3\r\n"
			    "\r\nabc\r\nGET /c HTTP/1.0\r\n\r\n";
	const char	*b;
	size_t		n = strlen(s), off;

	b = load(s, n);
	memset(&r, JUNK, sizeof(r));
	http_req_init(&r, MAX_HEAD, MAX_URI);
	ck_assert_int_eq(http_parse_request(&r, b, n), HTTP_OK);
	ck_assert_uint_eq(r.h.head_len, strlen("GET /a HTTP/1.1\r\nHost: a"
	    "\r\n\r\n"));
	ck_assert(is(r.target, "/a"));
	off = r.h.head_len;

	/* the next message: init again, offsets from the new base */
	http_req_init(&r, MAX_HEAD, MAX_URI);
	ck_assert_int_eq(http_parse_request(&r, b + off, n - off), HTTP_OK);
	ck_assert_uint_eq(r.target.off, 5);
	ck_assert_int_eq(memcmp(b + off + r.target.off, "/b", 2), 0);
	ck_assert_int_eq(http_req_body(&r), HTTP_BODY_LENGTH);
	off += r.h.head_len + r.h.content_length;

	/* a stray CRLF after a body is skipped (RFC 9112 2.2) */
	http_req_init(&r, MAX_HEAD, MAX_URI);
	ck_assert_int_eq(http_parse_request(&r, b + off, n - off), HTTP_OK);
	ck_assert_int_eq(r.h.version, 10);
	ck_assert_uint_eq(off + r.h.head_len, n);
}
END_TEST

START_TEST(req_split_every_byte)
{
	static const struct {
		const char	*in;
		size_t		 len;
		uint32_t	 max_head, max_uri;
	} t[] = {
		{ S("GET /index.html?q=1 HTTP/1.1\r\nHost: example.com\r\n"
		    "User-Agent: t/1\r\nAccept: */*\r\n"
		    "Connection: keep-alive, X-Foo\r\nX-Foo:  bar \t\r\n\r\n"),
		    MAX_HEAD, MAX_URI },
		{ S("\r\n\nPOST /p HTTP/1.1\nHost: h\nContent-Length: 5, 5\n"
		    "Expect: 100-continue\n\nhello"), MAX_HEAD, MAX_URI },
		{ S("PUT /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked"
		    "\r\nX-Empty:\r\nX-E2: \r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
		    MAX_HEAD, MAX_URI },
		{ S("GET / HTTP/1.0\r\n\r\n"), MAX_HEAD, MAX_URI },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX: y\r\n z\r\n\r\n"),
		    MAX_HEAD, MAX_URI },
		{ S("GET / HTTP/1.1\r\nHost: a\rX"), MAX_HEAD, MAX_URI },
		{ S("GET /0123456789abcdef HTTP/1.1\r\nHost: a\r\n\r\n"),
		    MAX_HEAD, 12 },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX-Pad: 0123456789\r\n\r\n"),
		    40, MAX_URI },
		{ S("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), MAX_HEAD, MAX_URI },
		{ S("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n"), MAX_HEAD, MAX_URI },
		{ S("GET / HTTP/1.1\r\nHost: a\r\nX-A: b"), MAX_HEAD, MAX_URI },
	};
	size_t	i;

	for (i = 0; i < NELEM(t); i++)
		split_req(t[i].in, t[i].len, t[i].max_head, t[i].max_uri);
}
END_TEST

START_TEST(span_eq)
{
	struct span	sp = { 2, 4 };

	load("x:HoSt:", 7);
	ck_assert_int_eq(http_span_eq(tb, sp, "host"), 1);
	ck_assert_int_eq(http_span_eq(tb, sp, "HOST"), 1);
	ck_assert_int_eq(http_span_eq(tb, sp, "hos"), 0);
	ck_assert_int_eq(http_span_eq(tb, sp, "hosts"), 0);
	ck_assert_int_eq(http_span_eq(tb, sp, "hosx"), 0);
	sp.len = 0;
	ck_assert_int_eq(http_span_eq(tb, sp, ""), 1);
}
END_TEST

/* ---- responses ---- */

START_TEST(resp_simple)
{
	struct http_resp	r;
	const char		*s = "HTTP/1.1 200 OK\r\n"
				    "Content-Length: 5\r\n"
				    "Connection: close\r\n\r\nhello";

	ck_assert_int_eq(resp(&r, s), HTTP_OK);
	ck_assert_int_eq(r.code, 200);
	ck_assert(is(r.reason, "OK"));
	ck_assert_int_eq(r.h.version, 11);
	ck_assert_int_eq(r.h.content_length, 5);
	ck_assert_int_eq(r.h.conn, HTTP_CONN_CLOSE);
	ck_assert_uint_eq(r.h.head_len, strlen(s) - 5);
	ck_assert_int_eq(http_resp_body(&r, HTTP_M_GET), HTTP_BODY_LENGTH);
	ck_assert_int_eq(resp(&r, "HTTP/1.0 404 Not \tFound\n\n"), HTTP_OK);
	ck_assert_int_eq(r.h.version, 10);
	ck_assert(is(r.reason, "Not \tFound"));
	/* no Host needed, and a repeated one is not our business */
	ck_assert_int_eq(resp(&r, "HTTP/1.1 200 OK\r\nHost: a\r\nHost: b\r\n"
	    "\r\n"), HTTP_OK);
}
END_TEST

START_TEST(resp_empty_reason)
{
	struct http_resp	r;

	ck_assert_int_eq(resp(&r, "HTTP/1.1 204\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.code, 204);
	ck_assert_uint_eq(r.reason.len, 0);
	ck_assert_int_eq(resp(&r, "HTTP/1.1 204 \r\n\r\n"), HTTP_OK);
	ck_assert_uint_eq(r.reason.len, 0);
	ck_assert_int_eq(resp(&r, "HTTP/1.1 301\n\n"), HTTP_OK);
	ck_assert_int_eq(r.code, 301);
}
END_TEST

START_TEST(resp_bad)
{
	static const struct bad t[] = {
		{ S("HTTP/1.1 099 X\r\n\r\n"), 502, "bad status code" },
		{ S("HTTP/1.1 600 X\r\n\r\n"), 502, "bad status code" },
		{ S("HTTP/1.1 2000 OK\r\n\r\n"), 502, "bad status code" },
		{ S("HTTP/1.1 20 OK\r\n\r\n"), 502, "bad status code" },
		{ S("HTTP/1.1 2x0 OK\r\n\r\n"), 502, "bad status code" },
		{ S("HTTP/1.1  200 OK\r\n\r\n"), 502, "bad status code" },
		{ S("HTTP/1.1 200\tOK\r\n\r\n"), 502, "bad status code" },
		{ S("HTTP/2.0 200 OK\r\n\r\n"),
		    502, "unsupported HTTP version" },
		{ S("HTTP/1.2 200 OK\r\n\r\n"),
		    502, "unsupported HTTP version" },
		{ S("HTTP/1.1200 OK\r\n\r\n"), 502, "bad status line" },
		{ S("HTTPS/1.1 200 OK\r\n\r\n"), 502, "bad status line" },
		{ S("http/1.1 200 OK\r\n\r\n"), 502, "bad status line" },
		{ S("\r\nHTTP/1.1 200 OK\r\n\r\n"), 502, "bad status line" },
		{ S("HTTP/1.1 200 O\x01K\r\n\r\n"), 502, "bad reason phrase" },
		{ S("HTTP/1.1 200 O\0K\r\n\r\n"), 502, "NUL in head" },
		{ S("HTTP/1.1 200 OK\rX: y\r\n\r\n"), 502, "bare CR" },
		{ S("HTTP/1.1 200 OK\r\nX : y\r\n\r\n"), 502,
		    "space before colon" },
		{ S("HTTP/1.1 200 OK\r\nX: y\r\n z\r\n\r\n"), 502, "obs-fold" },
		{ S("HTTP/1.1 200 OK\r\nX: \x7f\r\n\r\n"), 502,
		    "bad byte in field value" },
		{ S("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"),
		    502,
		    "Transfer-Encoding in HTTP/1.0" },
		{ S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		    "Content-Length: 2\r\n\r\n"), 502,
		    "differing Content-Length" },
		{ S("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"), 502,
		    "bad Content-Length" },
		{ S("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n"
		    "\r\n"), 502, "chunked twice" },
	};

	expect_bad_resp(t, NELEM(t));
}
END_TEST

START_TEST(resp_head_too_large)
{
	struct http_resp	r;
	const char		*s = "HTTP/1.1 200 OK\r\n"
				    "X-Pad: 0123456789\r\n\r\n";
	char			many[4096];
	size_t			o;
	int			i;

	ck_assert_int_eq(respn(&r, s, strlen(s), strlen(s)), HTTP_OK);
	ck_assert_int_eq(respn(&r, s, strlen(s), 20), HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 502);
	ck_assert_str_eq(r.h.why, "head too large");
	o = snprintf(many, sizeof(many), "HTTP/1.1 200 OK\r\n");
	for (i = 0; i <= HTTP_MAX_HEADERS; i++)
		o += snprintf(many + o, sizeof(many) - o, "X-%d: v\r\n", i);
	snprintf(many + o, sizeof(many) - o, "\r\n");
	ck_assert_int_eq(resp(&r, many), HTTP_ERROR);
	ck_assert_int_eq(r.h.status, 502);
	ck_assert_str_eq(r.h.why, "too many header fields");
}
END_TEST

START_TEST(resp_body_kinds)
{
	static const struct {
		const char	*in;
		int		 meth;
		int		 body;
	} t[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", HTTP_M_GET,
		    HTTP_BODY_LENGTH },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", HTTP_M_HEAD,
		    HTTP_BODY_NONE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		    HTTP_M_HEAD, HTTP_BODY_NONE },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", HTTP_M_GET,
		    HTTP_BODY_NONE },
		{ "HTTP/1.1 100 Continue\r\n\r\n", HTTP_M_POST,
		    HTTP_BODY_NONE },
		{ "HTTP/1.1 101 Switching\r\nUpgrade: websocket\r\n"
		    "Connection: upgrade\r\n\r\n", HTTP_M_GET, HTTP_BODY_NONE },
		{ "HTTP/1.1 204 No Content\r\n\r\n", HTTP_M_GET,
		    HTTP_BODY_NONE },
		{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n",
		    HTTP_M_GET, HTTP_BODY_NONE },
		{ "HTTP/1.1 200 Connection established\r\n\r\n",
		    HTTP_M_CONNECT, HTTP_BODY_NONE },
		{ "HTTP/1.1 407 Auth\r\nContent-Length: 4\r\n\r\n",
		    HTTP_M_CONNECT, HTTP_BODY_LENGTH },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
		    HTTP_M_GET, HTTP_BODY_CHUNKED },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n",
		    HTTP_M_GET, HTTP_BODY_CHUNKED },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
		    HTTP_M_GET, HTTP_BODY_CLOSE },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
		    HTTP_M_GET, HTTP_BODY_CLOSE },
		{ "HTTP/1.1 200 OK\r\n\r\n", HTTP_M_GET, HTTP_BODY_CLOSE },
		{ "HTTP/1.0 200 OK\r\n\r\n", HTTP_M_POST, HTTP_BODY_CLOSE },
	};
	struct http_resp	r;
	size_t			i;

	for (i = 0; i < NELEM(t); i++) {
		ck_assert_msg(resp(&r, t[i].in) == HTTP_OK,
		    "\"%s\" refused: %s", show(t[i].in, strlen(t[i].in)),
		    r.h.why);
		ck_assert_msg((int)http_resp_body(&r, t[i].meth) == t[i].body,
		    "\"%s\" to method %d: body %d, want %d",
		    show(t[i].in, strlen(t[i].in)), t[i].meth,
		    http_resp_body(&r, t[i].meth), t[i].body);
	}
}
END_TEST

/* RFC 9112 6.3: in a response Transfer-Encoding overrides Content-Length. */
START_TEST(resp_te_and_cl)
{
	struct http_resp	r;

	ck_assert_int_eq(resp(&r, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.content_length, -1);
	ck_assert_int_eq(r.h.chunked, 1);
	ck_assert_int_eq(http_resp_body(&r, HTTP_M_GET), HTTP_BODY_CHUNKED);
	ck_assert_int_eq(resp(&r, "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\nContent-Length: 7\r\n"
	    "Content-Length: 7\r\n\r\n"), HTTP_OK);
	ck_assert_int_eq(r.h.content_length, -1);
	ck_assert_int_eq(http_resp_body(&r, HTTP_M_GET), HTTP_BODY_CHUNKED);
	/* not chunked last: until the close, still not by the length */
	ck_assert_int_eq(resp(&r, "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: gzip\r\nContent-Length: 7\r\n\r\n"),
	    HTTP_OK);
	ck_assert_int_eq(r.h.content_length, -1);
	ck_assert_int_eq(http_resp_body(&r, HTTP_M_GET), HTTP_BODY_CLOSE);
	/* differing lengths are still the backend's fault */
	ck_assert_int_eq(resp(&r, "HTTP/1.1 200 OK\r\n"
	    "Transfer-Encoding: chunked\r\nContent-Length: 1\r\n"
	    "Content-Length: 2\r\n\r\n"), HTTP_ERROR);
	ck_assert_str_eq(r.h.why, "differing Content-Length");
	split_resp(S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), MAX_HEAD);
}
END_TEST

START_TEST(resp_hop_by_hop)
{
	struct http_resp	r;

	ck_assert_int_eq(resp(&r, "HTTP/1.1 407 Auth\r\n"
	    "Proxy-Authenticate: Basic\r\nConnection: X-Secret\r\n"
	    "X-Secret: 1\r\nWWW-Authenticate: Basic\r\nContent-Length: 0\r\n"
	    "\r\n"), HTTP_OK);
	ck_assert_int_eq(http_is_hop_by_hop(&r.h, tb, 0), 1);
	ck_assert_int_eq(http_is_hop_by_hop(&r.h, tb, 1), 1);
	ck_assert_int_eq(http_is_hop_by_hop(&r.h, tb, 2), 1);
	ck_assert_int_eq(http_is_hop_by_hop(&r.h, tb, 3), 0);
	ck_assert_int_eq(http_is_hop_by_hop(&r.h, tb, 4), 0);
}
END_TEST

START_TEST(resp_split_every_byte)
{
	static const struct {
		const char	*in;
		size_t		 len;
		uint32_t	 max_head;
	} t[] = {
		{ S("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
		    "Connection: keep-alive\r\n\r\nhello"), MAX_HEAD },
		{ S("HTTP/1.1 204\r\nX-A:  b \r\n\r\n"), MAX_HEAD },
		{ S("HTTP/1.0 302 Found\nLocation: /x\n\n"), MAX_HEAD },
		{ S("HTTP/1.1 200 OK\r\n"
		    "Transfer-Encoding: gzip, chunked\r\n\r\n"),
		    MAX_HEAD },
		{ S("HTTP/1.1 2000 OK\r\n\r\n"), MAX_HEAD },
		{ S("HTTP/1.1 200 OK\r\nX-Pad: 0123456789\r\n\r\n"), 30 },
		{ S("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
		    "Transfer-Encoding: chunked\r\n\r\n"), MAX_HEAD },
	};
	size_t	i;

	for (i = 0; i < NELEM(t); i++)
		split_resp(t[i].in, t[i].len, t[i].max_head);
}
END_TEST

/* ---- chunked bodies ---- */

START_TEST(chunked_simple)
{
	struct http_chunked	ch;
	struct sink		k;
	size_t			used;
	const char		*s = "5\r\nhello\r\n1A\r\n"
				    "abcdefghijklmnopqrstuvwxyz"
				    "\r\n0\r\n\r\nGET / HTTP/1.1\r\n";

	ck_assert_int_eq(chunked(&ch, s, strlen(s), &used, &k, MAX_LINE,
	    MAX_TRAILERS), HTTP_OK);
	ck_assert_uint_eq(used, strlen(s) - strlen("GET / HTTP/1.1\r\n"));
	ck_assert_uint_eq(ch.total, 31);
	ck_assert_uint_eq(k.n, 31);
	ck_assert_int_eq(memcmp(k.data, "helloabcdefghijklmnopqrstuvwxyz", 31),
	    0);
	/* finished: later bytes belong to someone else */
	ck_assert_int_eq(http_chunked_scan(&ch, tb + used, 3, &used, NULL,
	    NULL), HTTP_OK);
	ck_assert_uint_eq(used, 0);
	/* an empty body, no callback */
	ck_assert_int_eq(chunked(&ch, "0\r\n\r\n", 5, &used, NULL, MAX_LINE,
	    0), HTTP_OK);
	ck_assert_uint_eq(used, 5);
	ck_assert_uint_eq(ch.total, 0);
}
END_TEST

START_TEST(chunked_again)
{
	struct http_chunked	ch;
	size_t			used;

	ck_assert_int_eq(chunked(&ch, "5\r\nhel", 6, &used, NULL, MAX_LINE,
	    MAX_TRAILERS), HTTP_AGAIN);
	ck_assert_uint_eq(used, 6);
	ck_assert_uint_eq(ch.total, 3);
	ck_assert_int_eq(http_chunked_scan(&ch, "lo\r\n0\r\n", 7, &used, NULL,
	    NULL), HTTP_AGAIN);
	ck_assert_uint_eq(used, 7);
	ck_assert_int_eq(http_chunked_scan(&ch, "\r\n", 2, &used, NULL, NULL),
	    HTTP_OK);
	ck_assert_uint_eq(used, 2);
	ck_assert_uint_eq(ch.total, 5);
}
END_TEST

START_TEST(chunked_extensions)
{
	static const char *ok[] = {
		"5;a\r\nhello\r\n0\r\n\r\n",
		"5;a=b;c=d\r\nhello\r\n0;last\r\n\r\n",
		"5 ; a = \"x\\\"y, z\" ; b\r\nhello\r\n0\r\n\r\n",
		"5\t;\ta\t=\ttok\r\nhello\r\n0\r\n\r\n",
		"5;a=\"\"\r\nhello\r\n0\r\n\r\n",
	};
	struct http_chunked	ch;
	struct sink		k;
	size_t			i, used;

	for (i = 0; i < NELEM(ok); i++) {
		ck_assert_msg(chunked(&ch, ok[i], strlen(ok[i]), &used, &k,
		    MAX_LINE, MAX_TRAILERS) == HTTP_OK, "\"%s\" refused: %s",
		    show(ok[i], strlen(ok[i])), ch.why);
		ck_assert_msg(k.n == 5 && memcmp(k.data, "hello", 5) == 0,
		    "\"%s\": data differs", show(ok[i], strlen(ok[i])));
	}
}
END_TEST

START_TEST(chunked_trailers)
{
	struct http_chunked	ch;
	size_t			used;
	const char		*s = "5\r\nhello\r\n0\r\nX-A: 1\r\n"
				    "X-Checksum:abc def\r\n\r\n";

	ck_assert_int_eq(chunked(&ch, s, strlen(s), &used, NULL, MAX_LINE,
	    MAX_TRAILERS), HTTP_OK);
	ck_assert_uint_eq(used, strlen(s));
	/* trailer bytes: "X-A: 1\r\n" (8) + "X-Checksum:abc def\r\n" (20) */
	ck_assert_int_eq(chunked(&ch, s, strlen(s), &used, NULL, MAX_LINE,
	    28), HTTP_OK);
	ck_assert_int_eq(chunked(&ch, s, strlen(s), &used, NULL, MAX_LINE,
	    27), HTTP_ERROR);
	ck_assert_str_eq(ch.why, "trailers too long");
	/* the longer field is 18 bytes without its CRLF */
	ck_assert_int_eq(chunked(&ch, s, strlen(s), &used, NULL, 18,
	    MAX_TRAILERS), HTTP_OK);
	ck_assert_int_eq(chunked(&ch, s, strlen(s), &used, NULL, 17,
	    MAX_TRAILERS), HTTP_ERROR);
	ck_assert_str_eq(ch.why, "trailer field too long");
}
END_TEST

START_TEST(chunked_bad)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*why;
	} t[] = {
		{ S("\r\n"), "bad chunk size" },
		{ S("g\r\n"), "bad chunk size" },
		{ S("-5\r\n"), "bad chunk size" },
		{ S("+5\r\n"), "bad chunk size" },
		{ S("0x5\r\n"), "bad chunk size" },
		{ S("5\nhello\r\n"), "bad chunk size" },
		{ S("5\rhello\r\n"), "bare CR" },
		{ S(" 5\r\n"), "bad chunk size" },
		{ S("5 \r\nhello\r\n"), "bad chunk extension" },
		{ S("5;\r\nhello\r\n"), "bad chunk extension" },
		{ S("5;a=\r\nhello\r\n"), "bad chunk extension" },
		{ S("5;a \r\nhello\r\n"), "bad chunk extension" },
		{ S("5;a=b \r\nhello\r\n"), "bad chunk extension" },
		{ S("5;a=\"x\r\nhello\r\n"), "bad chunk extension" },
		{ S("5;a=\"x\"y\r\nhello\r\n"), "bad chunk extension" },
		{ S("5;a=b=c\r\nhello\r\n"), "bad chunk extension" },
		{ S("5;(a)\r\nhello\r\n"), "bad chunk extension" },
		{ S("5\r\nhelloX\r\n"), "missing CRLF after chunk" },
		{ S("5\r\nhello\n0\r\n\r\n"), "missing CRLF after chunk" },
		{ S("5\r\nhello\rX"), "missing CRLF after chunk" },
		{ S("5\r\nhello\r\n\r\n"), "bad chunk size" },
		{ S("8000000000000000\r\n"), "chunk size overflow" },
		{ S("ffffffffffffffffff\r\n"), "chunk size overflow" },
		{ S("0\r\nX-A 1\r\n\r\n"), "bad trailer field" },
		{ S("0\r\nX-A : 1\r\n\r\n"), "bad trailer field" },
		{ S("0\r\n: 1\r\n\r\n"), "bad trailer field" },
		{ S("0\r\n X: 1\r\n\r\n"), "bad trailer field" },
		{ S("0\r\nX: \x01\r\n\r\n"), "bad trailer field" },
		{ S("0\r\nX: 1\n\r\n"), "bad trailer field" },
		{ S("0\r\nX: 1\rY"), "bare CR" },
		{ S("0\r\n\n"), "bad trailer field" },
		{ S("0\r\n\rX"), "missing CRLF after trailers" },
		{ S("5\r\nhe\0lo\r\n0\r\n\r\n\0"), NULL },
	};
	struct http_chunked	ch;
	enum http_rc		rc;
	size_t			i, used;

	for (i = 0; i < NELEM(t); i++) {
		rc = chunked(&ch, t[i].in, t[i].len, &used, NULL, MAX_LINE,
		    MAX_TRAILERS);
		if (t[i].why == NULL) {
			/* data is opaque: a NUL inside is fine */
			ck_assert_msg(rc == HTTP_OK && used == t[i].len - 1,
			    "\"%s\": rc %d used %zu", show(t[i].in, t[i].len),
			    rc, used);
			continue;
		}
		ck_assert_msg(rc == HTTP_ERROR,
		    "\"%s\": rc %d, want HTTP_ERROR",
		    show(t[i].in, t[i].len), rc);
		ck_assert_msg(strcmp(ch.why, t[i].why) == 0,
		    "\"%s\": why \"%s\", want \"%s\"", show(t[i].in, t[i].len),
		    ch.why, t[i].why);
	}
}
END_TEST

START_TEST(chunked_size_limits)
{
	struct http_chunked	ch;
	size_t			used;
	const char		*max = "7fffffffffffffff\r\nab";
	const char		*zeros = "0000000000000000000000005\r\n"
				    "hello\r\n"
				    "0\r\n\r\n";
	const char		*ext = "5;name=value\r\nhello\r\n0\r\n\r\n";

	/* the largest size is accepted; the data simply has not come yet */
	ck_assert_int_eq(chunked(&ch, max, strlen(max), &used, NULL, MAX_LINE,
	    MAX_TRAILERS), HTTP_AGAIN);
	ck_assert_uint_eq(ch.total, 2);
	ck_assert_uint_eq(ch.left, (uint64_t)INT64_MAX - 2);
	/* leading zeros do not overflow anything */
	ck_assert_int_eq(chunked(&ch, zeros, strlen(zeros), &used, NULL,
	    MAX_LINE, MAX_TRAILERS), HTTP_OK);
	ck_assert_uint_eq(ch.total, 5);
	/* "5;name=value" is 12 bytes */
	ck_assert_int_eq(chunked(&ch, ext, strlen(ext), &used, NULL, 12,
	    MAX_TRAILERS), HTTP_OK);
	ck_assert_int_eq(chunked(&ch, ext, strlen(ext), &used, NULL, 11,
	    MAX_TRAILERS), HTTP_ERROR);
	ck_assert_str_eq(ch.why, "chunk size line too long");
	ck_assert_uint_eq(used, 11);
}
END_TEST

START_TEST(chunked_callback_error)
{
	struct http_chunked	ch;
	struct sink		k;
	size_t			used;
	const char		*s = "3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n";

	http_chunked_init(&ch, MAX_LINE, MAX_TRAILERS);
	memset(&k, 0, sizeof(k));
	k.fail = 4;
	ck_assert_int_eq(http_chunked_scan(&ch, load(s, strlen(s)), strlen(s),
	    &used, sink_cb, &k), HTTP_ERROR);
	ck_assert_str_eq(ch.why, "data callback failed");
	ck_assert_uint_eq(used, 11);
	ck_assert_int_eq(http_chunked_scan(&ch, tb, strlen(s), &used, sink_cb,
	    &k), HTTP_ERROR);
}
END_TEST

START_TEST(chunked_dechunk)
{
	struct http_chunked	 ch;
	struct sink		*k;
	char			 body[4096], data[2048];
	size_t			 n = 0, d = 0, used, i, sz;
	static const size_t	 sizes[] = { 1, 16, 255, 1000, 3, 600 };

	for (i = 0; i < NELEM(sizes); i++) {
		n += snprintf(body + n, sizeof(body) - n,
		    i % 2 ? "%zX;i=%zu\r\n" : "%zx\r\n", sizes[i], i);
		for (sz = 0; sz < sizes[i]; sz++)
			data[d++] = body[n++] = (char)(i * 37 + sz * 11);
		body[n++] = '\r';
		body[n++] = '\n';
	}
	n += snprintf(body + n, sizeof(body) - n, "0\r\nX-T: done\r\n\r\n");
	k = calloc(1, sizeof(*k));
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(chunked(&ch, body, n, &used, k, MAX_LINE,
	    MAX_TRAILERS), HTTP_OK);
	ck_assert_uint_eq(used, n);
	ck_assert_uint_eq(ch.total, d);
	ck_assert_uint_eq(k->n, d);
	ck_assert_int_eq(memcmp(k->data, data, d), 0);
	free(k);
	/* and the same however the body arrives */
	split_chunked(body, n, MAX_LINE, MAX_TRAILERS);
}
END_TEST

START_TEST(chunked_split_every_byte)
{
	static const struct {
		const char	*in;
		size_t		 len;
		uint32_t	 max_line, max_trailers;
	} t[] = {
		{ S("5\r\nhello\r\n0\r\n\r\n"), MAX_LINE, MAX_TRAILERS },
		{ S("a;x=\"q\\\"\" ; y\r\n0123456789\r\n1\r\n!\r\n0;z\r\n"
		    "X-A: 1\r\nX-B:\r\n\r\nextra"), MAX_LINE, MAX_TRAILERS },
		{ S("5\r\nhelloX"), MAX_LINE, MAX_TRAILERS },
		{ S("8000000000000000\r\n"), MAX_LINE, MAX_TRAILERS },
		{ S("5;abcdefghij\r\nhello\r\n0\r\n\r\n"), 8, MAX_TRAILERS },
		{ S("0\r\nX-Long: 0123456789\r\n\r\n"), 10, MAX_TRAILERS },
		{ S("0\r\nX-A: 1\r\nX-B: 2\r\n\r\n"), MAX_LINE, 12 },
		{ S("3\r\nabc\r\n0\r\n"), MAX_LINE, MAX_TRAILERS },
	};
	size_t	i;

	for (i = 0; i < NELEM(t); i++)
		split_chunked(t[i].in, t[i].len, t[i].max_line,
		    t[i].max_trailers);
}

/* Max-Forwards, as TRACE and OPTIONS need it: a number, else -1. */
static long
maxfwd(const char *field)
{
	static char text[256];
	struct http_req r;

	snprintf(text, sizeof(text), "TRACE / HTTP/1.1\r\nHost: x\r\n%s"
	    "\r\n", field);
	ck_assert_int_eq(req(&r, text), HTTP_OK);
	return (http_max_forwards(&r, tb));	/* req parsed it there */
}

START_TEST(max_forwards)
{
	ck_assert_int_eq(maxfwd(""), -1);
	ck_assert_int_eq(maxfwd("Max-Forwards: 0\r\n"), 0);
	ck_assert_int_eq(maxfwd("max-forwards: 7\r\n"), 7);
	ck_assert_int_eq(maxfwd("Max-Forwards: 999999999\r\n"), 999999999);
	ck_assert_int_eq(maxfwd("Max-Forwards: 1234567890\r\n"), -1);
	ck_assert_int_eq(maxfwd("Max-Forwards: -1\r\n"), -1);
	ck_assert_int_eq(maxfwd("Max-Forwards: 1x\r\n"), -1);
	ck_assert_int_eq(maxfwd("Max-Forwards:\r\n"), -1);
	/* the first one counts */
	ck_assert_int_eq(maxfwd("Max-Forwards: 3\r\nMax-Forwards: 0\r\n"),
	    3);
}
END_TEST

END_TEST

static Suite *
http_parse_suite(void)
{
	Suite	*s = suite_create("http_parse");
	TCase	*tc;

	tc = tcase_create("request");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, req_simple_get);
	tcase_add_test(tc, req_methods);
	tcase_add_test(tc, req_http10);
	tcase_add_test(tc, req_bad_request_line);
	tcase_add_test(tc, req_asterisk_form);
	tcase_add_test(tc, req_absolute_host);
	tcase_add_test(tc, req_version_505);
	tcase_add_test(tc, req_uri_414);
	tcase_add_test(tc, req_head_431);
	tcase_add_test(tc, req_too_many_fields_431);
	tcase_add_test(tc, req_leading_empty_lines);
	tcase_add_test(tc, req_bare_lf);
	tcase_add_test(tc, req_bare_cr);
	tcase_add_test(tc, req_nul);
	suite_add_tcase(s, tc);

	tc = tcase_create("fields");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, req_bad_fields);
	tcase_add_test(tc, req_byte_every_position);
	tcase_add_test(tc, req_value_trim);
	tcase_add_test(tc, req_header_ids);
	tcase_add_test(tc, req_host);
	tcase_add_test(tc, req_content_length);
	tcase_add_test(tc, req_content_length_bad);
	tcase_add_test(tc, req_transfer_encoding);
	tcase_add_test(tc, req_transfer_encoding_bad);
	tcase_add_test(tc, req_connection_tokens);
	tcase_add_test(tc, req_hop_by_hop);
	tcase_add_test(tc, req_expect);
	tcase_add_test(tc, span_eq);
	suite_add_tcase(s, tc);

	tc = tcase_create("resume");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);	/* sanitizers, every split */
	tcase_add_test(tc, req_again_and_after);
	tcase_add_test(tc, req_pipelined);
	tcase_add_test(tc, req_split_every_byte);
	tcase_add_test(tc, resp_split_every_byte);
	tcase_add_test(tc, chunked_split_every_byte);
	suite_add_tcase(s, tc);

	tc = tcase_create("response");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, resp_simple);
	tcase_add_test(tc, resp_empty_reason);
	tcase_add_test(tc, resp_bad);
	tcase_add_test(tc, resp_head_too_large);
	tcase_add_test(tc, resp_body_kinds);
	tcase_add_test(tc, resp_te_and_cl);
	tcase_add_test(tc, resp_hop_by_hop);
	suite_add_tcase(s, tc);

	tc = tcase_create("chunked");
	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, chunked_simple);
	tcase_add_test(tc, chunked_again);
	tcase_add_test(tc, chunked_extensions);
	tcase_add_test(tc, chunked_trailers);
	tcase_add_test(tc, chunked_bad);
	tcase_add_test(tc, chunked_size_limits);
	tcase_add_test(tc, chunked_callback_error);
	tcase_add_test(tc, chunked_dechunk);
	tcase_add_test(tc, max_forwards);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(http_parse_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
