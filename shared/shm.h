/*
 * The one shared-memory segment: made by the master before the first fork
 * (MAP_SHARED|MAP_ANONYMOUS), so every worker sees it at the same address.
 * Parts are found by offsets in the header, never by stored pointers.
 *
 *   header | scoreboard | idle map | pools | health table (backends) |
 *   counters (retired workers' totals) | limits (per-client tables) |
 *   cache (shared/store.h: index and arena; only when a route caches) |
 *   miss counts (shared/uses.h: cache_min_uses; with the cache) |
 *   jobs (shared/jobs.h: the cache keeper's job table; with the cache)
 *
 * With cache.path the cache is not in the segment but its own mapping
 * of that file (master/cachefile.c), also made before the first fork.
 */
#ifndef PORTER_SHARED_SHM_H
#define PORTER_SHARED_SHM_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "shared/parking.h"
#include "shared/rate.h"

struct store_params;

#define SHM_MAGIC	0x726574726f70ULL	/* "porter" */
#define SHM_LAYOUT	10

struct shm_header {
	uint64_t		magic;
	uint32_t		layout;		/* SHM_LAYOUT */
	_Atomic uint32_t	generation;	/* bumped by HUP, USR1 and QUIT:
						   older workers exit */
	uint64_t		size;		/* of the whole segment */
	uint64_t		off_scoreboard;
	uint32_t		nslots;
	_Atomic uint32_t	slots_used;	/* slots from here on were never
						   given to a worker (see
						   sb_scan_next) */
	uint64_t		off_idle;	/* one byte per slot */
	uint64_t		off_pools;
	uint32_t		npools;
	uint64_t		off_health;	/* health table (hc_row) */
	uint32_t		nrows;
	uint64_t		off_counters;	/* struct ctr_area: retired
						   workers' totals */
	uint64_t		off_limits;	/* struct lim_area: the waiter's
						   connections, token buckets */
	uint64_t		off_cache;	/* struct store; 0: no cache */
	uint64_t		cache_size;	/* its bytes */
	uint64_t		off_uses;	/* struct uses_area, with the
						   cache; 0: none */
	uint64_t		off_jobs;	/* struct jobs, with the cache;
						   0: none */
	uint32_t		instance;	/* random, per running porter: its
						   Via name, so loops show */
	int64_t			started;	/* unix time the master made it:
						   the status page's uptime */
	struct shm_waiter	waiter;		/* the waiter's settings and
						   figures (parking.h) */
	struct rate_area	rate;		/* requests a second (rate.h):
						   the master samples */
};

/* Per-pool state every worker shares. */
struct shm_pool {
	_Atomic uint64_t	rr;		/* next round-robin position */
} __attribute__((aligned(64)));

struct shm {
	void			*base;
	size_t			 size;
	struct shm_header	*hdr;
	/* the cache as its own mapping (cache.path; master/cachefile.c) */
	void			*cache;		/* NULL: in the segment, or none */
	size_t			 cache_len;
	int			 cache_fd;	/* the file; -1: anonymous */
	uint32_t		 cache_slot_base;	/* this porter's holds in
					   a file two porters may share */
	char			*cache_path;
};

/* What the segment must hold; derived from the config. */
struct shm_sizes {
	uint32_t	nslots;		/* scoreboard slots: workers.max
					   twice, for two generations */
	uint32_t	npools;
	uint32_t	nrows;		/* health table rows */
	const struct store_params *cache;	/* NULL: no cache part */
	int		cache_apart;	/* the cache is mapped on its own
					   (shm_set_cache): the segment
					   keeps only its miss counts */
};

/* Map and lay out a fresh zeroed segment. 0, or -1 with errno set. */
int	shm_create(struct shm *, const struct shm_sizes *);
void	shm_destroy(struct shm *);

/* The cache's store, or NULL when the segment has none. */
struct store	*shm_store(const struct shm *);

/*
 * A cache mapped apart (cache.path) at at, len bytes, before the first
 * fork: shm_store() finds it there. fd: its file (-1: anonymous);
 * slot_base: added to a scoreboard slot to name its hold in the store.
 */
void		 shm_set_cache(struct shm *, void *at, size_t len, int fd,
		    uint32_t slot_base);

/* The store's hold slot of scoreboard slot i. */
static inline uint32_t
shm_cache_slot(const struct shm *s, uint32_t i)
{
	return (s->cache_slot_base + i);
}
/* The cache's miss counts (cache_min_uses), or NULL. */
struct uses_area *shm_uses(const struct shm *);

/* Pool i's shared state; i < npools. */
struct shm_pool	*shm_pool(const struct shm *, uint32_t i);

static inline void *
shm_at(const struct shm *s, uint64_t off)
{
	return ((char *)s->base + off);
}

#endif
