/*
 * The arena a worker keeps its buffers and small state in (lib/arena.c):
 * small blocks packed, buffers on a page with a guard after them, memory
 * the master keeps from its children, and the bounds of the reservation.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/arena.h"
#include "worker/balance.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN	1
#endif
#endif

START_TEST(blocks_zeroed_and_aligned)
{
	struct arena a;
	char *p, *q, *b;
	size_t i;

	ck_assert_int_eq(arena_init(&a, 3 * arena_buf_room(10000)), 0);
	p = arena_small(&a, 5);
	q = arena_small(&a, 100);
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(q);
	ck_assert_uint_eq((uintptr_t)p % 16, 0);
	ck_assert_uint_eq((uintptr_t)q % 16, 0);
	memset(p, 'x', 5);
	b = arena_buf(&a, 10000);
	ck_assert_ptr_nonnull(b);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(q[i], 0);
	for (i = 0; i < 10000; i++)
		ck_assert_int_eq(b[i], 0);
	memset(b, 'y', 10000);
	ck_assert_int_eq(p[4], 'x');
#ifndef UNDER_ASAN
	/* packed: the second small block follows the first on its page */
	ck_assert_ptr_eq(q, p + 16);
	ck_assert_uint_eq((uintptr_t)b % (uintptr_t)sysconf(_SC_PAGESIZE), 0);
#endif
	arena_free(&a);
}
END_TEST

START_TEST(reservation_is_a_bound)
{
	struct arena a;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE);

	ck_assert_int_eq(arena_init(&a, arena_buf_room(ps)), 0);
	ck_assert_ptr_nonnull(arena_buf(&a, ps));
#ifndef UNDER_ASAN
	/* the room allows a page to reach a boundary: here it is unused */
	ck_assert_ptr_nonnull(arena_small(&a, ps));
	/* now the page, its guard and that page took the room */
	ck_assert_ptr_null(arena_buf(&a, 1));
	ck_assert_ptr_null(arena_small(&a, 1));
	ck_assert_ptr_null(arena_small(&a, SIZE_MAX));
#endif
	arena_free(&a);
}
END_TEST

#ifndef UNDER_ASAN
/* How a child that ran f ended: its signal, or 0 if it exited. */
static int
child_signal(void (*f)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		f(arg);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

static void
write_past(void *arg)
{
	char *b = arg;

	b[4096] = 1;	/* one past the 4096-byte buffer */
}

START_TEST(running_off_a_buffer_faults)
{
	struct arena a;
	char *b, *next;

	ck_assert_int_eq(arena_init(&a, 2 * arena_buf_room(4096)), 0);
	b = arena_buf(&a, 4096);
	next = arena_buf(&a, 4096);
	ck_assert_ptr_nonnull(b);
	ck_assert_ptr_nonnull(next);
	ck_assert_int_eq(child_signal(write_past, b), SIGSEGV);
	/* not the next buffer's first byte: a guard page lies between */
	ck_assert_ptr_ne(next, b + 4096);
	arena_free(&a);
}
END_TEST

/* A trimmed buffer keeps its first page and reads zeros past it. */
START_TEST(trim_gives_pages_back)
{
	struct arena a;
	size_t ps = (size_t)sysconf(_SC_PAGESIZE), i;
	unsigned char vec[3];
	char *b;

	ck_assert_int_eq(arena_init(&a, arena_buf_room(3 * ps)), 0);
	b = arena_buf(&a, 3 * ps);
	ck_assert_ptr_nonnull(b);
	memset(b, 'z', 3 * ps);
	ck_assert_int_eq(mincore(b, 3 * ps, vec), 0);
	ck_assert_int_eq(vec[1] & 1, 1);
	arena_trim(b, 3 * ps, 1);
	ck_assert_int_eq(mincore(b, 3 * ps, vec), 0);
	ck_assert_int_eq(vec[0] & 1, 1);
	ck_assert_int_eq(vec[1] & 1, 0);
	ck_assert_int_eq(vec[2] & 1, 0);
	for (i = 0; i < ps; i++)
		ck_assert_int_eq(b[i], 'z');
	for (i = ps; i < 3 * ps; i++)
		ck_assert_int_eq(b[i], 0);
	arena_trim(b, 3 * ps, 0);
	ck_assert_int_eq(b[0], 0);
	arena_free(&a);
}
END_TEST

static void
read_first(void *arg)
{
	volatile char *p = arg;

	(void)*p;
}

START_TEST(not_inherited_by_children)
{
	struct arena mine, kids;
	char *m, *k;

	ck_assert_int_eq(arena_init(&mine, 4096), 0);
	ck_assert_int_eq(arena_init(&kids, 4096), 0);
	ck_assert_int_eq(arena_not_inherited(&mine), 0);
	m = arena_small(&mine, 64);
	k = arena_small(&kids, 64);
	m[0] = 'm';
	k[0] = 'k';
	ck_assert_int_eq(child_signal(read_first, m), SIGSEGV);
	ck_assert_int_eq(child_signal(read_first, k), 0);
	ck_assert_int_eq(m[0], 'm');
	arena_free(&mine);
	arena_free(&kids);
}
END_TEST
#endif

/* A pool's sequence and ring built in an arena are the calloc'd ones. */
START_TEST(balance_in_arena_matches)
{
	struct cfg_server s[3] = { { .weight = 5 }, { .weight = 1 },
	    { .weight = 1 } };
	struct cfg_pool p = { .servers = s, .nservers = 3 };
	struct balance heap, in;
	struct arena a;
	uint32_t i;

	(void)strcpy(s[0].addr.text, "10.0.0.1:80");
	(void)strcpy(s[1].addr.text, "10.0.0.2:80");
	(void)strcpy(s[2].addr.text, "10.0.0.3:80");
	ck_assert_int_eq(balance_init(&heap, &p, NULL), 0);
	ck_assert_int_eq(arena_init(&a, balance_room(&p)), 0);
	ck_assert_int_eq(balance_init(&in, &p, &a), 0);
	ck_assert_uint_eq(in.len, heap.len);
	ck_assert_uint_eq(in.nring, heap.nring);
	for (i = 0; i < in.len; i++)
		ck_assert_uint_eq(in.seq[i], heap.seq[i]);
	for (i = 0; i < in.nring; i++) {
		ck_assert_uint_eq(in.ring[i].hash, heap.ring[i].hash);
		ck_assert_uint_eq(in.ring[i].server, heap.ring[i].server);
	}
	balance_free(&in);	/* leaves the arena's blocks to it */
	balance_free(&heap);
	arena_free(&a);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("arena");
	TCase *tc = tcase_create("arena");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, blocks_zeroed_and_aligned);
	tcase_add_test(tc, reservation_is_a_bound);
#ifndef UNDER_ASAN
	/* with ASan the blocks are calloc'd and the sanitizer checks them */
	tcase_add_test(tc, running_off_a_buffer_faults);
	tcase_add_test(tc, not_inherited_by_children);
	tcase_add_test(tc, trim_gives_pages_back);
#endif
	tcase_add_test(tc, balance_in_arena_matches);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
