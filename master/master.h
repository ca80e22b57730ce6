/*
 * The master process: supervises workers, never touches client traffic.
 * struct master is the master's whole state, shared by the files of
 * master/ (pool.c sizes the pool, reload.c swaps configurations,
 * upgrade.c execs a new binary); nothing outside master/ sees it.
 */
#ifndef PORTER_MASTER_MASTER_H
#define PORTER_MASTER_MASTER_H

#include <sys/types.h>

#include <signal.h>
#include <stdint.h>

#include "config/cfg.h"
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
	struct privs	 privs;
	uint32_t	 generation;	/* of the workers forked now */
	int		 pod[2];	/* this generation's pipe of death */
	sigset_t	 oldmask;	/* restored in each child */

	/* the worker table, by scoreboard slot: the master's own record */
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

	/* the health checker (master/checker.c), when a pool has checks */
	pid_t		 checker_pid;
	int		 checker_pod;	/* closing it tells it to exit */
	double		 checker_due;	/* restart it then (0: not due) */
};

/*
 * Open logs and listeners, make the shared segment, fork workers and
 * supervise them until told to stop. Takes ownership of cfg.
 * Returns the process exit code.
 */
int	master_run(struct cfg *cfg, const char *cfg_path, int foreground,
	    char *const argv[]);

/* pool.c: the worker table and its size */
/* Fork one worker of the current generation; 0, or -1 (no slot, no fork). */
int	pool_spawn(struct master *);
/* Reap dead children, log the unexpected ones, replace them. */
void	pool_reap(struct master *);
/* Once a second: Apache prefork's idle-worker scheme. */
void	pool_maintain(struct master *);
/* Workers of generation gen (0: any) alive now. */
int	pool_count(const struct master *, uint32_t gen);
/* Tell every worker of generations before gen to finish and exit. */
void	pool_retire_old(struct master *, uint32_t gen);
/* Send sig to every worker. */
void	pool_signal_all(struct master *, int sig);

/*
 * Start the health checker for the running configuration, stopping the
 * one before (reload). It is restarted when it dies, at most once a
 * second.
 */
void	master_checker_start(struct master *);
/* pool.c found it dead. */
void	master_checker_exited(struct master *, int status);

/* reload.c: HUP. 0 when the new configuration runs, -1 if it was refused. */
int	reload_config(struct master *);

/* upgrade.c: USR2 and the new binary's side of it */
void	upgrade_start(struct master *);
/* Whether this master was started by an old one's USR2. */
int	upgrade_inherited(void);
/* The new master: adopt the listener fds the old one passed down. */
void	upgrade_adopt(struct master *);
/* The old master exits after a good upgrade: remove FILE.oldbin. */
void	upgrade_release_pidfile(struct master *);
/* The new master exited: the upgrade failed; take the pid file back. */
void	upgrade_failed(struct master *, int status);

/*
 * The listening sockets for cfg, one per listener: an old socket bound to
 * the same address is reused (reload, upgrade), others are bound now.
 * NULL with err set; then nothing it opened stays open.
 */
int	*master_listeners(const struct cfg *cfg, const int *oldfds, int nold,
	    char *err, size_t errlen);
/* Bump the generation: old workers finish and exit, new ones start. */
void	master_new_generation(struct master *);

#endif
