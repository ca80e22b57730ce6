/*
 * The backend health table on a real shared segment: row assignment
 * across reloads, active rise/fall, passive failures and trials, the
 * connection cap, slow start, latency; and the active checker process
 * against real loopback servers.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "master/checker.h"
#include "shared/health.h"
#include "shared/shm.h"

static struct shm	sh;

static void
shm_make(uint32_t nrows)
{
	struct shm_sizes z = { .nslots = 4, .npools = 4, .nrows = nrows };

	ck_assert_int_eq(shm_create(&sh, &z), 0);
}

static void
srv_set(struct cfg_server *s, int port)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&s->addr.sa;

	memset(s, 0, sizeof(*s));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->addr.salen = sizeof(*sin);
	snprintf(s->addr.text, sizeof(s->addr.text), "127.0.0.1:%d", port);
	s->weight = 1;
}

static void
pool_set(struct cfg_pool *p, const char *name, struct cfg_server *s, int n)
{
	memset(p, 0, sizeof(*p));
	p->name = (char *)name;
	p->servers = s;
	p->nservers = n;
	p->max_fails = 1;
	p->fail_timeout = 10.0;
	p->initial = CFG_INITIAL_UP;
	p->health.method = (char *)"GET";
	p->health.status_min = 200;
	p->health.status_max = 399;
	p->health.interval = 2.0;
	p->health.timeout = 1.0;
	p->health.rise = 2;
	p->health.fall = 3;
}

static void
cfg_set(struct cfg *c, struct cfg_pool *p, int n)
{
	memset(c, 0, sizeof(*c));
	c->pools = p;
	c->npools = n;
}

static struct hc_row *
hr(uint32_t row)
{
	return (hc_row(&sh, row));
}

/*
 * The rows hc_assign gave each server, as the master keeps them (by
 * cfg_server_index), and by server for the tests to look up: ROW(s).
 */
static uint32_t	 rows[64];
static struct {
	const struct cfg_server	*srv;
	uint32_t		 row;
} assigned[64];
static int	 nassigned;

static int
assign(struct cfg *c, const struct cfg *old)
{
	int i, j, k, rc;

	for (i = 0; i < c->npools; i++)
		c->pools[i].first = i == 0 ? 0 :
		    c->pools[i - 1].first + c->pools[i - 1].nservers;
	ck_assert_int_le(cfg_nservers(c), 64);
	if ((rc = hc_assign(&sh, c, old, rows)) != 0)
		return (rc);
	for (i = 0; i < c->npools; i++)
		for (j = 0; j < c->pools[i].nservers; j++) {
			const struct cfg_server *sv = &c->pools[i].servers[j];

			for (k = 0; k < nassigned && assigned[k].srv != sv; k++)
				;
			if (k == nassigned) {
				ck_assert_int_lt(nassigned, 64);
				nassigned++;
			}
			assigned[k].srv = sv;
			assigned[k].row = rows[cfg_server_index(&c->pools[i],
			    j)];
		}
	return (0);
}

static uint32_t
row_of(const struct cfg_server *sv)
{
	int k;

	for (k = 0; k < nassigned; k++)
		if (assigned[k].srv == sv)
			return (assigned[k].row);
	ck_abort_msg("server %s has no row", sv->addr.text);
	return (0);
}

#define ROW(s)	row_of(&(s))

/* Every server of c at its own address, as the master publishes them. */
static void
publish_all(const struct cfg *c)
{
	struct addrlist l;
	int i, j;

	for (i = 0; i < c->npools; i++)
		for (j = 0; j < c->pools[i].nservers; j++) {
			const struct cfg_server *sv = &c->pools[i].servers[j];

			l.n = 0;
			(void)addrlist_add(&l, (const struct sockaddr *)
			    &sv->addr.sa, sv->addr.salen);
			srvaddr_publish(&hr(ROW(*sv))->addr, &l, 1);
		}
}

/*
 * What most tests start from: a segment of 2 rows and c with one pool,
 * p, "app": n servers s[0..n-1] (n is 1 or 2: passive checks need a
 * second server) at 127.0.0.1:9001 and :9002, pool_set's settings, rows
 * assigned. The settings hc_assign does not read (it reads initial, and
 * health.path when initial is down) may be changed after.
 * Returns s[0]'s row.
 */
static uint32_t
app_fixture(struct cfg_server *s, int n, struct cfg_pool *p, struct cfg *c)
{
	ck_assert(n == 1 || n == 2);
	shm_make(2);
	srv_set(&s[0], 9001);
	if (n == 2)
		srv_set(&s[1], 9002);
	pool_set(p, "app", s, n);
	cfg_set(c, p, 1);
	ck_assert_int_eq(assign(c, NULL), 0);
	return (ROW(s[0]));
}

/* Send the log to a fresh file; returns its path (static). */
static const char *
log_to_file(void)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/check_health.XXXXXX");
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	close(fd);
	ck_assert_int_eq(log_open(path), 0);
	return (path);
}

/* Lines of the log file containing needle. */
static int
log_count(const char *path, const char *needle)
{
	char line[4096];
	FILE *f = fopen(path, "r");
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL)
		if (strstr(line, needle) != NULL)
			n++;
	fclose(f);
	return (n);
}

/* ---- hc_assign ----------------------------------------------------- */

