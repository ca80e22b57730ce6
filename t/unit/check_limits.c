/*
 * The per-client limits' shared tables on a real segment (shm_create):
 * the token bucket (refill, burst, retry_after, a clock going back, many
 * processes taking at once), the waiter's table (add, del, reset, a
 * full table, a waiter killed mid-write), the connection count over the
 * scoreboard slots and the waiter, the tunnel count and its race; and
 * the min_rate pacing of writes on a real TCP connection.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config/cfg.h"
#include "lib/clock.h"
#include "shared/limits.h"
#include "shared/scoreboard.h"
#include "shared/shm.h"
#include "worker/io.h"

static struct shm	sh;

static void
shm_make(uint32_t nslots)
{
	struct shm_sizes z = { .nslots = nslots, .npools = 1, .nrows = 1 };

	ck_assert_int_eq(shm_create(&sh, &z), 0);
	/* as if the master had given out every slot (sb_scan_next) */
	sb_mark_used(&sh, nslots - 1);
}

/* An address from text, "10.0.0.1" or "2001:db8::1". */
static struct sockaddr_storage
addr(const char *text)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (void *)&ss;
	struct sockaddr_in6 *s6 = (void *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(40000);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, text, &s6->sin6_addr), 1);
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(40001);
	}
	return (ss);
}

/* The i-th of many distinct IPv4 addresses, 10.x.y.z. */
static struct sockaddr_storage
nth(uint32_t i)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (void *)&ss;

	memset(&ss, 0, sizeof(ss));
	s4->sin_family = AF_INET;
	s4->sin_addr.s_addr = htonl(0x0a000000u + i + 1);
	return (ss);
}

#define SA(ss)	((const struct sockaddr *)&(ss))

static int
take(const char *who, double rate, uint32_t burst, double now, double *after)
{
	struct sockaddr_storage a = addr(who);

	return (lim_rate_take(&sh, SA(a), rate, burst, now, after));
}

/* ---- token bucket ------------------------------------------------------ */

START_TEST(rate_burst_and_refill)
{
	double after;
	int i;

	shm_make(2);
	/* a full bucket: burst requests at once, then a refusal */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(take("10.0.0.1", 2, 4, 100.0, &after), 1);
	ck_assert_int_eq(take("10.0.0.1", 2, 4, 100.0, &after), 0);
	ck_assert_double_eq_tol(after, 0.5, 1e-6);
	/* a refused request takes nothing: the wait does not grow */
	ck_assert_int_eq(take("10.0.0.1", 2, 4, 100.2, &after), 0);
	ck_assert_double_eq_tol(after, 0.3, 1e-6);
	/* one token every 1/rate */
	ck_assert_int_eq(take("10.0.0.1", 2, 4, 100.5, &after), 1);
	ck_assert_double_eq_tol(after, 0, 1e-9);
	ck_assert_int_eq(take("10.0.0.1", 2, 4, 100.5, &after), 0);
	ck_assert_double_eq_tol(after, 0.5, 1e-6);
	/* idle for long: full again, but never more than burst */
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(take("10.0.0.1", 2, 4, 1000.0, &after), 1);
	ck_assert_int_eq(take("10.0.0.1", 2, 4, 1000.0, &after), 0);
	/* another client has a bucket of its own */
	ck_assert_int_eq(take("10.0.0.2", 2, 4, 1000.0, &after), 1);
	ck_assert_int_eq(take("2001:db8::2", 2, 4, 1000.0, &after), 1);
	shm_destroy(&sh);
}
END_TEST

