#include "config.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <zlib.h>

#include "shared/futex.h"
#include "shared/store.h"

#define STORE_MAGIC	0x65726f7473726f70ULL	/* "porstore" */
#define NIL		0xffffffffu

/*
 * The eviction policy, chosen at compile time. S3-FIFO (Yang et al.,
 * SOSP 2023): new entries go to a small FIFO (about 10 % of the chunks);
 * one seen again while there moves to the main FIFO, the others leave
 * and their key hash goes to a ghost table; a new entry whose hash is a
 * ghost goes straight to main; main reinserts an entry with freq > 0
 * (freq - 1). CLOCK: one FIFO, an entry with freq > 0 gets a second
 * chance. t/unit/store_sim measures both through this code: Zipf keys
 * (100000 keys, 5089 fit, 2M requests) hit 0.608 (alpha 0.9) and 0.734
 * (alpha 1.0) with S3-FIFO, 0.540 and 0.683 with CLOCK. Moving to main
 * at freq >= 2 instead of 1 changes the third decimal only.
 */
#ifndef STORE_EVICT_CLOCK
#define STORE_EVICT_S3FIFO	1
#endif
/* freq at or above which a small-queue entry moves to main. */
#ifndef STORE_S3_MOVE
#define STORE_S3_MOVE		1
#endif
#define FREQ_MAX		3
/* Entries the expiry hand looks at per eviction. */
#define EXPIRY_LOOK		32
/* Dying entries one call collects to free after its lock; more: a sweep. */
#define DEAD_MAX		16

/* ---- the entry word: gen << 32 | linked << 19 | state << 16 | owner --- */

enum { S_FREE, S_FILLING, S_READY, S_DYING, S_PASS };

#define W_GEN(w)	((uint32_t)((w) >> 32))
#define W_STATE(w)	((int)(((w) >> 16) & 7))
#define W_OWNER(w)	((uint32_t)((w) & 0xffff))
#define W_LINKED	((uint64_t)1 << 19)	/* in its bucket chain */
#define W_STMASK	((uint64_t)7 << 16)
#define W_MAKE(g, s, o)	((uint64_t)(g) << 32 | (uint64_t)(s) << 16 | (o))

/* entry flags */
#define F_HEAD		0x01	/* vary and head published */
#define F_DONE		0x02	/* the whole body was published: a reader
				   that pinned it READY may finish it after
				   it is replaced or invalidated (DYING) */
/* scan(): the takeover's second scan, which ends the fill it replaces */
#define SCAN_KILL	0x100

#define F_TAKEN		0x04	/* a fill that took over a timed-out one:
				   never taken over itself */

/* eviction queues */
enum { Q_NONE, Q_SMALL, Q_MAIN, Q_N };

struct entry {
	_Atomic uint64_t	word;
	uint64_t		hash;
	struct store_meta	meta;
	uint32_t		next;		/* bucket chain (stripe lock) or
						   free list (allocator) */
	uint32_t		first;		/* first chunk */
	_Atomic uint32_t	published;	/* object bytes readers may
						   read, preamble included */
	_Atomic uint32_t	seq;		/* futex word: bumped on every
						   publish and state change */
	_Atomic uint32_t	waiters;	/* in store_wait now (a dead
						   waiter's stays: more wakes) */
	uint32_t		qprev, qnext;	/* eviction queue (allocator) */
	_Atomic uint8_t		freq;		/* 0..FREQ_MAX, hits */
	uint8_t			queue;		/* Q_* (allocator) */
	_Atomic uint8_t		flags;		/* F_* */
	uint8_t			pad;
	/* purge by tag (issue 14): a summary of the object's tags (two
	   bits per tag hash) and how many follow its vary blob; set before
	   F_HEAD is published, read under the stripe lock */
	uint64_t		tagsum;
	uint32_t		ntags;
	uint32_t		crc;		/* zlib crc32 of the object
						   after its preamble, set when
						   it becomes READY (cache.path
						   checks it after a crash) */
};

/*
 * The object's first bytes, in its first chunk: lengths the lookups and
 * readers need, and the filler's last chunk (only the filler reads it).
 * The key and the vary blob follow, in the first chunk too.
 */
struct preamble {
	uint32_t	klen, vlen, hlen;
	uint32_t	last;
};
#define PRE	((uint32_t)sizeof(struct preamble))

/* A chunk's header: its owner, so the free list can be rebuilt by scan. */
struct chunk {
	uint32_t	entry;		/* bit 31: mark, during a rebuild */
	uint32_t	gen;
	uint32_t	next;		/* the entry's next chunk, or free list */
	uint32_t	used;		/* bytes of payload written */
};
#define CHUNK_MARK	0x80000000u

struct hold {				/* written by its slot's worker (and
					   the master after reaping it) */
	_Atomic uint64_t	pin;	/* (idx << 32 | gen) + 1; 0 none */
	_Atomic uint64_t	fill;
	uint64_t		pad[6];	/* one cache line per slot */
};

struct lockline {
	pthread_mutex_t		m;
} __attribute__((aligned(64)));

struct ghost {
	uint64_t	hash;
	uint64_t	stamp;
};

struct store {
	uint64_t		magic;
	uint32_t		layout;
	uint32_t		entry_size;	/* sizeof(struct entry): layout */
	struct store_params	p;
	uint64_t		size;
	uint32_t		nentries, nbuckets, nchunks, nghost;
	uint32_t		payload;	/* chunk bytes after the header */
	uint64_t		off_holds, off_entries, off_buckets,
				off_ghost, off_chunks;
	_Atomic int64_t		now;		/* the last lookup's now_ms */
	_Atomic uint64_t	c[STORE_C_MAX];
	_Atomic uint32_t	chunks_free, entries_free;

	struct lockline		stripe[STORE_STRIPES];
	struct lockline		alloc;
	/* under the allocator lock */
	uint32_t		free_chunk, free_entry;
	uint32_t		qhead[Q_N], qtail[Q_N], qlen[Q_N];
	uint64_t		ghost_clock;
	uint32_t		hand;		/* expiry hand over entries */
	/* persistence (cache.path) */
	_Atomic uint32_t	clean;		/* 1: the last porter to use the
						   file stopped cleanly */
} __attribute__((aligned(64)));

static const char *const counter_names[] = {
#define STORE_C_NAME(name, text)	text,
	STORE_COUNTERS(STORE_C_NAME)
#undef STORE_C_NAME
};

_Static_assert(sizeof(struct entry) <= 128, "entry too big");
_Static_assert(sizeof(struct entry) == 120, "entry size changed: layout");
_Static_assert(sizeof(struct chunk) == 16, "chunk header");

/* ---- addressing --------------------------------------------------------- */

static inline struct hold *
holds(struct store *st)
{
	return ((struct hold *)((char *)st + st->off_holds));
}

static inline struct entry *
ent(struct store *st, uint32_t i)
{
	return ((struct entry *)((char *)st + st->off_entries) + i);
}

static inline uint32_t *
buckets(struct store *st)
{
	return ((uint32_t *)((char *)st + st->off_buckets));
}

static inline struct ghost *
ghosts(struct store *st)
{
	return ((struct ghost *)((char *)st + st->off_ghost));
}

static inline struct chunk *
chk(struct store *st, uint32_t c)
{
	return ((struct chunk *)((char *)st + st->off_chunks +
	    (uint64_t)c * st->p.chunk_size));
}

static inline char *
cdata(struct store *st, uint32_t c)
{
	return ((char *)(chk(st, c) + 1));
}

static inline struct preamble *
pre_of(struct store *st, struct entry *e)
{
	return ((struct preamble *)cdata(st, e->first));
}

static inline uint32_t
bucket_of(struct store *st, uint64_t h)
{
	return ((uint32_t)(h & (st->nbuckets - 1)));
}

static inline uint32_t
stripe_of(uint32_t b)
{
	return (b % STORE_STRIPES);
}

static inline uint64_t
hold_val(uint32_t idx, uint32_t gen)
{
	return (((uint64_t)idx << 32 | gen) + 1);
}

static inline void
count(struct store *st, int c)
{
	atomic_fetch_add_explicit(&st->c[c], 1, memory_order_relaxed);
}

/* ---- sizes and layout -------------------------------------------------- */

struct lay {
	uint32_t	nentries, nbuckets, nchunks, nghost;
	uint64_t	off_holds, off_entries, off_buckets, off_ghost,
			off_chunks, size;
};

static uint64_t
round64(uint64_t n)
{
	return ((n + 63) & ~(uint64_t)63);
}

static uint32_t
pow2ceil(uint32_t n)
{
	uint32_t p = 1;

	while (p < n && p < 0x80000000u)
		p <<= 1;
	return (p);
}

static int
layout(const struct store_params *p, struct lay *l)
{
	uint64_t fixed, per, n, end;

	if (p == NULL || p->size < STORE_MIN_SIZE ||
	    p->chunk_size < STORE_CHUNK_MIN ||
	    p->chunk_size > STORE_CHUNK_MAX ||
	    (p->chunk_size & (p->chunk_size - 1)) != 0 ||
	    p->nslots == 0 || p->nslots > 65535 || p->max_variants == 0)
		return (-1);
	l->size = round64(p->size);
	l->off_holds = round64(sizeof(struct store));
	l->off_entries = round64(l->off_holds +
	    (uint64_t)p->nslots * sizeof(struct hold));
	fixed = l->off_entries + 4 * 64;
	if (fixed >= l->size)
		return (-1);
	/* an entry per chunk (every object has one); buckets and ghosts up
	   to twice that, being powers of two */
	per = p->chunk_size + sizeof(struct entry) + 2 * sizeof(uint32_t) +
	    2 * sizeof(struct ghost);
	n = (l->size - fixed) / per;
	if (n < 1)
		return (-1);
	if (n > 0x40000000u)
		n = 0x40000000u;
	l->nentries = (uint32_t)n;
	l->nbuckets = pow2ceil(l->nentries);
	if (l->nbuckets < STORE_STRIPES)
		l->nbuckets = STORE_STRIPES;
	l->nghost = pow2ceil(l->nentries);
	l->off_buckets = round64(l->off_entries +
	    (uint64_t)l->nentries * sizeof(struct entry));
	l->off_ghost = round64(l->off_buckets +
	    (uint64_t)l->nbuckets * sizeof(uint32_t));
	l->off_chunks = round64(l->off_ghost +
	    (uint64_t)l->nghost * sizeof(struct ghost));
	if (l->off_chunks >= l->size)
		return (-1);
	end = (l->size - l->off_chunks) / p->chunk_size;
	if (end < 1)
		return (-1);
	if (end > 0x7fffffffu)
		end = 0x7fffffffu;
	l->nchunks = (uint32_t)end;
	if (l->nentries > l->nchunks)
		l->nentries = l->nchunks;
	return (0);
}

int64_t
store_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

size_t
store_size(const struct store_params *p)
{
	struct lay l;

	if (layout(p, &l) == -1)
		return (0);
	return ((size_t)l.size);
}

static int
mutex_make(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int e;

	if ((e = pthread_mutexattr_init(&a)) != 0)
		return (e);
	if ((e = pthread_mutexattr_setpshared(&a,
	    PTHREAD_PROCESS_SHARED)) == 0 &&
	    (e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) == 0)
		e = pthread_mutex_init(m, &a);
	(void)pthread_mutexattr_destroy(&a);
	return (e);
}