START_TEST(assign_keys_and_initial)
{
	struct cfg_server a[2], b[1], d[1];
	struct cfg_pool p[3];
	struct cfg c;
	int64_t now;
	int trial;

	shm_make(8);
	srv_set(&a[0], 9001);
	srv_set(&a[1], 9002);
	srv_set(&b[0], 9003);
	srv_set(&d[0], 9004);
	pool_set(&p[0], "app", a, 2);
	pool_set(&p[1], "api", b, 1);
	p[1].initial = CFG_INITIAL_DOWN;
	pool_set(&p[2], "chk", d, 1);
	p[2].initial = CFG_INITIAL_DOWN;
	p[2].health.path = (char *)"/health";
	cfg_set(&c, p, 3);
	now = hc_now_ms();
	ck_assert_int_eq(assign(&c, NULL), 0);

	ck_assert_str_eq(hr(ROW(a[0]))->key, "app/127.0.0.1:9001");
	ck_assert_str_eq(hr(ROW(a[1]))->key, "app/127.0.0.1:9002");
	ck_assert_str_eq(hr(ROW(b[0]))->key, "api/127.0.0.1:9003");
	ck_assert_str_eq(hr(ROW(d[0]))->key, "chk/127.0.0.1:9004");
	ck_assert_uint_ne(ROW(a[0]), ROW(a[1]));
	ck_assert_uint_ne(ROW(a[1]), ROW(b[0]));
	ck_assert_uint_ne(ROW(b[0]), ROW(d[0]));

	ck_assert_uint_eq(hr(ROW(a[0]))->state, HC_UP);
	ck_assert_int_ge(hr(ROW(a[0]))->up_since_ms, now);
	ck_assert_int_ge(hr(ROW(a[0]))->last_change_ms, now);
	ck_assert_str_eq(hc_state_name(&sh, ROW(a[0])), "up");
	ck_assert_int_eq(hc_usable(&sh, ROW(a[0]), &p[0], now, &trial), 1);
	ck_assert_int_eq(trial, 0);

	/* down, nothing checks it: passively down, first request a trial */
	ck_assert_uint_eq(hr(ROW(b[0]))->state, HC_DOWN);
	ck_assert_str_eq(hc_state_name(&sh, ROW(b[0])), "down");
	ck_assert_int_eq(hr(ROW(b[0]))->up_since_ms, 0);
	now = hc_now_ms();
	ck_assert_int_eq(hc_usable(&sh, ROW(b[0]), &p[1], now, &trial), 1);
	ck_assert_int_eq(trial, 1);
	ck_assert_int_eq(hc_usable(&sh, ROW(b[0]), &p[1], now, &trial), 0);
	hc_passive_ok(&sh, ROW(b[0]), &p[1], now, 0);
	ck_assert_uint_eq(hr(ROW(b[0]))->state, HC_UP);

	/* down with active checks: only the checker brings it up */
	ck_assert_uint_eq(hr(ROW(d[0]))->state, HC_DOWN);
	ck_assert_int_eq(hr(ROW(d[0]))->down_until_ms, 0);
	ck_assert_int_eq(hc_usable(&sh, ROW(d[0]), &p[2], now + 100000, &trial),
	    0);
	ck_assert_int_eq(trial, 0);
	shm_destroy(&sh);
}
END_TEST