START_TEST(rate_retry_after_slow)
{
	double after;

	shm_make(2);
	/* 0.5 requests/s, burst 1: a token every 2 s */
	ck_assert_int_eq(take("10.0.0.7", 0.5, 1, 10.0, &after), 1);
	ck_assert_int_eq(take("10.0.0.7", 0.5, 1, 10.5, &after), 0);
	ck_assert_double_eq_tol(after, 1.5, 1e-6);
	ck_assert_int_eq(take("10.0.0.7", 0.5, 1, 11.9, &after), 0);
	ck_assert_double_eq_tol(after, 0.1, 1e-6);
	ck_assert_int_eq(take("10.0.0.7", 0.5, 1, 12.0, &after), 1);
	/* burst 0 counts as 1; rate 0 is no limit */
	ck_assert_int_eq(take("10.0.0.8", 1, 0, 5.0, &after), 1);
	ck_assert_int_eq(take("10.0.0.8", 1, 0, 5.0, &after), 0);
	ck_assert_int_eq(take("10.0.0.8", 0, 1, 5.0, &after), 1);
	ck_assert_int_eq(take("10.0.0.8", -1, 1, 5.0, &after), 1);
	shm_destroy(&sh);
}
END_TEST

START_TEST(rate_mapped_is_ipv4)
{
	double after;

	shm_make(2);
	ck_assert_int_eq(take("192.0.2.9", 1, 2, 50.0, &after), 1);
	ck_assert_int_eq(take("::ffff:192.0.2.9", 1, 2, 50.0, &after), 1);
	ck_assert_int_eq(take("192.0.2.9", 1, 2, 50.0, &after), 0);
	ck_assert_int_eq(take("::ffff:192.0.2.9", 1, 2, 50.0, &after), 0);
	shm_destroy(&sh);
}
END_TEST

START_TEST(rate_clock_back)
{
	double after;
	int i;

	shm_make(2);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(take("10.0.0.3", 2, 4, 100.0, &after), 1);
	/* the clock went back 50 s: one token's wait, not 50 s */
	ck_assert_int_eq(take("10.0.0.3", 2, 4, 50.0, &after), 0);
	ck_assert_double_gt(after, 0);
	ck_assert_double_le(after, 0.5 + 1e-6);
	/* and the bucket fills on the new clock */
	ck_assert_int_eq(take("10.0.0.3", 2, 4, 50.5, &after), 1);
	ck_assert_int_eq(take("10.0.0.3", 2, 4, 50.5, &after), 0);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(take("10.0.0.3", 2, 4, 60.0, &after), 1);
	ck_assert_int_eq(take("10.0.0.3", 2, 4, 60.0, &after), 0);
	/* a nonsense clock limits nothing and breaks nothing */
	ck_assert_int_eq(take("10.0.0.4", 2, 4, -5.0, &after), 1);
	ck_assert_int_eq(take("10.0.0.4", 2, 4, 1e300, &after), 1);
	shm_destroy(&sh);
}
END_TEST

START_TEST(rate_many_clients)
{
	struct sockaddr_storage a;
	double after;
	uint32_t i, n = 3 * LIM_RATE_SLOTS;

	shm_make(2);
	/* far more clients than places: each still gets its burst */
	for (i = 0; i < n; i++) {
		a = nth(i);
		ck_assert_int_eq(lim_rate_take(&sh, SA(a), 1, 2, 10.0,
		    &after), 1);
	}
	/* later, every place is full again and reusable */
	for (i = 0; i < n; i++) {
		a = nth(i);
		ck_assert_int_eq(lim_rate_take(&sh, SA(a), 1, 2, 20.0,
		    &after), 1);
		ck_assert_int_eq(lim_rate_take(&sh, SA(a), 1, 2, 20.0,
		    &after), 1);
	}
	/* a client alone in its place is limited as asked */
	a = addr("198.51.100.1");
	ck_assert_int_eq(lim_rate_take(&sh, SA(a), 1, 2, 20.0, &after), 1);
	ck_assert_int_eq(lim_rate_take(&sh, SA(a), 1, 2, 20.0, &after), 1);
	ck_assert_int_eq(lim_rate_take(&sh, SA(a), 1, 2, 20.0, &after), 0);
	shm_destroy(&sh);
}
END_TEST

