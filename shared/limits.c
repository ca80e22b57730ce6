#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <math.h>
#include <sched.h>
#include <string.h>

#include "lib/mix.h"
#include "shared/limits.h"
#include "shared/scoreboard.h"

/* A reader finding an entry mid-write tries this often, then skips it. */
#define LIM_SEQ_TRIES	64
/* Claiming a bucket lost to another process this often: then let it be. */
#define LIM_CLAIM_TRIES	4

/* An address as the limits compare it: 16 bytes, IPv4 as ::ffff:a.b.c.d. */
struct lim_key {
	uint32_t	w[4];
	uint32_t	family;		/* AF_INET (mapped too) or AF_INET6 */
};

static struct lim_area *
area(const struct shm *s)
{
	return (shm_at(s, s->hdr->off_limits));
}

/* 0, or -1 for an address that is not IP. */
static int
key_of(const struct sockaddr *sa, struct lim_key *k)
{
	uint8_t b[16];

	if (sa == NULL)
		return (-1);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		memset(b, 0, 10);
		b[10] = b[11] = 0xff;
		memcpy(b + 12, &s4->sin_addr, 4);
		k->family = AF_INET;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		memcpy(b, &s6->sin6_addr, 16);
		k->family = IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) ? AF_INET :
		    AF_INET6;
	} else
		return (-1);
	memcpy(k->w, b, sizeof(k->w));
	return (0);
}

/*
 * The key's hash, seeded with the running porter's random instance so a
 * client cannot choose addresses that collide. Never 0 (a free bucket).
 * Each step is a bijection, so IPv4 clients never share a hash.
 */
static uint64_t
hash_of(const struct shm *s, const struct lim_key *k)
{
	uint64_t seed = mix64((uint64_t)s->hdr->instance ^
	    0x9e3779b97f4a7c15ULL);
	uint64_t h;

	h = mix64(seed ^ ((uint64_t)k->w[0] << 32 | k->w[1]));
	h = mix64(h ^ ((uint64_t)k->w[2] << 32 | k->w[3]));
	return (h != 0 ? h : 1);
}

/* ---- the scoreboard's part -------------------------------------------- */

void
lim_slot_set(struct sb_slot *sb, const struct sockaddr *peer)
{
	struct lim_key k;
	int i;

	atomic_store_explicit(&sb->peer_family, 0, memory_order_relaxed);
	if (key_of(peer, &k) == -1)
		return;
	for (i = 0; i < 4; i++)
		atomic_store_explicit(&sb->peer_addr[i], k.w[i],
		    memory_order_relaxed);
	/* readers see the family last: the address is there before it */
	atomic_store_explicit(&sb->peer_family, k.family,
	    memory_order_release);
}

void
lim_slot_clear(struct sb_slot *sb)
{
	atomic_store_explicit(&sb->peer_family, 0, memory_order_release);
}

static int
slot_is(const struct sb_slot *sb, const struct lim_key *k)
{
	int i;

	if (atomic_load_explicit(&sb->peer_family, memory_order_acquire) == 0)
		return (0);
	for (i = 0; i < 4; i++)
		if (atomic_load_explicit(&sb->peer_addr[i],
		    memory_order_relaxed) != k->w[i])
			return (0);
	return (1);
}

/* ---- the waiter's table ----------------------------------------------- */

static struct lim_wentry *
went(const struct shm *s, uint64_t h, int i)
{
	return (&area(s)->waiter[(h + (uint64_t)i) & (LIM_WAITER_SLOTS - 1)]);
}

static int
went_is(struct lim_wentry *e, const struct lim_key *k)
{
	int i;

	for (i = 0; i < 4; i++)
		if (atomic_load_explicit(&e->addr[i], memory_order_relaxed) !=
		    k->w[i])
			return (0);
	return (1);
}

