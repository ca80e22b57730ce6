/*
 * The cache store on a shared anonymous mapping, as porter's processes
 * share it: miss, fill, hit; variants and their cap; collapsed readers
 * streaming a fill from another process, and their timeout; invalidation;
 * hit-for-pass expiry; eviction that spares pinned and filling entries;
 * the allocator's rebuild; processes SIGKILLed holding a stripe lock,
 * mid-fill and while pinned; and a random stress of processes killed at
 * random, after which every chunk is accounted for. And persistence
 * (cache.path): an area "crashed" by copying it mid-fill with locks held,
 * or with a chunk damaged or a byte flipped, restored by store_restore.
 */
#include "config.h"

#include <sys/mman.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "shared/purge.h"
#include "shared/store.h"

#define NSLOTS	32

static struct store	*st;
static void		*mem;
static size_t		 memlen;
static uint32_t		 collapse_ms;	/* make()'s, 0 unless a test sets it */

static void
make(uint64_t size, uint32_t chunk, uint32_t max_variants,
    uint32_t max_waiters)
{
	struct store_params p = {
		.size = size, .chunk_size = chunk, .max_object = 1 << 20,
		.nslots = NSLOTS, .max_variants = max_variants,
		.max_waiters = max_waiters, .collapse_ms = collapse_ms
	};

	memlen = store_size(&p);
	ck_assert_uint_gt(memlen, 0);
	mem = mmap(NULL, memlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_int_eq(store_init(mem, &p), 0);
	st = store_at(mem);
	ck_assert_ptr_nonnull(st);
}

static void
unmake(void)
{
	ck_assert_int_eq(munmap(mem, memlen), 0);
	st = NULL;
}

static void
check_ok(void)
{
	char why[200];

	why[0] = '\0';
	if (store_check(st, why, sizeof(why)) != 0)
		ck_abort_msg("store_check: %s", why);
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

/* match: the request's vary blob (a C string) equals the entry's. */
static int
vmatch(void *arg, const char *vary, uint32_t vlen)
{
	const char *want = arg;

	return (strlen(want) == vlen && memcmp(want, vary, vlen) == 0);
}

static enum store_rc
look(uint32_t slot, const char *key, const char *vary, int fill, int skip,
    int64_t now, struct store_ref *r, uint32_t *nv)
{
	return (store_lookup(st, slot, hash(key, strlen(key)), key,
	    (uint32_t)strlen(key), vmatch, (void *)vary, fill, skip, now, r,
	    nv));
}

/* The same with store_lookup_fast: a hit or a miss, never a fill. */
static enum store_rc
look_fast(uint32_t slot, const char *key, const char *vary,
    struct store_ref *r)
{
	return (store_lookup_fast(st, slot, hash(key, strlen(key)), key,
	    (uint32_t)strlen(key), vmatch, (void *)vary, r));
}

/* The body byte at off of the object named by seed. */
static char
pat(uint32_t seed, uint64_t off)
{
	return ((char)((seed * 131 + off * 7 + (off >> 9)) & 0xff));
}

static struct store_meta
meta(int64_t expires)
{
	struct store_meta m;

	memset(&m, 0, sizeof(m));
	m.expires = expires;
	m.status = 200;
	return (m);
}

/* Append body bytes [from, to) of pattern seed, in pieces of step. */
static int
append(struct store_ref r, uint32_t seed, uint64_t from, uint64_t to,
    uint32_t step)
{
	char buf[4096];
	uint64_t o, i, n;

	for (o = from; o < to; o += n) {
		n = to - o < step ? to - o : step;
		if (n > sizeof(buf))
			n = sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pat(seed, o + i);
		if (store_fill_append(st, r, buf, (uint32_t)n) == -1)
			return (-1);
	}
	return (0);
}

/* A whole object stored from slot: 0, or the lookup's rc. */
static int
put(uint32_t slot, const char *key, const char *vary, uint32_t seed,
    uint64_t body, int64_t expires)
{
	struct store_ref r;
	struct store_meta m = meta(expires);
	char head[64];
	enum store_rc rc;

	rc = look(slot, key, vary, 1, STORE_SKIP_FILLING | STORE_SKIP_READY,
	    1000, &r, NULL);
	if (rc != STORE_FILL)
		return (rc == STORE_MISS ? -1 : (int)rc);
	(void)snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nX: %u\r\n\r\n",
	    seed);
	if (store_fill_head(st, r, vary, (uint32_t)strlen(vary), head,
	    (uint32_t)strlen(head), &m) == -1 ||
	    append(r, seed, 0, body, 1000) == -1) {
		store_fill_abort(st, slot, r, 0);
		return (-2);
	}
	return (store_fill_done(st, slot, r) == 0 ? 0 : -3);
}

/* Read the pinned body at r whole and compare with the pattern. */
static int
body_is(struct store_ref r, uint32_t seed, uint64_t len)
{
	struct iovec iov[8];
	uint64_t off = 0;
	size_t i, j;
	int n;

	while (off < len) {
		n = store_body_iov(st, r, off, len - off, iov, 8);
		if (n <= 0)
			return (0);
		for (i = 0; i < (size_t)n; i++)
			for (j = 0; j < iov[i].iov_len; j++, off++)
				if (((char *)iov[i].iov_base)[j] !=
				    pat(seed, off))
					return (0);
	}
	return (store_body_iov(st, r, off, 1, iov, 8) == 0);
}

static struct store_stats
stats(void)
{
	struct store_stats s;

	store_stats(st, &s);
	return (s);
}

static int64_t
now_ms(void)
{
	return (store_now_ms());
}

static void
ms_sleep(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void
reap(pid_t pid, int sig)
{
	int status;

	if (sig)
		(void)kill(pid, sig);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
}

/* ---- basics -------------------------------------------------------------- */

START_TEST(miss_fill_hit)
{
	struct store_ref r, r2;
	struct store_meta m = meta(5000);
	struct store_stats s;
	uint32_t nv, vlen, hlen;
	uint64_t body;
	int done, there;
	char buf[256];

	make(4 << 20, 1024, 4, 0);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s.chunks_total);
	ck_assert_int_eq(look(0, "k1", "", 0, 0, 1000, &r, &nv), STORE_MISS);
	ck_assert_int_eq(look(0, "k1", "", 1, 0, 1000, &r, &nv), STORE_FILL);
	ck_assert_int_eq(store_state(st, r), STORE_S_FILLING);
	ck_assert_int_eq(store_meta(st, r)->fill_started, 1000);
	/* a second process now waits, it does not fill */
	ck_assert_int_eq(look(1, "k1", "", 1, 0, 1000, &r2, &nv), STORE_WAIT);
	ck_assert_uint_eq(r2.idx, r.idx);
	/* the lock-free path finds only READY entries */
	ck_assert_int_eq(look_fast(3, "k1", "", &r2), STORE_MISS);
	ck_assert_uint_eq(r2.idx, r.idx);
	store_lengths(st, r2, &vlen, &hlen, &body, &done, &there);
	ck_assert_int_eq(there, 0);
	ck_assert_int_eq(done, 0);
	store_unpin(st, 1);
	ck_assert_int_eq(store_fill_head(st, r, "v=1", 3, "HEAD", 4, &m), 0);
	ck_assert_int_eq(store_fill_head(st, r, "v=1", 3, "HEAD", 4, &m), -1);
	ck_assert_int_eq(append(r, 7, 0, 5000, 333), 0);
	ck_assert_int_eq(store_fill_done(st, 0, r), 0);
	ck_assert_int_eq(store_state(st, r), STORE_S_READY);

	ck_assert_int_eq(look(2, "k1", "v=1", 1, 0, 1000, &r2, &nv),
	    STORE_HIT);
	ck_assert_uint_eq(nv, 1);
	store_touch(st, r2);
	store_lengths(st, r2, &vlen, &hlen, &body, &done, &there);
	ck_assert_uint_eq(vlen, 3);
	ck_assert_uint_eq(hlen, 4);
	ck_assert_uint_eq(body, 5000);
	ck_assert_int_eq(done, 1);
	ck_assert_uint_eq(store_copy_head(st, r2, buf, sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, "HEAD", 4), 0);
	ck_assert_uint_eq(store_copy_vary(st, r2, buf, sizeof(buf)), 3);
	ck_assert_int_eq(memcmp(buf, "v=1", 3), 0);
	ck_assert_int_eq(store_meta(st, r2)->expires, 5000);
	ck_assert_int_eq(store_meta(st, r2)->status, 200);
	ck_assert_int_eq(body_is(r2, 7, 5000), 1);
	store_unpin(st, 2);
	/* lock-free: the same hit, pinned; not another variant or key */
	ck_assert_int_eq(look_fast(2, "k1", "v=1", &r2), STORE_HIT);
	ck_assert_uint_eq(r2.idx, r.idx);
	ck_assert_uint_eq(r2.gen, r.gen);
	ck_assert_int_eq(body_is(r2, 7, 5000), 1);
	ck_assert_int_eq(look_fast(4, "k1", "v=2", &r2), STORE_MISS);
	ck_assert_int_eq(look_fast(4, "k2", "v=1", &r2), STORE_MISS);
	/* two slots pin it at once */
	ck_assert_int_eq(look_fast(5, "k1", "v=1", &r2), STORE_HIT);
	store_unpin(st, 2);
	store_unpin(st, 5);
	/* another variant misses; another key misses */
	ck_assert_int_eq(look(2, "k1", "v=2", 0, 0, 1000, &r2, &nv),
	    STORE_MISS);
	ck_assert_uint_eq(nv, 1);
	ck_assert_int_eq(look(2, "k2", "v=1", 0, 0, 1000, &r2, &nv),
	    STORE_MISS);
	s = stats();
	ck_assert_uint_eq(s.objects, 1);
	ck_assert_uint_eq(s.bytes, 2 + 3 + 4 + 5000);
	ck_assert_uint_eq(s.c[STORE_C_FILLS_DONE], 1);
	ck_assert_str_eq(store_counter_name(STORE_C_HIT_FRESH), "hit_fresh");
	ck_assert_ptr_null(store_counter_name(STORE_C_MAX));
	store_count(st, STORE_C_HIT_FRESH);
	ck_assert_uint_eq(stats().c[STORE_C_HIT_FRESH], 1);
	check_ok();
	/* store_at refuses what is not an area */
	{
		static char zero[256] __attribute__((aligned(64)));

		ck_assert_ptr_null(store_at(zero));
		ck_assert_ptr_null(store_at(zero + 8));
	}
	unmake();
}
END_TEST

START_TEST(params_checked)
{
	struct store_params p = {
		.size = 1 << 20, .chunk_size = 1000, .max_object = 1000,
		.nslots = 4, .max_variants = 1
	};

	ck_assert_uint_eq(store_size(&p), 0);
	p.chunk_size = 256;
	ck_assert_uint_eq(store_size(&p), 0);
	p.chunk_size = 2048;
	p.size = 1000;
	ck_assert_uint_eq(store_size(&p), 0);
	p.size = (1 << 20) + 1;
	ck_assert_uint_eq(store_size(&p), (1 << 20) + 64);
	p.nslots = 0;
	ck_assert_uint_eq(store_size(&p), 0);
}
END_TEST

START_TEST(variants_and_cap)
{
	struct store_ref r;
	struct store_stats s0, s;
	uint32_t nv;

	make(4 << 20, 1024, 2, 0);
	s0 = stats();
	ck_assert_int_eq(put(0, "k", "a", 1, 100, 9000), 0);
	ck_assert_int_eq(put(0, "k", "b", 2, 100, 9000), 0);
	ck_assert_int_eq(look(1, "k", "a", 0, 0, 1000, &r, &nv), STORE_HIT);
	ck_assert_uint_eq(nv, 2);
	ck_assert_int_eq(body_is(r, 1, 100), 1);
	ck_assert_int_eq(look(1, "k", "b", 0, 0, 1000, &r, &nv), STORE_HIT);
	ck_assert_int_eq(body_is(r, 2, 100), 1);
	store_unpin(st, 1);
	/* a third variant: the oldest (a) goes */
	ck_assert_int_eq(put(0, "k", "c", 3, 100, 9000), 0);
	ck_assert_int_eq(look(1, "k", "a", 0, 0, 1000, &r, &nv), STORE_MISS);
	ck_assert_uint_eq(nv, 2);
	ck_assert_int_eq(look(1, "k", "c", 0, 0, 1000, &r, &nv), STORE_HIT);
	ck_assert_int_eq(body_is(r, 3, 100), 1);
	store_unpin(st, 1);
	/* the same variant again replaces it */
	ck_assert_int_eq(put(0, "k", "b", 4, 300, 9000), 0);
	ck_assert_int_eq(look(1, "k", "b", 0, 0, 1000, &r, &nv), STORE_HIT);
	ck_assert_uint_eq(nv, 2);
	ck_assert_int_eq(body_is(r, 4, 300), 1);
	store_unpin(st, 1);
	s = stats();
	ck_assert_uint_eq(s.objects, 2);
	ck_assert_uint_eq(s.c[STORE_C_REPLACED], 1);
	ck_assert_uint_eq(s.c[STORE_C_VARIANTS_DROPPED], 1);
	ck_assert_int_eq(store_invalidate(st, hash("k", 1), "k", 1), 2);
	s = stats();
	ck_assert_uint_eq(s.objects, 0);
	ck_assert_uint_eq(s.bytes, 0);
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free);
	ck_assert_uint_eq(s.entries_free, s0.entries_free);
	check_ok();
	unmake();
}
END_TEST

