#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "worker/acl.h"

/* Clear the bits of a[0..nbytes) beyond the first bits. */
static void
clear_host_bits(uint8_t *a, size_t nbytes, int bits)
{
	size_t i = (size_t)bits / 8;

	if (i < nbytes && bits % 8 != 0)
		a[i++] &= (uint8_t)(0xff << (8 - bits % 8));
	for (; i < nbytes; i++)
		a[i] = 0;
}

int
acl_parse(const char *text, struct cfg_cidr *out)
{
	char buf[INET6_ADDRSTRLEN];
	const char *slash, *p;
	struct cfg_cidr c;
	size_t alen;
	int max;

	if (text == NULL)
		return (-1);
	slash = strchr(text, '/');
	alen = slash == NULL ? strlen(text) : (size_t)(slash - text);
	if (alen == 0 || alen >= sizeof(buf))
		return (-1);
	memcpy(buf, text, alen);
	buf[alen] = '\0';

	memset(&c, 0, sizeof(c));
	/* inet_pton: dotted quad only, unlike inet_aton's "10.1" or "0x0a.1" */
	if (inet_pton(AF_INET, buf, c.addr) == 1) {
		c.family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, buf, c.addr) == 1) {
		c.family = AF_INET6;
		max = 128;
	} else
		return (-1);

	c.bits = max;
	if (slash != NULL) {
		/* by hand: strtol would take " 8", "+8" and "0x8" */
		p = slash + 1;
		if (*p == '\0')
			return (-1);
		for (c.bits = 0; *p >= '0' && *p <= '9'; p++) {
			c.bits = c.bits * 10 + (*p - '0');
			if (c.bits > max)
				return (-1);
		}
		if (*p != '\0')
			return (-1);
	}
	clear_host_bits(c.addr, (size_t)max / 8, c.bits);
	*out = c;
	return (0);
}

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
