#include "config.h"

#include "shared/rate.h"

void
rate_sample(struct rate_area *r, int64_t sec, uint64_t total)
{
	int64_t last = atomic_load_explicit(&r->last, memory_order_relaxed);
	uint64_t prev;
	int64_t gap, i;

	if (!atomic_load_explicit(&r->have, memory_order_relaxed)) {
		atomic_store_explicit(&r->total[sec % RATE_RING], total,
		    memory_order_relaxed);
		r->first = sec;
		atomic_store_explicit(&r->last, sec, memory_order_relaxed);
		atomic_store_explicit(&r->have, 1, memory_order_release);
		return;
	}
	if (sec <= last)
		return;
	prev = atomic_load_explicit(&r->total[last % RATE_RING],
	    memory_order_relaxed);
	if (total < prev)	/* never: totals only grow; keep it so */
		total = prev;
	gap = sec - last;
	/* a gap longer than the ring: only its last RATE_RING seconds */
	for (i = gap > RATE_RING ? gap - RATE_RING + 1 : 1; i <= gap; i++) {
		uint64_t v = prev + (uint64_t)((double)(total - prev) *
		    (double)i / (double)gap);

		if (i == gap)
			v = total;
		atomic_store_explicit(&r->total[(last + i) % RATE_RING], v,
		    memory_order_relaxed);
	}
	atomic_store_explicit(&r->last, sec, memory_order_release);
}

double
rate_per_s(const struct rate_area *r, unsigned window)
{
	int64_t last, span;
	uint64_t hi, lo;

	if (!atomic_load_explicit(&r->have, memory_order_acquire))
		return (0.0);
	last = atomic_load_explicit(&r->last, memory_order_acquire);
	span = last - r->first;
	if (window > RATE_MAX_WINDOW)
		window = RATE_MAX_WINDOW;
	if (span < (int64_t)window)
		window = (unsigned)span;
	if (window == 0)
		return (0.0);
	hi = atomic_load_explicit(&r->total[last % RATE_RING],
	    memory_order_relaxed);
	lo = atomic_load_explicit(&r->total[(last - window) % RATE_RING],
	    memory_order_relaxed);
	return (hi >= lo ? (double)(hi - lo) / (double)window : 0.0);
}
