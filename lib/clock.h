/* Monotonic time in seconds, for deadlines. */
#ifndef PORTER_LIB_CLOCK_H
#define PORTER_LIB_CLOCK_H

#include <sys/time.h>

#include <stdint.h>
#include <time.h>

static inline double
clock_now(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

/* Monotonic milliseconds: the same clock in every process of the box. */
static inline int64_t
clock_now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

/* secs >= 0 as a struct timeval (socket timeouts). */
static inline struct timeval
clock_timeval(double secs)
{
	struct timeval tv;

	tv.tv_sec = (time_t)secs;
	tv.tv_usec = (suseconds_t)((secs - (double)tv.tv_sec) * 1e6);
	return (tv);
}

#endif
