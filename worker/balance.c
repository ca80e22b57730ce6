#include "config.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/arena.h"
#include "lib/mix.h"
#include "worker/balance.h"

#define FNV_OFFSET	0xcbf29ce484222325ULL
#define FNV_PRIME	0x100000001b3ULL

static uint64_t
fnv1a(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *s = buf;
	size_t i;

	for (i = 0; i < len; i++) {
		h ^= s[i];
		h *= FNV_PRIME;
	}
	return (h);
}

/* mix64 (lib/mix.h): FNV-1a alone leaves "a#1", "a#2" close on the ring */
static uint64_t
key_hash(const char *key, size_t len)
{
	return (mix64(fnv1a(FNV_OFFSET, key, len)));
}

static int
point_cmp(const void *a, const void *b)
{
	const struct balance_point *x = a, *y = b;

	if (x->hash != y->hash)
		return (x->hash < y->hash ? -1 : 1);
	if (x->server != y->server)
		return (x->server < y->server ? -1 : 1);
	return (0);
}

static uint32_t
ring_points(const struct cfg_pool *p, int i, uint64_t sumw)
{
	uint64_t w = (uint64_t)p->servers[i].weight, n;

	if (sumw * BALANCE_POINTS <= BALANCE_MAX_POINTS)
		return ((uint32_t)(w * BALANCE_POINTS));
	/* Scale down to the bound, keeping every server on the ring. */
	n = w * BALANCE_MAX_POINTS / sumw;
	return ((uint32_t)(n > 0 ? n : 1));
}

/*
 * Heapsort by point_cmp, in place: qsort would malloc a merge buffer for
 * rings over 1 KiB, a page of a worker's heap copied for one sort. The
 * order is total (hash, then server), so any sort gives the same ring.
 */
static void
sift_down(struct balance_point *v, size_t root, size_t n)
{
	struct balance_point t;
	size_t child;

	while ((child = 2 * root + 1) < n) {
		if (child + 1 < n && point_cmp(&v[child], &v[child + 1]) < 0)
			child++;
		if (point_cmp(&v[root], &v[child]) >= 0)
			return;
		t = v[root];
		v[root] = v[child];
		v[child] = t;
		root = child;
	}
}

static void
sort_points(struct balance_point *v, size_t n)
{
	struct balance_point t;
	size_t i;

	for (i = n / 2; i > 0; i--)
		sift_down(v, i - 1, n);
	for (i = n; i > 1; i--) {
		t = v[0];
		v[0] = v[i - 1];
		v[i - 1] = t;
		sift_down(v, 0, i - 1);
	}
}

/* n zeroed elements of size sz: from the arena if there is one. */
static void *
b_alloc(struct arena *mem, size_t n, size_t sz)
{
	if (mem == NULL)
		return (calloc(n, sz));
	return (n > SIZE_MAX / sz ? NULL : arena_small(mem, n * sz));
}

static void
b_free(const struct balance *b, void *p)
{
	if (!b->in_arena)
		free(p);
}

size_t
balance_room(const struct cfg_pool *p)
{
	uint64_t sumw = 0, total = 0, points = 0;
	int i;

	for (i = 0; i < p->nservers; i++)
		sumw += (uint64_t)p->servers[i].weight;
	for (i = 0; i < p->nservers; i++) {
		total += (uint64_t)p->servers[i].weight;
		points += ring_points(p, i, sumw);
	}
	/* the sequence, the ring, the scratch weights; 16 to align each */
	return ((size_t)(total * sizeof(uint16_t) +
	    (points > 0 ? points : 1) * sizeof(struct balance_point) +
	    (uint64_t)p->nservers * sizeof(int64_t) + 3 * 16));
}

/* Point hash: FNV-1a of "<addr.text>#<point number>", mixed. */
static int
ring_init(struct balance *b, const struct cfg_pool *p, struct arena *mem)
{
	uint64_t sumw = 0, h;
	uint32_t total = 0, j, k = 0;
	char num[16];
	int i, n;

	for (i = 0; i < p->nservers; i++)
		sumw += (uint64_t)p->servers[i].weight;
	for (i = 0; i < p->nservers; i++)
		total += ring_points(p, i, sumw);
	b->nring = total;
	b->ring = b_alloc(mem, total > 0 ? total : 1, sizeof(*b->ring));
	if (b->ring == NULL)
		return (-1);
	for (i = 0; i < p->nservers; i++) {
		const struct cfg_addr *a = &p->servers[i].addr;
		uint32_t pts = ring_points(p, i, sumw);

		h = fnv1a(FNV_OFFSET, a->text,
		    strnlen(a->text, sizeof(a->text)));
		h = fnv1a(h, "#", 1);
		for (j = 0; j < pts; j++) {
			n = snprintf(num, sizeof(num), "%u", (unsigned)j);
			b->ring[k].hash = mix64(fnv1a(h, num, (size_t)n));
			b->ring[k].server = (uint32_t)i;
			k++;
		}
	}
	assert(k == total);
	sort_points(b->ring, total);
	return (0);
}