int
store_init(void *at, const struct store_params *p)
{
	struct store *st = at;
	struct lay l;
	uint32_t i;
	int e;

	if (layout(p, &l) == -1) {
		errno = EINVAL;
		return (-1);
	}
	st->p = *p;
	st->size = l.size;
	st->entry_size = sizeof(struct entry);
	st->nentries = l.nentries;
	st->nbuckets = l.nbuckets;
	st->nchunks = l.nchunks;
	st->nghost = l.nghost;
	st->payload = p->chunk_size - (uint32_t)sizeof(struct chunk);
	st->off_holds = l.off_holds;
	st->off_entries = l.off_entries;
	st->off_buckets = l.off_buckets;
	st->off_ghost = l.off_ghost;
	st->off_chunks = l.off_chunks;
	for (i = 0; i < STORE_STRIPES; i++)
		if ((e = mutex_make(&st->stripe[i].m)) != 0) {
			errno = e;
			return (-1);
		}
	if ((e = mutex_make(&st->alloc.m)) != 0) {
		errno = e;
		return (-1);
	}
	for (i = 0; i < st->nbuckets; i++)
		buckets(st)[i] = NIL;
	/* free lists in index order: low indexes are used first */
	for (i = 0; i < st->nentries; i++)
		ent(st, i)->next = i + 1 < st->nentries ? i + 1 : NIL;
	st->free_entry = 0;
	for (i = 0; i < st->nchunks; i++)
		chk(st, i)->next = i + 1 < st->nchunks ? i + 1 : NIL;
	st->free_chunk = 0;
	atomic_store(&st->chunks_free, st->nchunks);
	atomic_store(&st->entries_free, st->nentries);
	for (i = 0; i < Q_N; i++)
		st->qhead[i] = st->qtail[i] = NIL;
	st->layout = STORE_LAYOUT;
	atomic_thread_fence(memory_order_release);
	st->magic = STORE_MAGIC;
	return (0);
}

struct store *
store_at(void *at)
{
	struct store *st = at;

	if (st == NULL || ((uintptr_t)at & 63) != 0 ||
	    st->magic != STORE_MAGIC ||
	    st->layout != STORE_LAYOUT ||
	    st->entry_size != sizeof(struct entry))
		return (NULL);
	return (st);
}

/* ---- entry state ------------------------------------------------------- */

/* Tell sleepers the entry changed: seq bumped, a wake only if any sleep. */
static void
bump(struct entry *e)
{
	atomic_fetch_add(&e->seq, 1);
	if (atomic_load(&e->waiters) > 0)
		(void)futex_wake(&e->seq, INT_MAX);
}

/* Make (idx, gen) DYING from a live state; 1 if this call did. */
static int
kill(struct store *st, uint32_t idx, uint32_t gen)
{
	struct entry *e = ent(st, idx);
	uint64_t w = atomic_load(&e->word), nw;
	int s;

	do {
		s = W_STATE(w);
		if (W_GEN(w) != gen || s == S_FREE || s == S_DYING)
			return (0);
		nw = (w & ~W_STMASK) | (uint64_t)S_DYING << 16;
	} while (!atomic_compare_exchange_weak(&e->word, &w, nw));
	bump(e);
	return (1);
}

/* Does any hold name (idx, gen)? */
static int
held(struct store *st, uint32_t idx, uint32_t gen)
{
	struct hold *h = holds(st);
	uint64_t v = hold_val(idx, gen);
	uint32_t i;

	for (i = 0; i < st->p.nslots; i++)
		if (atomic_load(&h[i].pin) == v ||
		    atomic_load(&h[i].fill) == v)
			return (1);
	return (0);
}

/* Readers pinning (idx, gen) now. */
static uint32_t
pinned_by(struct store *st, uint32_t idx, uint32_t gen)
{
	struct hold *h = holds(st);
	uint64_t v = hold_val(idx, gen);
	uint32_t i, n = 0;

	for (i = 0; i < st->p.nslots; i++)
		if (atomic_load(&h[i].pin) == v)
			n++;
	return (n);
}

/*
 * Pin (idx, gen) in hold h: store the pin, then look at the word again.
 * Whoever makes an entry DYING scans the holds after: either it sees
 * this pin, or this sees DYING. 1 pinned, 0 not (it is going).
 */
static int
pin(struct store *st, struct hold *h, uint32_t idx, uint32_t gen)
{
	uint64_t w;
	int s;

	atomic_store(&h->pin, hold_val(idx, gen));
	w = atomic_load(&ent(st, idx)->word);
	s = W_STATE(w);
	if (W_GEN(w) == gen && (s == S_READY || s == S_FILLING))
		return (1);
	atomic_store(&h->pin, 0);
	return (0);
}

/* ---- locks ------------------------------------------------------------- */

static void wipe_stripe(struct store *, uint32_t);
static uint32_t object_crc(struct store *, struct entry *, uint32_t);
static void rebuild(struct store *);
static int sweep_locked(struct store *);

/* 1 if the last owner died: the stripe was wiped (the caller sweeps
   once it holds no stripe). */
static int
stripe_lock(struct store *st, uint32_t s)
{
	int e = pthread_mutex_lock(&st->stripe[s].m);

	if (e == EOWNERDEAD) {
		wipe_stripe(st, s);
		(void)pthread_mutex_consistent(&st->stripe[s].m);
		count(st, STORE_C_RECOVERIES);
		return (1);
	}
	assert(e == 0);
	return (0);
}

/* trylock: 0 taken, 1 taken after a wipe, -1 busy. */
static int
stripe_trylock(struct store *st, uint32_t s)
{
	int e = pthread_mutex_trylock(&st->stripe[s].m);

	if (e == EOWNERDEAD) {
		wipe_stripe(st, s);
		(void)pthread_mutex_consistent(&st->stripe[s].m);
		count(st, STORE_C_RECOVERIES);
		return (1);
	}
	return (e == 0 ? 0 : -1);
}

static void
stripe_unlock(struct store *st, uint32_t s)
{
	(void)pthread_mutex_unlock(&st->stripe[s].m);
}

static void
alloc_lock(struct store *st)
{
	int e = pthread_mutex_lock(&st->alloc.m);

	if (e == EOWNERDEAD) {
		rebuild(st);
		(void)pthread_mutex_consistent(&st->alloc.m);
		count(st, STORE_C_RECOVERIES);
		return;
	}
	assert(e == 0);
}

static int
alloc_trylock(struct store *st)
{
	int e = pthread_mutex_trylock(&st->alloc.m);

	if (e == EOWNERDEAD) {
		rebuild(st);
		(void)pthread_mutex_consistent(&st->alloc.m);
		count(st, STORE_C_RECOVERIES);
		return (0);
	}
	return (e == 0 ? 0 : -1);
}

static void
alloc_unlock(struct store *st)
{
	(void)pthread_mutex_unlock(&st->alloc.m);
}

/* ---- bucket chains (under the stripe lock) ----------------------------- */

static void
link_entry(struct store *st, uint32_t b, uint32_t idx)
{
	struct entry *e = ent(st, idx);

	/* linked before it is in the chain: a wipe after a death between
	   the two finds it by its flag */
	atomic_fetch_or(&e->word, W_LINKED);
	e->next = buckets(st)[b];
	buckets(st)[b] = idx;
}

/* Take idx out of bucket b's chain (if there) and clear its flag. */
static void
unlink_entry(struct store *st, uint32_t b, uint32_t idx)
{
	uint32_t *pp = &buckets(st)[b], n = 0;

	while (*pp != NIL && n++ <= st->nentries) {
		if (*pp == idx) {
			*pp = ent(st, idx)->next;
			break;
		}
		pp = &ent(st, *pp)->next;
	}
	atomic_fetch_and(&ent(st, idx)->word, ~W_LINKED);
}

/*
 * The stripe's last owner died, maybe mid-change of a chain: drop every
 * entry of the stripe's chains. They are found by their linked flag and
 * hash, not by the chains, which may be torn. They are freed later,
 * once unheld (a sweep).
 */
static void
wipe_stripe(struct store *st, uint32_t s)
{
	uint32_t i;
	uint64_t w;

	for (i = s; i < st->nbuckets; i += STORE_STRIPES)
		buckets(st)[i] = NIL;
	for (i = 0; i < st->nentries; i++) {
		struct entry *e = ent(st, i);

		w = atomic_load(&e->word);
		if (W_STATE(w) == S_FREE || !(w & W_LINKED) ||
		    stripe_of(bucket_of(st, e->hash)) != s)
			continue;
		(void)kill(st, i, W_GEN(w));
		atomic_fetch_and(&e->word, ~W_LINKED);
	}
}

/* ---- eviction queues and the free lists (under the allocator lock) ---- */

static void
q_remove(struct store *st, uint32_t idx)
{
	struct entry *e = ent(st, idx);
	int q = e->queue;

	if (q == Q_NONE)
		return;
	if (e->qprev != NIL)
		ent(st, e->qprev)->qnext = e->qnext;
	else
		st->qhead[q] = e->qnext;
	if (e->qnext != NIL)
		ent(st, e->qnext)->qprev = e->qprev;
	else
		st->qtail[q] = e->qprev;
	st->qlen[q]--;
	e->queue = Q_NONE;
	e->qprev = e->qnext = NIL;
}

/* At the head (newest end) of queue q. */
static void
q_push(struct store *st, int q, uint32_t idx)
{
	struct entry *e = ent(st, idx);

	e->queue = (uint8_t)q;
	e->qprev = NIL;
	e->qnext = st->qhead[q];
	if (st->qhead[q] != NIL)
		ent(st, st->qhead[q])->qprev = idx;
	else
		st->qtail[q] = idx;
	st->qhead[q] = idx;
	st->qlen[q]++;
}

static void
q_move(struct store *st, uint32_t idx, int q)
{
	q_remove(st, idx);
	q_push(st, q, idx);
}

#ifdef STORE_EVICT_S3FIFO
static int
ghost_has(struct store *st, uint64_t h)
{
	struct ghost *g = &ghosts(st)[h & (st->nghost - 1)];
	uint64_t window = st->qlen[Q_SMALL] + st->qlen[Q_MAIN] + 1;

	return (g->hash == h && st->ghost_clock - g->stamp <= window);
}

static void
ghost_add(struct store *st, uint64_t h)
{
	struct ghost *g = &ghosts(st)[h & (st->nghost - 1)];

	g->hash = h;
	g->stamp = ++st->ghost_clock;
}
#endif

/*
 * Free (idx, gen) if it is DYING, out of its chain and held by nobody:
 * its chunks and record back to the free lists. The CAS to FREE makes
 * exactly one freer. 1 if freed.
 */
