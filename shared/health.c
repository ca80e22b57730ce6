#include "config.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/str.h"
#include "shared/health.h"

/* Bound on a trial request, only so a worker that died holding it does
   not keep the server down for good. */
#define HC_TRIAL_MS	60000
/* slow_start never gives a recovered server less than this share. */
#define HC_SLOW_MIN	0.05

int64_t
hc_now_ms(void)
{
	return (clock_now_ms());
}

size_t
hc_size(uint32_t nrows)
{
	return ((size_t)nrows * sizeof(struct hc_row));
}

struct hc_row *
hc_row(const struct shm *s, uint32_t row)
{
	struct hc_row *base = shm_at(s, s->hdr->off_health);

	return (&base[row]);
}

uint32_t
hc_rows(const struct shm *s)
{
	return (s->hdr->nrows);
}

static int64_t
secs_ms(double secs)
{
	return (secs > 0 ? (int64_t)(secs * 1000.0 + 0.5) : 0);
}

/* ---- assigning rows ------------------------------------------------ */

/* "pool/address", cut to the key size like every key in the table. */
static void
make_key(char *dst, const struct cfg_pool *p, const struct cfg_server *s)
{
	size_t n = str_copy(dst, HC_KEYLEN, p->name);

	if (n < HC_KEYLEN - 1) {
		dst[n++] = '/';
		(void)str_copy(dst + n, HC_KEYLEN - n, s->addr.text);
	}
}

static int
key_cmp(const void *a, const void *b)
{
	return (strcmp(a, b));
}

/* The keys of every server of c appended to keys[]; returns how many. */
static size_t
add_keys(char (*keys)[HC_KEYLEN], const struct cfg *c)
{
	size_t n = 0;
	int i, j;

	for (i = 0; i < c->npools; i++)
		for (j = 0; j < c->pools[i].nservers; j++)
			make_key(keys[n++], &c->pools[i],
			    &c->pools[i].servers[j]);
	return (n);
}

/* A row some server of either config names, found by its key. */
struct used_row {
	const char	*key;		/* in the row: not written meanwhile */
	uint32_t	 row;
};

static int
used_cmp(const void *a, const void *b)
{
	return (strcmp(((const struct used_row *)a)->key,
	    ((const struct used_row *)b)->key));
}

static int
used_key_cmp(const void *key, const void *u)
{
	return (strcmp(key, ((const struct used_row *)u)->key));
}

/*
 * A row nobody uses any more starts over. The key goes first: the row
 * is the new server's from then on.
 */
static void
row_reset(const struct shm *s, uint32_t row, const char *key,
    const struct cfg_pool *p, int64_t now)
{
	struct hc_row *r = hc_row(s, row);
	int down = p->initial == CFG_INITIAL_DOWN;

	str_copy(r->key, sizeof(r->key), key);
	atomic_store(&r->draining, 0);
	atomic_store(&r->active, 0);
	atomic_store(&r->ok_run, 0);
	atomic_store(&r->fail_run, 0);
	atomic_store(&r->fail_count, 0);
	atomic_store(&r->fail_window_ms, 0);
	/*
	 * Down with nothing to check it actively: passively down until now,
	 * so the first request to it is the trial that can bring it up.
	 */
	atomic_store(&r->down_until_ms, down && p->health.path == NULL ?
	    now : 0);
	atomic_store(&r->trial_until_ms, 0);
	atomic_store(&r->last_check_ms, 0);
	atomic_store(&r->last_change_ms, now);
	atomic_store(&r->up_since_ms, down ? 0 : now);
	atomic_store(&r->requests, 0);
	atomic_store(&r->failures, 0);
	atomic_store(&r->timeouts, 0);
	atomic_store(&r->retries, 0);
	atomic_store(&r->checks_failed, 0);
	atomic_store(&r->latency_us, 0);
	srvaddr_reset(&r->addr);
	atomic_store(&r->state, down ? HC_DOWN : HC_UP);
}

