/*
 * Unit tests for worker/cache_policy.c and worker/http_date.c: RFC 9111
 * for a shared cache, read off real heads parsed by worker/http_parse.c.
 * Times are around T0 = Sun, 06 Nov 1994 08:49:37 GMT (RFC 9110's own
 * example date), so the numbers in the tests can be checked by hand.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/cache_policy.h"
#include "worker/http_date.h"

#define T0	784111777LL		/* Sun, 06 Nov 1994 08:49:37 GMT */
#define T0MS	(T0 * 1000)
#define DATE	"Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n"

static char		qb[8192], rb[8192], sb[8192];
static struct http_req	q;
static struct http_resp	r, s;
static struct cp_rules	ru;
static struct cp_fresh	f;

/* Parse "<request line>\r\n<fields>" (the empty line is added) into q. */
static void
req_raw(const char *head)
{
	int n = snprintf(qb, sizeof(qb), "%s\r\n", head);

	ck_assert_int_lt(n, (int)sizeof(qb));
	http_req_init(&q, 8192, 4096);
	ck_assert_int_eq(http_parse_request(&q, qb, (size_t)n), HTTP_OK);
}

/* A GET of /p on host h with these extra field lines. */
static void
get(const char *fields)
{
	char t[4096];

	snprintf(t, sizeof(t), "GET /p HTTP/1.1\r\nHost: h\r\n%s", fields);
	req_raw(t);
}

static void
resp_into(struct http_resp *x, char *buf, size_t cap, int code,
    const char *fields)
{
	int n = snprintf(buf, cap, "HTTP/1.1 %d X\r\n%s\r\n", code, fields);

	ck_assert_int_lt(n, (int)cap);
	http_resp_init(x, 8192);
	ck_assert_int_eq(http_parse_response(x, buf, (size_t)n), HTTP_OK);
}

static void
resp(int code, const char *fields)
{
	resp_into(&r, rb, sizeof(rb), code, fields);
}

/* A stored head s, for conditionals, ranges and merges. */
static void
stored(int code, const char *fields)
{
	resp_into(&s, sb, sizeof(sb), code, fields);
}

/* cp_storable for q and r, both at T0: NULL if stored, else its detail. */
static const char *
store_at(int64_t req_ms, int64_t resp_ms)
{
	const char *detail = "unset";
	int ok = cp_storable(&q, qb, &r, rb, &ru, req_ms, resp_ms, &f,
	    &detail);

	if (ok) {
		ck_assert_ptr_null(detail);
		return (NULL);
	}
	ck_assert_ptr_nonnull(detail);
	return (detail);
}

static const char *
store(void)
{
	return (store_at(T0MS, T0MS));
}

/* A GET, then a 200 with these fields: stored? */
static const char *
store200(const char *fields)
{
	get("");
	resp(200, fields);
	return (store());
}

static void
cc_resp(struct cp_cc *cc, const char *fields)
{
	resp(200, fields);
	(void)cp_cc_parse(cc, rb, &r.h, "cache-control");
}

static void
cc_req(struct cp_cc *cc, const char *fields)
{
	get(fields);
	cp_cc_request(cc, qb, &q);
}

/* A blob with its NULs as '|', for string comparisons. */
static const char *
vis(const char *b, long n)
{
	static char out[4096];
	long i;

	ck_assert_int_ge(n, 0);
	ck_assert_int_lt(n, (long)sizeof(out));
	for (i = 0; i < n; i++)
		out[i] = b[i] == '\0' ? '|' : b[i];
	out[n] = '\0';
	return (out);
}

static int64_t
date(const char *s)
{
	int64_t t = -12345;

	if (http_date_parse(s, strlen(s), &t) < 0) {
		ck_assert_int_eq(t, -12345);	/* left alone */
		return (-1);
	}
	return (t);
}

static void
setup(void)
{
	memset(&ru, 0, sizeof(ru));
	memset(&f, 0, sizeof(f));
}

/* ---- Dates ----------------------------------------------------------- */

START_TEST(date_imf_fixdate)
{
	ck_assert_int_eq(date("Sun, 06 Nov 1994 08:49:37 GMT"), T0);
	ck_assert_int_eq(date("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
	ck_assert_int_eq(date("Fri, 31 Dec 1999 23:59:59 GMT"), 946684799);
	ck_assert_int_eq(date("Mon, 01 Jan 1900 00:00:00 GMT"), -2208988800LL);
	ck_assert_int_eq(date("Fri, 31 Dec 9999 23:59:59 GMT"),
	    253402300799LL);
}
END_TEST

START_TEST(date_rfc850)
{
	ck_assert_int_eq(date("Sunday, 06-Nov-94 08:49:37 GMT"), T0);
	ck_assert_int_eq(date("Thursday, 01-Jan-70 00:00:00 GMT"), 0);
	/* below 70: this century */
	ck_assert_int_eq(date("Saturday, 01-Jan-00 00:00:00 GMT"),
	    946684800LL);
	ck_assert_int_eq(date("Sunday, 06-Nov-1994 08:49:37 GMT"), -1);
	ck_assert_int_eq(date("Sun, 06-Nov-94 08:49:37 GMT"), -1);
}
END_TEST

START_TEST(date_asctime)
{
	ck_assert_int_eq(date("Sun Nov  6 08:49:37 1994"), T0);
	ck_assert_int_eq(date("Wed Nov 16 08:49:37 1994"), T0 + 10 * 86400);
	ck_assert_int_eq(date("Sun Nov 06 08:49:37 1994"), -1);
	ck_assert_int_eq(date("Sun Nov 6 08:49:37 1994"), -1);
	ck_assert_int_eq(date("Sun Nov  6 08:49:37 1994 GMT"), -1);
}
END_TEST

START_TEST(date_leap_days)
{
	ck_assert_int_eq(date("Thu, 29 Feb 2024 00:00:00 GMT"), 1709164800LL);
	ck_assert_int_eq(date("Tue, 29 Feb 2000 00:00:00 GMT"), 951782400LL);
	ck_assert_int_eq(date("Wed, 29 Feb 2023 00:00:00 GMT"), -1);
	ck_assert_int_eq(date("Thu, 29 Feb 1900 00:00:00 GMT"), -1);
	ck_assert_int_eq(date("Mon, 31 Apr 2024 00:00:00 GMT"), -1);
	ck_assert_int_eq(date("Sun Feb 29 00:00:00 2032"), 1961625600LL);
}
END_TEST

START_TEST(date_out_of_range)
{
	static const char *bad[] = {
		"", "0", "-1", "yesterday",
		"Sun, 06 Nov 1994 24:00:00 GMT",
		"Sun, 06 Nov 1994 08:60:00 GMT",
		"Sun, 06 Nov 1994 08:49:61 GMT",
		"Sun, 32 Nov 1994 08:49:37 GMT",
		"Sun, 00 Nov 1994 08:49:37 GMT",
		"Sun, 06 Foo 1994 08:49:37 GMT",
		"Sun, 06 nov 1994 08:49:37 GMT",
		"sun, 06 Nov 1994 08:49:37 GMT",
		"Xyz, 06 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 1994 08:49:37 UTC",
		"Sun, 06 Nov 1994 08:49:37",
		"Sun, 06 Nov 1994 08:49:37 GMT ",
		"Sun, 6 Nov 1994 08:49:37 GMT",
		"Sun, 06 Nov 94 08:49:37 GMT",
		"Sun, 06 Nov 1899 08:49:37 GMT",
		"Sun, 06 Nov 1994 8:49:37 GMT",
		"Sun,06 Nov 1994 08:49:37 GMT",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(date(bad[i]) == -1, "accepted \"%s\"", bad[i]);
	/* a leap second is a valid second */
	ck_assert_int_eq(date("Sat, 31 Dec 2016 23:59:60 GMT"), 1483228800LL);
	/* a date that ends inside the buffer: no read past len */
	ck_assert_int_eq(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMTxx",
	    29, &f.expires), 0);
	ck_assert_int_eq(http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT",
	    28, &f.expires), -1);
}
END_TEST

START_TEST(date_format)
{
	char b[HTTP_DATE_LEN + 1];
	int64_t t, back;

	ck_assert_int_eq(http_date_format(T0, b), HTTP_DATE_LEN);
	ck_assert_str_eq(b, "Sun, 06 Nov 1994 08:49:37 GMT");
	ck_assert_int_eq(http_date_format(0, b), HTTP_DATE_LEN);
	ck_assert_str_eq(b, "Thu, 01 Jan 1970 00:00:00 GMT");
	ck_assert_int_eq(http_date_format(-1, b), HTTP_DATE_LEN);
	ck_assert_str_eq(b, "Wed, 31 Dec 1969 23:59:59 GMT");
	ck_assert_int_eq(http_date_format(-2208988801LL, b), -1);
	ck_assert_str_eq(b, "");
	ck_assert_int_eq(http_date_format(253402300800LL, b), -1);
	/* round trip, weekday included, 1900..2100 in odd steps */
	for (t = -2208988800LL; t < 4102444800LL; t += 86400 * 13 + 3607) {
		ck_assert_int_eq(http_date_format(t, b), HTTP_DATE_LEN);
		ck_assert_int_eq(http_date_parse(b, HTTP_DATE_LEN, &back), 0);
		ck_assert_int_eq(back, t);
	}
}
END_TEST

/* ---- Cache-Control --------------------------------------------------- */

START_TEST(cc_values)
{
	struct cp_cc cc;

	cc_resp(&cc, "Cache-Control: max-age=60, s-maxage=30, public, "
	    "stale-while-revalidate=5, stale-if-error=7\r\n");
	ck_assert_int_eq(cc.max_age, 60);
	ck_assert_int_eq(cc.s_maxage, 30);
	ck_assert_int_eq(cc.stale_while_revalidate, 5);
	ck_assert_int_eq(cc.stale_if_error, 7);
	ck_assert(cc.flags & CP_CC_PUBLIC);
	ck_assert(cc.flags & CP_CC_PRESENT);
	ck_assert_int_eq(cc.max_stale, -1);
	ck_assert_int_eq(cc.min_fresh, -1);
	ck_assert_int_eq(cc.flags & (CP_CC_BAD_MAX_AGE | CP_CC_BAD_S_MAXAGE),
	    0);
	cc_resp(&cc, "X: y\r\n");
	ck_assert_int_eq(cc.flags, 0);
	ck_assert_int_eq(cc.max_age, -1);
}
END_TEST

START_TEST(cc_case_and_whitespace)
{
	struct cp_cc cc;

	cc_resp(&cc, "CACHE-control:   MAX-AGE=60 ,PUBLIC,,  ,\tNo-Store\r\n");
	ck_assert_int_eq(cc.max_age, 60);
	ck_assert(cc.flags & CP_CC_PUBLIC);
	ck_assert(cc.flags & CP_CC_NO_STORE);
	cc_resp(&cc, "Cache-Control: max-age = 60\r\n");
	ck_assert_int_eq(cc.max_age, 60);
}
END_TEST

START_TEST(cc_quoted_values)
{
	struct cp_cc cc;

	cc_resp(&cc, "Cache-Control: max-age=\"60\"\r\n");
	ck_assert_int_eq(cc.max_age, 60);
	cc_resp(&cc, "Cache-Control: max-age=\"6\\0\"\r\n");
	ck_assert_int_eq(cc.max_age, 60);
	cc_resp(&cc, "Cache-Control: s-maxage=\"\"\r\n");
	ck_assert(cc.flags & CP_CC_BAD_S_MAXAGE);
	cc_resp(&cc, "Cache-Control: max-age=\"60\r\n");
	ck_assert(cc.flags & CP_CC_BAD_MAX_AGE);
}
END_TEST

START_TEST(cc_multiple_lines)
{
	struct cp_cc cc;

	cc_resp(&cc, "Cache-Control: public\r\nX: 1\r\n"
	    "cache-control: max-age=5, must-revalidate\r\n");
	ck_assert_int_eq(cp_cc_parse(&cc, rb, &r.h, "cache-control"), 2);
	ck_assert(cc.flags & CP_CC_PUBLIC);
	ck_assert(cc.flags & CP_CC_MUST_REVALIDATE);
	ck_assert_int_eq(cc.max_age, 5);
}
END_TEST

START_TEST(cc_duplicated_freshness)
{
	struct cp_cc cc;

	cc_resp(&cc, "Cache-Control: max-age=60, max-age=60\r\n");
	ck_assert(cc.flags & CP_CC_BAD_MAX_AGE);
	ck_assert_int_eq(cc.max_age, -1);
	cc_resp(&cc, "Cache-Control: s-maxage=1\r\nCache-Control: s-maxage=2"
	    "\r\n");
	ck_assert(cc.flags & CP_CC_BAD_S_MAXAGE);
	ck_assert_int_eq(cc.s_maxage, -1);
	/* one of each is no duplicate */
	cc_resp(&cc, "Cache-Control: s-maxage=1, max-age=2\r\n");
	ck_assert_int_eq(cc.s_maxage, 1);
	ck_assert_int_eq(cc.max_age, 2);
}
END_TEST

START_TEST(cc_invalid_freshness)
{
	static const char *bad[] = {
		"max-age=abc", "max-age=", "max-age=-1", "max-age=1.5",
		"max-age", "max-age=6 0", "max-age=0x10", "max-age=\"6 0\"",
	};
	char line[128];
	struct cp_cc cc;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(line, sizeof(line), "Cache-Control: %s\r\n", bad[i]);
		cc_resp(&cc, line);
		ck_assert_msg(cc.flags & CP_CC_BAD_MAX_AGE, "%s", bad[i]);
		ck_assert_int_eq(cc.max_age, -1);
	}
	/* a bad one then a good one is still bad */
	cc_resp(&cc, "Cache-Control: max-age=x, max-age=60\r\n");
	ck_assert(cc.flags & CP_CC_BAD_MAX_AGE);
	ck_assert_int_eq(cc.max_age, -1);
}
END_TEST

