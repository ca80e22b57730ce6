/*
 * The counter table and the retired totals on a real shared segment:
 * the table's shape (the status page pins its names and order), a reaped
 * worker's counters folded once into the totals, and a reader in another
 * process that never sees a total drop, nor a worker counted twice or not
 * at all, while workers come and go as fast as the master can reap them.
 * The labelled counters and histograms (struct ctr_more) the same way,
 * in the same snapshot; the listeners' rows; the rule of a refusal.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/counters.h"
#include "shared/scoreboard.h"
#include "shared/shm.h"

static struct shm	sh;

static void
shm_make(uint32_t nslots)
{
	struct shm_sizes z = { .nslots = nslots, .npools = 1, .nrows = 1 };

	ck_assert_int_eq(shm_create(&sh, &z), 0);
	/* as if the master had given out every slot (sb_scan_next) */
	sb_mark_used(&sh, nslots - 1);
}

/* What the master does when it reaps the worker of slot s. */
static void
reap(struct sb_slot *s)
{
	ctr_fold(&sh, s);
	memset(s, 0, sizeof(*s));
}

/* A worker starts in slot s and serves n requests of 100 bytes each. */
static void
serve(struct sb_slot *s, int st, uint64_t n)
{
	sb_set_state(s, st);
	sb_add(&s->connections, 1);
	sb_add(&s->requests, n);
	sb_add(&s->bytes_in, 100 * n);
	sb_add(&s->bytes_out, 1000 * n);
}

/* ... and each of those n requests ended 2xx on listener row 1, in 3 ms. */
static void
serve_more(struct sb_slot *s, uint64_t n)
{
	uint64_t i;

	for (i = 0; i < n; i++)
		histo_add(&s->more.histo[CTR_HISTO(request_duration)], 3000);
	sb_add(&s->more.responses[1][1], n);
}

static uint64_t
histo_count(const struct histo_v *h)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i <= HISTO_NB; i++)
		n += h->n[i];
	return (n);
}

START_TEST(table_shape)
{
	static const char *const names[] = { "workers", "idle", "busy",
	    "connections", "requests", "bytes_in", "bytes_out", "refused",
	    "parked", "unparked", "requeued", "conns_capped", "rate_limited",
	    "tunnels_capped", "slow_readers", "proxy_refused", "tunnels",
	    "yields" };
	int id, nslot = 0;

	/* the status page's totals and /metrics show these, in this order */
	ck_assert_int_eq(CTR_N, sizeof(names) / sizeof(names[0]));
	for (id = 0; id < CTR_N; id++) {
		ck_assert_str_eq(ctr_defs[id].name, names[id]);
		ck_assert_ptr_nonnull(ctr_defs[id].help);
		ck_assert_int_gt(strlen(ctr_defs[id].help), 0);
		if (ctr_defs[id].where == CTR_SLOT) {
			ck_assert_int_eq(ctr_defs[id].type, CTR_COUNTER);
			nslot++;
		} else
			ck_assert_int_eq(ctr_defs[id].type, CTR_GAUGE);
	}
	ck_assert_int_eq(nslot, 15);
	ck_assert_int_eq(CTR_ID(requests), 4);
	ck_assert_str_eq(ctr_defs[CTR_ID(bytes_out)].name, "bytes_out");
}
END_TEST

START_TEST(slot_values)
{
	uint64_t v[CTR_N];

	shm_make(2);
	serve(sb_slot(&sh, 1), SB_WRITING, 3);
	sb_add(&sb_slot(&sh, 1)->refused, 2);
	ctr_slot(sb_slot(&sh, 1), v);
	ck_assert_uint_eq(v[CTR_ID(workers)], 0);
	ck_assert_uint_eq(v[CTR_ID(connections)], 1);
	ck_assert_uint_eq(v[CTR_ID(requests)], 3);
	ck_assert_uint_eq(v[CTR_ID(bytes_in)], 300);
	ck_assert_uint_eq(v[CTR_ID(bytes_out)], 3000);
	ck_assert_uint_eq(v[CTR_ID(refused)], 2);
	shm_destroy(&sh);
}
END_TEST

