/*
 * The response cache's store: objects in a block of shared memory every
 * worker maps (MAP_SHARED, made before the fork). It knows nothing of
 * HTTP: an object is one byte string, key | vary | head | body, written
 * by one filler and published as it grows, so other workers can stream
 * it while it is still being fetched (collapsed forwarding).
 *
 * Layout (one contiguous area, found by offset, every link a 32-bit
 * index, never a pointer):
 *
 *   header (params, counters, lock stripes, allocator lock, queues) |
 *   holds[nslots] | entries[nentries] | buckets[nbuckets] |
 *   ghost[nghost] | chunks[nchunks]
 *
 * Any process may die at any instruction:
 *   - Locks are robust process-shared mutexes, held only for a few memory
 *     operations (never across I/O or a wait). A stripe lock (bucket i ->
 *     stripe i % STORE_STRIPES) guards only bucket chains: a dead owner's
 *     stripe is wiped (its entries dropped). The allocator lock guards the
 *     free lists and the eviction queues: a dead owner's are rebuilt by a
 *     scan. Lock order: allocator, then a stripe; never the reverse.
 *   - A worker's pin (the entry it reads) and fill (the entry it writes)
 *     are recorded in its own hold (one per scoreboard slot), never as a
 *     shared reference count, so the master releases them when it reaps
 *     the worker (store_release_slot).
 *   - An entry's state is one atomic word (generation, state, owner
 *     slot). Whoever makes an entry DYING scans the holds; its memory is
 *     freed only when no hold names it, by exactly one process (a
 *     compare-and-swap DYING -> FREE under the allocator lock).
 *
 * Times are the caller's, in ms since the epoch (store_now_ms()); the
 * store reads only meta.expires (eviction drops expired entries first)
 * and keeps meta.fill_started (collapse timeouts count from it).
 */
#ifndef PORTER_SHARED_STORE_H
#define PORTER_SHARED_STORE_H

#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

#define STORE_LAYOUT		2
#define STORE_STRIPES		64	/* bucket chain locks */
#define STORE_CHUNK_MIN		512
#define STORE_CHUNK_MAX		65536
/*
 * Bytes per chunk, its 16-byte header included. Chosen by measurement
 * (t/unit/store_sim) for a 60-byte key and a 300-byte head; waste is the
 * last chunk's slack plus the chunk headers and the 16-byte preamble;
 * area counts the index the store reserves per chunk (136 bytes: entry,
 * bucket, ghost slot):
 *
 *   chunk   1 KiB body: waste  area    64 KiB body: waste  area
 *   512                 152    1944                 2200   86184
 *   1024                664    2320                 1688   76560
 *   2048                664    2184                 1688   72072
 *   4096               2712    4232                 3736   71944
 *
 * 2 KiB takes the least area for small objects after 512 and is within
 * 0.2 % of the best for large ones; 512 pays 20 % more for large ones.
 */
#define STORE_CHUNK_DEFAULT	2048
#define STORE_MIN_SIZE		(1024 * 1024)

struct store_params {
	uint64_t	size;		/* bytes of the whole area, >= 1 MiB */
	uint32_t	chunk_size;	/* bytes per chunk incl. its header,
					   power of 2, 512..65536 */
	uint32_t	max_object;	/* bytes of one object (key + vary +
					   head + body) */
	uint32_t	nslots;		/* holds: one per scoreboard slot,
					   1..65535 */
	uint32_t	max_variants;	/* READY entries per key (Vary), >= 1 */
	uint32_t	max_waiters;	/* collapsed readers per filling
					   entry; 0: no cap */
	uint32_t	collapse_ms;	/* STORE_SKIP_TAKEOVER ends a fill
					   this old (ms since fill_started);
					   younger ones are waited on */
};

