#include "config.h"

#include <string.h>
#include <strings.h>

#include "worker/route.h"

/* Strip ":port" from a host, minding "[v6]:port". */
static size_t
host_no_port(const char *h, size_t n)
{
	size_t i;

	if (n > 0 && h[0] == '[') {
		for (i = 0; i < n; i++)
			if (h[i] == ']')
				return (i + 1);
		return (n);
	}
	for (i = 0; i < n; i++)
		if (h[i] == ':')
			return (i);
	return (n);
}

int
route_split(const char *t, size_t tlen, const char *hh, size_t hlen,
    const char **host, size_t *hostlen, const char **path, size_t *pathlen)
{
	size_t i;

	if (tlen > 0 && t[0] == '/') {
		*host = hh;
		*hostlen = host_no_port(hh, hlen);
		*path = t;
		*pathlen = tlen;
		return (0);
	}
	if (tlen == 1 && t[0] == '*') {
		*host = hh;
		*hostlen = host_no_port(hh, hlen);
		*path = t;
		*pathlen = 1;
		return (0);
	}
	if (tlen > 7 && strncasecmp(t, "http://", 7) == 0) {
		t += 7;
		tlen -= 7;
		for (i = 0; i < tlen && t[i] != '/' && t[i] != '?'; i++)
			;
		if (i == 0)
			return (-1);
		*host = t;
		*hostlen = host_no_port(t, i);
		*path = i < tlen && t[i] == '/' ? t + i : "/";
		*pathlen = i < tlen && t[i] == '/' ? tlen - i : 1;
		return (0);
	}
	return (-1);
}

/* 0: no match; otherwise larger is more specific. */
static size_t
host_score(const char *pat, const char *h, size_t n)
{
	size_t plen;

	if (pat[0] == '*' && pat[1] == '\0')
		return (1);
	plen = strlen(pat);
	if (pat[0] == '*' && pat[1] == '.') {
		/* "*.example.com" covers "a.example.com", not "example.com" */
		plen -= 1;
		if (n > plen && strncasecmp(h + n - plen, pat + 1, plen) == 0)
			return (2 + plen);
		return (0);
	}
	if (n == plen && strncasecmp(h, pat, n) == 0)
		return ((size_t)-1);
	return (0);
}

const struct cfg_route *
route_match(const struct cfg_listener *l, const char *host, size_t hostlen,
    const char *path, size_t pathlen)
{
	const struct cfg_route *best = NULL;
	size_t best_host = 0, best_path = 0;
	int i;

	for (i = 0; i < l->nroutes; i++) {
		const struct cfg_route *r = &l->routes[i];
		size_t hs = host_score(r->host, host, hostlen);

		if (hs == 0 || hs < best_host)
			continue;
		if (r->path_len > pathlen ||
		    memcmp(path, r->path, r->path_len) != 0) {
			/* "*" (OPTIONS *) is served by the route for "/". */
			if (!(pathlen == 1 && path[0] == '*' &&
			    r->path_len == 1))
				continue;
		}
		if (hs > best_host || r->path_len > best_path) {
			best = r;
			best_host = hs;
			best_path = r->path_len;
		}
	}
	return (best);
}
