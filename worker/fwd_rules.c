#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <regex.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "worker/fwd_rules.h"

#define URL_MAX		8192	/* block_urls see this much of a URL */
#define NAME_MAX_LEN	253	/* a DNS name, without the trailing dot */
#define LABEL_MAX	63

/* A host or pattern without one trailing '.' and without [brackets]. */
static void
host_trim(const char **p, size_t *n)
{
	if (*n > 0 && (*p)[*n - 1] == '.')
		(*n)--;
	if (*n >= 2 && (*p)[0] == '[' && (*p)[*n - 1] == ']') {
		(*p)++;
		*n -= 2;
	}
}

/* 1 and the address in a if s[0..n) is an IPv6 literal. */
static int
v6_literal(const char *s, size_t n, struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(buf) || memchr(s, ':', n) == NULL)
		return (0);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return (inet_pton(AF_INET6, buf, a) == 1);
}

/* 1 if s[0..n) is a dotted-quad IPv4 literal. */
static int
v4_literal(const char *s, size_t n)
{
	char buf[INET_ADDRSTRLEN];
	struct in_addr a;

	if (n == 0 || n >= sizeof(buf))
		return (0);
	memcpy(buf, s, n);
	buf[n] = '\0';
	return (inet_pton(AF_INET, buf, &a) == 1);
}

int
fwd_host_match(const char *host, size_t len, char *const *patterns, int n)
{
	struct in6_addr h6, p6;
	const char *p;
	size_t plen;
	int i, is6, literal;

	if (host == NULL)
		return (-1);
	host_trim(&host, &len);
	if (len == 0)
		return (-1);
	is6 = v6_literal(host, len, &h6);
	literal = is6 || v4_literal(host, len);
	for (i = 0; i < n; i++) {
		if (patterns[i] == NULL)
			continue;
		p = patterns[i];
		plen = strlen(p);
		if (plen > 1 && p[0] == '.') {
			p++;
			plen--;
			host_trim(&p, &plen);
			if (plen == 0)
				continue;
			/* a suffix means a domain: not for address literals */
			if (!literal && len > plen && host[len - plen - 1] ==
			    '.' && strncasecmp(host + len - plen, p, plen) == 0)
				return (i);
		} else
			host_trim(&p, &plen);
		if (plen == len && strncasecmp(host, p, len) == 0)
			return (i);
		if (is6 && v6_literal(p, plen, &p6) &&
		    memcmp(&h6, &p6, sizeof(h6)) == 0)
			return (i);
	}
	return (-1);
}

int
fwd_blocked(const struct cfg_forward *f, const char *host, size_t hostlen,
    const char *url, size_t urllen, char *rule, size_t rulecap)
{
	char buf[URL_MAX + 1];
	regmatch_t m[1];
	int i;

	if (rulecap > 0)
		rule[0] = '\0';
	if (f->nallow_hosts > 0 && fwd_host_match(host, hostlen,
	    f->allow_hosts, f->nallow_hosts) < 0) {
		if (rulecap > 0)
			snprintf(rule, rulecap,
			    "allow_hosts (host not listed)");
		return (1);
	}
	i = fwd_host_match(host, hostlen, f->block_hosts, f->nblock_hosts);
	if (i >= 0) {
		if (rulecap > 0)
			snprintf(rule, rulecap, "block_hosts %s",
			    f->block_hosts[i]);
		return (1);
	}
	if (f->nblock_urls <= 0)
		return (0);
	if (urllen > URL_MAX)
		urllen = URL_MAX;
	memcpy(buf, url, urllen);
	buf[urllen] = '\0';
	for (i = 0; i < f->nblock_urls; i++) {
		/* REG_STARTEND: a stray NUL must not end the URL early */
		m[0].rm_so = 0;
		m[0].rm_eo = (regoff_t)urllen;
		if (regexec(&f->block_urls[i], buf, 1, m, REG_STARTEND) != 0)
			continue;
		if (rulecap > 0) {
			if (f->block_urls_src != NULL &&
			    f->block_urls_src[i] != NULL)
				snprintf(rule, rulecap, "block_urls \"%s\"",
				    f->block_urls_src[i]);
			else
				snprintf(rule, rulecap, "block_urls #%d",
				    i + 1);
		}
		return (1);
	}
	return (0);
}

