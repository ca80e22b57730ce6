/* Smooth weighted round-robin over a counter shared by workers. */
#include "config.h"

#include <check.h>
#include <stdlib.h>

#include "worker/balance.h"

static struct cfg_pool
pool_of(struct cfg_server *s, int n)
{
	struct cfg_pool p = { .servers = s, .nservers = n };

	return (p);
}

START_TEST(equal_weights_alternate)
{
	struct cfg_server s[2] = { { .weight = 1 }, { .weight = 1 } };
	struct cfg_pool p = pool_of(s, 2);
	struct balance b;
	_Atomic uint64_t ctr = 0;
	int i;

	ck_assert_int_eq(balance_init(&b, &p), 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(balance_pick(&b, &ctr), i % 2);
	balance_free(&b);
}
END_TEST

START_TEST(smooth_order)
{
	/* nginx's example: weights 5, 1, 1 give a a b a c a a */
	struct cfg_server s[3] = { { .weight = 5 }, { .weight = 1 },
	    { .weight = 1 } };
	struct cfg_pool p = pool_of(s, 3);
	static const int want[] = { 0, 0, 1, 0, 2, 0, 0 };
	struct balance b;
	_Atomic uint64_t ctr = 0;
	int i;

	ck_assert_int_eq(balance_init(&b, &p), 0);
	ck_assert_uint_eq(b.len, 7);
	for (i = 0; i < 14; i++)
		ck_assert_int_eq(balance_pick(&b, &ctr), want[i % 7]);
	balance_free(&b);
}
END_TEST

START_TEST(shares_follow_weights)
{
	struct cfg_server s[3] = { { .weight = 3 }, { .weight = 2 },
	    { .weight = 5 } };
	struct cfg_pool p = pool_of(s, 3);
	struct balance b;
	_Atomic uint64_t ctr = 0;
	int n[3] = { 0, 0, 0 }, i;

	ck_assert_int_eq(balance_init(&b, &p), 0);
	for (i = 0; i < 1000; i++)
		n[balance_pick(&b, &ctr)]++;
	ck_assert_int_eq(n[0], 300);
	ck_assert_int_eq(n[1], 200);
	ck_assert_int_eq(n[2], 500);
	balance_free(&b);
}
END_TEST

START_TEST(counter_wraps_cleanly)
{
	struct cfg_server s[2] = { { .weight = 2 }, { .weight = 1 } };
	struct cfg_pool p = pool_of(s, 2);
	struct balance b;
	_Atomic uint64_t ctr = UINT64_MAX - 1;
	int a, c;

	ck_assert_int_eq(balance_init(&b, &p), 0);
	a = balance_pick(&b, &ctr);
	c = balance_pick(&b, &ctr);
	ck_assert(a >= 0 && a < 2 && c >= 0 && c < 2);
	ck_assert_uint_eq(ctr, 0);
	balance_free(&b);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("balance");
	TCase *tc = tcase_create("balance");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, equal_weights_alternate);
	tcase_add_test(tc, smooth_order);
	tcase_add_test(tc, shares_follow_weights);
	tcase_add_test(tc, counter_wraps_cleanly);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
