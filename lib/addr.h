/*
 * Socket addresses as porter handles them: a host name's addresses as a
 * short list, and the few operations on one address every side needs
 * (compare, print, hash). IPv4 and IPv6 only.
 */
#ifndef PORTER_LIB_ADDR_H
#define PORTER_LIB_ADDR_H

#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

/*
 * At most this many addresses of one name are kept: a name with more is
 * a pool of its own, not one server (the rest are ignored).
 */
#define ADDR_MAX	8
/* "[ffff:...:ffff%4294967295]:65535" and a NUL fit. */
#define ADDR_TEXT	64

/* A name's addresses, in the order to try them. */
struct addrlist {
	int			n;
	struct sockaddr_storage	sa[ADDR_MAX];
	socklen_t		len[ADDR_MAX];
};

/* Same family, address, port (and IPv6 scope); padding ignored. */
int		 addr_same(const struct sockaddr *, const struct sockaddr *);
/* A hash of what addr_same compares; never 0. */
uint64_t	 addr_hash(const struct sockaddr *);
/* "127.0.0.1:80" or "[::1]:80" into buf (cap >= ADDR_TEXT); buf. */
const char	*addr_text(const struct sockaddr *, char *buf, size_t cap);
/*
 * The address alone, "127.0.0.1" or "::1" (cap >= INET6_ADDRSTRLEN; "?"
 * if it cannot be written): how porter names a client; buf.
 */
const char	*addr_host_text(const struct sockaddr *, char *buf, size_t cap);

/* Why a connect failed, from its errno: "connect refused", ... */
const char	*addr_connect_why(int err);

/* Append sa unless full or already listed: 1 if added, else 0. */
int	addrlist_add(struct addrlist *, const struct sockaddr *, socklen_t);
/* Same addresses in the same order. */
int	addrlist_same(const struct addrlist *, const struct addrlist *);
/* Index of sa in the list, or -1. */
int	addrlist_find(const struct addrlist *, const struct sockaddr *);
/* "a, b, c" into buf, cut to fit; buf. */
const char *addrlist_text(const struct addrlist *, char *buf, size_t cap);

#endif
