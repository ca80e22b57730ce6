#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lib/clock.h"
#include "worker/resolve.h"

/*
 * One asynchronous lookup. getaddrinfo_a() keeps pointers to all of it
 * (the gaicb, the name, the hints) until the lookup has finished, so it
 * lives on the heap and is freed only then.
 */
struct lookup {
	struct gaicb	 cb;
	struct addrinfo	 hints;
	char		 name[];
};

/*
 * Lookups that timed out while a resolver thread was running them: they
 * cannot be cancelled, and their memory stays until they finish. Reaped
 * at the next call.
 */
#define ORPHANS 8
static struct lookup *orphans[ORPHANS];

static void
lookup_free(struct lookup *l)
{
	if (l->cb.ar_result != NULL)
		freeaddrinfo(l->cb.ar_result);
	free(l);
}

static void
reap_orphans(void)
{
	int i;

	for (i = 0; i < ORPHANS; i++)
		if (orphans[i] != NULL &&
		    gai_error(&orphans[i]->cb) != EAI_INPROGRESS) {
			lookup_free(orphans[i]);
			orphans[i] = NULL;
		}
}

/* Keep l until its thread is done; with no slot free, leak it. */
static void
orphan(struct lookup *l)
{
	int i;

	for (i = 0; i < ORPHANS; i++)
		if (orphans[i] == NULL) {
			orphans[i] = l;
			return;
		}
	/*
	 * Deliberate leak: the resolver thread still writes to l. Only
	 * after ORPHANS lookups have all hung past their timeout at once.
	 */
}

/* An address literal, without the resolver: 1, or 0 if not one. */
static int
literal(const char *host, int port, struct sockaddr_storage *out,
    socklen_t *len)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)out;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)out;
	struct in6_addr a6;
	struct in_addr a4;

	if (inet_pton(AF_INET, host, &a4) == 1) {
		memset(sin, 0, sizeof(*sin));
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
		sin->sin_addr = a4;
		*len = sizeof(*sin);
		return (1);
	}
	if (inet_pton(AF_INET6, host, &a6) == 1) {
		memset(sin6, 0, sizeof(*sin6));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
		sin6->sin6_addr = a6;
		*len = sizeof(*sin6);
		return (1);
	}
	return (0);
}

int
resolve_host(const char *host, int port, double timeout,
    struct sockaddr_storage *out, socklen_t *lens, int max, const char **why)
{
	struct gaicb *list[1];
	struct lookup *l;
	struct addrinfo *ai;
	struct timespec ts;
	double deadline, left;
	size_t hl;
	int e, n = 0;

	*why = NULL;
	if (max <= 0) {
		*why = "no room for an address";
		return (-1);
	}
	if (literal(host, port, &out[0], &lens[0]))
		return (1);
	reap_orphans();

	hl = strlen(host);
	if ((l = calloc(1, sizeof(*l) + hl + 1)) == NULL) {
		*why = "out of memory";
		return (-1);
	}
	memcpy(l->name, host, hl + 1);
	/* no AI_ADDRCONFIG: it would hide ::1 on a host with loopback only */
	l->hints.ai_family = AF_UNSPEC;
	l->hints.ai_socktype = SOCK_STREAM;
	l->cb.ar_name = l->name;
	l->cb.ar_request = &l->hints;
	list[0] = &l->cb;
	if ((e = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		*why = gai_strerror(e);
		free(l);
		return (-1);
	}

	deadline = clock_now() + (timeout > 0 ? timeout : 0);
	while ((e = gai_error(&l->cb)) == EAI_INPROGRESS) {
		left = deadline - clock_now();
		if (left <= 0)
			break;
		ts.tv_sec = (time_t)left;
		ts.tv_nsec = (long)((left - (double)ts.tv_sec) * 1e9);
		/* returns on completion, timeout or a signal: loop decides */
		(void)gai_suspend((const struct gaicb *const *)list, 1, &ts);
	}
	if (e == EAI_INPROGRESS) {
		*why = "resolver timed out";
		switch (gai_cancel(&l->cb)) {
		case EAI_CANCELED:	/* dequeued: nothing touches l now */
		case EAI_ALLDONE:	/* finished meanwhile */
			lookup_free(l);
			break;
		default:		/* EAI_NOTCANCELED: a thread has it */
			orphan(l);
			break;
		}
		return (-1);
	}

	switch (e) {
	case 0:
		break;
	case EAI_NONAME:
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		*why = "no such host";
		lookup_free(l);
		return (0);
	default:
		*why = gai_strerror(e);
		lookup_free(l);
		return (-1);
	}
	for (ai = l->cb.ar_result; ai != NULL && n < max; ai = ai->ai_next) {
		if ((ai->ai_family != AF_INET && ai->ai_family != AF_INET6) ||
		    ai->ai_addrlen > sizeof(out[n]))
			continue;
		memset(&out[n], 0, sizeof(out[n]));
		memcpy(&out[n], ai->ai_addr, ai->ai_addrlen);
		if (ai->ai_family == AF_INET)
			((struct sockaddr_in *)&out[n])->sin_port =
			    htons((uint16_t)port);
		else
			((struct sockaddr_in6 *)&out[n])->sin6_port =
			    htons((uint16_t)port);
		lens[n++] = ai->ai_addrlen;
	}
	lookup_free(l);
	if (n == 0)
		*why = "no such host";
	return (n);
}
