/* The master's pid file, and signalling the master it names (-s). */
#ifndef PORTER_MASTER_PIDFILE_H
#define PORTER_MASTER_PIDFILE_H

#include <sys/types.h>

#include "config/cfg.h"

/* Write our pid whole or not at all (temporary file, then rename). */
int	pidfile_write(const char *path);
/* The pid in path: 0, or -1 with errno (ENOENT: no file; EINVAL: junk). */
int	pidfile_read(const char *path, pid_t *);
/* Whether pid is a live porter process (not a reused pid). */
int	pidfile_is_porter(pid_t);
/*
 * porter -s reload|stop|quit|reopen: signal the master named in the
 * configuration's pid file. Prints what went wrong; returns the exit code.
 */
int	pidfile_signal(const struct cfg *, const char *action);

#endif
