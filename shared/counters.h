/*
 * Every counter porter shows, defined once, in CTR_TABLE below (Varnish
 * declares its VSC counters the same way). The scoreboard slot's counter
 * fields are generated from it, so a worker still counts with
 * sb_add(&w->sb->requests, n); the status page (and /metrics) iterate
 * over ctr_defs[], in table order.
 *
 * A worker's counters live in its own slot. When the master reaps a
 * worker it folds the slot's counters into the retired totals in the
 * counters area (ctr_fold), so a total, retired + live slots, never drops
 * at a reload, a max_requests recycle or a spare worker's retirement.
 *
 * The per-backend totals (requests, failures, ... of each server) are not
 * here: they live in the server's health table row (shared/health.h),
 * which outlives workers and reloads.
 */
#ifndef PORTER_SHARED_COUNTERS_H
#define PORTER_SHARED_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define CTR_LAYOUT	1

/*
 * X(name, type, where, help), in the order the status page shows them.
 *   name   the slot's field (SLOT) and the name on the page
 *   type   COUNTER: only grows while porter runs; GAUGE: a level now
 *   where  SLOT: an _Atomic uint64_t in each worker's scoreboard slot,
 *          written only by that worker; totals add the retired workers'
 *          (COUNTERs only: a dead worker holds no level).
 *          STATE: counted over the slots' states when read (ctr_totals)
 *   help   one line, for people (and /metrics' # HELP)
 */
#define CTR_TABLE(X)							\
	X(workers, GAUGE, STATE, "Worker processes alive")		\
	X(idle, GAUGE, STATE, "Workers waiting for a connection")	\
	X(busy, GAUGE, STATE, "Workers alive and not idle")		\
	X(connections, COUNTER, SLOT, "Client connections accepted")	\
	X(requests, COUNTER, SLOT, "Client requests read")		\
	X(bytes_in, COUNTER, SLOT,					\
	    "Bytes read from clients, tunnels included")		\
	X(bytes_out, COUNTER, SLOT,					\
	    "Bytes written to clients, tunnels included")		\
	X(refused, COUNTER, SLOT,					\
	    "Requests refused by access, filtering or proxy "		\
	    "authentication rules")					\
	X(parked, COUNTER, SLOT,					\
	    "Connections workers handed to the waiter to wait for "	\
	    "their client")						\
	X(unparked, COUNTER, SLOT,					\
	    "Connections workers took back from the waiter with a "	\
	    "request to serve")	\
	X(conns_capped, COUNTER, SLOT,					\
	    "Connections refused with 503: the client held "		\
	    "limits.max_conns_per_client already")			\
	X(rate_limited, COUNTER, SLOT,					\
	    "Requests refused with 429: over the client's limits.rate")	\
	X(tunnels_capped, COUNTER, SLOT,				\
	    "CONNECT and Upgrade tunnels refused with 503: "		\
	    "limits.max_tunnels open")					\
	X(slow_readers, COUNTER, SLOT,					\
	    "Connections cut off: the client read a response slower "	\
	    "than limits.min_rate")					\
	X(proxy_refused, COUNTER, SLOT,					\
	    "Connections closed on a proxy_protocol listener: not from "	\
	    "proxy_protocol_from, a bad PROXY header, or none in time "	\
	    "(the waiter counts its own timeouts)")

enum ctr_type { CTR_COUNTER, CTR_GAUGE };
enum ctr_where { CTR_SLOT, CTR_STATE };

#define CTR_ID(name)	CTR_ID_##name
#define CTR_ENUM_ITEM(name, type, where, help) CTR_ID(name),
enum ctr_id { CTR_TABLE(CTR_ENUM_ITEM) CTR_N };

/* What struct sb_slot holds for each entry: a field for a SLOT one. */
#define CTR_SLOT_FIELD(name, type, where, help)			\
	CTR_SLOT_FIELD_##where(name)
#define CTR_SLOT_FIELD_SLOT(name)		_Atomic uint64_t name;
#define CTR_SLOT_FIELD_STATE(name)

struct ctr_def {
	const char	*name;
	const char	*help;
	enum ctr_type	 type;
	enum ctr_where	 where;
};

/* The table, indexed by enum ctr_id. */
extern const struct ctr_def ctr_defs[CTR_N];

/*
 * The segment's counters area. Written only by the master; seq is odd
 * while it folds a reaped worker's slot (a seqlock), so a reader never
 * sees that worker's counts both in retired and in its slot, or in
 * neither.
 */
struct ctr_area {
	_Atomic uint64_t	seq;
	_Atomic uint64_t	retired[CTR_N];	/* SLOT COUNTERs of
						   reaped workers; others 0 */
} __attribute__((aligned(64)));

struct shm;
struct sb_slot;

/*
 * The master only, for the slot of a worker it has reaped (so its
 * counters are final), before it frees the slot: adds the slot's SLOT
 * COUNTERs to the retired totals and zeroes them, in one step as readers
 * see it. A slot already folded (or never used) adds nothing.
 */
void	ctr_fold(const struct shm *, struct sb_slot *);

/*
 * Service-wide values of every entry: SLOT COUNTERs are the retired
 * totals plus every slot's; STATE gauges are counted over the slots.
 * Each worker is counted exactly once, so a counter never reads lower
 * than an earlier read did (however a reload or recycle falls between).
 * 0; or -1 when the master stayed in the middle of a fold for the whole
 * retry budget (stopped?): v is then a plain sum that may count the worker
 * being folded twice or not at all.
 */
int	ctr_totals(const struct shm *, uint64_t v[CTR_N]);

/* One worker's SLOT entries from its slot; the others 0. */
void	ctr_slot(const struct sb_slot *, uint64_t v[CTR_N]);

#endif