START_TEST(cc_big_numbers)
{
	struct cp_cc cc;

	cc_resp(&cc, "Cache-Control: max-age=99999999999999999999999999\r\n");
	ck_assert_int_eq(cc.max_age, CP_DELTA_MAX);
	cc_resp(&cc, "Cache-Control: max-age=2147483648\r\n");
	ck_assert_int_eq(cc.max_age, CP_DELTA_MAX);
	cc_resp(&cc, "Cache-Control: max-age=2147483647\r\n");
	ck_assert_int_eq(cc.max_age, 2147483647LL);
	cc_resp(&cc, "Cache-Control: max-age=000060\r\n");
	ck_assert_int_eq(cc.max_age, 60);
}
END_TEST

START_TEST(cc_unknown_ignored)
{
	struct cp_cc cc;

	cc_resp(&cc, "Cache-Control: foo=\"a, max-age=5, no-store\", bar, "
	    "x-y=z, max-age=7, =junk, ;;\r\n");
	ck_assert_int_eq(cc.max_age, 7);
	ck_assert_int_eq(cc.flags & ~CP_CC_PRESENT, 0);
	/* a quoted comma and escaped quote do not end the element */
	cc_resp(&cc, "Cache-Control: ext=\"a\\\",b\", public\r\n");
	ck_assert(cc.flags & CP_CC_PUBLIC);
	ck_assert_int_eq(cc.flags & ~(CP_CC_PRESENT | CP_CC_PUBLIC), 0);
}
END_TEST

START_TEST(cc_qualified_private)
{
	struct cp_cc cc;

	cc_resp(&cc, "Cache-Control: private=\"Set-Cookie, X-User\"\r\n");
	ck_assert(cc.flags & CP_CC_PRIVATE_FIELDS);
	ck_assert(!(cc.flags & CP_CC_PRIVATE));
	ck_assert_int_eq(cc.nfield, 2);
	ck_assert(http_span_eq(rb, cc.field[0], "set-cookie"));
	ck_assert(http_span_eq(rb, cc.field[1], "x-user"));
	ck_assert_uint_eq(cc.field_nocache, 0);
	/* the token form senders should not use but do */
	cc_resp(&cc, "Cache-Control: private=X-A\r\n");
	ck_assert(cc.flags & CP_CC_PRIVATE_FIELDS);
	ck_assert(http_span_eq(rb, cc.field[0], "X-A"));
}
END_TEST

START_TEST(cc_qualified_falls_back)
{
	struct cp_cc cc;

	cc_resp(&cc, "Cache-Control: private=\"a,b,c,d,e,f,g,h,i\"\r\n");
	ck_assert(cc.flags & CP_CC_PRIVATE);
	cc_resp(&cc, "Cache-Control: private=\"\"\r\n");
	ck_assert(cc.flags & CP_CC_PRIVATE);
	cc_resp(&cc, "Cache-Control: private=\" , \"\r\n");
	ck_assert(cc.flags & CP_CC_PRIVATE);
	cc_resp(&cc, "Cache-Control: private=\"a b\"\r\n");
	ck_assert(cc.flags & CP_CC_PRIVATE);
	cc_resp(&cc, "Cache-Control: no-cache=\"a\\\\b\"\r\n");
	ck_assert(cc.flags & CP_CC_NO_CACHE);
	ck_assert(!(cc.flags & CP_CC_NO_CACHE_FIELDS));
}
END_TEST

START_TEST(cc_qualified_no_cache)
{
	struct cp_cc cc;

	cc_resp(&cc, "Cache-Control: private=\"x-a\", no-cache=\"X-B, x-c\""
	    "\r\n");
	ck_assert(cc.flags & CP_CC_NO_CACHE_FIELDS);
	ck_assert(cc.flags & CP_CC_PRIVATE_FIELDS);
	ck_assert(!(cc.flags & (CP_CC_NO_CACHE | CP_CC_PRIVATE)));
	ck_assert_int_eq(cc.nfield, 3);
	ck_assert_uint_eq(cc.field_nocache, 0x6);
	cc_resp(&cc, "Cache-Control: no-cache\r\n");
	ck_assert(cc.flags & CP_CC_NO_CACHE);
}
END_TEST

START_TEST(cc_every_flag)
{
	static const struct {
		const char	*d;
		uint32_t	 flag;
	} t[] = {
		{ "no-store", CP_CC_NO_STORE },
		{ "no-cache", CP_CC_NO_CACHE },
		{ "private", CP_CC_PRIVATE },
		{ "public", CP_CC_PUBLIC },
		{ "must-revalidate", CP_CC_MUST_REVALIDATE },
		{ "proxy-revalidate", CP_CC_PROXY_REVALIDATE },
		{ "immutable", CP_CC_IMMUTABLE },
		{ "only-if-cached", CP_CC_ONLY_IF_CACHED },
		{ "no-transform", CP_CC_NO_TRANSFORM },
		{ "must-understand", CP_CC_MUST_UNDERSTAND },
	};
	char line[128];
	struct cp_cc cc;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "Cache-Control: %s\r\n", t[i].d);
		cc_resp(&cc, line);
		ck_assert_msg(cc.flags == (CP_CC_PRESENT | t[i].flag), "%s",
		    t[i].d);
	}
}
END_TEST

START_TEST(cc_request_directives)
{
	struct cp_cc cc;

	cc_req(&cc, "Cache-Control: max-stale\r\n");
	ck_assert_int_eq(cc.max_stale, CP_STALE_ANY);
	cc_req(&cc, "Cache-Control: max-stale=30, min-fresh=10\r\n");
	ck_assert_int_eq(cc.max_stale, 30);
	ck_assert_int_eq(cc.min_fresh, 10);
	cc_req(&cc, "Cache-Control: max-stale=x\r\n");
	ck_assert_int_eq(cc.max_stale, -1);
	cc_req(&cc, "Cache-Control: max-stale=30, max-stale=10\r\n");
	ck_assert_int_eq(cc.max_stale, 10);
	cc_req(&cc, "Cache-Control: only-if-cached, no-cache\r\n");
	ck_assert(cc.flags & CP_CC_ONLY_IF_CACHED);
	ck_assert(cc.flags & CP_CC_NO_CACHE);
	ck_assert(!(cc.flags & CP_CC_PRAGMA));
}
END_TEST

START_TEST(cc_pragma)
{
	struct cp_cc cc;

	cc_req(&cc, "Pragma: no-cache\r\n");
	ck_assert(cc.flags & CP_CC_NO_CACHE);
	ck_assert(cc.flags & CP_CC_PRAGMA);
	cc_req(&cc, "Pragma: x, NO-CACHE\r\n");
	ck_assert(cc.flags & CP_CC_NO_CACHE);
	/* RFC 9111 5.4: with a Cache-Control, Pragma is ignored */
	cc_req(&cc, "Pragma: no-cache\r\nCache-Control: max-age=5\r\n");
	ck_assert(!(cc.flags & CP_CC_NO_CACHE));
	ck_assert_int_eq(cc.max_age, 5);
	cc_req(&cc, "Pragma: foo\r\n");
	ck_assert_int_eq(cc.flags, 0);
}
END_TEST

START_TEST(cc_cdn_field)
{
	struct cp_cc cc;

	resp(200, "Cache-Control: no-store\r\nCDN-Cache-Control: max-age=600"
	    "\r\n");
	ck_assert_int_eq(cp_cc_parse(&cc, rb, &r.h, "cdn-cache-control"), 1);
	ck_assert_int_eq(cc.max_age, 600);
	ck_assert(!(cc.flags & CP_CC_NO_STORE));
}
END_TEST

/* ---- Lifetimes -------------------------------------------------------- */