START_TEST(invalidate_pinned)
{
	struct store_ref r, r2;
	struct store_stats s0;
	int done;

	make(4 << 20, 1024, 4, 0);
	s0 = stats();
	ck_assert_int_eq(put(0, "/x", "", 9, 20000, 9000), 0);
	ck_assert_int_eq(look(1, "/x", "", 0, 0, 1000, &r, NULL), STORE_HIT);
	ck_assert_int_eq(store_invalidate(st, hash("/x", 2), "/x", 2), 1);
	ck_assert_int_eq(look(2, "/x", "", 0, 0, 1000, &r2, NULL),
	    STORE_MISS);
	/* the pinned reader still reads all of it, and it is complete
	   (done), then it is gone */
	ck_assert_int_eq(store_state(st, r), STORE_S_GONE);
	ck_assert_int_eq(body_is(r, 9, 20000), 1);
	ck_assert_uint_lt(stats().chunks_free, s0.chunks_free);
	store_lengths(st, r, NULL, NULL, NULL, &done, NULL);
	ck_assert_int_eq(done, 1);
	store_unpin(st, 1);
	ck_assert_uint_eq(stats().chunks_free, s0.chunks_free);
	ck_assert_uint_eq(stats().entries_free, s0.entries_free);
	/* a fill invalidated under its filler fails, is aborted, leaves
	   nothing; a waiter pinned on it never sees it done */
	ck_assert_int_eq(look(0, "/y", "", 1, 0, 1000, &r, NULL), STORE_FILL);
	ck_assert_int_eq(look(2, "/y", "", 0, 0, 1000, &r2, NULL),
	    STORE_WAIT);
	ck_assert_int_eq(store_invalidate(st, hash("/y", 2), "/y", 2), 1);
	store_lengths(st, r2, NULL, NULL, NULL, &done, NULL);
	ck_assert_int_eq(done, 0);
	store_unpin(st, 2);
	ck_assert_int_eq(store_fill_head(st, r, "", 0, "H", 1, NULL), -1);
	store_fill_abort(st, 0, r, 0);
	ck_assert_uint_eq(stats().chunks_free, s0.chunks_free);
	check_ok();
	unmake();
}
END_TEST

/*
 * A hit pinned, then its key refilled: the new copy replaces it while the
 * reader has not read a byte yet. The pinned copy stays complete (done),
 * its head and body readable, until the reader lets go (c013 saw a 500
 * "cached object unreadable" from this race under load).
 */
START_TEST(replaced_while_pinned)
{
	struct store_ref r, r2;
	struct store_stats s0;
	char head[64];
	uint64_t body;
	int done;

	make(4 << 20, 1024, 4, 0);
	s0 = stats();
	ck_assert_int_eq(put(0, "/r", "", 5, 30000, 9000), 0);
	ck_assert_int_eq(look_fast(1, "/r", "", &r), STORE_HIT);
	ck_assert_int_eq(put(0, "/r", "", 6, 7000, 9000), 0);
	ck_assert_uint_eq(stats().c[STORE_C_REPLACED], 1);
	ck_assert_int_eq(store_state(st, r), STORE_S_GONE);
	store_lengths(st, r, NULL, NULL, &body, &done, NULL);
	ck_assert_int_eq(done, 1);
	ck_assert_uint_eq(body, 30000);
	ck_assert_uint_gt(store_copy_head(st, r, head, sizeof(head)), 0);
	ck_assert(memcmp(head, "HTTP/1.1 200 OK\r\nX: 5\r\n", 23) == 0);
	ck_assert_int_eq(body_is(r, 5, 30000), 1);
	/* the new copy is what a lookup finds */
	ck_assert_int_eq(look_fast(2, "/r", "", &r2), STORE_HIT);
	ck_assert_int_eq(body_is(r2, 6, 7000), 1);
	store_unpin(st, 2);
	store_unpin(st, 1);
	ck_assert_uint_eq(stats().objects, 1);
	ck_assert_int_eq(store_invalidate(st, hash("/r", 2), "/r", 2), 1);
	ck_assert_uint_eq(stats().chunks_free, s0.chunks_free);
	ck_assert_uint_eq(stats().entries_free, s0.entries_free);
	check_ok();
	unmake();
}
END_TEST

START_TEST(pass_expiry)
{
	struct store_ref r;
	struct store_meta m = meta(0);
	struct store_stats s0;

	make(4 << 20, 1024, 4, 0);
	s0 = stats();
	ck_assert_int_eq(look(0, "p", "", 1, 0, 1000, &r, NULL), STORE_FILL);
	ck_assert_int_eq(store_fill_head(st, r, "", 0, "H", 1, &m), 0);
	store_fill_abort(st, 0, r, 3000);
	ck_assert_uint_eq(stats().c[STORE_C_FILLS_ABORTED], 1);
	ck_assert_int_eq(look(1, "p", "", 1, 0, 2999, &r, NULL), STORE_PASS);
	ck_assert_int_eq(look(1, "p", "", 0, 0, 2999, &r, NULL), STORE_PASS);
	/* expired: a normal miss, and the PASS entry is gone */
	ck_assert_int_eq(look(1, "p", "", 0, 0, 3000, &r, NULL), STORE_MISS);
	ck_assert_uint_eq(stats().chunks_free, s0.chunks_free);
	ck_assert_int_eq(look(1, "p", "", 1, 0, 3000, &r, NULL), STORE_FILL);
	store_fill_abort(st, 1, r, 0);
	ck_assert_uint_eq(stats().chunks_free, s0.chunks_free);
	check_ok();
	unmake();
}
END_TEST

