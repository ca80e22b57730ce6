#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "lib/resolve.h"

/*
 * One asynchronous lookup. getaddrinfo_a() keeps pointers to all of it
 * (the gaicb, the name, the hints) until the lookup has finished, so it
 * lives on the heap and is freed only then.
 */
struct resolve {
	struct gaicb	 cb;
	struct addrinfo	 hints;
	struct resolve	*next_orphan;
	int		 port;
	char		 name[];
};

/*
 * Lookups abandoned while a resolver thread was running them: they
 * cannot be cancelled, and their memory stays until they finish. Reaped
 * at the next call. A list, not a fixed table: there are never more than
 * glibc's resolver threads, and a table that overflowed leaked (seen
 * under load, when 20 lookups abandoned at once were all running).
 */
static struct resolve *orphans;

static void
lookup_free(struct resolve *l)
{
	if (l->cb.ar_result != NULL)
		freeaddrinfo(l->cb.ar_result);
	free(l);
}

static void
reap_orphans(void)
{
	struct resolve **pp = &orphans, *l;

	while ((l = *pp) != NULL) {
		if (gai_error(&l->cb) != EAI_INPROGRESS) {
			*pp = l->next_orphan;
			lookup_free(l);
		} else
			pp = &l->next_orphan;
	}
}

/* Keep l until its thread is done. */
static void
orphan(struct resolve *l)
{
	l->next_orphan = orphans;
	orphans = l;
}

/* An address literal, without the resolver: 1, or 0 if not one. */
static int
literal(const char *host, int port, struct addrlist *out)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		(void)addrlist_add(out, (struct sockaddr *)sin, sizeof(*sin));
		return (1);
	}
	if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		(void)addrlist_add(out, (struct sockaddr *)sin6, sizeof(*sin6));
		return (1);
	}
	return (0);
}

/* The IPv4 and IPv6 addresses of res, each with port, into out. */
static void
copy_result(const struct addrinfo *res, int port, struct addrlist *out)
{
	const struct addrinfo *ai;

	out->n = 0;
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		struct sockaddr_storage ss;

		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(ss))
			continue;
		memset(&ss, 0, sizeof(ss));
		memcpy(&ss, ai->ai_addr, ai->ai_addrlen);
		if (ai->ai_family == AF_INET)
			((struct sockaddr_in *)&ss)->sin_port =
			    htons((uint16_t)port);
		else
			((struct sockaddr_in6 *)&ss)->sin6_port =
			    htons((uint16_t)port);
		(void)addrlist_add(out, (struct sockaddr *)&ss,
		    ai->ai_addrlen);
	}
}

/* getaddrinfo's answer as resolve_host's: n > 0, 0 no such host, -1. */
static int
gai_result(int e, const char **why)
{
	switch (e) {
	case 0:
		return (1);
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		*why = "no such host";
		return (0);
	default:
		*why = gai_strerror(e);
		return (-1);
	}
}

struct resolve *
resolve_start(const char *host, int port, const char **why)
{
	struct gaicb *list[1];
	struct resolve *l;
	size_t hl;
	int e;

	reap_orphans();
	hl = strlen(host);
	if ((l = calloc(1, sizeof(*l) + hl + 1)) == NULL) {
		*why = "out of memory";
		return (NULL);
	}
	memcpy(l->name, host, hl + 1);
	l->port = port;
	/* no AI_ADDRCONFIG: it would hide ::1 on a host with loopback only */
	l->hints.ai_family = AF_UNSPEC;
	l->hints.ai_socktype = SOCK_STREAM;
	l->cb.ar_name = l->name;
	l->cb.ar_request = &l->hints;
	list[0] = &l->cb;
	if ((e = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		*why = gai_strerror(e);
		free(l);
		return (NULL);
	}
	return (l);
}

int
resolve_poll(struct resolve *l, struct addrlist *out, const char **why)
{
	int e, rc;

	*why = NULL;
	out->n = 0;
	if ((e = gai_error(&l->cb)) == EAI_INPROGRESS)
		return (RESOLVE_PENDING);
	if ((rc = gai_result(e, why)) <= 0) {
		lookup_free(l);
		return (rc);
	}
	copy_result(l->cb.ar_result, l->port, out);
	lookup_free(l);
	if (out->n == 0)
		*why = "no such host";
	return (out->n);
}

void
resolve_abandon(struct resolve *l)
{
	switch (gai_cancel(&l->cb)) {
	case EAI_CANCELED:	/* dequeued: nothing touches l now */
	case EAI_ALLDONE:	/* finished meanwhile */
		lookup_free(l);
		break;
	default:		/* EAI_NOTCANCELED: a thread has it */
		orphan(l);
		break;
	}
}

/*
 * Waits by looking, not with gai_suspend(). glibc's gai_suspend() that
 * times out, or is interrupted, just as the lookup ends leaves its wait
 * entry, on its own stack, on the request: it takes the entry off only
 * while the answer still reads EAI_INPROGRESS, and the resolver thread
 * stores the answer before it takes the lock and walks the entries
 * (resolv/gai_suspend.c, glibc 2.36). The thread then writes into a
 * stack frame that is gone: heap corruption, a crash or a hang, seen in
 * t/unit/check_forward's resolve_timeout.
 *
 * The first 200 us it yields, so that the resolver thread runs at once
 * on a busy CPU and the answer from /etc/hosts is seen as it comes
 * (about 30 us here, against 60 with gai_suspend). Then it naps, from
 * 50 us doubling to 1 ms: a DNS answer is seen at most 1 ms late.
 */
int
resolve_host(const char *host, int port, double timeout,
    struct addrlist *out, const char **why)
{
	struct resolve *l;
	struct timespec ts;
	double t0, now, deadline, nap = 50e-6;

	*why = NULL;
	out->n = 0;
	if (literal(host, port, out))
		return (1);
	if ((l = resolve_start(host, port, why)) == NULL)
		return (-1);
	t0 = clock_now();
	deadline = t0 + (timeout > 0 ? timeout : 0);
	while (gai_error(&l->cb) == EAI_INPROGRESS) {
		now = clock_now();
		if (now >= deadline) {
			*why = "resolver timed out";
			resolve_abandon(l);
			return (-1);
		}
		if (now - t0 < 200e-6) {
			(void)sched_yield();
			continue;
		}
		if (nap > deadline - now)
			nap = deadline - now;
		ts.tv_sec = 0;
		ts.tv_nsec = (long)(nap * 1e9);
		/* a signal cuts the nap short: the loop looks again */
		(void)nanosleep(&ts, NULL);
		if (nap < 1e-3)
			nap *= 2;
	}
	return (resolve_poll(l, out, why));
}

int
resolve_host_wait(const char *host, int port, struct addrlist *out,
    const char **why)
{
	struct addrinfo hints, *res;
	int rc;

	*why = NULL;
	out->n = 0;
	if (literal(host, port, out))
		return (1);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = gai_result(getaddrinfo(host, NULL, &hints, &res), why)) <= 0)
		return (rc);
	copy_result(res, port, out);
	freeaddrinfo(res);
	if (out->n == 0)
		*why = "no such host";
	return (out->n);
}