/* The writer's seqlock steps: odd while it writes, even again after. */
static uint32_t
went_begin(struct lim_wentry *e)
{
	uint32_t seq = atomic_load_explicit(&e->seq, memory_order_relaxed);

	seq |= 1;	/* a waiter that died mid-write left it odd */
	atomic_store_explicit(&e->seq, seq, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	return (seq);
}

static void
went_end(struct lim_wentry *e, uint32_t seq)
{
	atomic_store_explicit(&e->seq, seq + 1, memory_order_release);
}

void
lim_waiter_reset(const struct shm *s)
{
	uint32_t i, seq;
	int j;

	for (i = 0; i < LIM_WAITER_SLOTS; i++) {
		struct lim_wentry *e = &area(s)->waiter[i];

		seq = went_begin(e);
		atomic_store_explicit(&e->family, 0, memory_order_relaxed);
		atomic_store_explicit(&e->count, 0, memory_order_relaxed);
		for (j = 0; j < 4; j++)
			atomic_store_explicit(&e->addr[j], 0,
			    memory_order_relaxed);
		went_end(e, seq);
	}
}

/*
 * The writer's lookup (it is the only writer, so it reads plainly): the
 * entry of k, or with want_free the first free place where k may go; NULL
 * if neither.
 */
static struct lim_wentry *
went_find(const struct shm *s, const struct lim_key *k, int want_free)
{
	struct lim_wentry *e, *free_e = NULL;
	uint64_t h = hash_of(s, k);
	int i;

	for (i = 0; i < LIM_PROBE; i++) {
		e = went(s, h, i);
		if (atomic_load_explicit(&e->family, memory_order_relaxed) ==
		    0) {
			if (free_e == NULL)
				free_e = e;
			break;		/* k is never past a never-used place */
		}
		if (went_is(e, k))
			return (e);
		if (free_e == NULL && atomic_load_explicit(&e->count,
		    memory_order_relaxed) == 0)
			free_e = e;
	}
	return (want_free ? free_e : NULL);
}

void
lim_waiter_add(const struct shm *s, const struct sockaddr *peer)
{
	struct lim_wentry *e;
	struct lim_key k;
	uint32_t seq, n;
	int i;

	if (key_of(peer, &k) == -1 || (e = went_find(s, &k, 1)) == NULL)
		return;
	n = atomic_load_explicit(&e->count, memory_order_relaxed);
	seq = went_begin(e);
	if (n == 0 || !went_is(e, &k)) {
		/* a free place: it becomes k's */
		for (i = 0; i < 4; i++)
			atomic_store_explicit(&e->addr[i], k.w[i],
			    memory_order_relaxed);
		atomic_store_explicit(&e->family, k.family,
		    memory_order_relaxed);
		n = 0;
	}
	atomic_store_explicit(&e->count, n + 1, memory_order_relaxed);
	went_end(e, seq);
}

void
lim_waiter_del(const struct shm *s, const struct sockaddr *peer)
{
	struct lim_wentry *e;
	struct lim_key k;
	uint32_t seq, n;

	if (key_of(peer, &k) == -1 || (e = went_find(s, &k, 0)) == NULL)
		return;
	if ((n = atomic_load_explicit(&e->count, memory_order_relaxed)) == 0)
		return;
	seq = went_begin(e);
	atomic_store_explicit(&e->count, n - 1, memory_order_relaxed);
	went_end(e, seq);
}

/*
 * A reader's consistent copy of entry e: 1 (family, match, count set), or
 * 0 when the waiter stayed in the middle of writing it (it died there:
 * its connections are gone, so the entry counts nothing).
 */
static int
went_read(struct lim_wentry *e, const struct lim_key *k, uint32_t *family,
    int *match, uint32_t *count)
{
	uint32_t s1;
	int tries;

	for (tries = 0; tries < LIM_SEQ_TRIES; tries++) {
		if (tries > 8)
			(void)sched_yield();
		s1 = atomic_load_explicit(&e->seq, memory_order_acquire);
		if (s1 & 1)
			continue;
		*family = atomic_load_explicit(&e->family,
		    memory_order_relaxed);
		*match = went_is(e, k);
		*count = atomic_load_explicit(&e->count, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&e->seq, memory_order_relaxed) == s1)
			return (1);
	}
	return (0);
}

/* The waiter's connections from k. */
static uint32_t
waiter_conns(const struct shm *s, const struct lim_key *k)
{
	uint64_t h = hash_of(s, k);
	uint32_t family, count;
	int i, match;

	for (i = 0; i < LIM_PROBE; i++) {
		if (!went_read(went(s, h, i), k, &family, &match, &count))
			continue;
		if (family == 0)
			break;
		if (match)
			return (count);
	}
	return (0);
}

uint32_t
lim_conns(const struct shm *s, const struct sockaddr *peer)
{
	struct lim_key k;
	uint32_t i, n = 0;

	if (key_of(peer, &k) == -1)
		return (0);
	for (i = 0; i < s->hdr->nslots; i = sb_scan_next(s, i))
		n += (uint32_t)slot_is(sb_slot(s, i), &k);
	return (n + waiter_conns(s, &k));
}

/* ---- token buckets ---------------------------------------------------- */

static struct lim_rentry *
rent(const struct shm *s, uint64_t h, int i)
{
	return (&area(s)->rate[(h + (uint64_t)i) & (LIM_RATE_SLOTS - 1)]);
}

/*
 * The bucket of key h, claiming one if it has none: the first never-used
 * place, else one whose bucket is full again (tat <= now: forgetting it
 * loses nothing), else the one nearest to full (its client starts
 * afresh). NULL when other processes kept winning the places (the
 * request then goes unlimited).
 */
