/*
 * Where a configuration's backend servers are, worked out by the master
 * when it loads the configuration (at start, on HUP, and for porter -t):
 * each server's row in the shared health table, and the addresses its
 * name resolves to. The configuration itself stays as the file says;
 * this is what the master and its children derive from it.
 */
#ifndef PORTER_MASTER_BACKENDS_H
#define PORTER_MASTER_BACKENDS_H

#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"
#include "lib/addr.h"
#include "shared/shm.h"

/*
 * Resolve every server's address of c (names with the system resolver,
 * blocking: at start and on reload, as nginx does) into a new array
 * indexed by
 * cfg_server_index; also check that forward listeners' parent names
 * resolve (workers resolve them again for each connection). NULL with
 * err "FILE:LINE: pools[0].servers[1].address \"...\": why" when one
 * does not resolve.
 */
struct addrlist	*backends_resolve(const struct cfg *c, char *err,
		    size_t errlen);

/*
 * Publish l (from backends_resolve) in the servers' rows (rows from
 * hc_assign), for every worker and the checker. Only while no checker
 * runs: the segment has one writer at a time.
 */
void	backends_publish(const struct shm *, const struct cfg *c,
	    const uint32_t *rows, const struct addrlist *l);

#endif
