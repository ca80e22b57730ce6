/*
 * Smooth weighted round-robin over a counter shared by workers, and the
 * consistent-hash, least-connections and power-of-two pickers.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (i = 0; i < 10; i++)
		ck_assert_int_eq(balance_pick_rr(&b, &ctr, NULL), i % 2);
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

	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	ck_assert_uint_eq(b.len, 7);
	for (i = 0; i < 14; i++)
		ck_assert_int_eq(balance_pick_rr(&b, &ctr, NULL), want[i % 7]);
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

	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (i = 0; i < 1000; i++)
		n[balance_pick_rr(&b, &ctr, NULL)]++;
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

	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	a = balance_pick_rr(&b, &ctr, NULL);
	c = balance_pick_rr(&b, &ctr, NULL);
	ck_assert(a >= 0 && a < 2 && c >= 0 && c < 2);
	ck_assert_uint_eq(ctr, 0);
	balance_free(&b);
}
END_TEST

#define NKEYS	10000

/* n servers "10.0.0.<i+1>:80" of the given weight (1 if w is NULL). */
static void
servers_init(struct cfg_server *s, int n, const int *w)
{
	int i;

	memset(s, 0, sizeof(*s) * (size_t)n);
	for (i = 0; i < n; i++) {
		snprintf(s[i].addr.text, sizeof(s[i].addr.text),
		    "10.0.0.%d:80", i + 1);
		s[i].weight = w != NULL ? w[i] : 1;
	}
}

static int
pick_key(const struct balance *b, int k, const uint8_t *eligible)
{
	char key[32];
	int n = snprintf(key, sizeof(key), "/obj/%d", k);

	return (balance_pick_hash(b, key, (size_t)n, eligible));
}

static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (z ^ (z >> 31));
}

START_TEST(hash_ring_size)
{
	int w[3] = { 1, 2, 3 }, big[3] = { 1000, 1000, 1 };
	struct cfg_server s[3];
	struct cfg_pool p = pool_of(s, 3);
	struct balance b;
	uint32_t k;

	servers_init(s, 3, w);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	ck_assert_uint_eq(b.nring, 6 * 40);
	for (k = 1; k < b.nring; k++)
		ck_assert(b.ring[k - 1].hash <= b.ring[k].hash);
	balance_free(&b);

	/* 2001 * 40 points would exceed the bound: scaled, none dropped */
	servers_init(s, 3, big);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	ck_assert_uint_le(b.nring, 65536);
	ck_assert_uint_ge(b.nring, 65000);
	for (k = 0; k < b.nring && b.ring[k].server != 2; k++)
		;
	ck_assert_uint_lt(k, b.nring);
	balance_free(&b);
}
END_TEST

START_TEST(hash_distribution)
{
	static const uint8_t all[4] = { 1, 1, 1, 1 };
	struct cfg_server s[4];
	struct cfg_pool p = pool_of(s, 4);
	struct balance b;
	int n[4] = { 0, 0, 0, 0 }, i, k, r;

	servers_init(s, 4, NULL);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (k = 0; k < NKEYS; k++) {
		r = pick_key(&b, k, NULL);
		ck_assert(r >= 0 && r < 4);
		ck_assert_int_eq(pick_key(&b, k, all), r);
		ck_assert_int_eq(pick_key(&b, k, NULL), r);	/* stable */
		n[r]++;
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_ge(n[i], 2500 - 625);
		ck_assert_int_le(n[i], 2500 + 625);
	}
	/* the key is its bytes, not a C string */
	ck_assert_int_eq(balance_pick_hash(&b, "/obj/7xyz", 6, NULL),
	    pick_key(&b, 7, NULL));
	balance_free(&b);
}
END_TEST

START_TEST(hash_weights)
{
	int w[2] = { 1, 3 }, n[2] = { 0, 0 }, k;
	struct cfg_server s[2];
	struct cfg_pool p = pool_of(s, 2);
	struct balance b;

	servers_init(s, 2, w);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (k = 0; k < NKEYS; k++)
		n[pick_key(&b, k, NULL)]++;
	ck_assert_int_ge(n[1], NKEYS * 65 / 100);
	ck_assert_int_le(n[1], NKEYS * 85 / 100);
	balance_free(&b);
}
END_TEST

