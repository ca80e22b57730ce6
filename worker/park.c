#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <string.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "shared/limits.h"
#include "worker/client.h"
#include "worker/park.h"
#include "worker/state.h"

int
park_possible(const struct worker *w)
{
	const struct shm_waiter *sw = &w->shm->hdr->waiter;

	if (w->park_fd < 0 || !atomic_load_explicit(&sw->up,
	    memory_order_acquire))
		return (0);
	return (parking_total(sw) < atomic_load_explicit(&sw->max_conns,
	    memory_order_relaxed));
}

/* The hand-off header for c, why (PARK_COUNTED or'ed in) since since_ms. */
static void
park_header(const struct conn *c, int why, int64_t since_ms,
    struct handoff *hp)
{
	const struct worker *w = c->w;
	struct handoff h;

	memset(&h, 0, sizeof(h));
	h.generation = w->generation;
	h.listener = (uint16_t)(c->lst - w->cfg->listeners);
	h.why = (uint8_t)(why & ~PARK_COUNTED);
	h.flags = (why & PARK_COUNTED) ? HANDOFF_COUNTED : 0;
	if (c->pp_pending)
		h.flags |= HANDOFF_PROXY;
	h.requests = c->requests > 255 ? 255 : (uint8_t)c->requests;
	h.since_ms = since_ms;
	if (c->peer_len <= sizeof(h.peer)) {
		memcpy(&h.peer, &c->peer_sa, c->peer_len);
		h.peerlen = c->peer_len;
	}
	/* what a PROXY header said it reached (send_proxy passes it on) */
	if (c->local_len > 0 && c->local_len <= sizeof(h.local) &&
	    c->lst->proxy_protocol) {
		memcpy(&h.local, &c->local_sa, c->local_len);
		h.locallen = c->local_len;
	}
	*hp = h;
}

int
park_conn(struct conn *c, int why, int64_t since_ms)
{
	struct worker *w = c->w;
	struct handoff h;

	if (!park_possible(w))
		return (-1);
	park_header(c, why, since_ms, &h);
	/*
	 * The slot stops counting the client for max_conns_per_client
	 * before the waiter starts: a connection of the same client accepted
	 * meanwhile must not see this one twice and be refused. (For the
	 * moment it is in the socket pair nobody counts it: a client may
	 * briefly hold one more, never one less.)
	 */
	lim_slot_clear(w->sb);
	if (handoff_send(w->park_fd, c->io.fd, &h, c->buf, c->len) == -1) {
		/* the waiter is behind or gone: the worker keeps it */
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ENOBUFS)
			log_syserr("parking a connection");
		/* as limit_conn_start had it (nothing before a PROXY header) */
		if (c->lst->mode != CFG_MODE_STATUS && !c->pp_pending)
			lim_slot_set(w->sb, (const struct sockaddr *)
			    &c->peer_sa);
		return (-1);
	}
	sb_add(&w->sb->parked, 1);
	return (0);
}

/*
 * What park_requeue reads of the next request at most: a message any
 * worker's buffer takes (a reload may make max_header_size smaller); a
 * longer request goes to the waiter with what was read.
 */
#define REQUEUE_READ	(16 * 1024)

/*
 * Whether c->buf holds what a worker can serve at once, as the waiter's
 * own test has it (waiter/waiter.c complete): a whole head, with its
 * Content-Length body when that is all there (a chunked one, one that
 * waits for a 100 Continue, or one too large to wait for is the worker's
 * to read), or bytes the parser refuses (the worker answers the error).
 */
static int
request_in(const struct conn *c)
{
	const struct cfg *cfg = c->w->cfg;
	struct http_req q;

	http_req_init(&q, cfg->limits.max_header_size,
	    cfg->limits.max_uri_size);
	switch (http_parse_request(&q, c->buf, c->len)) {
	case HTTP_AGAIN:
		return (0);
	case HTTP_OK:
		break;
	default:
		return (1);
	}
	if (http_req_body(&q) != HTTP_BODY_LENGTH || q.expect_continue ||
	    q.h.content_length > REQUEUE_READ)
		return (1);
	return ((uint64_t)c->len >= (uint64_t)q.h.head_len +
	    q.h.content_length);
}

