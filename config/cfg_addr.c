/*
 * "host:port" -> struct cfg_addr: listeners, servers and the parent
 * proxy. In a file of its own so that how an address is taken can
 * change in one small place.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_parse.h"

static int
addr_err(char *err, size_t errlen, const char *text, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "bad address \"%.300s\": %s", text, why);
	errno = EINVAL;
	return (-1);
}

/*
 * Split text into its host (brackets removed: *bracket) and its port,
 * into a. 0, or -1 with err set.
 */
static int
split_host_port(const char *text, struct cfg_addr *a, int *bracket,
    char *err, size_t errlen)
{
	const char	*p, *end, *port;
	unsigned long	 pn;
	size_t		 hlen;

	*bracket = 0;
	if (strlen(text) >= sizeof(a->text))
		return (addr_err(err, errlen, text, "too long"));
	if (text[0] == '[') {
		if ((end = strchr(text, ']')) == NULL)
			return (addr_err(err, errlen, text, "missing \"]\""));
		*bracket = 1;
		p = text + 1;
		hlen = end - p;
		if (end[1] == '\0')
			return (addr_err(err, errlen, text, "missing port"));
		if (end[1] != ':')
			return (addr_err(err, errlen, text,
			    "expected \":PORT\" after \"]\""));
		port = end + 2;
	} else {
		if ((end = strrchr(text, ':')) == NULL)
			return (addr_err(err, errlen, text, "missing port"));
		if (memchr(text, ':', end - text) != NULL)
			return (addr_err(err, errlen, text, "IPv6 addresses "
			    "need brackets, as in \"[::1]:8080\""));
		p = text;
		hlen = end - text;
		port = end + 1;
	}
	if (hlen == 0)
		return (addr_err(err, errlen, text,
		    "missing host (\"*:PORT\" means all addresses)"));
	if (hlen >= sizeof(a->host))
		return (addr_err(err, errlen, text, "host name too long"));
	if (*port == '\0')
		return (addr_err(err, errlen, text, "missing port"));
	if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
	    (pn = strtoul(port, NULL, 10)) < 1 || pn > 65535)
		return (addr_err(err, errlen, text, "port must be 1-65535"));
	memcpy(a->host, p, hlen);
	a->host[hlen] = '\0';
	a->port = (int)pn;
	strcpy(a->text, text);
	return (0);
}

int
cfg_parse_addr(const char *text, int numeric_only, struct cfg_addr *a,
    char *err, size_t errlen)
{
	struct addrinfo		 hints, *res;
	struct sockaddr_in	*sin;
	struct in6_addr		 in6;
	char			 v6[256], why[400], port[8];
	const char		*host = a->host;
	int			 bracket, e;

	memset(a, 0, sizeof(*a));
	if (split_host_port(text, a, &bracket, err, errlen) == -1)
		return (-1);
	if (!bracket && strcmp(host, "*") == 0) {
		sin = (struct sockaddr_in *)&a->sa;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons((uint16_t)a->port);
		a->salen = sizeof(*sin);
		return (0);
	}

	/* getaddrinfo() takes odd things in brackets ("[*]"); be strict. */
	if (bracket) {
		(void)snprintf(v6, sizeof(v6), "%s", host);
		v6[strcspn(v6, "%")] = '\0';
		if (inet_pton(AF_INET6, v6, &in6) != 1) {
			snprintf(why, sizeof(why), "\"%s\" is not an IPv6 "
			    "address", host);
			return (addr_err(err, errlen, text, why));
		}
	}

	/* numbers only: a name is resolved later, by the master */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = bracket ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	(void)snprintf(port, sizeof(port), "%d", a->port);
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		if (e == EAI_NONAME && !bracket && !numeric_only &&
		    cfg_name_ok(host)) {
			a->named = 1;
			return (0);
		}
		if (numeric_only && e == EAI_NONAME)
			snprintf(why, sizeof(why), "\"%s\" is not a numeric "
			    "IP address (needed here, e.g. 127.0.0.1, [::1] "
			    "or *)", host);
		else if (e == EAI_NONAME)
			snprintf(why, sizeof(why), "\"%s\" is not a host "
			    "name or an IP address", host);
		else
			snprintf(why, sizeof(why), "%s", e == EAI_SYSTEM ?
			    strerror(errno) : gai_strerror(e));
		return (addr_err(err, errlen, text, why));
	}
	if (res->ai_addrlen > sizeof(a->sa)) {
		freeaddrinfo(res);
		return (addr_err(err, errlen, text, "address too long"));
	}
	memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
	a->salen = res->ai_addrlen;
	freeaddrinfo(res);
	return (0);
}
