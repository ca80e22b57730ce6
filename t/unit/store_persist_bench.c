/*
 * How long porter's start takes to restore a cache file (cache.path):
 * fills a store in FILE (SIZE MiB, default 1024; chunk_size 2K) with
 * objects of 10..100 KiB until the first eviction, then times
 * store_restore on it with and without the crc32 check, first with the
 * file in the page cache (a stop and start), then with its pages dropped
 * (posix_fadvise DONTNEED after a sync: a reboot, read from the disk);
 * and the msync a clean stop does after the fill.
 * Not run by "make check":
 *
 *   make t/unit/store_persist_bench
 *   t/unit/store_persist_bench /var/tmp/porter-bench.cache 1024
 */
#include "config.h"

#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/store.h"

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + ts.tv_nsec / 1e9);
}

static uint64_t
xs(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (*s);
}

static void *
map(int fd, size_t len)
{
	void *at = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	if (at == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return (at);
}

/* Drop the file's pages from the page cache (after writing them). */
static void
drop(int fd, void *at, size_t len)
{
	if (msync(at, len, MS_SYNC) == -1 || munmap(at, len) == -1 ||
	    fdatasync(fd) == -1 ||
	    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) != 0) {
		perror("drop");
		exit(1);
	}
}

static void
timed(void *at, const struct store_params *p, int verify, const char *what)
{
	struct store_restore res;
	char why[200];
	double t0 = now(), t;

	if (store_restore(at, p, verify, &res, why, sizeof(why)) == -1) {
		fprintf(stderr, "restore: %s\n", why);
		exit(1);
	}
	t = now() - t0;
	printf("%-34s %8.1f ms  (%u objects kept, %u dropped)\n", what,
	    t * 1000, res.kept, res.dropped_bad + res.dropped_crc +
	    res.dropped_state);
}

int
main(int argc, char **argv)
{
	struct store_params p;
	struct store_stats s;
	struct store *st;
	struct store_ref r;
	struct store_meta m;
	char key[96], head[128], *body;
	uint64_t seed = 88172645463325252ULL, n;
	size_t len;
	double t0;
	int fd, k = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: store_persist_bench FILE [MiB]\n");
		return (2);
	}
	memset(&p, 0, sizeof(p));
	p.size = (uint64_t)(argc > 2 ? atoi(argv[2]) : 1024) << 20;
	p.chunk_size = STORE_CHUNK_DEFAULT;
	p.max_object = 8 << 20;
	p.nslots = 256;		/* workers.max 64: 128 slots, two porters */
	p.max_variants = 8;
	p.max_waiters = 256;
	p.collapse_ms = 5000;
	len = store_size(&p);
	if ((body = malloc(100 << 10)) == NULL)
		return (1);
	for (n = 0; n < (100 << 10); n++)
		body[n] = (char)xs(&seed);
	if ((fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    ftruncate(fd, (off_t)len) == -1 ||
	    posix_fallocate(fd, 0, (off_t)len) != 0) {
		perror(argv[1]);
		return (1);
	}
	st = map(fd, len);
	if (store_init(st, &p) == -1) {
		perror("store_init");
		return (1);
	}
	memset(&m, 0, sizeof(m));
	m.expires = INT64_MAX;		/* nothing expires: only evictions */
	m.status = 200;
	t0 = now();
	for (;;) {
		uint32_t bl = (uint32_t)(10240 + xs(&seed) % (92160 + 1));
		int hl = snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\n"
		    "Content-Length: %u\r\n\r\n", bl);
		int kl = snprintf(key, sizeof(key), "G%chttp%cexample.com%c"
		    "/object/%d%croute%c", 0, 0, 0, k, 0, 0);
		uint64_t h = 0xcbf29ce484222325ULL;
		int i;

		for (i = 0; i < kl; i++)
			h = (h ^ (unsigned char)key[i]) * 0x100000001b3ULL;
		if (store_lookup(st, 0, h, key, (uint32_t)kl, NULL, NULL, 1,
		    0, 1000, &r, NULL) != STORE_FILL)
			break;
		body[0] = (char)k;	/* no two alike */
		if (store_fill_head(st, r, "", 0, head, (uint32_t)hl,
		    &m) == -1 || store_fill_append(st, r, body, bl) == -1 ||
		    store_fill_done(st, 0, r) == -1)
			break;
		k++;
		/* full: the first eviction (store_stats scans: not each time) */
		if (k % 64 == 0) {
			store_stats(st, &s);
			if (s.c[STORE_C_EVICTIONS] > 0 ||
			    s.c[STORE_C_EXPIRED_EVICTIONS] > 0)
				break;
		}
	}
	store_stats(st, &s);
	printf("filled %llu objects (%.1f MiB stored, %llu of %llu chunks "
	    "used) in a %zu MiB file, %.1f s (crc32 at each fill included)\n",
	    (unsigned long long)s.objects, s.bytes / 1048576.0,
	    (unsigned long long)(s.chunks_total - s.chunks_free),
	    (unsigned long long)s.chunks_total, len >> 20, now() - t0);
	/* what a clean stop adds: the dirty pages written (cachefile_close) */
	t0 = now();
	if (msync(st, len, MS_SYNC) == -1) {
		perror("msync");
		return (1);
	}
	printf("%-34s %8.1f ms  (a clean stop's sync of the filled file)\n",
	    "msync", (now() - t0) * 1000);
	timed(st, &p, 0, "page cache, no crc check");
	timed(st, &p, 1, "page cache, crc check");
	drop(fd, st, len);
	st = map(fd, len);
	timed(st, &p, 0, "from the disk, no crc check");
	drop(fd, st, len);
	st = map(fd, len);
	timed(st, &p, 1, "from the disk, crc check");
	(void)munmap(st, len);
	(void)close(fd);
	(void)unlink(argv[1]);
	free(body);
	return (0);
}