START_TEST(assign_long_key_cut)
{
	struct cfg_server s[1];
	struct cfg_pool p[1];
	struct cfg c;
	char name[300];

	shm_make(2);
	memset(name, 'p', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	srv_set(&s[0], 9001);
	pool_set(&p[0], name, s, 1);
	cfg_set(&c, p, 1);
	ck_assert_int_eq(assign(&c, NULL), 0);
	ck_assert_uint_eq(strlen(hr(ROW(s[0]))->key), HC_KEYLEN - 1);
	ck_assert_int_eq(strncmp(hr(ROW(s[0]))->key, name, HC_KEYLEN - 1), 0);
	/* the same server again finds the same (cut) key */
	ck_assert_int_eq(assign(&c, &c), 0);
	ck_assert_uint_eq(ROW(s[0]), 0);
	shm_destroy(&sh);
}
END_TEST

START_TEST(assign_carries_state_over)
{
	struct cfg_server s1[2], s2[3];
	struct cfg_pool p1[1], p2[1];
	struct cfg c1, c2;
	uint32_t rb;

	shm_make(8);
	srv_set(&s1[0], 9001);
	srv_set(&s1[1], 9002);
	pool_set(&p1[0], "app", s1, 2);
	cfg_set(&c1, p1, 1);
	ck_assert_int_eq(assign(&c1, NULL), 0);
	rb = ROW(s1[1]);
	/* 9002 is down, draining, busy and has history */
	hc_passive_fail(&sh, rb, &p1[0], hc_now_ms(), 1, "timed out");
	hc_set_draining(&sh, rb, 1);
	ck_assert_int_eq(hc_try_acquire(&sh, rb, 0), 1);
	hc_passive_ok(&sh, rb, &p1[0], hc_now_ms(), 1234);

	/* reload: another order, one server more, initial now "down" */
	srv_set(&s2[0], 9003);
	srv_set(&s2[1], 9002);
	srv_set(&s2[2], 9001);
	pool_set(&p2[0], "app", s2, 3);
	p2[0].initial = CFG_INITIAL_DOWN;
	cfg_set(&c2, p2, 1);
	ck_assert_int_eq(assign(&c2, &c1), 0);
	ck_assert_uint_eq(ROW(s2[1]), rb);
	ck_assert_uint_eq(ROW(s2[2]), ROW(s1[0]));
	ck_assert_uint_eq(hr(rb)->state, HC_DOWN);
	ck_assert_uint_eq(hr(rb)->draining, 1);
	ck_assert_int_eq(hr(rb)->active, 1);
	ck_assert_uint_eq(hr(rb)->failures, 1);
	ck_assert_uint_eq(hr(rb)->timeouts, 1);
	ck_assert_uint_eq(hr(rb)->latency_us, 1234);
	ck_assert_str_eq(hr(rb)->key, "app/127.0.0.1:9002");
	/* the kept server stays up though new ones start down */
	ck_assert_uint_eq(hr(ROW(s2[2]))->state, HC_UP);
	/* the new one: a clean row in the new initial state */
	ck_assert_uint_ne(ROW(s2[0]), rb);
	ck_assert_uint_ne(ROW(s2[0]), ROW(s1[0]));
	ck_assert_str_eq(hr(ROW(s2[0]))->key, "app/127.0.0.1:9003");
	ck_assert_uint_eq(hr(ROW(s2[0]))->state, HC_DOWN);
	ck_assert_uint_eq(hr(ROW(s2[0]))->requests, 0);
	shm_destroy(&sh);
}
END_TEST

START_TEST(assign_reuses_only_rows_old_left)
{
	struct cfg_server s1[3], s2[3], s3[3], s4[4], s5[6];
	struct cfg_pool p1, p2, p3, p4, p5;
	struct cfg c1, c2, c3, c4, c5;
	uint32_t rc_, rd, i;
	char keys[4][HC_KEYLEN];

	shm_make(4);
	/* c1: a b c; row 3 free */
	srv_set(&s1[0], 1);
	srv_set(&s1[1], 2);
	srv_set(&s1[2], 3);
	pool_set(&p1, "p", s1, 3);
	cfg_set(&c1, &p1, 1);
	ck_assert_int_eq(assign(&c1, NULL), 0);
	rc_ = ROW(s1[2]);
	/* an old worker still counts on c */
	ck_assert_int_eq(hc_try_acquire(&sh, rc_, 0), 1);

	/* c2: a b d while c1 runs: d must not take c's row */
	srv_set(&s2[0], 1);
	srv_set(&s2[1], 2);
	srv_set(&s2[2], 4);
	pool_set(&p2, "p", s2, 3);
	cfg_set(&c2, &p2, 1);
	ck_assert_int_eq(assign(&c2, &c1), 0);
	rd = ROW(s2[2]);
	ck_assert_uint_ne(rd, rc_);
	ck_assert_str_eq(hr(rc_)->key, "p/127.0.0.1:3");
	ck_assert_int_eq(hr(rc_)->active, 1);

	/* c3: a b e while c2 runs: c is in neither, its row is e's now */
	srv_set(&s3[0], 1);
	srv_set(&s3[1], 2);
	srv_set(&s3[2], 5);
	pool_set(&p3, "p", s3, 3);
	cfg_set(&c3, &p3, 1);
	ck_assert_int_eq(assign(&c3, &c2), 0);
	ck_assert_uint_eq(ROW(s3[2]), rc_);
	ck_assert_str_eq(hr(rc_)->key, "p/127.0.0.1:5");
	ck_assert_int_eq(hr(rc_)->active, 0);
	ck_assert_uint_eq(hr(rc_)->requests, 0);
	ck_assert_str_eq(hr(rd)->key, "p/127.0.0.1:4");

	/* c4: a b e f while c3 runs: f takes d's row */
	srv_set(&s4[0], 1);
	srv_set(&s4[1], 2);
	srv_set(&s4[2], 5);
	srv_set(&s4[3], 6);
	pool_set(&p4, "p", s4, 4);
	cfg_set(&c4, &p4, 1);
	ck_assert_int_eq(assign(&c4, &c3), 0);
	ck_assert_uint_eq(ROW(s4[3]), rd);

	/* c5 needs two rows more than there are: refused, table untouched */
	for (i = 0; i < 4; i++)
		memcpy(keys[i], hr(i)->key, HC_KEYLEN);
	for (i = 0; i < 6; i++)
		srv_set(&s5[i], (int)i + 1);
	pool_set(&p5, "p", s5, 6);
	cfg_set(&c5, &p5, 1);
	ck_assert_int_eq(assign(&c5, &c4), -1);
	for (i = 0; i < 4; i++)
		ck_assert_str_eq(hr(i)->key, keys[i]);
	shm_destroy(&sh);
}
END_TEST

/* ---- active checks ------------------------------------------------- */

START_TEST(rise_and_fall)
{
	struct cfg_server s[1];
	struct cfg_pool p;
	struct cfg c;
	const char *log;
	int64_t t;
	uint32_t r;

	log = log_to_file();
	r = app_fixture(s, 1, &p, &c);
	p.health.path = (char *)"/health";
	t = hc_now_ms() + 1000;

	hc_check_result(&sh, r, &p, t, 0, "status 503");
	hc_check_result(&sh, r, &p, t, 0, "status 503");
	ck_assert_uint_eq(hr(r)->state, HC_UP);
	hc_check_result(&sh, r, &p, t, 1, NULL);	/* the run ends */
	ck_assert_uint_eq(hr(r)->fail_run, 0);
	hc_check_result(&sh, r, &p, t, 0, "timed out");
	hc_check_result(&sh, r, &p, t, 0, "timed out");
	ck_assert_uint_eq(hr(r)->state, HC_UP);
	hc_check_result(&sh, r, &p, t + 1, 0, "connect refused");
	ck_assert_uint_eq(hr(r)->state, HC_DOWN);
	ck_assert_uint_eq(hr(r)->fail_run, 3);
	ck_assert_uint_eq(hr(r)->checks_failed, 5);
	ck_assert_int_eq(hr(r)->last_check_ms, t + 1);
	ck_assert_int_eq(hr(r)->last_change_ms, t + 1);
	hc_check_result(&sh, r, &p, t + 2, 0, "connect refused");
	ck_assert_int_eq(log_count(log, "backend app/127.0.0.1:9001 is down: "
	    "3 checks failed (last: connect refused)"), 1);
	ck_assert_int_eq(log_count(log, "is down"), 1);

	hc_check_result(&sh, r, &p, t + 3, 1, NULL);
	ck_assert_uint_eq(hr(r)->state, HC_DOWN);
	hc_check_result(&sh, r, &p, t + 4, 0, "timed out");	/* run over */
	hc_check_result(&sh, r, &p, t + 5, 1, NULL);
	ck_assert_uint_eq(hr(r)->state, HC_DOWN);
	ck_assert_uint_eq(hr(r)->ok_run, 1);
	hc_check_result(&sh, r, &p, t + 6, 1, NULL);
	ck_assert_uint_eq(hr(r)->state, HC_UP);
	ck_assert_int_eq(hr(r)->up_since_ms, t + 6);
	ck_assert_int_eq(hr(r)->last_check_ms, t + 6);
	ck_assert_int_eq(log_count(log, "backend app/127.0.0.1:9001 is up: "
	    "2 checks passed"), 1);
	shm_destroy(&sh);
	unlink(log);
}
END_TEST

START_TEST(check_clears_passive_down)
{
	struct cfg_server s[2];
	struct cfg_pool p;
	struct cfg c;
	int64_t t;
	uint32_t r;
	int trial;

	r = app_fixture(s, 2, &p, &c);
	p.health.path = (char *)"/health";
	t = hc_now_ms();
	hc_passive_fail(&sh, r, &p, t, 0, "connect refused");
	ck_assert_uint_eq(hr(r)->state, HC_DOWN);
	ck_assert_int_eq(hr(r)->down_until_ms, t + 10000);
	/* active checks configured: no passive trial, even after the time */
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 20000, &trial), 0);
	hc_check_result(&sh, r, &p, t + 100, 1, NULL);
	hc_check_result(&sh, r, &p, t + 200, 1, NULL);
	ck_assert_uint_eq(hr(r)->state, HC_UP);
	ck_assert_int_eq(hr(r)->down_until_ms, 0);
	ck_assert_uint_eq(hr(r)->fail_count, 0);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 300, &trial), 1);
	ck_assert_int_eq(trial, 0);
	shm_destroy(&sh);
}
END_TEST

