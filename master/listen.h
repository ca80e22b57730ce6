/* Opening the listening sockets (master only, before any fork). */
#ifndef PORTER_MASTER_LISTEN_H
#define PORTER_MASTER_LISTEN_H

#include <stddef.h>

#include "config/cfg.h"

/*
 * Bind and listen on l's address: non-blocking (workers wait in epoll and
 * more than one may race for a connection), SO_REUSEADDR, IPv6 sockets
 * IPv6-only so "[::]:80" and "0.0.0.0:80" can coexist.
 * Accepted sockets inherit TCP_NODELAY and the send and receive timeouts
 * from their listener (Linux copies them), so they are set here once
 * rather than on every connection: see cfg_accept_rcvtimeo().
 * Returns the socket, or -1 with err set ("listen ADDR: bind: ...").
 */
int	listen_open(const struct cfg *, const struct cfg_listener *l,
	    char *err, size_t errlen);
/* (Re)set what accepted sockets inherit; 0, or -1 with errno set. */
int	listen_tune(const struct cfg *, int fd);

#endif