/* Many processes take from one bucket at one instant: exactly burst win. */
START_TEST(rate_processes_race)
{
	enum { KIDS = 4, TRIES = 2000, BURST = 300 };
	_Atomic uint32_t *won;
	pid_t pid[KIDS];
	int i, st;

	shm_make(2);
	won = mmap(NULL, sizeof(*won), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(won != MAP_FAILED);
	atomic_store(won, 0);
	for (i = 0; i < KIDS; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			double after;
			int k;

			for (k = 0; k < TRIES; k++)
				if (take("10.9.9.9", 1, BURST, 500.0, &after))
					atomic_fetch_add(won, 1);
			_exit(0);
		}
	}
	for (i = 0; i < KIDS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_uint_eq(atomic_load(won), BURST);
	munmap(won, sizeof(*won));
	shm_destroy(&sh);
}
END_TEST

/* ---- the waiter's table ------------------------------------------------ */

static uint32_t
conns(const char *who)
{
	struct sockaddr_storage a = addr(who);

	return (lim_conns(&sh, SA(a)));
}

static void
wadd(const char *who)
{
	struct sockaddr_storage a = addr(who);

	lim_waiter_add(&sh, SA(a));
}

static void
wdel(const char *who)
{
	struct sockaddr_storage a = addr(who);

	lim_waiter_del(&sh, SA(a));
}

START_TEST(waiter_add_del_reset)
{
	shm_make(4);
	ck_assert_uint_eq(conns("10.1.1.1"), 0);
	wadd("10.1.1.1");
	wadd("10.1.1.1");
	wadd("::ffff:10.1.1.1");		/* the same client */
	wadd("2001:db8::5");
	ck_assert_uint_eq(conns("10.1.1.1"), 3);
	ck_assert_uint_eq(conns("2001:db8::5"), 1);
	ck_assert_uint_eq(conns("10.1.1.2"), 0);
	wdel("10.1.1.1");
	ck_assert_uint_eq(conns("10.1.1.1"), 2);
	/* a del of what was never added is ignored; counts never wrap */
	wdel("10.1.1.9");
	wdel("2001:db8::5");
	wdel("2001:db8::5");
	ck_assert_uint_eq(conns("2001:db8::5"), 0);
	wadd("2001:db8::5");
	ck_assert_uint_eq(conns("2001:db8::5"), 1);
	/* a new waiter: the old one's connections died with it */
	lim_waiter_reset(&sh);
	ck_assert_uint_eq(conns("10.1.1.1"), 0);
	ck_assert_uint_eq(conns("2001:db8::5"), 0);
	wadd("10.1.1.1");
	ck_assert_uint_eq(conns("10.1.1.1"), 1);
	shm_destroy(&sh);
}
END_TEST

START_TEST(waiter_full_table)
{
	struct sockaddr_storage a;
	uint32_t i, n = 2 * LIM_WAITER_SLOTS, counted = 0, c;
	int k;

	shm_make(2);
	/* more addresses than places: each is counted wholly or not at all */
	for (k = 0; k < 3; k++)
		for (i = 0; i < n; i++) {
			a = nth(i);
			lim_waiter_add(&sh, SA(a));
		}
	for (i = 0; i < n; i++) {
		a = nth(i);
		c = lim_conns(&sh, SA(a));
		ck_assert_msg(c == 0 || c == 3, "address %u: %u", i, c);
		counted += c == 3;
	}
	ck_assert_uint_le(counted, LIM_WAITER_SLOTS);
	ck_assert_uint_ge(counted, LIM_WAITER_SLOTS / 2);
	/* dels of uncounted connections are ignored: nothing goes below 0 */
	for (k = 0; k < 3; k++)
		for (i = 0; i < n; i++) {
			a = nth(i);
			lim_waiter_del(&sh, SA(a));
		}
	for (i = 0; i < n; i++) {
		a = nth(i);
		ck_assert_uint_eq(lim_conns(&sh, SA(a)), 0);
	}
	/* the places are free again, for anyone */
	for (i = n; i < n + LIM_WAITER_SLOTS / 8; i++) {
		a = nth(i);
		lim_waiter_add(&sh, SA(a));
		ck_assert_uint_eq(lim_conns(&sh, SA(a)), 1);
	}
	shm_destroy(&sh);
}
END_TEST

/* A waiter killed while it writes: readers never hang, a reset cleans up. */
START_TEST(waiter_killed)
{
	struct sockaddr_storage a;
	struct timespec ms = { 0, 30 * 1000 * 1000 };
	uint32_t i, c;
	pid_t pid;
	int st, round;

	shm_make(2);
	for (round = 0; round < 5; round++) {
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			for (i = 0;; i = (i + 1) % 64) {
				a = nth(i);
				lim_waiter_add(&sh, SA(a));
				lim_waiter_add(&sh, SA(a));
				lim_waiter_del(&sh, SA(a));
			}
		}
		(void)nanosleep(&ms, NULL);
		for (i = 0; i < 64; i++) {
			a = nth(i);
			(void)lim_conns(&sh, SA(a));
		}
		ck_assert_int_eq(kill(pid, SIGKILL), 0);
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		/* whatever it left, a read ends (an entry mid-write is 0) */
		for (i = 0; i < 64; i++) {
			a = nth(i);
			c = lim_conns(&sh, SA(a));
			ck_assert_uint_lt(c, 1u << 30);
		}
		lim_waiter_reset(&sh);
		for (i = 0; i < 64; i++) {
			a = nth(i);
			ck_assert_uint_eq(lim_conns(&sh, SA(a)), 0);
		}
	}
	shm_destroy(&sh);
}
END_TEST