static int
free_locked(struct store *st, uint32_t idx, uint32_t gen)
{
	struct entry *e = ent(st, idx);
	uint64_t w = atomic_load(&e->word);
	uint32_t c, n = 0, next;

	if (W_GEN(w) != gen || W_STATE(w) != S_DYING || (w & W_LINKED))
		return (0);
	if (held(st, idx, gen))
		return (0);
	if (!atomic_compare_exchange_strong(&e->word, &w,
	    W_MAKE(gen, S_FREE, 0)))
		return (0);
	for (c = e->first; c != NIL && n <= st->nchunks; c = next) {
		next = chk(st, c)->next;
		chk(st, c)->entry = NIL;
		chk(st, c)->next = st->free_chunk;
		st->free_chunk = c;
		n++;
	}
	e->first = NIL;
	atomic_fetch_add(&st->chunks_free, n);
	q_remove(st, idx);
	atomic_store(&e->flags, 0);
	e->next = st->free_entry;
	st->free_entry = idx;
	atomic_fetch_add(&st->entries_free, 1);
	return (1);
}

static void
try_free(struct store *st, uint32_t idx, uint32_t gen)
{
	alloc_lock(st);
	(void)free_locked(st, idx, gen);
	alloc_unlock(st);
}

/* Every DYING entry out of its chain and unheld, freed. */
static int
sweep_locked(struct store *st)
{
	uint32_t i;
	uint64_t w;
	int n = 0;

	for (i = 0; i < st->nentries; i++) {
		w = atomic_load(&ent(st, i)->word);
		if (W_STATE(w) == S_DYING && !(w & W_LINKED))
			n += free_locked(st, i, W_GEN(w));
	}
	return (n);
}

/*
 * The allocator lock's last owner died: free lists, queues and levels
 * may be torn. Chunks in use are those on a live entry's chain (walked
 * and marked, each header checked); all others are free. Entries not
 * FREE go back to the main queue, in index order.
 */
static void
rebuild(struct store *st)
{
	uint32_t i, c, n;
	uint64_t w;
	int q;

	for (i = 0; i < st->nchunks; i++)
		if (chk(st, i)->entry != NIL)
			chk(st, i)->entry &= ~CHUNK_MARK;
	for (q = 0; q < Q_N; q++) {
		st->qhead[q] = st->qtail[q] = NIL;
		st->qlen[q] = 0;
	}
	st->free_entry = NIL;
	n = 0;
	for (i = st->nentries; i-- > 0;) {
		struct entry *e = ent(st, i);
		uint32_t *pp;

		w = atomic_load(&e->word);
		e->queue = Q_NONE;
		e->qprev = e->qnext = NIL;
		if (W_STATE(w) == S_FREE) {
			e->next = st->free_entry;
			st->free_entry = i;
			n++;
			continue;
		}
		/* the chain up to the first chunk that is not this entry's */
		for (pp = &e->first; *pp != NIL; pp = &chk(st, *pp)->next) {
			c = *pp;
			if (c >= st->nchunks || chk(st, c)->entry != i ||
			    chk(st, c)->gen != W_GEN(w)) {
				*pp = NIL;
				break;
			}
			chk(st, c)->entry |= CHUNK_MARK;
		}
		q_push(st, Q_MAIN, i);
	}
	atomic_store(&st->entries_free, n);
	st->free_chunk = NIL;
	n = 0;
	for (i = st->nchunks; i-- > 0;) {
		struct chunk *ch = chk(st, i);

		if (ch->entry != NIL && (ch->entry & CHUNK_MARK)) {
			ch->entry &= ~CHUNK_MARK;
			continue;
		}
		ch->entry = NIL;
		ch->next = st->free_chunk;
		st->free_chunk = i;
		n++;
	}
	atomic_store(&st->chunks_free, n);
	(void)sweep_locked(st);
}

/* Is idx a candidate now: READY or PASS (or DYING, for its last
   steps) and held by nobody? */
static int
evictable(struct store *st, uint32_t idx, uint64_t *wp)
{
	uint64_t w = atomic_load(&ent(st, idx)->word);
	int s = W_STATE(w);

	*wp = w;
	if (s != S_READY && s != S_PASS && s != S_DYING)
		return (0);
	return (!held(st, idx, W_GEN(w)));
}

/*
 * Drop idx (allocator lock held, no stripe lock): DYING, out of its
 * chain (the stripe lock taken: allocator then stripe is the order),
 * freed if nobody pinned it meanwhile. *killed: this call made it
 * DYING. 1 if it was freed.
 */
static int
evict_entry(struct store *st, uint32_t idx, uint64_t w, int *killed)
{
	struct entry *e = ent(st, idx);
	uint32_t b = bucket_of(st, e->hash), s = stripe_of(b);
	int wiped;

	*killed = kill(st, idx, W_GEN(w));
	if (atomic_load(&e->word) & W_LINKED) {
		wiped = stripe_lock(st, s);
		if (atomic_load(&e->word) & W_LINKED)
			unlink_entry(st, b, idx);
		stripe_unlock(st, s);
		if (wiped)
			(void)sweep_locked(st);
	}
	return (free_locked(st, idx, W_GEN(w)));
}

/* The expiry hand: an expired entry nobody holds, dropped. 1 if found. */
static int
evict_expired(struct store *st)
{
	int64_t now = atomic_load_explicit(&st->now, memory_order_relaxed);
	uint32_t k, i;
	uint64_t w;
	int s, killed, freed;

	for (k = 0; k < EXPIRY_LOOK && k < st->nentries; k++) {
		i = st->hand++;
		if (st->hand >= st->nentries)
			st->hand = 0;
		if (i >= st->nentries)
			continue;
		/* the cheap tests first: the hold scan is the dear one */
		w = atomic_load(&ent(st, i)->word);
		s = W_STATE(w);
		if ((s != S_READY && s != S_PASS) ||
		    ent(st, i)->meta.expires > now || !evictable(st, i, &w))
			continue;
		freed = evict_entry(st, i, w, &killed);
		if (killed)
			count(st, STORE_C_EXPIRED_EVICTIONS);
		if (freed)
			return (1);
	}
	return (0);
}

/*
 * One entry dropped to make room, by the policy. Entries held or
 * filling are passed over (back to their queue's head). 1 if one went,
 * 0 if nothing can go.
 */
static int
evict_one(struct store *st)
{
	uint32_t tries, bound, idx;
	uint64_t w;
	int q, killed, freed;

	if (evict_expired(st))
		return (1);
	bound = 2 * (st->qlen[Q_SMALL] + st->qlen[Q_MAIN]) + 8;
	for (tries = 0; tries < bound; tries++) {
#ifdef STORE_EVICT_S3FIFO
		/* the small queue's share: a tenth of the objects */
		if (st->qlen[Q_SMALL] > 0 && (st->qlen[Q_MAIN] == 0 ||
		    st->qlen[Q_SMALL] * 10 >= st->qlen[Q_SMALL] +
		    st->qlen[Q_MAIN]))
			q = Q_SMALL;
		else
			q = Q_MAIN;
#else
		q = Q_MAIN;
#endif
		idx = st->qtail[q];
		if (idx == NIL)
			return (0);
		if (!evictable(st, idx, &w)) {
			q_move(st, idx, q);
			continue;
		}
		if (W_STATE(w) == S_DYING) {
			/* dropped already, left for its last holder or a
			   chain walker: finish it now */
			if (evict_entry(st, idx, w, &killed))
				return (1);
			q_move(st, idx, q);
			continue;
		}
#ifdef STORE_EVICT_S3FIFO
		if (q == Q_SMALL) {
			if (atomic_load(&ent(st, idx)->freq) >= STORE_S3_MOVE) {
				atomic_store(&ent(st, idx)->freq, 0);
				q_move(st, idx, Q_MAIN);
				continue;
			}
			ghost_add(st, ent(st, idx)->hash);
		} else if (atomic_load(&ent(st, idx)->freq) > 0) {
			atomic_fetch_sub(&ent(st, idx)->freq, 1);
			q_move(st, idx, Q_MAIN);
			continue;
		}
#else
		if (atomic_load(&ent(st, idx)->freq) > 0) {
			atomic_store(&ent(st, idx)->freq, 0);
			q_move(st, idx, Q_MAIN);
			continue;
		}
#endif
		freed = evict_entry(st, idx, w, &killed);
		if (killed)
			count(st, STORE_C_EVICTIONS);
		if (freed)
			return (1);
		if (killed)	/* pinned meanwhile: its holder frees it */
			q_move(st, idx, q);
	}
	return (0);
}

static uint32_t
chunk_take(struct store *st)
{
	uint32_t c;

	while (st->free_chunk == NIL)
		if (!evict_one(st))
			return (NIL);
	c = st->free_chunk;
	st->free_chunk = chk(st, c)->next;
	atomic_fetch_sub(&st->chunks_free, 1);
	return (c);
}

/*
 * A chunk for (idx, gen), after chunk prev (NIL: its first). Its header
 * is written before it is linked, so a rebuild never finds it on a
 * chain it does not name. NIL if none can be had.
 */
static uint32_t
chunk_add(struct store *st, uint32_t idx, uint32_t gen, uint32_t prev)
{
	struct entry *e = ent(st, idx);
	struct chunk *ch;
	uint32_t c = chunk_take(st);

	if (c == NIL)
		return (NIL);
	ch = chk(st, c);
	ch->gen = gen;
	ch->next = NIL;
	ch->used = 0;
	ch->entry = idx;
	if (prev == NIL)
		e->first = c;
	else
		chk(st, prev)->next = c;
	return (c);
}

/*
 * A new FILLING entry owned by slot, in an eviction queue, with its
 * first chunk, the key in it; not linked. With fill, recorded as the
 * slot's fill (the filler writes it while others may drop it); without,
 * nothing can free it before it is linked but the release of a dead
 * owner. Allocator lock held. NIL if no entry or chunk can be had.
 */
static uint32_t
entry_new(struct store *st, uint32_t slot, uint64_t h, const char *key,
    uint32_t klen, int64_t now, int fill, uint32_t *genp)
{
	struct entry *e;
	struct preamble *pre;
	uint32_t idx, gen, c;

	while (st->free_entry == NIL)
		if (!evict_one(st))
			return (NIL);
	idx = st->free_entry;
	e = ent(st, idx);
	st->free_entry = e->next;
	atomic_fetch_sub(&st->entries_free, 1);
	gen = W_GEN(atomic_load(&e->word)) + 1;
	if (gen == 0)
		gen = 1;
	e->hash = h;
	memset(&e->meta, 0, sizeof(e->meta));
	e->meta.fill_started = now;
	e->next = NIL;
	e->first = NIL;
	atomic_store(&e->published, 0);
	atomic_store(&e->waiters, 0);
	atomic_store(&e->freq, 0);
	atomic_store(&e->flags, 0);
	e->tagsum = 0;
	e->ntags = 0;
	e->queue = Q_NONE;
	e->qprev = e->qnext = NIL;
	atomic_store(&e->word, W_MAKE(gen, S_FILLING, slot));
	if (fill)
		atomic_store(&holds(st)[slot].fill, hold_val(idx, gen));
#ifdef STORE_EVICT_S3FIFO
	q_push(st, ghost_has(st, h) ? Q_MAIN : Q_SMALL, idx);
#else
	q_push(st, Q_MAIN, idx);
#endif
	c = chunk_add(st, idx, gen, NIL);
	if (c == NIL) {
		q_remove(st, idx);
		if (fill)
			atomic_store(&holds(st)[slot].fill, 0);
		atomic_store(&e->word, W_MAKE(gen, S_FREE, 0));
		e->next = st->free_entry;
		st->free_entry = idx;
		atomic_fetch_add(&st->entries_free, 1);
		return (NIL);
	}
	pre = (struct preamble *)cdata(st, c);
	pre->klen = klen;
	pre->vlen = pre->hlen = 0;
	pre->last = c;
	memcpy(cdata(st, c) + PRE, key, klen);
	chk(st, c)->used = PRE + klen;
	atomic_store(&e->published, PRE + klen);
	*genp = gen;
	return (idx);
}

