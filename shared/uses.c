#include "config.h"

#include "shared/uses.h"

size_t
uses_size(void)
{
	return (sizeof(struct uses_area));
}

unsigned
uses_bump(struct uses_area *u, uint64_t h, int64_t now_s)
{
	_Atomic uint32_t *s = &u->slot[(h ^ (h >> 32)) % USES_SLOTS];
	uint32_t window = (uint32_t)(now_s / USES_WINDOW_S) & 0xffffff;
	uint32_t old = atomic_load_explicit(s, memory_order_relaxed), n;

	do {
		n = (old >> 8) == window ? old & 0xff : 0;
		if (n < 255)
			n++;
	} while (!atomic_compare_exchange_weak_explicit(s, &old,
	    window << 8 | n, memory_order_relaxed, memory_order_relaxed));
	return (n);
}
