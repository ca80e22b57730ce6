/*
 * Access log lines (worker/accesslog.c) from formats the config compiles:
 * porter's own line as it always was, Apache's Combined Log Format and
 * its escaping, JSON that stays valid whatever bytes a client sends,
 * templates, "-" and null for what a request does not have.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/cfg.h"
#include "worker/accesslog.h"
#include "worker/http_parse.h"

#define POOL	"pools = ( { name = \"app\"; servers = ( " \
		"{ address = \"127.0.0.1:9001\"; } ); } );\n"
#define LISTEN	"listeners = ( { listen = \"127.0.0.1:8080\"; " \
		"mode = \"reverse\"; routes = ( { pool = \"app\"; } ); } );\n"

static char	 dir[PATH_MAX];
static char	 line[1 << 16];

/* The format that access_log_format = fmt compiles to (fmt: as written). */
static struct cfg *
compiled(const char *fmt, const struct cfg_log_format **f)
{
	const char	*tmp = getenv("TMPDIR");
	char		 path[PATH_MAX + 16], err[CFG_ERRLEN];
	struct cfg	*c;
	FILE		*fp;

	snprintf(dir, sizeof(dir), "%s/check_accesslog.XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/porter.conf", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fprintf(fp, "access_log_format = \"%s\";\n" POOL LISTEN, fmt);
	ck_assert_int_eq(fclose(fp), 0);
	c = cfg_load(path, err, sizeof(err));
	unlink(path);
	rmdir(dir);
	ck_assert_msg(c != NULL, "%s", err);
	*f = &c->log_formats[c->access_format];
	return (c);
}

/* A request whose head parses: fields for r. */
static struct http_req	req;

static void
with_head(struct alog_rec *r, const char *head)
{
	http_req_init(&req, 16384, 8192);
	ck_assert_int_eq(http_parse_request(&req, head, strlen(head)),
	    HTTP_OK);
	r->head = head;
	r->h = &req.h;
	r->request = head + req.method.off;
	r->request_len = req.target.off + req.target.len + 9 - req.method.off;
}

static void
rec_init(struct alog_rec *r)
{
	memset(r, 0, sizeof(*r));
	r->now = 0;	/* 1970-01-01 00:00:00 in UTC, TZ is set below */
	r->remote_addr = "10.0.0.7";
	r->remote_user = "";
	r->status = 200;
	r->sent = 1234;
	r->head_sent = 200;
	r->received = 77;
	r->request_time = 0.0123;
	r->up_connect = -1;
	r->up_header = -1;
	r->listener = "127.0.0.1:8080";
	r->worker = 4242;
}

static const char *
render(const struct cfg_log_format *f, const struct alog_rec *r)
{
	size_t n = alog_render(f, r, line, sizeof(line));

	ck_assert_int_gt(n, 0);
	ck_assert_int_eq(line[n - 1], '\n');
	line[n] = '\0';
	return (line);
}

/* porter's line, byte for byte as conn.c's printf wrote it before. */
START_TEST(porter_line)
{
	const struct cfg_log_format *f;
	struct cfg *c = compiled("porter", &f);
	struct alog_rec r;
	char want[512];

	rec_init(&r);
	r.porter_request = "GET /hello?x=1 HTTP/1.1";
	r.porter_request_len = strlen(r.porter_request);
	r.upstream_addr = "127.0.0.1:9001";
	snprintf(want, sizeof(want), "%s %s \"%s\" %d %llu %s %.3f%s%s\n",
	    "1970/01/01 00:00:00", "10.0.0.7", "GET /hello?x=1 HTTP/1.1", 200,
	    1234ULL, "127.0.0.1:9001", 0.0123, "", "");
	ck_assert_str_eq(render(f, &r), want);
	/* porter answered itself: no backend, why at the end */
	r.upstream_addr = NULL;
	r.status = 403;
	r.detail = "deny_paths \"^/admin\"";
	ck_assert_str_eq(render(f, &r), "1970/01/01 00:00:00 10.0.0.7 "
	    "\"GET /hello?x=1 HTTP/1.1\" 403 1234 - 0.012 "
	    "deny_paths \"^/admin\"\n");
	/* a head that did not parse: its bytes escaped, never raw */
	r.porter_request = "GET /\x01\"x HTTP/1.1";
	r.porter_request_len = strlen(r.porter_request);
	r.detail = "bad\x1b";
	r.status = 400;
	ck_assert_str_eq(render(f, &r), "1970/01/01 00:00:00 10.0.0.7 "
	    "\"GET /\\x01\\\"x HTTP/1.1\" 400 1234 - 0.012 bad\\x1b\n");
	cfg_free(c);
}
END_TEST

/* What Apache 2.4 writes for the same request (t/e2e/l002 compares). */
START_TEST(combined_escaping)
{
	const struct cfg_log_format *f;
	struct cfg *c = compiled("combined", &f);
	struct alog_rec r;

	rec_init(&r);
	with_head(&r, "GET /a\"b\\c?q=\"1\" HTTP/1.1\r\nHost: x\r\n"
	    "Referer: \r\nUser-Agent: q\"uo\\te\ttab\x80\xff\xc3\xa9 end\r\n"
	    "\r\n");
	ck_assert_str_eq(render(f, &r), "10.0.0.7 - - "
	    "[01/Jan/1970:00:00:00 +0000] \"GET /a\\\"b\\\\c?q=\\\"1\\\" "
	    "HTTP/1.1\" 200 1034 \"\" \"q\\\"uo\\\\te\\ttab\\x80\\xff\\xc3"
	    "\\xa9 end\"\n");
	/* repeated fields joined as Apache joins them; none: "-" */
	with_head(&r, "GET /x HTTP/1.1\r\nHost: x\r\nUser-Agent: a\r\n"
	    "user-agent: b\r\n\r\n");
	r.sent = r.head_sent;	/* no body: %b is "-" */
	r.remote_user = "alice";
	ck_assert_str_eq(render(f, &r), "10.0.0.7 - alice "
	    "[01/Jan/1970:00:00:00 +0000] \"GET /x HTTP/1.1\" 200 - \"-\" "
	    "\"a, b\"\n");
	/* a head that did not parse: the line as sent, no fields */
	r.h = NULL;
	r.request = "GET /ctl\x01\b\n\r\v HTTP/1.1";
	r.request_len = strlen(r.request);
	r.status = 400;
	r.remote_user = NULL;
	ck_assert_str_eq(render(f, &r), "10.0.0.7 - - "
	    "[01/Jan/1970:00:00:00 +0000] \"GET /ctl\\x01\\b\\n\\r\\v "
	    "HTTP/1.1\" 400 - \"-\" \"-\"\n");
	cfg_free(c);
}
END_TEST

/* Every byte a client can send gives valid JSON (and valid UTF-8). */
START_TEST(json_escaping)
{
	const struct cfg_log_format *f;
	struct cfg *c = compiled("json", &f);
	struct alog_rec r;
	const char *l;

	rec_init(&r);
	r.request = "GET /\x01\x1f\x7f\"\\ \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    " \x80 \xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80 \xf5 \xe2\x82 "
	    "\xc3 HTTP/1.1";
	r.request_len = strlen(r.request);
	l = render(f, &r);
	ck_assert_msg(strstr(l, "\"request\":\"GET /\\u0001\\u001f\\u007f"
	    "\\\"\\\\ \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \\u0080 "
	    "\\u00c0\\u00af \\u00ed\\u00a0\\u0080 \\u00f4\\u0090\\u0080\\u0080"
	    " \\u00f5 \\u00e2\\u0082 \\u00c3 HTTP/1.1\",") != NULL, "%s", l);
	cfg_free(c);
}
END_TEST

START_TEST(json_values)
{
	const struct cfg_log_format *f;
	struct cfg *c = compiled("json", &f);
	struct alog_rec r;

	rec_init(&r);
	with_head(&r, "GET /j HTTP/1.1\r\nHost: x\r\nUser-Agent: \r\n\r\n");
	r.upstream_addr = "127.0.0.1:9001";
	r.upstream_status = 502;
	r.up_connect = 0;
	r.up_header = 1.5;
	r.request_id = "0123456789abcdef0123456789abcdef";
	r.cache_status = "miss";
	ck_assert_str_eq(render(f, &r), "{\"time\":\"1970-01-01T00:00:00+00:00\","
	    "\"remote_addr\":\"10.0.0.7\",\"remote_user\":null,"
	    "\"request\":\"GET /j HTTP/1.1\",\"status\":200,"
	    "\"body_bytes_sent\":1034,\"bytes_sent\":1234,"
	    "\"bytes_received\":77,\"request_time\":0.012,"
	    "\"http_referer\":null,\"http_user_agent\":\"\","
	    "\"upstream_addr\":\"127.0.0.1:9001\",\"upstream_status\":502,"
	    "\"upstream_connect_time\":0.000,\"upstream_header_time\":1.500,"
	    "\"cache_status\":\"miss\","
	    "\"request_id\":\"0123456789abcdef0123456789abcdef\","
	    "\"rule\":null,\"listener\":\"127.0.0.1:8080\",\"worker\":4242,"
	    "\"detail\":null}\n");
	cfg_free(c);
}
END_TEST

/* A template: literal text, $$, ${name}, "-" for what is not there. */
START_TEST(template_fields)
{
	const struct cfg_log_format *f;
	struct cfg *c = compiled("$$ ${status}s $remote_addr $remote_user "
	    "[$time_local] [$time_iso8601] \\\"$request\\\" $body_bytes_sent "
	    "$bytes_sent $bytes_received $http_referer $http_user_agent "
	    "$request_time $upstream_addr $upstream_status "
	    "$upstream_connect_time $upstream_header_time $cache_status "
	    "$request_id $rule $listener $worker $detail.", &f);
	struct alog_rec r;

	rec_init(&r);
	ck_assert_str_eq(render(f, &r), "$ 200s 10.0.0.7 - "
	    "[01/Jan/1970:00:00:00 +0000] [1970-01-01T00:00:00+00:00] \"-\" "
	    "1034 1234 77 - - 0.012 - - - - - - - 127.0.0.1:8080 4242 -.\n");
	with_head(&r, "CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n"
	    "Referer: r\"\r\nUser-Agent: u\r\n\r\n");
	r.upstream_addr = "h:443";
	r.upstream_status = 200;
	r.up_connect = 0.0004;
	r.up_header = 0.0015;
	r.cache_status = "hit";
	r.request_id = "id\"1";
	r.rule = "deny: client address";
	r.detail = "tunnel up=1 down=2 (closed)";
	r.remote_user = "bob";
	ck_assert_str_eq(render(f, &r), "$ 200s 10.0.0.7 bob "
	    "[01/Jan/1970:00:00:00 +0000] [1970-01-01T00:00:00+00:00] "
	    "\"CONNECT h:443 HTTP/1.1\" 1034 1234 77 r\\\" u 0.012 h:443 200 "
	    "0.000 0.002 hit id\\\"1 deny: client address 127.0.0.1:8080 4242 "
	    "tunnel up=1 down=2 (closed).\n");
	cfg_free(c);
}
END_TEST

/* No line is ever cut: the buffer holds the worst a head can give. */
START_TEST(line_bound)
{
	const struct cfg_log_format *f;
	struct cfg *c = compiled("json", &f);
	struct alog_rec r;
	size_t max = 4096, cap = alog_line_max(max), n;
	char *req = malloc(max), *buf = malloc(cap);

	ck_assert_ptr_nonnull(req);
	ck_assert_ptr_nonnull(buf);
	memset(req, 0x01, max);		/* 6 bytes each in JSON */
	rec_init(&r);
	r.request = req;
	r.request_len = max;
	r.detail = r.rule = r.request_id = "x";
	n = alog_render(f, &r, buf, cap);
	ck_assert_int_lt(n, cap);
	ck_assert_int_gt(n, 6 * max);
	ck_assert(memcmp(buf + n - 3, "\"}\n", 3) == 0);
	/* a buffer too small cuts the line, never past its end */
	n = alog_render(f, &r, buf, 100);
	ck_assert_int_le(n, 100);
	ck_assert_int_eq(buf[n - 1], '\n');
	free(req);
	free(buf);
	cfg_free(c);
}
END_TEST

static Suite *
accesslog_suite(void)
{
	Suite	*s = suite_create("accesslog");
	TCase	*tc = tcase_create("render");

	tcase_add_test(tc, porter_line);
	tcase_add_test(tc, combined_escaping);
	tcase_add_test(tc, json_escaping);
	tcase_add_test(tc, json_values);
	tcase_add_test(tc, template_fields);
	tcase_add_test(tc, line_bound);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(accesslog_suite());
	int	 failed;

	/* every time field at the epoch, in UTC */
	setenv("TZ", "UTC0", 1);
	tzset();
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
