#include "config.h"

#include <stdlib.h>

#include "worker/balance.h"

int
balance_init(struct balance *b, const struct cfg_pool *p)
{
	int64_t *cur;
	uint32_t total = 0, k;
	int i;

	for (i = 0; i < p->nservers; i++)
		total += (uint32_t)p->servers[i].weight;
	b->nservers = p->nservers;
	b->len = total;
	b->seq = calloc(total, sizeof(*b->seq));
	cur = calloc((size_t)p->nservers, sizeof(*cur));
	if (b->seq == NULL || cur == NULL) {
		free(b->seq);
		free(cur);
		b->seq = NULL;
		return (-1);
	}
	/* Smooth weighted round-robin: one full period of it. */
	for (k = 0; k < total; k++) {
		int best = 0;

		for (i = 0; i < p->nservers; i++) {
			cur[i] += p->servers[i].weight;
			if (cur[i] > cur[best])
				best = i;
		}
		cur[best] -= total;
		b->seq[k] = (uint16_t)best;
	}
	free(cur);
	return (0);
}

void
balance_free(struct balance *b)
{
	free(b->seq);
	b->seq = NULL;
}

int
balance_pick(const struct balance *b, _Atomic uint64_t *counter)
{
	uint64_t n = atomic_fetch_add_explicit(counter, 1,
	    memory_order_relaxed);

	return (b->seq[n % b->len]);
}
