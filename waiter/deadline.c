#include "config.h"

#include <stdlib.h>

#include "waiter/deadline.h"

void
dl_init(struct dl_heap *h)
{
	h->v = NULL;
	h->n = h->cap = 0;
}

void
dl_free(struct dl_heap *h)
{
	free(h->v);
	dl_init(h);
}

static void
place(struct dl_heap *h, uint32_t i, struct dl_node *d)
{
	h->v[i] = d;
	d->i = i;
}

static void
up(struct dl_heap *h, uint32_t i)
{
	struct dl_node *d = h->v[i];

	while (i > 0) {
		uint32_t p = (i - 1) / 2;

		if (h->v[p]->at <= d->at)
			break;
		place(h, i, h->v[p]);
		i = p;
	}
	place(h, i, d);
}

static void
down(struct dl_heap *h, uint32_t i)
{
	struct dl_node *d = h->v[i];

	for (;;) {
		uint32_t c = 2 * i + 1;

		if (c >= h->n)
			break;
		if (c + 1 < h->n && h->v[c + 1]->at < h->v[c]->at)
			c++;
		if (d->at <= h->v[c]->at)
			break;
		place(h, i, h->v[c]);
		i = c;
	}
	place(h, i, d);
}

int
dl_add(struct dl_heap *h, struct dl_node *d, int64_t at)
{
	if (h->n == h->cap) {
		uint32_t cap = h->cap ? h->cap * 2 : 64;
		struct dl_node **v = realloc(h->v, (size_t)cap * sizeof(*v));

		if (v == NULL)
			return (-1);
		h->v = v;
		h->cap = cap;
	}
	d->at = at;
	place(h, h->n++, d);
	up(h, d->i);
	return (0);
}

void
dl_move(struct dl_heap *h, struct dl_node *d, int64_t at)
{
	int64_t was = d->at;

	if (d->i == DL_NONE)
		return;
	d->at = at;
	if (at < was)
		up(h, d->i);
	else
		down(h, d->i);
}

void
dl_del(struct dl_heap *h, struct dl_node *d)
{
	uint32_t i = d->i;
	struct dl_node *last;

	if (i == DL_NONE)
		return;
	d->i = DL_NONE;
	last = h->v[--h->n];
	if (i == h->n)
		return;
	place(h, i, last);
	/* the moved node may belong above or below its new place */
	up(h, i);
	down(h, last->i);
}

struct dl_node *
dl_first(const struct dl_heap *h)
{
	return (h->n > 0 ? h->v[0] : NULL);
}

int64_t
dl_due(const struct dl_limits *l, int why, int64_t since, int64_t last,
    uint32_t bytes)
{
	int64_t at, rate;

	if (why == PARK_KEEPALIVE)
		return (since + l->keepalive_ms);
	at = why == PARK_BODY ? (last > since ? last : since) +
	    l->client_body_ms : since + l->client_header_ms;
	if (l->min_rate > 0) {
		rate = since + DL_RATE_GRACE_MS +
		    (int64_t)bytes * 1000 / l->min_rate;
		if (rate < at)
			at = rate;
	}
	return (at);
}