int
hc_assign(const struct shm *s, const struct cfg *nc, const struct cfg *old,
    uint32_t *rows)
{
	uint32_t nrows = hc_rows(s), nused = 0, nfree = 0, i, *freerow = NULL;
	struct used_row *used = NULL, *found;
	size_t nkeys, nnew = 0, k;
	char (*keys)[HC_KEYLEN] = NULL, key[HC_KEYLEN];
	int64_t now = hc_now_ms();
	int p, j, rc = -1;

	nkeys = (size_t)cfg_nservers(nc) + (old != NULL ?
	    (size_t)cfg_nservers(old) : 0);
	keys = calloc(nkeys + 1, sizeof(*keys));
	used = calloc((size_t)nrows + 1, sizeof(*used));
	freerow = calloc((size_t)nrows + 1, sizeof(*freerow));
	if (keys == NULL || used == NULL || freerow == NULL)
		goto out;
	/* every key of both configs: a row with any of them is not free */
	nkeys = add_keys(keys, nc);
	if (old != NULL)
		nkeys += add_keys(keys + nkeys, old);
	qsort(keys, nkeys, sizeof(*keys), key_cmp);
	for (i = 0; i < nrows; i++) {
		const char *rk = hc_row(s, i)->key;

		if (rk[0] != '\0' &&
		    bsearch(rk, keys, nkeys, sizeof(*keys), key_cmp) != NULL) {
			used[nused].key = rk;
			used[nused++].row = i;
		} else
			freerow[nfree++] = i;
	}
	qsort(used, nused, sizeof(*used), used_cmp);

	/* count first: a refused config leaves the table as it was */
	for (p = 0; p < nc->npools; p++)
		for (j = 0; j < nc->pools[p].nservers; j++) {
			make_key(key, &nc->pools[p], &nc->pools[p].servers[j]);
			if (bsearch(key, used, nused, sizeof(*used),
			    used_key_cmp) == NULL)
				nnew++;
		}
	if (nnew > nfree) {
		errno = ENOSPC;
		goto out;
	}

	k = 0;
	for (p = 0; p < nc->npools; p++)
		for (j = 0; j < nc->pools[p].nservers; j++) {
			uint32_t *row = &rows[cfg_server_index(&nc->pools[p],
			    j)];

			make_key(key, &nc->pools[p], &nc->pools[p].servers[j]);
			found = bsearch(key, used, nused, sizeof(*used),
			    used_key_cmp);
			if (found != NULL) {
				*row = found->row;	/* state carries over */
				continue;
			}
			*row = freerow[k++];
			row_reset(s, *row, key, &nc->pools[p], now);
		}
	rc = 0;
out:
	free(keys);
	free(used);
	free(freerow);
	return (rc);
}

/* ---- requests ------------------------------------------------------ */

int
hc_usable(const struct shm *s, uint32_t row, const struct cfg_pool *p,
    int64_t now, int *trial)
{
	struct hc_row *r = hc_row(s, row);
	int64_t t;

	assert(trial != NULL);
	*trial = 0;
	if (atomic_load(&r->draining))
		return (0);
	if (atomic_load(&r->state) == HC_UP)
		return (1);
	/* down: with active checks only they bring it back */
	if (p->health.path != NULL || now < atomic_load(&r->down_until_ms))
		return (0);
	t = atomic_load(&r->trial_until_ms);
	/* one trial at a time, unless its worker seems to have died */
	if (t > 0 && now < t)
		return (0);
	if (!atomic_compare_exchange_strong(&r->trial_until_ms, &t,
	    now + HC_TRIAL_MS))
		return (0);
	*trial = 1;
	return (1);
}

int
hc_try_acquire(const struct shm *s, uint32_t row, int max_conns)
{
	struct hc_row *r = hc_row(s, row);
	int32_t a = atomic_load_explicit(&r->active, memory_order_relaxed);

	do {
		if (max_conns > 0 && a >= max_conns)
			return (0);
	} while (!atomic_compare_exchange_weak_explicit(&r->active, &a, a + 1,
	    memory_order_relaxed, memory_order_relaxed));
	atomic_fetch_add_explicit(&r->requests, 1, memory_order_relaxed);
	return (1);
}

