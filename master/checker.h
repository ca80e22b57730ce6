/*
 * The active health checker: one process beside the workers that sends
 * each pool's health request (pool.health) to every server of the pool
 * and records the results in the shared health table, and looks up again
 * the server names of pools with resolve set. master/checker_ctl.c is the
 * master's side of it.
 */
#ifndef PORTER_MASTER_CHECKER_H
#define PORTER_MASTER_CHECKER_H

#include <sys/types.h>

#include <signal.h>

#include "config/cfg.h"
#include "master/privs.h"
#include "shared/shm.h"

/*
 * Fork the health checker for c when some pool has health.path or
 * re-resolves named servers (resolve); rows: each server's health row,
 * by cfg_server_index (hc_assign), its addresses already published.
 * Every server of a pool with health.path is checked every
 * health.interval (from the start of its previous check), each check
 * bounded by health.timeout, all concurrently.
 *
 * pod_fd: the read end of a pipe whose write end the master holds; the
 * checker exits when it reads end of file there (reload, reopen, stop),
 * and also when the master dies. It closes every pipe and socket it
 * inherits but pod_fd, so it holds no pipe of death or listener open.
 * restore: the signal mask the child runs with (the master's blocks all).
 * pv: the user to switch to after that, as workers do (NULL: stay).
 *
 * Returns the child's pid, 0 when it would have nothing to do (no
 * process), -1 with errno set when fork failed.
 */
pid_t	checker_start(const struct cfg *c, const uint32_t *rows,
	    const struct shm *shm, int pod_fd,
	    const sigset_t *restore, const struct privs *pv);

#endif