START_TEST(takeover_and_busy)
{
	struct store_ref r, r1, r2;

	make(4 << 20, 1024, 4, 1);
	ck_assert_int_eq(look(0, "t", "", 1, 0, 1000, &r, NULL), STORE_FILL);
	ck_assert_int_eq(look(1, "t", "", 1, 0, 1000, &r1, NULL), STORE_WAIT);
	/* max_waiters 1: the next one may not wait */
	ck_assert_int_eq(look(2, "t", "", 1, 0, 1000, &r2, NULL), STORE_BUSY);
	ck_assert_uint_eq(stats().c[STORE_C_BUSY], 1);
	/* the waiter gives up and takes over: the old fill dies */
	ck_assert_int_eq(look(1, "t", "", 1, STORE_SKIP_TAKEOVER, 1000, &r1,
	    NULL), STORE_FILL);
	ck_assert_int_eq(store_state(st, r), STORE_S_GONE);
	ck_assert_int_eq(store_fill_head(st, r, "", 0, "H", 1, NULL), -1);
	ck_assert_int_eq(store_fill_done(st, 0, r), -1);
	ck_assert_int_eq(store_fill_head(st, r1, "", 0, "H", 1, NULL), 0);
	store_fill_abort(st, 1, r1, 0);
	ck_assert_uint_eq(stats().chunks_free, stats().chunks_total);
	check_ok();
	unmake();
}
END_TEST

/*
 * Waiters that time out together: only a fill older than collapse_ms is
 * taken over, so the first replaces it and the rest wait on the new one
 * (no cascade of takeovers).
 */
START_TEST(takeover_once)
{
	struct store_ref r, r1, r2, r3;

	collapse_ms = 500;
	make(4 << 20, 1024, 4, 0);
	collapse_ms = 0;
	ck_assert_int_eq(look(0, "t", "", 1, 0, 1000, &r, NULL), STORE_FILL);
	ck_assert_int_eq(look(1, "t", "", 1, 0, 1000, &r1, NULL), STORE_WAIT);
	/* too early: still waited on */
	ck_assert_int_eq(look(1, "t", "", 1, STORE_SKIP_TAKEOVER, 1400, &r1,
	    NULL), STORE_WAIT);
	ck_assert_uint_eq(r1.idx, r.idx);
	ck_assert_int_eq(store_state(st, r), STORE_S_FILLING);
	/* the first to time out takes over */
	ck_assert_int_eq(look(1, "t", "", 1, STORE_SKIP_TAKEOVER, 1500, &r1,
	    NULL), STORE_FILL);
	ck_assert_int_eq(store_state(st, r), STORE_S_GONE);
	/* the next ones, timed out at the same moment, wait on its fill */
	ck_assert_int_eq(look(2, "t", "", 1, STORE_SKIP_TAKEOVER, 1500, &r2,
	    NULL), STORE_WAIT);
	ck_assert_uint_eq(r2.idx, r1.idx);
	ck_assert_int_eq(look(3, "t", "", 1, STORE_SKIP_TAKEOVER, 1600, &r3,
	    NULL), STORE_WAIT);
	ck_assert_uint_eq(r3.idx, r1.idx);
	ck_assert_int_eq(store_is_takeover(st, r1), 1);
	ck_assert_int_eq(store_is_takeover(st, r), 0);
	/* a takeover is never taken over in turn, however old */
	ck_assert_int_eq(look(3, "t", "", 1, STORE_SKIP_TAKEOVER, 9000, &r3,
	    NULL), STORE_WAIT);
	ck_assert_uint_eq(r3.idx, r1.idx);
	ck_assert_int_eq(store_state(st, r1), STORE_S_FILLING);
	store_unpin(st, 2);
	store_unpin(st, 3);
	store_fill_abort(st, 0, r, 0);
	store_fill_abort(st, 1, r1, 0);
	ck_assert_uint_eq(stats().chunks_free, stats().chunks_total);
	check_ok();
	unmake();
}
END_TEST

/* ---- collapsed forwarding across processes ---------------------------- */

START_TEST(collapse_streams)
{
	struct store_ref r;
	uint64_t have = 0, body;
	int fds[2], done, early = 0, there;
	pid_t pid;
	char c;

	make(4 << 20, 1024, 4, 0);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store_meta m = meta(9000);
		struct store_ref f;

		if (look(5, "slow", "", 1, 0, 1000, &f, NULL) != STORE_FILL)
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		ms_sleep(100);
		if (store_fill_head(st, f, "", 0, "HEAD", 4, &m) == -1)
			_exit(2);
		ms_sleep(100);
		if (append(f, 3, 0, 3000, 3000) == -1)
			_exit(3);
		ms_sleep(200);
		if (append(f, 3, 3000, 10000, 1500) == -1)
			_exit(3);
		_exit(store_fill_done(st, 5, f) == 0 ? 0 : 4);
	}
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	ck_assert_int_eq(look(1, "slow", "", 1, 0, 1000, &r, NULL),
	    STORE_WAIT);
	ck_assert_int_eq(store_wait(st, r, STORE_WAIT_HEAD, now_ms() + 3000),
	    0);
	store_lengths(st, r, NULL, NULL, &body, &done, &there);
	ck_assert_int_eq(there, 1);
	for (;;) {
		store_lengths(st, r, NULL, NULL, &body, &done, NULL);
		if (body > have) {
			if (!done)
				early = 1;
			have = body;
		}
		if (done || store_state(st, r) == STORE_S_GONE)
			break;
		ck_assert_int_eq(store_wait(st, r, have, now_ms() + 3000), 0);
	}
	ck_assert_int_eq(done, 1);
	ck_assert_int_eq(early, 1);
	ck_assert_uint_eq(have, 10000);
	ck_assert_int_eq(body_is(r, 3, 10000), 1);
	store_unpin(st, 1);
	{
		int status;

		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_int_eq(WEXITSTATUS(status), 0);
	}
	close(fds[0]);
	close(fds[1]);
	check_ok();
	unmake();
}
END_TEST

START_TEST(collapse_timeout)
{
	struct store_ref r, f;
	int64_t t0, el;

	make(4 << 20, 1024, 4, 0);
	ck_assert_int_eq(look(5, "never", "", 1, 0, 1000, &f, NULL),
	    STORE_FILL);
	ck_assert_int_eq(look(1, "never", "", 1, 0, 1000, &r, NULL),
	    STORE_WAIT);
	t0 = now_ms();
	ck_assert_int_eq(store_wait(st, r, STORE_WAIT_HEAD, t0 + 150), -1);
	el = now_ms() - t0;
	ck_assert_int_ge(el, 140);
	ck_assert_int_lt(el, 1000);
	store_count(st, STORE_C_WAITER_TIMEOUTS);
	ck_assert_uint_eq(stats().c[STORE_C_WAITER_TIMEOUTS], 1);
	/* a deadline already past returns at once */
	ck_assert_int_eq(store_wait(st, r, STORE_WAIT_HEAD, t0 - 1), -1);
	store_unpin(st, 1);
	store_fill_abort(st, 5, f, 0);
	check_ok();
	unmake();
}
END_TEST

/* ---- eviction ------------------------------------------------------------ */

START_TEST(evict_spares_pinned_and_filling)
{
	struct store_ref pinned, filling, r;
	struct store_meta m = meta(1 << 30);
	struct store_stats s0, s;
	char key[32];
	int i, evicted;

	make(1 << 20, 1024, 4, 0);
	s0 = stats();
	ck_assert_int_eq(put(0, "pinned", "", 11, 30000, 1 << 30), 0);
	ck_assert_int_eq(look(1, "pinned", "", 0, 0, 1000, &pinned, NULL),
	    STORE_HIT);
	ck_assert_int_eq(look(2, "filling", "", 1, 0, 1000, &filling, NULL),
	    STORE_FILL);
	ck_assert_int_eq(store_fill_head(st, filling, "", 0, "H", 1, &m), 0);
	ck_assert_int_eq(append(filling, 12, 0, 30000, 1000), 0);
	/* far more than fits, from another slot: eviction runs */
	for (i = 0; i < 400; i++) {
		(void)snprintf(key, sizeof(key), "o%d", i);
		ck_assert_int_eq(put(0, key, "", (uint32_t)i, 8000,
		    1 << 30), 0);
		if (i % 50 == 0)
			ck_assert_int_eq(append(filling, 12, 30000 + i * 10,
			    30000 + i * 10 + 10, 10), 0);
	}
	s = stats();
	evicted = (int)s.c[STORE_C_EVICTIONS];
	ck_assert_int_gt(evicted, 100);
	ck_assert_int_eq(store_state(st, pinned), STORE_S_READY);
	ck_assert_int_eq(body_is(pinned, 11, 30000), 1);
	ck_assert_int_eq(store_state(st, filling), STORE_S_FILLING);
	ck_assert_int_eq(store_fill_done(st, 2, filling), 0);
	store_unpin(st, 1);
	ck_assert_int_eq(look(1, "filling", "", 0, 0, 1000, &r, NULL),
	    STORE_HIT);
	store_unpin(st, 1);
	check_ok();
	/* expired entries go first */
	ck_assert_int_eq(put(0, "old", "", 1, 100, 500), 0);
	for (i = 400; i < 430; i++) {
		(void)snprintf(key, sizeof(key), "o%d", i);
		ck_assert_int_eq(put(0, key, "", (uint32_t)i, 8000,
		    1 << 30), 0);
	}
	ck_assert_uint_ge(stats().c[STORE_C_EXPIRED_EVICTIONS], 1);
	ck_assert_int_eq(look(1, "old", "", 0, 0, 1000, &r, NULL),
	    STORE_MISS);
	/* everything dropped: back to the baseline */
	for (i = 0; i < 430; i++) {
		(void)snprintf(key, sizeof(key), "o%d", i);
		(void)store_invalidate(st, hash(key, strlen(key)), key,
		    (uint32_t)strlen(key));
	}
	(void)store_invalidate(st, hash("pinned", 6), "pinned", 6);
	(void)store_invalidate(st, hash("filling", 7), "filling", 7);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free);
	ck_assert_uint_eq(s.entries_free, s0.entries_free);
	ck_assert_uint_eq(s.objects, 0);
	check_ok();
	unmake();
}
END_TEST