void
hc_release(const struct shm *s, uint32_t row)
{
	struct hc_row *r = hc_row(s, row);
	int32_t a = atomic_load_explicit(&r->active, memory_order_relaxed);

	/* never below zero, even if a release were counted twice */
	do {
		if (a <= 0)
			return;
	} while (!atomic_compare_exchange_weak_explicit(&r->active, &a, a - 1,
	    memory_order_relaxed, memory_order_relaxed));
}

/* ---- passive checks ------------------------------------------------ */

void
hc_passive_fail(const struct shm *s, uint32_t row, const struct cfg_pool *p,
    int64_t now, int timeout, const char *why)
{
	struct hc_row *r = hc_row(s, row);
	int64_t ft = secs_ms(p->fail_timeout), w, t;
	uint32_t n, st;

	atomic_fetch_add_explicit(&r->failures, 1, memory_order_relaxed);
	if (timeout)
		atomic_fetch_add_explicit(&r->timeouts, 1,
		    memory_order_relaxed);
	if (why == NULL)
		why = "failed";

	/*
	 * A failed trial: down for another fail_timeout. down_until moves
	 * before the trial is cleared, so nobody takes a new trial at once.
	 */
	t = atomic_load(&r->trial_until_ms);
	if (t > 0 && atomic_load(&r->state) == HC_DOWN) {
		atomic_store(&r->down_until_ms, now + ft);
		if (atomic_compare_exchange_strong(&r->trial_until_ms, &t, 0))
			log_debug("backend %s still down: trial request "
			    "failed (%s)", r->key, why);
		return;
	}
	/*
	 * Passive checks only steer traffic to the other servers: a pool of
	 * one has none, so (as in nginx) its server is never marked down by
	 * them and each request tries it.
	 */
	if (p->max_fails <= 0 || p->nservers <= 1)
		return;

	w = atomic_load(&r->fail_window_ms);
	if (atomic_load(&r->fail_count) == 0 || now - w > ft) {
		/* a new window; of two racing, one starts it */
		if (atomic_compare_exchange_strong(&r->fail_window_ms, &w,
		    now)) {
			atomic_store(&r->fail_count, 1);
			n = 1;
		} else
			n = atomic_fetch_add(&r->fail_count, 1) + 1;
	} else
		n = atomic_fetch_add(&r->fail_count, 1) + 1;
	if (n < (uint32_t)p->max_fails)
		return;

	st = HC_UP;
	if (atomic_load(&r->state) != HC_UP)
		return;
	/* down_until first: a reader seeing "down" must see when it ends */
	atomic_store(&r->down_until_ms, now + ft);
	if (!atomic_compare_exchange_strong(&r->state, &st, HC_DOWN))
		return;
	atomic_store(&r->fail_count, 0);
	atomic_store(&r->last_change_ms, now);
	log_warnx("backend %s is down: %u failure%s in %gs (last: %s)",
	    r->key, n, n == 1 ? "" : "s", p->fail_timeout, why);
}

