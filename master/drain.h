/*
 * Draining a server without a reload: "porter -s drain POOL/ADDRESS"
 * (and undrain) queues a signal to the running master carrying which
 * server, and the master marks its row in the health table. The server
 * is named by a hash of "pool/address", not by its position, so a config
 * file edited since the last reload cannot make the master drain the
 * wrong server: an unknown name is logged and ignored.
 */
#ifndef PORTER_MASTER_DRAIN_H
#define PORTER_MASTER_DRAIN_H

#include "config/cfg.h"

struct master;

/* The signal that carries a drain request. */
#define DRAIN_SIGNAL	(SIGRTMIN + 1)

/* -s drain|undrain NAME: check NAME in cfg, signal the master. Exit code. */
int	drain_request(const struct cfg *, const char *action, const char *name);

/* The master got DRAIN_SIGNAL with value v. */
void	drain_apply(struct master *, int v);

#endif