/* ---- lookup ------------------------------------------------------------ */

struct dead {
	uint32_t	n;
	struct store_ref r[DEAD_MAX];
	int		overflow;
};

/* idx (DYING now, made so by the caller) out of chain b, to free later. */
static void
drop_linked(struct store *st, uint32_t b, uint32_t idx, struct dead *d)
{
	unlink_entry(st, b, idx);
	if (d->n < DEAD_MAX) {
		d->r[d->n].idx = idx;
		d->r[d->n].gen = W_GEN(atomic_load(&ent(st, idx)->word));
		d->n++;
	} else
		d->overflow = 1;
}

/* After the stripe lock is let go: free what was dropped, if unheld. */
static void
dead_free(struct store *st, struct dead *d, int wiped)
{
	uint32_t i;

	if (d->n == 0 && !d->overflow && !wiped)
		return;
	alloc_lock(st);
	for (i = 0; i < d->n; i++)
		(void)free_locked(st, d->r[i].idx, d->r[i].gen);
	if (d->overflow || wiped)
		(void)sweep_locked(st);
	alloc_unlock(st);
}

static int
key_eq(struct store *st, struct entry *e, uint64_t h, const char *key,
    uint32_t klen)
{
	struct preamble *pre;

	if (e->hash != h || e->first == NIL)
		return (0);
	pre = pre_of(st, e);
	return (pre->klen == klen && memcmp((char *)(pre + 1), key, klen) == 0);
}

struct found {
	uint32_t	hit, hitgen;
	uint32_t	fill, fillgen;
	int		pass;
	uint32_t	nvariants;
};

/*
 * Walk chain b (stripe lock held) for key: dying entries met are
 * unlinked (to be freed after), expired PASS entries and, on takeover,
 * FILLING ones made DYING.
 */
static void
scan(struct store *st, uint32_t b, uint64_t h, const char *key,
    uint32_t klen, int (*match)(void *, const char *, uint32_t), void *arg,
    int skip, int64_t now, struct found *f, struct dead *d)
{
	uint32_t i = buckets(st)[b], next, n = 0;
	uint64_t w;

	memset(f, 0, sizeof(*f));
	f->hit = f->fill = NIL;
	for (; i != NIL && n++ <= st->nentries; i = next) {
		struct entry *e = ent(st, i);
		struct preamble *pre;
		int s;

		next = e->next;
		w = atomic_load(&e->word);
		s = W_STATE(w);
		if (s == S_DYING || s == S_FREE) {
			drop_linked(st, b, i, d);
			continue;
		}
		if (!key_eq(st, e, h, key, klen))
			continue;
		switch (s) {
		case S_READY:
			f->nvariants++;
			if (f->hit != NIL || (skip & STORE_SKIP_READY))
				break;
			pre = pre_of(st, e);
			if (match == NULL || match(arg, (char *)(pre + 1) +
			    klen, pre->vlen)) {
				f->hit = i;
				f->hitgen = W_GEN(w);
			}
			break;
		case S_FILLING:
			/*
			 * A takeover ends only a fill older than the collapse
			 * timeout: the first waiter to time out replaces it,
			 * the others then wait on that new fill.
			 */
			if ((skip & STORE_SKIP_TAKEOVER) && now -
			    e->meta.fill_started >= (int64_t)st->p.collapse_ms &&
			    !(atomic_load(&e->flags) & F_TAKEN)) {
				/*
				 * Ended only by the scan that links its
				 * replacement, in the same hold of the lock:
				 * its waiters, woken, find the new fill.
				 */
				if ((skip & SCAN_KILL) && kill(st, i, W_GEN(w)))
					drop_linked(st, b, i, d);
			} else if (!(skip & STORE_SKIP_FILLING) &&
			    f->fill == NIL) {
				f->fill = i;
				f->fillgen = W_GEN(w);
			}
			break;
		case S_PASS:
			if (e->meta.expires > now)
				f->pass = 1;
			else if (kill(st, i, W_GEN(w)))
				drop_linked(st, b, i, d);
			break;
		}
	}
}

/* What a scan found, as a result: pins a hit or a fill to wait on. */
static enum store_rc
found_rc(struct store *st, struct hold *hd, struct found *f,
    struct store_ref *out)
{
	if (f->hit != NIL && pin(st, hd, f->hit, f->hitgen)) {
		out->idx = f->hit;
		out->gen = f->hitgen;
		return (STORE_HIT);
	}
	if (f->pass)
		return (STORE_PASS);
	if (f->fill != NIL) {
		if (st->p.max_waiters > 0 && pinned_by(st, f->fill,
		    f->fillgen) >= st->p.max_waiters) {
			count(st, STORE_C_BUSY);
			return (STORE_BUSY);
		}
		if (pin(st, hd, f->fill, f->fillgen)) {
			out->idx = f->fill;
			out->gen = f->fillgen;
			return (STORE_WAIT);
		}
	}
	return (STORE_MISS);
}

/* Entries store_lookup_fast looks at, at most, before it gives up. */
#define FAST_STEPS	32

enum store_rc
store_lookup_fast(struct store *st, uint32_t slot, uint64_t h,
    const char *key, uint32_t klen,
    int (*match)(void *, const char *, uint32_t), void *arg,
    struct store_ref *out)
{
	struct hold *hd = &holds(st)[slot];
	uint32_t i, n, next;

	assert(slot < st->p.nslots);
	if (atomic_load(&hd->pin) != 0)
		store_unpin(st, slot);
	/*
	 * No lock: the chain may change under the walk (entries unlinked,
	 * freed, reused), so its links are read atomically, bounded by the
	 * table and the step count, and are only hints. A candidate counts
	 * once pinned and still READY at the generation read: from then on
	 * its key, vary and head do not change and its memory stays.
	 */
	i = __atomic_load_n(&buckets(st)[bucket_of(st, h)], __ATOMIC_ACQUIRE);
	for (n = 0; i != NIL && i < st->nentries && n < FAST_STEPS; n++) {
		struct entry *e = ent(st, i);
		uint64_t w = atomic_load(&e->word);
		struct preamble *pre;

		next = __atomic_load_n(&e->next, __ATOMIC_RELAXED);
		if (W_STATE(w) == S_READY &&
		    __atomic_load_n(&e->hash, __ATOMIC_RELAXED) == h &&
		    pin(st, hd, i, W_GEN(w))) {
			pre = pre_of(st, e);
			if (W_STATE(atomic_load(&e->word)) == S_READY &&
			    pre->klen == klen &&
			    memcmp((char *)(pre + 1), key, klen) == 0 &&
			    (match == NULL || match(arg, (char *)(pre + 1) +
			    klen, pre->vlen))) {
				out->idx = i;
				out->gen = W_GEN(w);
				return (STORE_HIT);
			}
			store_unpin(st, slot);
		}
		i = next;
	}
	return (STORE_MISS);
}

enum store_rc
store_lookup(struct store *st, uint32_t slot, uint64_t h, const char *key,
    uint32_t klen, int (*match)(void *, const char *, uint32_t), void *arg,
    int want_fill, int skip, int64_t now, struct store_ref *out,
    uint32_t *nvariants)
{
	struct hold *hd = &holds(st)[slot];
	struct found f;
	struct dead d;
	struct store_ref mine;
	enum store_rc rc;
	uint32_t b = bucket_of(st, h), s = stripe_of(b);
	int wiped;

	assert(slot < st->p.nslots);
	assert(!(skip & STORE_KEEP_PIN) || ((skip & STORE_SKIP_READY) &&
	    (skip & STORE_SKIP_FILLING)));
	if (!(skip & STORE_KEEP_PIN) && atomic_load(&hd->pin) != 0)
		store_unpin(st, slot);
	if (now > atomic_load_explicit(&st->now, memory_order_relaxed))
		atomic_store_explicit(&st->now, now, memory_order_relaxed);
	if (nvariants != NULL)
		*nvariants = 0;
	if ((uint64_t)klen + PRE > st->payload || klen > st->p.max_object)
		return (want_fill ? STORE_NOSPACE : STORE_MISS);

	d.n = 0;
	d.overflow = 0;
	wiped = stripe_lock(st, s);
	scan(st, b, h, key, klen, match, arg, skip, now, &f, &d);
	rc = found_rc(st, hd, &f, out);
	stripe_unlock(st, s);
	dead_free(st, &d, wiped);
	if (nvariants != NULL)
		*nvariants = f.nvariants;
	if (rc != STORE_MISS || !want_fill)
		return (rc);

	/* a new entry, made with no stripe lock held (eviction takes them),
	   then linked unless another process linked one meanwhile */
	alloc_lock(st);
	mine.idx = entry_new(st, slot, h, key, klen, now, 1, &mine.gen);
	alloc_unlock(st);
	if (mine.idx == NIL) {
		count(st, STORE_C_NOSPACE);
		return (STORE_NOSPACE);
	}
	d.n = 0;
	d.overflow = 0;
	wiped = stripe_lock(st, s);
	scan(st, b, h, key, klen, match, arg, skip | SCAN_KILL, now, &f, &d);
	rc = found_rc(st, hd, &f, out);
	if (rc == STORE_MISS) {
		if (skip & STORE_SKIP_TAKEOVER)
			atomic_fetch_or(&ent(st, mine.idx)->flags, F_TAKEN);
		link_entry(st, b, mine.idx);
		rc = STORE_FILL;
		*out = mine;
		count(st, STORE_C_FILLS);
	} else
		(void)kill(st, mine.idx, mine.gen);
	stripe_unlock(st, s);
	if (nvariants != NULL)
		*nvariants = f.nvariants;
	if (rc != STORE_FILL) {
		atomic_store(&hd->fill, 0);
		if (d.n < DEAD_MAX) {
			d.r[d.n++] = mine;
		} else
			d.overflow = 1;
	}
	dead_free(st, &d, wiped);
	return (rc);
}

/* ---- filling ----------------------------------------------------------- */

static int
is_filling(struct store *st, struct store_ref r)
{
	uint64_t w = atomic_load(&ent(st, r.idx)->word);

	return (W_GEN(w) == r.gen && W_STATE(w) == S_FILLING);
}

/*
 * Append n bytes at the object's end (the filler only), chunks added as
 * needed, then published. 0, or -1 (no space, or no longer filling).
 */
static int
write_bytes(struct store *st, struct store_ref r, const char *p, uint32_t n)
{
	struct entry *e = ent(st, r.idx);
	struct preamble *pre = pre_of(st, e);
	uint32_t o = atomic_load(&e->published), k, m, c;
	uint32_t P = st->payload;

	while (n > 0) {
		k = o % P;
		if (k == 0) {
			if (!is_filling(st, r))
				return (-1);
			alloc_lock(st);
			c = chunk_add(st, r.idx, r.gen, pre->last);
			alloc_unlock(st);
			if (c == NIL)
				return (-1);
			pre->last = c;
		}
		c = pre->last;
		m = P - k < n ? P - k : n;
		memcpy(cdata(st, c) + k, p, m);
		chk(st, c)->used = k + m;
		o += m;
		p += m;
		n -= m;
		/* readers see each chunk as it fills */
		if (o % P == 0 || n == 0)
			atomic_store_explicit(&e->published, o,
			    memory_order_release);
	}
	return (0);
}