/* ---- passive checks ------------------------------------------------ */

START_TEST(passive_window)
{
	struct cfg_server s[2];
	struct cfg_pool p;
	struct cfg c;
	const char *log;
	int64_t t;
	uint32_t r;

	log = log_to_file();
	r = app_fixture(s, 2, &p, &c);
	p.max_fails = 3;
	t = hc_now_ms();

	hc_passive_fail(&sh, r, &p, t, 0, "connect refused");
	hc_passive_fail(&sh, r, &p, t + 5000, 0, "connect refused");
	ck_assert_uint_eq(hr(r)->fail_count, 2);
	/* the window began more than fail_timeout ago: a new one */
	hc_passive_fail(&sh, r, &p, t + 10001, 0, "connect refused");
	ck_assert_uint_eq(hr(r)->state, HC_UP);
	ck_assert_uint_eq(hr(r)->fail_count, 1);
	ck_assert_int_eq(hr(r)->fail_window_ms, t + 10001);
	/* a success in between starts the count over */
	hc_passive_fail(&sh, r, &p, t + 11000, 0, "connect refused");
	hc_passive_ok(&sh, r, &p, t + 11500, 0);
	ck_assert_uint_eq(hr(r)->fail_count, 0);
	hc_passive_fail(&sh, r, &p, t + 12000, 0, "connect refused");
	hc_passive_fail(&sh, r, &p, t + 13000, 1, "timed out");
	ck_assert_uint_eq(hr(r)->state, HC_UP);
	hc_passive_fail(&sh, r, &p, t + 14000, 0, "connect refused");
	ck_assert_uint_eq(hr(r)->state, HC_DOWN);
	ck_assert_int_eq(hr(r)->down_until_ms, t + 24000);
	ck_assert_int_eq(hr(r)->last_change_ms, t + 14000);
	/* more failures of requests already out: no second line */
	hc_passive_fail(&sh, r, &p, t + 14100, 0, "connect refused");
	hc_passive_fail(&sh, r, &p, t + 14200, 0, "connect refused");
	hc_passive_fail(&sh, r, &p, t + 14300, 0, "connect refused");
	ck_assert_uint_eq(hr(r)->failures, 10);
	ck_assert_uint_eq(hr(r)->timeouts, 1);
	ck_assert_int_eq(log_count(log, "backend app/127.0.0.1:9001 is down: "
	    "3 failures in 10s (last: connect refused)"), 1);
	ck_assert_int_eq(log_count(log, "is down"), 1);
	shm_destroy(&sh);
	unlink(log);
}
END_TEST

START_TEST(passive_trial)
{
	struct cfg_server s[2];
	struct cfg_pool p;
	struct cfg c;
	const char *log;
	int64_t t;
	uint32_t r;
	int trial;

	log = log_to_file();
	r = app_fixture(s, 2, &p, &c);
	t = hc_now_ms();

	hc_passive_fail(&sh, r, &p, t, 0, "connect refused");	/* max 1 */
	ck_assert_uint_eq(hr(r)->state, HC_DOWN);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 5000, &trial), 0);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 9999, &trial), 0);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 10000, &trial), 1);
	ck_assert_int_eq(trial, 1);
	/* one trial at a time */
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 10000, &trial), 0);
	ck_assert_int_eq(trial, 0);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 30000, &trial), 0);
	/* the trial fails: down for another fail_timeout */
	hc_passive_fail(&sh, r, &p, t + 10500, 0, "status 502");
	ck_assert_uint_eq(hr(r)->state, HC_DOWN);
	ck_assert_int_eq(hr(r)->trial_until_ms, 0);
	ck_assert_int_eq(hr(r)->down_until_ms, t + 20500);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 20499, &trial), 0);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 20500, &trial), 1);
	ck_assert_int_eq(trial, 1);
	/* this one succeeds: up */
	hc_passive_ok(&sh, r, &p, t + 20600, 500);
	ck_assert_uint_eq(hr(r)->state, HC_UP);
	ck_assert_int_eq(hr(r)->trial_until_ms, 0);
	ck_assert_int_eq(hr(r)->down_until_ms, 0);
	ck_assert_int_eq(hr(r)->up_since_ms, t + 20600);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 20700, &trial), 1);
	ck_assert_int_eq(trial, 0);
	ck_assert_int_eq(log_count(log, "backend app/127.0.0.1:9001 is up: "
	    "trial request succeeded"), 1);
	ck_assert_int_eq(log_count(log, "backend app/127.0.0.1:9001 is down: "
	    "1 failure in 10s (last: connect refused)"), 1);
	ck_assert_int_eq(log_count(log, "is down"), 1);
	shm_destroy(&sh);
	unlink(log);
}
END_TEST

