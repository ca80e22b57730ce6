/* Client address ranges: matching (config/cfg_cidr.c parses them). */
#ifndef PORTER_WORKER_ACL_H
#define PORTER_WORKER_ACL_H

#include <sys/socket.h>

#include "config/cfg.h"

/*
 * 1 if sa (AF_INET or AF_INET6; anything else never matches) lies in one
 * of list[0..n), else 0. An IPv4-mapped client (::ffff:a.b.c.d, as a
 * dual-stack socket reports IPv4 peers) is treated as the IPv4 client it
 * is: it matches IPv4 ranges, and IPv6 ranges only those of /96 or longer
 * inside ::ffff:0:0/96, exactly as a native IPv4 client does; so "::/0"
 * means all IPv6 clients, not all clients. An IPv4 range never matches a
 * native IPv6 client.
 */
int	acl_match(const struct cfg_cidr *list, int n, const struct sockaddr *sa);

#endif
