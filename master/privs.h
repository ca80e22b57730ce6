/*
 * Dropping root: the master keeps its privileges (it binds ports and opens
 * logs); each worker switches to the configured user before it serves.
 */
#ifndef PORTER_MASTER_PRIVS_H
#define PORTER_MASTER_PRIVS_H

#include <sys/types.h>

#include <stddef.h>

#include "config/cfg.h"

struct privs {
	int	active;		/* started as root: switch */
	uid_t	uid;
	gid_t	gid;
	char	user[64];
};

/*
 * Look the user up now, in the master, so workers need no name service.
 * Without root nothing is to be done. 0, or -1 with err set.
 */
int	privs_resolve(const struct cfg *, struct privs *, char *err,
	    size_t errlen);
/* In a new worker: setgroups, setgid, setuid, in that order. 0 or -1. */
int	privs_apply(const struct privs *);

#endif