START_TEST(fold_keeps_totals)
{
	uint64_t v[CTR_N];

	shm_make(4);
	ck_assert_int_eq(ctr_totals(&sh, v), 0);
	ck_assert_uint_eq(v[CTR_ID(workers)], 0);
	ck_assert_uint_eq(v[CTR_ID(requests)], 0);

	serve(sb_slot(&sh, 0), SB_IDLE, 5);
	serve(sb_slot(&sh, 1), SB_READING, 7);
	sb_add(&sb_slot(&sh, 1)->refused, 1);
	ck_assert_int_eq(ctr_totals(&sh, v), 0);
	ck_assert_uint_eq(v[CTR_ID(workers)], 2);
	ck_assert_uint_eq(v[CTR_ID(idle)], 1);
	ck_assert_uint_eq(v[CTR_ID(busy)], 1);
	ck_assert_uint_eq(v[CTR_ID(connections)], 2);
	ck_assert_uint_eq(v[CTR_ID(requests)], 12);
	ck_assert_uint_eq(v[CTR_ID(bytes_in)], 1200);
	ck_assert_uint_eq(v[CTR_ID(bytes_out)], 12000);
	ck_assert_uint_eq(v[CTR_ID(refused)], 1);

	/* slot 1's worker is reaped: the counters stay, the gauges drop */
	reap(sb_slot(&sh, 1));
	ck_assert_int_eq(sb_get_state(sb_slot(&sh, 1)), SB_DEAD);
	ck_assert_int_eq(ctr_totals(&sh, v), 0);
	ck_assert_uint_eq(v[CTR_ID(workers)], 1);
	ck_assert_uint_eq(v[CTR_ID(idle)], 1);
	ck_assert_uint_eq(v[CTR_ID(busy)], 0);
	ck_assert_uint_eq(v[CTR_ID(connections)], 2);
	ck_assert_uint_eq(v[CTR_ID(requests)], 12);
	ck_assert_uint_eq(v[CTR_ID(bytes_out)], 12000);
	ck_assert_uint_eq(v[CTR_ID(refused)], 1);

	/* folding a free slot again adds nothing: a worker counts once */
	ctr_fold(&sh, sb_slot(&sh, 1));
	ctr_fold(&sh, sb_slot(&sh, 3));
	ck_assert_int_eq(ctr_totals(&sh, v), 0);
	ck_assert_uint_eq(v[CTR_ID(requests)], 12);

	/* a new worker in the freed slot adds from 0 */
	serve(sb_slot(&sh, 1), SB_STARTING, 1);
	ck_assert_int_eq(ctr_totals(&sh, v), 0);
	ck_assert_uint_eq(v[CTR_ID(workers)], 2);
	ck_assert_uint_eq(v[CTR_ID(busy)], 1);
	ck_assert_uint_eq(v[CTR_ID(requests)], 13);

	/* every worker gone (a reload): nothing lost */
	reap(sb_slot(&sh, 0));
	reap(sb_slot(&sh, 1));
	ck_assert_int_eq(ctr_totals(&sh, v), 0);
	ck_assert_uint_eq(v[CTR_ID(workers)], 0);
	ck_assert_uint_eq(v[CTR_ID(connections)], 3);
	ck_assert_uint_eq(v[CTR_ID(requests)], 13);
	ck_assert_uint_eq(v[CTR_ID(bytes_in)], 1300);
	ck_assert_uint_eq(v[CTR_ID(bytes_out)], 13000);
	ck_assert_uint_eq(v[CTR_ID(refused)], 1);
	shm_destroy(&sh);
}
END_TEST

/*
 * Scans skip the slots no worker was given: the master's sum every
 * second leaves their pages of the segment untouched (not resident),
 * but it sees every slot it gave out, and the last (the cache keeper's).
 */
START_TEST(scan_skips_unused)
{
	struct shm_sizes z = { .nslots = 1024, .npools = 1, .nrows = 1 };
	long pg = sysconf(_SC_PAGESIZE);
	uint64_t v[CTR_N];
	unsigned char in;
	uintptr_t p;
	uint32_t i, seen[8], n = 0;

	ck_assert_int_eq(shm_create(&sh, &z), 0);
	for (i = 0; i < 1024 && n < 8; i = sb_scan_next(&sh, i))
		seen[n++] = i;
	ck_assert_uint_eq(n, 2);	/* none given out: 0, and the last */
	ck_assert_uint_eq(seen[0], 0);
	ck_assert_uint_eq(seen[1], 1023);

	sb_mark_used(&sh, 0);
	sb_mark_used(&sh, 2);
	sb_mark_used(&sh, 1);	/* lower: the mark stays at 3 */
	n = 0;
	for (i = 0; i < 1024 && n < 8; i = sb_scan_next(&sh, i))
		seen[n++] = i;
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(seen[2], 2);
	ck_assert_uint_eq(seen[3], 1023);

	serve(sb_slot(&sh, 2), SB_READING, 7);
	serve(sb_slot(&sh, 1023), SB_WRITING, 5);	/* the keeper's */
	ck_assert_int_eq(ctr_totals(&sh, v), 0);
	ck_assert_uint_eq(v[CTR_ID(workers)], 2);
	ck_assert_uint_eq(v[CTR_ID(requests)], 12);

	/* slot 500's page was never faulted in by the sums */
	p = (uintptr_t)sb_slot(&sh, 500) & ~(uintptr_t)(pg - 1);
	ck_assert_ptr_ne(sb_slot(&sh, 500), sb_slot(&sh, 2));
	ck_assert_uint_gt((uintptr_t)sb_slot(&sh, 500),
	    (uintptr_t)sb_slot(&sh, 3) + (uintptr_t)pg);
	ck_assert_int_eq(mincore((void *)p, (size_t)pg, &in), 0);
	ck_assert_int_eq(in & 1, 0);
	/* ... which a full scan would have */
	(void)sb_get_state(sb_slot(&sh, 500));
	ck_assert_int_eq(mincore((void *)p, (size_t)pg, &in), 0);
	ck_assert_int_eq(in & 1, 1);
	shm_destroy(&sh);
}
END_TEST

