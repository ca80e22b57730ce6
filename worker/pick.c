/*
 * Choosing the server for a request: the pool's algorithm over the servers
 * the health table lets take it, backups only when no primary can.
 */
#include "config.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "shared/health.h"
#include "worker/balance.h"
#include "worker/pick.h"

/* The value of cookie name in the Cookie field, or NULL. */
static const char *
cookie_value(const struct conn *c, const char *name, size_t *len)
{
	size_t n, nl = strlen(name), i = 0, j;
	const char *v = http_field_value(&c->req.h, c->buf, "Cookie", &n);

	while (v != NULL && i < n) {
		while (i < n && (v[i] == ' ' || v[i] == ';'))
			i++;
		for (j = i; j < n && v[j] != ';'; j++)
			;
		if (j - i > nl && v[i + nl] == '=' &&
		    memcmp(v + i, name, nl) == 0) {
			*len = j - i - nl - 1;
			return (v + i + nl + 1);
		}
		i = j;
	}
	return (NULL);
}

/* What balance = "hash" hashes for this request ("" when it is absent). */
static const char *
hash_key(const struct conn *c, const struct cfg_pool *p, size_t *len)
{
	const char *k = NULL;

	switch (p->hash_key) {
	case CFG_HASH_CLIENT_IP:
		*len = strlen(c->peer);
		return (c->peer);
	case CFG_HASH_HEADER:
		k = http_field_value(&c->req.h, c->buf, p->hash_name, len);
		break;
	case CFG_HASH_COOKIE:
		k = cookie_value(c, p->hash_name, len);
		break;
	default:
		*len = c->req.target.len;
		return (c->buf + c->req.target.off);
	}
	if (k == NULL)
		*len = 0;
	return (k != NULL ? k : "");
}

/* xorshift64*: a worker's own cheap random numbers for random2. */
static uint64_t
next_random(struct worker *w)
{
	w->rnd ^= w->rnd >> 12;
	w->rnd ^= w->rnd << 25;
	w->rnd ^= w->rnd >> 27;
	return (w->rnd * 0x2545F4914F6CDD1DULL);
}

/* The pool's algorithm over the servers marked eligible; -1 if none. */
static int
by_algorithm(struct conn *c, const struct cfg_route *rt, const uint8_t *el)
{
	struct worker *w = c->w;
	const struct cfg_pool *p = &w->cfg->pools[rt->pool];
	const struct balance *b = &w->bal[rt->pool];
	const char *key;
	size_t klen;
	int i;

	if (p->balance == CFG_BAL_LEAST_CONN || p->balance == CFG_BAL_RANDOM2)
		for (i = 0; i < p->nservers; i++)
			w->active[i] = atomic_load_explicit(&hc_row(w->shm,
			    worker_row(w, p, i))->active, memory_order_relaxed);
	switch (p->balance) {
	case CFG_BAL_LEAST_CONN:
		return (balance_pick_least(b, p, w->active, el, w->tiebreak++));
	case CFG_BAL_RANDOM2:
		return (balance_pick_random2(b, p, w->active, el,
		    next_random(w)));
	case CFG_BAL_HASH:
		key = hash_key(c, p, &klen);
		return (balance_pick_hash(b, key, klen, el));
	default:
		return (balance_pick_rr(b, &shm_pool(w->shm,
		    (uint32_t)rt->pool)->rr, el));
	}
}

int
pick_server(struct conn *c, const struct cfg_route *rt, const uint8_t *tried)
{
	struct worker *w = c->w;
	const struct cfg_pool *p = &w->cfg->pools[rt->pool];
	int64_t now = hc_now_ms();
	int phase, i, s, any, busy = 0, trial, left;

	for (phase = 0; phase <= 1; phase++) {
		any = 0;
		for (i = 0; i < p->nservers; i++) {
			const struct cfg_server *srv = &p->servers[i];

			w->eligible[i] = 0;
			if (srv->backup != phase || tried[i] ||
			    !hc_usable(w->shm, worker_row(w, p, i), p, now,
			    &trial))
				continue;
			if (trial)
				return (i);
			if (srv->max_conns > 0 && atomic_load_explicit(
			    &hc_row(w->shm, worker_row(w, p, i))->active,
			    memory_order_relaxed) >= srv->max_conns) {
				busy = 1;
				continue;
			}
			w->eligible[i] = 1;
			any++;
		}
		if (busy && !any)
			return (PICK_BUSY);
		for (left = any; left > 0; left--) {
			double f;

			s = by_algorithm(c, rt, w->eligible);
			if (s < 0 || left == 1 || p->slow_start <= 0)
				return (s);
			f = hc_weight_factor(w->shm, worker_row(w, p, s), p,
			    now);
			if (f >= 1.0 ||
			    (double)(next_random(w) >> 11) / 9007199254740992.0 < f)
				return (s);
			w->eligible[s] = 0;	/* ramping up: not this time */
		}
	}
	return (PICK_NONE);
}

int
pick_pool_down(const struct worker *w, const struct cfg_pool *p)
{
	int i;

	for (i = 0; i < p->nservers; i++)
		if (atomic_load_explicit(&hc_row(w->shm, worker_row(w, p,
		    i))->state, memory_order_relaxed) != HC_DOWN)
			return (0);
	return (p->nservers > 0);
}

int
pick_queue_wait(const struct cfg_pool *p, double *since, int *step_ms)
{
	double now = clock_now(), left;
	struct timespec ts;

	if (*since == 0) {
		*since = now;
		*step_ms = 1;
	}
	left = *since + p->queue_timeout - now;
	if (left <= 0)
		return (-1);
	if (left > *step_ms / 1000.0)
		left = *step_ms / 1000.0;
	ts.tv_sec = (time_t)left;
	ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
	(void)nanosleep(&ts, NULL);
	if (*step_ms < 16)
		*step_ms *= 2;
	return (0);
}