START_TEST(hash_remove_moves_only_its_keys)
{
	static const uint8_t elig[4] = { 1, 1, 0, 1 };
	struct cfg_server s[4];
	struct cfg_pool p = pool_of(s, 4);
	struct balance b;
	int moved[4] = { 0, 0, 0, 0 }, nmoved = 0, i, k, before, after;

	servers_init(s, 4, NULL);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (k = 0; k < NKEYS; k++) {
		before = pick_key(&b, k, NULL);
		after = pick_key(&b, k, elig);
		ck_assert_int_ne(after, 2);
		if (before != 2) {
			ck_assert_int_eq(after, before);
			continue;
		}
		moved[after]++;
		nmoved++;
	}
	ck_assert_int_gt(nmoved, 0);
	for (i = 0; i < 4; i++) {
		if (i == 2)
			continue;
		ck_assert_int_ge(moved[i] * 100, nmoved * 20);
		ck_assert_int_le(moved[i] * 100, nmoved * 50);
	}
	balance_free(&b);
}
END_TEST

START_TEST(hash_add_moves_a_fifth_to_new)
{
	struct cfg_server s4[4], s5[5];
	struct cfg_pool p4 = pool_of(s4, 4), p5 = pool_of(s5, 5);
	struct balance b4, b5;
	int nmoved = 0, k, before, after;

	servers_init(s4, 4, NULL);
	servers_init(s5, 5, NULL);
	ck_assert_int_eq(balance_init(&b4, &p4, NULL), 0);
	ck_assert_int_eq(balance_init(&b5, &p5, NULL), 0);
	for (k = 0; k < NKEYS; k++) {
		before = pick_key(&b4, k, NULL);
		after = pick_key(&b5, k, NULL);
		if (after == before)
			continue;
		ck_assert_int_eq(after, 4);
		nmoved++;
	}
	ck_assert_int_ge(nmoved, NKEYS * 12 / 100);
	ck_assert_int_le(nmoved, NKEYS * 28 / 100);
	balance_free(&b4);
	balance_free(&b5);
}
END_TEST

START_TEST(hash_none_eligible)
{
	static const uint8_t none[3] = { 0, 0, 0 }, one[3] = { 0, 1, 0 };
	struct cfg_server s[3];
	struct cfg_pool p = pool_of(s, 3);
	struct balance b;
	int k;

	servers_init(s, 3, NULL);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (k = 0; k < 100; k++) {
		ck_assert_int_eq(pick_key(&b, k, none), -1);
		ck_assert_int_eq(pick_key(&b, k, one), 1);
	}
	balance_free(&b);
}
END_TEST

START_TEST(least_picks_least_loaded)
{
	struct cfg_server s[4];
	struct cfg_pool p = pool_of(s, 4);
	struct balance b;
	int32_t act[4] = { 5, 2, 7, 3 };
	uint64_t t;

	servers_init(s, 4, NULL);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (t = 0; t < 8; t++)
		ck_assert_int_eq(balance_pick_least(&b, &p, act, NULL, t), 1);
	balance_free(&b);
}
END_TEST

START_TEST(least_honours_weights)
{
	/* (3+1)/2 = 2 beats (2+1)/1 = 3 */
	int w[2] = { 1, 2 };
	struct cfg_server s[2];
	struct cfg_pool p = pool_of(s, 2);
	struct balance b;
	int32_t act[2] = { 2, 3 }, eq[2] = { 1, 3 };
	uint64_t t;

	servers_init(s, 2, w);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (t = 0; t < 4; t++)
		ck_assert_int_eq(balance_pick_least(&b, &p, act, NULL, t), 1);
	/* (1+1)/1 = (3+1)/2: a tie, so the scan start decides */
	ck_assert_int_eq(balance_pick_least(&b, &p, eq, NULL, 0), 0);
	ck_assert_int_eq(balance_pick_least(&b, &p, eq, NULL, 1), 1);
	balance_free(&b);
}
END_TEST