/* Kept for the worker; only expires and fill_started are read by the store. */
struct store_meta {
	int64_t		expires;	/* ms: stale after; eviction drops
					   these first */
	int64_t		response_time;	/* ms */
	int64_t		request_time;	/* ms */
	int64_t		fill_started;	/* ms: set by store_lookup; collapse
					   timeout counts from here */
	uint32_t	initial_age;	/* s: corrected_initial_age */
	uint32_t	lifetime;	/* s: freshness lifetime */
	uint16_t	status;
	uint16_t	flags;		/* the worker's STORE_F_* bits */
	int32_t		stale_while_revalidate;	/* s past expires it may be
						   served while refreshed;
						   -1: none said */
	int32_t		stale_if_error;	/* s past expires it may be served
					   when the backend fails; -1 */
};

/* The worker's meta.flags (the store does not read them). */
#define STORE_F_MUST_REVALIDATE	0x0001
#define STORE_F_NO_CACHE	0x0002
#define STORE_F_IMMUTABLE	0x0004
#define STORE_F_VALIDATORS	0x0008

/* An entry as one incarnation: idx and its generation then. */
struct store_ref {
	uint32_t	idx, gen;
};

struct store;			/* the area's header, in the segment */

/* What store_lookup found or did. */
enum store_rc {
	STORE_MISS,		/* nothing usable, no fill asked for */
	STORE_HIT,		/* a READY entry of the variant, pinned */
	STORE_WAIT,		/* a FILLING entry of the key, pinned */
	STORE_FILL,		/* a new FILLING entry, this slot's fill */
	STORE_PASS,		/* hit-for-miss: fetch, do not collapse */
	STORE_BUSY,		/* a FILLING entry with max_waiters readers */
	STORE_NOSPACE		/* no entry or chunk, even after eviction */
};

/* store_lookup's skip_filling: a mask. */
#define STORE_SKIP_NONE		0	/* a FILLING entry: STORE_WAIT */
#define STORE_SKIP_FILLING	1	/* ignore FILLING entries (already
					   waited, another variant) */
#define STORE_SKIP_TAKEOVER	2	/* FILLING entries of the key older
					   than collapse_ms are made DYING
					   (collapse timeout), unless they
					   took over themselves */
#define STORE_SKIP_READY	4	/* no hit: a refresh (client
					   no-cache, stale), whose fill
					   replaces the variant when done */
#define STORE_KEEP_PIN		8	/* the slot's pin stays (a stale
					   entry served if the refresh says
					   304); only with SKIP_READY and
					   SKIP_FILLING, which pin nothing */

/* store_state. */
enum store_state {
	STORE_S_GONE,		/* dying, replaced, freed, gen changed */
	STORE_S_FILLING,
	STORE_S_READY
};

/*
 * Counters, X(name, text) in the order a status page shows them. The
 * store counts the first group itself; the worker counts the others with
 * store_count(). Names are the status page's.
 */
#define STORE_COUNTERS(X)						\
	X(EVICTIONS, "evictions")					\
	X(EXPIRED_EVICTIONS, "expired_evictions")			\
	X(RECOVERIES, "recoveries")					\
	X(FILLS, "fills")						\
	X(FILLS_DONE, "fills_done")					\
	X(FILLS_ABORTED, "fills_aborted")				\
	X(REPLACED, "replaced")						\
	X(VARIANTS_DROPPED, "variants_dropped")				\
	X(INVALIDATED, "invalidated")					\
	X(NOSPACE, "nospace")						\
	X(BUSY, "busy")							\
	X(HIT_FRESH, "hit_fresh")					\
	X(HIT_STALE, "hit_stale")					\
	X(HIT_REVALIDATED, "hit_revalidated")				\
	X(HIT_COLLAPSED, "hit_collapsed")				\
	X(HIT_PASS, "hit_for_pass")					\
	X(MISS_URI, "miss_uri")						\
	X(MISS_VARY, "miss_vary")					\
	X(MISS_STALE, "miss_stale")					\
	X(MISS_REQUEST, "miss_request")					\
	X(NS_NO_STORE, "not_stored_no_store")				\
	X(NS_PRIVATE, "not_stored_private")				\
	X(NS_SET_COOKIE, "not_stored_set_cookie")			\
	X(NS_AUTHORIZATION, "not_stored_authorization")			\
	X(NS_STATUS, "not_stored_status")				\
	X(NS_METHOD, "not_stored_method")				\
	X(NS_VARY_STAR, "not_stored_vary_star")				\
	X(NS_TOO_BIG, "not_stored_too_big")				\
	X(NS_NO_FRESHNESS, "not_stored_no_freshness")			\
	X(NS_MIN_USES, "not_stored_min_uses")				\
	X(NS_ABORTED, "not_stored_aborted")				\
	X(NS_NO_SPACE, "not_stored_no_space")				\
	X(WAITER_TIMEOUTS, "waiter_timeouts")				\
	X(STALE_REVALIDATE, "stale_while_revalidate")			\
	X(STALE_ERROR, "stale_if_error")				\
	X(STALE_POOL_DOWN, "stale_pool_down")				\
	X(REFRESHES, "refreshes_queued")				\
	X(REFRESHES_DONE, "refreshes_done")				\
	X(EXPIRED_SWEPT, "expired_swept")				\
	X(AUDIT_RECLAIMED, "audit_reclaimed")				\
	X(PURGES, "purges")						\
	X(PURGED, "purged")						\
	X(PURGED_SOFT, "purged_soft")					\
	X(PURGE_FILLS, "purge_fills_aborted")				\
	X(PURGE_REFUSED, "purge_refused")				\
	X(NS_TAGS, "not_stored_too_many_tags")