/* An entry left odd (its writer died there) is skipped, not waited on. */
START_TEST(waiter_entry_mid_write)
{
	struct lim_area *la;
	struct sockaddr_storage a = addr("10.2.2.2");
	uint32_t i;
	double t0;

	shm_make(2);
	lim_waiter_add(&sh, SA(a));
	ck_assert_uint_eq(lim_conns(&sh, SA(a)), 1);
	la = shm_at(&sh, sh.hdr->off_limits);
	for (i = 0; i < LIM_WAITER_SLOTS; i++)
		if (atomic_load(&la->waiter[i].count) == 1)
			atomic_fetch_add(&la->waiter[i].seq, 1);
	t0 = clock_now();
	ck_assert_uint_eq(lim_conns(&sh, SA(a)), 0);
	ck_assert_double_lt(clock_now() - t0, 0.5);
	lim_waiter_reset(&sh);
	lim_waiter_add(&sh, SA(a));
	ck_assert_uint_eq(lim_conns(&sh, SA(a)), 1);
	shm_destroy(&sh);
}
END_TEST

/* ---- connections over the scoreboard ----------------------------------- */

START_TEST(conns_slots_and_waiter)
{
	struct sockaddr_storage a1 = addr("10.0.0.1"), m1 =
	    addr("::ffff:10.0.0.1"), a2 = addr("10.0.0.2"), a6 =
	    addr("2001:db8::1"), ux;

	shm_make(8);
	lim_slot_set(sb_slot(&sh, 0), SA(a1));
	lim_slot_set(sb_slot(&sh, 3), SA(a1));
	lim_slot_set(sb_slot(&sh, 5), SA(m1));
	lim_slot_set(sb_slot(&sh, 6), SA(a2));
	lim_slot_set(sb_slot(&sh, 7), SA(a6));
	ck_assert_uint_eq(lim_conns(&sh, SA(a1)), 3);
	ck_assert_uint_eq(lim_conns(&sh, SA(m1)), 3);
	ck_assert_uint_eq(lim_conns(&sh, SA(a2)), 1);
	ck_assert_uint_eq(lim_conns(&sh, SA(a6)), 1);
	lim_waiter_add(&sh, SA(a1));
	lim_waiter_add(&sh, SA(a1));
	ck_assert_uint_eq(lim_conns(&sh, SA(a1)), 5);
	/* a worker closes its connection */
	lim_slot_clear(sb_slot(&sh, 3));
	ck_assert_uint_eq(lim_conns(&sh, SA(a1)), 4);
	/* a worker's next connection is another client's */
	lim_slot_set(sb_slot(&sh, 0), SA(a2));
	ck_assert_uint_eq(lim_conns(&sh, SA(a1)), 3);
	ck_assert_uint_eq(lim_conns(&sh, SA(a2)), 2);
	/* the master reaps a dead worker: its slot is zeroed, so is its client */
	memset(sb_slot(&sh, 5), 0, sizeof(struct sb_slot));
	ck_assert_uint_eq(lim_conns(&sh, SA(a1)), 2);
	/* only IP is counted */
	memset(&ux, 0, sizeof(ux));
	ux.ss_family = AF_UNIX;
	lim_slot_set(sb_slot(&sh, 1), SA(ux));
	ck_assert_uint_eq(atomic_load(&sb_slot(&sh, 1)->peer_family), 0);
	ck_assert_uint_eq(lim_conns(&sh, SA(ux)), 0);
	shm_destroy(&sh);
}
END_TEST

