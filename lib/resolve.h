/*
 * Name resolution that never blocks past a deadline: the forward proxy
 * waits for one lookup (resolve_host); the health checker starts lookups
 * and polls them from its event loop (resolve_start, resolve_poll), so a
 * slow DNS server never delays a health check.
 */
#ifndef PORTER_LIB_RESOLVE_H
#define PORTER_LIB_RESOLVE_H

#include "lib/addr.h"

/*
 * Resolve host (a name, or an IPv4/IPv6 literal without brackets,
 * NUL-terminated; literals never reach the resolver) with the system
 * resolver, giving up after timeout seconds. Its addresses, at most
 * ADDR_MAX, in the resolver's order and with port set, go to out.
 * Returns how many (> 0); 0 with *why "no such host"; or -1 with *why
 * ("resolver timed out", or the resolver's error text).
 */
int	resolve_host(const char *host, int port, double timeout,
	    struct addrlist *out, const char **why);

/*
 * The same, blocking, without a deadline of its own (the resolver's
 * timeouts apply), and without the helper threads getaddrinfo_a starts:
 * for the master, whose children must not inherit a resolver that
 * counts on threads the fork did not copy.
 */
int	resolve_host_wait(const char *host, int port, struct addrlist *out,
	    const char **why);

/* One lookup in flight. */
struct resolve;

#define RESOLVE_PENDING	(-2)

/* Start looking host up; NULL with *why if it could not start. */
struct resolve	*resolve_start(const char *host, int port, const char **why);
/*
 * RESOLVE_PENDING while the lookup runs; else it is over, r is freed, and
 * the result is as resolve_host's.
 */
int	resolve_poll(struct resolve *r, struct addrlist *out,
	    const char **why);
/* Give up on a lookup still running; r is freed (or freed when done). */
void	resolve_abandon(struct resolve *r);

#endif
