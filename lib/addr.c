#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "lib/addr.h"

int
addr_same(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return (0);
	if (a->sa_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return (x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr);
	}
	if (a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return (x->sin6_port == y->sin6_port &&
		    x->sin6_scope_id == y->sin6_scope_id &&
		    memcmp(&x->sin6_addr, &y->sin6_addr,
		    sizeof(x->sin6_addr)) == 0);
	}
	return (0);
}

/* FNV-1a over n bytes, continuing from h. */
static uint64_t
fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

uint64_t
addr_hash(const struct sockaddr *sa)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint16_t fam = sa->sa_family;

	h = fnv(h, &fam, sizeof(fam));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		h = fnv(h, &s->sin_port, sizeof(s->sin_port));
		h = fnv(h, &s->sin_addr, sizeof(s->sin_addr));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		h = fnv(h, &s->sin6_port, sizeof(s->sin6_port));
		h = fnv(h, &s->sin6_addr, sizeof(s->sin6_addr));
		h = fnv(h, &s->sin6_scope_id, sizeof(s->sin6_scope_id));
	}
	return (h != 0 ? h : 1);
}

const char *
addr_text(const struct sockaddr *sa, char *buf, size_t cap)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)sa;

		if (inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip)) == NULL)
			ip[0] = '\0';
		(void)snprintf(buf, cap, "%s:%u", ip, ntohs(s->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)sa;

		if (inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip)) == NULL)
			ip[0] = '\0';
		if (s->sin6_scope_id != 0)
			(void)snprintf(buf, cap, "[%s%%%u]:%u", ip,
			    (unsigned)s->sin6_scope_id, ntohs(s->sin6_port));
		else
			(void)snprintf(buf, cap, "[%s]:%u", ip,
			    ntohs(s->sin6_port));
	} else
		(void)snprintf(buf, cap, "(family %d)", sa->sa_family);
	return (buf);
}

/*
 * An IPv4 address as a dotted quad into buf (INET_ADDRSTRLEN at least).
 * By hand: glibc's inet_ntop formats one with sprintf, and a worker
 * does this for every connection it is given (vfprintf showed in
 * profiles at close-c64 and ka-c256).
 */
static void
ip4_text(const unsigned char *b, char *buf)
{
	char *p = buf;
	int i;

	for (i = 0; i < 4; i++) {
		unsigned v = b[i];

		if (v >= 100)
			*p++ = (char)('0' + v / 100);
		if (v >= 10)
			*p++ = (char)('0' + v / 10 % 10);
		*p++ = (char)('0' + v % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
}

const char *
addr_host_text(const struct sockaddr *sa, char *buf, size_t cap)
{
	const void *a;

	if (sa->sa_family == AF_INET && cap >= INET_ADDRSTRLEN) {
		ip4_text((const unsigned char *)&((const struct sockaddr_in *)
		    (const void *)sa)->sin_addr, buf);
		return (buf);
	}
	if (sa->sa_family == AF_INET6)
		a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		a = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	if (inet_ntop(sa->sa_family, a, buf, (socklen_t)cap) == NULL)
		(void)snprintf(buf, cap, "?");
	return (buf);
}

const char *
addr_connect_why(int err)
{
	switch (err) {
	case ECONNREFUSED:
		return ("connect refused");
	case ETIMEDOUT:
		return ("connect timed out");
	case ENETUNREACH:
	case EHOSTUNREACH:
		return ("connect: no route to host");
	default:
		return ("connect failed");
	}
}

int
addrlist_find(const struct addrlist *l, const struct sockaddr *sa)
{
	int i;

	for (i = 0; i < l->n; i++)
		if (addr_same((const struct sockaddr *)&l->sa[i], sa))
			return (i);
	return (-1);
}

int
addrlist_add(struct addrlist *l, const struct sockaddr *sa, socklen_t len)
{
	if (l->n >= ADDR_MAX || len > sizeof(l->sa[0]) ||
	    (sa->sa_family != AF_INET && sa->sa_family != AF_INET6) ||
	    addrlist_find(l, sa) >= 0)
		return (0);
	memset(&l->sa[l->n], 0, sizeof(l->sa[0]));
	memcpy(&l->sa[l->n], sa, len);
	l->len[l->n++] = len;
	return (1);
}

int
addrlist_same(const struct addrlist *a, const struct addrlist *b)
{
	int i;

	if (a->n != b->n)
		return (0);
	for (i = 0; i < a->n; i++)
		if (!addr_same((const struct sockaddr *)&a->sa[i],
		    (const struct sockaddr *)&b->sa[i]))
			return (0);
	return (1);
}

const char *
addrlist_text(const struct addrlist *l, char *buf, size_t cap)
{
	char one[ADDR_TEXT];
	size_t len = 0;
	int i, w;

	if (cap == 0)
		return (buf);
	buf[0] = '\0';
	for (i = 0; i < l->n && len < cap; i++) {
		w = snprintf(buf + len, cap - len, "%s%s", i > 0 ? ", " : "",
		    addr_text((const struct sockaddr *)&l->sa[i], one,
		    sizeof(one)));
		if (w < 0)
			break;
		len += (size_t)w;
	}
	return (buf);
}
