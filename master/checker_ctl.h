/*
 * The master's side of the health checker (master/checker.c is the
 * checker process itself): starting it, restarting it when it dies, at
 * most once a second, and stopping it. There is never more than one: the
 * checker is the only writer of the addresses published in the segment,
 * and two at once would tear them. Its state is struct master's
 * checker_pid, checker_pod and checker_due.
 */
#ifndef PORTER_MASTER_CHECKER_CTL_H
#define PORTER_MASTER_CHECKER_CTL_H

#include <sys/types.h>

struct master;

/*
 * Start the checker for the running configuration (m->cfg, rows already
 * assigned), first ending and reaping the one before (reload, reopen).
 * When the fork or its pipe fails, another try is due in a second.
 */
void	checker_ctl_start(struct master *m);

/*
 * End the running checker, if any, and reap it: before another starts,
 * and before the master publishes addresses itself (reload), since the
 * segment has one writer at a time. It dies at once on TERM; KILL if it
 * lingers.
 */
void	checker_ctl_end(struct master *m);

/*
 * pool_reap reaped pid with wait status st: 1 if it was the checker (then
 * a restart is due in a second, unless the master is stopping), else 0.
 */
int	checker_ctl_reaped(struct master *m, pid_t pid, int st);

/* Each turn of the master's loop, now from clock_now(): restart if due. */
void	checker_ctl_tick(struct master *m, double now);

/*
 * Stopping (fast or graceful): tell the checker to exit, and do not
 * restart it. The master's reaping collects it.
 */
void	checker_ctl_stop(struct master *m);

#endif