START_TEST(fold_more)
{
	struct ctr_more_v m;
	uint64_t v[CTR_N];
	struct sb_slot *a, *b;

	shm_make(3);
	a = sb_slot(&sh, 0);
	b = sb_slot(&sh, 2);
	serve(a, SB_IDLE, 4);
	serve_more(a, 4);
	sb_add(&a->more.refused[CTR_RULE(deny_paths)], 2);
	serve(b, SB_WRITING, 1);
	serve_more(b, 1);
	histo_add(&b->more.histo[CTR_HISTO(upstream_header_duration)], 70000000);
	sb_add(&b->more.responses[CTR_LST_OTHER][4], 1);
	ck_assert_int_eq(ctr_totals_more(&sh, v, &m), 0);
	ck_assert_uint_eq(m.responses[1][1], 5);
	ck_assert_uint_eq(m.responses[CTR_LST_OTHER][4], 1);
	ck_assert_uint_eq(m.refused[CTR_RULE(deny_paths)], 2);
	ck_assert_uint_eq(histo_count(&m.histo[CTR_HISTO(request_duration)]),
	    5);
	ck_assert_uint_eq(m.histo[CTR_HISTO(request_duration)].n[2], 5);
	ck_assert_uint_eq(m.histo[CTR_HISTO(request_duration)].sum_us, 15000);
	ck_assert_uint_eq(m.histo[CTR_HISTO(upstream_header_duration)].n[HISTO_NB], 1);

	/* both reaped (a reload): every labelled count stays */
	reap(a);
	reap(b);
	ck_assert_uint_eq(atomic_load(&a->more.responses[1][1]), 0);
	ck_assert_int_eq(ctr_totals_more(&sh, v, &m), 0);
	ck_assert_uint_eq(v[CTR_ID(requests)], 5);
	ck_assert_uint_eq(m.responses[1][1], 5);
	ck_assert_uint_eq(m.responses[CTR_LST_OTHER][4], 1);
	ck_assert_uint_eq(m.refused[CTR_RULE(deny_paths)], 2);
	ck_assert_uint_eq(m.histo[CTR_HISTO(request_duration)].sum_us, 15000);
	ck_assert_uint_eq(histo_count(&m.histo[CTR_HISTO(upstream_header_duration)]),
	    1);

	/* a new worker adds to them; a second fold of a free slot adds 0 */
	serve(a, SB_IDLE, 2);
	serve_more(a, 2);
	ctr_fold(&sh, b);
	ck_assert_int_eq(ctr_totals_more(&sh, v, &m), 0);
	ck_assert_uint_eq(m.responses[1][1], 7);
	ck_assert_uint_eq(histo_count(&m.histo[CTR_HISTO(request_duration)]),
	    7);
	shm_destroy(&sh);
}
END_TEST