#define STORE_C_ENUM(name, text)	STORE_C_##name,
enum store_counter {
	STORE_COUNTERS(STORE_C_ENUM)
	STORE_C_MAX
};
#undef STORE_C_ENUM

struct store_stats {
	uint64_t	objects;	/* READY entries */
	uint64_t	bytes;		/* object bytes of READY entries */
	uint64_t	chunks_free, chunks_total;
	uint64_t	entries_free, entries_total;
	uint64_t	chunk_size;
	uint64_t	c[STORE_C_MAX];	/* by enum store_counter */
};

/* ms since the epoch (CLOCK_REALTIME): the clock every store time uses. */
int64_t		store_now_ms(void);

/*
 * Bytes the area takes for p: p->size rounded up to 64. 0 when p is out
 * of range (size < 1 MiB, chunk_size not a power of 2 in 512..65536,
 * nslots 0 or > 65535, max_variants 0) or too small for one chunk.
 */
size_t		store_size(const struct store_params *);

/*
 * The master, once, on store_size(p) zeroed bytes at at (64-aligned, in
 * memory every worker maps shared): lays out the area. 0, or -1 with
 * errno (EINVAL: p out of range; or what pthread_mutex_init said).
 */
int		store_init(void *at, const struct store_params *);

/* The area at at (64-aligned) if its magic and layout are this build's,
   else NULL. */
struct store	*store_at(void *at);

/*
 * Lookup of key[0..klen) with hash h (the worker hashes; equal keys must
 * have equal hashes). For every READY entry of the key, match(arg, vary,
 * vlen) says whether the request matches its variant (vary is contiguous
 * and read-only; match is called under a lock, so it must be quick and
 * must not call the store); the first match is pinned in slot's hold:
 * STORE_HIT. Otherwise, a FILLING entry of the key (any variant) is
 * pinned: STORE_WAIT (the caller waits for its head, then checks the
 * variant with store_copy_vary), or STORE_BUSY when max_waiters holds
 * already name it. A PASS entry not expired at now_ms: STORE_PASS.
 * Otherwise, with want_fill, a new FILLING entry owned by slot, its key
 * stored and meta.fill_started = now_ms, is linked and recorded as the
 * slot's fill: STORE_FILL (one process gets it per key, unless
 * skip_filling); STORE_NOSPACE if none can be had (also for a key too
 * long for one chunk). Without want_fill: STORE_MISS. skip_filling is a
 * mask of STORE_SKIP_*. *nvariants (may be NULL): READY entries of the key
 * seen. A slot pins at most one entry: the caller has unpinned before.
 * *out is set for HIT, WAIT and FILL.
 */
enum store_rc	store_lookup(struct store *, uint32_t slot, uint64_t h,
		    const char *key, uint32_t klen,
		    int (*match)(void *arg, const char *vary, uint32_t vlen),
		    void *arg, int want_fill, int skip_filling, int64_t now_ms,
		    struct store_ref *out, uint32_t *nvariants);

