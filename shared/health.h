/*
 * The backend table: one row per server of every pool, shared by all
 * workers, so "least connections" means least across the whole service,
 * not per worker. Counters are atomics; no lock. Row r of pool p, server s
 * is the sum of the servers of the pools before p, plus s.
 *
 * A worker records the row it holds in its scoreboard slot, so when it
 * dies mid-request the master gives the connection back (hc_release).
 */
#ifndef PORTER_SHARED_HEALTH_H
#define PORTER_SHARED_HEALTH_H

#include <stdatomic.h>
#include <stdint.h>

#include "shared/shm.h"

#define HC_LAYOUT	1

struct hc_row {
	_Atomic int32_t		active;		/* requests in flight now */
	_Atomic uint64_t	requests;	/* sent to it, in total */
	_Atomic uint64_t	failures;	/* connect or exchange failed */
} __attribute__((aligned(64)));

/* Bytes the table needs for n rows. */
size_t		 hc_size(uint32_t nrows);
struct hc_row	*hc_row(const struct shm *, uint32_t row);
uint32_t	 hc_rows(const struct shm *);

/* A request starts on / leaves row. */
void	hc_acquire(const struct shm *, uint32_t row);
void	hc_release(const struct shm *, uint32_t row);

#endif