int
store_fill_head(struct store *st, struct store_ref r, const char *vary,
    uint32_t vlen, const char *head, uint32_t hlen,
    const struct store_meta *m)
{
	return (store_fill_head_tags(st, r, vary, vlen, NULL, 0, head, hlen,
	    m));
}

int
store_fill_head_tags(struct store *st, struct store_ref r, const char *vary,
    uint32_t vlen, const uint64_t *tags, uint32_t ntags, const char *head,
    uint32_t hlen, const struct store_meta *m)
{
	static const struct store_meta zero;
	struct entry *e = ent(st, r.idx);
	struct preamble *pre;
	uint32_t o, i;

	if (r.idx >= st->nentries || !is_filling(st, r) ||
	    (atomic_load(&e->flags) & F_HEAD) || ntags > STORE_TAGS_MAX)
		return (-1);
	pre = pre_of(st, e);
	o = atomic_load(&e->published);
	if ((uint64_t)o + vlen > st->payload ||
	    (uint64_t)pre->klen + vlen + (uint64_t)ntags * 8 + hlen >
	    st->p.max_object)
		return (-1);
	e->tagsum = 0;
	for (i = 0; i < ntags; i++)
		e->tagsum |= store_tag_bits(tags[i]);
	e->ntags = ntags;
	if (m == NULL)
		m = &zero;
	/* fill_started stays as store_lookup set it: waiters read it */
	e->meta.expires = m->expires;
	e->meta.response_time = m->response_time;
	e->meta.request_time = m->request_time;
	e->meta.initial_age = m->initial_age;
	e->meta.lifetime = m->lifetime;
	e->meta.status = m->status;
	e->meta.flags = m->flags;
	e->meta.stale_while_revalidate = m->stale_while_revalidate;
	e->meta.stale_if_error = m->stale_if_error;
	pre->vlen = vlen;
	pre->hlen = hlen;
	if (write_bytes(st, r, vary, vlen) == -1 ||
	    (ntags > 0 && write_bytes(st, r, (const char *)tags,
	    ntags * 8) == -1) ||
	    write_bytes(st, r, head, hlen) == -1)
		return (-1);
	atomic_fetch_or_explicit(&e->flags, F_HEAD, memory_order_release);
	bump(e);
	return (0);
}

int
store_fill_append(struct store *st, struct store_ref r, const char *p,
    uint32_t n)
{
	struct entry *e = ent(st, r.idx);

	if (r.idx >= st->nentries || !is_filling(st, r) ||
	    !(atomic_load(&e->flags) & F_HEAD))
		return (-1);
	if ((uint64_t)atomic_load(&e->published) - PRE + n > st->p.max_object)
		return (-1);
	if (write_bytes(st, r, p, n) == -1)
		return (-1);
	bump(e);
	return (0);
}

static int
vary_eq(struct store *st, struct entry *a, struct entry *b)
{
	struct preamble *pa = pre_of(st, a), *pb = pre_of(st, b);

	return (pa->vlen == pb->vlen && memcmp((char *)(pa + 1) + pa->klen,
	    (char *)(pb + 1) + pb->klen, pa->vlen) == 0);
}

int
store_fill_done(struct store *st, uint32_t slot, struct store_ref r)
{
	struct entry *e = ent(st, r.idx);
	struct preamble *pre;
	struct dead d;
	uint32_t b, s, i, next, n = 0, others = 0, other[64], k;
	uint64_t w;
	int wiped, rc = -1;

	d.n = 0;
	d.overflow = 0;
	if (r.idx >= st->nentries || !is_filling(st, r) ||
	    !(atomic_load(&e->flags) & F_HEAD)) {
		if (r.idx < st->nentries)
			store_fill_abort(st, slot, r, 0);
		return (-1);
	}
	pre = pre_of(st, e);
	/* the bytes are final: summed before anyone may read them as READY */
	e->crc = object_crc(st, e, atomic_load(&e->published));
	b = bucket_of(st, e->hash);
	s = stripe_of(b);
	wiped = stripe_lock(st, s);
	w = atomic_load(&e->word);
	if (W_GEN(w) != r.gen || W_STATE(w) != S_FILLING ||
	    !(w & W_LINKED))
		goto out;
	/* the key's other READY entries: the same variant is replaced,
	   others counted (in chain order: newest first) */
	for (i = buckets(st)[b]; i != NIL && n++ <= st->nentries; i = next) {
		struct entry *o = ent(st, i);
		uint64_t ow = atomic_load(&o->word);

		next = o->next;
		if (i == r.idx || W_STATE(ow) != S_READY ||
		    !key_eq(st, o, e->hash, (char *)(pre + 1), pre->klen))
			continue;
		if (vary_eq(st, o, e)) {
			if (kill(st, i, W_GEN(ow))) {
				drop_linked(st, b, i, &d);
				count(st, STORE_C_REPLACED);
			}
		} else if (others < sizeof(other) / sizeof(other[0]))
			other[others++] = i;
	}
	/* the cap: the oldest others go, this one counting */
	for (k = others; k + 1 > st->p.max_variants && k > 0; k--) {
		i = other[k - 1];
		if (kill(st, i, W_GEN(atomic_load(&ent(st, i)->word)))) {
			drop_linked(st, b, i, &d);
			count(st, STORE_C_VARIANTS_DROPPED);
		}
	}
	/* complete before READY: a reader never sees READY without it */
	atomic_fetch_or(&e->flags, F_DONE);
	if (atomic_compare_exchange_strong(&e->word, &w,
	    W_MAKE(r.gen, S_READY, 0) | W_LINKED)) {
		count(st, STORE_C_FILLS_DONE);
		rc = 0;
	} else
		atomic_fetch_and(&e->flags, (uint8_t)~F_DONE);
out:
	stripe_unlock(st, s);
	if (rc == 0)
		bump(e);
	atomic_store(&holds(st)[slot].fill, 0);
	if (rc == -1) {
		if (kill(st, r.idx, r.gen))
			count(st, STORE_C_FILLS_ABORTED);
		if (d.n < DEAD_MAX)
			d.r[d.n++] = r;
		else
			d.overflow = 1;
	}
	dead_free(st, &d, wiped);
	return (rc);
}

void
store_fill_abort(struct store *st, uint32_t slot, struct store_ref r,
    int64_t pass_until)
{
	struct entry *e = ent(st, r.idx);
	struct preamble *pre;
	struct store_ref ps;
	struct dead d;
	uint32_t b, s;
	uint64_t w;
	int wiped;

	if (r.idx >= st->nentries)
		return;
	d.n = 0;
	d.overflow = 0;
	ps.idx = NIL;
	w = atomic_load(&e->word);
	if (W_GEN(w) != r.gen) {	/* not ours: nothing of it to touch */
		atomic_store(&holds(st)[slot].fill, 0);
		return;
	}
	pre = pre_of(st, e);
	if (pass_until > 0) {
		/* the key copied from our own entry: held by our fill (kept
		   until the end), linked or not, its first chunk is there */
		alloc_lock(st);
		ps.idx = entry_new(st, slot, e->hash, (char *)(pre + 1),
		    pre->klen, atomic_load(&st->now), 0, &ps.gen);
		alloc_unlock(st);
	}
	b = bucket_of(st, e->hash);
	s = stripe_of(b);
	wiped = stripe_lock(st, s);
	if (atomic_load(&e->word) & W_LINKED)
		unlink_entry(st, b, r.idx);
	if (ps.idx != NIL) {
		struct entry *pe = ent(st, ps.idx);
		uint64_t pw = W_MAKE(ps.gen, S_FILLING, slot);

		pe->meta.expires = pass_until;
		link_entry(st, b, ps.idx);
		pw |= W_LINKED;
		(void)atomic_compare_exchange_strong(&pe->word, &pw,
		    W_MAKE(ps.gen, S_PASS, 0) | W_LINKED);
	}
	/*
	 * Dying only now, the PASS entry linked: its waiters wake and look
	 * again under this stripe lock, so they find the PASS, and none of
	 * them starts a fill of its own that the rest would queue behind.
	 */
	if (kill(st, r.idx, r.gen))
		count(st, STORE_C_FILLS_ABORTED);
	stripe_unlock(st, s);
	atomic_store(&holds(st)[slot].fill, 0);
	d.r[d.n++] = r;
	dead_free(st, &d, wiped);
}

/* ---- readers ----------------------------------------------------------- */

int
store_state(struct store *st, struct store_ref r)
{
	uint64_t w;

	if (r.idx >= st->nentries)
		return (STORE_S_GONE);
	w = atomic_load(&ent(st, r.idx)->word);
	if (W_GEN(w) != r.gen)
		return (STORE_S_GONE);
	switch (W_STATE(w)) {
	case S_FILLING:
		return (STORE_S_FILLING);
	case S_READY:
		return (STORE_S_READY);
	}
	return (STORE_S_GONE);
}

const struct store_meta *
store_meta(struct store *st, struct store_ref r)
{
	return (&ent(st, r.idx)->meta);
}

/* Start of the body in the object; 0 if the head is not there. */
static uint32_t
body_start(struct store *st, struct entry *e, struct preamble **prep)
{
	struct preamble *pre;

	if (!(atomic_load_explicit(&e->flags, memory_order_acquire) & F_HEAD))
		return (0);
	pre = pre_of(st, e);
	if (prep != NULL)
		*prep = pre;
	return (PRE + pre->klen + pre->vlen + e->ntags * 8 + pre->hlen);
}

void
store_lengths(struct store *st, struct store_ref r, uint32_t *vlen,
    uint32_t *hlen, uint64_t *body, int *done, int *head_there)
{
	struct entry *e = ent(st, r.idx);
	struct preamble *pre = NULL;
	uint32_t b0, pub;
	uint64_t w = atomic_load(&e->word);

	pub = atomic_load_explicit(&e->published, memory_order_acquire);
	b0 = body_start(st, e, &pre);
	if (vlen != NULL)
		*vlen = b0 ? pre->vlen : 0;
	if (hlen != NULL)
		*hlen = b0 ? pre->hlen : 0;
	if (body != NULL)
		*body = b0 && pub > b0 ? pub - b0 : 0;
	if (done != NULL)
		*done = W_GEN(w) == r.gen && (W_STATE(w) == S_READY ||
		    (W_STATE(w) == S_DYING &&
		    (atomic_load(&e->flags) & F_DONE)));
	if (head_there != NULL)
		*head_there = b0 != 0;
}

/* Per process: where the last read stopped, so streaming a big object
   does not walk its chain from the start each time. */
static struct {
	struct store	*st;
	uint32_t	idx, gen, k, c;
} cursor;

