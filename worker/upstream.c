#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "worker/upstream.h"

/*
 * Idle longer than this and a connection is not worth the risk: backends
 * commonly close idle keep-alive connections after 5 to 75 seconds.
 */
#define UPSTREAM_IDLE_MAX	30.0

int
upstream_init(struct upstream *u, int max)
{
	u->nidle = 0;
	u->max = max;
	u->idle = NULL;
	if (max > 0 && (u->idle = calloc((size_t)max, sizeof(*u->idle))) ==
	    NULL)
		return (-1);
	return (0);
}

void
upstream_close(struct up_conn *c)
{
	if (c->io.fd != -1)
		(void)close(c->io.fd);
	c->io.fd = -1;
}

static void
drop(struct upstream *u, int i)
{
	upstream_close(&u->idle[i]);
	u->idle[i] = u->idle[--u->nidle];
}

int
upstream_take(struct upstream *u, const struct sockaddr *sa, socklen_t salen,
    int probe, struct up_conn *out)
{
	double now = clock_now();
	int i;

	/* Newest first: the most recently used is the least likely closed. */
	for (i = u->nidle - 1; i >= 0; i--) {
		struct up_conn *c = &u->idle[i];

		if (c->salen != salen || memcmp(&c->sa, sa, salen) != 0)
			continue;
		if (now - c->since > UPSTREAM_IDLE_MAX ||
		    (probe && !io_idle_alive(c->io.fd))) {
			drop(u, i);
			continue;
		}
		*out = *c;
		/* keep the order: shift the newer ones down */
		memmove(&u->idle[i], &u->idle[i + 1],
		    (size_t)(u->nidle - i - 1) * sizeof(*c));
		u->nidle--;
		return (1);
	}
	return (0);
}

void
upstream_keep(struct upstream *u, struct up_conn *c)
{
	if (u->max == 0) {
		upstream_close(c);
		return;
	}
	if (u->nidle == u->max) {
		/* full: the oldest goes */
		upstream_close(&u->idle[0]);
		memmove(&u->idle[0], &u->idle[1],
		    (size_t)(u->nidle - 1) * sizeof(*c));
		u->nidle--;
	}
	c->since = clock_now();
	u->idle[u->nidle++] = *c;
	c->io.fd = -1;
}

void
upstream_drain(struct upstream *u)
{
	while (u->nidle > 0)
		drop(u, u->nidle - 1);
}