int
park_requeue_possible(const struct worker *w)
{
	const struct shm_waiter *sw = &w->shm->hdr->waiter;

	return (w->requeue_fd >= 0 && atomic_load_explicit(&sw->pool_full,
	    memory_order_relaxed) != 0);
}

int
park_requeue(struct conn *c)
{
	struct worker *w = c->w;
	struct handoff h;
	ssize_t n;

	if (w->requeue_fd < 0 || c->len != 0 || c->pp_pending)
		return (0);
	do
		n = recv(c->io.fd, c->buf, w->ccap < REQUEUE_READ ? w->ccap :
		    REQUEUE_READ, MSG_DONTWAIT);
	while (n == -1 && errno == EINTR);
	if (n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK))
		return (-1);	/* gone, or a reset: nothing to answer */
	if (n == -1)
		return (0);
	c->len = (size_t)n;
	if (!request_in(c))
		return (0);
	park_header(c, PARK_HEAD, clock_now_ms(), &h);
	/* as park_conn: uncounted for max_conns_per_client while queued */
	lim_slot_clear(w->sb);
	if (handoff_send(w->requeue_fd, c->io.fd, &h, c->buf, c->len) == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK &&
		    errno != ENOBUFS)
			log_syserr("queueing a connection");
		if (c->lst->mode != CFG_MODE_STATUS)
			lim_slot_set(w->sb, (const struct sockaddr *)
			    &c->peer_sa);
		return (0);
	}
	sb_add(&w->sb->requeued, 1);
	return (1);
}

int
park_draining(const struct worker *w)
{
	const struct shm_waiter *sw = &w->shm->hdr->waiter;

	/*
	 * Until the waiter has exited (it does once it has held nothing
	 * for a while): a connection parked just before the stop may still
	 * be on its way to it.
	 */
	if (w->ready_fd < 0 || !atomic_load(&sw->draining))
		return (0);
	return (atomic_load(&sw->pid) > 0 || handoff_queued(w->ready_fd));
}

/* Whether the socket's local address is what listening socket lfd takes. */
static int
accepted_on(const struct sockaddr_storage *local, int lfd)
{
	struct sockaddr_storage ls;
	socklen_t len = sizeof(ls);

	if (getsockname(lfd, (struct sockaddr *)&ls, &len) == -1 ||
	    ls.ss_family != local->ss_family)
		return (0);
	if (ls.ss_family == AF_INET) {
		const struct sockaddr_in *l = (const void *)&ls;
		const struct sockaddr_in *s = (const void *)local;

		return (l->sin_port == s->sin_port &&
		    (l->sin_addr.s_addr == htonl(INADDR_ANY) ||
		    l->sin_addr.s_addr == s->sin_addr.s_addr));
	}
	if (ls.ss_family == AF_INET6) {
		const struct sockaddr_in6 *l = (const void *)&ls;
		const struct sockaddr_in6 *s = (const void *)local;

		return (l->sin6_port == s->sin6_port &&
		    (IN6_IS_ADDR_UNSPECIFIED(&l->sin6_addr) ||
		    IN6_ARE_ADDR_EQUAL(&l->sin6_addr, &s->sin6_addr)));
	}
	return (0);
}

int
park_listener(const struct worker *w, const struct handoff *h, int fd)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	int i;

	if (h->generation == w->generation)
		return (h->listener < w->cfg->nlisteners ? h->listener : -1);
	if (getsockname(fd, (struct sockaddr *)&local, &len) == -1)
		return (-1);
	for (i = 0; i < w->cfg->nlisteners; i++)
		if (accepted_on(&local, w->lfds[i]))
			return (i);
	return (-1);
}
