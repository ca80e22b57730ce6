#include "config.h"

#include <sys/random.h>

#include <time.h>
#include <unistd.h>

#include "worker/reqid.h"

static uint64_t
rotl(uint64_t x, int k)
{
	return ((x << k) | (x >> (64 - k)));
}

/* xoshiro256** (Blackman and Vigna): fast, and 256 bits of state. */
static uint64_t
next(struct reqid_rng *r)
{
	uint64_t *s = r->s, out = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return (out);
}

/* splitmix64: spreads a weak seed over the whole state. */
static uint64_t
splitmix(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return (z ^ (z >> 31));
}

void
reqid_seed(struct reqid_rng *r)
{
	struct timespec ts;
	uint64_t x;
	int i;

	if (getrandom(r->s, sizeof(r->s), GRND_NONBLOCK) ==
	    (ssize_t)sizeof(r->s) && (r->s[0] | r->s[1] | r->s[2] | r->s[3]))
		return;
	/* no kernel randomness yet (early boot): unique, if guessable */
	(void)clock_gettime(CLOCK_REALTIME, &ts);
	x = ((uint64_t)getpid() << 32) ^ (uint64_t)ts.tv_sec ^
	    ((uint64_t)ts.tv_nsec << 20) ^ (uint64_t)(uintptr_t)r;
	for (i = 0; i < 4; i++)
		r->s[i] = splitmix(&x);
}

void
reqid_make(struct reqid_rng *r, char *out)
{
	static const char hex[] = "0123456789abcdef";
	int i, j;

	for (i = 0; i < 2; i++) {
		uint64_t v = next(r);

		for (j = 0; j < 16; j++, v >>= 4)
			out[i * 16 + j] = hex[v & 15];
	}
	out[REQID_LEN] = '\0';
}

int
reqid_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0 || n > REQID_MAX)
		return (0);
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e)
			return (0);
	return (1);
}
