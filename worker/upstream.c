#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/clock.h"
#include "worker/upstream.h"

/*
 * Idle longer than this and a connection is not worth the risk: backends
 * commonly close idle keep-alive connections after 5 to 75 seconds.
 */
#define UPSTREAM_IDLE_MAX	30.0

int
upstream_init(struct upstream *u, int max, struct arena *mem)
{
	u->nidle = 0;
	u->max = max;
	u->idle = NULL;
	/* a buffer of its own: the first connections share one page */
	if (max > 0 && (u->idle = arena_buf(mem, (size_t)max *
	    sizeof(*u->idle))) == NULL)
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
    const struct sockaddr *client, socklen_t clientlen, int probe,
    struct up_conn *out)
{
	double now = clock_now();
	int i;

	/* Newest first: the most recently used is the least likely closed. */
	for (i = u->nidle - 1; i >= 0; i--) {
		struct up_conn *c = &u->idle[i];

		if (c->salen != salen || memcmp(&c->sa, sa, salen) != 0 ||
		    c->clientlen != clientlen || (clientlen > 0 &&
		    !addr_same((const struct sockaddr *)&c->client, client)))
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

int
upstream_connect(const struct addrlist *l, int first, double timeout,
    int *which, char *tried, size_t cap)
{
	double deadline = clock_now() + timeout;
	char text[ADDR_TEXT];
	size_t len = 0;
	double slice;
	int k, i, fd, w, err = EINVAL;

	if (cap > 0)
		tried[0] = '\0';
	for (k = 0; k < l->n; k++) {
		i = (first + k) % l->n;
		slice = (deadline - clock_now()) / (l->n - k);
		if (slice < 0.001)
			slice = 0.001;	/* time is up: one last quick try */
		fd = io_connect((const struct sockaddr *)&l->sa[i], l->len[i],
		    slice);
		if (fd != -1) {
			*which = i;
			return (fd);
		}
		err = errno;
		if (len < cap) {
			w = snprintf(tried + len, cap - len, "%s%s: %s",
			    len > 0 ? "; " : "", addr_text((const struct
			    sockaddr *)&l->sa[i], text, sizeof(text)),
			    addr_connect_why(err));
			if (w > 0)
				len += (size_t)w;
		}
	}
	errno = err;
	return (-1);
}
