/*
 * The job table on a shared anonymous mapping, as porter's processes
 * share it: add, take, finish and look up; a REFRESH for a hash already
 * queued or running is a duplicate; a full table refuses; a keeper
 * SIGKILLed with a job running leaves it for jobs_requeue; jobs_wait
 * wakes on jobs_add from another process and returns at its deadline.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/jobs.h"

static struct jobs	*jb;
static void		*mem;
static size_t		 memlen;

static void
make(uint32_t n)
{
	memlen = jobs_size(n);
	ck_assert_uint_gt(memlen, 0);
	mem = mmap(NULL, memlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_int_eq(jobs_init(mem, n), 0);
	jb = jobs_at(mem);
	ck_assert_ptr_nonnull(jb);
}

static void
unmake(void)
{
	ck_assert_int_eq(munmap(mem, memlen), 0);
	jb = NULL;
}

static int64_t
ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

static void
spec(struct job_spec *s, int kind, uint64_t hash, const char *data)
{
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->hash = hash;
	s->len = (uint32_t)strlen(data);
	memcpy(s->data, data, s->len);
}

START_TEST(add_take_finish)
{
	struct job_spec a, out;
	struct job_view v;
	uint64_t id1, id2;
	int dup = -1;

	make(8);
	ck_assert_uint_eq(jobs_take(jb, &out), 0);
	spec(&a, JOB_PURGE_PREFIX, 0, "/img/");
	a.flags = JOB_F_SOFT;
	a.not_after = 1234;
	id1 = jobs_add(jb, &a, &dup);
	ck_assert_uint_gt(id1, 0);
	ck_assert_int_eq(dup, 0);
	spec(&a, JOB_SWEEP, 0, "");
	id2 = jobs_add(jb, &a, NULL);
	ck_assert_uint_gt(id2, id1);
	ck_assert_int_eq(jobs_get(jb, id1, &v), 0);
	ck_assert_int_eq(v.state, JOB_QUEUED);
	ck_assert_int_eq(v.kind, JOB_PURGE_PREFIX);
	ck_assert_int_gt(v.queued_ms, 0);
	/* oldest first, copied whole */
	memset(&out, 0xff, sizeof(out));
	ck_assert_uint_eq(jobs_take(jb, &out), id1);
	ck_assert_int_eq(out.kind, JOB_PURGE_PREFIX);
	ck_assert_uint_eq(out.flags, JOB_F_SOFT);
	ck_assert_int_eq(out.not_after, 1234);
	ck_assert_uint_eq(out.len, 5);
	ck_assert(memcmp(out.data, "/img/", 5) == 0);
	ck_assert_int_eq(jobs_get(jb, id1, &v), 0);
	ck_assert_int_eq(v.state, JOB_RUNNING);
	jobs_finish(jb, id1, JOB_DONE, 7);
	ck_assert_int_eq(jobs_get(jb, id1, &v), 0);
	ck_assert_int_eq(v.state, JOB_DONE);
	ck_assert_uint_eq(v.result, 7);
	ck_assert_int_ge(v.done_ms, v.queued_ms);
	/* finishing twice, or a queued job, changes nothing */
	jobs_finish(jb, id1, JOB_DROPPED, 9);
	jobs_finish(jb, id2, JOB_DONE, 9);
	ck_assert_int_eq(jobs_get(jb, id1, &v), 0);
	ck_assert_int_eq(v.state, JOB_DONE);
	ck_assert_int_eq(jobs_get(jb, id2, &v), 0);
	ck_assert_int_eq(v.state, JOB_QUEUED);
	ck_assert_uint_eq(jobs_take(jb, &out), id2);
	ck_assert_int_eq(out.kind, JOB_SWEEP);
	jobs_finish(jb, id2, JOB_DROPPED, 0);
	ck_assert_uint_eq(jobs_take(jb, &out), 0);
	ck_assert_int_eq(jobs_get(jb, 999, &v), -1);
	ck_assert_int_eq(jobs_get(jb, 0, &v), -1);
	/* bad specs */
	spec(&a, JOB_NONE, 0, "");
	ck_assert_uint_eq(jobs_add(jb, &a, NULL), 0);
	spec(&a, JOB_SWEEP, 0, "");
	a.len = JOB_DATA_MAX + 1;
	ck_assert_uint_eq(jobs_add(jb, &a, NULL), 0);
	ck_assert_uint_eq(jobs_size(0), 0);
	/* not a table: misaligned, or no magic */
	ck_assert_ptr_null(jobs_at((char *)mem + 8));
	ck_assert_ptr_null(jobs_at((char *)mem + 64));
	unmake();
}
END_TEST

START_TEST(refresh_dedup)
{
	struct job_spec a, out;
	uint64_t id, id2;
	int dup;

	make(8);
	spec(&a, JOB_REFRESH, 42, "GET /a");
	id = jobs_add(jb, &a, &dup);
	ck_assert_uint_gt(id, 0);
	ck_assert_int_eq(dup, 0);
	/* queued: the same job */
	ck_assert_uint_eq(jobs_add(jb, &a, &dup), id);
	ck_assert_int_eq(dup, 1);
	/* another hash is its own job */
	spec(&a, JOB_REFRESH, 43, "GET /b");
	id2 = jobs_add(jb, &a, &dup);
	ck_assert_uint_ne(id2, id);
	ck_assert_int_eq(dup, 0);
	/* a purge with the same hash is not a duplicate */
	spec(&a, JOB_PURGE_TAG, 42, "");
	ck_assert_uint_ne(jobs_add(jb, &a, &dup), id);
	ck_assert_int_eq(dup, 0);
	/* running: still the same job */
	ck_assert_uint_eq(jobs_take(jb, &out), id);
	spec(&a, JOB_REFRESH, 42, "GET /a");
	ck_assert_uint_eq(jobs_add(jb, &a, &dup), id);
	ck_assert_int_eq(dup, 1);
	/* done: a new refresh is a new job */
	jobs_finish(jb, id, JOB_DONE, 1);
	id2 = jobs_add(jb, &a, &dup);
	ck_assert_uint_gt(id2, id);
	ck_assert_int_eq(dup, 0);
	unmake();
}
END_TEST

