/* The master process: supervises workers, never touches client traffic. */
#ifndef PORTER_MASTER_MASTER_H
#define PORTER_MASTER_MASTER_H

#include "config/cfg.h"

/*
 * Open logs and listeners, make the shared segment, fork workers and
 * supervise them until told to stop. Takes ownership of cfg.
 * Returns the process exit code.
 */
int	master_run(struct cfg *cfg, int foreground);

#endif
