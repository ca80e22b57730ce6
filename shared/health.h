/*
 * The backend health table: one row per server of every pool, shared by
 * all workers and the health checker, so every process sees the same
 * picture at the same moment and "least connections" means least across
 * the whole service, not per worker. Fields are atomics; no lock.
 *
 * A row belongs to a server by its key, "pool/address". The master gives
 * each server its row (hc_assign) before forking, in an array of its own
 * that its children inherit (the configuration is not written to); on a
 * reload a server still in the config keeps its row and so its state;
 * rows are never moved, so workers of the old generation that are
 * finishing keep counting on the right rows.
 *
 * A worker records the row it holds in its scoreboard slot, so when it
 * dies mid-request the master gives the connection back (hc_release).
 *
 * Times are CLOCK_MONOTONIC milliseconds (hc_now_ms), the same in every
 * process of the machine.
 */
#ifndef PORTER_SHARED_HEALTH_H
#define PORTER_SHARED_HEALTH_H

#include <stdatomic.h>
#include <stdint.h>

#include "config/cfg.h"
#include "shared/shm.h"
#include "shared/srvaddr.h"

#define HC_KEYLEN	192

enum hc_state { HC_UP = 0, HC_DOWN = 1 };

struct hc_row {
	char			key[HC_KEYLEN];	/* "pool/address"; "" = free */
	_Atomic uint32_t	state;		/* enum hc_state */
	_Atomic uint32_t	draining;	/* operator: no new requests */
	_Atomic int32_t		active;		/* requests in flight now */
	_Atomic uint32_t	ok_run;		/* consecutive check successes */
	_Atomic uint32_t	fail_run;	/* consecutive check failures */
	_Atomic uint32_t	fail_count;	/* passive failures in window */
	_Atomic int64_t		fail_window_ms;	/* passive window start */
	_Atomic int64_t		down_until_ms;	/* passive: trial after this */
	_Atomic int64_t		trial_until_ms;	/* a trial request is out */
	_Atomic int64_t		last_check_ms;
	_Atomic int64_t		last_change_ms;
	_Atomic int64_t		up_since_ms;	/* for slow_start */
	_Atomic uint64_t	requests;	/* sent to it, in total */
	_Atomic uint64_t	failures;	/* passive failures, in total */
	_Atomic uint64_t	timeouts;	/* of which timeouts */
	_Atomic uint64_t	retries;	/* requests sent to it after
						   they failed on another */
	_Atomic uint64_t	checks_failed;	/* active checks that failed */
	_Atomic uint64_t	latency_us;	/* moving average of response
						   head latency */
	struct srvaddr		addr;		/* where its name leads now */
} __attribute__((aligned(64)));

int64_t		 hc_now_ms(void);

/* Bytes the table needs for n rows. */
size_t		 hc_size(uint32_t nrows);
struct hc_row	*hc_row(const struct shm *, uint32_t row);
uint32_t	 hc_rows(const struct shm *);

/*
 * Give every server of nc its row, in rows[cfg_server_index] (an array of
 * cfg_nservers(nc)): the row whose key is "pool/address" if there is one
 * (its state carries over), else a free row, which starts in the pool's
 * initial state. A row is free if its key is empty or names a server in
 * neither nc nor old (old: the config now running, or NULL at start).
 * 0, or -1 if the table is too small.
 */
int	hc_assign(const struct shm *, const struct cfg *nc,
	    const struct cfg *old, uint32_t *rows);

/*
 * Whether a request may go to row now: up and not draining; or down by
 * passive checks, with no active checks configured, down_until passed and
 * no trial out: then this caller's request is the trial (*trial = 1).
 */
int	hc_usable(const struct shm *, uint32_t row, const struct cfg_pool *,
	    int64_t now, int *trial);

/*
 * A request starts on row: 1 and counted, or 0 when max_conns (0: no cap)
 * requests are already in flight there.
 */
int	hc_try_acquire(const struct shm *, uint32_t row, int max_conns);
void	hc_release(const struct shm *, uint32_t row);

/*
 * Passive results from workers. A failure (connect refused or timed out,
 * reset, timeout, or a status in fail_status) counts within fail_timeout;
 * max_fails of them mark the server down for fail_timeout, and a failed
 * trial marks it down again. A success ends a trial (up again) and, with
 * latency_us, feeds the average. why is logged with a state change.
 */
void	hc_passive_fail(const struct shm *, uint32_t row,
	    const struct cfg_pool *, int64_t now, int timeout, const char *why);
void	hc_passive_ok(const struct shm *, uint32_t row,
	    const struct cfg_pool *, int64_t now, uint64_t latency_us);

/* An active check's result: rise successes up, fall failures down. */
void	hc_check_result(const struct shm *, uint32_t row,
	    const struct cfg_pool *, int64_t now, int ok, const char *why);

/*
 * slow_start: the share of its weight a server gets now, in (0, 1]; 1
 * when slow_start is off or the server has been up long enough.
 */
double	hc_weight_factor(const struct shm *, uint32_t row,
	    const struct cfg_pool *, int64_t now);

/* Operator drain (1) or undrain (0); logged. */
void	hc_set_draining(const struct shm *, uint32_t row, int on);

/* "up", "down" or "draining", for logs and status. */
const char *hc_state_name(const struct shm *, uint32_t row);

#endif
