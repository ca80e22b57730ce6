/*
 * The listening sockets, opened by the master only: at start, on a reload
 * (HUP) and in the new master of a binary upgrade (USR2), where sockets
 * already bound to a listener's address are kept rather than bound again.
 */
#ifndef PORTER_MASTER_LISTEN_H
#define PORTER_MASTER_LISTEN_H

#include <stddef.h>

#include "config/cfg.h"

/*
 * The listening sockets for cfg, one per listener, by cfg->listeners
 * index: an old socket bound to the same address (one of the nold in
 * oldfds, which may be NULL when nold is 0) is reused, others are bound
 * now. NULL with err set; then it has closed what it opened, and none of
 * oldfds.
 */
int	*listen_all(const struct cfg *cfg, const int *oldfds, int nold,
	    char *err, size_t errlen);

#endif
