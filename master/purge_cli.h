/*
 * "porter -s purge URL|prefix:PATH|tag:NAME": a purge sent to the running
 * porter's status listener (POST PATH/purge), the way a browser's form
 * does it. A signal (as -s drain uses) cannot carry a URL, and the
 * status listener already admits only loopback (or its allow list). A
 * prefix or tag purge is a job for the cache keeper: the command waits
 * for it (GET PATH/jobs/ID) and says how many objects went.
 */
#ifndef PORTER_MASTER_PURGE_CLI_H
#define PORTER_MASTER_PURGE_CLI_H

#include "config/cfg.h"

/* Seconds -s purge waits for a prefix or tag job to finish. */
#define PURGE_CLI_WAIT	60

/*
 * what: "URL" (http://host/path), "prefix:PATH" (a path, or
 * http://host/path for one host), "tag:NAME", each maybe after "soft:".
 * Prints what happened; exit code 0 when something was purged (or the
 * job finished), 1 otherwise.
 */
int	purge_cli(const struct cfg *, const char *what);

#endif
