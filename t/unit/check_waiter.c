/*
 * Unit tests for the waiter's bookkeeping (waiter/deadline.c: the heap of
 * deadlines and when a parked connection is due) and for the hand-off
 * framing both sides use (lib/handoff.c), over a real socket pair.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/handoff.h"
#include "waiter/deadline.h"

#define NNODES	500

/* The heap's invariant: no node is due before its parent; indexes agree. */
static void
heap_ok(const struct dl_heap *h)
{
	uint32_t i;

	for (i = 0; i < h->n; i++) {
		ck_assert_uint_eq(h->v[i]->i, i);
		if (i > 0)
			ck_assert_int_le(h->v[(i - 1) / 2]->at, h->v[i]->at);
	}
}

START_TEST(heap_orders_adds)
{
	struct dl_heap h;
	struct dl_node n[NNODES];
	int64_t last = -1;
	int i;

	dl_init(&h);
	ck_assert_ptr_null(dl_first(&h));
	srandom(1);
	for (i = 0; i < NNODES; i++) {
		n[i].i = DL_NONE;
		ck_assert_int_eq(dl_add(&h, &n[i], random() % 1000), 0);
	}
	heap_ok(&h);
	/* taking the first each time gives them in order */
	for (i = 0; i < NNODES; i++) {
		struct dl_node *d = dl_first(&h);

		ck_assert_ptr_nonnull(d);
		ck_assert_int_ge(d->at, last);
		last = d->at;
		dl_del(&h, d);
		ck_assert_uint_eq(d->i, DL_NONE);
		if (i % 50 == 0)
			heap_ok(&h);
	}
	ck_assert_ptr_null(dl_first(&h));
	dl_free(&h);
}
END_TEST

START_TEST(heap_moves_and_deletes)
{
	struct dl_heap h;
	struct dl_node n[NNODES];
	int in[NNODES];
	int i, k;

	dl_init(&h);
	srandom(2);
	for (i = 0; i < NNODES; i++) {
		n[i].i = DL_NONE;
		ck_assert_int_eq(dl_add(&h, &n[i], random() % 10000), 0);
		in[i] = 1;
	}
	/* deadlines that move both ways, and nodes that leave mid-heap */
	for (k = 0; k < 5000; k++) {
		i = (int)(random() % NNODES);
		if (in[i] && random() % 4 == 0) {
			dl_del(&h, &n[i]);
			in[i] = 0;
		} else if (in[i]) {
			dl_move(&h, &n[i], random() % 10000);
		} else {
			ck_assert_int_eq(dl_add(&h, &n[i], random() % 10000),
			    0);
			in[i] = 1;
		}
		if (k % 50 == 0)
			heap_ok(&h);
	}
	heap_ok(&h);
	/* the first is the smallest of those in */
	if (dl_first(&h) != NULL)
		for (i = 0; i < NNODES; i++)
			if (in[i])
				ck_assert_int_le(dl_first(&h)->at, n[i].at);
	/* deleting a node that is not in is harmless */
	for (i = 0; i < NNODES; i++)
		if (!in[i]) {
			dl_del(&h, &n[i]);
			dl_move(&h, &n[i], 1);
			ck_assert_uint_eq(n[i].i, DL_NONE);
		}
	heap_ok(&h);
	dl_free(&h);
}
END_TEST

START_TEST(due_by_reason)
{
	struct dl_limits l = { 10000, 30000, 5000, 0 };

	ck_assert_int_eq(dl_due(&l, PARK_KEEPALIVE, 1000, 0, 0), 6000);
	ck_assert_int_eq(dl_due(&l, PARK_HEAD, 1000, 0, 0), 11000);
	ck_assert_int_eq(dl_due(&l, PARK_BODY, 1000, 0, 0), 31000);
	/* no rate: bytes do not matter */
	ck_assert_int_eq(dl_due(&l, PARK_HEAD, 1000, 0, 123456), 11000);
	/* a head's timeout is a deadline: bytes that keep coming do not
	   move it; a body's is the wait for its next bytes */
	ck_assert_int_eq(dl_due(&l, PARK_HEAD, 1000, 9000, 10), 11000);
	ck_assert_int_eq(dl_due(&l, PARK_BODY, 1000, 45000, 10), 75000);
	/* an idle connection's is from when it went idle */
	ck_assert_int_eq(dl_due(&l, PARK_KEEPALIVE, 1000, 3000, 0), 6000);
}
END_TEST

START_TEST(due_min_rate)
{
	struct dl_limits l = { 10000, 30000, 5000, 500 };

	/* nothing yet: the grace second */
	ck_assert_int_eq(dl_due(&l, PARK_HEAD, 0, 0, 0), DL_RATE_GRACE_MS);
	/* 500 bytes buy a second more */
	ck_assert_int_eq(dl_due(&l, PARK_HEAD, 0, 0, 500),
	    DL_RATE_GRACE_MS + 1000);
	ck_assert_int_eq(dl_due(&l, PARK_BODY, 0, 0, 2500),
	    DL_RATE_GRACE_MS + 5000);
	/* never past the timeout itself */
	ck_assert_int_eq(dl_due(&l, PARK_HEAD, 0, 0, 1000000), 10000);
	ck_assert_int_eq(dl_due(&l, PARK_BODY, 0, 0, 1000000), 30000);
	/* a body that keeps pace is not cut at client_body from its start */
	ck_assert_int_eq(dl_due(&l, PARK_BODY, 0, 40000, 1000000), 70000);
	/* an idle connection owes no bytes */
	ck_assert_int_eq(dl_due(&l, PARK_KEEPALIVE, 0, 0, 0), 5000);
}
END_TEST