START_TEST(nospace_when_all_pinned)
{
	struct store_ref f, r;
	struct store_meta m = meta(1 << 30);
	struct store_stats s;

	make(1 << 20, 1024, 4, 0);
	/* one fill as big as the area: the rest of the store cannot make
	   room out of it */
	ck_assert_int_eq(look(0, "big", "", 1, 0, 1000, &f, NULL), STORE_FILL);
	ck_assert_int_eq(store_fill_head(st, f, "", 0, "H", 1, &m), 0);
	ck_assert_int_eq(append(f, 1, 0, 4 << 20, 4096), -1);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, 0);
	ck_assert_int_eq(look(1, "other", "", 1, 0, 1000, &r, NULL),
	    STORE_NOSPACE);
	ck_assert_uint_eq(stats().c[STORE_C_NOSPACE], 1);
	store_fill_abort(st, 0, f, 0);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s.chunks_total);
	check_ok();
	unmake();
}
END_TEST

/* ---- dead owners ----------------------------------------------------------- */

START_TEST(rebuild_after_dead_allocator)
{
	struct store_ref r;
	struct store_stats s0, s;
	pid_t pid;
	char key[16];
	int i;

	make(2 << 20, 1024, 4, 0);
	s0 = stats();
	for (i = 0; i < 20; i++) {
		(void)snprintf(key, sizeof(key), "r%d", i);
		ck_assert_int_eq(put(0, key, "", (uint32_t)i, 3000, 9000), 0);
	}
	ck_assert_int_eq(look(1, "r3", "", 0, 0, 1000, &r, NULL), STORE_HIT);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (store_debug_lock(st, -1) == 0)
			raise(SIGKILL);
		_exit(1);
	}
	reap(pid, 0);
	/* the next allocation finds the owner dead and rebuilds */
	ck_assert_int_eq(put(0, "after", "", 99, 5000, 9000), 0);
	s = stats();
	ck_assert_uint_eq(s.c[STORE_C_RECOVERIES], 1);
	ck_assert_uint_eq(s.objects, 21);
	check_ok();
	ck_assert_int_eq(body_is(r, 3, 3000), 1);
	store_unpin(st, 1);
	for (i = 0; i < 20; i++) {
		(void)snprintf(key, sizeof(key), "r%d", i);
		ck_assert_int_eq(look(1, key, "", 0, 0, 1000, &r, NULL),
		    STORE_HIT);
		ck_assert_int_eq(body_is(r, (uint32_t)i, 3000), 1);
		store_unpin(st, 1);
		ck_assert_int_eq(store_invalidate(st, hash(key, strlen(key)),
		    key, (uint32_t)strlen(key)), 1);
	}
	ck_assert_int_eq(store_invalidate(st, hash("after", 5), "after", 5),
	    1);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free);
	ck_assert_uint_eq(s.entries_free, s0.entries_free);
	check_ok();
	unmake();
}
END_TEST

START_TEST(crash_holding_stripe)
{
	struct store_ref r;
	struct store_stats s0, s;
	pid_t pid;
	uint64_t h = hash("victim", 6);

	make(2 << 20, 1024, 4, 0);
	s0 = stats();
	ck_assert_int_eq(put(0, "victim", "", 5, 4000, 9000), 0);
	ck_assert_int_eq(put(0, "bystander", "", 6, 4000, 9000), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		if (store_debug_lock(st, (int)(h % STORE_STRIPES)) == 0)
			raise(SIGKILL);
		_exit(1);
	}
	reap(pid, 0);
	/* the next locker wipes the stripe: a clean miss, then a hit */
	ck_assert_int_eq(look(1, "victim", "", 0, 0, 1000, &r, NULL),
	    STORE_MISS);
	ck_assert_uint_eq(stats().c[STORE_C_RECOVERIES], 1);
	ck_assert_int_eq(put(0, "victim", "", 7, 4000, 9000), 0);
	ck_assert_int_eq(look(1, "victim", "", 0, 0, 1000, &r, NULL),
	    STORE_HIT);
	ck_assert_int_eq(body_is(r, 7, 4000), 1);
	store_unpin(st, 1);
	if (hash("bystander", 9) % STORE_STRIPES != h % STORE_STRIPES) {
		ck_assert_int_eq(look(1, "bystander", "", 0, 0, 1000, &r,
		    NULL), STORE_HIT);
		store_unpin(st, 1);
	}
	check_ok();
	(void)store_invalidate(st, h, "victim", 6);
	(void)store_invalidate(st, hash("bystander", 9), "bystander", 9);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free);
	ck_assert_uint_eq(s.entries_free, s0.entries_free);
	check_ok();
	unmake();
}
END_TEST

START_TEST(crash_mid_fill)
{
	struct store_ref r;
	struct store_stats s0, s;
	int fds[2];
	pid_t filler, master;
	int64_t t0;
	char c;

	make(2 << 20, 1024, 4, 0);
	s0 = stats();
	ck_assert_int_eq(pipe(fds), 0);
	filler = fork();
	ck_assert_int_ge(filler, 0);
	if (filler == 0) {
		struct store_meta m = meta(9000);
		struct store_ref f;

		if (look(7, "mid", "", 1, 0, 1000, &f, NULL) != STORE_FILL ||
		    store_fill_head(st, f, "", 0, "HEAD", 4, &m) == -1 ||
		    append(f, 1, 0, 5000, 1000) == -1)
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	ck_assert_int_eq(look(1, "mid", "", 1, 0, 1000, &r, NULL), STORE_WAIT);
	/* the "master": kills the filler while we sleep, then releases */
	master = fork();
	ck_assert_int_ge(master, 0);
	if (master == 0) {
		ms_sleep(150);
		(void)kill(filler, SIGKILL);
		(void)waitpid(filler, NULL, 0);
		store_release_slot(st, 7);
		_exit(0);
	}
	t0 = now_ms();
	while (store_state(st, r) == STORE_S_FILLING &&
	    now_ms() - t0 < 3000)
		(void)store_wait(st, r, 5000, t0 + 3000);
	ck_assert_int_lt(now_ms() - t0, 2000);
	ck_assert_int_eq(store_state(st, r), STORE_S_GONE);
	reap(master, 0);
	(void)waitpid(filler, NULL, WNOHANG);
	/* its chunks are held by our pin; once unpinned they are back */
	ck_assert_int_eq(body_is(r, 1, 5000), 1);
	store_unpin(st, 1);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free);
	ck_assert_uint_eq(s.entries_free, s0.entries_free);
	ck_assert_uint_eq(s.c[STORE_C_FILLS_ABORTED], 1);
	ck_assert_int_eq(look(1, "mid", "", 1, 0, 1000, &r, NULL), STORE_FILL);
	store_fill_abort(st, 1, r, 0);
	close(fds[0]);
	close(fds[1]);
	check_ok();
	unmake();
}
END_TEST

START_TEST(crash_pinned)
{
	struct store_stats s0, s;
	int fds[2];
	pid_t pid;
	char c;

	make(2 << 20, 1024, 4, 0);
	s0 = stats();
	ck_assert_int_eq(put(0, "pin", "", 3, 9000, 9000), 0);
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		struct store_ref r;

		if (look(9, "pin", "", 0, 0, 1000, &r, NULL) != STORE_HIT)
			_exit(1);
		if (write(fds[1], "x", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	reap(pid, SIGKILL);
	/* dropped while the dead reader's pin is there: not freed */
	ck_assert_int_eq(store_invalidate(st, hash("pin", 3), "pin", 3), 1);
	ck_assert_uint_lt(stats().chunks_free, s0.chunks_free);
	store_release_slot(st, 9);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free);
	ck_assert_uint_eq(s.entries_free, s0.entries_free);
	close(fds[0]);
	close(fds[1]);
	check_ok();
	unmake();
}
END_TEST

/* ---- random stress with random deaths ------------------------------------ */

#define S_KEYS		200
#define S_CHILDREN	4

static volatile int *bad;	/* in a shared page: a child saw garbage */

static uint32_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return ((uint32_t)(*s >> 16));
}

/* Object k's size: small to several chunks. */
static uint64_t
ksize(uint32_t k)
{
	return ((uint64_t)(k * 997) % 9000 + 1);
}

static void
stress_child(uint32_t slot, uint64_t seed)
{
	struct store_meta m = meta(1 << 30);
	struct store_ref r;
	char key[16];
	uint32_t k, len;
	enum store_rc rc;
	uint64_t have, body;
	int done;

	for (;;) {
		k = rnd(&seed) % S_KEYS;
		len = (uint32_t)snprintf(key, sizeof(key), "s%u", k);
		if (rnd(&seed) % 20 == 0) {
			(void)store_invalidate(st, hash(key, len), key, len);
			continue;
		}
		rc = store_lookup(st, slot, hash(key, len), key, len, vmatch,
		    (void *)"", 1, 0, 1000, &r, NULL);
		switch (rc) {
		case STORE_HIT:
			if (!body_is(r, k, ksize(k)))
				*bad = 1;
			store_unpin(st, slot);
			break;
		case STORE_WAIT:
			have = 0;
			for (;;) {
				if (store_wait(st, r, have, store_now_ms() +
				    200) == -1)
					break;
				store_lengths(st, r, NULL, NULL, &body, &done,
				    NULL);
				have = body;
				if (done) {
					if (!body_is(r, k, ksize(k)))
						*bad = 2;
					break;
				}
				if (store_state(st, r) != STORE_S_FILLING)
					break;
			}
			store_unpin(st, slot);
			break;
		case STORE_FILL:
			if (store_fill_head(st, r, "", 0, "H", 1, &m) == -1 ||
			    append(r, k, 0, ksize(k) / 2, 700) == -1) {
				store_fill_abort(st, slot, r, 0);
				break;
			}
			if (rnd(&seed) % 10 == 0) {
				store_fill_abort(st, slot, r,
				    rnd(&seed) % 2 ? 1001 : 0);
				break;
			}
			if (append(r, k, ksize(k) / 2, ksize(k), 700) == -1) {
				store_fill_abort(st, slot, r, 0);
				break;
			}
			(void)store_fill_done(st, slot, r);
			break;
		default:
			break;
		}
	}
}

