/*
 * What a value written in the config may look like: tokens, method names,
 * host names and patterns, sizes. Checks on plain text (no libconfig
 * calls), so every section's parser shares one definition of each.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "config/cfg_parse.h"

/* An RFC 9110 token: a method or a field name. Not locale-dependent. */
int
cfg_is_token(const char *s)
{
	const char	*p;

	if (*s == '\0')
		return (0);
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') ||
		    strchr("!#$%&'*+-.^_`|~", *p) != NULL))
			return (0);
	return (1);
}

/*
 * A method a pool or a check sends or matches: a token with no lower-case
 * letter, since methods are case-sensitive and "get" is not GET.
 */
int
cfg_method_ok(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			return (0);
	return (cfg_is_token(s));
}

/* "[v6]", an IPv6 address in brackets. */
static int
v6_bracket_ok(const char *h)
{
	struct in6_addr	 a6;
	char		 buf[64];
	size_t		 n = strlen(h);

	if (n < 3 || n - 2 >= sizeof(buf) || h[0] != '[' || h[n - 1] != ']')
		return (0);
	memcpy(buf, h + 1, n - 2);
	buf[n - 2] = '\0';
	return (inet_pton(AF_INET6, buf, &a6) == 1);
}

/* A lower-case host name (or IPv4 address): dot-separated labels. */
int
cfg_name_ok(const char *h)
{
	const char	*p, *label;
	size_t		 ll;

	if (strlen(h) > 253)
		return (0);
	for (label = p = h;; p++) {
		if (*p == '.' || *p == '\0') {
			ll = p - label;
			if (ll == 0 || ll > 63 || *label == '-' ||
			    p[-1] == '-')
				return (0);
			if (*p == '\0')
				return (1);
			label = p + 1;
		} else if (!isalnum((unsigned char)*p) && *p != '-' &&
		    *p != '_')
			return (0);
	}
}

static void
lower(char *h)
{
	for (; *h != '\0'; h++)
		*h = tolower((unsigned char)*h);
}

/* "*", a host name, "*.suffix" or "[v6]"; lower-cased in place. */
int
cfg_host_ok(char *h)
{
	lower(h);
	if (strcmp(h, "*") == 0)
		return (1);
	if (h[0] == '[')
		return (v6_bracket_ok(h));
	if (h[0] == '*' && h[1] == '.')
		h += 2;
	return (cfg_name_ok(h));
}

/*
 * A forward proxy's host pattern, lower-cased in place: "name" exactly,
 * ".name" for name and every name below it, an IPv4 address or "[v6]".
 */
int
cfg_host_pattern_ok(char *h)
{
	lower(h);
	if (h[0] == '[')
		return (v6_bracket_ok(h));
	if (h[0] == '.')
		h++;
	return (cfg_name_ok(h));
}

int
cfg_parse_size(const char *text, uint64_t *out)
{
	const char	*p = text;
	uint64_t	 v = 0, mul = 1;
	unsigned	 d;

	if (text == NULL || !isdigit((unsigned char)*p)) {
		errno = EINVAL;
		return (-1);
	}
	for (; isdigit((unsigned char)*p); p++) {
		d = *p - '0';
		if (v > (UINT64_MAX - d) / 10) {
			errno = ERANGE;
			return (-1);
		}
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1ULL << 10;
		p++;
		break;
	case 'm': case 'M':
		mul = 1ULL << 20;
		p++;
		break;
	case 'g': case 'G':
		mul = 1ULL << 30;
		p++;
		break;
	default:
		errno = EINVAL;
		return (-1);
	}
	if (*p != '\0') {
		errno = EINVAL;
		return (-1);
	}
	if (v > UINT64_MAX / mul) {
		errno = ERANGE;
		return (-1);
	}
	*out = v * mul;
	return (0);
}