/* ---- tunnels ----------------------------------------------------------- */

START_TEST(tunnels_count_and_take)
{
	struct sb_slot *me;

	shm_make(8);
	sb_set_state(sb_slot(&sh, 0), SB_TUNNEL);
	sb_set_state(sb_slot(&sh, 1), SB_TUNNEL);
	sb_set_state(sb_slot(&sh, 2), SB_WRITING);
	ck_assert_uint_eq(lim_tunnels(&sh), 2);
	me = sb_slot(&sh, 3);
	sb_set_state(me, SB_UPSTREAM);
	ck_assert_int_eq(lim_tunnel_take(&sh, me, 3), 1);
	ck_assert_int_eq(sb_get_state(me), SB_TUNNEL);
	ck_assert_uint_eq(lim_tunnels(&sh), 3);
	/* a slot that has its place already keeps it */
	ck_assert_int_eq(lim_tunnel_take(&sh, me, 3), 1);
	ck_assert_uint_eq(lim_tunnels(&sh), 3);
	/* one more is refused, and its state is put back */
	sb_set_state(sb_slot(&sh, 4), SB_WRITING);
	ck_assert_int_eq(lim_tunnel_take(&sh, sb_slot(&sh, 4), 3), 0);
	ck_assert_int_eq(sb_get_state(sb_slot(&sh, 4)), SB_WRITING);
	ck_assert_uint_eq(lim_tunnels(&sh), 3);
	/* max 0: no tunnel at all */
	sb_set_state(sb_slot(&sh, 0), SB_IDLE);
	sb_set_state(sb_slot(&sh, 1), SB_IDLE);
	sb_set_state(me, SB_IDLE);
	ck_assert_int_eq(lim_tunnel_take(&sh, me, 0), 0);
	ck_assert_int_eq(sb_get_state(me), SB_IDLE);
	ck_assert_uint_eq(lim_tunnels(&sh), 0);
	shm_destroy(&sh);
}
END_TEST