void
hc_passive_ok(const struct shm *s, uint32_t row, const struct cfg_pool *p,
    int64_t now, uint64_t latency_us)
{
	struct hc_row *r = hc_row(s, row);
	int64_t t = atomic_load(&r->trial_until_ms);
	uint64_t old;

	(void)p;
	if (t > 0 && atomic_load(&r->state) == HC_DOWN &&
	    atomic_compare_exchange_strong(&r->trial_until_ms, &t, 0)) {
		uint32_t st = HC_DOWN;

		atomic_store(&r->down_until_ms, 0);
		atomic_store(&r->up_since_ms, now);
		atomic_store(&r->last_change_ms, now);
		if (atomic_compare_exchange_strong(&r->state, &st, HC_UP))
			log_info("backend %s is up: trial request succeeded",
			    r->key);
	}
	/* stores only when there is something to clear: rows are hot */
	if (atomic_load_explicit(&r->fail_count, memory_order_relaxed) != 0)
		atomic_store(&r->fail_count, 0);

	if (latency_us == 0)
		return;
	old = atomic_load_explicit(&r->latency_us, memory_order_relaxed);
	for (;;) {
		uint64_t nv;

		if (old == 0)
			nv = latency_us;
		else if (latency_us >= old)
			nv = old + (latency_us - old) / 8;
		else
			nv = old - (old - latency_us) / 8;
		if (nv == 0)
			nv = 1;	/* 0 means "no sample yet" */
		if (atomic_compare_exchange_weak_explicit(&r->latency_us, &old,
		    nv, memory_order_relaxed, memory_order_relaxed))
			break;
	}
}

/* ---- active checks ------------------------------------------------- */

void
hc_check_result(const struct shm *s, uint32_t row, const struct cfg_pool *p,
    int64_t now, int ok, const char *why)
{
	struct hc_row *r = hc_row(s, row);
	uint32_t n, st;

	atomic_store(&r->last_check_ms, now);
	if (ok) {
		atomic_store(&r->fail_run, 0);
		n = atomic_fetch_add(&r->ok_run, 1) + 1;
		st = HC_DOWN;
		if (n < (uint32_t)(p->health.rise > 0 ? p->health.rise : 1) ||
		    atomic_load(&r->state) != HC_DOWN)
			return;
		/* up for the checker is up for the passive side too */
		atomic_store(&r->down_until_ms, 0);
		atomic_store(&r->trial_until_ms, 0);
		atomic_store(&r->fail_count, 0);
		atomic_store(&r->up_since_ms, now);
		if (!atomic_compare_exchange_strong(&r->state, &st, HC_UP))
			return;
		atomic_store(&r->last_change_ms, now);
		log_info("backend %s is up: %u check%s passed", r->key, n,
		    n == 1 ? "" : "s");
		return;
	}
	atomic_store(&r->ok_run, 0);
	n = atomic_fetch_add(&r->fail_run, 1) + 1;
	atomic_fetch_add_explicit(&r->checks_failed, 1, memory_order_relaxed);
	st = HC_UP;
	if (n < (uint32_t)(p->health.fall > 0 ? p->health.fall : 1) ||
	    !atomic_compare_exchange_strong(&r->state, &st, HC_DOWN))
		return;
	atomic_store(&r->last_change_ms, now);
	log_warnx("backend %s is down: %u check%s failed (last: %s)", r->key,
	    n, n == 1 ? "" : "s", why != NULL ? why : "failed");
}

double
hc_weight_factor(const struct shm *s, uint32_t row, const struct cfg_pool *p,
    int64_t now)
{
	struct hc_row *r = hc_row(s, row);
	int64_t ss = secs_ms(p->slow_start), el;
	double f;

	if (ss <= 0 || atomic_load(&r->state) != HC_UP)
		return (1.0);
	el = now - atomic_load(&r->up_since_ms);
	if (el >= ss)
		return (1.0);
	f = el > 0 ? (double)el / (double)ss : 0.0;
	return (f < HC_SLOW_MIN ? HC_SLOW_MIN : f);
}

void
hc_set_draining(const struct shm *s, uint32_t row, int on)
{
	struct hc_row *r = hc_row(s, row);

	if (atomic_exchange(&r->draining, on ? 1 : 0) == (on ? 1u : 0u))
		return;
	if (on)
		log_info("backend %s draining", r->key);
	else
		log_info("backend %s no longer draining", r->key);
}

const char *
hc_state_name(const struct shm *s, uint32_t row)
{
	struct hc_row *r = hc_row(s, row);

	if (atomic_load(&r->draining))
		return ("draining");
	return (atomic_load(&r->state) == HC_UP ? "up" : "down");
}
