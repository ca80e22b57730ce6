/*
 * What a sleep and a wake-up cost against a yield, on one CPU: the
 * question behind workers.yield. 1, 4 and 16 pairs of processes, all
 * pinned to one CPU, pass a byte back and forth over a socketpair (ROUNDS
 * round trips in all, shared among the pairs), two ways:
 *   sleep  each side blocks in read() until the byte comes: every round
 *          trip is two sleeps and two wake-ups (a worker waiting for its
 *          backend, then for its client, with workers.yield = false)
 *   yield  each side calls sched_yield() while the byte is not there
 *          yet, and never sleeps: the other side finds it runnable, so a
 *          round trip is two switches and no wake-up (workers.yield)
 * and prints microseconds per round trip, all pairs together. Then a ring
 * of 2 to 64 processes on the CPU that only yield, in turn, each reading a
 * byte in each of 0 or TOUCH_PAGES pages of its own between yields (as a
 * worker touches its code, stack, buffers and the segment for a request),
 * and prints microseconds per switch. Past 6 processes the switch costs
 * more when pages are touched: x86 Linux keeps the TLB entries of the last
 * 6 address spaces a CPU ran (PCIDs), so a switch to one of many workers
 * refills the TLB for each page it touches, where a proxy of one process
 * (nginx) and its two backends keep theirs. Not run by "make check":
 *
 *   make t/unit/switch_cost
 *   t/unit/switch_cost [CPU] [ROUNDS]
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "lib/clock.h"

/* One byte from fd: sleeping in read(), or yielding until it is there. */
static void
get(int fd, int yield)
{
	char c;
	ssize_t n;

	for (;;) {
		n = recv(fd, &c, 1, yield ? MSG_DONTWAIT : 0);
		if (n == 1)
			return;
		if (n == -1 && yield && (errno == EAGAIN ||
		    errno == EWOULDBLOCK)) {
			(void)sched_yield();
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		perror("switch_cost: recv");
		_exit(1);
	}
}

static void
put(int fd)
{
	char c = 'x';

	while (send(fd, &c, 1, 0) != 1)
		if (errno != EINTR) {
			perror("switch_cost: send");
			_exit(1);
		}
}

/* Wait for every child; exit 1 if one of them failed. */
static void
reap_children(void)
{
	int st, bad = 0;

	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	if (bad) {
		fprintf(stderr, "switch_cost: a child failed\n");
		exit(1);
	}
}

/* pairs pairs, rounds round trips each: microseconds per round trip. */
static double
run(int pairs, long rounds, int yield)
{
	double t0 = clock_now();
	int p;
	long i;

	for (p = 0; p < pairs; p++) {
		int sv[2];
		pid_t a, b;

		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1) {
			perror("switch_cost: socketpair");
			exit(1);
		}
		if ((a = fork()) == -1 || a == 0) {
			if (a == -1) {
				perror("switch_cost: fork");
				exit(1);
			}
			for (i = 0; i < rounds; i++) {
				put(sv[0]);
				get(sv[0], yield);
			}
			_exit(0);
		}
		if ((b = fork()) == -1 || b == 0) {
			if (b == -1) {
				perror("switch_cost: fork");
				exit(1);
			}
			for (i = 0; i < rounds; i++) {
				get(sv[1], yield);
				put(sv[1]);
			}
			_exit(0);
		}
		(void)close(sv[0]);
		(void)close(sv[1]);
	}
	reap_children();
	return ((clock_now() - t0) * 1e6 / ((double)rounds * pairs));
}

/*
 * Pages a ring process touches between yields, a cache line more than a
 * page apart, so that they do not all fall in one cache set.
 */
#define TOUCH_PAGES	64
#define TOUCH_STRIDE	(4096 + 64)
#define RING_MAX	64

/* What the ring's processes share: a start and stop flag, their counts. */
struct ring {
	_Atomic int		go;	/* 1: run, 2: stop */
	_Atomic long		switches[RING_MAX];
};

