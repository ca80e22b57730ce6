#include "config.h"

#include <sched.h>
#include <string.h>
#include <time.h>

#include "config/cfg.h"
#include "lib/log.h"
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

#define CTR_RULE_DEF(name, help)	[CTR_RULE(name)] = { #name, help },
const struct ctr_rule_def ctr_rules[CTR_NRULES] = { CTR_RULES(CTR_RULE_DEF) };
#define CTR_HISTO_DEF(name, help)	[CTR_HISTO(name)] = { #name, help },
const struct ctr_rule_def ctr_histos[CTR_NHISTO] = {
	CTR_HISTOS(CTR_HISTO_DEF)
};

/*
 * struct ctr_more is folded and summed as a flat array of counters:
 * every field of it is a uint64_t that only grows.
 */
#define CTR_MORE_N	(sizeof(struct ctr_more_v) / sizeof(uint64_t))
_Static_assert(sizeof(struct ctr_more) == sizeof(struct ctr_more_v),
    "struct ctr_more and ctr_more_v differ");
_Static_assert(sizeof(_Atomic uint64_t) == sizeof(uint64_t),
    "_Atomic uint64_t is not a plain uint64_t");

static _Atomic uint64_t *
more_at(const struct ctr_more *m)
{
	return ((_Atomic uint64_t *)(uintptr_t)m);
}

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
	size_t k;
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
	for (k = 0; k < CTR_MORE_N; k++) {
		_Atomic uint64_t *f = &more_at(&s->more)[k];

		atomic_fetch_add_explicit(&more_at(&a->retired_more)[k],
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
sum(const struct shm *shm, const struct ctr_area *a, uint64_t v[CTR_N],
    struct ctr_more_v *more)
{
	uint64_t one[CTR_N], live = 0, idle = 0, *mv = (uint64_t *)more;
	uint32_t i;
	size_t k;
	int id;

	for (id = 0; id < CTR_N; id++)
		v[id] = atomic_load_explicit(&a->retired[id],
		    memory_order_relaxed);
	for (k = 0; more != NULL && k < CTR_MORE_N; k++)
		mv[k] = atomic_load_explicit(&more_at(&a->retired_more)[k],
		    memory_order_relaxed);
	for (i = 0; i < shm->hdr->nslots; i = sb_scan_next(shm, i)) {
		const struct sb_slot *s = sb_slot(shm, i);
		int st = sb_get_state(s);

		/* a free slot's counters are 0: folded, or never used */
		ctr_slot(s, one);
		for (id = 0; id < CTR_N; id++)
			v[id] += one[id];
		for (k = 0; more != NULL && k < CTR_MORE_N; k++)
			mv[k] += atomic_load_explicit(&more_at(&s->more)[k],
			    memory_order_relaxed);
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
	return (ctr_totals_more(shm, v, NULL));
}

int
ctr_totals_more(const struct shm *shm, uint64_t v[CTR_N],
    struct ctr_more_v *more)
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
		sum(shm, a, v, more);
		atomic_thread_fence(memory_order_acquire);
		if (atomic_load_explicit(&a->seq, memory_order_relaxed) == s1)
			return (0);
	}
	sum(shm, a, v, more);
	return (-1);
}

int
ctr_lst_claim(const struct shm *shm, const char *key)
{
	struct ctr_area *a = area(shm);
	size_t n = strlen(key);
	int i;

	if (n < CTR_LKEY && (i = ctr_lst_find(shm, key)) >= 0)
		return (i);
	for (i = 0; n < CTR_LKEY && i < CTR_LST_OTHER; i++)
		if (!atomic_load_explicit(&a->lst[i].used,
		    memory_order_relaxed))
			break;
	if (n >= CTR_LKEY || i == CTR_LST_OTHER) {
		i = CTR_LST_OTHER;
		key = "other";
		n = 5;
		if (atomic_load_explicit(&a->lst[i].used,
		    memory_order_relaxed))
			return (i);
	}
	/* the key first, then used: a reader that sees used sees the key */
	memcpy(a->lst[i].key, key, n + 1);
	atomic_store_explicit(&a->lst[i].used, 1, memory_order_release);
	return (i);
}

const char *
ctr_lst_key(const struct shm *shm, int i)
{
	const struct ctr_area *a = area(shm);

	if (i < 0 || i >= CTR_LISTENERS ||
	    !atomic_load_explicit(&a->lst[i].used, memory_order_acquire))
		return (NULL);
	return (a->lst[i].key);
}

int
ctr_lst_find(const struct shm *shm, const char *key)
{
	const char *k;
	int i, other = -1;

	for (i = 0; i < CTR_LISTENERS; i++) {
		if ((k = ctr_lst_key(shm, i)) == NULL)
			continue;
		if (i == CTR_LST_OTHER)
			other = i;
		else if (strcmp(k, key) == 0)
			return (i);
	}
	/* a key the table had no room for was claimed as "other" */
	return (strlen(key) >= CTR_LKEY || other >= 0 ? other : -1);
}

int
ctr_class(int status)
{
	return (status >= 100 && status <= 599 ? status / 100 - 1 : -1);
}

enum ctr_rule
ctr_rule_of(const char *why)
{
	size_t n = 0;
	int i;

	if (why == NULL)
		return (CTR_RULE_other);
	while ((why[n] >= 'a' && why[n] <= 'z') || why[n] == '_')
		n++;
	/* the name alone, or followed by ':' or ' ' */
	if (n == 0 || (why[n] != '\0' && why[n] != ':' && why[n] != ' '))
		return (CTR_RULE_other);
	for (i = 0; i < CTR_NRULES; i++)
		if (strlen(ctr_rules[i].name) == n &&
		    memcmp(ctr_rules[i].name, why, n) == 0)
			return ((enum ctr_rule)i);
	return (CTR_RULE_other);
}

void
ctr_lst_claim_all(const struct shm *shm, const struct cfg *cfg)
{
	int i;

	for (i = 0; i < cfg->nlisteners; i++) {
		const char *key = cfg->listeners[i].addr.text;

		if (ctr_lst_claim(shm, key) == CTR_LST_OTHER &&
		    strcmp(key, "other") != 0)
			log_warnx("listener %s: counted as \"other\" on "
			    "/metrics: more than %d listener addresses since "
			    "porter started", key, CTR_LST_OTHER);
	}
}
