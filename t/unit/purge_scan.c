/*
 * How long a purge job's scan takes (not run by "make check"): a 1 GiB
 * store filled with N 1 KiB objects (default 420000, about all that fit
 * with 2 KiB chunks), each with three tags, then a tag purge hitting 1 in
 * 1000, a soft one hitting 1 in 7, a prefix purge for any host hitting 1
 * in 100, and a tag nobody carries. make t/unit/purge_scan; then
 * t/unit/purge_scan [N].
 */
#include "config.h"

#include <sys/mman.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "shared/purge.h"
#include "shared/store.h"

#define TAG_1000(i)	((uint64_t)(i) % 1000 * 0x9e3779b97f4a7c15ULL + 7)
#define TAG_7(i)	((uint64_t)(i) % 7 * 0xc2b2ae3d27d4eb4fULL + 3)

static double
now(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_MONOTONIC, &ts);
	return ((double)ts.tv_sec + (double)ts.tv_nsec / 1e9);
}

static void
report(const char *what, uint64_t n, double t0)
{
	(void)printf("%-44s %7llu in %6.1f ms\n", what, (unsigned long long)n,
	    (now() - t0) * 1000);
}

int
main(int argc, char *argv[])
{
	struct store_params p = { .size = 1ULL << 30, .chunk_size = 2048,
	    .max_object = 1 << 20, .nslots = 64, .max_variants = 8 };
	static char body[1024];
	struct store_purge sp;
	struct store_meta m;
	struct job_spec js;
	struct store *st;
	uint64_t tags[3];
	uint32_t i, n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) :
	    420000, stored = 0;
	size_t len = store_size(&p);
	char key[128];
	void *mem;
	double t0;

	mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || store_init(mem, &p) == -1 ||
	    (st = store_at(mem)) == NULL) {
		perror("purge_scan: store");
		return (1);
	}
	memset(body, 'x', sizeof(body));
	memset(&m, 0, sizeof(m));
	m.expires = INT64_MAX / 2;
	m.lifetime = 3600;
	t0 = now();
	for (i = 0; i < n; i++) {
		struct store_ref r;
		int kl = snprintf(key, sizeof(key), "G%chttp%cwww.example.com"
		    "%c/p%u/obj%u%croute%c", 0, 0, 0, i % 100, i, 0, 0);

		if (kl < 0 || (size_t)kl >= sizeof(key) ||
		    store_lookup(st, 0, purge_tag_hash(key, (size_t)kl), key,
		    (uint32_t)kl, NULL, NULL, 1, 0, 1000, &r, NULL) !=
		    STORE_FILL)
			continue;
		tags[0] = purge_tag_hash("all", 3);
		tags[1] = TAG_1000(i);
		tags[2] = TAG_7(i);
		if (store_fill_head_tags(st, r, "", 0, tags, 3,
		    "HTTP/1.1 200 OK\r\n\r\n", 19, &m) == 0 &&
		    store_fill_append(st, r, body, sizeof(body)) == 0 &&
		    store_fill_done(st, 0, r) == 0)
			stored++;
		else
			store_fill_abort(st, 0, r, 0);
	}
	report("objects stored", stored, t0);
	memset(&sp, 0, sizeof(sp));
	sp.has_tag = 1;
	sp.not_after = sp.now = 2000;
	sp.tag = TAG_1000(5);
	t0 = now();
	report("tag purge (1 in 1000)", store_purge_scan(st, &sp), t0);
	sp.tag = TAG_7(3);
	sp.soft = 1;
	t0 = now();
	report("soft tag purge (1 in 7)", store_purge_scan(st, &sp), t0);
	(void)purge_spec_prefix(&js, NULL, "/p42/", 5, 0, 2000);
	t0 = now();
	report("prefix purge /p42/, any host (1 in 100)",
	    (uint64_t)purge_run_job(st, &js), t0);
	sp.soft = 0;
	sp.tag = purge_tag_hash("none", 4);
	t0 = now();
	report("tag purge (no object carries it)", store_purge_scan(st, &sp),
	    t0);
	return (0);
}