int
balance_init(struct balance *b, const struct cfg_pool *p, struct arena *mem)
{
	int64_t *cur;
	uint32_t total = 0, k;
	int i;

	for (i = 0; i < p->nservers; i++)
		total += (uint32_t)p->servers[i].weight;
	b->nservers = p->nservers;
	b->len = total;
	b->ring = NULL;
	b->nring = 0;
	b->in_arena = mem != NULL;
	b->seq = b_alloc(mem, total, sizeof(*b->seq));
	cur = b_alloc(mem, (size_t)p->nservers, sizeof(*cur));
	if (b->seq == NULL || cur == NULL) {
		b_free(b, b->seq);
		b_free(b, cur);
		b->seq = NULL;
		return (-1);
	}
	/* Smooth weighted round-robin: one full period of it. */
	for (k = 0; k < total; k++) {
		int best = 0;

		for (i = 0; i < p->nservers; i++) {
			cur[i] += p->servers[i].weight;
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= total;
		b->seq[k] = (uint16_t)best;
	}
	b_free(b, cur);
	if (ring_init(b, p, mem) == -1) {
		balance_free(b);
		return (-1);
	}
	return (0);
}

void
balance_free(struct balance *b)
{
	b_free(b, b->seq);
	b->seq = NULL;
	b_free(b, b->ring);
	b->ring = NULL;
	b->nring = 0;
}

/* The next position of the shared sequence, eligible or not. */
static int
balance_pick(const struct balance *b, _Atomic uint64_t *counter)
{
	uint64_t n = atomic_fetch_add_explicit(counter, 1,
	    memory_order_relaxed);

	return (b->seq[n % b->len]);
}

static int
is_eligible(const uint8_t *eligible, int i)
{
	return (eligible == NULL || eligible[i] != 0);
}

static int
count_eligible(const struct balance *b, const uint8_t *eligible)
{
	int i, m = 0;

	for (i = 0; i < b->nservers; i++)
		if (is_eligible(eligible, i))
			m++;
	return (m);
}

int
balance_pick_rr(const struct balance *b, _Atomic uint64_t *counter,
    const uint8_t *eligible)
{
	uint32_t t;
	int s;

	/* Spare the shared counter len bumps when nothing can match. */
	if (b->len == 0 || count_eligible(b, eligible) == 0)
		return (-1);
	for (t = 0; t < b->len; t++) {
		s = balance_pick(b, counter);
		if (is_eligible(eligible, s))
			return (s);
	}
	/*
	 * Other workers drew the positions in between, and all of ours fell
	 * on ineligible servers: walk the sequence from where we are. Some
	 * server is eligible, and every one has a position, so this ends.
	 */
	t = (uint32_t)(atomic_load_explicit(counter, memory_order_relaxed) %
	    b->len);
	for (;;) {
		s = b->seq[t];
		if (is_eligible(eligible, s))
			return (s);
		t = (t + 1) % b->len;
	}
}

int
balance_pick_hash(const struct balance *b, const char *key, size_t keylen,
    const uint8_t *eligible)
{
	uint64_t h = key_hash(key, keylen);
	uint32_t lo = 0, hi = b->nring, t, k;
	int s;

	if (b->nring == 0 || count_eligible(b, eligible) == 0)
		return (-1);
	/* First point with hash >= h; nring means wrap to 0. */
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (b->ring[mid].hash < h)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (t = 0; t < b->nring; t++) {
		k = (lo + t) % b->nring;
		s = (int)b->ring[k].server;
		if (is_eligible(eligible, s))
			return (s);
	}
	return (-1);
}

/* Whether i is strictly less loaded than j: (a_i+1)/w_i < (a_j+1)/w_j. */
static int
lighter(const struct cfg_pool *p, const int32_t *active, int i, int j)
{
	int64_t ai = active[i] > 0 ? active[i] : 0;
	int64_t aj = active[j] > 0 ? active[j] : 0;
	int64_t wi = p->servers[i].weight > 0 ? p->servers[i].weight : 1;
	int64_t wj = p->servers[j].weight > 0 ? p->servers[j].weight : 1;

	return ((ai + 1) * wj < (aj + 1) * wi);
}

int
balance_pick_least(const struct balance *b, const struct cfg_pool *p,
    const int32_t *active, const uint8_t *eligible, uint64_t tiebreak)
{
	int n = b->nservers, best = -1, k, i;

	assert(n == p->nservers);
	if (n <= 0)
		return (-1);
	for (k = 0; k < n; k++) {
		i = (int)((tiebreak + (uint64_t)k) % (uint64_t)n);
		if (!is_eligible(eligible, i))
			continue;
		if (best == -1 || lighter(p, active, i, best))
			best = i;
	}
	return (best);
}

/* The index of the nth (from 0) eligible server. */
static int
nth_eligible(const struct balance *b, const uint8_t *eligible, int nth)
{
	int i;

	for (i = 0; i < b->nservers; i++)
		if (is_eligible(eligible, i) && nth-- == 0)
			return (i);
	assert(0);
	return (-1);
}

int
balance_pick_random2(const struct balance *b, const struct cfg_pool *p,
    const int32_t *active, const uint8_t *eligible, uint64_t rnd)
{
	int m, x, y;

	assert(b->nservers == p->nservers);
	m = count_eligible(b, eligible);
	if (m == 0)
		return (-1);
	if (m == 1)
		return (nth_eligible(b, eligible, 0));
	x = (int)((uint32_t)rnd % (uint32_t)m);
	y = (int)((uint32_t)(rnd >> 32) % (uint32_t)(m - 1));
	if (y >= x)
		y++;		/* a different one, still uniform */
	x = nth_eligible(b, eligible, x);
	y = nth_eligible(b, eligible, y);
	return (lighter(p, active, y, x) ? y : x);
}
