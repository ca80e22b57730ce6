/* Name resolution with a deadline, for the forward proxy. */
#ifndef PORTER_WORKER_RESOLVE_H
#define PORTER_WORKER_RESOLVE_H

#include <sys/socket.h>

/*
 * Resolve host (a name, or an IPv4/IPv6 literal without brackets,
 * NUL-terminated; literals never reach the resolver) with the system
 * resolver, giving up after timeout seconds. Up to max addresses, in the
 * resolver's order and with port set, go to out[] and their lengths to
 * lens[]. Returns how many (> 0); 0 with *why "no such host"; or -1 with
 * *why ("resolver timed out", or the resolver's error text).
 */
int	resolve_host(const char *host, int port, double timeout,
	    struct sockaddr_storage *out, socklen_t *lens, int max,
	    const char **why);

#endif