START_TEST(life_max_age)
{
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=60\r\n"));
	ck_assert_uint_eq(f.lifetime, 60);
	ck_assert_uint_eq(f.initial_age, 0);
	ck_assert(f.flags & CP_F_EXPLICIT);
	ck_assert_uint_eq(f.status, 200);
	ck_assert_int_eq(f.expires, T0MS + 60000);
	ck_assert_int_eq(f.request_time, T0MS);
	ck_assert_int_eq(f.response_time, T0MS);
}
END_TEST

START_TEST(life_s_maxage_first)
{
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=60, "
	    "s-maxage=10\r\nExpires: Sun, 06 Nov 1994 09:49:37 GMT\r\n"));
	ck_assert_uint_eq(f.lifetime, 10);
	/* s-maxage: never served stale by a shared cache */
	ck_assert(f.flags & CP_F_MUST_REVALIDATE);
}
END_TEST

START_TEST(life_max_age_over_expires)
{
	ck_assert_ptr_null(store200(DATE "Expires: Sun, 06 Nov 1994 09:49:37 "
	    "GMT\r\nCache-Control: max-age=60\r\n"));
	ck_assert_uint_eq(f.lifetime, 60);
	ck_assert(!(f.flags & CP_F_MUST_REVALIDATE));
}
END_TEST

START_TEST(life_expires_minus_date)
{
	ck_assert_ptr_null(store200(DATE "Expires: Sun, 06 Nov 1994 08:51:37 "
	    "GMT\r\n"));
	ck_assert_uint_eq(f.lifetime, 120);
	ck_assert(f.flags & CP_F_EXPLICIT);
	/* no Date: response_time stands in; the origin's clock was 30 s ahead */
	get("");
	resp(200, "Expires: Sun, 06 Nov 1994 08:51:37 GMT\r\n");
	ck_assert_ptr_null(store_at((T0 + 30) * 1000, (T0 + 30) * 1000));
	ck_assert_uint_eq(f.lifetime, 90);
}
END_TEST

START_TEST(life_expires_invalid_or_past)
{
	/* "0", a bad date, a past one, two of them: expired, not heuristic */
	ck_assert_str_eq(store200(DATE "Expires: 0\r\n"), "no-freshness");
	ck_assert_uint_eq(f.lifetime, 0);
	/* Last-Modified is a validator here, not a heuristic */
	ck_assert_ptr_null(store200(DATE "Expires: 0\r\nLast-Modified: Sat, "
	    "06 Nov 1993 08:49:37 GMT\r\n"));
	ck_assert_uint_eq(f.lifetime, 0);
	ck_assert(!(f.flags & CP_F_HEURISTIC));
	ck_assert_str_eq(store200(DATE "Expires: Sun, 06 Nov 1994 08:00:00 "
	    "GMT\r\n"), "no-freshness");
	ck_assert_str_eq(store200(DATE "Expires: Sun, 06 Nov 1994 09:00:00 "
	    "GMT\r\nExpires: Sun, 06 Nov 1994 09:00:00 GMT\r\n"),
	    "no-freshness");
	/* with a validator, stored to be revalidated each time */
	ck_assert_ptr_null(store200(DATE "Expires: 0\r\nETag: \"v1\"\r\n"));
	ck_assert_uint_eq(f.lifetime, 0);
	ck_assert(f.flags & CP_F_ETAG);
}
END_TEST

START_TEST(life_heuristic)
{
	/* modified 10000 s before Date: 10 % = 1000 s */
	ck_assert_ptr_null(store200(DATE "Last-Modified: Sun, 06 Nov 1994 "
	    "06:02:57 GMT\r\n"));
	ck_assert_uint_eq(f.lifetime, 1000);
	ck_assert(f.flags & CP_F_HEURISTIC);
	ck_assert(f.flags & CP_F_LAST_MODIFIED);
	ck_assert(!(f.flags & CP_F_EXPLICIT));
	/* a year old: capped at a day */
	ck_assert_ptr_null(store200(DATE "Last-Modified: Sat, 06 Nov 1993 "
	    "08:49:37 GMT\r\n"));
	ck_assert_uint_eq(f.lifetime, 86400);
	/* modified after Date: no heuristic */
	ck_assert_str_eq(store200(DATE "Last-Modified: Sun, 06 Nov 1994 "
	    "09:00:00 GMT\r\n"), "no-freshness");
}
END_TEST

START_TEST(life_heuristic_statuses)
{
	static const int yes[] = { 200, 203, 204, 300, 301, 308, 404, 405,
	    410, 414, 501 };
	static const int no[] = { 201, 202, 302, 303, 307, 400, 401, 403,
	    500, 502, 503, 504 };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		get("");
		resp(yes[i], DATE "Last-Modified: Sun, 06 Nov 1994 06:02:57 "
		    "GMT\r\n");
		ck_assert_msg(store() == NULL, "%d", yes[i]);
		ck_assert_uint_eq(f.lifetime, 1000);
	}
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		get("");
		resp(no[i], DATE "Last-Modified: Sun, 06 Nov 1994 06:02:57 "
		    "GMT\r\n");
		ck_assert_msg(strcmp(store(), "status") == 0, "%d", no[i]);
	}
}
END_TEST

START_TEST(life_explicit_any_status)
{
	get("");
	resp(302, DATE "Cache-Control: max-age=60\r\n");
	ck_assert_ptr_null(store());
	ck_assert_uint_eq(f.lifetime, 60);
	get("");
	resp(500, DATE "Expires: Sun, 06 Nov 1994 08:50:37 GMT\r\n");
	ck_assert_ptr_null(store());
	ck_assert_uint_eq(f.lifetime, 60);
	/* public alone is not a lifetime */
	get("");
	resp(302, DATE "Cache-Control: public\r\n");
	ck_assert_str_eq(store(), "status");
}
END_TEST

START_TEST(life_heuristic_not_with_explicit)
{
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=0\r\n"
	    "Last-Modified: Sat, 06 Nov 1993 08:49:37 GMT\r\n"));
	ck_assert_uint_eq(f.lifetime, 0);
	ck_assert(!(f.flags & CP_F_HEURISTIC));
}
END_TEST

START_TEST(life_default_ttl)
{
	ru.default_ttl = 30;
	ck_assert_ptr_null(store200(DATE));
	ck_assert_uint_eq(f.lifetime, 30);
	ck_assert(f.flags & CP_F_DEFAULT_TTL);
	/* the heuristic comes first */
	ck_assert_ptr_null(store200(DATE "Last-Modified: Sun, 06 Nov 1994 "
	    "06:02:57 GMT\r\n"));
	ck_assert_uint_eq(f.lifetime, 1000);
	ck_assert(!(f.flags & CP_F_DEFAULT_TTL));
	/* and explicit freshness, even 0 */
	ck_assert_str_eq(store200(DATE "Cache-Control: max-age=0\r\n"),
	    "no-freshness");
	/* not for a status that needs explicit freshness */
	get("");
	resp(302, DATE);
	ck_assert_str_eq(store(), "status");
	/* without it, nothing */
	ru.default_ttl = 0;
	ck_assert_str_eq(store200(DATE), "no-freshness");
}
END_TEST

START_TEST(life_max_ttl)
{
	ru.max_ttl = 100;
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=3600\r\n"));
	ck_assert_uint_eq(f.lifetime, 100);
	ck_assert_ptr_null(store200(DATE "Last-Modified: Sun, 06 Nov 1994 "
	    "06:02:57 GMT\r\n"));
	ck_assert_uint_eq(f.lifetime, 100);
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=50\r\n"));
	ck_assert_uint_eq(f.lifetime, 50);
	ru.default_ttl = 500;
	ck_assert_ptr_null(store200(DATE));
	ck_assert_uint_eq(f.lifetime, 100);
}
END_TEST

START_TEST(life_bad_freshness_is_stale)
{
	/* RFC 9111 4.2.1: duplicated or invalid, stale */
	ck_assert_str_eq(store200(DATE "Cache-Control: max-age=60, "
	    "max-age=120\r\n"), "no-freshness");
	ck_assert_uint_eq(f.lifetime, 0);
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=60, "
	    "max-age=120\r\nETag: \"a\"\r\n"));
	ck_assert_uint_eq(f.lifetime, 0);
	ck_assert_str_eq(store200(DATE "Cache-Control: s-maxage=x, "
	    "max-age=60\r\n"), "no-freshness");
	/* s-maxage overrides a bad max-age for a shared cache */
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=x, "
	    "s-maxage=60\r\n"));
	ck_assert_uint_eq(f.lifetime, 60);
	/* a bad max-age also stops Expires and the heuristic */
	ck_assert_str_eq(store200(DATE "Cache-Control: max-age=\r\n"
	    "Expires: Sun, 06 Nov 1994 09:49:37 GMT\r\n"), "no-freshness");
}
END_TEST

/* ---- Age (RFC 9111 4.2.3) --------------------------------------------- */

START_TEST(age_corrected_value)
{
	/*
	 * Date T0, request sent T0+2, response at T0+5, Age 10:
	 * apparent_age = 5, response_delay = 3, corrected_age_value = 13,
	 * corrected_initial_age = max(5, 13) = 13.
	 */
	get("");
	resp(200, DATE "Age: 10\r\nCache-Control: max-age=60\r\n");
	ck_assert_ptr_null(store_at((T0 + 2) * 1000, (T0 + 5) * 1000));
	ck_assert_uint_eq(f.initial_age, 13);
	ck_assert_int_eq(f.expires, (T0 + 5 + 47) * 1000);
	/* resident_time 7 s later: current_age 20, 40 s left */
	ck_assert_int_eq(cp_age(&f, (T0 + 12) * 1000), 20);
	ck_assert_int_eq(cp_age(&f, (T0 + 12) * 1000 + 999), 20);
	ck_assert_int_eq(cp_age(&f, (T0 + 13) * 1000), 21);
	/* a clock behind response_time adds nothing */
	ck_assert_int_eq(cp_age(&f, T0MS), 13);
}
END_TEST

START_TEST(age_apparent_wins)
{
	/* the origin's Date is 100 s behind: apparent_age 101 > 3 + 1 */
	get("");
	resp(200, "Date: Sun, 06 Nov 1994 08:47:57 GMT\r\nAge: 3\r\n"
	    "Cache-Control: max-age=600\r\n");
	ck_assert_ptr_null(store_at(T0MS, (T0 + 1) * 1000));
	ck_assert_uint_eq(f.initial_age, 101);
	/* a Date ahead of us: apparent_age 0, Age and delay count */
	get("");
	resp(200, "Date: Sun, 06 Nov 1994 09:49:37 GMT\r\nAge: 3\r\n"
	    "Cache-Control: max-age=600\r\n");
	ck_assert_ptr_null(store_at(T0MS, (T0 + 1) * 1000));
	ck_assert_uint_eq(f.initial_age, 4);
}
END_TEST

START_TEST(age_without_date)
{
	/* no Date: date_value = response_time, apparent_age 0 */
	get("");
	resp(200, "Age: 7\r\nCache-Control: max-age=60\r\n");
	ck_assert_ptr_null(store_at(T0MS, T0MS + 2500));
	ck_assert_uint_eq(f.initial_age, 9);
}
END_TEST

