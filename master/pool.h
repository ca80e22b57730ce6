/*
 * The worker table (struct master's pids, gens, retired) and its size:
 * forking workers, reaping them, Apache prefork's spare-worker scheme.
 */
#ifndef PORTER_MASTER_POOL_H
#define PORTER_MASTER_POOL_H

#include <stdint.h>

struct cfg;
struct master;

/*
 * Fork one worker of the current generation (m->generation, m->pod) into
 * a free scoreboard slot. 0, or -1 (no free slot, or fork failed; logged).
 */
int	pool_spawn(struct master *m);

/* Warn when workers.nice is below the master's and porter is not root. */
void	pool_check_nice(const struct cfg *cfg);

/*
 * Reap every dead child without blocking. A worker's slot is freed (and
 * the backend connection it held given back); one of this generation that
 * left on its own is replaced, unless the master is stopping, and at most
 * one a second while workers die in a loop. The new master of an upgrade
 * and the checker go to upgrade_failed and checker_ctl_reaped.
 */
void	pool_reap(struct master *m);
/* Once a second: Apache prefork's idle-worker scheme (workers.*_spare). */
void	pool_maintain(struct master *m);
/* Workers of generation gen (0: any generation) alive now. */
int	pool_count(const struct master *m, uint32_t gen);
/* Tell every worker of a generation before gen to finish and exit. */
void	pool_retire_old(struct master *m, uint32_t gen);
/* Send sig to every live worker (not the checker). */
void	pool_signal_all(struct master *m, int sig);

#endif
