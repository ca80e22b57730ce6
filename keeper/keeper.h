/*
 * The cache keeper: one process beside the workers, forked and
 * supervised by the master (master/keeper_ctl.c) when the segment has a
 * cache, that does the cache's background work so that no client's
 * worker waits for it:
 *   - stale-while-revalidate refreshes (JOB_REFRESH, queued by workers
 *     that served a stale copy at once), fetched through the workers' own
 *     code (conn.c, proxy.c, cache.c: the same pools, balancer and
 *     health table) with a closed socket in place of the client;
 *   - prefix and tag purges (JOB_PURGE_*, the purge code's);
 *   - sweeps of entries expired beyond their stale window, and a periodic
 *     audit that gives leaked chunks back to the free list.
 * It may be killed at any point: jobs are idempotent, and the next
 * keeper requeues what was running (jobs_requeue); a fill it leaves
 * half done is in its own hold, which the master releases when it reaps
 * it (store_release_slot).
 */
#ifndef PORTER_KEEPER_KEEPER_H
#define PORTER_KEEPER_KEEPER_H

#include <sys/types.h>
#include <sys/socket.h>

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "shared/jobs.h"
#include "shared/shm.h"

/* How often the keeper sweeps expired entries, and audits the store. */
#define KEEPER_SWEEP_MS		5000
#define KEEPER_AUDIT_MS		60000
/*
 * How long past its stale windows an expired entry with validators is
 * kept: a revalidation may still refresh it with a 304, sparing the
 * body (Varnish's beresp.keep). Eviction takes expired entries first
 * when room is needed, so keeping them costs nothing else.
 */
#define KEEPER_KEEP_MS		(3600 * 1000)
/* and any expired entry, that long: a client's max-stale may take it */
#define KEEPER_LINGER_MS	(60 * 1000)

/*
 * A JOB_REFRESH's data: this header, then the request head to serve
 * again (request line, the client's fields less conditionals, ranges,
 * cache directives and hop-by-hop ones, "Connection: close").
 */
#define KEEPER_PEER_MAX	28	/* a sockaddr_in6 */
struct keeper_refresh {
	uint8_t		peer_len;	/* the client's address, for the
					   route's rules and the log */
	uint8_t		pad[3];
	uint8_t		peer[KEEPER_PEER_MAX];
};
#define KEEPER_HEAD_MAX	(JOB_DATA_MAX - sizeof(struct keeper_refresh))

/* What the master hands the keeper at fork. */
struct keeper_args {
	const struct cfg	*cfg;
	const struct shm	*shm;
	const uint32_t		*rows;		/* by cfg_server_index */
	uint32_t		 slot;		/* its scoreboard slot and store
						   hold: the one after the
						   workers' */
	uint32_t		 generation;
	int			 pod_fd;	/* hung up: exit */
	sigset_t		 sigmask;	/* to restore once handlers are
						   set */
};

void	keeper_main(const struct keeper_args *) __attribute__((noreturn));

/*
 * The job a worker queues for a stale copy it served: spec's data in
 * the format above, from the client's address and the head made by the
 * caller (at most KEEPER_HEAD_MAX bytes). 0, or -1 when it does not fit.
 */
int	keeper_refresh_spec(struct job_spec *, const struct sockaddr *peer,
	    socklen_t peer_len, const char *head, size_t hlen);

#endif
