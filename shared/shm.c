#include "config.h"

#include <sys/mman.h>
#include <sys/random.h>

#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/counters.h"
#include "shared/health.h"
#include "shared/jobs.h"
#include "shared/limits.h"
#include "shared/shm.h"
#include "shared/scoreboard.h"
#include "shared/store.h"
#include "shared/uses.h"

#define SHM_ALIGN	64	/* keep parts on their own cache lines */

static size_t
align_up(size_t n)
{
	return ((n + SHM_ALIGN - 1) & ~(size_t)(SHM_ALIGN - 1));
}

int
shm_create(struct shm *s, const struct shm_sizes *z)
{
	size_t off_sb, off_idle, off_pools, off_health, off_ctr, off_lim;
	size_t off_cache = 0, cache_size = 0, off_uses = 0, off_jobs = 0;
	size_t size;
	void *base;

	off_sb = align_up(sizeof(struct shm_header));
	off_idle = align_up(off_sb + sb_size(z->nslots));
	off_pools = align_up(off_idle + z->nslots);
	off_health = align_up(off_pools +
	    (size_t)z->npools * sizeof(struct shm_pool));
	off_ctr = align_up(off_health + hc_size(z->nrows));
	off_lim = align_up(off_ctr + sizeof(struct ctr_area));
	size = align_up(off_lim + lim_size());
	if (z->cache != NULL) {
		/* with cache.path the store is a mapping of its own */
		if (!z->cache_apart) {
			off_cache = size;
			cache_size = store_size(z->cache);
			size = align_up(off_cache + cache_size);
		}
		off_uses = size;
		off_jobs = align_up(off_uses + uses_size());
		size = align_up(off_jobs + jobs_size(JOBS_SLOTS));
	}
	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return (-1);
	/* Anonymous mappings come zeroed: every slot starts SB_DEAD. */
	memset(s, 0, sizeof(*s));
	s->cache_fd = -1;
	s->base = base;
	s->size = size;
	s->hdr = base;
	s->hdr->magic = SHM_MAGIC;
	s->hdr->layout = SHM_LAYOUT;
	atomic_store(&s->hdr->generation, 1);
	s->hdr->size = size;
	s->hdr->off_scoreboard = off_sb;
	s->hdr->nslots = z->nslots;
	s->hdr->off_idle = off_idle;
	s->hdr->off_pools = off_pools;
	s->hdr->npools = z->npools;
	s->hdr->off_health = off_health;
	s->hdr->nrows = z->nrows;
	s->hdr->off_counters = off_ctr;	/* zeroed: nothing retired yet */
	s->hdr->off_limits = off_lim;	/* zeroed: no connection, full buckets */
	if (z->cache != NULL && ((!z->cache_apart &&
	    store_init(shm_at(s, off_cache), z->cache) == -1) ||
	    jobs_init(shm_at(s, off_jobs), JOBS_SLOTS) == -1)) {
		(void)munmap(base, size);
		memset(s, 0, sizeof(*s));
		return (-1);
	}
	s->hdr->off_cache = off_cache;
	s->hdr->cache_size = cache_size;
	s->hdr->off_uses = off_uses;	/* zeroed: no misses yet */
	s->hdr->off_jobs = off_jobs;
	if (getrandom(&s->hdr->instance, sizeof(s->hdr->instance),
	    GRND_NONBLOCK) != (ssize_t)sizeof(s->hdr->instance))
		s->hdr->instance = (uint32_t)getpid() ^ (uint32_t)time(NULL);
	s->hdr->started = (int64_t)time(NULL);
	return (0);
}

void
shm_destroy(struct shm *s)
{
	if (s->base != NULL)
		(void)munmap(s->base, s->size);
	memset(s, 0, sizeof(*s));
}

struct store *
shm_store(const struct shm *s)
{
	if (s->cache != NULL)
		return (store_at(s->cache));
	if (s->hdr == NULL || s->hdr->off_cache == 0)
		return (NULL);
	return (store_at(shm_at(s, s->hdr->off_cache)));
}

void
shm_set_cache(struct shm *s, void *at, size_t len, int fd,
    uint32_t slot_base)
{
	s->cache = at;
	s->cache_len = len;
	s->cache_fd = fd;
	s->cache_slot_base = slot_base;
	s->hdr->cache_size = len;
}

struct uses_area *
shm_uses(const struct shm *s)
{
	if (s->hdr == NULL || s->hdr->off_uses == 0)
		return (NULL);
	return (shm_at(s, s->hdr->off_uses));
}

struct jobs *
shm_jobs(const struct shm *s)
{
	if (s->hdr == NULL || s->hdr->off_jobs == 0)
		return (NULL);
	return (jobs_at(shm_at(s, s->hdr->off_jobs)));
}

struct shm_pool *
shm_pool(const struct shm *s, uint32_t i)
{
	struct shm_pool *base = shm_at(s, s->hdr->off_pools);

	return (&base[i]);
}