START_TEST(passive_trial_expires)
{
	struct cfg_server s[2];
	struct cfg_pool p;
	struct cfg c;
	int64_t t;
	uint32_t r;
	int trial;

	r = app_fixture(s, 2, &p, &c);
	t = hc_now_ms();
	hc_passive_fail(&sh, r, &p, t, 0, "connect refused");
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 10000, &trial), 1);
	ck_assert_int_eq(trial, 1);
	/* its worker died: after the bound a new trial may go */
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 69999, &trial), 0);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 70000, &trial), 1);
	ck_assert_int_eq(trial, 1);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 70000, &trial), 0);
	shm_destroy(&sh);
}
END_TEST

START_TEST(passive_off)
{
	struct cfg_server s[1];
	struct cfg_pool p;
	struct cfg c;
	int64_t t;
	uint32_t r;
	int i, trial;

	r = app_fixture(s, 1, &p, &c);
	p.max_fails = 0;
	t = hc_now_ms();
	for (i = 0; i < 50; i++)
		hc_passive_fail(&sh, r, &p, t + i, i % 5 == 0, "timed out");
	ck_assert_uint_eq(hr(r)->state, HC_UP);
	ck_assert_uint_eq(hr(r)->failures, 50);
	ck_assert_uint_eq(hr(r)->timeouts, 10);
	ck_assert_uint_eq(hr(r)->fail_count, 0);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 100, &trial), 1);
	shm_destroy(&sh);
}
END_TEST

/* A pool of one has nowhere else to send traffic: never passively down. */
START_TEST(passive_single_server)
{
	struct cfg_server s[1];
	struct cfg_pool p;
	struct cfg c;
	int64_t t;
	uint32_t r;
	int i, trial;

	r = app_fixture(s, 1, &p, &c);
	t = hc_now_ms();
	for (i = 0; i < 5; i++)
		hc_passive_fail(&sh, r, &p, t + i, 0, "connect refused");
	ck_assert_uint_eq(hr(r)->state, HC_UP);
	ck_assert_uint_eq(hr(r)->failures, 5);
	ck_assert_int_eq(hc_usable(&sh, r, &p, t + 10, &trial), 1);
	ck_assert_int_eq(trial, 0);
	shm_destroy(&sh);
}
END_TEST

START_TEST(draining)
{
	struct cfg_server s[1];
	struct cfg_pool p;
	struct cfg c;
	const char *log;
	uint32_t r;
	int trial;

	log = log_to_file();
	r = app_fixture(s, 1, &p, &c);
	hc_set_draining(&sh, r, 1);
	hc_set_draining(&sh, r, 1);
	ck_assert_int_eq(hc_usable(&sh, r, &p, hc_now_ms(), &trial), 0);
	ck_assert_str_eq(hc_state_name(&sh, r), "draining");
	hc_set_draining(&sh, r, 0);
	ck_assert_int_eq(hc_usable(&sh, r, &p, hc_now_ms(), &trial), 1);
	ck_assert_str_eq(hc_state_name(&sh, r), "up");
	/* draining beats a passive trial too */
	hc_passive_fail(&sh, r, &p, hc_now_ms(), 0, "connect refused");
	hc_set_draining(&sh, r, 1);
	ck_assert_int_eq(hc_usable(&sh, r, &p, hc_now_ms() + 20000, &trial),
	    0);
	ck_assert_int_eq(trial, 0);
	ck_assert_int_eq(log_count(log, "backend app/127.0.0.1:9001 draining"),
	    2);
	ck_assert_int_eq(log_count(log, "backend app/127.0.0.1:9001 no longer "
	    "draining"), 1);
	shm_destroy(&sh);
	unlink(log);
}
END_TEST

/* ---- connections --------------------------------------------------- */

START_TEST(acquire_cap)
{
	struct cfg_server s[1];
	struct cfg_pool p;
	struct cfg c;
	uint32_t r;
	int i;

	r = app_fixture(s, 1, &p, &c);
	ck_assert_int_eq(hc_try_acquire(&sh, r, 2), 1);
	ck_assert_int_eq(hc_try_acquire(&sh, r, 2), 1);
	ck_assert_int_eq(hc_try_acquire(&sh, r, 2), 0);
	ck_assert_int_eq(hr(r)->active, 2);
	hc_release(&sh, r);
	ck_assert_int_eq(hc_try_acquire(&sh, r, 2), 1);
	ck_assert_uint_eq(hr(r)->requests, 3);
	for (i = 0; i < 5; i++)
		ck_assert_int_eq(hc_try_acquire(&sh, r, 0), 1);
	ck_assert_int_eq(hc_try_acquire(&sh, r, 0), 1);
	ck_assert_int_eq(hr(r)->active, 8);
	ck_assert_uint_eq(hr(r)->requests, 9);
	for (i = 0; i < 10; i++)
		hc_release(&sh, r);
	ck_assert_int_eq(hr(r)->active, 0);	/* never below zero */
	shm_destroy(&sh);
}
END_TEST

