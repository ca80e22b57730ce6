#include "config.h"

#include <string.h>

#include "shared/scoreboard.h"

size_t
sb_size(uint32_t nslots)
{
	return ((size_t)nslots * sizeof(struct sb_slot));
}


struct sb_slot *
sb_slot(const struct shm *s, uint32_t i)
{
	struct sb_slot *base = shm_at(s, s->hdr->off_scoreboard);

	return (&base[i]);
}




void
sb_mark_used(const struct shm *s, uint32_t slot)
{
	/* only the master writes it */
	if (slot + 1 > atomic_load_explicit(&s->hdr->slots_used,
	    memory_order_relaxed))
		atomic_store_explicit(&s->hdr->slots_used, slot + 1,
		    memory_order_release);
}

void
sb_set_idle(const struct shm *s, uint32_t slot, int idle)
{
	_Atomic uint8_t *map = shm_at(s, s->hdr->off_idle);

	atomic_store_explicit(&map[slot], (uint8_t)(idle != 0),
	    memory_order_relaxed);
}

int
sb_any_idle(const struct shm *s)
{
	/*
	 * A plain scan: a racing update only makes the answer a moment old,
	 * which the caller (a heuristic) tolerates.
	 */
	const uint8_t *map = shm_at(s, s->hdr->off_idle);

	return (memchr(map, 1, s->hdr->nslots) != NULL);
}