START_TEST(least_skips_ineligible)
{
	static const uint8_t elig[3] = { 1, 0, 1 }, none[3] = { 0, 0, 0 };
	struct cfg_server s[3];
	struct cfg_pool p = pool_of(s, 3);
	struct balance b;
	int32_t act[3] = { 9, 0, 4 };
	uint64_t t;

	servers_init(s, 3, NULL);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (t = 0; t < 6; t++) {
		ck_assert_int_eq(balance_pick_least(&b, &p, act, elig, t), 2);
		ck_assert_int_eq(balance_pick_least(&b, &p, act, none, t), -1);
	}
	balance_free(&b);
}
END_TEST

START_TEST(least_ties_rotate)
{
	static const uint8_t elig[4] = { 1, 1, 0, 1 };
	struct cfg_server s[4];
	struct cfg_pool p = pool_of(s, 4);
	struct balance b;
	int32_t act[4] = { 1, 1, 1, 1 };
	int n[4] = { 0, 0, 0, 0 };
	uint64_t t;

	servers_init(s, 4, NULL);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (t = 0; t < 4; t++)
		ck_assert_int_eq(balance_pick_least(&b, &p, act, NULL, t),
		    (int)t);
	/* tiebreak at 2 (ineligible) falls to the next one, 3 */
	for (t = 0; t < 400; t++)
		n[balance_pick_least(&b, &p, act, elig, t)]++;
	ck_assert_int_eq(n[0], 100);
	ck_assert_int_eq(n[1], 100);
	ck_assert_int_eq(n[2], 0);
	ck_assert_int_eq(n[3], 200);
	/* a huge tiebreak still works */
	ck_assert_int_eq(balance_pick_least(&b, &p, act, NULL, UINT64_MAX),
	    (int)(UINT64_MAX % 4));
	balance_free(&b);
}
END_TEST

START_TEST(random2_never_ineligible)
{
	static const uint8_t elig[5] = { 0, 1, 0, 1, 1 };
	static const uint8_t one[5] = { 0, 0, 0, 1, 0 };
	static const uint8_t none[5] = { 0, 0, 0, 0, 0 };
	struct cfg_server s[5];
	struct cfg_pool p = pool_of(s, 5);
	struct balance b;
	int32_t act[5] = { 0, 3, 0, 3, 3 };
	int n[5] = { 0, 0, 0, 0, 0 }, i, r;
	uint64_t x = 42;

	servers_init(s, 5, NULL);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (i = 0; i < 3000; i++) {
		r = balance_pick_random2(&b, &p, act, elig, splitmix(&x));
		ck_assert(r == 1 || r == 3 || r == 4);
		n[r]++;
		ck_assert_int_eq(balance_pick_random2(&b, &p, act, one,
		    splitmix(&x)), 3);
		ck_assert_int_eq(balance_pick_random2(&b, &p, act, none,
		    splitmix(&x)), -1);
	}
	/* equal loads: all three get used */
	ck_assert_int_gt(n[1], 500);
	ck_assert_int_gt(n[3], 500);
	ck_assert_int_gt(n[4], 500);
	/* edge draws */
	r = balance_pick_random2(&b, &p, act, NULL, 0);
	ck_assert(r >= 0 && r < 5);
	r = balance_pick_random2(&b, &p, act, NULL, UINT64_MAX);
	ck_assert(r >= 0 && r < 5);
	balance_free(&b);
}
END_TEST

START_TEST(random2_avoids_loaded)
{
	struct cfg_server s[4];
	struct cfg_pool p = pool_of(s, 4);
	struct balance b;
	int32_t act[4] = { 1, 50, 1, 1 }, two[2] = { 40, 1 };
	int n[4] = { 0, 0, 0, 0 }, i;
	uint64_t x = 7;

	servers_init(s, 4, NULL);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (i = 0; i < 4000; i++)
		n[balance_pick_random2(&b, &p, act, NULL, splitmix(&x))]++;
	/* two different servers are compared: the loaded one never wins */
	ck_assert_int_eq(n[1], 0);
	balance_free(&b);

	/* with two servers both are always compared */
	p = pool_of(s, 2);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(balance_pick_random2(&b, &p, two, NULL,
		    splitmix(&x)), 1);
	balance_free(&b);
}
END_TEST

