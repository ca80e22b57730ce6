#include "config.h"

#include <string.h>

#include "shared/counters.h"
#include "shared/scoreboard.h"
#include "shared/shm.h"

#define CTR_DEF_ITEM(name, type, where, help)				\
	[CTR_ID(name)] = { #name, help, CTR_##type, CTR_##where },
const struct ctr_def ctr_defs[CTR_N] = { CTR_TABLE(CTR_DEF_ITEM) };

/* Where a SLOT entry's field is in struct sb_slot; 0 for the others. */
#define CTR_OFF_ITEM(name, type, where, help)				\
	[CTR_ID(name)] = CTR_OFF_##where(name),
#define CTR_OFF_SLOT(name)	offsetof(struct sb_slot, name)
#define CTR_OFF_STATE(name)	0
static const size_t slot_off[CTR_N] = { CTR_TABLE(CTR_OFF_ITEM) };

/* Entry id's field in slot s; id is a SLOT entry. */
static _Atomic uint64_t *
field(const struct sb_slot *s, int id)
{
	return ((_Atomic uint64_t *)((const char *)s + slot_off[id]));
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

/* The STATE entries of the table are counted here, one line each. */
void
ctr_totals(const struct shm *shm, uint64_t v[CTR_N])
{
	uint64_t one[CTR_N], live = 0, idle = 0;
	uint32_t i;
	int id;

	memset(v, 0, CTR_N * sizeof(v[0]));
	for (i = 0; i < shm->hdr->nslots; i++) {
		const struct sb_slot *s = sb_slot(shm, i);
		int st = sb_get_state(s);

		if (st == SB_DEAD)
			continue;
		ctr_slot(s, one);
		for (id = 0; id < CTR_N; id++)
			v[id] += one[id];
		live++;
		idle += st == SB_IDLE;
	}
	v[CTR_ID(workers)] = live;
	v[CTR_ID(idle)] = idle;
	v[CTR_ID(busy)] = live - idle;
}