/*
 * The hit path, without a lock: a READY entry of key[0..klen) (hash h)
 * whose variant match() accepts, pinned in slot's hold: STORE_HIT; else
 * STORE_MISS, which proves nothing (the walk is bounded and races with
 * changes to the chain): the caller then asks store_lookup, which also
 * finds fills to wait on and starts them. match is called with the
 * entry pinned, so it may take its time.
 */
enum store_rc	store_lookup_fast(struct store *, uint32_t slot, uint64_t h,
		    const char *key, uint32_t klen,
		    int (*match)(void *arg, const char *vary, uint32_t vlen),
		    void *arg, struct store_ref *out);

/*
 * The filler of ref (its slot's fill): the variant blob and the head,
 * once, with the meta (NULL: zeros; its fill_started is kept as the
 * store set it);
 * readers then see the head. key + vary must fit in one chunk. 0, or -1
 * when the object would pass max_object, no space is found even after
 * eviction, or the entry is no longer this fill's (taken over, purged,
 * its stripe wiped): the caller then calls store_fill_abort and goes on
 * serving its own client.
 */
int		store_fill_head(struct store *, struct store_ref,
		    const char *vary, uint32_t vlen, const char *head,
		    uint32_t hlen, const struct store_meta *);

/*
 * store_fill_head with the object's tags (purge by tag): tags[0..ntags)
 * 64-bit hashes, ntags <= STORE_TAGS_MAX, kept after the vary blob with
 * a summary in the entry that lets a tag scan skip most entries without
 * reading their object. store_fill_head is this with no tags.
 */
#define STORE_TAGS_MAX	64
int		store_fill_head_tags(struct store *, struct store_ref,
		    const char *vary, uint32_t vlen, const uint64_t *tags,
		    uint32_t ntags, const char *head, uint32_t hlen,
		    const struct store_meta *);

/* The filler, after store_fill_head: body bytes p[0..n) appended and
   published (waiters woken). 0, or -1 as store_fill_head. */
int		store_fill_append(struct store *, struct store_ref,
		    const char *p, uint32_t n);

/*
 * The filler, complete: the entry becomes READY (visible to lookups).
 * Older READY entries of the same key and variant are dropped
 * (replaced); then, if the key has max_variants READY entries besides
 * this one, the oldest are dropped. Clears slot's fill. 0, or -1 if the
 * entry was no longer this fill's (nothing stored; the fill is cleared
 * all the same).
 */
int		store_fill_done(struct store *, uint32_t slot,
		    struct store_ref);

/*
 * The filler, abandoning: the entry becomes DYING (waiters wake and see
 * STORE_S_GONE), slot's fill is cleared. With pass_until > 0 (ms), a PASS
 * entry for the key stays until then (hit-for-miss), if space allows.
 */
void		store_fill_abort(struct store *, uint32_t slot,
		    struct store_ref, int64_t pass_until);

/* A pinned (or filled) entry's state now: enum store_state. */
int		store_state(struct store *, struct store_ref);

/* The entry's meta; valid while pinned; complete once the head is there. */
const struct store_meta *store_meta(struct store *, struct store_ref);

/*
 * Lengths of a pinned entry: vary and head (0, 0 until the head is
 * there: *head_there 0), body bytes published so far, *done 1 when the
 * body is complete: READY, or READY once and since replaced or
 * invalidated (a pinned reader may still send all of it). Any pointer
 * may be NULL.
 */
void		store_lengths(struct store *, struct store_ref,
		    uint32_t *vlen, uint32_t *hlen, uint64_t *body,
		    int *done, int *head_there);

/*
 * Copy the vary blob or the head of a pinned entry whose head is there
 * into out[0..cap): bytes copied (cut at cap), 0 before the head.
 */
size_t		store_copy_vary(struct store *, struct store_ref, char *out,
		    size_t cap);
size_t		store_copy_head(struct store *, struct store_ref, char *out,
		    size_t cap);

/*
 * Map body bytes [off, off + len) of a pinned entry, as published now,
 * into iov[0..maxiov) (pointers into the shared area, valid while
 * pinned): the number of iovecs filled, 0 when nothing past off is
 * published yet (or the head is not there). It stops at maxiov, at len or
 * at the published end.
 */