/* One ring process: yield in turn, touching pages pages each time. */
static void
ring_member(struct ring *r, int me, int pages)
{
	volatile unsigned char *b = NULL;
	long n = 0;
	int k;

	if (pages > 0) {
		b = mmap(NULL, (size_t)pages * TOUCH_STRIDE, PROT_READ |
		    PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (b == MAP_FAILED) {
			perror("switch_cost: mmap");
			_exit(1);
		}
		for (k = 0; k < pages; k++)
			b[(size_t)k * TOUCH_STRIDE] = 1;	/* its own */
	}
	while (atomic_load(&r->go) == 0)
		(void)sched_yield();
	while (atomic_load(&r->go) == 1) {
		for (k = 0; k < pages; k++)
			(void)b[(size_t)k * TOUCH_STRIDE];	/* a load */
		(void)sched_yield();
		n++;
	}
	atomic_store(&r->switches[me], n);
	_exit(0);
}

/* procs processes yielding in turn for secs: microseconds per switch. */
static double
ring_run(struct ring *r, int procs, int pages, double secs)
{
	double t0, t1;
	long total = 0;
	int i;

	atomic_store(&r->go, 0);
	for (i = 0; i < procs; i++) {
		pid_t p = fork();

		if (p == -1) {
			perror("switch_cost: fork");
			exit(1);
		}
		if (p == 0)
			ring_member(r, i, pages);
	}
	(void)usleep(100 * 1000);	/* all of them in their first loop */
	t0 = clock_now();
	atomic_store(&r->go, 1);
	(void)usleep((useconds_t)(secs * 1e6));
	atomic_store(&r->go, 2);
	t1 = clock_now();
	reap_children();
	for (i = 0; i < procs; i++)
		total += atomic_load(&r->switches[i]);
	return (total > 0 ? (t1 - t0) * 1e6 / (double)total : 0);
}

int
main(int argc, char **argv)
{
	static const int npairs[] = { 1, 4, 16 };
	int cpu = argc > 1 ? atoi(argv[1]) : 0;
	long rounds = argc > 2 ? atol(argv[2]) : 100000;
	static const int nprocs[] = { 2, 4, 6, 8, 16, 64 };
	struct ring *ring;
	cpu_set_t set;
	size_t k;

	if (cpu < 0 || cpu >= CPU_SETSIZE || rounds <= 0) {
		fprintf(stderr, "usage: switch_cost [CPU] [ROUNDS]\n");
		return (2);
	}
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	/* the children inherit it: every process on the one CPU */
	if (sched_setaffinity(0, sizeof(set), &set) == -1) {
		perror("switch_cost: sched_setaffinity");
		return (1);
	}
	printf("CPU %d, %ld round trips per pair; us per round trip\n",
	    cpu, rounds);
	printf("pairs   sleep   yield\n");
	for (k = 0; k < sizeof(npairs) / sizeof(npairs[0]); k++) {
		long r = rounds / npairs[k] > 1000 ? rounds / npairs[k] : 1000;
		double s = run(npairs[k], r, 0);
		double y = run(npairs[k], r, 1);

		printf("%5d %7.2f %7.2f\n", npairs[k], s, y);
	}
	ring = mmap(NULL, sizeof(*ring), PROT_READ | PROT_WRITE, MAP_SHARED |
	    MAP_ANONYMOUS, -1, 0);
	if (ring == MAP_FAILED) {
		perror("switch_cost: mmap");
		return (1);
	}
	printf("ring of processes yielding in turn, 1 s each; us per switch\n");
	printf("procs  0 pages  %d pages\n", TOUCH_PAGES);
	for (k = 0; k < sizeof(nprocs) / sizeof(nprocs[0]); k++) {
		double z = ring_run(ring, nprocs[k], 0, 1.0);
		double t = ring_run(ring, nprocs[k], TOUCH_PAGES, 1.0);

		printf("%5d %8.2f %8.2f\n", nprocs[k], z, t);
	}
	return (0);
}
