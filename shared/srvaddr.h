/*
 * Where each backend server is reached, shared by every worker and the
 * health checker: the addresses its name resolves to now, and the one
 * that answered last.
 *
 * A server is configured by name ("localhost:9001", "app.internal:80"),
 * and a name may have several addresses: a stock Debian's localhost is
 * ::1 first, then 127.0.0.1. Every address is tried in turn, and the
 * one that answered is remembered here (pref) so that every process
 * goes straight to it next time.
 *
 * With resolve set on the pool, the checker looks the names up again
 * every so often and publishes the answer here (a seqlock: the checker
 * is its only writer, as the master runs one checker at a time); workers
 * use it when it is newer than their configuration's. A checker killed
 * mid-write leaves the sequence odd: readers then use the configuration's
 * addresses until the next checker writes again.
 */
#ifndef PORTER_SHARED_SRVADDR_H
#define PORTER_SHARED_SRVADDR_H

#include <stdatomic.h>
#include <stdint.h>

#include "lib/addr.h"

/* One address in the segment: 32 bytes hold a sockaddr_in6. */
#define SRVADDR_WORDS	4

struct srvaddr {
	_Atomic uint32_t	seq;		/* odd while being written */
	_Atomic uint32_t	n;		/* 0: never resolved */
	_Atomic int64_t		resolved_ms;	/* CLOCK_MONOTONIC ms */
	_Atomic uint64_t	word[ADDR_MAX][SRVADDR_WORDS];
	_Atomic uint64_t	pref;		/* addr_hash of the address that
						   answered last; 0: none */
};

/* A row taken by a new server: nothing known. No one else uses it yet. */
void	srvaddr_reset(struct srvaddr *);

/* The checker: the name now resolves to l (l->n > 0). */
void	srvaddr_publish(struct srvaddr *, const struct addrlist *l,
	    int64_t now_ms);

/*
 * The checker's latest answer into out, with when it was found: 1, or 0
 * if there is none (never resolved, or a write in progress or cut off).
 */
int	srvaddr_read(const struct srvaddr *, struct addrlist *out,
	    int64_t *resolved_ms);

/*
 * sa answered: go to it first from now on. 1 if this call changed the
 * preferred address (so one process logs the change), else 0.
 */
int	srvaddr_prefer(struct srvaddr *, const struct sockaddr *sa);

/*
 * The addresses to try, in order from *first (wrapping around): the
 * checker's answer when use_published and it is newer than loaded_ms,
 * copied into scratch; otherwise cfg (no copy). *first is the preferred
 * address's index, or 0.
 */
const struct addrlist *srvaddr_list(const struct srvaddr *,
	    const struct addrlist *cfg, int64_t loaded_ms, int use_published,
	    struct addrlist *scratch, int *first);

#endif