START_TEST(age_field_forms)
{
	/* a list: the first member (RFC 9111 5.1) */
	ck_assert_ptr_null(store200(DATE "Age: 5, 9\r\nCache-Control: "
	    "max-age=60\r\n"));
	ck_assert_uint_eq(f.initial_age, 5);
	ck_assert_ptr_null(store200(DATE "Age: abc\r\nCache-Control: "
	    "max-age=60\r\n"));
	ck_assert_uint_eq(f.initial_age, 0);
	ck_assert_ptr_null(store200(DATE "Age: -5\r\nCache-Control: "
	    "max-age=60\r\n"));
	ck_assert_uint_eq(f.initial_age, 0);
	/* stale on arrival and nothing to revalidate with */
	ck_assert_str_eq(store200(DATE "Age: 100\r\nCache-Control: "
	    "max-age=60\r\n"), "no-freshness");
	ck_assert_str_eq(store200(DATE "Age: 99999999999999999999\r\n"
	    "Cache-Control: max-age=60\r\n"), "no-freshness");
	ck_assert_uint_eq(f.initial_age, CP_DELTA_MAX);
}
END_TEST

/* ---- Not stored -------------------------------------------------------- */

START_TEST(nostore_no_store)
{
	ck_assert_str_eq(store200(DATE "Cache-Control: no-store, "
	    "max-age=60\r\n"), "no-store");
	get("Cache-Control: no-store\r\n");
	resp(200, DATE "Cache-Control: max-age=60\r\n");
	ck_assert_str_eq(store(), "no-store");
}
END_TEST

START_TEST(nostore_private)
{
	ck_assert_str_eq(store200(DATE "Cache-Control: private, "
	    "max-age=60\r\n"), "private");
	/* qualified: stored without the named fields */
	ck_assert_ptr_null(store200(DATE "Cache-Control: private=\"X-User\", "
	    "max-age=60\r\nX-User: alice\r\nX-Other: 1\r\nx-user: again\r\n"));
	ck_assert(!cp_dropped(&f, 0));
	ck_assert(!cp_dropped(&f, 1));
	ck_assert(cp_dropped(&f, 2));
	ck_assert(!cp_dropped(&f, 3));
	ck_assert(cp_dropped(&f, 4));
	ck_assert(!cp_dropped(&f, -1));
	ck_assert(!cp_dropped(&f, HTTP_MAX_HEADERS));
}
END_TEST

START_TEST(nostore_no_cache_fields)
{
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=60, "
	    "no-cache=\"X-Secret\"\r\nX-Secret: s\r\n"));
	ck_assert(cp_dropped(&f, 2));
	ck_assert(!(f.flags & CP_F_NO_CACHE));
	/* unqualified: stored, revalidated on every use */
	ck_assert_ptr_null(store200(DATE "Cache-Control: no-cache, "
	    "max-age=60\r\nETag: \"x\"\r\n"));
	ck_assert(f.flags & CP_F_NO_CACHE);
	ck_assert_ptr_null(store200(DATE "Cache-Control: no-cache\r\n"
	    "Last-Modified: Sun, 06 Nov 1994 06:02:57 GMT\r\n"));
	ck_assert(f.flags & CP_F_NO_CACHE);
	/* no validator: every use would be a full fetch */
	ck_assert_str_eq(store200(DATE "Cache-Control: no-cache, "
	    "max-age=60\r\n"), "no-freshness");
}
END_TEST

START_TEST(nostore_authorization)
{
	static const char *ok[] = {
		"Cache-Control: public, max-age=60\r\n",
		"Cache-Control: s-maxage=60\r\n",
		"Cache-Control: must-revalidate, max-age=60\r\n",
	};
	size_t i;

	get("Authorization: Basic eDp5\r\n");
	resp(200, DATE "Cache-Control: max-age=60\r\n");
	ck_assert_str_eq(store(), "authorization");
	get("authorization: Bearer t\r\n");
	resp(200, DATE "Cache-Control: proxy-revalidate, max-age=60\r\n");
	ck_assert_str_eq(store(), "authorization");
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		get("Authorization: Basic eDp5\r\n");
		resp(200, ok[i]);
		ck_assert_msg(store() == NULL, "%s", ok[i]);
	}
}
END_TEST

START_TEST(nostore_set_cookie)
{
	ck_assert_str_eq(store200(DATE "Cache-Control: max-age=60\r\n"
	    "Set-Cookie: a=1\r\n"), "set-cookie");
	ck_assert_str_eq(store200(DATE "Cache-Control: max-age=60\r\n"
	    "set-cookie2: a=1\r\n"), "set-cookie");
	ru.set_cookie = 1;
	ck_assert_ptr_null(store200(DATE "Set-Cookie: a=1\r\n"
	    "Cache-Control: max-age=60\r\nSET-COOKIE: b=2\r\n"
	    "Set-Cookie2: c=3\r\nX-Keep: 1\r\n"));
	ck_assert(!cp_dropped(&f, 0));
	ck_assert(cp_dropped(&f, 1));
	ck_assert(!cp_dropped(&f, 2));
	ck_assert(cp_dropped(&f, 3));
	ck_assert(cp_dropped(&f, 4));
	ck_assert(!cp_dropped(&f, 5));
}
END_TEST

START_TEST(nostore_vary_star)
{
	ck_assert_str_eq(store200(DATE "Cache-Control: max-age=60\r\n"
	    "Vary: accept, *\r\n"), "vary-star");
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=60\r\n"
	    "Vary: accept\r\n"));
}
END_TEST

START_TEST(nostore_method_status)
{
	req_raw("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n");
	resp(200, DATE "Cache-Control: max-age=60\r\n");
	ck_assert_str_eq(store(), "method");
	req_raw("HEAD /p HTTP/1.1\r\nHost: h\r\n");
	ck_assert_str_eq(store(), "method");
	get("");
	resp(206, DATE "Cache-Control: max-age=60\r\nContent-Range: "
	    "bytes 0-1/10\r\n");
	ck_assert_str_eq(store(), "status");
	resp(304, DATE "Cache-Control: max-age=60\r\n");
	ck_assert_str_eq(store(), "status");
}
END_TEST

START_TEST(store_flags)
{
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=60, "
	    "must-revalidate, immutable\r\nETag: W/\"1\"\r\n"
	    "Last-Modified: Sun, 06 Nov 1994 06:02:57 GMT\r\n"));
	ck_assert_uint_eq(f.flags & (CP_F_MUST_REVALIDATE | CP_F_IMMUTABLE |
	    CP_F_VALIDATORS), CP_F_MUST_REVALIDATE | CP_F_IMMUTABLE |
	    CP_F_ETAG | CP_F_LAST_MODIFIED);
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=60, "
	    "proxy-revalidate\r\nLast-Modified: junk\r\n"));
	ck_assert(f.flags & CP_F_MUST_REVALIDATE);
	ck_assert_uint_eq(f.flags & CP_F_VALIDATORS, 0);
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=60, "
	    "stale-while-revalidate=30, stale-if-error=300\r\n"));
	ck_assert_int_eq(f.stale_while_revalidate, 30);
	ck_assert_int_eq(f.stale_if_error, 300);
	ck_assert_uint_eq(f.flags & ~CP_F_EXPLICIT, 0);
}
END_TEST

START_TEST(store_cdn_cache_control)
{
	const char *h = DATE "Cache-Control: no-store\r\n"
	    "CDN-Cache-Control: max-age=600\r\n";

	ck_assert_str_eq(store200(h), "no-store");
	ru.cdn_cache_control = 1;
	ck_assert_ptr_null(store200(h));
	ck_assert_uint_eq(f.lifetime, 600);
	ck_assert(f.flags & CP_F_CDN);
	/* it replaces Expires too (RFC 9213 2.1) */
	ru.default_ttl = 5;
	ck_assert_ptr_null(store200(DATE "CDN-Cache-Control: public\r\n"
	    "Expires: Sun, 06 Nov 1994 09:49:37 GMT\r\n"));
	ck_assert_uint_eq(f.lifetime, 5);
	ck_assert_str_eq(store200(DATE "Cache-Control: public, max-age=60\r\n"
	    "CDN-Cache-Control: private\r\n"), "private");
	/* absent: Cache-Control as usual */
	ck_assert_ptr_null(store200(DATE "Cache-Control: max-age=60\r\n"));
	ck_assert_uint_eq(f.lifetime, 60);
	ck_assert(!(f.flags & CP_F_CDN));
}
END_TEST

/* ---- Use -------------------------------------------------------------- */

/* An entry of lifetime life whose age is age at T0. */
static void
entry(uint32_t life, uint32_t age, uint16_t flags)
{
	memset(&f, 0, sizeof(f));
	f.lifetime = life;
	f.initial_age = age;
	f.response_time = T0MS;
	f.flags = flags;
}

static enum cp_use
use(const char *fields, int64_t *ttl)
{
	struct cp_cc cc;

	cc_req(&cc, fields);
	return (cp_usable(&cc, &f, T0MS, ttl));
}

START_TEST(use_fresh_then_stale)
{
	struct cp_cc cc;
	int64_t ttl;

	entry(60, 10, CP_F_ETAG);
	cc_req(&cc, "");
	ck_assert_int_eq(cp_usable(&cc, &f, T0MS, &ttl), CP_FRESH);
	ck_assert_int_eq(ttl, 50);
	ck_assert_int_eq(cp_usable(&cc, &f, T0MS + 49999, &ttl), CP_FRESH);
	ck_assert_int_eq(ttl, 1);
	/* age == lifetime: stale */
	ck_assert_int_eq(cp_usable(&cc, &f, T0MS + 50000, &ttl),
	    CP_REVALIDATE);
	ck_assert_int_eq(ttl, 0);
	ck_assert_int_eq(cp_usable(&cc, &f, T0MS + 53000, &ttl),
	    CP_REVALIDATE);
	ck_assert_int_eq(ttl, -3);
	ck_assert_int_eq(cp_usable(&cc, &f, T0MS + 53000, NULL),
	    CP_REVALIDATE);
}
END_TEST

START_TEST(use_request_no_cache)
{
	int64_t ttl;

	entry(60, 0, CP_F_ETAG);
	ck_assert_int_eq(use("Cache-Control: no-cache\r\n", &ttl),
	    CP_REVALIDATE);
	ck_assert_int_eq(ttl, 60);
	ck_assert_int_eq(use("Pragma: no-cache\r\n", NULL), CP_REVALIDATE);
	/* immutable: a reload does not need the origin while fresh */
	entry(60, 0, CP_F_IMMUTABLE);
	ck_assert_int_eq(use("Cache-Control: no-cache\r\n", NULL), CP_FRESH);
	entry(60, 61, CP_F_IMMUTABLE);
	ck_assert_int_eq(use("Cache-Control: no-cache\r\n", NULL),
	    CP_REVALIDATE);
}
END_TEST

