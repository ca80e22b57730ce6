#include "config.h"

#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "shared/limits.h"
#include "shared/scoreboard.h"
#include "worker/acl.h"
#include "worker/answer.h"
#include "worker/io.h"
#include "worker/limit.h"
#include "worker/respond.h"

/*
 * After the refusal, how long to read what the client already sent, so
 * that closing does not reset the connection under the answer.
 */
#define LIMIT_LINGER	0.25
#define LIMIT_LINGER_MAX	(64 * 1024)

static const char conn_body[] =
    "Too many connections from your address; try again later.\n";

static const struct sockaddr *
peer(const struct conn *c)
{
	return ((const struct sockaddr *)&c->peer_sa);
}

static int
exempt(const struct conn *c)
{
	const struct cfg_limits *l = &c->w->cfg->limits;

	return (l->nexempt > 0 && acl_match(l->exempt, l->nexempt, peer(c)));
}

size_t
limit_conn_refusal(char *buf, size_t cap)
{
	int n;

	n = snprintf(buf, cap, "HTTP/1.1 503 %s\r\nServer: porter\r\n"
	    "Date: %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
	    "Content-Length: %zu\r\nRetry-After: 1\r\nConnection: close\r\n"
	    "\r\n%s", respond_reason(503), respond_date(),
	    sizeof(conn_body) - 1, conn_body);
	return (n > 0 && (size_t)n < cap ? (size_t)n : 0);
}

void
limit_conn_start(struct conn *c)
{
	if (c->lst->mode == CFG_MODE_STATUS)
		return;
	lim_slot_set(c->w->sb, peer(c));
	io_pace(&c->io, (double)c->w->cfg->limits.min_rate);
}

/*
 * Answer a refused connection at once, then read for a moment whatever
 * the client sent before it saw the answer: closing a socket with unread
 * bytes would send a reset that may destroy the answer on its way.
 */
static void
refuse_conn(struct conn *c)
{
	char buf[512], sink[4096];
	size_t n = limit_conn_refusal(buf, sizeof(buf)), got = 0;
	double until;
	ssize_t k;

	if (n == 0 || io_write(&c->io, buf, n, clock_now() + 1.0) == -1)
		return;
	c->sent += n;
	sb_add(&c->w->sb->bytes_out, n);
	if (shutdown(c->io.fd, SHUT_WR) == -1)
		return;
	until = clock_now() + LIMIT_LINGER;
	while (got < LIMIT_LINGER_MAX &&
	    (k = io_read(&c->io, sink, sizeof(sink), until)) > 0)
		got += (size_t)k;
}

int
limit_conn_admit(struct conn *c)
{
	uint32_t max = c->w->cfg->limits.max_conns_per_client, n;

	limit_conn_start(c);
	if (max == 0 || c->lst->mode == CFG_MODE_STATUS || exempt(c))
		return (1);
	/* this connection is in the count already: more than max is over */
	if ((n = lim_conns(c->w->shm, peer(c))) <= max)
		return (1);
	sb_add(&c->w->sb->conns_capped, 1);
	log_info("%s: 503 %s: max_conns_per_client (%u) reached: %u "
	    "connections", c->peer, respond_reason(503), max, n);
	refuse_conn(c);
	return (0);
}

void
limit_conn_end(struct conn *c)
{
	struct linger lg = { 1, 0 };

	lim_slot_clear(c->w->sb);
	if (!c->io.pace_cut)
		return;
	/*
	 * Reset rather than close: what the kernel still holds for a slow
	 * reader would otherwise trickle out to it long after (as nginx's
	 * reset_timedout_connection).
	 */
	(void)setsockopt(c->io.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	sb_add(&c->w->sb->slow_readers, 1);
	log_info("%s: slow reader cut off: it read %llu bytes of the response "
	    "while porter waited %.0f s on it (min_rate %u bytes/s)",
	    c->peer, (unsigned long long)c->io.pace_taken,
	    c->io.pace_stalled, c->w->cfg->limits.min_rate);
	c->io.pace_cut = 0;
}

int
limit_request_admit(struct conn *c, int *rc)
{
	const struct cfg_limits *l = &c->w->cfg->limits;
	char extra[48], why[96];
	double after;
	long secs;

	io_pace_reset(&c->io);
	if (l->rate <= 0 || c->lst->mode == CFG_MODE_STATUS || exempt(c) ||
	    lim_rate_take(c->w->shm, peer(c), l->rate, l->burst, clock_now(),
	    &after))
		return (1);
	/* whole seconds until a token is there, at least 1 */
	secs = (long)after;
	if ((double)secs < after)
		secs++;
	if (secs < 1)
		secs = 1;
	(void)snprintf(extra, sizeof(extra), "Retry-After: %ld\r\n", secs);
	(void)snprintf(why, sizeof(why), "rate limit (%g requests/s, burst "
	    "%u)", l->rate, l->burst);
	sb_add(&c->w->sb->rate_limited, 1);
	*rc = answer_error_with(c, 429, http_req_body(&c->req) !=
	    HTTP_BODY_NONE, why, extra);
	c->rule = c->why;
	return (0);
}

int
limit_tunnel_admit(struct conn *c, int *rc)
{
	uint32_t max = c->w->cfg->limits.max_tunnels;
	char why[64];

	if (lim_tunnel_take(c->w->shm, c->w->sb, max))
		return (1);
	(void)snprintf(why, sizeof(why), "max_tunnels (%u) reached", max);
	sb_add(&c->w->sb->tunnels_capped, 1);
	*rc = answer_error_page(c, 503, 1, why, "Retry-After: 1\r\n",
	    "Too many tunnels are open; try again later.");
	c->rule = c->why;
	return (0);
}