int		store_body_iov(struct store *, struct store_ref, uint64_t off,
		    uint64_t len, struct iovec *iov, int maxiov);

/*
 * Sleep until the pinned entry has more than body_have body bytes
 * published (body_have STORE_WAIT_HEAD: until its head is there), is no
 * longer FILLING, or deadline_ms (store_now_ms() clock) passes: a futex
 * wait on the entry's sequence word, no polling. 0: look again (more may
 * be there, or it is done or gone); -1: deadline passed. The caller
 * counts STORE_C_WAITER_TIMEOUTS if it gives up.
 */
#define STORE_WAIT_HEAD	UINT64_MAX
int		store_wait(struct store *, struct store_ref,
		    uint64_t body_have, int64_t deadline_ms);

/*
 * Whether pinned ref is a fill that took over a timed-out one (made by a
 * STORE_SKIP_TAKEOVER lookup): it is never taken over in turn, so its
 * waiters wait for it as long as its fetch may take.
 */
int		store_is_takeover(struct store *, struct store_ref);

/* A hit on ref (pinned): its eviction frequency bumped, one atomic op. */
void		store_touch(struct store *, struct store_ref);

/* Release slot's pin (none is fine); frees the entry if it was dying
   and nobody else holds it. */
void		store_unpin(struct store *, uint32_t slot);

/*
 * Every entry of key (READY, FILLING, PASS) becomes DYING and is
 * unlinked; each is freed once unheld (a filler's next call fails).
 * Returns how many.
 */
int		store_invalidate(struct store *, uint64_t h, const char *key,
		    uint32_t klen);

/*
 * The master, after reaping slot's worker: its pin and fill released,
 * every entry it was filling made DYING (waiters woken), what nobody
 * else holds freed. It takes a store lock only if free (trylock): what
 * it could not unlink or free is done by later lookups, evictions or
 * store_reclaim().
 */
void		store_release_slot(struct store *, uint32_t slot);

/*
 * Housekeeping (any process, e.g. the master on a timer): unlink dying
 * entries still linked, free the unheld ones. Returns how many freed.
 */
int		store_reclaim(struct store *);

/* Counters and levels now. */
void		store_stats(struct store *, struct store_stats *);

/* The worker counts an event (c: enum store_counter, < STORE_C_MAX). */
void		store_count(struct store *, int c);

/* A counter's name ("hit_fresh"), NULL for c out of range. */
const char	*store_counter_name(int c);

/*
 * For tests and debugging, on a quiescent store (nobody inside a store
 * call): checks every chunk is free or on exactly one live entry's chain,
 * the free counts, chains and queues. 0, or -1 with a reason in
 * why[0..cap).
 */
int		store_check(struct store *, char *why, size_t cap);

/* ---- the cache keeper's housekeeping (keeper/keeper.c) ------------------ */

/*
 * Drop READY and PASS entries expired more than their stale window ago:
 * expires + max(stale_while_revalidate, stale_if_error, 0) s + grace_ms
 * < now_ms (grace_ms: the longest cache_grace of any route, for entries
 * that carry neither directive); those with validators
 * (STORE_F_VALIDATORS), which a revalidation can still refresh with a
 * 304, keep_ms later. Held entries are left for a later sweep. Safe
 * while workers fill and read: the allocator lock is taken per entry
 * dropped, never for the scan. Returns how many were dropped.
 */
int		store_sweep_expired(struct store *, int64_t now_ms,
		    int64_t grace_ms, int64_t keep_ms);

/*
 * The free-list audit: under the allocator lock (which every change of
 * a chain or a free list takes), chunks on neither a live entry's chain
 * nor the free list, and FREE entries off the entry free list, have
 * leaked (a process died between two steps the rebuild does not cover):
 * they go back to the free lists. Returns how many chunks and entries
 * were reclaimed (counted as audit_reclaimed), or -1 (out of memory for
 * its bitmaps).
 */
int		store_audit(struct store *);

/* For tests only: take n chunks off the free list and lose them, as a
   leak would. How many were taken. */
