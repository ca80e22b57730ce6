/*
 * The master process: supervises workers, never touches client traffic.
 * struct master is the master's whole state, shared by the files of
 * master/ that act for the master, each with its own header (pool.c sizes
 * the pool, reload.c swaps configurations, upgrade.c execs a new binary,
 * checker_ctl.c runs the health checker, keeper_ctl.c the cache keeper,
 * drain.c marks servers drained);
 * nothing outside master/ sees it.
 */
#ifndef PORTER_MASTER_MASTER_H
#define PORTER_MASTER_MASTER_H

#include <sys/types.h>

#include <signal.h>
#include <stdint.h>

#include "config/cfg.h"
#include "lib/addr.h"
#include "lib/arena.h"
#include "master/privs.h"
#include "shared/shm.h"

struct master {
	struct cfg	*cfg;		/* the running configuration */
	const char	*cfg_path;	/* as given with -c */
	const char	*exe;		/* absolute path of this binary (USR2) */
	char *const	*argv;		/* to exec the new binary with (USR2) */
	int		 foreground;
	int		*lfds;		/* by cfg->listeners index */
	struct shm	 shm;
	uint32_t	*rows;		/* each server's health row, by
					   cfg_server_index (hc_assign) */
	struct privs	 privs;
	uint32_t	 generation;	/* of the workers forked now */
	int		 pod[2];	/* this generation's pipe of death */
	sigset_t	 oldmask;	/* restored in each child */

	/*
	 * The worker table, by scoreboard slot: the master's own record,
	 * in memory its children do not inherit (it changes at each fork).
	 */
	struct arena	 own;
	pid_t		*pids;
	uint32_t	*gens;
	uint8_t		*retired;	/* told to exit: do not replace */
	uint32_t	 nslots;
	int		 nworkers;	/* alive, all generations */

	/* pool sizing (pool.c) */
	int		 spawn_rate;	/* 1, 2, 4 ... 32 a second */
	double		 max_logged;	/* when "reached workers.max" was said */
	double		 crash_second;	/* start of the current count */
	int		 crashes;	/* unexpected deaths in that second */
	int		 held;		/* respawns held back by the guard */

	/* stopping */
	int		 stopping;	/* fast stop: workers were sent TERM */
	int		 quitting;	/* graceful stop under way */
	double		 quit_deadline;

	pid_t		 upgrade_pid;	/* the new master started by USR2 */

	/*
	 * the health checker (checker_ctl.c), when a pool has checks or
	 * names to re-resolve
	 */
	pid_t		 checker_pid;
	int		 checker_pod;	/* closing it tells it to exit */
	double		 checker_due;	/* restart it then (0: not due) */

	/* the cache keeper (keeper_ctl.c), when the segment has a cache;
	   its scoreboard slot and store hold are number nslots */
	pid_t		 keeper_pid;
	int		 keeper_pod;	/* closing it tells it to exit */
	double		 keeper_due;	/* restart it then (0: not due) */
	double		 keeper_started;
	double		 keeper_backoff;	/* s before the next restart */

	/* the waiter (waiter_ctl.c) */
	pid_t		 waiter_pid;
	double		 waiter_started;
	double		 waiter_due;	/* restart it then (0: not due) */
	int		 park[2];	/* workers park on [0], it takes on [1] */
	int		 ready[2];	/* it hands back on [0], workers take on
					   [1]; both pairs live as long as the
					   master, -1 before */
};

/*
 * Open logs and listeners, make the shared segment, publish the servers'
 * addresses (addrs, from backends_resolve), fork workers and supervise
 * them until told to stop. Takes ownership of cfg and addrs.
 * Returns the process exit code.
 */
int	master_run(struct cfg *cfg, struct addrlist *addrs,
	    const char *cfg_path, int foreground, char *const argv[]);

/*
 * The store's parameters from the cache group (nslots: the scoreboard's):
 * the master sizes the segment's cache part with them.
 */
struct store_params;
void	master_cache_params(const struct cfg *, uint32_t nslots,
	    struct store_params *);

#endif