static pid_t
stress_spawn(uint32_t slot, uint64_t seed)
{
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		stress_child(slot, seed);
		_exit(0);
	}
	return (pid);
}

START_TEST(stress_random_kills)
{
	pid_t kids[S_CHILDREN];
	struct store_stats s0, s;
	uint64_t seed = 0x5eed5eedULL;
	int64_t end;
	uint32_t i, k, len, kills = 0;
	char key[16];

	make(1 << 20, 1024, 2, 8);
	bad = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne((void *)bad, MAP_FAILED);
	*bad = 0;
	s0 = stats();
	for (i = 0; i < S_CHILDREN; i++)
		kids[i] = stress_spawn(i, seed + i * 7919);
	end = now_ms() + 1500;
	while (now_ms() < end) {
		ms_sleep((int)(rnd(&seed) % 40) + 5);
		i = rnd(&seed) % S_CHILDREN;
		reap(kids[i], SIGKILL);
		store_release_slot(st, i);
		kills++;
		kids[i] = stress_spawn(i, seed ^ kills);
	}
	for (i = 0; i < S_CHILDREN; i++) {
		reap(kids[i], SIGKILL);
		store_release_slot(st, i);
	}
	ck_assert_int_eq(*bad, 0);
	s = stats();
	ck_assert_uint_gt(s.c[STORE_C_FILLS_DONE], 50);
	(void)store_reclaim(st);
	check_ok();
	/* drop everything: every chunk and entry back */
	for (k = 0; k < S_KEYS; k++) {
		len = (uint32_t)snprintf(key, sizeof(key), "s%u", k);
		(void)store_invalidate(st, hash(key, len), key, len);
	}
	(void)store_reclaim(st);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free);
	ck_assert_uint_eq(s.entries_free, s0.entries_free);
	ck_assert_uint_eq(s.objects, 0);
	check_ok();
	(void)munmap((void *)bad, 4096);
	unmake();
}
END_TEST

/* A whole object with its stale windows (s; -1: none said). */
static int
put_stale_flags(uint32_t slot, const char *key, uint32_t seed,
    int64_t expires, int32_t swr, int32_t sie, uint16_t flags)
{
	struct store_ref r;
	struct store_meta m = meta(expires);

	m.flags = flags;
	m.stale_while_revalidate = swr;
	m.stale_if_error = sie;
	if (look(slot, key, "", 1, STORE_SKIP_FILLING | STORE_SKIP_READY,
	    1000, &r, NULL) != STORE_FILL)
		return (-1);
	if (store_fill_head(st, r, "", 0, "HTTP/1.1 200 OK\r\n\r\n", 19,
	    &m) == -1 || append(r, seed, 0, 3000, 1000) == -1) {
		store_fill_abort(st, slot, r, 0);
		return (-2);
	}
	return (store_fill_done(st, slot, r) == 0 ? 0 : -3);
}

static int
put_stale(uint32_t slot, const char *key, uint32_t seed, int64_t expires,
    int32_t swr, int32_t sie)
{
	return (put_stale_flags(slot, key, seed, expires, swr, sie, 0));
}

START_TEST(sweep_expired_windows)
{
	struct store_ref r;
	struct store_stats s0, s;
	const struct store_meta *m;

	make(2 << 20, 1024, 4, 0);
	s0 = stats();
	ck_assert_int_eq(put_stale(0, "plain", 1, 5000, -1, -1), 0);
	ck_assert_int_eq(put_stale(0, "swr", 2, 5000, 10, -1), 0);
	ck_assert_int_eq(put_stale(0, "sie", 3, 5000, 5, 20), 0);
	ck_assert_int_eq(put_stale(0, "fresh", 4, INT64_MAX / 2, -1, -1), 0);
	/* the windows are kept as given */
	ck_assert_int_eq(look(1, "sie", "", 0, 0, 1000, &r, NULL), STORE_HIT);
	m = store_meta(st, r);
	ck_assert_int_eq(m->stale_while_revalidate, 5);
	ck_assert_int_eq(m->stale_if_error, 20);
	store_unpin(st, 1);
	/* not yet expired: nothing */
	ck_assert_int_eq(store_sweep_expired(st, 4000, 0, 0), 0);
	/* expired 1 s ago, with a 2 s grace for those without a window */
	ck_assert_int_eq(store_sweep_expired(st, 6000, 2000, 0), 0);
	ck_assert_int_eq(store_sweep_expired(st, 6000, 0, 0), 1);
	ck_assert_int_eq(look(1, "plain", "", 0, 0, 1000, &r, NULL),
	    STORE_MISS);
	/* within stale-while-revalidate, then past it */
	ck_assert_int_eq(store_sweep_expired(st, 15000, 0, 0), 0);
	ck_assert_int_eq(store_sweep_expired(st, 15001, 0, 0), 1);
	/* a pinned one stays until unpinned */
	ck_assert_int_eq(look(1, "sie", "", 0, 0, 1000, &r, NULL), STORE_HIT);
	ck_assert_int_eq(store_sweep_expired(st, 99000, 0, 0), 0);
	ck_assert_int_eq(body_is(r, 3, 3000), 1);
	store_unpin(st, 1);
	ck_assert_int_eq(store_sweep_expired(st, 99000, 0, 0), 1);
	ck_assert_int_eq(look(1, "fresh", "", 0, 0, 1000, &r, NULL),
	    STORE_HIT);
	store_unpin(st, 1);
	/* with validators: kept keep_ms longer, for a 304 */
	ck_assert_int_eq(put_stale_flags(0, "validated", 5, 5000, -1, -1,
	    STORE_F_VALIDATORS), 0);
	ck_assert_int_eq(store_sweep_expired(st, 99000, 0, 100000), 0);
	ck_assert_int_eq(store_sweep_expired(st, 105001, 0, 100000), 1);
	s = stats();
	ck_assert_uint_eq(s.c[STORE_C_EXPIRED_SWEPT], 4);
	ck_assert_uint_eq(s.objects, 1);
	check_ok();
	ck_assert_int_eq(store_invalidate(st, hash("fresh", 5), "fresh", 5), 1);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free);
	ck_assert_uint_eq(s.entries_free, s0.entries_free);
	unmake();
}
END_TEST

/* A child fills, reads and drops objects for a while; 0 if every read
   matched its pattern. */
static int
busy_child(int rounds)
{
	struct store_ref r;
	char key[16];
	int i, k;

	for (i = 0; i < rounds; i++) {
		k = i % 40;
		(void)snprintf(key, sizeof(key), "b%d", k);
		/* short-lived or long-lived, so the sweep has work */
		(void)put_stale(2, key, (uint32_t)k, k % 2 ? 1000 :
		    INT64_MAX / 2, -1, -1);
		if (look(3, key, "", 0, 0, 1000, &r, NULL) == STORE_HIT) {
			if (!body_is(r, (uint32_t)k, 3000))
				return (1);
			store_unpin(st, 3);
		}
		if (i % 7 == 0)
			(void)store_invalidate(st, hash(key, strlen(key)), key,
			    (uint32_t)strlen(key));
	}
	return (0);
}

START_TEST(sweep_and_audit_while_busy)
{
	struct store_stats s0, s;
	pid_t pid;
	int status, i, swept = 0;

	make(2 << 20, 1024, 4, 0);
	s0 = stats();
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(busy_child(20000));
	/* no false leak while chains and free lists change under it */
	for (i = 0; i < 300; i++) {
		ck_assert_int_eq(store_audit(st), 0);
		swept += store_sweep_expired(st, 5000, 0, 0);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	swept += store_sweep_expired(st, 5000, 0, 0);
	ck_assert_int_gt(swept, 0);
	ck_assert_int_eq(store_audit(st), 0);
	check_ok();
	for (i = 0; i < 40; i++) {
		char key[16];

		(void)snprintf(key, sizeof(key), "b%d", i);
		(void)store_invalidate(st, hash(key, strlen(key)), key,
		    (uint32_t)strlen(key));
	}
	(void)store_reclaim(st);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free);
	ck_assert_uint_eq(s.entries_free, s0.entries_free);
	unmake();
}
END_TEST

START_TEST(audit_reclaims_leaks)
{
	struct store_stats s0, s;
	char why[200];

	make(2 << 20, 1024, 4, 0);
	ck_assert_int_eq(put(0, "keep", "", 7, 5000, 9000), 0);
	s0 = stats();
	ck_assert_int_eq(store_debug_leak(st, 5), 5);
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free - 5);
	ck_assert_int_ne(store_check(st, why, sizeof(why)), 0);
	ck_assert_int_eq(store_audit(st), 5);
	check_ok();
	s = stats();
	ck_assert_uint_eq(s.chunks_free, s0.chunks_free);
	ck_assert_uint_eq(s.c[STORE_C_AUDIT_RECLAIMED], 5);
	ck_assert_int_eq(store_audit(st), 0);
	/* what was stored is untouched */
	{
		struct store_ref r;

		ck_assert_int_eq(look(1, "keep", "", 0, 0, 1000, &r, NULL),
		    STORE_HIT);
		ck_assert_int_eq(body_is(r, 7, 5000), 1);
		store_unpin(st, 1);
	}
	unmake();
}
END_TEST

