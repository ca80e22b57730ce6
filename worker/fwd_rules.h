/*
 * Forward-proxy rules: which hosts and URLs may be reached, which
 * destination addresses are private, when the parent proxy is used,
 * loop detection on Via, and splitting "host:port". Pure functions.
 */
#ifndef PORTER_WORKER_FWD_RULES_H
#define PORTER_WORKER_FWD_RULES_H

#include <sys/socket.h>

#include <stddef.h>

#include "config/cfg.h"

/*
 * Index of the first pattern matching host (any case, len bytes, no port;
 * one trailing '.' is ignored), or -1. "name" matches exactly; ".name"
 * matches name itself and any host ending in ".name" (an address literal
 * only the name itself). IPv6 literals are compared as addresses,
 * brackets removed on both sides, so "[0::1]" matches "::1".
 */
int	fwd_host_match(const char *host, size_t len, char *const *patterns,
	    int n);

/*
 * Whether a request for host (hostlen bytes, no port) and url (the full
 * URL "http://host:port/path?q", or "host:port" for CONNECT; need not be
 * NUL-terminated, only its first 8 KiB are matched) may go out: 0 allowed;
 * 1 blocked, with rule (if rulecap > 0) naming the rule, e.g.
 * "block_hosts .tracker.example", "block_urls \"^http://x/ads\"" or
 * "allow_hosts (host not listed)". Checked in that order: allow_hosts
 * (when not empty, the host must match one), block_hosts, block_urls.
 */
int	fwd_blocked(const struct cfg_forward *, const char *host,
	    size_t hostlen, const char *url, size_t urllen, char *rule,
	    size_t rulecap);

/*
 * 1 if deny_private must refuse the address: IPv4 0/8, 10/8, 100.64/10,
 * 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15, 224/4,
 * 240/4; IPv6 ::, ::1, fc00::/7, fe80::/10, ff00::/8, and those IPv4
 * ranges written as ::ffff:a.b.c.d or 64:ff9b::a.b.c.d. Also 1 for a
 * family other than AF_INET and AF_INET6: what cannot be judged is refused.
 */
int	fwd_private_addr(const struct sockaddr *);

/* 1 if has_parent and (no parent_hosts, or host matches one of them). */
int	fwd_use_parent(const struct cfg_forward *, const char *host,
	    size_t len);

/*
 * 1 if the Via field value (len bytes, any number of comma-separated
 * entries "1.1 name" or "HTTP/1.1 name (comment)") has an entry whose
 * received-by (second word) is token, compared whole and in any case.
 * Commas inside comments do not split entries.
 */
int	fwd_via_has(const char *value, size_t len, const char *token);

/*
 * Split "host:port", "[v6]:port" or "host" (port dflt; with dflt outside
 * 1..65535 a port is required) as in a CONNECT target or an absolute
 * URI's authority. On 0, hostbuf (cap bytes) holds the host lower-cased
 * and NUL-terminated, without brackets, and *port is 1..65535. -1 for an
 * empty or too long host, userinfo ("user@host"), a bad port, characters
 * outside letters, digits, '-', '_' and '.', empty labels, an IPv6 literal
 * inet_pton refuses (zone ids included), or a host whose last label is
 * numeric but which is no dotted quad ("127.1", "0x7f.1", "2130706433":
 * the resolver would take them as addresses the rules never see).
 */
int	fwd_split_authority(const char *a, size_t len, int dflt,
	    char *hostbuf, size_t cap, int *port);

#endif