START_TEST(use_request_max_age)
{
	entry(600, 20, 0);
	ck_assert_int_eq(use("Cache-Control: max-age=10\r\n", NULL),
	    CP_REVALIDATE);
	ck_assert_int_eq(use("Cache-Control: max-age=20\r\n", NULL), CP_FRESH);
	ck_assert_int_eq(use("Cache-Control: max-age=0\r\n", NULL),
	    CP_REVALIDATE);
	ck_assert_int_eq(use("Cache-Control: max-age=zz\r\n", NULL),
	    CP_REVALIDATE);
	entry(600, 0, 0);
	ck_assert_int_eq(use("Cache-Control: max-age=0\r\n", NULL), CP_FRESH);
	/* max-stale does not undo the client's own max-age */
	entry(10, 20, 0);
	ck_assert_int_eq(use("Cache-Control: max-age=5, max-stale\r\n", NULL),
	    CP_REVALIDATE);
}
END_TEST

START_TEST(use_min_fresh)
{
	entry(60, 50, 0);
	ck_assert_int_eq(use("Cache-Control: min-fresh=20\r\n", NULL),
	    CP_REVALIDATE);
	ck_assert_int_eq(use("Cache-Control: min-fresh=10\r\n", NULL),
	    CP_FRESH);
	ck_assert_int_eq(use("Cache-Control: min-fresh=5\r\n", NULL),
	    CP_FRESH);
}
END_TEST

START_TEST(use_max_stale)
{
	int64_t ttl;

	entry(60, 70, 0);	/* 10 s stale */
	ck_assert_int_eq(use("Cache-Control: max-stale=20\r\n", &ttl),
	    CP_STALE_OK);
	ck_assert_int_eq(ttl, -10);
	ck_assert_int_eq(use("Cache-Control: max-stale=10\r\n", NULL),
	    CP_STALE_OK);
	ck_assert_int_eq(use("Cache-Control: max-stale=9\r\n", NULL),
	    CP_REVALIDATE);
	ck_assert_int_eq(use("Cache-Control: max-stale\r\n", NULL),
	    CP_STALE_OK);
	ck_assert_int_eq(use("", NULL), CP_REVALIDATE);
	/* must-revalidate (or s-maxage, proxy-revalidate) forbids it */
	entry(60, 70, CP_F_MUST_REVALIDATE);
	ck_assert_int_eq(use("Cache-Control: max-stale\r\n", NULL),
	    CP_REVALIDATE);
}
END_TEST

START_TEST(use_no_store_and_entry_no_cache)
{
	entry(60, 0, 0);
	ck_assert_int_eq(use("Cache-Control: no-store\r\n", NULL), CP_MISS);
	entry(60, 0, CP_F_NO_CACHE | CP_F_ETAG);
	ck_assert_int_eq(use("", NULL), CP_REVALIDATE);
	ck_assert_int_eq(use("Cache-Control: max-stale\r\n", NULL),
	    CP_REVALIDATE);
}
END_TEST

START_TEST(use_only_if_cached)
{
	struct cp_cc cc;

	/* the caller answers 504 unless FRESH or STALE_OK */
	cc_req(&cc, "Cache-Control: only-if-cached\r\n");
	ck_assert(cc.flags & CP_CC_ONLY_IF_CACHED);
	entry(60, 0, 0);
	ck_assert_int_eq(cp_usable(&cc, &f, T0MS, NULL), CP_FRESH);
	entry(60, 61, 0);
	ck_assert_int_eq(cp_usable(&cc, &f, T0MS, NULL), CP_REVALIDATE);
}
END_TEST

START_TEST(use_roundtrip_from_storable)
{
	int64_t ttl;
	struct cp_cc cc;

	ck_assert_ptr_null(store200(DATE "Age: 10\r\nCache-Control: "
	    "max-age=60\r\n"));
	cc_req(&cc, "");
	ck_assert_int_eq(cp_usable(&cc, &f, T0MS + 20000, &ttl), CP_FRESH);
	ck_assert_int_eq(ttl, 30);
	ck_assert_int_eq(cp_usable(&cc, &f, T0MS + 60000, &ttl),
	    CP_REVALIDATE);
	ck_assert_int_eq(ttl, -10);
}
END_TEST

/* ---- Vary ------------------------------------------------------------- */

START_TEST(vary_sorted_deduplicated)
{
	char b[512];
	long n;

	get("Accept-Language: en\r\nUser-Agent: UA/1\r\nX-A: 1\r\n");
	resp(200, "Vary: User-Agent, accept-language\r\n"
	    "Vary: ACCEPT-LANGUAGE, X-A\r\n");
	n = cp_vary_build(b, sizeof(b), &r, rb, &q, qb);
	ck_assert_str_eq(vis(b, n),
	    "accept-language|en|user-agent|UA/1|x-a|1|");
	ck_assert(cp_vary_match(b, (size_t)n, &q, qb));
}
END_TEST

START_TEST(vary_normalised_values)
{
	char b[512], v[64];
	long n;

	get("Accept-Language:  en ,  fr\r\nAccept-Language: de\r\n"
	    "X-Sp: a \t  b\r\n");
	n = cp_value(v, sizeof(v), &q, qb, "accept-language");
	ck_assert_str_eq(vis(v, n), "en, fr, de");
	n = cp_value(v, sizeof(v), &q, qb, "x-sp");
	ck_assert_str_eq(vis(v, n), "a b");
	n = cp_value(v, sizeof(v), &q, qb, "absent");
	ck_assert_int_eq(n, 0);
	n = cp_value(v, 3, &q, qb, "accept-language");
	ck_assert_int_eq(n, -1);
	resp(200, "Vary: Accept-Language\r\n");
	n = cp_vary_build(b, sizeof(b), &r, rb, &q, qb);
	ck_assert_int_gt(n, 0);
	/* the same list spelled another way matches */
	get("Accept-Language: en,fr,de\r\n");
	ck_assert(cp_vary_match(b, (size_t)n, &q, qb));
	get("Accept-Language: en, fr\r\nAccept-Language: de\r\n");
	ck_assert(cp_vary_match(b, (size_t)n, &q, qb));
	get("Accept-Language: en, de, fr\r\n");
	ck_assert(!cp_vary_match(b, (size_t)n, &q, qb));
	get("");
	ck_assert(!cp_vary_match(b, (size_t)n, &q, qb));
}
END_TEST

START_TEST(vary_accept_encoding)
{
	static const struct {
		const char	*ae;
		const char	*v;
	} t[] = {
		{ "gzip, deflate, br", "gzip" },
		{ "br;q=1.0, gzip;q=0.8", "gzip" },
		{ "gzip;q=0", "" },
		{ "gzip; q=0.000", "" },
		{ "gzip;q=0.001", "gzip" },
		{ "GZIP", "gzip" },
		{ "x-gzip", "gzip" },
		{ "br", "" },
		{ "*", "gzip" },
		{ "*;q=0.5", "gzip" },
		{ "*;q=0", "" },
		{ "*, gzip;q=0", "" },
		{ "gzip;q=2", "" },
		{ "gzip;q=1.000", "gzip" },
		{ "gzip;level=1;q=0.5", "gzip" },
		{ "identity", "" },
	};
	char line[128], v[16];
	size_t i;
	long n;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		snprintf(line, sizeof(line), "Accept-Encoding: %s\r\n",
		    t[i].ae);
		get(line);
		n = cp_value(v, sizeof(v), &q, qb, "Accept-Encoding");
		ck_assert_msg(strcmp(vis(v, n), t[i].v) == 0, "%s -> %s",
		    t[i].ae, vis(v, n));
	}
	get("");
	ck_assert_int_eq(cp_value(v, sizeof(v), &q, qb, "accept-encoding"),
	    0);
}
END_TEST

START_TEST(vary_accept_encoding_variants)
{
	char b[256];
	long n;

	get("Accept-Encoding: gzip, deflate\r\n");
	resp(200, "Vary: Accept-Encoding\r\n");
	n = cp_vary_build(b, sizeof(b), &r, rb, &q, qb);
	ck_assert_str_eq(vis(b, n), "accept-encoding|gzip|");
	get("Accept-Encoding: br, gzip\r\n");
	ck_assert(cp_vary_match(b, (size_t)n, &q, qb));
	get("Accept-Encoding: identity\r\n");
	ck_assert(!cp_vary_match(b, (size_t)n, &q, qb));
}
END_TEST

START_TEST(vary_star_and_limits)
{
	char b[512];

	get("");
	resp(200, "Vary: *\r\n");
	ck_assert(cp_vary_star(&r, rb));
	ck_assert_int_eq(cp_vary_build(b, sizeof(b), &r, rb, &q, qb), -1);
	resp(200, "Vary: a\r\nVary: b, *\r\n");
	ck_assert(cp_vary_star(&r, rb));
	resp(200, "Vary: a\r\n");
	ck_assert(!cp_vary_star(&r, rb));
	/* no Vary: an empty blob that every request matches */
	resp(200, "X: 1\r\n");
	ck_assert_int_eq(cp_vary_build(b, sizeof(b), &r, rb, &q, qb), 0);
	ck_assert(cp_vary_match(b, 0, &q, qb));
	/* does not fit; too many names; not a token */
	get("Accept: text/html\r\n");
	resp(200, "Vary: Accept\r\n");
	ck_assert_int_eq(cp_vary_build(b, 10, &r, rb, &q, qb), -1);
	ck_assert_int_eq(cp_vary_build(b, 16, &r, rb, &q, qb), -1);
	ck_assert_int_eq(cp_vary_build(b, 17, &r, rb, &q, qb), 17);
	resp(200, "Vary: a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q\r\n");
	ck_assert_int_eq(cp_vary_build(b, sizeof(b), &r, rb, &q, qb), -1);
	resp(200, "Vary: a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,P,a\r\n");
	ck_assert_int_gt(cp_vary_build(b, sizeof(b), &r, rb, &q, qb), 0);
	resp(200, "Vary: a\"b\r\n");
	ck_assert_int_eq(cp_vary_build(b, sizeof(b), &r, rb, &q, qb), -1);
}
END_TEST

START_TEST(vary_bad_blob)
{
	get("Accept: x\r\n");
	ck_assert(!cp_vary_match("accept", 6, &q, qb));
	ck_assert(!cp_vary_match("accept\0x", 8, &q, qb));
	ck_assert(cp_vary_match("accept\0x", 9, &q, qb));
	ck_assert(!cp_vary_match("accept\0y", 9, &q, qb));
}
END_TEST

/* ---- Keys ------------------------------------------------------------- */

static size_t
key(char *b, size_t cap, const char *host, const char *path,
    const char *query, int https, const struct cp_key *base)
{
	struct cp_key k;

	if (base != NULL)
		k = *base;
	else
		memset(&k, 0, sizeof(k));
	k.meth = k.meth ? k.meth : HTTP_M_GET;
	k.https = https;
	k.host = host;
	k.hostlen = strlen(host);
	k.path = path;
	k.pathlen = strlen(path);
	k.query = query;
	k.querylen = query != NULL ? strlen(query) : 0;
	k.route = "r1";
	return (cp_key_build(b, cap, &k));
}

