/* A 64-bit mixing function both the balancer and the limits tables use. */
#ifndef PORTER_LIB_MIX_H
#define PORTER_LIB_MIX_H

#include <stdint.h>

/*
 * splitmix64's finaliser: a bijection that spreads every input bit over
 * the whole word (FNV-1a alone leaves similar short strings close).
 */
static inline uint64_t
mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (x);
}

#endif
