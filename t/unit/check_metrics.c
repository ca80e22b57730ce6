/*
 * The pure parts of /metrics: the histograms' buckets (bounds inclusive,
 * as Prometheus' le; cumulative counts; exact le and sum texts) and the
 * exposition text (label values escaped and always valid UTF-8, names
 * valid, a line whole or not at all).
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/counters.h"
#include "shared/histo.h"
#include "worker/prom.h"

START_TEST(bucket_bounds)
{
	int i;

	ck_assert_int_eq(histo_index(0), 0);
	ck_assert_int_eq(histo_index(1), 0);
	for (i = 0; i < HISTO_NB; i++) {
		/* a bound is in its own bucket; one more is in the next */
		ck_assert_int_eq(histo_index(histo_le_us[i]), i);
		ck_assert_int_eq(histo_index(histo_le_us[i] + 1), i + 1);
		if (i > 0) {
			ck_assert_uint_gt(histo_le_us[i], histo_le_us[i - 1]);
			ck_assert_int_eq(histo_index(histo_le_us[i - 1] + 1), i);
		}
	}
	ck_assert_int_eq(histo_index(UINT64_MAX), HISTO_NB);
	ck_assert_uint_eq(histo_le_us[0], 1000);
	ck_assert_uint_eq(histo_le_us[HISTO_NB - 1], 60000000);
}
END_TEST

/* histo_index against a plain scan, over many values */
START_TEST(bucket_scan)
{
	uint64_t us;
	int i, want;

	for (us = 0; us < 70000000; us += 997) {
		for (want = 0; want < HISTO_NB && histo_le_us[want] < us; want++)
			;
		ck_assert_int_eq(histo_index(us), want);
	}
	for (i = 0; i < HISTO_NB; i++)
		for (us = histo_le_us[i] - 2; us <= histo_le_us[i] + 2; us++) {
			for (want = 0; want < HISTO_NB &&
			    histo_le_us[want] < us; want++)
				;
			ck_assert_int_eq(histo_index(us), want);
		}
}
END_TEST

START_TEST(seconds)
{
	ck_assert_uint_eq(histo_us(0), 0);
	ck_assert_uint_eq(histo_us(-1.5), 0);
	ck_assert_uint_eq(histo_us(0.0000004), 0);
	ck_assert_uint_eq(histo_us(0.0000006), 1);
	ck_assert_uint_eq(histo_us(0.25), 250000);
	ck_assert_uint_eq(histo_us(61.0), 61000000);
	ck_assert_uint_eq(histo_us(1e300), 1000000000000000000ULL);
}
END_TEST

START_TEST(cumulative)
{
	struct histo h;
	struct histo_v v;
	uint64_t cum[HISTO_NB + 1];
	int i;

	memset(&h, 0, sizeof(h));
	histo_add(&h, 0);
	histo_add(&h, 1000);		/* le 0.001 */
	histo_add(&h, 1001);		/* le 0.0025 */
	histo_add(&h, 300000);		/* le 0.5 */
	histo_add(&h, 90000000);	/* +Inf only */
	for (i = 0; i <= HISTO_NB; i++)
		v.n[i] = atomic_load(&h.n[i]);
	v.sum_us = atomic_load(&h.sum_us);
	ck_assert_uint_eq(v.sum_us, 90302001);
	histo_cumulate(&v, cum);
	ck_assert_uint_eq(cum[0], 2);
	ck_assert_uint_eq(cum[1], 3);
	ck_assert_uint_eq(cum[7], 3);	/* le 0.25 */
	ck_assert_uint_eq(cum[8], 4);	/* le 0.5 */
	ck_assert_uint_eq(cum[HISTO_NB - 1], 4);
	ck_assert_uint_eq(cum[HISTO_NB], 5);
	for (i = 1; i <= HISTO_NB; i++)
		ck_assert_uint_ge(cum[i], cum[i - 1]);
}
END_TEST

START_TEST(le_texts)
{
	static const char *const want[HISTO_NB + 1] = { "0.001", "0.0025",
	    "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1",
	    "2.5", "5", "10", "30", "60", "+Inf" };
	char b[32];
	int i;

	for (i = 0; i <= HISTO_NB; i++) {
		ck_assert_uint_eq(histo_le_text(i, b, sizeof(b)),
		    strlen(want[i]));
		ck_assert_str_eq(b, want[i]);
		/* it reads back as the bound */
		if (i < HISTO_NB)
			ck_assert_uint_eq((uint64_t)(strtod(b, NULL) * 1e6 +
			    0.5), histo_le_us[i]);
	}
	ck_assert_uint_eq(histo_secs_text(0, b, sizeof(b)), 1);
	ck_assert_str_eq(b, "0");
	(void)histo_secs_text(1, b, sizeof(b));
	ck_assert_str_eq(b, "0.000001");
	(void)histo_secs_text(12345678, b, sizeof(b));
	ck_assert_str_eq(b, "12.345678");
	(void)histo_secs_text(3100000, b, sizeof(b));
	ck_assert_str_eq(b, "3.1");
	(void)histo_secs_text(UINT64_MAX, b, sizeof(b));
	ck_assert_str_eq(b, "18446744073709.551615");
	/* no room: empty, 0 */
	ck_assert_uint_eq(histo_secs_text(12345678, b, 5), 0);
	ck_assert_str_eq(b, "");
}
END_TEST