START_TEST(key_basic)
{
	char b[512];
	size_t n;

	n = key(b, sizeof(b), "Example.COM", "/a/b", "x=1", 0, NULL);
	ck_assert_str_eq(vis(b, (long)n), "G|http|example.com|/a/b?x=1|r1|");
	n = key(b, sizeof(b), "h", "/", NULL, 1, NULL);
	ck_assert_str_eq(vis(b, (long)n), "G|https|h|/|r1|");
}
END_TEST

START_TEST(key_method_class)
{
	char a[256], b[256];
	struct cp_key k;
	size_t na, nb;

	memset(&k, 0, sizeof(k));
	k.meth = HTTP_M_HEAD;
	na = key(a, sizeof(a), "h", "/", NULL, 0, &k);
	k.meth = HTTP_M_GET;
	nb = key(b, sizeof(b), "h", "/", NULL, 0, &k);
	ck_assert_uint_eq(na, nb);
	ck_assert(memcmp(a, b, na) == 0);
	k.meth = HTTP_M_POST;
	nb = key(b, sizeof(b), "h", "/", NULL, 0, &k);
	ck_assert_str_eq(vis(b, (long)nb), "X|http|h|/|r1|");
}
END_TEST

START_TEST(key_default_port)
{
	char b[256];
	size_t n;

	n = key(b, sizeof(b), "H:80", "/", NULL, 0, NULL);
	ck_assert_str_eq(vis(b, (long)n), "G|http|h|/|r1|");
	n = key(b, sizeof(b), "h:", "/", NULL, 0, NULL);
	ck_assert_str_eq(vis(b, (long)n), "G|http|h|/|r1|");
	n = key(b, sizeof(b), "h:8080", "/", NULL, 0, NULL);
	ck_assert_str_eq(vis(b, (long)n), "G|http|h:8080|/|r1|");
	n = key(b, sizeof(b), "h:443", "/", NULL, 0, NULL);
	ck_assert_str_eq(vis(b, (long)n), "G|http|h:443|/|r1|");
	n = key(b, sizeof(b), "h:443", "/", NULL, 1, NULL);
	ck_assert_str_eq(vis(b, (long)n), "G|https|h|/|r1|");
	n = key(b, sizeof(b), "[::1]:80", "/", NULL, 0, NULL);
	ck_assert_str_eq(vis(b, (long)n), "G|http|[::1]|/|r1|");
}
END_TEST

START_TEST(key_ignored_query)
{
	static const char *const ign[] = { "utm_source", "fbclid" };
	char b[256];
	struct cp_key k;
	size_t n;

	memset(&k, 0, sizeof(k));
	k.ignore = ign;
	k.nignore = 2;
	n = key(b, sizeof(b), "h", "/p", "utm_source=x&id=7&fbclid&b=2", 0,
	    &k);
	ck_assert_str_eq(vis(b, (long)n), "G|http|h|/p?id=7&b=2|r1|");
	n = key(b, sizeof(b), "h", "/p", "utm_source=x&fbclid=y", 0, &k);
	ck_assert_str_eq(vis(b, (long)n), "G|http|h|/p|r1|");
	/* names are whole: a prefix is another parameter */
	n = key(b, sizeof(b), "h", "/p", "utm_sourcex=1&&id=1", 0, &k);
	ck_assert_str_eq(vis(b, (long)n), "G|http|h|/p?utm_sourcex=1&id=1|r1|");
	n = key(b, sizeof(b), "h", "/p", "", 0, &k);
	ck_assert_str_eq(vis(b, (long)n), "G|http|h|/p|r1|");
	k.ignore_query = 1;
	n = key(b, sizeof(b), "h", "/p", "id=7", 0, &k);
	ck_assert_str_eq(vis(b, (long)n), "G|http|h|/p|r1|");
}
END_TEST

START_TEST(key_headers)
{
	static const char *const hdr[] = { "X-Tenant", "Accept-Encoding" };
	char b[256];
	struct cp_key k;
	size_t n;

	get("x-tenant:  acme  corp\r\nAccept-Encoding: gzip;q=1\r\n");
	memset(&k, 0, sizeof(k));
	k.headers = hdr;
	k.nheaders = 2;
	k.q = &q;
	k.qbuf = qb;
	n = key(b, sizeof(b), "h", "/", NULL, 0, &k);
	ck_assert_str_eq(vis(b, (long)n),
	    "G|http|h|/|r1|x-tenant|acme corp|accept-encoding|gzip|");
}
END_TEST

START_TEST(key_does_not_fit)
{
	static const char *const hdr[] = { "X-T" };
	char b[256];
	struct cp_key k;
	size_t n, cap;

	get("X-T: v\r\n");
	memset(&k, 0, sizeof(k));
	k.headers = hdr;
	k.nheaders = 1;
	k.q = &q;
	k.qbuf = qb;
	n = key(b, sizeof(b), "h", "/abc", "q=1", 0, &k);
	ck_assert_uint_gt(n, 0);
	for (cap = 0; cap < n; cap++)
		ck_assert_uint_eq(key(b, cap, "h", "/abc", "q=1", 0, &k), 0);
	ck_assert_uint_eq(key(b, n, "h", "/abc", "q=1", 0, &k), n);
}
END_TEST

/* ---- Conditionals ------------------------------------------------------ */

static int
not_modified(const char *fields)
{
	get(fields);
	return (cp_not_modified(&q, qb, &s.h, sb));
}

START_TEST(cond_if_none_match)
{
	stored(200, "ETag: \"abc\"\r\n");
	ck_assert(not_modified("If-None-Match: \"abc\"\r\n"));
	ck_assert(not_modified("If-None-Match: W/\"abc\"\r\n"));
	ck_assert(not_modified("If-None-Match: \"x\", \"abc\"\r\n"));
	ck_assert(not_modified("If-None-Match: \"x\"\r\n"
	    "If-None-Match: \"abc\"\r\n"));
	ck_assert(not_modified("If-None-Match: *\r\n"));
	ck_assert(!not_modified("If-None-Match: \"ab\"\r\n"));
	ck_assert(!not_modified("If-None-Match: \"ABC\"\r\n"));
	ck_assert(!not_modified("If-None-Match: abc\r\n"));
	ck_assert(!not_modified(""));
	/* weak comparison: a weak stored tag matches either form */
	stored(200, "ETag: W/\"abc\"\r\n");
	ck_assert(not_modified("If-None-Match: \"abc\"\r\n"));
	ck_assert(not_modified("If-None-Match: W/\"abc\"\r\n"));
	/* a comma inside a tag */
	stored(200, "ETag: \"a,b\"\r\n");
	ck_assert(not_modified("If-None-Match: \"x\", \"a,b\"\r\n"));
	ck_assert(!not_modified("If-None-Match: \"a\"\r\n"));
	/* nothing stored to compare with, but * still matches */
	stored(200, "X: 1\r\n");
	ck_assert(!not_modified("If-None-Match: \"abc\"\r\n"));
	ck_assert(not_modified("If-None-Match: *\r\n"));
}
END_TEST

START_TEST(cond_if_modified_since)
{
	stored(200, "Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n");
	ck_assert(not_modified("If-Modified-Since: Sun, 06 Nov 1994 "
	    "08:49:37 GMT\r\n"));
	ck_assert(not_modified("If-Modified-Since: Mon, 07 Nov 1994 "
	    "08:49:37 GMT\r\n"));
	ck_assert(not_modified("If-Modified-Since: Sunday, 06-Nov-94 "
	    "08:49:37 GMT\r\n"));
	ck_assert(!not_modified("If-Modified-Since: Sun, 06 Nov 1994 "
	    "08:49:36 GMT\r\n"));
	ck_assert(!not_modified("If-Modified-Since: yesterday\r\n"));
	req_raw("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n"
	    "If-Modified-Since: Mon, 07 Nov 1994 08:49:37 GMT\r\n");
	ck_assert(!cp_not_modified(&q, qb, &s.h, sb));
	/* only Last-Modified counts, not Date */
	stored(200, DATE);
	ck_assert(!not_modified("If-Modified-Since: Mon, 07 Nov 1994 "
	    "08:49:37 GMT\r\n"));
}
END_TEST

START_TEST(cond_inm_wins)
{
	stored(200, "ETag: \"abc\"\r\nLast-Modified: Sun, 06 Nov 1994 "
	    "08:49:37 GMT\r\n");
	ck_assert(!not_modified("If-None-Match: \"x\"\r\nIf-Modified-Since: "
	    "Mon, 07 Nov 1994 08:49:37 GMT\r\n"));
	ck_assert(not_modified("If-None-Match: \"abc\"\r\nIf-Modified-Since: "
	    "Sat, 05 Nov 1994 08:49:37 GMT\r\n"));
}
END_TEST

/* ---- Ranges ------------------------------------------------------------ */

static uint64_t rs, re;

static enum cp_range
range(const char *fields, uint64_t total)
{
	get(fields);
	rs = re = 12345;
	return (cp_range(&q, qb, &s.h, sb, total, &rs, &re));
}

START_TEST(range_forms)
{
	stored(200, "ETag: \"e\"\r\n");
	ck_assert_int_eq(range("Range: bytes=0-9\r\n", 100), CP_RANGE_OK);
	ck_assert_uint_eq(rs, 0);
	ck_assert_uint_eq(re, 9);
	ck_assert_int_eq(range("Range: bytes=90-\r\n", 100), CP_RANGE_OK);
	ck_assert_uint_eq(rs, 90);
	ck_assert_uint_eq(re, 99);
	ck_assert_int_eq(range("Range: bytes=-10\r\n", 100), CP_RANGE_OK);
	ck_assert_uint_eq(rs, 90);
	ck_assert_uint_eq(re, 99);
	ck_assert_int_eq(range("Range: bytes=-1000\r\n", 100), CP_RANGE_OK);
	ck_assert_uint_eq(rs, 0);
	ck_assert_uint_eq(re, 99);
	ck_assert_int_eq(range("Range: bytes=50-1000\r\n", 100), CP_RANGE_OK);
	ck_assert_uint_eq(rs, 50);
	ck_assert_uint_eq(re, 99);
	ck_assert_int_eq(range("Range: bytes=99-99\r\n", 100), CP_RANGE_OK);
	ck_assert_uint_eq(rs, 99);
	ck_assert_uint_eq(re, 99);
	ck_assert_int_eq(range("Range: BYTES=1-2, \r\n", 100), CP_RANGE_OK);
	ck_assert_uint_eq(rs, 1);
	ck_assert_uint_eq(re, 2);
}
END_TEST

