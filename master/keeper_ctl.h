/*
 * The master's side of the cache keeper (keeper/keeper.c is the process
 * itself): starting it when the segment has a cache, restarting it when
 * it dies (after 1 s, doubling to 30 s while it keeps dying young), and
 * stopping it. There is never more than one: it owns one scoreboard slot
 * and one store hold, the ones after the workers' (m->nslots), which the
 * master releases when it reaps it, so a fill it leaves half done is
 * dropped and its waiters woken. Its state is struct master's keeper_*.
 */
#ifndef PORTER_MASTER_KEEPER_CTL_H
#define PORTER_MASTER_KEEPER_CTL_H

#include <sys/types.h>

struct master;

/* Start the keeper for the running configuration, first ending and
   reaping the one before (reload, reopen). No cache: nothing. */
void	keeper_ctl_start(struct master *m);

/* End the running keeper, if any, and reap it (TERM; KILL if it
   lingers): its slot and hold released. */
void	keeper_ctl_end(struct master *m);

/*
 * pool_reap reaped pid with wait status st: 1 if it was the keeper (its
 * slot released; a restart due unless the master is stopping), else 0.
 */
int	keeper_ctl_reaped(struct master *m, pid_t pid, int st);

/* Each turn of the master's loop, now from clock_now(): restart if due. */
void	keeper_ctl_tick(struct master *m, double now);

/* Stopping (fast or graceful): tell the keeper to exit, and do not
   restart it. The master's reaping collects it. */
void	keeper_ctl_stop(struct master *m);

/* In another child of the master: close the keeper's pipe. */
void	keeper_ctl_close_pod(const struct master *m);

#endif
