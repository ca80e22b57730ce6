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

#include "shared/histo.h"

#define CTR_LAYOUT	3

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
	X(requeued, COUNTER, SLOT,					\
	    "Kept-alive connections a worker queued for the next free "	\
	    "worker itself, their next request in, while clients "	\
	    "waited for a worker (taken back as the waiter's are)")	\
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
	    "(the waiter counts its own timeouts)")				\
	X(tunnels, COUNTER, SLOT,					\
	    "CONNECT and Upgrade tunnels opened (the client had its 200 "	\
	    "or 101)")							\
	X(yields, COUNTER, SLOT,					\
	    "Times a worker let others run before a wait instead of "	\
	    "sleeping in it (workers.yield)")

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

/*
 * Counters with a label, which a flat table cannot hold: kept like the
 * SLOT entries (struct ctr_more in every slot, written only by its
 * worker; folded into the retired ones when the master reaps it).
 *
 * Responses by listener and status class. A listener's row is found by
 * its address text ("127.0.0.1:8080") in a small table in the counters
 * area (struct ctr_lst), which only the master writes, before it forks
 * the workers of a configuration (ctr_lst_claim): a listener keeps its
 * row across reloads, a new address takes a new row, and a row is never
 * given to another address while porter runs, so a reload that changes
 * listeners never mixes their counts (a removed listener's row stays,
 * with its totals). Past CTR_LISTENERS - 1 addresses, new ones share the
 * last row, named "other".
 */
#define CTR_LISTENERS	32
#define CTR_LST_OTHER	(CTR_LISTENERS - 1)
#define CTR_LKEY	64	/* address text, NUL included */
#define CTR_NCLASS	5	/* 1xx .. 5xx */

/*
 * Requests refused by access and filtering rules (the refused entry), by
 * the setting that refused them; the label rule= on /metrics. X(name,
 * help).
 */
#define CTR_RULES(X)							\
	X(deny, "deny: the client's address")				\
	X(allow, "allow: a client not listed")				\
	X(methods, "methods: a method not listed (405)")		\
	X(deny_paths, "deny_paths: the normalised path matched")	\
	X(require_headers, "require_headers: a field missing")		\
	X(deny_headers, "deny_headers: a field matched")		\
	X(max_body_size, "a route's max_body_size (413)")		\
	X(allow_hosts, "forward allow_hosts: a host not listed")	\
	X(block_hosts, "forward block_hosts (and block_file)")		\
	X(block_urls, "forward block_urls")				\
	X(connect_ports, "forward connect_ports: CONNECT to another port") \
	X(deny_private, "forward deny_private: a private destination")	\
	X(auth, "forward auth_file: no valid credentials (407)")	\
	X(other, "any other rule")

#define CTR_RULE(name)	CTR_RULE_##name
#define CTR_RULE_ITEM(name, help) CTR_RULE(name),
enum ctr_rule { CTR_RULES(CTR_RULE_ITEM) CTR_NRULES };

struct ctr_rule_def {
	const char	*name;
	const char	*help;
};
extern const struct ctr_rule_def ctr_rules[CTR_NRULES];

/* The histograms (shared/histo.h). X(name, help) */
#define CTR_HISTOS(X)							\
	X(request_duration, "From a request's head read to its response "	\
	    "written (a tunnel: to its end)")				\
	X(upstream_header_duration, "From a backend attempt's start (connect or "	\
	    "reuse) to its response head")

#define CTR_HISTO(name)	CTR_H_##name
#define CTR_HISTO_ITEM(name, help) CTR_HISTO(name),
enum ctr_histo { CTR_HISTOS(CTR_HISTO_ITEM) CTR_NHISTO };
extern const struct ctr_rule_def ctr_histos[CTR_NHISTO];

/* In each slot (_Atomic), and in the retired totals. */
struct ctr_more {
	_Atomic uint64_t	responses[CTR_LISTENERS][CTR_NCLASS];
	_Atomic uint64_t	refused[CTR_NRULES];
	struct histo		histo[CTR_NHISTO];
};

/* The same, read out (ctr_totals_more). */
struct ctr_more_v {
	uint64_t		responses[CTR_LISTENERS][CTR_NCLASS];
	uint64_t		refused[CTR_NRULES];
	struct histo_v		histo[CTR_NHISTO];
};

/* A listener's row: key set once, then used (release), never changed. */
struct ctr_lst {
	_Atomic uint32_t	used;
	char			key[CTR_LKEY];
};

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
	struct ctr_more		retired_more;
	struct ctr_lst		lst[CTR_LISTENERS];	/* the master's */
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

/* ctr_totals, and the labelled counters (more) in the same snapshot. */
int	ctr_totals_more(const struct shm *, uint64_t v[CTR_N],
	    struct ctr_more_v *more);

/*
 * The master only, before forking workers with a configuration: the row
 * of the listener whose address text is key (a new one is given the
 * first unused row; CTR_LST_OTHER when the table is full or key is too
 * long: that row then says "other").
 */
int	ctr_lst_claim(const struct shm *, const char *key);

/*
 * The master, with each configuration it forks workers with: claims the
 * rows of all of cfg's listeners; logs a warning for those that have to
 * share "other".
 */
struct cfg;
void	ctr_lst_claim_all(const struct shm *, const struct cfg *);

/* Any process: key's row, as claimed; -1 if the master did not claim it. */
int	ctr_lst_find(const struct shm *, const char *key);

/* Row i's key, or NULL while it is unused. */
const char *ctr_lst_key(const struct shm *, int i);

/* A status code's class, 0 (1xx) .. 4 (5xx); -1 outside 100..599. */
int	ctr_class(int status);

/*
 * The rule that refused a request, from the words porter logs for it:
 * they start with the setting's name ("deny_paths \"^/admin\"",
 * "methods: PUT not allowed", "block_hosts .ads.example"); CTR_RULE_other
 * when none is named.
 */
enum ctr_rule ctr_rule_of(const char *why);

#endif
