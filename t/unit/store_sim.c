/*
 * Measurements behind two of the store's choices, through the real store
 * code (not run by "make check"; build t/unit/store_sim and
 * t/unit/store_sim_clock, the same program over store.c built with
 * S3-FIFO and with CLOCK, and run each):
 *
 *   1. Hit ratio of the eviction policy: a Zipf-distributed key stream
 *      (alpha 0.9 and 1.0) over SIM_KEYS keys, a store holding about 5 %
 *      of them, SIM_REQUESTS requests, fixed seed. A miss fills the key.
 *   2. Bytes lost per object to chunking (the last chunk's slack, chunk
 *      headers, the preamble) for 1 KiB and 64 KiB bodies with a 60-byte
 *      key and a 300-byte head, per chunk size; plus the area each takes
 *      counting the index the store reserves per chunk (an entry, a
 *      bucket and a ghost slot).
 */
#include "config.h"

#include <sys/mman.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shared/store.h"

#define SIM_KEYS	100000
#define SIM_REQUESTS	2000000
#define SIM_CACHED	(SIM_KEYS / 20)
#define SIM_BODY	400

static size_t	memlen;

static struct store *
make(uint64_t size, uint32_t chunk, void **mem)
{
	struct store_params p = {
		.size = size, .chunk_size = chunk, .max_object = 1 << 24,
		.nslots = 8, .max_variants = 4, .max_waiters = 0
	};
	size_t n = store_size(&p);

	memlen = n;
	*mem = mmap(NULL, n, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (*mem == MAP_FAILED || store_init(*mem, &p) == -1) {
		perror("store");
		exit(1);
	}
	return (store_at(*mem));
}

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

static uint64_t
hash(const char *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= (uint8_t)k[i];
		h *= 0x100000001b3ULL;
	}
	h ^= h >> 31;
	h *= 0x9e3779b97f4a7c15ULL;
	return (h ^ (h >> 29));
}

/* Fill key with a body of n bytes and a head of hlen from slot 0. */
static int
fill(struct store *st, const char *key, uint32_t klen, uint64_t h,
    uint32_t hlen, uint32_t n)
{
	static char buf[65536];
	struct store_meta m;
	struct store_ref r;
	uint32_t k;

	memset(&m, 0, sizeof(m));
	m.expires = INT64_MAX;
	if (store_lookup(st, 0, h, key, klen, NULL, NULL, 1,
	    STORE_SKIP_FILLING, 1, &r, NULL) != STORE_FILL)
		return (-1);
	if (store_fill_head(st, r, "", 0, buf, hlen, &m) == -1)
		goto fail;
	for (; n > 0; n -= k) {
		k = n < sizeof(buf) ? n : (uint32_t)sizeof(buf);
		if (store_fill_append(st, r, buf, k) == -1)
			goto fail;
	}
	return (store_fill_done(st, 0, r));
fail:
	store_fill_abort(st, 0, r, 0);
	return (-1);
}

static double
hit_ratio(double alpha, uint32_t *nchunks)
{
	struct store *st;
	struct store_ref r;
	struct store_stats s;
	double *cdf, sum = 0, u;
	uint64_t seed = 0x9e3779b97f4a7c15ULL, hits = 0;
	uint32_t i, lo, hi, mid, klen;
	char key[32];
	void *mem;

	/* about SIM_CACHED one-chunk objects */
	st = make((uint64_t)SIM_CACHED * (1024 + 136) + (1 << 16), 1024,
	    &mem);
	store_stats(st, &s);
	*nchunks = (uint32_t)s.chunks_total;
	if ((cdf = malloc(sizeof(double) * SIM_KEYS)) == NULL)
		exit(1);
	for (i = 0; i < SIM_KEYS; i++)
		cdf[i] = (sum += 1.0 / pow(i + 1, alpha));
	for (i = 0; i < SIM_REQUESTS; i++) {
		u = (double)(rnd(&seed) >> 11) / 9007199254740992.0 * sum;
		for (lo = 0, hi = SIM_KEYS - 1; lo < hi;) {
			mid = (lo + hi) / 2;
			if (cdf[mid] < u)
				lo = mid + 1;
			else
				hi = mid;
		}
		/* ranks scattered over the key space */
		klen = (uint32_t)snprintf(key, sizeof(key), "/obj/%u",
		    (lo * 2654435761u) % SIM_KEYS);
		switch (store_lookup(st, 0, hash(key, klen), key, klen, NULL,
		    NULL, 0, 0, 1, &r, NULL)) {
		case STORE_HIT:
			hits++;
			store_touch(st, r);
			store_unpin(st, 0);
			break;
		default:
			(void)fill(st, key, klen, hash(key, klen), 20,
			    SIM_BODY);
			break;
		}
	}
	free(cdf);
	(void)munmap(mem, memlen);
	return ((double)hits / SIM_REQUESTS);
}

static void
chunk_table(void)
{
	static const uint32_t sizes[] = { 512, 1024, 2048, 4096 };
	static const uint32_t bodies[] = { 1024, 65536 };
	const uint32_t klen = 60, hlen = 300;
	struct store_stats s0, s;
	struct store *st;
	char key[61];
	size_t i, j;
	void *mem;

	memset(key, 'k', 60);
	key[60] = '\0';
	printf("\nchunk waste per object (key %u B, head %u B):\n", klen,
	    hlen);
	printf("%-6s %-7s %6s %10s %10s %8s %12s\n", "chunk", "body",
	    "chunks", "waste B", "of which", "waste %", "area B/obj");
	printf("%-6s %-7s %6s %10s %10s %8s %12s\n", "", "", "",
	    "(slack+hdr)", "headers", "", "(w/ index)");
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		for (j = 0; j < sizeof(bodies) / sizeof(bodies[0]); j++) {
			uint64_t used, obj = klen + hlen + bodies[j], waste;

			st = make(16 << 20, sizes[i], &mem);
			store_stats(st, &s0);
			if (fill(st, key, klen, 42, hlen, bodies[j]) == -1)
				exit(1);
			store_stats(st, &s);
			used = s0.chunks_free - s.chunks_free;
			waste = used * sizes[i] - obj;
			printf("%-6u %-7u %6llu %10llu %10llu %7.1f%% %12llu\n",
			    sizes[i], bodies[j], (unsigned long long)used,
			    (unsigned long long)waste,
			    (unsigned long long)(used * 16 + 16),
			    100.0 * (double)waste / (double)obj,
			    (unsigned long long)(used * (sizes[i] + 136)));
			(void)munmap(mem, memlen);
		}
}

int
main(void)
{
	uint32_t nchunks;
	double h09, h10;

	h09 = hit_ratio(0.9, &nchunks);
	h10 = hit_ratio(1.0, &nchunks);
#ifdef STORE_EVICT_CLOCK
	printf("policy CLOCK");
#else
	printf("policy S3-FIFO");
#endif
	printf(": %u keys, %u objects fit, %u requests\n", SIM_KEYS, nchunks,
	    SIM_REQUESTS);
	printf("  zipf 0.9: hit ratio %.4f\n", h09);
	printf("  zipf 1.0: hit ratio %.4f\n", h10);
	chunk_table();
	return (0);
}