START_TEST(acquire_cap_across_processes)
{
	struct cfg_server s[1];
	struct cfg_pool p;
	struct cfg c;
	_Atomic int *over;
	pid_t kids[4];
	uint32_t r;
	int i, st;

	r = app_fixture(s, 1, &p, &c);
	over = mmap(NULL, sizeof(*over), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(over, MAP_FAILED);
	for (i = 0; i < 4; i++) {
		kids[i] = fork();
		ck_assert_int_ge(kids[i], 0);
		if (kids[i] == 0) {
			int n;

			for (n = 0; n < 20000; n++)
				if (hc_try_acquire(&sh, r, 3)) {
					if (atomic_load(&hr(r)->active) > 3)
						atomic_store(over, 1);
					hc_release(&sh, r);
				}
			_exit(0);
		}
	}
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(waitpid(kids[i], &st, 0), kids[i]);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	ck_assert_int_eq(atomic_load(over), 0);
	ck_assert_int_eq(hr(r)->active, 0);
	munmap((void *)over, sizeof(*over));
	shm_destroy(&sh);
}
END_TEST

/* ---- slow start, latency ------------------------------------------- */

START_TEST(slow_start_ramp)
{
	struct cfg_server s[1];
	struct cfg_pool p;
	struct cfg c;
	int64_t t;
	uint32_t r;

	r = app_fixture(s, 1, &p, &c);
	p.health.path = (char *)"/health";
	p.health.rise = 1;
	p.health.fall = 1;
	t = hc_now_ms() + 1000;
	/* off: always all of it */
	ck_assert(hc_weight_factor(&sh, r, &p, t) == 1.0);
	p.slow_start = 10.0;
	hc_check_result(&sh, r, &p, t, 0, "timed out");
	hc_check_result(&sh, r, &p, t, 1, NULL);
	ck_assert_uint_eq(hr(r)->state, HC_UP);
	ck_assert_double_eq_tol(hc_weight_factor(&sh, r, &p, t), 0.05, 1e-9);
	ck_assert_double_eq_tol(hc_weight_factor(&sh, r, &p, t + 100), 0.05,
	    1e-9);
	ck_assert_double_eq_tol(hc_weight_factor(&sh, r, &p, t + 1000), 0.1,
	    1e-9);
	ck_assert_double_eq_tol(hc_weight_factor(&sh, r, &p, t + 5000), 0.5,
	    1e-9);
	ck_assert_double_eq_tol(hc_weight_factor(&sh, r, &p, t + 9999), 0.9999,
	    1e-9);
	ck_assert(hc_weight_factor(&sh, r, &p, t + 10000) == 1.0);
	ck_assert(hc_weight_factor(&sh, r, &p, t + 99999) == 1.0);
	shm_destroy(&sh);
}
END_TEST

START_TEST(latency_average)
{
	struct cfg_server s[1];
	struct cfg_pool p;
	struct cfg c;
	int64_t t;
	uint32_t r;

	r = app_fixture(s, 1, &p, &c);
	t = hc_now_ms();
	ck_assert_uint_eq(hr(r)->latency_us, 0);
	hc_passive_ok(&sh, r, &p, t, 800);	/* first taken as is */
	ck_assert_uint_eq(hr(r)->latency_us, 800);
	hc_passive_ok(&sh, r, &p, t, 1600);
	ck_assert_uint_eq(hr(r)->latency_us, 900);
	hc_passive_ok(&sh, r, &p, t, 100);
	ck_assert_uint_eq(hr(r)->latency_us, 800);
	hc_passive_ok(&sh, r, &p, t, 0);	/* no measurement */
	ck_assert_uint_eq(hr(r)->latency_us, 800);
	shm_destroy(&sh);
}
END_TEST

/* ---- the checker process ------------------------------------------- */

/* A listening loopback socket; its port in *port. */
static int
listen_any(int *port)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	*port = ntohs(sin.sin_port);
	return (fd);
}

/*
 * A tiny HTTP server: reads a request head and answers 200 with body
 * "all ok" while *mode is 0, 503 while it is 1.
 */
static pid_t
responder(int lfd, _Atomic int *mode)
{
	static const char want[] = "GET /health HTTP/1.1\r\nHost: 127.0.0.1:";
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid != 0)
		return (pid);
	/* gone with the test, even one that failed half way */
	(void)prctl(PR_SET_PDEATHSIG, SIGKILL);
	for (;;) {
		char buf[2048];
		const char *resp;
		size_t len = 0;
		ssize_t n;
		int fd = accept(lfd, NULL, NULL);

		if (fd == -1)
			continue;
		while (len < sizeof(buf) - 1 &&
		    (n = read(fd, buf + len, sizeof(buf) - 1 - len)) > 0) {
			len += (size_t)n;
			buf[len] = '\0';
			if (strstr(buf, "\r\n\r\n") != NULL)
				break;
		}
		if (atomic_load(mode) == 0 && strncmp(buf, want,
		    strlen(want)) == 0 &&
		    strstr(buf, "\r\nUser-Agent: porter-health\r\n") != NULL)
			resp = "HTTP/1.1 200 OK\r\nContent-Length: 6\r\n"
			    "Connection: close\r\n\r\nall ok";
		else
			resp = "HTTP/1.1 503 Service Unavailable\r\n"
			    "Content-Length: 0\r\nConnection: close\r\n\r\n";
		(void)write(fd, resp, strlen(resp));
		close(fd);
	}
}

/* Wait up to ms for the row's state; 1 if it got there. */
static int
wait_state(uint32_t row, uint32_t state, int ms)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < ms / 10; i++) {
		if (atomic_load(&hr(row)->state) == state)
			return (1);
		nanosleep(&ts, NULL);
	}
	return (atomic_load(&hr(row)->state) == state);
}

static int
wait_exit(pid_t pid, int ms, int *st)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < ms / 10; i++) {
		if (waitpid(pid, st, WNOHANG) == pid)
			return (1);
		nanosleep(&ts, NULL);
	}
	return (0);
}

/* Two addresses for one name: 127.0.0.1 and ::1, port p. */
static void
two_addrs(struct addrlist *l, int p)
{
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons((uint16_t)p);
	s4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons((uint16_t)p);
	s6.sin6_addr = in6addr_loopback;
	l->n = 0;
	(void)addrlist_add(l, (struct sockaddr *)&s6, sizeof(s6));
	(void)addrlist_add(l, (struct sockaddr *)&s4, sizeof(s4));
}

