/*
 * Requests a second over 1, 5 and 15 minutes (shared/rate.c): exact
 * window averages, over the time sampled while younger than a window,
 * missed seconds filled on the line, a ring that wraps.
 */
#include "config.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "shared/rate.h"

static struct rate_area *
fresh(void)
{
	struct rate_area *r = calloc(1, sizeof(*r));

	ck_assert_ptr_nonnull(r);
	return (r);
}

START_TEST(nothing_yet)
{
	struct rate_area *r = fresh();

	ck_assert(rate_per_s(r, 60) == 0.0);
	ck_assert(rate_due(r, 1000));
	rate_sample(r, 1000, 0);
	/* one sample: no span yet */
	ck_assert(rate_per_s(r, 60) == 0.0);
	ck_assert(!rate_due(r, 1000));
	ck_assert(rate_due(r, 1001));
	free(r);
}
END_TEST

START_TEST(younger_than_the_window)
{
	struct rate_area *r = fresh();
	int64_t s;

	/* 10 requests a second for 20 s */
	for (s = 0; s <= 20; s++)
		rate_sample(r, 5000 + s, (uint64_t)s * 10);
	ck_assert_double_eq_tol(rate_per_s(r, 60), 10.0, 1e-9);
	ck_assert_double_eq_tol(rate_per_s(r, 300), 10.0, 1e-9);
	ck_assert_double_eq_tol(rate_per_s(r, 900), 10.0, 1e-9);
	free(r);
}
END_TEST

START_TEST(exact_windows)
{
	struct rate_area *r = fresh();
	uint64_t total = 0;
	int64_t s;

	/* 15 minutes: 1/s for the first 10, then 4/s for 4, then 7/s */
	rate_sample(r, 100, 0);
	for (s = 1; s <= 900; s++) {
		total += s <= 600 ? 1 : s <= 840 ? 4 : 7;
		rate_sample(r, 100 + s, total);
	}
	ck_assert_double_eq_tol(rate_per_s(r, 60), 7.0, 1e-9);
	ck_assert_double_eq_tol(rate_per_s(r, 300), (60 * 7 + 240 * 4) / 300.0,
	    1e-9);
	ck_assert_double_eq_tol(rate_per_s(r, 900),
	    (60 * 7 + 240 * 4 + 600) / 900.0, 1e-9);
	/* a window past the longest is the longest */
	ck_assert_double_eq_tol(rate_per_s(r, 5000), rate_per_s(r, 900),
	    1e-9);
	free(r);
}
END_TEST

START_TEST(ring_wraps)
{
	struct rate_area *r = fresh();
	uint64_t total = 0;
	int64_t s;

	/* hours of 3/s, then a minute of none */
	rate_sample(r, 7, 0);
	for (s = 1; s <= 4 * 3600; s++) {
		total += 3;
		rate_sample(r, 7 + s, total);
	}
	ck_assert_double_eq_tol(rate_per_s(r, 900), 3.0, 1e-9);
	for (s = 1; s <= 60; s++)
		rate_sample(r, 7 + 4 * 3600 + s, total);
	ck_assert(rate_per_s(r, 60) == 0.0);
	ck_assert_double_eq_tol(rate_per_s(r, 300), 3.0 * 240 / 300, 1e-9);
	free(r);
}
END_TEST

START_TEST(missed_seconds_on_the_line)
{
	struct rate_area *r = fresh();
	int64_t s;

	for (s = 0; s <= 100; s++)
		rate_sample(r, 1000 + s, 0);
	/* the master missed 9 s in which 100 requests came */
	rate_sample(r, 1110, 100);
	ck_assert_double_eq_tol(rate_per_s(r, 60), 100.0 / 60, 1e-9);
	/* a second in the gap: 10 a second from 1100 */
	ck_assert_uint_eq(r->total[1105 % RATE_RING], 50);
	/* a sample for a second already taken, or older, changes nothing */
	rate_sample(r, 1110, 500);
	rate_sample(r, 1050, 500);
	ck_assert_double_eq_tol(rate_per_s(r, 60), 100.0 / 60, 1e-9);
	/* a gap longer than the ring: only its end is kept */
	rate_sample(r, 1110 + 5000, 5100);
	ck_assert_double_eq_tol(rate_per_s(r, 900), 1.0, 1e-9);
	free(r);
}
END_TEST

START_TEST(total_never_drops)
{
	struct rate_area *r = fresh();

	rate_sample(r, 10, 100);
	rate_sample(r, 11, 90);	/* cannot happen: taken as 100 */
	ck_assert(rate_per_s(r, 60) == 0.0);
	rate_sample(r, 12, 104);
	ck_assert_double_eq_tol(rate_per_s(r, 60), 2.0, 1e-9);
	free(r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("rate");
	TCase *tc = tcase_create("rate");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, nothing_yet);
	tcase_add_test(tc, younger_than_the_window);
	tcase_add_test(tc, exact_windows);
	tcase_add_test(tc, ring_wraps);
	tcase_add_test(tc, missed_seconds_on_the_line);
	tcase_add_test(tc, total_never_drops);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