static struct lim_rentry *
bucket(const struct shm *s, uint64_t h, int64_t now)
{
	struct lim_rentry *e, *pick;
	uint64_t key, old;
	int64_t tat, best;
	int i, tries, rank;

	for (tries = 0; tries < LIM_CLAIM_TRIES; tries++) {
		pick = NULL;
		rank = 3;	/* 0 never used, 1 full again, 2 in use */
		best = INT64_MAX;
		for (i = 0; i < LIM_PROBE; i++) {
			e = rent(s, h, i);
			key = atomic_load_explicit(&e->key,
			    memory_order_acquire);
			if (key == h)
				return (e);
			if (key == 0) {
				pick = e;
				rank = 0;
				break;	/* h is never past a never-used place */
			}
			tat = atomic_load_explicit(&e->tat,
			    memory_order_relaxed);
			if (tat <= now) {
				if (rank > 1) {
					pick = e;
					rank = 1;
				}
			} else if (rank == 3 || (rank == 2 && tat < best)) {
				pick = e;
				rank = 2;
				best = tat;
			}
		}
		if (pick == NULL)
			return (NULL);
		old = atomic_load_explicit(&pick->key, memory_order_relaxed);
		if (old == h)
			return (pick);
		if (!atomic_compare_exchange_strong(&pick->key, &old, h))
			continue;	/* another process took it: look again */
		if (rank == 2)		/* not the old client's debt */
			atomic_store_explicit(&pick->tat, now,
			    memory_order_relaxed);
		return (pick);
	}
	return (NULL);
}

/*
 * GCRA, the token bucket as one number per client: tat, the time at which
 * the bucket would be full again. A request at now finds the bucket
 * max(tat, now) - now behind full; it may take a token while that leaves
 * one (behind + t <= burst * t), and moves tat on by t.
 */
int
lim_rate_take(const struct shm *s, const struct sockaddr *peer, double rate,
    uint32_t burst, double now, double *retry_after)
{
	struct lim_rentry *e;
	struct lim_key k;
	int64_t t, full, tnow, tat, base, next;
	double tt;

	*retry_after = 0;
	if (!(rate > 0) || !isfinite(now) || key_of(peer, &k) == -1)
		return (1);
	/* one token's time in ns, 1 ns .. 1000 s; at most 10^6 tokens */
	tt = 1e9 / rate;
	t = tt < 1 ? 1 : tt > 1e12 ? (int64_t)1e12 : (int64_t)(tt + 0.5);
	if (burst == 0)
		burst = 1;
	if (burst > 1000000)
		burst = 1000000;
	full = t * (int64_t)burst;
	/* over a century of uptime, or before boot: the clock is wrong */
	tnow = now < 0 ? 0 : now > 4e9 ? (int64_t)4e18 :
	    (int64_t)(now * 1e9);
	if ((e = bucket(s, hash_of(s, &k), tnow)) == NULL)
		return (1);
	tat = atomic_load_explicit(&e->tat, memory_order_relaxed);
	for (;;) {
		base = tat > tnow ? tat : tnow;
		/*
		 * More than a full bucket behind cannot happen while time
		 * moves forward: the clock went back (or another address
		 * shares the hash). The bucket moves to the new clock, empty:
		 * never more than one token's wait.
		 */
		if (base - tnow > full) {
			next = tnow + full;
			if (atomic_compare_exchange_weak(&e->tat, &tat, next))
				tat = next;
			continue;
		}
		if (base - tnow + t > full) {
			*retry_after = (double)(base - tnow + t - full) / 1e9;
			return (0);
		}
		next = base + t;
		if (atomic_compare_exchange_weak(&e->tat, &tat, next))
			return (1);
		/* another process took a token: tat is fresh, again */
	}
}

/* ---- tunnels ---------------------------------------------------------- */

uint32_t
lim_tunnels(const struct shm *s)
{
	uint32_t i, n = 0;

	for (i = 0; i < s->hdr->nslots; i = sb_scan_next(s, i))
		n += atomic_load(&sb_slot(s, i)->state) == SB_TUNNEL;
	return (n);
}

int
lim_tunnel_take(const struct shm *s, struct sb_slot *self, uint32_t max)
{
	uint8_t prev = atomic_load(&self->state);

	if (prev == SB_TUNNEL)
		return (1);
	/* seq_cst store, then seq_cst loads: racing takers see each other */
	atomic_store(&self->state, SB_TUNNEL);
	if (lim_tunnels(s) <= max)
		return (1);
	atomic_store(&self->state, prev);
	return (0);
}
