#include "config.h"

#include <string.h>

#include "shared/scoreboard.h"

size_t
sb_size(uint32_t nslots)
{
	return ((size_t)nslots * sizeof(struct sb_slot));
}

uint32_t
sb_count(const struct shm *s)
{
	return (s->hdr->nslots);
}

struct sb_slot *
sb_slot(const struct shm *s, uint32_t i)
{
	struct sb_slot *base = shm_at(s, s->hdr->off_scoreboard);

	return (&base[i]);
}

int
sb_find_free(const struct shm *s)
{
	uint32_t i;

	for (i = 0; i < s->hdr->nslots; i++)
		if (sb_get_state(sb_slot(s, i)) == SB_DEAD)
			return ((int)i);
	return (-1);
}

uint32_t
sb_count_state(const struct shm *s, int st)
{
	uint32_t i, n = 0;

	for (i = 0; i < s->hdr->nslots; i++)
		if (sb_get_state(sb_slot(s, i)) == st)
			n++;
	return (n);
}

const char *
sb_state_name(int st)
{
	static const char *const names[] = {
		"dead", "starting", "idle", "reading", "upstream",
		"writing", "keepalive", "tunnel", "graceful"
	};

	if (st < 0 || st >= (int)(sizeof(names) / sizeof(names[0])))
		return ("?");
	return (names[st]);
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