int		store_debug_leak(struct store *, int n);

/*
 * For crash tests only: take stripe s's lock (s < STORE_STRIPES; the
 * stripe of hash h is h % STORE_STRIPES), or the allocator's (s -1), and
 * return holding it; the caller then dies. 0, or -1 if busy.
 */
int		store_debug_lock(struct store *, int s);

/* ---- purge (issue 14) ---- */

/* A tag hash's bits in the entry summary (two of 64). */
uint64_t	store_tag_bits(uint64_t h);

/*
 * Purge by URL: every entry of key (all its variants) purged. Hard: as
 * store_invalidate (hit-for-miss entries too). soft: READY entries made
 * stale in place (meta.lifetime 0, meta.expires at most now, immutable
 * cleared), so they are revalidated, or served stale where the request
 * or route allows it. Fills of the key are unlinked either way (what
 * they fetch predates the purge): the filler's client and the readers
 * already streaming it get it whole, no lookup finds it, and its
 * store_fill_done fails. Returns the entries purged (READY and FILLING).
 */
uint64_t	store_purge_key(struct store *, uint64_t h, const char *key,
		    uint32_t klen, int soft, int64_t now);

/* What store_purge_scan purges. */
struct store_purge {
	/* the key test (NULL: every key); called under a stripe lock with
	   the key contiguous and read-only: quick, no store calls */
	int		(*match)(void *arg, const char *key, uint32_t klen);
	void		*arg;
	int		has_tag;	/* only objects carrying tag */
	uint64_t	tag;
	int		soft;		/* as store_purge_key */
	int64_t		not_after;	/* ms: entries whose fill started
					   later are newer than the purge:
					   kept */
	int64_t		now;		/* ms: soft purge's expires */
};

/*
 * Purge by prefix or tag (the keeper's job): every entry p selects,
 * chain by chain, each under its stripe lock for a moment. A fill begun
 * at or before p->not_after that matches is unlinked as by
 * store_purge_key, and so is, for a tag, one whose head (and so its
 * tags) is not there yet: no fill begun before the purge publishes
 * after it. Entries linked after their chain
 * was scanned are fills that fetch after the purge. Idempotent. Returns
 * the entries purged.
 */
uint64_t	store_purge_scan(struct store *, const struct store_purge *);
/* ---- persistence (cache.path) ----------------------------------------- */

/* What store_restore kept and dropped. */
struct store_restore {
	uint32_t	kept;		/* READY entries whole (and matching
					   their crc, when verified) */
	uint64_t	kept_bytes;	/* their object bytes */
	uint32_t	dropped_state;	/* filling, dying or pass: unfinished */
	uint32_t	dropped_bad;	/* a chain or lengths that do not hold */
	uint32_t	dropped_crc;	/* bytes that do not match the crc */
};

/*
 * The master, before any other process maps it, on an area that
 * outlived the processes that used it (a file, cache.path): it must
 * have this build's magic and layout, and the size, chunk_size and
 * nslots p gives (the other parameters are taken from p). Every lock is
 * made afresh, every hold cleared, the bucket chains, eviction queues
 * and free lists rebuilt by a scan of the entries and chunks; only READY
 * entries whose chain and lengths hold are kept, and with verify only
 * those whose bytes match the crc32 taken at store_fill_done. Bytes in
 * the area are not trusted: every index is checked. 0 (*res says what
 * was kept), or -1 with why[0..cap) when the area is not usable as is
 * (the caller then makes it afresh with store_init).
 */
int		store_restore(void *at, const struct store_params *p,
		    int verify, struct store_restore *res, char *why,
		    size_t cap);

/*
 * A second porter (a binary upgrade) mapping an area another live one
 * uses: 0 if its layout is the one p gives (nothing is changed), or -1
 * with why.
 */
int		store_attach(void *at, const struct store_params *p,
		    char *why, size_t cap);

/*
 * The area's clean mark: set by the last porter to stop cleanly (no
 * process inside a store call any more, the bytes synced), cleared by
 * store_restore. store_was_clean: the mark as the area was found.
 */
void		store_set_clean(struct store *, int clean);
int		store_was_clean(struct store *);

#endif
