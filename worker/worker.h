/* A worker process: accepts one connection at a time and serves it. */
#ifndef PORTER_WORKER_WORKER_H
#define PORTER_WORKER_WORKER_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "shared/scoreboard.h"
#include "shared/shm.h"
#include "worker/balance.h"
#include "worker/upstream.h"

/* What the master hands a worker at fork. */
struct worker_args {
	const struct cfg	*cfg;
	const struct shm	*shm;
	uint32_t		 slot;		/* scoreboard slot, already claimed */
	uint32_t		 generation;
	const int		*lfds;		/* one per cfg->listeners[i] */
	int			 death_fd;	/* readable or hung up: exit */
};

/* Per-worker state, alive for the life of the process. */
struct worker {
	const struct cfg	*cfg;
	const struct shm	*shm;
	struct sb_slot		*sb;
	struct balance		*bal;		/* one per pool */
	struct upstream		 up;		/* idle upstream connections */
	char			*cbuf;		/* client input */
	size_t			 ccap;
	char			*ubuf;		/* upstream input */
	size_t			 ucap;
	char			*obuf;		/* heads porter writes */
	size_t			 ocap;
	int			 death_fd;
	int			 stopping;	/* finish this request, then exit */
};

void	worker_main(const struct worker_args *) __attribute__((noreturn));

#endif