/* Chunk number k of (r)'s chain (published that far). */
static uint32_t
chunk_nth(struct store *st, struct store_ref r, uint32_t k)
{
	uint32_t c, i;

	if (cursor.st == st && cursor.idx == r.idx && cursor.gen == r.gen &&
	    cursor.k <= k) {
		c = cursor.c;
		i = cursor.k;
	} else {
		c = ent(st, r.idx)->first;
		i = 0;
	}
	for (; i < k && c != NIL; i++)
		c = chk(st, c)->next;
	if (c != NIL) {
		cursor.st = st;
		cursor.idx = r.idx;
		cursor.gen = r.gen;
		cursor.k = k;
		cursor.c = c;
	}
	return (c);
}

/* Copy object bytes [o, o + n) (published) out. */
static void
copy_out(struct store *st, struct store_ref r, uint32_t o, char *out,
    uint32_t n)
{
	uint32_t P = st->payload, c, k, m;

	c = chunk_nth(st, r, o / P);
	while (n > 0 && c != NIL) {
		k = o % P;
		m = P - k < n ? P - k : n;
		memcpy(out, cdata(st, c) + k, m);
		out += m;
		o += m;
		n -= m;
		if (n > 0)
			c = chk(st, c)->next;
	}
}

size_t
store_copy_vary(struct store *st, struct store_ref r, char *out, size_t cap)
{
	struct entry *e = ent(st, r.idx);
	struct preamble *pre;
	size_t n;

	if (body_start(st, e, &pre) == 0)
		return (0);
	n = pre->vlen < cap ? pre->vlen : cap;
	memcpy(out, (char *)(pre + 1) + pre->klen, n);
	return (n);
}

size_t
store_copy_head(struct store *st, struct store_ref r, char *out, size_t cap)
{
	struct entry *e = ent(st, r.idx);
	struct preamble *pre;
	size_t n;

	if (body_start(st, e, &pre) == 0)
		return (0);
	n = pre->hlen < cap ? pre->hlen : cap;
	copy_out(st, r, PRE + pre->klen + pre->vlen + e->ntags * 8, out,
	    (uint32_t)n);
	return (n);
}

int
store_body_iov(struct store *st, struct store_ref r, uint64_t off,
    uint64_t len, struct iovec *iov, int maxiov)
{
	struct entry *e = ent(st, r.idx);
	uint32_t P = st->payload, b0, pub, c, k;
	uint64_t o, end, m;
	int n = 0;

	pub = atomic_load_explicit(&e->published, memory_order_acquire);
	if ((b0 = body_start(st, e, NULL)) == 0 || maxiov <= 0)
		return (0);
	if (off >= pub)
		return (0);
	o = b0 + off;
	if (o >= pub)
		return (0);
	end = len < pub - o ? o + len : pub;
	c = chunk_nth(st, r, (uint32_t)(o / P));
	while (o < end && c != NIL && n < maxiov) {
		k = (uint32_t)(o % P);
		m = P - k < end - o ? P - k : end - o;
		iov[n].iov_base = cdata(st, c) + k;
		iov[n].iov_len = (size_t)m;
		n++;
		o += m;
		if (o < end && n < maxiov) {
			c = chk(st, c)->next;
			if (c != NIL)
				(void)chunk_nth(st, r, (uint32_t)(o / P));
		}
	}
	return (n);
}

/* Is what the waiter waits for there (or the entry not filling)? */
static int
wait_over(struct store *st, struct store_ref r, uint64_t body_have)
{
	struct entry *e = ent(st, r.idx);
	uint64_t w = atomic_load(&e->word);
	uint32_t pub = atomic_load(&e->published), b0;

	if (W_GEN(w) != r.gen || W_STATE(w) != S_FILLING)
		return (1);
	if ((b0 = body_start(st, e, NULL)) == 0)
		return (0);
	if (body_have == UINT64_MAX)		/* STORE_WAIT_HEAD */
		return (1);
	return (pub > b0 && pub - b0 > body_have);
}

int
store_wait(struct store *st, struct store_ref r, uint64_t body_have,
    int64_t deadline_ms)
{
	struct entry *e = ent(st, r.idx);
	struct timespec rel;
	uint32_t seq;
	int64_t now, left;
	int rc = 0;

	/* counted before seq is read: a writer bumping after that read
	   sees the count and wakes */
	atomic_fetch_add(&e->waiters, 1);
	for (;;) {
		seq = atomic_load(&e->seq);
		if (wait_over(st, r, body_have))
			break;
		now = store_now_ms();
		if ((left = deadline_ms - now) <= 0) {
			rc = -1;
			break;
		}
		rel.tv_sec = (time_t)(left / 1000);
		rel.tv_nsec = (long)(left % 1000) * 1000000L;
		(void)futex_wait(&e->seq, seq, &rel);
	}
	atomic_fetch_sub(&e->waiters, 1);
	return (rc);
}

void
store_touch(struct store *st, struct store_ref r)
{
	struct entry *e = ent(st, r.idx);
	uint8_t f = atomic_load_explicit(&e->freq, memory_order_relaxed);

	/* a lost increment between two hits is harmless */
	if (f < FREQ_MAX)
		atomic_store_explicit(&e->freq, f + 1, memory_order_relaxed);
}

void
store_unpin(struct store *st, uint32_t slot)
{
	uint64_t v = atomic_exchange(&holds(st)[slot].pin, 0), w;
	uint32_t idx, gen;

	if (v == 0)
		return;
	v--;
	idx = (uint32_t)(v >> 32);
	gen = (uint32_t)v;
	if (idx >= st->nentries)
		return;
	/* the last holder of a dying entry frees it */
	w = atomic_load(&ent(st, idx)->word);
	if (W_GEN(w) == gen && W_STATE(w) == S_DYING && !(w & W_LINKED))
		try_free(st, idx, gen);
}

/* ---- invalidation, dead workers, housekeeping -------------------------- */

int
store_invalidate(struct store *st, uint64_t h, const char *key,
    uint32_t klen)
{
	uint32_t b = bucket_of(st, h), s = stripe_of(b), i, next, n = 0;
	struct dead d;
	uint64_t w;
	int wiped, k = 0;

	d.n = 0;
	d.overflow = 0;
	wiped = stripe_lock(st, s);
	for (i = buckets(st)[b]; i != NIL && n++ <= st->nentries; i = next) {
		struct entry *e = ent(st, i);

		next = e->next;
		w = atomic_load(&e->word);
		if (W_STATE(w) == S_DYING || W_STATE(w) == S_FREE) {
			drop_linked(st, b, i, &d);
			continue;
		}
		if (!key_eq(st, e, h, key, klen))
			continue;
		if (kill(st, i, W_GEN(w))) {
			drop_linked(st, b, i, &d);
			count(st, STORE_C_INVALIDATED);
			k++;
		}
	}
	stripe_unlock(st, s);
	dead_free(st, &d, wiped);
	return (k);
}

/* Dying entries still linked, unlinked; unheld ones freed. trylock: the
   master, which must not wait for a lock a worker holds. */
static int
reclaim(struct store *st, int trylock)
{
	uint32_t s, b, i, next, n;
	uint64_t w;
	int got, freed = 0;

	for (s = 0; s < STORE_STRIPES; s++) {
		got = trylock ? stripe_trylock(st, s) : stripe_lock(st, s);
		if (got == -1)
			continue;
		for (b = s; b < st->nbuckets; b += STORE_STRIPES) {
			n = 0;
			for (i = buckets(st)[b]; i != NIL &&
			    n++ <= st->nentries; i = next) {
				next = ent(st, i)->next;
				w = atomic_load(&ent(st, i)->word);
				if (W_STATE(w) == S_DYING ||
				    W_STATE(w) == S_FREE)
					unlink_entry(st, b, i);
			}
		}
		stripe_unlock(st, s);
	}
	if (trylock) {
		if (alloc_trylock(st) == -1)
			return (0);
	} else
		alloc_lock(st);
	freed = sweep_locked(st);
	alloc_unlock(st);
	return (freed);
}

void
store_release_slot(struct store *st, uint32_t slot)
{
	struct hold *hd = &holds(st)[slot];
	uint32_t i;
	uint64_t w;

	if (slot >= st->p.nslots)
		return;
	atomic_store(&hd->pin, 0);
	atomic_store(&hd->fill, 0);
	/* every entry it was filling, linked or not yet */
	for (i = 0; i < st->nentries; i++) {
		w = atomic_load(&ent(st, i)->word);
		if (W_STATE(w) == S_FILLING && W_OWNER(w) == slot &&
		    kill(st, i, W_GEN(w)))
			count(st, STORE_C_FILLS_ABORTED);
	}
	(void)reclaim(st, 1);
}

int
store_reclaim(struct store *st)
{
	return (reclaim(st, 0));
}

/* ---- counters ---------------------------------------------------------- */

void
store_stats(struct store *st, struct store_stats *s)
{
	uint32_t i;
	int k;

	/*
	 * Objects and their bytes, counted now rather than kept in counters:
	 * a counter updated beside a state change is lost or doubled by a
	 * process killed between the two, or by a free list rebuild racing
	 * a fill's end. Only the status page asks, not the hit path.
	 */
	s->objects = s->bytes = 0;
	for (i = 0; i < st->nentries; i++) {
		struct entry *e = ent(st, i);

		if (W_STATE(atomic_load(&e->word)) == S_READY) {
			s->objects++;
			s->bytes += atomic_load(&e->published) - PRE;
		}
	}
	s->chunks_free = atomic_load(&st->chunks_free);
	s->chunks_total = st->nchunks;
	s->entries_free = atomic_load(&st->entries_free);
	s->entries_total = st->nentries;
	s->chunk_size = st->p.chunk_size;
	for (k = 0; k < STORE_C_MAX; k++)
		s->c[k] = atomic_load_explicit(&st->c[k],
		    memory_order_relaxed);
}

void
store_count(struct store *st, int c)
{
	if (c >= 0 && c < STORE_C_MAX)
		count(st, c);
}

const char *
store_counter_name(int c)
{
	if (c < 0 || c >= STORE_C_MAX)
		return (NULL);
	return (counter_names[c]);
}

/* ---- checking (tests) -------------------------------------------------- */

int
store_debug_lock(struct store *st, int s)
{
	if (s < 0)
		return (alloc_trylock(st));
	if (s >= STORE_STRIPES)
		return (-1);
	return (stripe_trylock(st, (uint32_t)s) == -1 ? -1 : 0);
}

#define FAIL(...) do {							\
	(void)snprintf(why, cap, __VA_ARGS__);				\
	goto fail;							\
} while (0)