START_TEST(range_unsatisfiable)
{
	stored(200, "");
	ck_assert_int_eq(range("Range: bytes=100-\r\n", 100),
	    CP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(range("Range: bytes=200-300\r\n", 100),
	    CP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(range("Range: bytes=-0\r\n", 100),
	    CP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(range("Range: bytes=0-0\r\n", 0),
	    CP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(range("Range: bytes=-5\r\n", 0),
	    CP_RANGE_UNSATISFIABLE);
	ck_assert_uint_eq(rs, 12345);	/* untouched */
}
END_TEST

START_TEST(range_ignored)
{
	static const char *none[] = {
		"", "Range: bytes=0-1,5-6\r\n", "Range: items=0-1\r\n",
		"Range: bytes=5-1\r\n", "Range: bytes=abc\r\n",
		"Range: bytes=\r\n", "Range: bytes=-\r\n",
		"Range: bytes=1-2-3\r\n", "Range: bytes=+1-2\r\n",
		"Range: bytes 0-1\r\n", "Range: bytes=0-1\r\nRange: bytes=0-1\r\n",
		"Range: bytes=0x1-2\r\n", "Range: bytes=- 5\r\n",
	};
	size_t i;

	stored(200, "");
	for (i = 0; i < sizeof(none) / sizeof(none[0]); i++)
		ck_assert_msg(range(none[i], 100) == CP_RANGE_NONE, "%s",
		    none[i]);
	req_raw("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n"
	    "Range: bytes=0-1\r\n");
	ck_assert_int_eq(cp_range(&q, qb, &s.h, sb, 100, &rs, &re),
	    CP_RANGE_NONE);
}
END_TEST

START_TEST(range_huge_numbers)
{
	stored(200, "");
	ck_assert_int_eq(range("Range: bytes=0-99999999999999999999999999\r\n",
	    100), CP_RANGE_OK);
	ck_assert_uint_eq(re, 99);
	ck_assert_int_eq(range("Range: bytes=99999999999999999999999999-\r\n",
	    100), CP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(range("Range: bytes=-99999999999999999999999\r\n",
	    100), CP_RANGE_OK);
	ck_assert_uint_eq(rs, 0);
	ck_assert_int_eq(range("Range: bytes=18446744073709551615-"
	    "18446744073709551615\r\n", UINT64_MAX), CP_RANGE_UNSATISFIABLE);
	ck_assert_int_eq(range("Range: bytes=18446744073709551614-\r\n",
	    UINT64_MAX), CP_RANGE_OK);
	ck_assert_uint_eq(rs, UINT64_MAX - 1);
	ck_assert_uint_eq(re, UINT64_MAX - 1);
}
END_TEST

START_TEST(range_if_range)
{
	stored(200, "ETag: \"v1\"\r\nLast-Modified: Sun, 06 Nov 1994 "
	    "08:49:37 GMT\r\n");
	ck_assert_int_eq(range("Range: bytes=0-1\r\nIf-Range: \"v1\"\r\n",
	    10), CP_RANGE_OK);
	ck_assert_int_eq(range("Range: bytes=0-1\r\nIf-Range: \"v2\"\r\n",
	    10), CP_RANGE_NONE);
	ck_assert_int_eq(range("Range: bytes=0-1\r\nIf-Range: W/\"v1\"\r\n",
	    10), CP_RANGE_NONE);
	ck_assert_int_eq(range("Range: bytes=0-1\r\nIf-Range: Sun, 06 Nov "
	    "1994 08:49:37 GMT\r\n", 10), CP_RANGE_OK);
	ck_assert_int_eq(range("Range: bytes=0-1\r\nIf-Range: Mon, 07 Nov "
	    "1994 08:49:37 GMT\r\n", 10), CP_RANGE_NONE);
	ck_assert_int_eq(range("Range: bytes=0-1\r\nIf-Range: junk\r\n", 10),
	    CP_RANGE_NONE);
	/* unsatisfiable only when If-Range lets the Range count */
	ck_assert_int_eq(range("Range: bytes=50-\r\nIf-Range: \"v2\"\r\n",
	    10), CP_RANGE_NONE);
	ck_assert_int_eq(range("Range: bytes=50-\r\nIf-Range: \"v1\"\r\n",
	    10), CP_RANGE_UNSATISFIABLE);
	/* a weak stored tag never matches strongly */
	stored(200, "ETag: W/\"v1\"\r\n");
	ck_assert_int_eq(range("Range: bytes=0-1\r\nIf-Range: \"v1\"\r\n",
	    10), CP_RANGE_NONE);
	/* no Last-Modified to compare a date with */
	ck_assert_int_eq(range("Range: bytes=0-1\r\nIf-Range: Sun, 06 Nov "
	    "1994 08:49:37 GMT\r\n", 10), CP_RANGE_NONE);
}
END_TEST

/* ---- Invalidation ------------------------------------------------------ */

static int
targets(const char *method, int code, const char *fields, struct span *t)
{
	char line[256];

	snprintf(line, sizeof(line), "%s /form HTTP/1.1\r\nHost: Shop:80\r\n"
	    "Content-Length: 0\r\n", method);
	req_raw(line);
	resp(code, fields);
	return (cp_invalidation_targets(&q, qb, &r, rb, t));
}

static const char *
sp(struct span x)
{
	static char out[256];

	ck_assert_uint_lt(x.len, sizeof(out));
	memcpy(out, rb + x.off, x.len);
	out[x.len] = '\0';
	return (out);
}

START_TEST(inval_same_host)
{
	struct span t[2];

	ck_assert_int_eq(targets("POST", 201, "Location: /items/7\r\n"
	    "Content-Location: http://shop/items?all=1#top\r\n", t), 2);
	ck_assert_str_eq(sp(t[0]), "/items/7");
	ck_assert_str_eq(sp(t[1]), "/items?all=1");
	ck_assert_int_eq(targets("PUT", 303, "Location: HTTP://SHOP/a\r\n", t),
	    1);
	ck_assert_str_eq(sp(t[0]), "/a");
	ck_assert_int_eq(targets("DELETE", 200, "Location: //shop:80/b\r\n",
	    t), 1);
	ck_assert_str_eq(sp(t[0]), "/b");
	ck_assert_int_eq(targets("PATCH", 204, "Location: https://shop:443/c"
	    "\r\n", t), 1);
	ck_assert_str_eq(sp(t[0]), "/c");
}
END_TEST

START_TEST(inval_refused)
{
	struct span t[2];

	ck_assert_int_eq(targets("POST", 201, "Location: http://evil/a\r\n",
	    t), 0);
	ck_assert_int_eq(targets("POST", 201, "Location: http://shop:81/a\r\n",
	    t), 0);
	ck_assert_int_eq(targets("POST", 201, "Location: http://shop.evil/a"
	    "\r\n", t), 0);
	ck_assert_int_eq(targets("POST", 201, "Location: relative\r\n", t),
	    0);
	ck_assert_int_eq(targets("POST", 201, "Location: http://shop\r\n",
	    t), 0);
	ck_assert_int_eq(targets("POST", 500, "Location: /a\r\n", t), 0);
	ck_assert_int_eq(targets("POST", 404, "Location: /a\r\n", t), 0);
	ck_assert_int_eq(targets("GET", 200, "Content-Location: /a\r\n", t),
	    0);
	ck_assert_int_eq(targets("OPTIONS", 200, "Location: /a\r\n", t), 0);
	ck_assert_int_eq(targets("POST", 200, "X: 1\r\n", t), 0);
}
END_TEST

/* ---- 304 merge ---------------------------------------------------------- */

/* Count lines "name: value" (exact) in head h. */
static int
hasline(const char *h, const char *line)
{
	char pat[256];
	const char *p;
	int n = 0;

	snprintf(pat, sizeof(pat), "\r\n%s\r\n", line);
	for (p = h; (p = strstr(p, pat)) != NULL; p++)
		n++;
	return (n);
}

START_TEST(merge_304)
{
	char out[2048], nb[2048];
	struct http_resp n, m;
	size_t len;

	stored(200, DATE "ETag: \"v1\"\r\nCache-Control: max-age=60\r\n"
	    "Content-Length: 5\r\nContent-Type: text/plain\r\n"
	    "X-A: 1\r\nX-A: 2\r\nX-Stay: s\r\n");
	resp_into(&n, nb, sizeof(nb), 304, "Date: Sun, 06 Nov 1994 09:00:00 "
	    "GMT\r\nCache-Control: max-age=120\r\nx-a: 3\r\n"
	    "Content-Length: 0\r\nContent-Type: text/html\r\n"
	    "Connection: close, X-Hop\r\nKeep-Alive: timeout=5\r\n"
	    "X-Hop: h\r\nSet-Cookie: s=1\r\nContent-Encoding: gzip\r\n"
	    "ETag: \"v1\"\r\n");
	len = cp_merge_304(out, sizeof(out) - 1, &s, sb, &n, nb);
	ck_assert_uint_gt(len, 0);
	out[len] = '\0';
	ck_assert(strncmp(out, "HTTP/1.1 200 X\r\n", 16) == 0);
	ck_assert(strcmp(out + len - 4, "\r\n\r\n") == 0);
	ck_assert_int_eq(hasline(out, "Date: Sun, 06 Nov 1994 09:00:00 GMT"),
	    1);
	ck_assert_int_eq(hasline(out, "Date: Sun, 06 Nov 1994 08:49:37 GMT"),
	    0);
	ck_assert_int_eq(hasline(out, "Cache-Control: max-age=120"), 1);
	ck_assert_int_eq(hasline(out, "Cache-Control: max-age=60"), 0);
	ck_assert_int_eq(hasline(out, "x-a: 3"), 1);
	ck_assert_int_eq(hasline(out, "X-A: 1"), 0);
	ck_assert_int_eq(hasline(out, "X-A: 2"), 0);
	ck_assert_int_eq(hasline(out, "X-Stay: s"), 1);
	ck_assert_int_eq(hasline(out, "Content-Length: 5"), 1);
	ck_assert_int_eq(hasline(out, "Content-Length: 0"), 0);
	ck_assert_int_eq(hasline(out, "Content-Type: text/plain"), 1);
	ck_assert_int_eq(hasline(out, "Content-Type: text/html"), 0);
	ck_assert_int_eq(hasline(out, "ETag: \"v1\""), 1);
	ck_assert(strstr(out, "Connection") == NULL);
	ck_assert(strstr(out, "Keep-Alive") == NULL);
	ck_assert(strstr(out, "X-Hop") == NULL);
	ck_assert(strstr(out, "Set-Cookie") == NULL);
	ck_assert(strstr(out, "Content-Encoding") == NULL);
	/* what it wrote is a head porter can parse and store again */
	http_resp_init(&m, 8192);
	ck_assert_int_eq(http_parse_response(&m, out, len), HTTP_OK);
	ck_assert_int_eq(m.code, 200);
	ck_assert_int_eq(m.h.content_length, 5);
	ck_assert_uint_eq(m.h.head_len, len);
}
END_TEST

START_TEST(merge_304_does_not_fit)
{
	char out[1024], nb[512];
	struct http_resp n;
	size_t len, cap;

	stored(200, "ETag: \"v1\"\r\nX-A: 1\r\n");
	resp_into(&n, nb, sizeof(nb), 304, "X-A: 2\r\n");
	len = cp_merge_304(out, sizeof(out), &s, sb, &n, nb);
	ck_assert_uint_gt(len, 0);
	for (cap = 0; cap < len; cap++)
		ck_assert_uint_eq(cp_merge_304(out, cap, &s, sb, &n, nb), 0);
	ck_assert_uint_eq(cp_merge_304(out, len, &s, sb, &n, nb), len);
}
END_TEST

START_TEST(merge_304_http10_stored)
{
	char out[1024], nb[512];
	struct http_resp n;
	size_t len;
	int k;

	k = snprintf(sb, sizeof(sb), "HTTP/1.0 404 Not Found\r\n"
	    "Cache-Control: max-age=5\r\n\r\n");
	http_resp_init(&s, 8192);
	ck_assert_int_eq(http_parse_response(&s, sb, (size_t)k), HTTP_OK);
	resp_into(&n, nb, sizeof(nb), 304, "Age: 3\r\n");
	len = cp_merge_304(out, sizeof(out) - 1, &s, sb, &n, nb);
	out[len] = '\0';
	ck_assert_str_eq(out, "HTTP/1.0 404 Not Found\r\n"
	    "Cache-Control: max-age=5\r\nAge: 3\r\n\r\n");
}
END_TEST

/* ---- Random inputs: no crash, no read past a value, invariants hold ---- */

static uint32_t rnd_state = 12345;

static uint32_t
rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return (rnd_state);
}

/* A random field value of bytes drawn from alpha. */
static void
rnd_value(char *v, size_t cap, const char *alpha)
{
	size_t i, n = rnd() % (cap - 1), k = strlen(alpha);

	for (i = 0; i < n; i++)
		v[i] = alpha[rnd() % k];
	v[n] = '\0';
}

START_TEST(random_cache_control)
{
	static const char *words[] = { "max-age", "s-maxage", "private",
	    "no-cache", "max-stale", "=", "\"", "\\", ",", " ", "1", "99",
	    "a", "no-store" };
	char v[128], line[256];
	struct cp_cc cc;
	int i, j, n;

	for (i = 0; i < 3000; i++) {
		v[0] = '\0';
		n = (int)(rnd() % 10);
		for (j = 0; j < n; j++)
			strcat(v, words[rnd() % (sizeof(words) /
			    sizeof(words[0]))]);
		snprintf(line, sizeof(line), "Cache-Control: %s\r\n", v);
		get(line);
		(void)cp_cc_parse(&cc, qb, &q.h, "cache-control");
		ck_assert_int_ge(cc.max_age, -1);
		ck_assert_int_le(cc.max_age, CP_DELTA_MAX);
		ck_assert_int_ge(cc.nfield, 0);
		ck_assert_int_le(cc.nfield, CP_CC_FIELDS);
		for (j = 0; j < cc.nfield; j++)
			ck_assert_uint_le(cc.field[j].off + cc.field[j].len,
			    q.h.head_len);
	}
}
END_TEST

START_TEST(random_ranges)
{
	char v[40], line[128];
	uint64_t total;
	enum cp_range rc;
	int i;

	stored(200, "ETag: \"e\"\r\n");
	for (i = 0; i < 5000; i++) {
		rnd_value(v, sizeof(v), "0123456789--,, =");
		snprintf(line, sizeof(line), "Range: bytes=%s\r\n", v);
		total = rnd() % 4 == 0 ? UINT64_MAX : rnd() % 200;
		rc = range(line, total);
		if (rc == CP_RANGE_OK) {
			ck_assert_uint_le(rs, re);
			ck_assert_uint_lt(re, total);
		}
	}
}
END_TEST

START_TEST(random_dates)
{
	const char *good = "Sun, 06 Nov 1994 08:49:37 GMT";
	char d[64], b[HTTP_DATE_LEN + 1];
	int64_t t;
	int i, k;

	for (i = 0; i < 20000; i++) {
		strcpy(d, good);
		for (k = (int)(rnd() % 3) + 1; k > 0; k--)
			d[rnd() % HTTP_DATE_LEN] = "0123456789 :,SunNovGMT"[
			    rnd() % 22];
		if (http_date_parse(d, strlen(d), &t) == 0) {
			/* whatever it read writes back as a valid date */
			ck_assert_int_eq(http_date_format(t, b),
			    HTTP_DATE_LEN);
			ck_assert_int_eq(http_date_parse(b, HTTP_DATE_LEN,
			    &t), 0);
		}
	}
}
END_TEST

START_TEST(random_vary_roundtrip)
{
	static const char *names[] = { "Accept", "X-A", "x-b", "Accept-Encoding",
	    "Cookie" };
	char v[64], line[1024], vary[256], blob[2048];
	long n;
	int i, j;

	for (i = 0; i < 500; i++) {
		line[0] = vary[0] = '\0';
		for (j = 0; j < 5; j++) {
			if (rnd() % 2)
				continue;
			rnd_value(v, 20, "ab ,;q=0.5gzip\t");
			snprintf(line + strlen(line), sizeof(line) -
			    strlen(line), "%s: x%s\r\n", names[j], v);
			snprintf(vary + strlen(vary), sizeof(vary) -
			    strlen(vary), "%s%s", vary[0] ? ", " : "",
			    names[rnd() % 5]);
		}
		get(line);
		snprintf(line, sizeof(line), "Vary: %s\r\n", vary);
		resp(200, line);
		n = cp_vary_build(blob, sizeof(blob), &r, rb, &q, qb);
		ck_assert_int_ge(n, 0);
		/* a request always selects the variant built from it */
		ck_assert(cp_vary_match(blob, (size_t)n, &q, qb));
	}
}
END_TEST

static Suite *
cache_policy_suite(void)
{
	Suite	*s = suite_create("cache_policy");
	TCase	*tc;

	tc = tcase_create("dates");
	tcase_add_test(tc, date_imf_fixdate);
	tcase_add_test(tc, date_rfc850);
	tcase_add_test(tc, date_asctime);
	tcase_add_test(tc, date_leap_days);
	tcase_add_test(tc, date_out_of_range);
	tcase_add_test(tc, date_format);
	suite_add_tcase(s, tc);

	tc = tcase_create("cache-control");
	tcase_add_test(tc, cc_values);
	tcase_add_test(tc, cc_case_and_whitespace);
	tcase_add_test(tc, cc_quoted_values);
	tcase_add_test(tc, cc_multiple_lines);
	tcase_add_test(tc, cc_duplicated_freshness);
	tcase_add_test(tc, cc_invalid_freshness);
	tcase_add_test(tc, cc_big_numbers);
	tcase_add_test(tc, cc_unknown_ignored);
	tcase_add_test(tc, cc_qualified_private);
	tcase_add_test(tc, cc_qualified_falls_back);
	tcase_add_test(tc, cc_qualified_no_cache);
	tcase_add_test(tc, cc_every_flag);
	tcase_add_test(tc, cc_request_directives);
	tcase_add_test(tc, cc_pragma);
	tcase_add_test(tc, cc_cdn_field);
	suite_add_tcase(s, tc);

	tc = tcase_create("storing");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, life_max_age);
	tcase_add_test(tc, life_s_maxage_first);
	tcase_add_test(tc, life_max_age_over_expires);
	tcase_add_test(tc, life_expires_minus_date);
	tcase_add_test(tc, life_expires_invalid_or_past);
	tcase_add_test(tc, life_heuristic);
	tcase_add_test(tc, life_heuristic_statuses);
	tcase_add_test(tc, life_explicit_any_status);
	tcase_add_test(tc, life_heuristic_not_with_explicit);
	tcase_add_test(tc, life_default_ttl);
	tcase_add_test(tc, life_max_ttl);
	tcase_add_test(tc, life_bad_freshness_is_stale);
	tcase_add_test(tc, age_corrected_value);
	tcase_add_test(tc, age_apparent_wins);
	tcase_add_test(tc, age_without_date);
	tcase_add_test(tc, age_field_forms);
	tcase_add_test(tc, nostore_no_store);
	tcase_add_test(tc, nostore_private);
	tcase_add_test(tc, nostore_no_cache_fields);
	tcase_add_test(tc, nostore_authorization);
	tcase_add_test(tc, nostore_set_cookie);
	tcase_add_test(tc, nostore_vary_star);
	tcase_add_test(tc, nostore_method_status);
	tcase_add_test(tc, store_flags);
	tcase_add_test(tc, store_cdn_cache_control);
	suite_add_tcase(s, tc);

	tc = tcase_create("using");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, use_fresh_then_stale);
	tcase_add_test(tc, use_request_no_cache);
	tcase_add_test(tc, use_request_max_age);
	tcase_add_test(tc, use_min_fresh);
	tcase_add_test(tc, use_max_stale);
	tcase_add_test(tc, use_no_store_and_entry_no_cache);
	tcase_add_test(tc, use_only_if_cached);
	tcase_add_test(tc, use_roundtrip_from_storable);
	suite_add_tcase(s, tc);

	tc = tcase_create("vary");
	tcase_add_test(tc, vary_sorted_deduplicated);
	tcase_add_test(tc, vary_normalised_values);
	tcase_add_test(tc, vary_accept_encoding);
	tcase_add_test(tc, vary_accept_encoding_variants);
	tcase_add_test(tc, vary_star_and_limits);
	tcase_add_test(tc, vary_bad_blob);
	suite_add_tcase(s, tc);

	tc = tcase_create("keys");
	tcase_add_test(tc, key_basic);
	tcase_add_test(tc, key_method_class);
	tcase_add_test(tc, key_default_port);
	tcase_add_test(tc, key_ignored_query);
	tcase_add_test(tc, key_headers);
	tcase_add_test(tc, key_does_not_fit);
	suite_add_tcase(s, tc);

	tc = tcase_create("stored heads");
	tcase_add_test(tc, cond_if_none_match);
	tcase_add_test(tc, cond_if_modified_since);
	tcase_add_test(tc, cond_inm_wins);
	tcase_add_test(tc, range_forms);
	tcase_add_test(tc, range_unsatisfiable);
	tcase_add_test(tc, range_ignored);
	tcase_add_test(tc, range_huge_numbers);
	tcase_add_test(tc, range_if_range);
	tcase_add_test(tc, inval_same_host);
	tcase_add_test(tc, inval_refused);
	tcase_add_test(tc, merge_304);
	tcase_add_test(tc, merge_304_does_not_fit);
	tcase_add_test(tc, merge_304_http10_stored);
	suite_add_tcase(s, tc);

	tc = tcase_create("random");
	tcase_add_test(tc, random_cache_control);
	tcase_add_test(tc, random_ranges);
	tcase_add_test(tc, random_dates);
	tcase_add_test(tc, random_vary_roundtrip);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(cache_policy_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
