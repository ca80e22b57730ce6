#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "worker/io.h"

/* A wait may end this much after its deadline rather than cost a syscall. */
#define IO_SLACK	0.05
#define IO_MIN_WAIT	0.001

void
io_init(struct io *io, int fd)
{
	io->fd = fd;
	io->rto = 0;
	io->sto = 0;
}

void
io_init_set(struct io *io, int fd, double rto, double sto)
{
	io->fd = fd;
	io->rto = rto;
	io->sto = sto;
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
arm(int fd, int opt, double *cur, double deadline, int grow)
{
	double left = deadline - clock_now();

	if (left <= 0) {
		errno = ETIMEDOUT;
		return (-1);
	}
	if (*cur == 0 || *cur > left + IO_SLACK || grow) {
		if (set_timeo(fd, opt, left) == -1)
			return (-1);
		*cur = left;
	}
	return (0);
}

ssize_t
io_read(struct io *io, void *buf, size_t n, double deadline)
{
	int grow = 0;

	for (;;) {
		ssize_t r;

		if (arm(io->fd, SO_RCVTIMEO, &io->rto, deadline, grow) == -1)
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
		ssize_t w;

		if (iov->iov_len == 0) {
			iov++;
			iovcnt--;
			continue;
		}
		if (arm(io->fd, SO_SNDTIMEO, &io->sto, deadline, grow) == -1)
			return (-1);
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)iovcnt;
		/* MSG_NOSIGNAL: a closed peer is an error, not a SIGPIPE. */
		w = sendmsg(io->fd, &mh, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return (-1);
			grow = 1;
			continue;
		}
		grow = 0;
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
