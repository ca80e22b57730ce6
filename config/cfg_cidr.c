/*
 * Address ranges as the config writes them ("10.0.0.0/8"). libc only, so
 * worker/acl.c's tests can link it without libconfig; worker/acl.c does
 * the matching.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <string.h>

#include "config/cfg.h"

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
cfg_parse_cidr(const char *text, struct cfg_cidr *out)
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
