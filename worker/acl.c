#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <string.h>

#include "worker/acl.h"

/* The first bits of a and b (each at least bits long) are equal. */
static int
prefix_eq(const uint8_t *a, const uint8_t *b, int bits)
{
	size_t full = (size_t)bits / 8;
	uint8_t mask;

	if (memcmp(a, b, full) != 0)
		return (0);
	if (bits % 8 == 0)
		return (1);
	mask = (uint8_t)(0xff << (8 - bits % 8));
	return ((a[full] & mask) == (b[full] & mask));
}

int
acl_match(const struct cfg_cidr *list, int n, const struct sockaddr *sa)
{
	/* the client as IPv4 (if it is one) and as IPv6, mapped if need be */
	uint8_t v4[4], v6[16];
	int i, is4;

	if (sa == NULL || list == NULL)
		return (0);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		memcpy(v4, &sin->sin_addr, 4);
		memset(v6, 0, 10);
		v6[10] = v6[11] = 0xff;
		memcpy(v6 + 12, v4, 4);
		is4 = 1;
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 =
		    (const struct sockaddr_in6 *)sa;

		memcpy(v6, &sin6->sin6_addr, 16);
		is4 = IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr);
		if (is4)
			memcpy(v4, v6 + 12, 4);
	} else
		return (0);

	for (i = 0; i < n; i++) {
		const struct cfg_cidr *c = &list[i];

		if (c->family == AF_INET) {
			if (is4 && c->bits >= 0 && c->bits <= 32 &&
			    prefix_eq(v4, c->addr, c->bits))
				return (1);
		} else if (c->family == AF_INET6) {
			/*
			 * An IPv4 client is in an IPv6 range only if the
			 * whole range is IPv4-mapped space, so "::/0" does
			 * not swallow IPv4 clients of a dual-stack socket.
			 */
			if (c->bits >= (is4 ? 96 : 0) && c->bits <= 128 &&
			    prefix_eq(v6, c->addr, c->bits))
				return (1);
		}
	}
	return (0);
}
