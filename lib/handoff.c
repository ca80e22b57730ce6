#include "config.h"

#include <sys/socket.h>
#include <sys/uio.h>

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "lib/handoff.h"

/* Room for the messages queued on a pair: heads are a few hundred bytes. */
#define HANDOFF_SNDBUF	(4 * 1024 * 1024)

int
handoff_send(int sock, int fd, const struct handoff *h, const void *bytes,
    size_t len)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct handoff hd = *h;
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	hd.magic = HANDOFF_MAGIC;
	hd.len = (uint32_t)len;
	iov[0].iov_base = &hd;
	iov[0].iov_len = sizeof(hd);
	iov[1].iov_base = (void *)(uintptr_t)bytes;
	iov[1].iov_len = len;
	memset(&mh, 0, sizeof(mh));
	memset(&u, 0, sizeof(u));
	mh.msg_iov = iov;
	mh.msg_iovlen = len > 0 ? 2 : 1;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	do
		n = sendmsg(sock, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (-1);
	if ((size_t)n != sizeof(hd) + len) {
		/* a seqpacket message goes whole or not at all */
		errno = EMSGSIZE;
		return (-1);
	}
	return (0);
}

/* Close every descriptor a message brought. */
static void
close_fds(struct msghdr *mh)
{
	struct cmsghdr *cm;

	for (cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t i, n;

		if (cm->cmsg_level != SOL_SOCKET ||
		    cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(int));
			(void)close(fd);
		}
	}
}

int
handoff_recv(int sock, struct handoff *h, void *buf, size_t cap, int *fd)
{
	union {
		struct cmsghdr	align;
		char		buf[CMSG_SPACE(2 * sizeof(int))];
	} u;
	struct iovec iov[2];
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;

	iov[0].iov_base = h;
	iov[0].iov_len = sizeof(*h);
	iov[1].iov_base = buf;
	iov[1].iov_len = cap;
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = iov;
	mh.msg_iovlen = 2;
	mh.msg_control = u.buf;
	mh.msg_controllen = sizeof(u.buf);
	do
		n = recvmsg(sock, &mh, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return (errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -1);
	cm = CMSG_FIRSTHDR(&mh);
	if ((mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0 || cm == NULL ||
	    cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS ||
	    cm->cmsg_len != CMSG_LEN(sizeof(int)) ||
	    (size_t)n < sizeof(*h) || h->magic != HANDOFF_MAGIC ||
	    h->len != (size_t)n - sizeof(*h) ||
	    h->peerlen > sizeof(h->peer)) {
		close_fds(&mh);
		return (0);
	}
	memcpy(fd, CMSG_DATA(cm), sizeof(int));
	return (1);
}

int
handoff_queued(int sock)
{
	struct pollfd p;

	/*
	 * poll, not SIOCINQ: for a seqpacket socket SIOCINQ sums the whole
	 * receive queue under its lock (unix_inq_len), and each worker asks
	 * once a request while hundreds of kept-alive clients queue there
	 * (3 % of the CPU at ka-c256); poll only looks whether it is empty.
	 */
	p.fd = sock;
	p.events = POLLIN;
	p.revents = 0;
	return (poll(&p, 1, 0) == 1 && (p.revents & POLLIN));
}

int
handoff_pair(int sv[2])
{
	int sz = HANDOFF_SNDBUF;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1)
		return (-1);
	/*
	 * Queued hand-offs are charged to the sending end. FORCE works for
	 * root (past net.core.wmem_max); otherwise the plain one does what
	 * it may.
	 */
	if (setsockopt(sv[0], SOL_SOCKET, SO_SNDBUFFORCE, &sz,
	    sizeof(sz)) == -1)
		(void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz,
		    sizeof(sz));
	if (setsockopt(sv[1], SOL_SOCKET, SO_SNDBUFFORCE, &sz,
	    sizeof(sz)) == -1)
		(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz,
		    sizeof(sz));
	return (0);
}
