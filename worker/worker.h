/* A worker process: accepts one connection at a time and serves it. */
#ifndef PORTER_WORKER_WORKER_H
#define PORTER_WORKER_WORKER_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "shared/shm.h"

/* What the master hands a worker at fork. */
struct worker_args {
	const struct cfg	*cfg;
	const struct shm	*shm;
	const uint32_t		*rows;		/* by cfg_server_index (hc_assign) */
	uint32_t		 slot;		/* scoreboard slot, already claimed */
	uint32_t		 generation;
	const int		*lfds;		/* one per cfg->listeners[i] */
	int			 park_fd;	/* hand-offs to the waiter, and */
	int			 ready_fd;	/* from it; -1: no waiter */
	int			 requeue_fd;	/* the waiter's end of ready_fd's
						   pair: a rotation that needs
						   no waiter (park_requeue) */
	int			 pod_fd;	/* this generation's pipe of death:
						 * hung up means finish and exit */
	sigset_t		 sigmask;	/* to restore once handlers are set */
};

void	worker_main(const struct worker_args *) __attribute__((noreturn));

/*
 * A worker's state for a, as worker_main makes it (also the cache
 * keeper's, which serves its refreshes through the same code): buffers,
 * balancers, idle upstreams, the cache's work area. 0, or -1 (out of
 * memory).
 */
struct worker;
int	worker_setup(struct worker *, const struct worker_args *a);

#endif
