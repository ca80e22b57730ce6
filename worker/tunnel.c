#include "config.h"

#include <sys/socket.h>

#include <assert.h>
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "lib/clock.h"
#include "worker/tunnel.h"

/*
 * One direction of the tunnel: bytes read from src wait in the half
 * buffer (or, at first, in the other end's pre) until dst takes them.
 * Reads and writes use MSG_DONTWAIT after poll() says go, so neither
 * direction can hold the other up and an SO_RCVTIMEO or SO_SNDTIMEO on
 * the sockets never comes into play.
 */
enum { DIR_READ, DIR_WRITE, DIR_DONE };

struct dir {
	int		 src, dst;
	int		 state;
	const char	*pend;		/* bytes still for dst */
	size_t		 npend;
	char		*buf;
	size_t		 cap;
	uint64_t	*count;
	const char	*src_closed, *src_err, *dst_err;
};

/* Write what dst takes now: 0, or -1 on an error. */
static int
dir_flush(struct dir *d, int *moved)
{
	ssize_t w;

	while (d->npend > 0) {
		w = send(d->dst, d->pend, d->npend,
		    MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return (0);
			return (-1);
		}
		d->pend += w;
		d->npend -= (size_t)w;
		*d->count += (uint64_t)w;
		*moved = 1;
	}
	d->state = DIR_READ;
	return (0);
}

/*
 * Read what src has now and try to pass it on. 1 at end of stream (dst
 * then shut for writing), 0, or -1 on an error (*end set).
 */
static int
dir_read(struct dir *d, int *moved, const char **end)
{
	ssize_t r;

	for (;;) {
		r = recv(d->src, d->buf, d->cap, MSG_DONTWAIT);
		if (r >= 0 || errno != EINTR)
			break;
	}
	if (r < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return (0);
		*end = d->src_err;
		return (-1);
	}
	*moved = 1;
	if (r == 0) {
		/* ENOTCONN: the peer is gone already; its reads tell */
		(void)shutdown(d->dst, SHUT_WR);
		d->state = DIR_DONE;
		return (1);
	}
	d->pend = d->buf;
	d->npend = (size_t)r;
	d->state = DIR_WRITE;
	if (dir_flush(d, moved) == -1) {
		*end = d->dst_err;
		return (-1);
	}
	return (0);
}

int
tunnel_relay(struct tunnel_end *a, struct tunnel_end *b, double idle,
    char *buf, size_t cap, struct tunnel_stats *st)
{
	struct dir dirs[2], *d;
	struct pollfd pfd[2];
	struct timeval tv;
	double last, left;
	const char *first = NULL;
	int i, r, moved, timeout;

	assert(cap >= 2);
	memset(st, 0, sizeof(*st));
	if (idle > 0) {
		tv = clock_timeval(idle);
		/* a failure is harmless: all I/O below is MSG_DONTWAIT */
		(void)setsockopt(a->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv));
		(void)setsockopt(b->fd, SOL_SOCKET, SO_SNDTIMEO, &tv,
		    sizeof(tv));
	}
	dirs[0] = (struct dir){ a->fd, b->fd, DIR_READ, b->pre, b->npre,
	    buf, cap / 2, &st->a2b, "client closed", "client error",
	    "server error" };
	dirs[1] = (struct dir){ b->fd, a->fd, DIR_READ, a->pre, a->npre,
	    buf + cap / 2, cap / 2, &st->b2a, "server closed", "server error",
	    "client error" };
	for (i = 0; i < 2; i++)
		if (dirs[i].npend > 0)
			dirs[i].state = DIR_WRITE;

	last = clock_now();
	while (dirs[0].state != DIR_DONE || dirs[1].state != DIR_DONE) {
		/* pfd[0] is a, pfd[1] is b: dirs[i] reads pfd[i], writes 1-i */
		for (i = 0; i < 2; i++) {
			pfd[i].fd = i == 0 ? a->fd : b->fd;
			pfd[i].events = 0;
			pfd[i].revents = 0;
		}
		for (i = 0; i < 2; i++) {
			if (dirs[i].state == DIR_READ)
				pfd[i].events |= POLLIN;
			else if (dirs[i].state == DIR_WRITE)
				pfd[1 - i].events |= POLLOUT;
		}
		/* an fd with nothing wanted must not wake us with POLLHUP */
		for (i = 0; i < 2; i++)
			if (pfd[i].events == 0)
				pfd[i].fd = -1;
		timeout = -1;
		if (idle > 0) {
			left = last + idle - clock_now();
			if (left <= 0) {
				st->end = "idle timeout";
				return (-1);
			}
			if (left > 86400)
				left = 86400;
			timeout = (int)(left * 1000) + 1;
		}
		r = poll(pfd, 2, timeout);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			/* EFAULT, EINVAL, ENOMEM: not the peers' doing */
			st->end = "client error";
			return (-1);
		}
		if (r == 0)
			continue;		/* the deadline check decides */
		moved = 0;
		for (i = 0; i < 2; i++) {
			d = &dirs[i];
			if (d->state == DIR_WRITE && pfd[1 - i].revents &
			    (POLLOUT | POLLERR | POLLHUP | POLLNVAL)) {
				if (dir_flush(d, &moved) == -1) {
					st->end = d->dst_err;
					return (-1);
				}
			} else if (d->state == DIR_READ && pfd[i].revents &
			    (POLLIN | POLLERR | POLLHUP | POLLNVAL)) {
				r = dir_read(d, &moved, &st->end);
				if (r == -1)
					return (-1);
				if (r == 1 && first == NULL)
					first = d->src_closed;
			}
		}
		if (moved)
			last = clock_now();
	}
	st->end = first;
	return (0);
}