int
store_check(struct store *st, char *why, size_t cap)
{
	uint8_t *seen;
	uint32_t i, c, n, nfree, b;
	uint64_t w;

	if ((seen = calloc(st->nchunks, 1)) == NULL)
		FAIL("calloc");
	nfree = 0;
	for (c = st->free_chunk; c != NIL; c = chk(st, c)->next) {
		if (c >= st->nchunks || seen[c])
			FAIL("chunk free list: %u bad or twice", c);
		seen[c] = 1;
		nfree++;
	}
	if (nfree != atomic_load(&st->chunks_free))
		FAIL("chunks_free %u, free list %u",
		    atomic_load(&st->chunks_free), nfree);
	n = 0;
	for (i = 0; i < st->nentries; i++) {
		struct entry *e = ent(st, i);

		w = atomic_load(&e->word);
		if (W_STATE(w) == S_FREE) {
			n++;
			if (e->queue != Q_NONE)
				FAIL("entry %u free and queued", i);
			continue;
		}
		if (e->queue == Q_NONE)
			FAIL("entry %u live and in no queue", i);
		for (c = e->first; c != NIL; c = chk(st, c)->next) {
			if (c >= st->nchunks || seen[c])
				FAIL("entry %u: chunk %u bad, free or shared",
				    i, c);
			if (chk(st, c)->entry != i ||
			    chk(st, c)->gen != W_GEN(w))
				FAIL("entry %u: chunk %u names %u gen %u", i,
				    c, chk(st, c)->entry, chk(st, c)->gen);
			seen[c] = 1;
		}
		if (w & W_LINKED) {
			uint32_t j, k = 0;

			b = bucket_of(st, e->hash);
			for (j = buckets(st)[b]; j != NIL && j != i &&
			    k++ <= st->nentries; j = ent(st, j)->next)
				;
			if (j != i)
				FAIL("entry %u (word %#llx) linked, not in bucket %u", i, (unsigned long long)w, b);
		}
	}
	if (n != atomic_load(&st->entries_free))
		FAIL("entries_free %u, free entries %u",
		    atomic_load(&st->entries_free), n);
	for (i = st->free_entry, n = 0; i != NIL; i = ent(st, i)->next) {
		if (i >= st->nentries ||
		    W_STATE(atomic_load(&ent(st, i)->word)) != S_FREE)
			FAIL("entry free list: %u bad", i);
		if (++n > st->nentries)
			FAIL("entry free list: a cycle");
	}
	if (n != atomic_load(&st->entries_free))
		FAIL("entry free list %u long, entries_free %u", n,
		    atomic_load(&st->entries_free));
	for (c = 0; c < st->nchunks; c++)
		if (!seen[c])
			FAIL("chunk %u neither free nor on a chain", c);
	for (b = 0; b < st->nbuckets; b++) {
		n = 0;
		for (i = buckets(st)[b]; i != NIL; i = ent(st, i)->next) {
			w = atomic_load(&ent(st, i)->word);
			if (!(w & W_LINKED) ||
			    bucket_of(st, ent(st, i)->hash) != b)
				FAIL("bucket %u: entry %u not its own", b, i);
			if (++n > st->nentries)
				FAIL("bucket %u: a cycle", b);
		}
	}
	free(seen);
	return (0);
fail:
	free(seen);
	return (-1);
}

int
store_is_takeover(struct store *st, struct store_ref r)
{
	if (r.idx >= st->nentries)
		return (0);
	return ((atomic_load(&ent(st, r.idx)->flags) & F_TAKEN) != 0);
}

/* ---- the cache keeper: expired sweeps and the free-list audit ---------- */

int
store_sweep_expired(struct store *st, int64_t now_ms, int64_t grace_ms,
    int64_t keep_ms)
{
	uint32_t i;
	uint64_t w;
	int64_t extra;
	int s, n = 0, killed;

	for (i = 0; i < st->nentries; i++) {
		struct entry *e = ent(st, i);

		/* the cheap tests without a lock; again under it */
		w = atomic_load(&e->word);
		s = W_STATE(w);
		if (s != S_READY && s != S_PASS)
			continue;
		extra = e->meta.stale_while_revalidate;
		if (e->meta.stale_if_error > extra)
			extra = e->meta.stale_if_error;
		if (extra < 0)
			extra = 0;
		extra = extra * 1000 + grace_ms;
		if (e->meta.flags & STORE_F_VALIDATORS)
			extra += keep_ms;
		if (e->meta.expires + extra >= now_ms)
			continue;
		alloc_lock(st);
		if (atomic_load(&e->word) == w && evictable(st, i, &w)) {
			(void)evict_entry(st, i, w, &killed);
			if (killed) {
				count(st, STORE_C_EXPIRED_SWEPT);
				n++;
			}
		}
		alloc_unlock(st);
	}
	return (n);
}

int
store_audit(struct store *st)
{
	uint8_t *cmark, *emark;
	uint32_t i, c, k, *pp;
	uint64_t w;
	int n = 0;

	/* the keeper's own memory: nothing in the segment is marked, so
	   readers walking chains without a lock see no change */
	cmark = calloc(((size_t)st->nchunks + 7) / 8, 1);
	emark = calloc(((size_t)st->nentries + 7) / 8, 1);
	if (cmark == NULL || emark == NULL) {
		free(cmark);
		free(emark);
		return (-1);
	}
#define MARK(m, x)	((m)[(x) / 8] |= (uint8_t)(1u << ((x) % 8)))
#define MARKED(m, x)	(((m)[(x) / 8] >> ((x) % 8)) & 1)
	alloc_lock(st);
	for (i = st->free_entry, k = 0; i != NIL && i < st->nentries &&
	    k++ <= st->nentries; i = ent(st, i)->next)
		MARK(emark, i);
	for (c = st->free_chunk, k = 0; c != NIL && c < st->nchunks &&
	    k++ <= st->nchunks; c = chk(st, c)->next)
		MARK(cmark, c);
	for (i = 0; i < st->nentries; i++) {
		struct entry *e = ent(st, i);

		w = atomic_load(&e->word);
		if (W_STATE(w) == S_FREE) {
			if (MARKED(emark, i))
				continue;
			/* FREE but on no list: back on it */
			q_remove(st, i);
			e->next = st->free_entry;
			st->free_entry = i;
			atomic_fetch_add(&st->entries_free, 1);
			n++;
			continue;
		}
		/* as rebuild() does: the chain up to the first chunk that
		   is not this entry's (a torn chain ends there) */
		for (pp = &e->first, k = 0; *pp != NIL && k++ <= st->nchunks;
		    pp = &chk(st, *pp)->next) {
			c = *pp;
			if (c >= st->nchunks || chk(st, c)->entry != i ||
			    chk(st, c)->gen != W_GEN(w) || MARKED(cmark, c)) {
				*pp = NIL;
				break;
			}
			MARK(cmark, c);
		}
	}
	for (c = 0; c < st->nchunks; c++) {
		if (MARKED(cmark, c))
			continue;
		chk(st, c)->entry = NIL;
		chk(st, c)->next = st->free_chunk;
		st->free_chunk = c;
		atomic_fetch_add(&st->chunks_free, 1);
		n++;
	}
	/* and dying entries nobody holds any more, as store_reclaim */
	(void)sweep_locked(st);
	alloc_unlock(st);
#undef MARK
#undef MARKED
	free(cmark);
	free(emark);
	for (k = 0; k < (uint32_t)n; k++)
		count(st, STORE_C_AUDIT_RECLAIMED);
	return (n);
}

int
store_debug_leak(struct store *st, int n)
{
	int k;

	alloc_lock(st);
	for (k = 0; k < n && st->free_chunk != NIL; k++) {
		st->free_chunk = chk(st, st->free_chunk)->next;
		atomic_fetch_sub(&st->chunks_free, 1);
	}
	alloc_unlock(st);
	return (k);
}

/* ---- purge (issue 14): by key, by key prefix, by tag; soft ------------- */

uint64_t
store_tag_bits(uint64_t h)
{
	return ((uint64_t)1 << (h & 63) | (uint64_t)1 << ((h >> 6) & 63));
}

/* Does (idx) carry tag? Under its stripe lock, linked, head there. */
static int
has_tag(struct store *st, uint32_t idx, uint32_t gen, uint64_t tag)
{
	struct entry *e = ent(st, idx);
	struct preamble *pre = pre_of(st, e);
	uint64_t tags[STORE_TAGS_MAX];
	struct store_ref r;
	uint32_t i, n = e->ntags;

	if ((e->tagsum & store_tag_bits(tag)) != store_tag_bits(tag) ||
	    n == 0 || n > STORE_TAGS_MAX)
		return (0);
	r.idx = idx;
	r.gen = gen;
	copy_out(st, r, PRE + pre->klen + pre->vlen, (char *)tags, n * 8);
	for (i = 0; i < n; i++)
		if (tags[i] == tag)
			return (1);
	return (0);
}

/*
 * A stored response made stale in place: no lifetime left, so the next
 * request revalidates it (or, within a stale window, is served it while
 * it does). Written atomically: readers copy the meta without a lock.
 */
static void
soften(struct entry *e, int64_t now)
{
	uint16_t f = __atomic_load_n(&e->meta.flags, __ATOMIC_RELAXED);

	__atomic_store_n(&e->meta.lifetime, 0, __ATOMIC_RELAXED);
	if (__atomic_load_n(&e->meta.expires, __ATOMIC_RELAXED) > now)
		__atomic_store_n(&e->meta.expires, now, __ATOMIC_RELAXED);
	__atomic_store_n(&e->meta.flags, (uint16_t)(f & ~STORE_F_IMMUTABLE),
	    __ATOMIC_RELAXED);
}

/*
 * One bucket chain under its stripe lock: the entries p selects (key,
 * when given, else p's match and tag) purged. Fills are unlinked whether
 * soft or not (what they fetch predates the purge), so they never
 * become READY. *hit: entries purged.
 */
static void
purge_chain(struct store *st, uint32_t b, const struct store_purge *p,
    const char *key, uint32_t klen, uint64_t h, uint64_t *hit)
{
	uint32_t s = stripe_of(b), i, next, n = 0;
	struct dead d;
	uint64_t w;
	int wiped, state;

	d.n = 0;
	d.overflow = 0;
	wiped = stripe_lock(st, s);
	for (i = buckets(st)[b]; i != NIL && n++ <= st->nentries; i = next) {
		struct entry *e = ent(st, i);
		struct preamble *pre;
		int head;

		next = e->next;
		w = atomic_load(&e->word);
		state = W_STATE(w);
		if (state == S_DYING || state == S_FREE) {
			drop_linked(st, b, i, &d);
			continue;
		}
		if (key != NULL) {
			if (!key_eq(st, e, h, key, klen))
				continue;
			if (state == S_PASS) {
				/* hit-for-miss ends too: the next request
				   fetches and may store */
				if (kill(st, i, W_GEN(w)))
					drop_linked(st, b, i, &d);
				continue;
			}
		} else if (state == S_PASS || e->first == NIL)
			continue;
		if (e->meta.fill_started > p->not_after)
			continue;	/* begun after the purge: newer */
		pre = pre_of(st, e);
		if (key == NULL && p->match != NULL &&
		    !p->match(p->arg, (char *)(pre + 1), pre->klen))
			continue;
		head = (atomic_load_explicit(&e->flags,
		    memory_order_acquire) & F_HEAD) != 0;
		/* a fill whose head is not there yet may carry the tag: it
		   is ended, never left to publish after the purge */
		if (key == NULL && p->has_tag && head &&
		    !has_tag(st, i, W_GEN(w), p->tag))
			continue;
		if (state == S_READY && p->soft) {
			soften(e, p->now);
			count(st, STORE_C_PURGED_SOFT);
			(*hit)++;
			continue;
		}
		if (state == S_FILLING) {
			/*
			 * Unlinked, not ended: its own client and the
			 * readers already streaming it get it whole, but no
			 * lookup finds it any more and store_fill_done
			 * refuses a fill that is not linked.
			 */
			unlink_entry(st, b, i);
			count(st, STORE_C_PURGE_FILLS);
			(*hit)++;
			continue;
		}
		if (kill(st, i, W_GEN(w))) {
			drop_linked(st, b, i, &d);
			count(st, STORE_C_PURGED);
			(*hit)++;
		}
	}
	stripe_unlock(st, s);
	dead_free(st, &d, wiped);
}

