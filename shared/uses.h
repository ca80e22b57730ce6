/*
 * How often each cache key missed lately, for cache_min_uses: a table of
 * counters in the segment indexed by the key's hash, so every worker
 * counts the same key in one place. Keys that share a counter count
 * together (a miss may then be stored a little early, never late), and
 * counts fall back to zero every USES_WINDOW_S seconds, as nginx counts
 * min_uses within its inactive time.
 */
#ifndef PORTER_SHARED_USES_H
#define PORTER_SHARED_USES_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define USES_SLOTS	65536
#define USES_WINDOW_S	600

struct uses_area {
	/* count in the low 8 bits (saturating), window number above */
	_Atomic uint32_t	slot[USES_SLOTS];
};

/* Bytes the table needs; zeroed memory is an empty table. */
size_t		uses_size(void);
/* One more miss for hash h at now_s (seconds): the misses of its window
   so far, this one included, at most 255. */
unsigned	uses_bump(struct uses_area *, uint64_t h, int64_t now_s);

#endif