/* ---- purge (issue 14): tags, prefix, soft, and purges racing fills ---- */

/* A whole object under key[0..klen) with tags, from slot, at fill time
   started: 0, or < 0. */
static int
putk(uint32_t slot, const char *key, uint32_t klen, const uint64_t *tags,
    uint32_t ntags, uint32_t seed, uint64_t body, int64_t started)
{
	struct store_ref r;
	struct store_meta m = meta(started + 600000);
	char head[64];

	m.lifetime = 600;
	if (store_lookup(st, slot, hash(key, klen), key, klen, NULL, NULL, 1,
	    STORE_SKIP_FILLING | STORE_SKIP_READY, started, &r, NULL) !=
	    STORE_FILL)
		return (-1);
	(void)snprintf(head, sizeof(head), "HTTP/1.1 200 OK\r\nX: %u\r\n\r\n",
	    seed);
	if (store_fill_head_tags(st, r, "v=1", 3, tags, ntags, head,
	    (uint32_t)strlen(head), &m) == -1 ||
	    append(r, seed, 0, body, 700) == -1) {
		store_fill_abort(st, slot, r, 0);
		return (-2);
	}
	return (store_fill_done(st, slot, r) == 0 ? 0 : -3);
}

/* A READY object of key pinned in slot: 1, else 0 (unpinned). */
static int
there(uint32_t slot, const char *key, uint32_t klen, struct store_ref *r)
{
	struct store_ref x;

	if (r == NULL)
		r = &x;
	if (store_lookup(st, slot, hash(key, klen), key, klen, NULL, NULL, 0,
	    STORE_SKIP_FILLING, 1000, r, NULL) != STORE_HIT)
		return (0);
	if (r == &x)
		store_unpin(st, slot);
	return (1);
}

#define K(s)	s, (uint32_t)(sizeof(s) - 1)

START_TEST(tags_and_scan)
{
	uint64_t t1 = purge_tag_hash("news", 4), t2 = purge_tag_hash("sport", 5);
	uint64_t t3 = purge_tag_hash("a", 1), ta[2], tb[1], td[1];
	struct store_purge p;
	struct store_ref r;
	char head[128], vary[8];
	uint32_t n = 0;

	make(8 << 20, 1024, 4, 0);
	/* the parse: space or comma separated, repeats once */
	ck_assert_int_eq(purge_tags_parse("news, sport,news  a", 19, ta, &n,
	    2), -1);
	n = 0;
	{
		uint64_t all[8];

		ck_assert_int_eq(purge_tags_parse(" news, sport,news\ta,",
		    20, all, &n, 8), 0);
		ck_assert_uint_eq(n, 3);
		ck_assert(all[0] == t1 && all[1] == t2 && all[2] == t3);
	}
	ta[0] = t1;
	ta[1] = t2;
	tb[0] = t2;
	td[0] = t3;
	ck_assert_int_eq(putk(0, K("A"), ta, 2, 1, 5000, 1000), 0);
	ck_assert_int_eq(putk(0, K("B"), tb, 1, 2, 300, 1000), 0);
	ck_assert_int_eq(putk(0, K("C"), NULL, 0, 3, 70000, 1000), 0);
	ck_assert_int_eq(putk(0, K("D"), td, 1, 4, 10, 1000), 0);
	/* the tags sit between vary and head: both read back whole */
	ck_assert_int_eq(there(1, K("A"), &r), 1);
	ck_assert_uint_eq(store_copy_vary(st, r, vary, sizeof(vary)), 3);
	ck_assert_uint_eq(store_copy_head(st, r, head, sizeof(head)), 25);
	ck_assert(memcmp(head, "HTTP/1.1 200 OK\r\nX: 1\r\n\r\n", 25) == 0);
	ck_assert_int_eq(body_is(r, 1, 5000), 1);
	store_unpin(st, 1);
	ck_assert_int_eq(there(1, K("C"), &r), 1);
	ck_assert_int_eq(body_is(r, 3, 70000), 1);
	store_unpin(st, 1);

	memset(&p, 0, sizeof(p));
	p.has_tag = 1;
	p.tag = t2;
	p.not_after = 5000;
	p.now = 5000;
	ck_assert_uint_eq(store_purge_scan(st, &p), 2);
	ck_assert_int_eq(there(1, K("A"), NULL), 0);
	ck_assert_int_eq(there(1, K("B"), NULL), 0);
	ck_assert_int_eq(there(1, K("C"), NULL), 1);
	ck_assert_int_eq(there(1, K("D"), NULL), 1);
	ck_assert_uint_eq(store_purge_scan(st, &p), 0);	/* idempotent */
	/* a tag nobody carries */
	p.tag = purge_tag_hash("none", 4);
	ck_assert_uint_eq(store_purge_scan(st, &p), 0);
	/* soft: still there, but stale */
	p.tag = t3;
	p.soft = 1;
	ck_assert_uint_eq(store_purge_scan(st, &p), 1);
	ck_assert_int_eq(there(1, K("D"), &r), 1);
	ck_assert_uint_eq(store_meta(st, r)->lifetime, 0);
	ck_assert_int_le(store_meta(st, r)->expires, 5000);
	ck_assert_int_eq(body_is(r, 4, 10), 1);
	store_unpin(st, 1);
	/* entries newer than the purge are kept */
	p.soft = 0;
	p.not_after = 999;
	ck_assert_uint_eq(store_purge_scan(st, &p), 0);
	ck_assert_int_eq(there(1, K("D"), NULL), 1);
	ck_assert_uint_eq(stats().c[STORE_C_PURGED], 2);
	ck_assert_uint_eq(stats().c[STORE_C_PURGED_SOFT], 1);
	/* too many tags: refused */
	{
		uint64_t many[STORE_TAGS_MAX + 1];

		memset(many, 0, sizeof(many));
		ck_assert_int_eq(putk(0, K("E"), many, STORE_TAGS_MAX + 1, 5,
		    10, 1000), -2);
	}
	check_ok();
	unmake();
}
END_TEST

START_TEST(prefix_jobs)
{
	struct job_spec s;
	static const char k1[] = "G\0http\0h1\0/img/a\0r1\0";
	static const char k2[] = "G\0http\0h1\0/img/b?x=1\0r1\0";
	static const char k3[] = "G\0http\0h2\0/img/c\0r1\0";
	static const char k4[] = "G\0http\0h1\0/css/d\0r1\0";
	static const char k5[] = "G\0http\0h1\0/im\0r1\0";
	static const char kp[] = "G\0http\0h1\0/img/";

	make(4 << 20, 1024, 4, 0);
	ck_assert_int_eq(putk(0, K(k1), NULL, 0, 1, 100, 1000), 0);
	ck_assert_int_eq(putk(0, K(k2), NULL, 0, 2, 100, 1000), 0);
	ck_assert_int_eq(putk(0, K(k3), NULL, 0, 3, 100, 1000), 0);
	ck_assert_int_eq(putk(0, K(k4), NULL, 0, 4, 100, 1000), 0);
	ck_assert_int_eq(putk(0, K(k5), NULL, 0, 5, 100, 1000), 0);
	/* one host's /img/ */
	ck_assert_int_eq(purge_spec_prefix(&s, kp, NULL, sizeof(kp) - 1, 0,
	    2000), 0);
	ck_assert_int_eq(purge_run_job(st, &s), 2);
	ck_assert_int_eq(there(1, K(k1), NULL), 0);
	ck_assert_int_eq(there(1, K(k2), NULL), 0);
	ck_assert_int_eq(there(1, K(k3), NULL), 1);
	ck_assert_int_eq(there(1, K(k5), NULL), 1);
	ck_assert_int_eq(purge_run_job(st, &s), 0);
	/* any host's /img/ */
	ck_assert_int_eq(purge_spec_prefix(&s, NULL, "/img/", 5, 0, 2000), 0);
	ck_assert_int_eq(purge_run_job(st, &s), 1);
	ck_assert_int_eq(there(1, K(k3), NULL), 0);
	ck_assert_int_eq(there(1, K(k4), NULL), 1);
	ck_assert_int_eq(there(1, K(k5), NULL), 1);
	/* a tag job; a job that is not a purge is refused */
	purge_spec_tag(&s, purge_tag_hash("x", 1), 0, 2000);
	ck_assert_int_eq(purge_run_job(st, &s), 0);
	s.kind = JOB_REFRESH;
	ck_assert_int_eq(purge_run_job(st, &s), -1);
	ck_assert_int_eq(purge_spec_prefix(&s, NULL, "/", JOB_DATA_MAX, 0, 1),
	    -1);
	check_ok();
	unmake();
}

/* ---- persistence (cache.path) -------------------------------------------- */

static struct store_params
params_of(uint64_t size, uint32_t chunk)
{
	struct store_params p = {
		.size = size, .chunk_size = chunk, .max_object = 1 << 20,
		.nslots = NSLOTS, .max_variants = 4, .max_waiters = 0,
		.collapse_ms = collapse_ms
	};

	return (p);
}

