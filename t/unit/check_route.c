/* Routing: target splitting and route choice, without sockets. */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "worker/route.h"

static struct cfg_route routes[] = {
	{ .host = "*", .path = "/", .path_len = 1, .pool = 0 },
	{ .host = "*", .path = "/api/", .path_len = 5, .pool = 1 },
	{ .host = "*.example.com", .path = "/", .path_len = 1, .pool = 2 },
	{ .host = "www.example.com", .path = "/", .path_len = 1, .pool = 3 },
	{ .host = "www.example.com", .path = "/static/", .path_len = 8, .pool = 4 },
	{ .host = "*.b.example.com", .path = "/", .path_len = 1, .pool = 5 },
};

static struct cfg_listener lst = {
	.routes = routes, .nroutes = 6,
};

static int
pool_for(const char *host, const char *path)
{
	const struct cfg_route *r = route_match(&lst, host, strlen(host),
	    path, strlen(path));

	return (r == NULL ? -1 : r->pool);
}

START_TEST(match_catch_all)
{
	ck_assert_int_eq(pool_for("other.org", "/x"), 0);
	ck_assert_int_eq(pool_for("", "/"), 0);
}
END_TEST

START_TEST(match_longest_path)
{
	ck_assert_int_eq(pool_for("other.org", "/api/v1"), 1);
	ck_assert_int_eq(pool_for("other.org", "/api"), 0);
}
END_TEST

START_TEST(match_exact_host_beats_wildcard)
{
	ck_assert_int_eq(pool_for("www.example.com", "/x"), 3);
	ck_assert_int_eq(pool_for("WWW.Example.COM", "/x"), 3);
	ck_assert_int_eq(pool_for("www.example.com", "/static/a.css"), 4);
	/* a host rule outranks a longer path under "*" */
	ck_assert_int_eq(pool_for("www.example.com", "/api/v1"), 3);
}
END_TEST

START_TEST(match_wildcard_suffix)
{
	ck_assert_int_eq(pool_for("a.example.com", "/"), 2);
	ck_assert_int_eq(pool_for("x.b.example.com", "/"), 5);
	/* "*.example.com" does not cover example.com itself */
	ck_assert_int_eq(pool_for("example.com", "/"), 0);
}
END_TEST

START_TEST(match_none)
{
	struct cfg_route only[] = { { .host = "only.example", .path = "/", .path_len = 1, .pool = 0 } };
	struct cfg_listener l = { .routes = only, .nroutes = 1 };

	ck_assert_ptr_null(route_match(&l, "x", 1, "/", 1));
	ck_assert_ptr_nonnull(route_match(&l, "only.example", 12, "/", 1));
}
END_TEST

static void
split(const char *t, const char *hosthdr, const char *host,
    const char *path)
{
	const char *h, *p;
	size_t hl, pl;

	ck_assert_int_eq(route_split(t, strlen(t), hosthdr, strlen(hosthdr),
	    &h, &hl, &p, &pl), 0);
	ck_assert_msg(hl == strlen(host) && memcmp(h, host, hl) == 0,
	    "host of %s: got %.*s, want %s", t, (int)hl, h, host);
	ck_assert_msg(pl == strlen(path) && memcmp(p, path, pl) == 0,
	    "path of %s: got %.*s, want %s", t, (int)pl, p, path);
}

START_TEST(split_forms)
{
	split("/a?b", "example.com:8080", "example.com", "/a?b");
	split("/", "[::1]:8080", "[::1]", "/");
	split("http://h.example:81/p/q", "ignored", "h.example", "/p/q");
	split("http://h.example", "ignored", "h.example", "/");
	split("*", "h", "h", "*");
}
END_TEST

START_TEST(split_rejects)
{
	const char *h, *p;
	size_t hl, pl;

	ck_assert_int_eq(route_split("ftp://x/", 8, "", 0, &h, &hl, &p, &pl),
	    -1);
	ck_assert_int_eq(route_split("http:///x", 9, "", 0, &h, &hl, &p, &pl),
	    -1);
	ck_assert_int_eq(route_split("x", 1, "", 0, &h, &hl, &p, &pl), -1);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("route");
	TCase *tc = tcase_create("route");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, match_catch_all);
	tcase_add_test(tc, match_longest_path);
	tcase_add_test(tc, match_exact_host_beats_wildcard);
	tcase_add_test(tc, match_wildcard_suffix);
	tcase_add_test(tc, match_none);
	tcase_add_test(tc, split_forms);
	tcase_add_test(tc, split_rejects);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
