/*
 * The master's side of the waiter (waiter/ is the process itself): the
 * two hand-off socket pairs, which the master holds for its whole life so
 * that a waiter that dies and is restarted finds the hand-offs queued for
 * it; the waiter's settings in the segment; starting the waiter,
 * restarting it at once when it dies (at most once a second when it keeps
 * dying), and stopping it. Its state is struct master's waiter_* fields.
 */
#ifndef PORTER_MASTER_WAITER_CTL_H
#define PORTER_MASTER_WAITER_CTL_H

#include <sys/types.h>

struct master;

/* Before the first fork: no pairs yet (the fields at -1). */
void	waiter_ctl_init(struct master *m);

/*
 * For the running configuration (at start and after each reload): publish
 * its settings to the segment and start the waiter if the configuration
 * has one and none runs, or stop it if it has none. The waiter outlives
 * reloads: it holds connections of every generation.
 */
void	waiter_ctl_apply(struct master *m);

/*
 * The ends a new worker keeps: to park with, to take back from, and the
 * sending end of the take-back queue, on which a worker puts a kept-alive
 * connection whose next request is already in when others queue for a
 * worker (worker/park.c park_requeue): the waiter would only have read
 * that request and queued it there itself.
 */
int	waiter_ctl_park_fd(const struct master *m);
int	waiter_ctl_ready_fd(const struct master *m);
int	waiter_ctl_requeue_fd(const struct master *m);
/* In a new keeper: close the waiter's own ends. */
void	waiter_ctl_close_waiter_ends(const struct master *m);
/* In a new worker: close the waiter's end of the parking pair. */
void	waiter_ctl_close_park_end(const struct master *m);

/* pool_reap reaped pid with status st: 1 if it was the waiter. */
int	waiter_ctl_reaped(struct master *m, pid_t pid, int st);

/* Each turn of the master's loop: restart it when due. */
void	waiter_ctl_tick(struct master *m, double now);

/*
 * Graceful stop: workers may not park any more; the waiter hands each
 * connection it holds back to a (stopping) worker when its next request
 * is in, or closes it at its timeout, then exits. The stopping workers
 * stay until it is empty (worker/park.c park_draining).
 */
void	waiter_ctl_drain(struct master *m);

/* Stopping: workers may not park any more; the waiter is sent TERM. */
void	waiter_ctl_stop(struct master *m);

#endif
