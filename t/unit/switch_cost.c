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
 * and prints microseconds per round trip, all pairs together. Not run by
 * "make check":
 *
 *   make t/unit/switch_cost
 *   t/unit/switch_cost [CPU] [ROUNDS]
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <sched.h>
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

/* pairs pairs, rounds round trips each: microseconds per round trip. */
static double
run(int pairs, long rounds, int yield)
{
	double t0 = clock_now();
	int p, st, bad = 0;
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
	while (wait(&st) > 0)
		if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
			bad = 1;
	if (bad) {
		fprintf(stderr, "switch_cost: a child failed\n");
		exit(1);
	}
	return ((clock_now() - t0) * 1e6 / ((double)rounds * pairs));
}

int
main(int argc, char **argv)
{
	static const int npairs[] = { 1, 4, 16 };
	int cpu = argc > 1 ? atoi(argv[1]) : 0;
	long rounds = argc > 2 ? atol(argv[2]) : 100000;
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
	return (0);
}