START_TEST(srvaddr_publish_and_prefer)
{
	struct addrlist two, got, pub;
	struct srvaddr *a;
	int64_t when;
	int first;

	shm_make(1);
	a = &hr(0)->addr;
	srvaddr_reset(a);
	two_addrs(&two, 80);
	/* nothing published yet: nothing to try */
	ck_assert_int_eq(srvaddr_read(a, &got, &when), 0);
	ck_assert_int_eq(srvaddr_list(a, &got, &first), 0);
	ck_assert_int_eq(got.n, 0);

	/* the master publishes what it resolved: tried from the first */
	srvaddr_publish(a, &two, 1000);
	ck_assert_int_eq(srvaddr_read(a, &got, &when), 1);
	ck_assert(addrlist_same(&got, &two));
	ck_assert_int_eq(when, 1000);
	ck_assert_int_eq(srvaddr_list(a, &got, &first), 2);
	ck_assert_int_eq(first, 0);
	/* the second answered: from then on it comes first */
	ck_assert_int_eq(srvaddr_prefer(a, (struct sockaddr *)&two.sa[1]), 1);
	ck_assert_int_eq(srvaddr_prefer(a, (struct sockaddr *)&two.sa[1]), 0);
	ck_assert_int_eq(srvaddr_list(a, &got, &first), 2);
	ck_assert_int_eq(first, 1);

	/* the checker publishes a new answer: it replaces the old */
	two_addrs(&pub, 8080);
	pub.n = 1;
	srvaddr_publish(a, &pub, 2000);
	ck_assert_int_eq(srvaddr_read(a, &got, &when), 1);
	ck_assert(addrlist_same(&got, &pub));
	ck_assert_int_eq(when, 2000);
	ck_assert_int_eq(got.len[0], sizeof(struct sockaddr_in6));
	ck_assert_int_eq(srvaddr_list(a, &got, &first), 1);
	ck_assert_int_eq(first, 0);	/* the preferred one is not there */

	/*
	 * A writer killed mid-write (its set's count left odd): readers
	 * still have the set before, whole; the next writer finishes.
	 */
	atomic_fetch_add(&a->set[1 - atomic_load(&a->cur)].seq, 1);
	ck_assert_int_eq(srvaddr_read(a, &got, &when), 1);
	ck_assert(addrlist_same(&got, &pub));
	srvaddr_publish(a, &two, 4000);
	ck_assert_int_eq(atomic_load(&a->set[0].seq) & 1, 0);
	ck_assert_int_eq(atomic_load(&a->set[1].seq) & 1, 0);
	ck_assert_int_eq(srvaddr_read(a, &got, &when), 1);
	ck_assert(addrlist_same(&got, &two));
	ck_assert_int_eq(when, 4000);

	/* a row given to a new server forgets it all */
	srvaddr_reset(a);
	ck_assert_int_eq(srvaddr_read(a, &got, &when), 0);
	ck_assert_int_eq(atomic_load(&a->pref), 0);
	shm_destroy(&sh);
}
END_TEST

/*
 * A reader racing a writer in another process never sees a mix. The
 * writer pauses now and then, as the checker does between lookups (its
 * fastest is once a second), so reads get through.
 */
START_TEST(srvaddr_no_torn_reads)
{
	struct addrlist x, y, got;
	struct srvaddr *a;
	int64_t when;
	pid_t pid;
	int i, st, seen = 0, torn_or_busy = 0;

	shm_make(1);
	a = &hr(0)->addr;
	srvaddr_reset(a);
	two_addrs(&x, 1111);
	two_addrs(&y, 2222);
	y.n = 1;
	srvaddr_publish(a, &x, 1);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		for (i = 0; i < 50000; i++) {
			srvaddr_publish(a, i % 2 ? &x : &y, i + 2);
			if (i % 16 == 0)
				usleep(20);
		}
		_exit(0);
	}
	while (waitpid(pid, &st, WNOHANG) == 0) {
		if (srvaddr_read(a, &got, &when)) {
			ck_assert(addrlist_same(&got, &x) ||
			    addrlist_same(&got, &y));
			seen++;
		} else
			torn_or_busy++;
	}
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	ck_assert_msg(seen > 0, "no clean read (%d refused)", torn_or_busy);
	/* the writer is gone: the last write reads whole */
	ck_assert_int_eq(srvaddr_read(a, &got, &when), 1);
	ck_assert(addrlist_same(&got, &x) || addrlist_same(&got, &y));
	shm_destroy(&sh);
}
END_TEST

START_TEST(checker_none)
{
	struct cfg_server s[1];
	struct cfg_pool p;
	struct cfg c;
	sigset_t mask;

	(void)app_fixture(s, 1, &p, &c);
	sigprocmask(SIG_SETMASK, NULL, &mask);
	ck_assert_int_eq(checker_start(&c, rows, &sh, -1, &mask, NULL), 0);
	shm_destroy(&sh);
}
END_TEST