START_TEST(listener_rows)
{
	char key[CTR_LKEY + 8];
	int i, r0, r1;

	shm_make(1);
	ck_assert_int_eq(ctr_lst_find(&sh, "127.0.0.1:80"), -1);
	ck_assert_ptr_null(ctr_lst_key(&sh, 0));
	r0 = ctr_lst_claim(&sh, "127.0.0.1:80");
	r1 = ctr_lst_claim(&sh, "[::1]:80");
	ck_assert_int_eq(r0, 0);
	ck_assert_int_eq(r1, 1);
	/* a reload that keeps a listener keeps its row */
	ck_assert_int_eq(ctr_lst_claim(&sh, "[::1]:80"), 1);
	ck_assert_int_eq(ctr_lst_find(&sh, "[::1]:80"), 1);
	ck_assert_str_eq(ctr_lst_key(&sh, 0), "127.0.0.1:80");
	/* not claimed: no row (the master claims all before forking) */
	ck_assert_int_eq(ctr_lst_find(&sh, "127.0.0.1:81"), -1);
	/* up to CTR_LST_OTHER addresses get a row of their own ... */
	for (i = 2; i < CTR_LST_OTHER; i++) {
		(void)snprintf(key, sizeof(key), "10.0.0.1:%d", i);
		ck_assert_int_eq(ctr_lst_claim(&sh, key), i);
	}
	ck_assert_ptr_null(ctr_lst_key(&sh, CTR_LST_OTHER));
	/* ... then they share "other", and so does a key too long */
	ck_assert_int_eq(ctr_lst_claim(&sh, "10.0.0.2:1"), CTR_LST_OTHER);
	ck_assert_str_eq(ctr_lst_key(&sh, CTR_LST_OTHER), "other");
	ck_assert_int_eq(ctr_lst_claim(&sh, "10.0.0.2:2"), CTR_LST_OTHER);
	ck_assert_int_eq(ctr_lst_find(&sh, "10.0.0.2:2"), CTR_LST_OTHER);
	memset(key, 'a', CTR_LKEY);
	key[CTR_LKEY] = '\0';
	ck_assert_int_eq(ctr_lst_claim(&sh, key), CTR_LST_OTHER);
	ck_assert_int_eq(ctr_lst_find(&sh, key), CTR_LST_OTHER);
	/* the first rows kept their keys */
	ck_assert_int_eq(ctr_lst_find(&sh, "127.0.0.1:80"), 0);
	ck_assert_str_eq(ctr_lst_key(&sh, 5), "10.0.0.1:5");
	shm_destroy(&sh);
}
END_TEST

START_TEST(classes_and_rules)
{
	ck_assert_int_eq(ctr_class(99), -1);
	ck_assert_int_eq(ctr_class(100), 0);
	ck_assert_int_eq(ctr_class(101), 0);
	ck_assert_int_eq(ctr_class(200), 1);
	ck_assert_int_eq(ctr_class(399), 2);
	ck_assert_int_eq(ctr_class(404), 3);
	ck_assert_int_eq(ctr_class(499), 3);
	ck_assert_int_eq(ctr_class(599), 4);
	ck_assert_int_eq(ctr_class(600), -1);
	ck_assert_int_eq(ctr_class(0), -1);
	/* the words filter_check and fwd_blocked write */
	ck_assert_int_eq(ctr_rule_of("deny: client address"), CTR_RULE(deny));
	ck_assert_int_eq(ctr_rule_of("allow: client not listed"),
	    CTR_RULE(allow));
	ck_assert_int_eq(ctr_rule_of("methods: PUT not allowed"),
	    CTR_RULE(methods));
	ck_assert_int_eq(ctr_rule_of("deny_paths \"^/admin\""),
	    CTR_RULE(deny_paths));
	ck_assert_int_eq(ctr_rule_of("require_headers X-Key"),
	    CTR_RULE(require_headers));
	ck_assert_int_eq(ctr_rule_of("deny_headers User-Agent \"x\""),
	    CTR_RULE(deny_headers));
	ck_assert_int_eq(ctr_rule_of("allow_hosts (host not listed)"),
	    CTR_RULE(allow_hosts));
	ck_assert_int_eq(ctr_rule_of("block_hosts .ads.example"),
	    CTR_RULE(block_hosts));
	ck_assert_int_eq(ctr_rule_of("block_urls #2"), CTR_RULE(block_urls));
	ck_assert_int_eq(ctr_rule_of("deny"), CTR_RULE(deny));
	/* a name only when it is the whole first word */
	ck_assert_int_eq(ctr_rule_of("denying"), CTR_RULE(other));
	ck_assert_int_eq(ctr_rule_of("deny_pathsX"), CTR_RULE(other));
	ck_assert_int_eq(ctr_rule_of("deny-paths"), CTR_RULE(other));
	ck_assert_int_eq(ctr_rule_of("CONNECT to port 25"), CTR_RULE(other));
	ck_assert_int_eq(ctr_rule_of(""), CTR_RULE(other));
	ck_assert_int_eq(ctr_rule_of(NULL), CTR_RULE(other));
	ck_assert_str_eq(ctr_rules[CTR_RULE(connect_ports)].name,
	    "connect_ports");
	ck_assert_str_eq(ctr_rules[CTR_NRULES - 1].name, "other");
}
END_TEST