/* a: an IPv4 address in host byte order. */
static int
private_v4(uint32_t a)
{
	return ((a >> 24) == 0 ||			/* 0.0.0.0/8 */
	    (a >> 24) == 10 ||				/* 10/8 */
	    (a & 0xffc00000) == 0x64400000 ||		/* 100.64/10 */
	    (a >> 24) == 127 ||				/* 127/8 */
	    (a & 0xffff0000) == 0xa9fe0000 ||		/* 169.254/16 */
	    (a & 0xfff00000) == 0xac100000 ||		/* 172.16/12 */
	    (a & 0xffffff00) == 0xc0000000 ||		/* 192.0.0/24 */
	    (a & 0xffff0000) == 0xc0a80000 ||		/* 192.168/16 */
	    (a & 0xfffe0000) == 0xc6120000 ||		/* 198.18/15 */
	    a >= 0xe0000000);				/* 224/4, 240/4 */
}

int
fwd_private_addr(const struct sockaddr *sa)
{
	static const uint8_t zero[16];
	static const uint8_t mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	const uint8_t *b;
	uint32_t v4;

	if (sa == NULL)
		return (1);
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)sa;
		return (private_v4(ntohl(sin->sin_addr.s_addr)));
	}
	if (sa->sa_family != AF_INET6)
		return (1);
	sin6 = (const struct sockaddr_in6 *)sa;
	b = sin6->sin6_addr.s6_addr;
	if (memcmp(b, zero, 15) == 0 && (b[15] == 0 || b[15] == 1))
		return (1);				/* :: and ::1 */
	if ((b[0] & 0xfe) == 0xfc ||			/* fc00::/7 */
	    (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) ||	/* fe80::/10 */
	    b[0] == 0xff)				/* ff00::/8 */
		return (1);
	if (memcmp(b, mapped, 12) == 0 || memcmp(b, nat64, 12) == 0) {
		v4 = (uint32_t)b[12] << 24 | (uint32_t)b[13] << 16 |
		    (uint32_t)b[14] << 8 | b[15];
		return (private_v4(v4));
	}
	return (0);
}

int
fwd_use_parent(const struct cfg_forward *f, const char *host, size_t len)
{
	if (!f->has_parent)
		return (0);
	if (f->nparent_hosts <= 0)
		return (1);
	return (fwd_host_match(host, len, f->parent_hosts,
	    f->nparent_hosts) >= 0);
}

/* Past a comment starting at v[i] == '(' (nested, with quoted pairs). */
static size_t
skip_comment(const char *v, size_t len, size_t i)
{
	int depth = 0;

	for (; i < len; i++) {
		if (v[i] == '\\')
			i++;
		else if (v[i] == '(')
			depth++;
		else if (v[i] == ')' && --depth == 0)
			return (i + 1);
	}
	return (len);
}

#define VIA_SP(c)	((c) == ' ' || (c) == '\t')

int
fwd_via_has(const char *v, size_t len, const char *token)
{
	size_t i = 0, w, tlen;

	if (v == NULL || token == NULL || (tlen = strlen(token)) == 0)
		return (0);
	while (i < len) {
		/* an entry: received-protocol RWS received-by [RWS comment] */
		while (i < len && (VIA_SP(v[i]) || v[i] == ','))
			i++;
		while (i < len && !VIA_SP(v[i]) && v[i] != ',' && v[i] != '(')
			i++;
		while (i < len && VIA_SP(v[i]))
			i++;
		w = i;
		while (i < len && !VIA_SP(v[i]) && v[i] != ',' && v[i] != '(')
			i++;
		if (i - w == tlen && strncasecmp(v + w, token, tlen) == 0)
			return (1);
		/* the rest of the entry, commas in comments included */
		while (i < len && v[i] != ',') {
			if (v[i] == '(')
				i = skip_comment(v, len, i);
			else
				i++;
		}
	}
	return (0);
}