START_TEST(checker_end_to_end)
{
	struct cfg_server s_ok[3], s_body[1], s_multi[1];
	struct addrlist multi;
	struct cfg_pool p[3];
	struct cfg c;
	_Atomic int *mode;
	const char *log;
	sigset_t mask;
	pid_t web, chk;
	int lfd, silent, port, dead_port, silent_port, pod[2], other[2], st;
	struct pollfd pf;
	char ch, line[128];

	log = log_to_file();
	shm_make(8);
	mode = mmap(NULL, sizeof(*mode), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mode, MAP_FAILED);
	lfd = listen_any(&port);
	web = responder(lfd, mode);
	/* a port nobody listens on, and a server that never answers */
	close(listen_any(&dead_port));
	silent = listen_any(&silent_port);

	srv_set(&s_ok[0], port);
	srv_set(&s_ok[1], dead_port);
	srv_set(&s_ok[2], silent_port);
	pool_set(&p[0], "app", s_ok, 3);
	p[0].initial = CFG_INITIAL_DOWN;
	p[0].health.path = (char *)"/health";
	p[0].health.interval = 0.1;
	p[0].health.timeout = 0.3;
	p[0].health.rise = 2;
	p[0].health.fall = 3;
	/* a pool whose check wants a body the server does not send */
	srv_set(&s_body[0], port);
	pool_set(&p[1], "bodies", s_body, 1);
	p[1].health.path = (char *)"/health";
	p[1].health.body = (char *)"not there";
	p[1].health.interval = 0.1;
	p[1].health.timeout = 0.3;
	p[1].health.fall = 2;
	/*
	 * A server whose name has two addresses, the first refused: the
	 * check goes on to the second, and every process goes there first
	 * from then on.
	 */
	srv_set(&s_multi[0], port);	/* its Host: what the responder wants */
	pool_set(&p[2], "multi", s_multi, 1);
	p[2].initial = CFG_INITIAL_DOWN;
	p[2].health = p[0].health;
	p[2].health.rise = 1;
	cfg_set(&c, p, 3);
	ck_assert_int_eq(assign(&c, NULL), 0);
	ck_assert_uint_eq(hr(ROW(s_ok[0]))->state, HC_DOWN);
	publish_all(&c);
	/* the dead address first, then the one that answers */
	multi.n = 0;
	(void)addrlist_add(&multi, (struct sockaddr *)&s_ok[1].addr.sa,
	    s_ok[1].addr.salen);
	(void)addrlist_add(&multi, (struct sockaddr *)&s_ok[0].addr.sa,
	    s_ok[0].addr.salen);
	srvaddr_publish(&hr(ROW(s_multi[0]))->addr, &multi, 1);

	/* other: like a worker's pipe of death, which must not be held */
	ck_assert_int_eq(pipe2(pod, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(other, O_CLOEXEC), 0);
	sigprocmask(SIG_SETMASK, NULL, &mask);
	chk = checker_start(&c, rows, &sh, pod[0], &mask, NULL);
	ck_assert_int_gt(chk, 0);
	close(pod[0]);
	close(other[1]);
	pf.fd = other[0];
	pf.events = POLLIN;
	ck_assert_int_eq(poll(&pf, 1, 500), 1);
	ck_assert_int_eq(read(other[0], &ch, 1), 0);
	close(other[0]);

	/* checks every 0.1 s: these take 0.2 to 0.4 s; waits total 5 s */
	ck_assert(wait_state(ROW(s_ok[0]), HC_UP, 1000));
	ck_assert_uint_ge(hr(ROW(s_ok[0]))->ok_run, 2);
	ck_assert(wait_state(ROW(s_multi[0]), HC_UP, 1000));
	ck_assert(atomic_load(&hr(ROW(s_multi[0]))->addr.pref) ==
	    addr_hash((struct sockaddr *)&multi.sa[1]));
	ck_assert(wait_state(ROW(s_body[0]), HC_DOWN, 500));
	atomic_store(mode, 1);
	ck_assert(wait_state(ROW(s_ok[0]), HC_DOWN, 1000));
	ck_assert_uint_ge(hr(ROW(s_ok[0]))->checks_failed, 3);
	atomic_store(mode, 0);
	ck_assert(wait_state(ROW(s_ok[0]), HC_UP, 1000));
	/* the dead and the silent one never came up, and were checked */
	ck_assert_uint_eq(hr(ROW(s_ok[1]))->state, HC_DOWN);
	ck_assert_uint_eq(hr(ROW(s_ok[2]))->state, HC_DOWN);
	ck_assert_uint_gt(hr(ROW(s_ok[1]))->checks_failed, 3);
	ck_assert_uint_gt(hr(ROW(s_ok[2]))->checks_failed, 0);
	ck_assert_int_gt(hr(ROW(s_ok[2]))->last_check_ms, 0);

	/* the master closes its end: the checker goes */
	close(pod[1]);
	ck_assert(wait_exit(chk, 1000, &st));
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	kill(web, SIGKILL);
	ck_assert_int_eq(waitpid(web, &st, 0), web);
	close(lfd);
	close(silent);

	ck_assert_int_eq(log_count(log, "health checker started (5 servers "
	    "checked, 0 names re-resolved)"), 1);
	/* logged once, though every check after the first goes there */
	snprintf(line, sizeof(line), "backend multi/127.0.0.1:%d: now using "
	    "127.0.0.1:%d (127.0.0.1:%d: connect refused)", port, port,
	    dead_port);
	ck_assert_int_eq(log_count(log, line), 1);
	ck_assert_int_ge(log_count(log, "is up: 2 checks passed"), 2);
	ck_assert_int_ge(log_count(log, "3 checks failed (last: status 503)"),
	    1);
	munmap((void *)mode, sizeof(*mode));
	shm_destroy(&sh);
	unlink(log);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("health");
	TCase *tc = tcase_create("health");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, assign_keys_and_initial);
	tcase_add_test(tc, assign_long_key_cut);
	tcase_add_test(tc, assign_carries_state_over);
	tcase_add_test(tc, assign_reuses_only_rows_old_left);
	tcase_add_test(tc, rise_and_fall);
	tcase_add_test(tc, check_clears_passive_down);
	tcase_add_test(tc, passive_window);
	tcase_add_test(tc, passive_trial);
	tcase_add_test(tc, passive_trial_expires);
	tcase_add_test(tc, passive_off);
	tcase_add_test(tc, passive_single_server);
	tcase_add_test(tc, draining);
	tcase_add_test(tc, acquire_cap);
	tcase_add_test(tc, acquire_cap_across_processes);
	tcase_add_test(tc, slow_start_ramp);
	tcase_add_test(tc, latency_average);
	tcase_add_test(tc, srvaddr_publish_and_prefer);
	tcase_add_test(tc, srvaddr_no_torn_reads);
	tcase_add_test(tc, checker_none);
	tcase_add_test(tc, checker_end_to_end);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
