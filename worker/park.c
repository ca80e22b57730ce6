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

int
park_conn(struct conn *c, int why, int64_t since_ms)
{
	struct worker *w = c->w;
	struct handoff h;

	if (!park_possible(w))
		return (-1);
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
