#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/sockios.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg.h"
#include "lib/clock.h"
#include "worker/io.h"

/* A wait may end this much after its deadline rather than cost a syscall. */
#define IO_SLACK	0.05
#define IO_MIN_WAIT	0.001
/* min_rate: the first second a peer is waited on is free. */
#define IO_PACE_GRACE	1.0

void
io_init(struct io *io, int fd)
{
	io_init_set(io, fd, 0, 0);
}

void
io_init_set(struct io *io, int fd, double rto, double sto)
{
	memset(io, 0, sizeof(*io));
	io->fd = fd;
	io->rto = rto;
	io->sto = sto;
}

void
io_pace(struct io *io, double rate)
{
	io->pace_rate = rate > 0 ? rate : 0;
	io_pace_reset(io);
}

void
io_pace_reset(struct io *io)
{
	io->pace_stalled = 0;
	io->pace_out = 0;
	io->pace_taken = 0;
}

/*
 * A send to a paced peer came back short or timed out: it waited the
 * whole send timeout (io->sto) for the peer. 0 while the peer keeps up,
 * else -1 (ETIMEDOUT, pace_cut set). Bytes the kernel still holds for
 * the peer are not taken yet: a large send buffer is no head start.
 */
static int
pace_stall(struct io *io)
{
	uint64_t taken;
	int q = 0;

	io->pace_stalled += io->sto;
	if (io->pace_stalled <= IO_PACE_GRACE)
		return (0);
	if (ioctl(io->fd, SIOCOUTQ, &q) == -1 || q < 0)
		q = 0;
	taken = io->pace_out > (uint64_t)q ? io->pace_out - (uint64_t)q : 0;
	io->pace_taken = taken;
	if ((double)taken >= io->pace_rate *
	    (io->pace_stalled - IO_PACE_GRACE))
		return (0);
	io->pace_cut = 1;
	errno = ETIMEDOUT;
	return (-1);
}

/*
 * A send (sendmsg or splice) failed: 0 to try again (a signal, or the
 * send timeout while min_rate still allows the peer: *grow then), -1 to
 * give up with errno.
 */
static int
send_failed(struct io *io, int *grow)
{
	if (errno == EINTR)
		return (0);
	if (errno != EAGAIN && errno != EWOULDBLOCK)
		return (-1);
	if (io->pace_rate > 0 && pace_stall(io) == -1)
		return (-1);
	*grow = 1;
	return (0);
}

/*
 * min_rate's account after a paced send of sent of want bytes: a blocking
 * send comes back short only when its timeout (or a signal) came first.
 * -1 (ETIMEDOUT) when the peer is too slow.
 */
static int
send_paced(struct io *io, size_t sent, size_t want)
{
	io->pace_out += (uint64_t)sent;
	return (sent < want ? pace_stall(io) : 0);
}

static int
set_timeo(int fd, int opt, double secs)
{
	struct timeval tv = clock_timeval(secs < IO_MIN_WAIT ? IO_MIN_WAIT :
	    secs);

	return (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
}

/*
 * Make sure the socket's timeout for opt does not run past the deadline.
 * grow: the last wait timed out early (the timeout was shorter than what
 * is left), so raise it. Returns 0, or -1 with errno (ETIMEDOUT if the
 * deadline has already passed).
 */
static int
arm(int fd, int opt, double *cur, double deadline, int grow, double tick)
{
	double left = deadline - clock_now(), want;

	if (left <= 0) {
		errno = ETIMEDOUT;
		return (-1);
	}
	/* a paced send wakes every tick to check its peer keeps up */
	want = tick > 0 && left > tick ? tick : left;
	if (*cur == 0 || *cur > want + IO_SLACK || (grow && *cur != want)) {
		if (set_timeo(fd, opt, want) == -1)
			return (-1);
		*cur = want;
	}
	return (0);
}

ssize_t
io_read(struct io *io, void *buf, size_t n, double deadline)
{
	int grow = 0;

	for (;;) {
		ssize_t r;

		if (arm(io->fd, SO_RCVTIMEO, &io->rto, deadline, grow, 0) == -1)
			return (-1);
		r = recv(io->fd, buf, n, 0);
		if (r >= 0)
			return (r);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (-1);
		grow = 1;	/* timed out; arm() says whether time is left */
	}
}

int
io_writev(struct io *io, struct iovec *iov, int iovcnt, double deadline)
{
	int grow = 0;

	while (iovcnt > 0) {
		struct msghdr mh;
		size_t want = 0;
		ssize_t w;
		int i;

		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		if (arm(io->fd, SO_SNDTIMEO, &io->sto, deadline, grow,
		    io->pace_rate > 0 ? CFG_PACE_TICK : 0) == -1)
			return (-1);
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)iovcnt;
		/* MSG_NOSIGNAL: a closed peer is an error, not a SIGPIPE. */
		w = sendmsg(io->fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (send_failed(io, &grow) == -1)
				return (-1);
			continue;
		}
		grow = 0;
		if (io->pace_rate > 0) {
			for (i = 0; i < iovcnt; i++)
				want += iov[i].iov_len;
			if (send_paced(io, (size_t)w, want) == -1)
				return (-1);
		}
		while (w > 0 && iovcnt > 0) {
			if ((size_t)w >= iov->iov_len) {
				w -= (ssize_t)iov->iov_len;
				iov->iov_len = 0;
				iov++;
				iovcnt--;
			} else {
				iov->iov_base = (char *)iov->iov_base + w;
				iov->iov_len -= (size_t)w;
				w = 0;
			}
		}
	}
	return (0);
}

