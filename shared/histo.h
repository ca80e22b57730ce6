/*
 * Latency histograms with fixed buckets, for the segment: a worker adds
 * to its own slot's histograms (shared/counters.h), the master folds a
 * reaped worker's into the retired ones, and /metrics prints them as
 * Prometheus histograms. Each bucket is counted on its own (not
 * cumulatively), so adding one observation is two relaxed atomic adds
 * and a fold is a plain sum; readers make them cumulative.
 *
 * The bounds are the same for every histogram: from 1 ms (a cache hit,
 * a status page) to 60 s (timeouts.upstream's default), about 2.5x apart.
 * Times are whole microseconds, so the sum is an exact integer too.
 */
#ifndef PORTER_SHARED_HISTO_H
#define PORTER_SHARED_HISTO_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define HISTO_NB	15	/* finite upper bounds; one more bucket
				   (+Inf) holds what is above the last */

/* Upper bounds (inclusive, as Prometheus' le), microseconds, ascending. */
extern const uint64_t histo_le_us[HISTO_NB];

struct histo {
	_Atomic uint64_t	n[HISTO_NB + 1];	/* observations in each
							   bucket alone */
	_Atomic uint64_t	sum_us;
};

/* The same, read out: plain numbers. */
struct histo_v {
	uint64_t	n[HISTO_NB + 1];
	uint64_t	sum_us;
};

/* The bucket of an observation of us: the first bound >= us, or HISTO_NB. */
int		histo_index(uint64_t us);

/* secs (a difference of clock_now() values) in whole microseconds; 0 if < 0. */
uint64_t	histo_us(double secs);

/* One observation; only the histogram's owner calls it. */
static inline void
histo_add(struct histo *h, uint64_t us)
{
	atomic_fetch_add_explicit(&h->n[histo_index(us)], 1,
	    memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

/*
 * cum[i]: observations <= bound i (cum[HISTO_NB]: all of them, the count
 * and the +Inf bucket). Never decreasing in i.
 */
void		histo_cumulate(const struct histo_v *, uint64_t cum[HISTO_NB + 1]);

/*
 * Bucket i's le label value: "0.001" ... "60" in seconds, the shortest
 * form that reads back exactly, and "+Inf" for i == HISTO_NB. Its length.
 */
size_t		histo_le_text(int i, char *dst, size_t cap);

/* A sum of microseconds as seconds, "12.345678" (exact, no rounding). */
size_t		histo_secs_text(uint64_t us, char *dst, size_t cap);

#endif