/* A numeric-looking last label: decimal digits, or 0x and hex digits. */
static int
numeric_label(const char *s, size_t n)
{
	size_t i = 0;

	if (n >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		for (i = 2; i < n; i++)
			if (!((s[i] >= '0' && s[i] <= '9') ||
			    (s[i] >= 'a' && s[i] <= 'f') ||
			    (s[i] >= 'A' && s[i] <= 'F')))
				return (0);
		return (1);
	}
	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return (0);
	return (n > 0);
}

/* A registered name or dotted quad: 0 if acceptable. */
static int
check_name(const char *h, size_t n)
{
	size_t i, label = 0, last = 0, body = n;

	if (n > 0 && h[n - 1] == '.')
		body = n - 1;			/* one trailing dot: FQDN */
	if (body == 0 || body > NAME_MAX_LEN)
		return (-1);
	for (i = 0; i < body; i++) {
		if (h[i] == '.') {
			if (label == 0)
				return (-1);
			label = 0;
			last = i + 1;
			continue;
		}
		if (!((h[i] >= 'a' && h[i] <= 'z') ||
		    (h[i] >= 'A' && h[i] <= 'Z') ||
		    (h[i] >= '0' && h[i] <= '9') || h[i] == '-' || h[i] == '_'))
			return (-1);
		if (++label > LABEL_MAX)
			return (-1);
	}
	if (label == 0)
		return (-1);
	/*
	 * getaddrinfo() takes inet_aton() forms ("127.1", "0x7f.0.0.1",
	 * "2130706433") as addresses: allow only the dotted quad the host
	 * rules compare against.
	 */
	if (numeric_label(h + last, body - last) &&
	    (body != n || !v4_literal(h, n)))
		return (-1);
	return (0);
}

int
fwd_split_authority(const char *a, size_t len, int dflt, char *hostbuf,
    size_t cap, int *port)
{
	struct in6_addr a6;
	const char *h, *pp = NULL, *close;
	size_t hl, pl = 0, i;
	long p;

	if (a == NULL || len == 0 || memchr(a, '@', len) != NULL)
		return (-1);
	if (a[0] == '[') {
		if ((close = memchr(a, ']', len)) == NULL)
			return (-1);
		h = a + 1;
		hl = (size_t)(close - h);
		if ((size_t)(close + 1 - a) < len) {
			if (close[1] != ':')
				return (-1);
			pp = close + 2;
			pl = len - (size_t)(pp - a);
		}
		if (!v6_literal(h, hl, &a6))
			return (-1);
	} else {
		h = a;
		hl = len;
		if ((close = memchr(a, ':', len)) != NULL) {
			hl = (size_t)(close - a);
			pp = close + 1;
			pl = len - hl - 1;
		}
		if (check_name(h, hl) == -1)
			return (-1);
	}
	if (pp != NULL) {
		if (pl == 0 || pl > 5)
			return (-1);
		for (p = 0, i = 0; i < pl; i++) {
			if (pp[i] < '0' || pp[i] > '9')
				return (-1);
			p = p * 10 + (pp[i] - '0');
		}
	} else
		p = dflt;
	if (p < 1 || p > 65535 || hl == 0 || hl >= cap)
		return (-1);
	for (i = 0; i < hl; i++)
		hostbuf[i] = (char)(h[i] >= 'A' && h[i] <= 'Z' ?
		    h[i] - 'A' + 'a' : h[i]);
	hostbuf[hl] = '\0';
	*port = (int)p;
	return (0);
}
