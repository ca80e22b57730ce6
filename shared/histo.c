#include "config.h"

#include <stdio.h>

#include "shared/histo.h"

const uint64_t histo_le_us[HISTO_NB] = {
	1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 500000,
	1000000, 2500000, 5000000, 10000000, 30000000, 60000000
};

int
histo_index(uint64_t us)
{
	int lo = 0, hi = HISTO_NB;

	/* the first bound >= us, in [lo, hi] */
	while (lo < hi) {
		int mid = (lo + hi) / 2;

		if (histo_le_us[mid] >= us)
			hi = mid;
		else
			lo = mid + 1;
	}
	return (lo);
}

uint64_t
histo_us(double secs)
{
	/* NaN fails the test too */
	if (!(secs > 0))
		return (0);
	if (secs > 1e12)
		return ((uint64_t)1e18);
	return ((uint64_t)(secs * 1e6 + 0.5));
}

void
histo_cumulate(const struct histo_v *h, uint64_t cum[HISTO_NB + 1])
{
	uint64_t run = 0;
	int i;

	for (i = 0; i <= HISTO_NB; i++) {
		run += h->n[i];
		cum[i] = run;
	}
}

size_t
histo_secs_text(uint64_t us, char *dst, size_t cap)
{
	uint64_t s = us / 1000000, frac = us % 1000000;
	int n, k;

	if (frac == 0)
		n = snprintf(dst, cap, "%llu", (unsigned long long)s);
	else {
		/* 6 digits, less the trailing zeros */
		for (k = 6; frac % 10 == 0; k--)
			frac /= 10;
		n = snprintf(dst, cap, "%llu.%0*llu", (unsigned long long)s,
		    k, (unsigned long long)frac);
	}
	if (n < 0 || (size_t)n >= cap) {
		if (cap > 0)
			dst[0] = '\0';
		return (0);
	}
	return ((size_t)n);
}

size_t
histo_le_text(int i, char *dst, size_t cap)
{
	int n;

	if (i < 0 || i >= HISTO_NB) {
		n = snprintf(dst, cap, "+Inf");
		return (n < 0 || (size_t)n >= cap ? 0 : (size_t)n);
	}
	return (histo_secs_text(histo_le_us[i], dst, cap));
}
