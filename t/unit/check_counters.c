/*
 * The counter table and the retired totals on a real shared segment:
 * the table's shape (the status page pins its names and order), a reaped
 * worker's counters folded once into the totals, and a reader in another
 * process that never sees a total drop, nor a worker counted twice or not
 * at all, while workers come and go as fast as the master can reap them.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <check.h>
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

START_TEST(table_shape)
{
	static const char *const names[] = { "workers", "idle", "busy",
	    "connections", "requests", "bytes_in", "bytes_out", "refused",
	    "parked", "unparked", "conns_capped", "rate_limited",
	    "tunnels_capped", "slow_readers", "proxy_refused" };
	int id, nslot = 0;

	/* t/e2e/s012-status.sh pins these names, in this order */
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
	ck_assert_int_eq(nslot, 12);
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
			atomic_thread_fence(memory_order_seq_cst);
			atomic_fetch_add(&pr->done, n);
		}
		atomic_store(&pr->finished, 1);
		_exit(0);
	}
	while (!atomic_load(&pr->finished) || reads == 0) {
		d = atomic_load(&pr->done);
		ck_assert_int_eq(ctr_totals(&sh, v), 0);
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
		prev = v[CTR_ID(requests)];
		reads++;
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_int_eq(ctr_totals(&sh, v), 0);
	ck_assert_uint_eq(v[CTR_ID(requests)], atomic_load(&pr->done));
	ck_assert_uint_eq(v[CTR_ID(connections)], ROUNDS);
	ck_assert_uint_eq(v[CTR_ID(bytes_out)], 1000 * atomic_load(&pr->done));
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
	tcase_add_test(tc, fold_while_reading);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
