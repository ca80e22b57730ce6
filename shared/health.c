#include "config.h"

#include "shared/health.h"

size_t
hc_size(uint32_t nrows)
{
	return ((size_t)nrows * sizeof(struct hc_row));
}

struct hc_row *
hc_row(const struct shm *s, uint32_t row)
{
	struct hc_row *base = shm_at(s, s->hdr->off_health);

	return (&base[row]);
}

uint32_t
hc_rows(const struct shm *s)
{
	return (s->hdr->nrows);
}

void
hc_acquire(const struct shm *s, uint32_t row)
{
	struct hc_row *r = hc_row(s, row);

	atomic_fetch_add_explicit(&r->active, 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&r->requests, 1, memory_order_relaxed);
}

void
hc_release(const struct shm *s, uint32_t row)
{
	struct hc_row *r = hc_row(s, row);

	/* never below zero, even if a release were counted twice */
	if (atomic_fetch_sub_explicit(&r->active, 1, memory_order_relaxed) <= 0)
		atomic_fetch_add_explicit(&r->active, 1, memory_order_relaxed);
}