static const char *
esc(const char *s, size_t cap)
{
	static char b[256];

	return (prom_escape(s, b, cap));
}

START_TEST(escaping)
{
	ck_assert_str_eq(esc("127.0.0.1:8080", 256), "127.0.0.1:8080");
	ck_assert_str_eq(esc("[::1]:80", 256), "[::1]:80");
	ck_assert_str_eq(esc("a\"b", 256), "a\\\"b");
	ck_assert_str_eq(esc("a\\b", 256), "a\\\\b");
	ck_assert_str_eq(esc("a\nb", 256), "a\\nb");
	ck_assert_str_eq(esc("a\tb\rc\x7f", 256), "a?b?c?");
	ck_assert_str_eq(esc("", 256), "");
	/* UTF-8: kept when valid, '?' per bad byte */
	ck_assert_str_eq(esc("caf\xc3\xa9", 256), "caf\xc3\xa9");
	ck_assert_str_eq(esc("\xe2\x82\xac", 256), "\xe2\x82\xac");
	ck_assert_str_eq(esc("\xf0\x9f\x98\x80", 256), "\xf0\x9f\x98\x80");
	ck_assert_str_eq(esc("a\xff", 256), "a?");
	ck_assert_str_eq(esc("\xc3", 256), "?");		/* cut short */
	ck_assert_str_eq(esc("\xc0\xaf", 256), "??");		/* overlong */
	ck_assert_str_eq(esc("\xed\xa0\x80", 256), "???");	/* surrogate */
	ck_assert_str_eq(esc("\xf4\x90\x80\x80", 256), "????");	/* > 10FFFF */
	/* cut to fit, never inside an escape or a character */
	ck_assert_str_eq(esc("abcdef", 4), "abc");
	ck_assert_str_eq(esc("ab\"c", 4), "ab");
	ck_assert_str_eq(esc("ab\xc3\xa9", 4), "ab");
	ck_assert_str_eq(esc("ab\xc3\xa9", 5), "ab\xc3\xa9");
	ck_assert_str_eq(esc("abc", 1), "");
}
END_TEST

START_TEST(names)
{
	char n[128];
	int i;

	ck_assert(prom_name_ok("porter_requests_total"));
	ck_assert(prom_name_ok("a:b_c9"));
	ck_assert(!prom_name_ok("9a"));
	ck_assert(!prom_name_ok("a-b"));
	ck_assert(!prom_name_ok(""));
	ck_assert(prom_label_ok("listener"));
	ck_assert(!prom_label_ok("__name"));
	ck_assert(!prom_label_ok("a:b"));
	ck_assert(!prom_label_ok("1a"));
	/* every name /metrics makes from the tables is valid */
	for (i = 0; i < CTR_N; i++) {
		(void)snprintf(n, sizeof(n), "porter_%s_total",
		    ctr_defs[i].name);
		ck_assert_msg(prom_name_ok(n), "%s", n);
	}
	for (i = 0; i < CTR_NHISTO; i++) {
		(void)snprintf(n, sizeof(n), "porter_%s_seconds_bucket",
		    ctr_histos[i].name);
		ck_assert_msg(prom_name_ok(n), "%s", n);
	}
	/* rule names are label values, but plain ones */
	for (i = 0; i < CTR_NRULES; i++)
		ck_assert_msg(prom_label_ok(ctr_rules[i].name), "%s",
		    ctr_rules[i].name);
}
END_TEST

START_TEST(writer)
{
	char buf[64];
	struct prom pr;

	prom_init(&pr, buf, sizeof(buf));
	prom_family(&pr, "a_total", "counter", "x\\y\nz");
	ck_assert_str_eq(buf, "# HELP a_total x\\\\y\\nz\n# TYPE a_total "
	    "counter\n");
	ck_assert(!pr.full);
	prom_put(&pr, "a_total %d\n", 7);
	ck_assert_uint_eq(pr.len, strlen(buf));
	/* a line that does not fit is left out whole, and the rest too */
	prom_put(&pr, "%s\n", "a_line_much_too_long_for_what_is_left_here");
	ck_assert(pr.full);
	ck_assert_uint_eq(pr.len, strlen(buf));
	ck_assert_str_eq(buf + pr.len - 10, "a_total 7\n");
	prom_put(&pr, "x\n");
	ck_assert_uint_eq(pr.len, strlen(buf));
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, bucket_bounds);
	tcase_add_test(tc, bucket_scan);
	tcase_add_test(tc, seconds);
	tcase_add_test(tc, cumulative);
	tcase_add_test(tc, le_texts);
	tcase_add_test(tc, escaping);
	tcase_add_test(tc, names);
	tcase_add_test(tc, writer);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