/* The area as a file would keep it after a SIGKILL: a copy, now. */
static void *
crash_copy(void)
{
	void *c = mmap(NULL, memlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	ck_assert_ptr_ne(c, MAP_FAILED);
	memcpy(c, mem, memlen);
	return (c);
}

/* Use the copy from now on (the original is dropped). */
static void
switch_to(void *c)
{
	ck_assert_int_eq(munmap(mem, memlen), 0);
	mem = c;
	st = store_at(mem);
	ck_assert_ptr_nonnull(st);
}

static char *
pkey(char *buf, size_t cap, int i)
{
	(void)snprintf(buf, cap, "G\1http\1example.com\1/obj/%d\1route\1", i);
	return (buf);
}

#define PN	20

static uint64_t
psize(int i)
{
	return (300 + (uint64_t)i * 997);	/* several chunks for most */
}

START_TEST(restore_after_crash_mid_fill)
{
	struct store_params p = params_of(4 << 20, 1024);
	struct store_restore res;
	struct store_meta m = meta(9000);
	struct store_ref r, f;
	char key[64], why[200];
	void *c;
	pid_t child;
	int i, status;

	make(4 << 20, 1024, 4, 0);
	for (i = 0; i < PN; i++)
		ck_assert_int_eq(put(1, pkey(key, sizeof(key), i), "", i,
		    psize(i), 9000), 0);
	c = mmap(NULL, memlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(c, MAP_FAILED);
	/*
	 * A process mid-fill, with a pass entry made, a pin, and two locks
	 * held, whose area is copied as it is then: what a file holds after
	 * the tree is SIGKILLed. (In a child: this process must not hold a
	 * robust mutex in memory it unmaps.)
	 */
	child = fork();
	ck_assert_int_ge(child, 0);
	if (child == 0) {
		if (look(2, "filling", "", 1, 0, 1000, &f, NULL) != STORE_FILL ||
		    store_fill_head(st, f, "", 0, "HEAD", 4, &m) == -1 ||
		    append(f, 99, 0, 3000, 1000) == -1 ||
		    look(3, "passing", "", 1, 0, 1000, &r, NULL) != STORE_FILL)
			_exit(1);
		store_fill_abort(st, 3, r, 5000);
		if (look(4, pkey(key, sizeof(key), 3), "", 0, 0, 1000, &r,
		    NULL) != STORE_HIT || store_debug_lock(st, -1) != 0 ||
		    store_debug_lock(st, (int)(hash(key, strlen(key)) %
		    STORE_STRIPES)) != 0)
			_exit(2);
		memcpy(c, mem, memlen);
		_exit(0);
	}
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	switch_to(c);

	ck_assert_int_eq(store_restore(mem, &p, 1, &res, why, sizeof(why)), 0);
	ck_assert_uint_eq(res.kept, PN);
	ck_assert_uint_eq(res.dropped_state, 2);	/* filling, pass */
	ck_assert_uint_eq(res.dropped_bad, 0);
	ck_assert_uint_eq(res.dropped_crc, 0);
	ck_assert_int_eq(store_was_clean(st), 0);
	check_ok();
	/* the locks work (held by a dead process in the copy) */
	for (i = 0; i < PN; i++) {
		ck_assert_int_eq(look(1, pkey(key, sizeof(key), i), "", 1, 0,
		    1000, &r, NULL), STORE_HIT);
		ck_assert_int_eq(body_is(r, i, psize(i)), 1);
		store_unpin(st, 1);
		ck_assert_int_eq(look_fast(5, pkey(key, sizeof(key), i), "",
		    &r), STORE_HIT);
		store_unpin(st, 5);
	}
	/* the partial fill and the pass are gone: filled afresh */
	ck_assert_int_eq(look(2, "filling", "", 1, 0, 1000, &f, NULL),
	    STORE_FILL);
	store_fill_abort(st, 2, f, 0);
	ck_assert_int_eq(look(3, "passing", "", 1, 0, 1000, &f, NULL),
	    STORE_FILL);
	store_fill_abort(st, 3, f, 0);
	check_ok();
	/* and the store fills and evicts as before: room for many more */
	for (i = PN; i < 10 * PN; i++)
		ck_assert_int_eq(put(1, pkey(key, sizeof(key), i), "", i,
		    psize(i % PN), 9000), 0);
	check_ok();
	unmake();
}
END_TEST

START_TEST(restore_drops_corrupted)
{
	struct store_params p = params_of(4 << 20, 1024);
	struct store_restore res;
	struct store_ref r;
	struct iovec iov[4];
	char key[64], why[200];
	size_t at5, at9;
	void *c, *c2;
	int i, n;

	make(4 << 20, 1024, 4, 0);
	for (i = 0; i < PN; i++)
		ck_assert_int_eq(put(1, pkey(key, sizeof(key), i), "", i,
		    psize(i), 9000), 0);
	/* object 5: a body byte; object 9: its second chunk's header */
	ck_assert_int_eq(look(1, pkey(key, sizeof(key), 5), "", 0, 0, 1000,
	    &r, NULL), STORE_HIT);
	ck_assert_int_eq(store_body_iov(st, r, 100, 1, iov, 1), 1);
	at5 = (size_t)((char *)iov[0].iov_base - (char *)mem);
	ck_assert_int_eq(look(1, pkey(key, sizeof(key), 9), "", 0, 0, 1000,
	    &r, NULL), STORE_HIT);
	n = store_body_iov(st, r, 0, psize(9), iov, 4);
	ck_assert_int_ge(n, 2);
	/* a chunk's data follows its 16-byte header, entry index first */
	at9 = (size_t)((char *)iov[1].iov_base - 16 - (char *)mem);
	store_unpin(st, 1);
	c = crash_copy();
	c2 = crash_copy();
	((char *)c)[at5] ^= 0x55;
	((char *)c2)[at5] ^= 0x55;
	((uint32_t *)(void *)((char *)c + at9))[0] ^= 0x3;
	((uint32_t *)(void *)((char *)c2 + at9))[0] ^= 0x3;

	/* without the crc check (a clean stop) the flipped byte stays */
	switch_to(c2);
	ck_assert_int_eq(store_restore(mem, &p, 0, &res, why, sizeof(why)), 0);
	ck_assert_uint_eq(res.kept, PN - 1);
	ck_assert_uint_eq(res.dropped_bad, 1);
	ck_assert_uint_eq(res.dropped_crc, 0);
	check_ok();

	switch_to(c);
	ck_assert_int_eq(store_restore(mem, &p, 1, &res, why, sizeof(why)), 0);
	ck_assert_uint_eq(res.kept, PN - 2);
	ck_assert_uint_eq(res.dropped_bad, 1);
	ck_assert_uint_eq(res.dropped_crc, 1);
	check_ok();
	for (i = 0; i < PN; i++) {
		enum store_rc rc = look(1, pkey(key, sizeof(key), i), "", 0, 0,
		    1000, &r, NULL);

		if (i == 5 || i == 9) {
			ck_assert_int_eq(rc, STORE_MISS);
			continue;
		}
		ck_assert_int_eq(rc, STORE_HIT);
		ck_assert_int_eq(body_is(r, i, psize(i)), 1);
		store_unpin(st, 1);
	}
	/* the damaged objects' chunks are free again: filled anew */
	ck_assert_int_eq(put(1, pkey(key, sizeof(key), 9), "", 9, psize(9),
	    9000), 0);
	check_ok();
	unmake();
}
END_TEST

/*
 * A fill begun before a purge never publishes after it, in every phase:
 * no head yet (its tags unknown), head there with the tag, body half
 * written; for a tag, a prefix and a URL purge, soft or not. A fill that
 * does not match, or began after the purge, completes.
 */
START_TEST(purge_races_fill)
{
	uint64_t tag = purge_tag_hash("t", 1), other = purge_tag_hash("u", 1);
	struct store_purge p;
	struct store_ref r, r2;
	struct store_meta m = meta(999999);
	struct store_stats s0;
	int phase, kind;

	make(4 << 20, 1024, 4, 0);
	s0 = stats();
	memset(&p, 0, sizeof(p));
	p.not_after = 2000;
	p.now = 2000;
	for (kind = 0; kind < 4; kind++)
		for (phase = 0; phase < 3; phase++) {
			ck_assert_int_eq(store_lookup(st, 0, hash("X", 1),
			    "X", 1, NULL, NULL, 1, 0, 1500, &r, NULL),
			    STORE_FILL);
			if (phase >= 1)
				ck_assert_int_eq(store_fill_head_tags(st, r,
				    "", 0, &tag, 1, "H\r\n\r\n", 5, &m), 0);
			if (phase == 2)
				ck_assert_int_eq(append(r, 1, 0, 3000, 500),
				    0);
			switch (kind) {
			case 0:		/* tag */
			case 1:		/* tag, soft */
				p.has_tag = 1;
				p.tag = tag;
				p.soft = kind == 1;
				p.match = NULL;
				ck_assert_uint_eq(store_purge_scan(st, &p), 1);
				break;
			case 2:		/* URL, soft */
				ck_assert_uint_eq(store_purge_key(st,
				    hash("X", 1), "X", 1, 1, 2000), 1);
				break;
			default:	/* every key (a prefix of "") */
				p.has_tag = 0;
				p.soft = 0;
				ck_assert_uint_eq(store_purge_scan(st, &p), 1);
				break;
			}
			/* no lookup finds it; the filler goes on (its
			   readers get it whole) but never publishes */
			ck_assert_int_eq(there(1, "X", 1, NULL), 0);
			/* a request after the purge fetches anew */
			ck_assert_int_eq(store_lookup(st, 2, hash("X", 1),
			    "X", 1, NULL, NULL, 1, 0, 2500, &r2, NULL),
			    STORE_FILL);
			store_fill_abort(st, 2, r2, 0);
			if (phase == 0)
				ck_assert_int_eq(store_fill_head_tags(st, r,
				    "", 0, &tag, 1, "H\r\n\r\n", 5, &m), 0);
			ck_assert_int_eq(append(r, 1, phase == 2 ? 3000 : 0,
			    4000, 500), 0);
			ck_assert_int_eq(store_state(st, r), STORE_S_FILLING);
			ck_assert_int_eq(store_fill_done(st, 0, r), -1);
			ck_assert_int_eq(store_state(st, r), STORE_S_GONE);
			ck_assert_int_eq(there(1, "X", 1, NULL), 0);
		}
	/* a fill of another tag survives a tag purge; one begun after the
	   purge's time survives everything */
	ck_assert_int_eq(store_lookup(st, 0, hash("Y", 1), "Y", 1, NULL, NULL,
	    1, 0, 1500, &r, NULL), STORE_FILL);
	ck_assert_int_eq(store_fill_head_tags(st, r, "", 0, &other, 1,
	    "H\r\n\r\n", 5, &m), 0);
	p.has_tag = 1;
	p.tag = tag;
	ck_assert_uint_eq(store_purge_scan(st, &p), 0);
	ck_assert_int_eq(store_fill_done(st, 0, r), 0);
	ck_assert_int_eq(store_lookup(st, 0, hash("Z", 1), "Z", 1, NULL, NULL,
	    1, 0, 2500, &r, NULL), STORE_FILL);
	p.has_tag = 0;
	ck_assert_uint_eq(store_purge_scan(st, &p), 1);	/* Y only */
	ck_assert_int_eq(store_fill_head_tags(st, r, "", 0, &tag, 1,
	    "H\r\n\r\n", 5, &m), 0);
	ck_assert_int_eq(store_fill_done(st, 0, r), 0);
	ck_assert_int_eq(there(1, "Z", 1, NULL), 1);
	ck_assert_uint_eq(stats().c[STORE_C_PURGE_FILLS] -
	    s0.c[STORE_C_PURGE_FILLS], 12);
	check_ok();
	unmake();
}
END_TEST

/* The same across processes: the filler in a child, the purge here. */
START_TEST(purge_races_fill_processes)
{
	uint64_t tag = purge_tag_hash("t", 1);
	volatile int *sh;
	struct store_purge p;
	int round;

	make(4 << 20, 1024, 4, 0);
	sh = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne((void *)sh, MAP_FAILED);
	for (round = 0; round < 2; round++) {
		pid_t pid;

		sh[0] = sh[1] = 0;
		sh[2] = 99;
		if ((pid = fork()) == 0) {
			struct store_ref r;
			struct store_meta m = meta(999999);
			int rc;

			if (store_lookup(st, 3, hash("X", 1), "X", 1, NULL,
			    NULL, 1, 0, store_now_ms(), &r, NULL) !=
			    STORE_FILL)
				_exit(1);
			if (round == 1 && store_fill_head_tags(st, r, "", 0,
			    &tag, 1, "H\r\n\r\n", 5, &m) == -1)
				_exit(2);
			sh[0] = 1;		/* filling: purge now */
			while (sh[1] == 0)
				ms_sleep(1);
			rc = (round == 0 ? store_fill_head_tags(st, r, "", 0,
			    &tag, 1, "H\r\n\r\n", 5, &m) : 0) == 0 &&
			    append(r, 1, 0, 5000, 1000) == 0 ? 0 : -1;
			rc = rc == 0 ? store_fill_done(st, 3, r) :
			    (store_fill_abort(st, 3, r, 0), -1);
			sh[2] = rc;
			_exit(0);
		}
		ck_assert_int_gt(pid, 0);
		while (sh[0] == 0)
			ms_sleep(1);
		memset(&p, 0, sizeof(p));
		p.has_tag = 1;
		p.tag = tag;
		p.not_after = store_now_ms();
		p.now = p.not_after;
		ck_assert_uint_eq(store_purge_scan(st, &p), 1);
		sh[1] = 1;
		reap(pid, 0);
		ck_assert_int_eq(sh[2], -1);
		ck_assert_int_eq(there(1, "X", 1, NULL), 0);
	}
	ck_assert_int_eq(munmap((void *)sh, 4096), 0);
	check_ok();
	unmake();
}

/*
 * Bytes flipped at random all over the index and the chunks (past the
 * area's header, whose damage store_restore refuses as a whole): the
 * restore must not crash, the store must be consistent, and every hit
 * must have the object's bytes (the crc check drops what it cannot
 * trust).
 */
START_TEST(restore_survives_garbage)
{
	struct store_params p = params_of(4 << 20, 1024);
	struct store_restore res;
	struct store_ref r;
	char key[64], why[200];
	uint64_t s = 0x9e3779b97f4a7c15ULL;
	int i, round, hits;

	for (round = 0; round < 4; round++) {
		make(4 << 20, 1024, 4, 0);
		for (i = 0; i < PN; i++)
			ck_assert_int_eq(put(1, pkey(key, sizeof(key), i), "",
			    i, psize(i), 9000), 0);
		switch_to(crash_copy());
		for (i = 0; i < 200 << round; i++) {
			s ^= s << 13;
			s ^= s >> 7;
			s ^= s << 17;
			((unsigned char *)mem)[16384 + s % (memlen - 16384)] ^=
			    (unsigned char)(1 + (s >> 40) % 255);
		}
		ck_assert_int_eq(store_restore(mem, &p, 1, &res, why,
		    sizeof(why)), 0);
		check_ok();
		for (i = hits = 0; i < PN; i++) {
			if (look(1, pkey(key, sizeof(key), i), "", 0, 0, 1000,
			    &r, NULL) != STORE_HIT)
				continue;
			ck_assert_int_eq(body_is(r, i, psize(i)), 1);
			store_unpin(st, 1);
			hits++;
		}
		/* a kept entry whose hash took a flip is in another
		   bucket: never found, never served for another key */
		ck_assert_uint_le((uint32_t)hits, res.kept);
		ck_assert_uint_ge((uint32_t)hits + 2, res.kept);
		/* it still stores */
		ck_assert_int_eq(put(1, "after", "", 1, 5000, 9000), 0);
		check_ok();
		unmake();
	}
}
END_TEST

START_TEST(restore_refuses_other_params)
{
	struct store_params p = params_of(4 << 20, 1024), q;
	struct store_restore res;
	char why[200];
	void *z;

	make(4 << 20, 1024, 4, 0);
	ck_assert_int_eq(put(1, "k", "", 1, 5000, 9000), 0);
	q = p;
	q.size = 8 << 20;
	ck_assert_int_eq(store_restore(mem, &q, 1, &res, why, sizeof(why)),
	    -1);
	ck_assert_ptr_nonnull(strstr(why, "size"));
	q = p;
	q.chunk_size = 2048;
	ck_assert_int_eq(store_restore(mem, &q, 1, &res, why, sizeof(why)),
	    -1);
	ck_assert_ptr_nonnull(strstr(why, "chunk_size"));
	q = p;
	q.nslots = NSLOTS * 2;
	ck_assert_int_eq(store_restore(mem, &q, 1, &res, why, sizeof(why)),
	    -1);
	ck_assert_ptr_nonnull(strstr(why, "slots"));
	ck_assert_int_eq(store_attach(mem, &q, why, sizeof(why)), -1);
	ck_assert_int_eq(store_attach(mem, &p, why, sizeof(why)), 0);
	/* zeros (a new file): not a store */
	z = mmap(NULL, memlen, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(z, MAP_FAILED);
	ck_assert_int_eq(store_restore(z, &p, 1, &res, why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "magic"));
	ck_assert_int_eq(munmap(z, memlen), 0);
	/* the refusals changed nothing; the clean mark round-trips */
	store_set_clean(st, 1);
	ck_assert_int_eq(store_was_clean(st), 1);
	ck_assert_int_eq(store_restore(mem, &p, 0, &res, why, sizeof(why)), 0);
	ck_assert_uint_eq(res.kept, 1);
	ck_assert_int_eq(store_was_clean(st), 0);
	check_ok();
	unmake();
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("store");
	TCase *tb = tcase_create("basics");
	TCase *tc = tcase_create("collapse");
	TCase *te = tcase_create("evict");
	TCase *td = tcase_create("dead");
	TCase *tk = tcase_create("keeper");
	TCase *tp = tcase_create("persist");
	SRunner *sr;
	int failed;

	tcase_add_test(tb, miss_fill_hit);
	tcase_add_test(tb, params_checked);
	tcase_add_test(tb, variants_and_cap);
	tcase_add_test(tb, invalidate_pinned);
	tcase_add_test(tb, replaced_while_pinned);
	tcase_add_test(tb, pass_expiry);
	tcase_add_test(tb, takeover_and_busy);
	tcase_add_test(tb, takeover_once);
	tcase_add_test(tb, tags_and_scan);
	tcase_add_test(tb, prefix_jobs);
	tcase_add_test(tb, purge_races_fill);
	tcase_add_test(tb, purge_races_fill_processes);
	suite_add_tcase(s, tb);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, collapse_streams);
	tcase_add_test(tc, collapse_timeout);
	suite_add_tcase(s, tc);
	tcase_set_timeout(te, 20);
	tcase_add_test(te, evict_spares_pinned_and_filling);
	tcase_add_test(te, nospace_when_all_pinned);
	suite_add_tcase(s, te);
	tcase_set_timeout(td, 30);
	tcase_add_test(td, rebuild_after_dead_allocator);
	tcase_add_test(td, crash_holding_stripe);
	tcase_add_test(td, crash_mid_fill);
	tcase_add_test(td, crash_pinned);
	tcase_add_test(td, stress_random_kills);
	suite_add_tcase(s, td);
	tcase_set_timeout(tk, 60);
	tcase_add_test(tk, sweep_expired_windows);
	tcase_add_test(tk, sweep_and_audit_while_busy);
	tcase_add_test(tk, audit_reclaims_leaks);
	suite_add_tcase(s, tk);
	tcase_add_test(tp, restore_after_crash_mid_fill);
	tcase_add_test(tp, restore_drops_corrupted);
	tcase_add_test(tp, restore_refuses_other_params);
	tcase_add_test(tp, restore_survives_garbage);
	suite_add_tcase(s, tp);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