uint64_t
store_purge_key(struct store *st, uint64_t h, const char *key,
    uint32_t klen, int soft, int64_t now)
{
	struct store_purge p;
	uint64_t hit = 0;

	memset(&p, 0, sizeof(p));
	p.soft = soft;
	p.now = now;
	p.not_after = INT64_MAX;
	purge_chain(st, bucket_of(st, h), &p, key, klen, h, &hit);
	count(st, STORE_C_PURGES);
	return (hit);
}

uint64_t
store_purge_scan(struct store *st, const struct store_purge *p)
{
	uint64_t hit = 0;
	uint32_t b;

	for (b = 0; b < st->nbuckets; b++) {
		/*
		 * An empty chain needs no lock: an entry linked after this
		 * look (or after its chain's turn) is a fill whose fetch
		 * starts after its link, so after the purge.
		 */
		if (__atomic_load_n(&buckets(st)[b], __ATOMIC_ACQUIRE) == NIL)
			continue;
		purge_chain(st, b, p, NULL, 0, 0, &hit);
	}
	count(st, STORE_C_PURGES);
	return (hit);
}

/* ---- persistence (cache.path): an area that outlived its processes ---- */

/*
 * zlib crc32 of the object bytes after the preamble (key, vary, head,
 * body), published = its length with the preamble. The chain is walked
 * without the reader's cursor, bounded by the chunk count.
 */
static uint32_t
object_crc(struct store *st, struct entry *e, uint32_t published)
{
	uint32_t P = st->payload, o = 0, c, n = 0, k, m;
	uLong crc = crc32(0L, Z_NULL, 0);

	for (c = e->first; c != NIL && c < st->nchunks && o < published &&
	    n++ < st->nchunks; c = chk(st, c)->next) {
		k = o == 0 ? PRE : 0;
		m = published - o < P ? published - o : P;
		if (m > k)
			crc = crc32(crc, (const Bytef *)cdata(st, c) + k,
			    m - k);
		o += m;
	}
	return ((uint32_t)crc);
}

/* Does the area at st have the layout p gives? why says what differs. */
static int
same_layout(struct store *st, const struct store_params *p, char *why,
    size_t cap)
{
	struct lay l;

	if (layout(p, &l) == -1) {
		(void)snprintf(why, cap, "parameters out of range");
		return (0);
	}
	if (st->magic != STORE_MAGIC) {
		(void)snprintf(why, cap, "not a porter cache (no magic)");
		return (0);
	}
	if (st->layout != STORE_LAYOUT ||
	    st->entry_size != sizeof(struct entry)) {
		(void)snprintf(why, cap, "store layout %u, this porter's %u",
		    st->layout, STORE_LAYOUT);
		return (0);
	}
	if (st->size != l.size) {
		(void)snprintf(why, cap, "size %llu bytes, the configuration "
		    "says %llu", (unsigned long long)st->size,
		    (unsigned long long)l.size);
		return (0);
	}
	if (st->p.chunk_size != p->chunk_size) {
		(void)snprintf(why, cap, "chunk_size %u, the configuration "
		    "says %u", st->p.chunk_size, p->chunk_size);
		return (0);
	}
	if (st->p.nslots != p->nslots) {
		(void)snprintf(why, cap, "%u worker slots, the configuration "
		    "gives %u (workers.max)", st->p.nslots, p->nslots);
		return (0);
	}
	if (st->nentries != l.nentries || st->nbuckets != l.nbuckets ||
	    st->nchunks != l.nchunks || st->nghost != l.nghost ||
	    st->payload != p->chunk_size - (uint32_t)sizeof(struct chunk) ||
	    st->off_holds != l.off_holds || st->off_entries != l.off_entries ||
	    st->off_buckets != l.off_buckets || st->off_ghost != l.off_ghost ||
	    st->off_chunks != l.off_chunks) {
		(void)snprintf(why, cap, "its table sizes differ from this "
		    "porter's");
		return (0);
	}
	return (1);
}

static inline int
bit_get(const uint8_t *m, uint32_t i)
{
	return ((m[i >> 3] >> (i & 7)) & 1);
}

static inline void
bit_set(uint8_t *m, uint32_t i, int v)
{
	if (v)
		m[i >> 3] |= (uint8_t)(1u << (i & 7));
	else
		m[i >> 3] &= (uint8_t)~(1u << (i & 7));
}

/*
 * Entry i (READY at gen) as it lies in the file: is it whole? Its chain
 * must hold exactly the chunks its length needs, each naming it, none
 * taken by an earlier entry (marked in used, which keeps this entry's
 * marks when it is whole), and, with verify, its bytes must match its
 * crc. 0 whole, -1 bad, -2 the crc differs.
 */
static int
restore_entry(struct store *st, uint32_t i, uint32_t gen, int verify,
    uint8_t *used)
{
	struct entry *e = ent(st, i);
	struct preamble *pre;
	uint32_t P = st->payload, pub, n, k, c, last = NIL;
	uint64_t need, nn;
	int rc = 0;

	pub = atomic_load(&e->published);
	if (e->first >= st->nchunks || pub < PRE ||
	    !(atomic_load(&e->flags) & F_HEAD))
		return (-1);
	pre = pre_of(st, e);
	if (e->ntags > STORE_TAGS_MAX)
		return (-1);
	need = (uint64_t)PRE + pre->klen + pre->vlen + (uint64_t)e->ntags * 8 +
	    pre->hlen;
	nn = ((uint64_t)pub + P - 1) / P;
	if ((uint64_t)PRE + pre->klen + pre->vlen > P || need > pub ||
	    nn > st->nchunks)
		return (-1);
	n = (uint32_t)nn;
	for (k = 0, c = e->first; k < n; k++, c = chk(st, c)->next) {
		struct chunk *ch;

		if (c >= st->nchunks || bit_get(used, c)) {
			rc = -1;
			break;
		}
		ch = chk(st, c);
		if (ch->entry != i || ch->gen != gen || ch->used !=
		    (k + 1 < n ? P : pub - (n - 1) * P)) {
			rc = -1;
			break;
		}
		bit_set(used, c, 1);
		last = c;
	}
	if (rc == 0 && chk(st, last)->next != NIL)
		rc = -1;
	if (rc == 0 && verify && object_crc(st, e, pub) != e->crc)
		rc = -2;
	if (rc != 0) {
		/* its marks off again: the k chunks walked are distinct */
		for (c = e->first; k-- > 0; c = chk(st, c)->next)
			bit_set(used, c, 0);
		return (rc);
	}
	pre->last = last;
	return (0);
}

int
store_restore(void *at, const struct store_params *p, int verify,
    struct store_restore *res, char *why, size_t cap)
{
	struct store *st = at;
	uint8_t *used;
	uint32_t i, c, nfree;
	uint64_t w;
	int e, rc, q;

	memset(res, 0, sizeof(*res));
	if (((uintptr_t)at & 63) != 0 || !same_layout(st, p, why, cap))
		return (-1);
	if ((used = calloc((st->nchunks + 7) / 8, 1)) == NULL) {
		(void)snprintf(why, cap, "out of memory");
		return (-1);
	}
	/* the values that do not shape the area come from the config */
	st->p.max_object = p->max_object;
	st->p.max_variants = p->max_variants;
	st->p.max_waiters = p->max_waiters;
	st->p.collapse_ms = p->collapse_ms;
	/* every lock afresh: a robust mutex's state outlives its owner */
	for (i = 0; i < STORE_STRIPES; i++)
		if ((e = mutex_make(&st->stripe[i].m)) != 0)
			goto lockfail;
	if ((e = mutex_make(&st->alloc.m)) != 0)
		goto lockfail;
	/* nobody holds anything: no process of this area is alive */
	memset(holds(st), 0, (size_t)st->p.nslots * sizeof(struct hold));
	for (i = 0; i < st->nbuckets; i++)
		buckets(st)[i] = NIL;
	memset(ghosts(st), 0, (size_t)st->nghost * sizeof(struct ghost));
	for (q = 0; q < Q_N; q++) {
		st->qhead[q] = st->qtail[q] = NIL;
		st->qlen[q] = 0;
	}
	st->ghost_clock = 0;
	st->hand = 0;
	atomic_store(&st->now, 0);
	for (i = 0; i < STORE_C_MAX; i++)
		atomic_store(&st->c[i], 0);
	/* the whole entries, linked and queued in index order */
	st->free_entry = NIL;
	nfree = 0;
	for (i = st->nentries; i-- > 0;) {
		struct entry *en = ent(st, i);

		w = atomic_load(&en->word);
		en->queue = Q_NONE;
		en->qprev = en->qnext = NIL;
		atomic_store(&en->waiters, 0);
		if (W_STATE(w) == S_READY) {
			rc = restore_entry(st, i, W_GEN(w), verify, used);
			if (rc == 0) {
				uint8_t f = atomic_load(&en->freq);

				atomic_store(&en->word,
				    W_MAKE(W_GEN(w), S_READY, 0));
				atomic_store(&en->flags, F_HEAD | F_DONE);
				if (f > FREQ_MAX)
					atomic_store(&en->freq, FREQ_MAX);
				link_entry(st, bucket_of(st, en->hash), i);
				q_push(st, Q_MAIN, i);
				res->kept++;
				res->kept_bytes += atomic_load(
				    &en->published) - PRE;
				continue;
			}
			if (rc == -2)
				res->dropped_crc++;
			else
				res->dropped_bad++;
		} else if (W_STATE(w) != S_FREE)
			res->dropped_state++;	/* filling, dying, pass */
		/* its generation kept: an old reference never matches */
		atomic_store(&en->word, W_MAKE(W_GEN(w), S_FREE, 0));
		atomic_store(&en->flags, 0);
		atomic_store(&en->published, 0);
		en->first = NIL;
		en->next = st->free_entry;
		st->free_entry = i;
		nfree++;
	}
	atomic_store(&st->entries_free, nfree);
	st->free_chunk = NIL;
	nfree = 0;
	for (c = st->nchunks; c-- > 0;) {
		if (bit_get(used, c))
			continue;
		chk(st, c)->entry = NIL;
		chk(st, c)->next = st->free_chunk;
		st->free_chunk = c;
		nfree++;
	}
	atomic_store(&st->chunks_free, nfree);
	free(used);
	atomic_store(&st->clean, 0);	/* in use from now */
	return (0);
lockfail:
	free(used);
	(void)snprintf(why, cap, "pthread_mutex_init: %s", strerror(e));
	return (-1);
}

int
store_attach(void *at, const struct store_params *p, char *why, size_t cap)
{
	if (((uintptr_t)at & 63) != 0 || !same_layout(at, p, why, cap))
		return (-1);
	return (0);
}

void
store_set_clean(struct store *st, int clean)
{
	atomic_store(&st->clean, clean ? 1 : 0);
}

int
store_was_clean(struct store *st)
{
	return (atomic_load(&st->clean) == 1);
}