START_TEST(full_table)
{
	struct job_spec a, out;
	struct job_view v;
	uint64_t ids[4], id, first;
	uint32_t q, r;
	int i;

	make(4);
	for (i = 0; i < 4; i++) {
		spec(&a, JOB_REFRESH, (uint64_t)i, "x");
		ids[i] = jobs_add(jb, &a, NULL);
		ck_assert_uint_gt(ids[i], 0);
	}
	spec(&a, JOB_REFRESH, 99, "x");
	ck_assert_uint_eq(jobs_add(jb, &a, NULL), 0);
	/* running ones count as full too */
	ck_assert_uint_eq(jobs_take(jb, &out), ids[0]);
	ck_assert_uint_eq(jobs_add(jb, &a, NULL), 0);
	jobs_counts(jb, &q, &r);
	ck_assert_uint_eq(q, 3);
	ck_assert_uint_eq(r, 1);
	/* a finished slot is reused, the oldest finished first */
	jobs_finish(jb, ids[0], JOB_DONE, 0);
	ck_assert_uint_eq(jobs_take(jb, &out), ids[1]);
	jobs_finish(jb, ids[1], JOB_DONE, 0);
	first = jobs_add(jb, &a, NULL);
	ck_assert_uint_gt(first, ids[3]);
	ck_assert_int_eq(jobs_get(jb, ids[0], &v), -1);
	ck_assert_int_eq(jobs_get(jb, ids[1], &v), 0);
	spec(&a, JOB_REFRESH, 100, "x");
	id = jobs_add(jb, &a, NULL);
	ck_assert_uint_gt(id, first);
	ck_assert_int_eq(jobs_get(jb, ids[1], &v), -1);
	ck_assert_uint_eq(jobs_add(jb, &a, NULL), id);
	spec(&a, JOB_REFRESH, 101, "x");
	ck_assert_uint_eq(jobs_add(jb, &a, NULL), 0);
	unmake();
}
END_TEST

START_TEST(requeue_after_death)
{
	struct job_spec a, out;
	struct job_view v;
	uint64_t id, id2;
	pid_t pid;
	int status, dup;

	make(8);
	spec(&a, JOB_REFRESH, 7, "GET /slow");
	id = jobs_add(jb, &a, NULL);
	spec(&a, JOB_SWEEP, 0, "");
	id2 = jobs_add(jb, &a, NULL);
	/* a keeper takes the first and dies in the middle of it */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (jobs_take(jb, &out) != id)
			_exit(1);
		(void)kill(getpid(), SIGKILL);
		_exit(2);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	ck_assert_int_eq(jobs_get(jb, id, &v), 0);
	ck_assert_int_eq(v.state, JOB_RUNNING);
	/* still running, so still deduplicated */
	spec(&a, JOB_REFRESH, 7, "GET /slow");
	ck_assert_uint_eq(jobs_add(jb, &a, &dup), id);
	ck_assert_int_eq(dup, 1);
	/* its successor requeues it and takes it again, oldest first */
	ck_assert_int_eq(jobs_requeue(jb), 1);
	ck_assert_int_eq(jobs_requeue(jb), 0);
	ck_assert_uint_eq(jobs_take(jb, &out), id);
	ck_assert_int_eq(out.kind, JOB_REFRESH);
	ck_assert(memcmp(out.data, "GET /slow", 9) == 0);
	jobs_finish(jb, id, JOB_DONE, 0);
	ck_assert_uint_eq(jobs_take(jb, &out), id2);
	jobs_finish(jb, id2, JOB_DONE, 0);
	ck_assert_uint_eq(jobs_take(jb, &out), 0);
	unmake();
}
END_TEST

START_TEST(wait_wakes)
{
	struct job_spec a;
	int64_t t0;
	pid_t pid;
	int status;

	make(8);
	/* nothing queued: the deadline */
	t0 = ms();
	jobs_wait(jb, t0 + 100);
	ck_assert_int_ge(ms() - t0, 90);
	/* a sleeper in another process is woken by jobs_add */
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct job_spec out;
		int64_t end = ms() + 10000;

		while (ms() < end) {
			if (jobs_take(jb, &out) != 0)
				_exit(0);
			jobs_wait(jb, end);
		}
		_exit(1);
	}
	usleep(200 * 1000);
	t0 = ms();
	spec(&a, JOB_SWEEP, 0, "");
	ck_assert_uint_gt(jobs_add(jb, &a, NULL), 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_lt(ms() - t0, 5000);
	/* something queued: no sleep at all */
	ck_assert_uint_gt(jobs_add(jb, &a, NULL), 0);
	t0 = ms();
	jobs_wait(jb, t0 + 5000);
	ck_assert_int_lt(ms() - t0, 1000);
	unmake();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("jobs");
	TCase *tb = tcase_create("basics");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tb, 30);
	tcase_add_test(tb, add_take_finish);
	tcase_add_test(tb, refresh_dedup);
	tcase_add_test(tb, full_table);
	tcase_add_test(tb, requeue_after_death);
	tcase_add_test(tb, wait_wakes);
	suite_add_tcase(s, tb);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
