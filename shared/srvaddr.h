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
 * The master publishes the addresses it resolved when it loaded the
 * configuration; with resolve set on the pool, the checker publishes
 * what it finds later. There is one writer at a time: the master writes
 * only while no checker runs, and runs one checker at a time. A write
 * goes to the set readers are not using, then switches them over, each
 * set behind its own sequence count: a writer killed mid-write leaves
 * the current set whole, and the next writer finishes the other one.
 */
#ifndef PORTER_SHARED_SRVADDR_H
#define PORTER_SHARED_SRVADDR_H

#include <stdatomic.h>
#include <stdint.h>

#include "lib/addr.h"

/* One address in the segment: 32 bytes hold a sockaddr_in6. */
#define SRVADDR_WORDS	4

struct srvaddr_set {
	_Atomic uint32_t	seq;		/* odd while being written */
	_Atomic uint32_t	n;
	_Atomic int64_t		resolved_ms;	/* CLOCK_MONOTONIC ms */
	_Atomic uint64_t	word[ADDR_MAX][SRVADDR_WORDS];
};

struct srvaddr {
	_Atomic uint32_t	cur;		/* the set readers use: 0 or 1 */
	struct srvaddr_set	set[2];
	_Atomic uint64_t	pref;		/* addr_hash of the address that
						   answered last; 0: none */
};

/* A row taken by a new server: nothing known. No one else uses it yet. */
void	srvaddr_reset(struct srvaddr *);

/* The one writer of the moment: the name now resolves to l (l->n > 0). */
void	srvaddr_publish(struct srvaddr *, const struct addrlist *l,
	    int64_t now_ms);

/*
 * The addresses into out, with when they were found: 1, or 0 if there
 * are none (never published, or torn by writes faster than this read).
 */
int	srvaddr_read(const struct srvaddr *, struct addrlist *out,
	    int64_t *resolved_ms);

/*
 * sa answered: go to it first from now on. 1 if this call changed the
 * preferred address (so one process logs the change), else 0.
 */
int	srvaddr_prefer(struct srvaddr *, const struct sockaddr *sa);

/*
 * The addresses to try into out, and *first, the index of the preferred
 * one (0 if none is): the connection tries them from there, wrapping
 * around. How many (0: none known).
 */
int	srvaddr_list(const struct srvaddr *, struct addrlist *out, int *first);

#endif