/* Workers racing for the last places: never more tunnels than max. */
START_TEST(tunnels_race)
{
	enum { KIDS = 6, MAX = 2, ROUNDS = 200 };
	struct race {
		_Atomic uint32_t	go, ready, done, won, total;
	} *r;
	pid_t pid[KIDS];
	uint32_t won;
	int i, st, round;

	shm_make(KIDS);
	r = mmap(NULL, sizeof(*r), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert(r != MAP_FAILED);
	memset(r, 0, sizeof(*r));
	for (i = 0; i < KIDS; i++) {
		pid[i] = fork();
		ck_assert_int_ge(pid[i], 0);
		if (pid[i] == 0) {
			struct sb_slot *me = sb_slot(&sh, (uint32_t)i);

			for (round = 1; round <= ROUNDS; round++) {
				sb_set_state(me, SB_UPSTREAM);
				atomic_fetch_add(&r->ready, 1);
				while (atomic_load(&r->go) != (uint32_t)round)
					(void)sched_yield();
				if (lim_tunnel_take(&sh, me, MAX))
					atomic_fetch_add(&r->won, 1);
				atomic_fetch_add(&r->done, 1);
				/* the winners hold their places till counted */
				while (atomic_load(&r->go) == (uint32_t)round)
					(void)sched_yield();
			}
			_exit(0);
		}
	}
	for (round = 1; round <= ROUNDS; round++) {
		while (atomic_load(&r->ready) != (uint32_t)(KIDS * round))
			(void)sched_yield();
		atomic_store(&r->won, 0);
		atomic_store(&r->go, (uint32_t)round);
		while (atomic_load(&r->done) != (uint32_t)(KIDS * round))
			(void)sched_yield();
		/* every taker is done: the winners hold their places */
		won = atomic_load(&r->won);
		ck_assert_uint_le(won, MAX);
		ck_assert_uint_eq(lim_tunnels(&sh), won);
		atomic_fetch_add(&r->total, won);
		atomic_store(&r->go, 0);
	}
	for (i = 0; i < KIDS; i++) {
		ck_assert_int_eq(waitpid(pid[i], &st, 0), pid[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	/* places are not lost either: most rounds fill them */
	ck_assert_uint_ge(atomic_load(&r->total), ROUNDS);
	munmap(r, sizeof(*r));
	shm_destroy(&sh);
}
END_TEST

/* ---- min_rate on writes ------------------------------------------------ */

struct pair {
	int	w, r;		/* the writer's end, the reader's end */
};

/* A loopback TCP connection; the reader's receive buffer small. */
static void
pair_make(struct pair *p)
{
	struct sockaddr_in a;
	socklen_t al = sizeof(a);
	struct timeval tv = clock_timeval(CFG_PACE_TICK);
	int l, small = 4096;

	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_ge(l = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &al), 0);
	ck_assert_int_ge(p->r = socket(AF_INET, SOCK_STREAM, 0), 0);
	ck_assert_int_eq(setsockopt(p->r, SOL_SOCKET, SO_RCVBUF, &small,
	    sizeof(small)), 0);
	ck_assert_int_eq(connect(p->r, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_ge(p->w = accept(l, NULL, NULL), 0);
	ck_assert_int_eq(setsockopt(p->w, SOL_SOCKET, SO_SNDBUF, &small,
	    sizeof(small)), 0);
	/* what a listener gives accepted sockets when min_rate is on */
	ck_assert_int_eq(setsockopt(p->w, SOL_SOCKET, SO_SNDTIMEO, &tv,
	    sizeof(tv)), 0);
	close(l);
}

/* A child that reads p's reader end at bps bytes a second, until killed. */
static pid_t
reader(const struct pair *p, long bps)
{
	pid_t pid = fork();
	char buf[65536];
	long per = bps / 20 > 0 ? bps / 20 : 1;
	struct timespec tick = { 0, 50 * 1000 * 1000 };

	ck_assert_int_ge(pid, 0);
	if (pid > 0)
		return (pid);
	close(p->w);
	for (;;) {
		ssize_t k = recv(p->r, buf, (size_t)per < sizeof(buf) ?
		    (size_t)per : sizeof(buf), 0);

		if (k <= 0)
			_exit(0);
		(void)nanosleep(&tick, NULL);
	}
}

static void
reader_stop(pid_t pid)
{
	int st;

	(void)kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
}

static char big[1 << 20];

START_TEST(pace_cuts_a_stalled_reader)
{
	struct pair p;
	struct io io;
	double t0, el;

	pair_make(&p);
	io_init_set(&io, p.w, 0, CFG_PACE_TICK);
	/* more than the few KB its receive buffer takes in a second */
	io_pace(&io, 100000);
	t0 = clock_now();
	/* it never reads: cut after the grace and a tick or two */
	ck_assert_int_eq(io_write(&io, big, sizeof(big), t0 + 20), -1);
	el = clock_now() - t0;
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_eq(io.pace_cut, 1);
	ck_assert_double_ge(el, 1.0);
	ck_assert_double_le(el, 4.0);
	close(p.w);
	close(p.r);
}
END_TEST

START_TEST(pace_cuts_a_slow_reader)
{
	struct pair p;
	struct io io;
	double t0, el;
	pid_t pid;

	pair_make(&p);
	pid = reader(&p, 100);
	io_init_set(&io, p.w, 0, CFG_PACE_TICK);
	io_pace(&io, 2000);
	t0 = clock_now();
	ck_assert_int_eq(io_write(&io, big, sizeof(big), t0 + 20), -1);
	el = clock_now() - t0;
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_eq(io.pace_cut, 1);
	ck_assert_double_le(el, 12.0);
	/* it was given far more than it took: the kernel's buffers */
	ck_assert_uint_lt(io.pace_taken, io.pace_out);
	reader_stop(pid);
	close(p.w);
	close(p.r);
}
END_TEST

START_TEST(pace_keeps_a_reader_that_keeps_up)
{
	struct pair p;
	struct io io;
	pid_t pid;

	pair_make(&p);
	/* 50 KB/s against a min_rate of 5000: 150 KB in about 3 s */
	pid = reader(&p, 50000);
	io_init_set(&io, p.w, 0, CFG_PACE_TICK);
	io_pace(&io, 5000);
	ck_assert_int_eq(io_write(&io, big, 150000, clock_now() + 20), 0);
	ck_assert_int_eq(io.pace_cut, 0);
	ck_assert_uint_eq(io.pace_out, 150000);
	/* a new response counts afresh */
	io_pace_reset(&io);
	ck_assert_uint_eq(io.pace_out, 0);
	ck_assert_double_eq(io.pace_stalled, 0);
	reader_stop(pid);
	close(p.w);
	close(p.r);
}
END_TEST

START_TEST(pace_off_waits_for_the_deadline)
{
	struct pair p;
	struct io io;
	double t0, el;

	pair_make(&p);
	io_init_set(&io, p.w, 0, CFG_PACE_TICK);
	t0 = clock_now();
	ck_assert_int_eq(io_write(&io, big, sizeof(big), t0 + 2.5), -1);
	el = clock_now() - t0;
	ck_assert_int_eq(errno, ETIMEDOUT);
	ck_assert_int_eq(io.pace_cut, 0);
	ck_assert_double_ge(el, 2.4);
	close(p.w);
	close(p.r);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("tables");
	TCase *tp = tcase_create("pace");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rate_burst_and_refill);
	tcase_add_test(tc, rate_retry_after_slow);
	tcase_add_test(tc, rate_mapped_is_ipv4);
	tcase_add_test(tc, rate_clock_back);
	tcase_add_test(tc, rate_many_clients);
	tcase_add_test(tc, rate_processes_race);
	tcase_add_test(tc, waiter_add_del_reset);
	tcase_add_test(tc, waiter_full_table);
	tcase_add_test(tc, waiter_killed);
	tcase_add_test(tc, waiter_entry_mid_write);
	tcase_add_test(tc, conns_slots_and_waiter);
	tcase_add_test(tc, tunnels_count_and_take);
	tcase_add_test(tc, tunnels_race);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tp, 60);
	tcase_add_test(tp, pace_cuts_a_stalled_reader);
	tcase_add_test(tp, pace_cuts_a_slow_reader);
	tcase_add_test(tp, pace_keeps_a_reader_that_keeps_up);
	tcase_add_test(tp, pace_off_waits_for_the_deadline);
	suite_add_tcase(s, tp);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