/*
 * A child plays workers and master at full speed: each round a worker in
 * the next slot is reaped (folded, freed) and a new one counts there, so
 * three live slots and the retired totals hold counts at any moment. The
 * child says what it is about to count (announced) and what it has
 * counted (done); the reader must find done before <= total <= announced
 * after, and never less than its previous total.
 */
#define ROUNDS		1000000
#define NSLOTS		4

struct progress {
	_Atomic uint64_t	announced;
	_Atomic uint64_t	done;
	_Atomic int		finished;
};

START_TEST(fold_while_reading)
{
	struct progress *pr;
	struct ctr_more_v m;
	uint64_t v[CTR_N], prev = 0, d, a;
	long reads = 0;
	pid_t pid;
	int st;

	shm_make(NSLOTS);
	pr = mmap(NULL, sizeof(*pr), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(pr != MAP_FAILED);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		uint64_t r;

		struct timespec gap = { 0, 1000 };

		for (r = 0; r < ROUNDS; r++) {
			struct sb_slot *s = sb_slot(&sh, r % NSLOTS);
			uint64_t n = 1 + r % 5;

			if (sb_get_state(s) != SB_DEAD)
				reap(s);
			/*
			 * A master folds once per reaped worker, not without
			 * pause: leave the reader a gap now and then, or a
			 * reader on the other CPU may find every try mid-fold.
			 */
			if (r % 64 == 0)
				(void)nanosleep(&gap, NULL);
			atomic_fetch_add(&pr->announced, n);
			atomic_thread_fence(memory_order_seq_cst);
			serve(s, SB_READING, n);
			serve_more(s, n);
			atomic_thread_fence(memory_order_seq_cst);
			atomic_fetch_add(&pr->done, n);
		}
		atomic_store(&pr->finished, 1);
		_exit(0);
	}
	while (!atomic_load(&pr->finished) || reads == 0) {
		d = atomic_load(&pr->done);
		ck_assert_int_eq(ctr_totals_more(&sh, v, &m), 0);
		atomic_thread_fence(memory_order_seq_cst);
		a = atomic_load(&pr->announced);
		if (v[CTR_ID(requests)] < d || v[CTR_ID(requests)] > a ||
		    v[CTR_ID(requests)] < prev)
			ck_abort_msg("read %llu requests: done before %llu, "
			    "announced after %llu, read before %llu",
			    (unsigned long long)v[CTR_ID(requests)],
			    (unsigned long long)d, (unsigned long long)a,
			    (unsigned long long)prev);
		ck_assert_uint_ge(v[CTR_ID(bytes_in)], 100 * d);
		ck_assert_uint_le(v[CTR_ID(bytes_in)], 100 * a);
		ck_assert_uint_le(v[CTR_ID(workers)], NSLOTS);
		/* the labelled counts are of the same snapshot */
		ck_assert_uint_ge(m.responses[1][1], d);
		ck_assert_uint_le(m.responses[1][1], a);
		ck_assert_uint_le(histo_count(
		    &m.histo[CTR_HISTO(request_duration)]), a);
		ck_assert_uint_ge(histo_count(
		    &m.histo[CTR_HISTO(request_duration)]), d);
		prev = v[CTR_ID(requests)];
		reads++;
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(ctr_totals(&sh, v), 0);
	ck_assert_uint_eq(v[CTR_ID(requests)], atomic_load(&pr->done));
	ck_assert_uint_eq(v[CTR_ID(connections)], ROUNDS);
	ck_assert_uint_eq(v[CTR_ID(bytes_out)], 1000 * atomic_load(&pr->done));
	ck_assert_int_eq(ctr_totals_more(&sh, v, &m), 0);
	ck_assert_uint_eq(m.responses[1][1], atomic_load(&pr->done));
	ck_assert_uint_eq(histo_count(&m.histo[CTR_HISTO(request_duration)]),
	    atomic_load(&pr->done));
	ck_assert_uint_eq(m.histo[CTR_HISTO(request_duration)].sum_us,
	    3000 * atomic_load(&pr->done));
	munmap(pr, sizeof(*pr));
	shm_destroy(&sh);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("counters");
	TCase *tc = tcase_create("counters");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, table_shape);
	tcase_add_test(tc, slot_values);
	tcase_add_test(tc, fold_keeps_totals);
	tcase_add_test(tc, scan_skips_unused);
	tcase_add_test(tc, fold_more);
	tcase_add_test(tc, listener_rows);
	tcase_add_test(tc, classes_and_rules);
	tcase_add_test(tc, fold_while_reading);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