static int sv[2];

static void
pair_setup(void)
{
	ck_assert_int_eq(handoff_pair(sv), 0);
}

static void
pair_teardown(void)
{
	(void)close(sv[0]);
	(void)close(sv[1]);
}

/* Two descriptors name the same open file. */
static int
same_file(int a, int b)
{
	struct stat x, y;

	return (fstat(a, &x) == 0 && fstat(b, &y) == 0 &&
	    x.st_dev == y.st_dev && x.st_ino == y.st_ino);
}

START_TEST(handoff_roundtrip)
{
	struct handoff h, g;
	char buf[256];
	int p[2], fd = -1;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(handoff_queued(sv[1]), 0);
	memset(&h, 0, sizeof(h));
	h.generation = 7;
	h.listener = 2;
	h.why = PARK_HEAD;
	h.requests = 3;
	h.since_ms = 123456789;
	h.peer.sin.sin_family = AF_INET;
	h.peer.sin.sin_port = htons(4242);
	h.peerlen = sizeof(h.peer.sin);
	ck_assert_int_eq(handoff_send(sv[0], p[0], &h, "GET / HTTP/1.1\r\n",
	    16), 0);
	/* and one with no bytes */
	ck_assert_int_eq(handoff_send(sv[0], p[0], &h, NULL, 0), 0);
	ck_assert_int_eq(handoff_queued(sv[1]), 1);

	ck_assert_int_eq(handoff_recv(sv[1], &g, buf, sizeof(buf), &fd), 1);
	ck_assert_uint_eq(g.len, 16);
	ck_assert_int_eq(memcmp(buf, "GET / HTTP/1.1\r\n", 16), 0);
	ck_assert_uint_eq(g.generation, 7);
	ck_assert_uint_eq(g.listener, 2);
	ck_assert_uint_eq(g.why, PARK_HEAD);
	ck_assert_uint_eq(g.requests, 3);
	ck_assert_int_eq(g.since_ms, 123456789);
	ck_assert_uint_eq(g.peerlen, sizeof(g.peer.sin));
	ck_assert_uint_eq(ntohs(g.peer.sin.sin_port), 4242);
	ck_assert(fd != p[0] && same_file(fd, p[0]));
	ck_assert(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	(void)close(fd);

	ck_assert_int_eq(handoff_recv(sv[1], &g, buf, sizeof(buf), &fd), 1);
	ck_assert_uint_eq(g.len, 0);
	(void)close(fd);
	/* nothing left: 0, not a block */
	ck_assert_int_eq(handoff_recv(sv[1], &g, buf, sizeof(buf), &fd), 0);
	ck_assert_int_eq(handoff_queued(sv[1]), 0);
	(void)close(p[0]);
	(void)close(p[1]);
}
END_TEST

START_TEST(handoff_too_big_for_buffer_is_dropped)
{
	struct handoff h, g;
	char big[4096], small[64];
	int p[2], fd = -1;

	ck_assert_int_eq(pipe(p), 0);
	memset(&h, 0, sizeof(h));
	memset(big, 'x', sizeof(big));
	ck_assert_int_eq(handoff_send(sv[0], p[0], &h, big, sizeof(big)), 0);
	/* truncated: dropped whole (its descriptor closed), never half */
	ck_assert_int_eq(handoff_recv(sv[1], &g, small, sizeof(small), &fd),
	    0);
	ck_assert_int_eq(handoff_queued(sv[1]), 0);
	(void)close(p[0]);
	(void)close(p[1]);
}
END_TEST

START_TEST(handoff_without_descriptor_is_dropped)
{
	struct handoff h, g;
	char buf[64];
	int fd = -1;

	/* a message that is not a hand-off (no descriptor, no magic) */
	memset(&h, 0, sizeof(h));
	ck_assert_int_eq(send(sv[0], &h, sizeof(h), 0), (ssize_t)sizeof(h));
	ck_assert_int_eq(send(sv[0], "junk", 4, 0), 4);
	ck_assert_int_eq(handoff_recv(sv[1], &g, buf, sizeof(buf), &fd), 0);
	ck_assert_int_eq(handoff_recv(sv[1], &g, buf, sizeof(buf), &fd), 0);
	ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(handoff_full_socket_does_not_block)
{
	struct handoff h;
	static char chunk[60000];
	int p[2], i, r = 0;

	ck_assert_int_eq(pipe(p), 0);
	memset(&h, 0, sizeof(h));
	/* nobody reads: the sender gets EAGAIN, never a wait */
	for (i = 0; i < 10000; i++)
		if ((r = handoff_send(sv[0], p[0], &h, chunk,
		    sizeof(chunk))) == -1)
			break;
	ck_assert_int_eq(r, -1);
	ck_assert(errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == ENOBUFS);
	(void)close(p[0]);
	(void)close(p[1]);
}
END_TEST

static Suite *
waiter_suite(void)
{
	Suite	*s = suite_create("waiter");
	TCase	*tc = tcase_create("deadlines");

	tcase_add_test(tc, heap_orders_adds);
	tcase_add_test(tc, heap_moves_and_deletes);
	tcase_add_test(tc, due_by_reason);
	tcase_add_test(tc, due_min_rate);
	suite_add_tcase(s, tc);
	tc = tcase_create("handoff");
	tcase_add_checked_fixture(tc, pair_setup, pair_teardown);
	tcase_add_test(tc, handoff_roundtrip);
	tcase_add_test(tc, handoff_too_big_for_buffer_is_dropped);
	tcase_add_test(tc, handoff_without_descriptor_is_dropped);
	tcase_add_test(tc, handoff_full_socket_does_not_block);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(waiter_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