START_TEST(rr_skips_ineligible)
{
	static const uint8_t no_a[3] = { 0, 1, 1 }, none[3] = { 0, 0, 0 };
	int w[3] = { 5, 1, 1 };
	struct cfg_server s[3];
	struct cfg_pool p = pool_of(s, 3);
	struct balance b;
	_Atomic uint64_t ctr = 0;
	int n[3] = { 0, 0, 0 }, i;

	servers_init(s, 3, w);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	/* a a b a c a a without a: b c b c ..., the 100th at position 347 */
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(balance_pick_rr(&b, &ctr, no_a), 1 + i % 2);
		n[1 + i % 2]++;
	}
	ck_assert_uint_eq(ctr, 348);
	ck_assert_int_eq(balance_pick_rr(&b, &ctr, none), -1);
	ck_assert_uint_eq(ctr, 348);
	/* NULL: exactly balance_pick */
	for (i = 0; i < 14; i++)
		ck_assert_int_eq(balance_pick_rr(&b, &ctr, NULL),
		    (int)b.seq[(348 + i) % 7]);
	balance_free(&b);
}
END_TEST

START_TEST(rr_eligible_follow_weights)
{
	static const uint8_t no_b[3] = { 1, 0, 1 };
	int w[3] = { 3, 2, 5 };
	struct cfg_server s[3];
	struct cfg_pool p = pool_of(s, 3);
	struct balance b;
	_Atomic uint64_t ctr = 0;
	int n[3] = { 0, 0, 0 }, i;

	servers_init(s, 3, w);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	for (i = 0; i < 800; i++)
		n[balance_pick_rr(&b, &ctr, no_b)]++;
	ck_assert_int_eq(n[0], 300);
	ck_assert_int_eq(n[1], 0);
	ck_assert_int_eq(n[2], 500);
	balance_free(&b);
}
END_TEST

/* The ring is in order (hash, then server) however large it is. */
START_TEST(ring_sorted)
{
	struct cfg_server s[50];
	struct cfg_pool p;
	struct balance b;
	uint32_t i;
	int k;

	memset(s, 0, sizeof(s));
	for (k = 0; k < 50; k++) {
		s[k].weight = 1 + k % 3;
		(void)snprintf(s[k].addr.text, sizeof(s[k].addr.text),
		    "10.1.%d.%d:8080", k / 10, k);
	}
	p = pool_of(s, 50);
	ck_assert_int_eq(balance_init(&b, &p, NULL), 0);
	ck_assert_uint_eq(b.nring, 99 * BALANCE_POINTS);
	for (i = 1; i < b.nring; i++)
		ck_assert(b.ring[i - 1].hash < b.ring[i].hash ||
		    (b.ring[i - 1].hash == b.ring[i].hash &&
		    b.ring[i - 1].server < b.ring[i].server));
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
	tcase_add_test(tc, hash_ring_size);
	tcase_add_test(tc, ring_sorted);
	tcase_add_test(tc, hash_distribution);
	tcase_add_test(tc, hash_weights);
	tcase_add_test(tc, hash_remove_moves_only_its_keys);
	tcase_add_test(tc, hash_add_moves_a_fifth_to_new);
	tcase_add_test(tc, hash_none_eligible);
	tcase_add_test(tc, least_picks_least_loaded);
	tcase_add_test(tc, least_honours_weights);
	tcase_add_test(tc, least_skips_ineligible);
	tcase_add_test(tc, least_ties_rotate);
	tcase_add_test(tc, random2_never_ineligible);
	tcase_add_test(tc, random2_avoids_loaded);
	tcase_add_test(tc, rr_skips_ineligible);
	tcase_add_test(tc, rr_eligible_follow_weights);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
