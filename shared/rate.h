/*
 * Requests a second over the last 1, 5 and 15 minutes, for the status
 * page. The master samples the service's request total (retired + live
 * slots, ctr_totals) once a second into a ring of cumulative totals in the
 * segment's header; a reader divides the difference between the newest
 * sample and the one W seconds older by W. So the figures are exact
 * averages over their windows, not decayed ones like a load average, and
 * honest from the start: while porter has run less than W seconds, the
 * average is over the seconds it has run.
 *
 * One writer (the master), readers anywhere, no lock: a reader takes the
 * newest second with acquire, and the ring is longer than the longest
 * window so the sample it reads W seconds back is not overwritten while
 * it reads (only a reader stalled for a minute could see a newer one).
 */
#ifndef PORTER_SHARED_RATE_H
#define PORTER_SHARED_RATE_H

#include <stdatomic.h>
#include <stdint.h>

#define RATE_MAX_WINDOW	900		/* 15 minutes */
#define RATE_RING	(RATE_MAX_WINDOW + 60)

struct rate_area {
	_Atomic int64_t		last;		/* second (monotonic) of the
						   newest sample */
	int64_t			first;		/* of the first one, set before
						   have */
	_Atomic uint32_t	have;		/* 1 once there is a sample */
	_Atomic uint64_t	total[RATE_RING];	/* by second % RATE_RING:
						   requests since start */
};

/* Whether second sec still needs its sample (the master's test). */
static inline int
rate_due(const struct rate_area *r, int64_t sec)
{
	return (!atomic_load_explicit(&r->have, memory_order_relaxed) ||
	    sec > atomic_load_explicit(&r->last, memory_order_relaxed));
}

/*
 * The master only: the request total at monotonic second sec. A second
 * already sampled is left alone; seconds the master missed (it was busy
 * or stopped) get totals on the line between the two samples around
 * them, so a stall spreads its requests rather than piling them up.
 */
void	rate_sample(struct rate_area *, int64_t sec, uint64_t total);

/*
 * Requests a second over the last window seconds (<= RATE_MAX_WINDOW),
 * or over the seconds sampled so far when fewer; 0 before two samples.
 */
double	rate_per_s(const struct rate_area *, unsigned window);

#endif
