#include "config.h"

#include <sched.h>
#include <string.h>
#include <time.h>

#include "shared/counters.h"
#include "shared/scoreboard.h"
#include "shared/shm.h"

/*
 * A reader finding a fold under way tries again; the master's fold is a
 * few stores, so only a master stopped mid-fold exhausts this (about
 * CTR_TRIES - CTR_SPINS milliseconds).
 */
#define CTR_TRIES	100
#define CTR_SPINS	10

#define CTR_DEF_ITEM(name, type, where, help)				\
	[CTR_ID(name)] = { #name, help, CTR_##type, CTR_##where },
const struct ctr_def ctr_defs[CTR_N] = { CTR_TABLE(CTR_DEF_ITEM) };

/* Where a SLOT entry's field is in struct sb_slot; 0 for the others. */
#define CTR_OFF_ITEM(name, type, where, help)				\
	[CTR_ID(name)] = CTR_OFF_##where(name),
#define CTR_OFF_SLOT(name)	offsetof(struct sb_slot, name)
#define CTR_OFF_STATE(name)	0
static const size_t slot_off[CTR_N] = { CTR_TABLE(CTR_OFF_ITEM) };

static struct ctr_area *
area(const struct shm *s)
{
	return (shm_at(s, s->hdr->off_counters));
}

/* Entry id's field in slot s; id is a SLOT entry. */
static _Atomic uint64_t *
field(const struct sb_slot *s, int id)
{
	return ((_Atomic uint64_t *)((const char *)s + slot_off[id]));
}

void
ctr_fold(const struct shm *shm, struct sb_slot *s)
{
	struct ctr_area *a = area(shm);
	uint64_t seq = atomic_load_explicit(&a->seq, memory_order_relaxed);
	int id;

	/* the master is the only writer: seq is even here */
	atomic_store_explicit(&a->seq, seq + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	for (id = 0; id < CTR_N; id++) {
		_Atomic uint64_t *f;

		if (ctr_defs[id].where != CTR_SLOT)
			continue;
		f = field(s, id);
		/* a gauge of a dead worker is no level at all: dropped */
		if (ctr_defs[id].type == CTR_COUNTER)
			atomic_fetch_add_explicit(&a->retired[id],
			    atomic_load_explicit(f, memory_order_relaxed),
			    memory_order_relaxed);
		atomic_store_explicit(f, 0, memory_order_relaxed);
	}
	atomic_store_explicit(&a->seq, seq + 2, memory_order_release);
}

void
ctr_slot(const struct sb_slot *s, uint64_t v[CTR_N])
{
	int id;

	for (id = 0; id < CTR_N; id++)
		v[id] = ctr_defs[id].where == CTR_SLOT ?
		    atomic_load_explicit(field(s, id), memory_order_relaxed) :
		    0;
}

/*
 * One pass over the counters area and the scoreboard. The STATE entries
 * of the table are counted here, one line each.
 */
static void
sum(const struct shm *shm, const struct ctr_area *a, uint64_t v[CTR_N])
{
	uint64_t one[CTR_N], live = 0, idle = 0;
	uint32_t i;
	int id;

	for (id = 0; id < CTR_N; id++)
		v[id] = atomic_load_explicit(&a->retired[id],
		    memory_order_relaxed);
	for (i = 0; i < shm->hdr->nslots; i++) {
		const struct sb_slot *s = sb_slot(shm, i);
		int st = sb_get_state(s);

		/* a free slot's counters are 0: folded, or never used */
		ctr_slot(s, one);
		for (id = 0; id < CTR_N; id++)
			v[id] += one[id];
		if (st == SB_DEAD)
			continue;
		live++;
		idle += st == SB_IDLE;
	}
	v[CTR_ID(workers)] = live;
	v[CTR_ID(idle)] = idle;
	v[CTR_ID(busy)] = live - idle;
}

int
ctr_totals(const struct shm *shm, uint64_t v[CTR_N])
{
	const struct ctr_area *a = area(shm);
	struct timespec ms = { 0, 1000 * 1000 };
	uint64_t s1;
	int tries;

	for (tries = 0; tries < CTR_TRIES; tries++) {
		if (tries >= CTR_SPINS)
			(void)nanosleep(&ms, NULL);
		else if (tries > 0)
			(void)sched_yield();
		s1 = atomic_load_explicit(&a->seq, memory_order_acquire);
		if (s1 & 1)
			continue;
		sum(shm, a, v);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&a->seq, memory_order_relaxed) == s1)
			return (0);
	}
	sum(shm, a, v);
	return (-1);
}
