/*
 * Every counter porter shows, defined once, in CTR_TABLE below (Varnish
 * declares its VSC counters the same way). The scoreboard slot's counter
 * fields are generated from it, so a worker still counts with
 * sb_add(&w->sb->requests, n); the status page (and /metrics) iterate
 * over ctr_defs[], in table order.
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

/*
 * X(name, type, where, help), in the order the status page shows them.
 *   name   the slot's field (SLOT) and the name on the page
 *   type   COUNTER: only grows while porter runs; GAUGE: a level now
 *   where  SLOT: an _Atomic uint64_t in each worker's scoreboard slot,
 *          written only by that worker.
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
	    "authentication rules")

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

struct shm;
struct sb_slot;

/*
 * Service-wide values of every entry: SLOT entries summed over the live
 * workers' slots, STATE gauges counted over the slots.
 */
void	ctr_totals(const struct shm *, uint64_t v[CTR_N]);

/* One worker's SLOT entries from its slot; the others 0. */
void	ctr_slot(const struct sb_slot *, uint64_t v[CTR_N]);

#endif