ssize_t
io_splice_in(struct io *io, int pfd, size_t n, double deadline)
{
	int grow = 0;

	for (;;) {
		ssize_t r;

		if (arm(io->fd, SO_RCVTIMEO, &io->rto, deadline, grow, 0) == -1)
			return (-1);
		r = splice(io->fd, NULL, pfd, NULL, n, SPLICE_F_MOVE);
		if (r >= 0)
			return (r);
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return (-1);
		grow = 1;
	}
}

int
io_splice_out(struct io *io, int pfd, size_t n, double deadline)
{
	int grow = 0;

	/* as io_writev, min_rate's account included */
	while (n > 0) {
		ssize_t w;

		if (arm(io->fd, SO_SNDTIMEO, &io->sto, deadline, grow,
		    io->pace_rate > 0 ? CFG_PACE_TICK : 0) == -1)
			return (-1);
		/* SIGPIPE is ignored in workers: a closed peer is EPIPE */
		w = splice(pfd, NULL, io->fd, NULL, n, SPLICE_F_MOVE);
		if (w < 0) {
			if (send_failed(io, &grow) == -1)
				return (-1);
			continue;
		}
		if (w == 0) {
			errno = EPIPE;	/* cannot happen: the pipe holds n */
			return (-1);
		}
		grow = 0;
		if (io->pace_rate > 0 && send_paced(io, (size_t)w, n) == -1)
			return (-1);
		n -= (size_t)w;
	}
	return (0);
}

int
io_write(struct io *io, const void *buf, size_t n, double deadline)
{
	struct iovec iov;

	iov.iov_base = (void *)(uintptr_t)buf;
	iov.iov_len = n;
	return (io_writev(io, &iov, 1, deadline));
}

int
io_connect(const struct sockaddr *sa, socklen_t salen, double timeout)
{
	int fd, err = 0, one = 1, flags;
	socklen_t elen = sizeof(err);
	struct pollfd pfd;

	fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0);
	if (fd == -1)
		return (-1);
	if (connect(fd, sa, salen) == -1) {
		if (errno != EINPROGRESS)
			goto fail;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		for (;;) {
			int ms = (int)(timeout * 1000) + 1;
			int r = poll(&pfd, 1, ms);

			if (r == 1)
				break;
			if (r == 0) {
				errno = ETIMEDOUT;
				goto fail;
			}
			if (errno != EINTR)
				goto fail;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1)
			goto fail;
		if (err != 0) {
			errno = err;
			goto fail;
		}
	}
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1)
		goto fail;
	/* Heads and bodies go out in whole writes; Nagle would only delay. */
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1)
		goto fail;
	return (fd);
fail:
	err = errno;
	(void)close(fd);
	errno = err;
	return (-1);
}

int
io_idle_alive(int fd)
{
	char c;
	ssize_t r = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);

	/* Nothing to read is the only healthy state for an idle upstream. */
	return (r == -1 && (errno == EAGAIN || errno == EWOULDBLOCK));
}
