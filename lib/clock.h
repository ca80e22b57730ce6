/* Monotonic time in seconds, for deadlines. */
#ifndef PORTER_LIB_CLOCK_H
#define PORTER_LIB_CLOCK_H

#include <time.h>

static inline double
clock_now(void)
{
	struct timespec ts;

	/* CLOCK_MONOTONIC cannot fail on Linux with a valid pointer. */
	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

#endif
