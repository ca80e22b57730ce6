/*
 * Handing a client connection from one process to another: the socket
 * itself (SCM_RIGHTS) and the bytes already read from it, in one message
 * of a SOCK_SEQPACKET socket pair, so a hand-off is never split or merged
 * with another even when many processes share one end. Workers park
 * connections with the waiter this way, and the waiter hands them back.
 */
#ifndef PORTER_LIB_HANDOFF_H
#define PORTER_LIB_HANDOFF_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <stddef.h>
#include <stdint.h>

#define HANDOFF_MAGIC	0x706b7231u	/* "pkr1": a new layout, a new one */

/* The request in the bytes was counted already (parked for its body). */
#define HANDOFF_COUNTED	0x01
/*
 * The bytes begin with a PROXY header still to be read (a listener with
 * proxy_protocol = true): peer is the balancer, checked already.
 */
#define HANDOFF_PROXY	0x02

/* What travels with the socket. */
struct handoff {
	uint32_t	magic;
	uint32_t	generation;	/* of the configuration listener is in */
	uint16_t	listener;	/* index in that generation's listeners */
	uint8_t		why;		/* enum park_why, when parked */
	uint8_t		requests;	/* served on it so far, capped at 255 */
	uint8_t		flags;		/* HANDOFF_* */
	uint32_t	len;		/* bytes that follow */
	int64_t		since_ms;	/* clock_now_ms(): the head began, or
					   the connection went idle */
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	}		peer;		/* the client */
	uint32_t	peerlen;
	union {
		struct sockaddr		sa;
		struct sockaddr_in	sin;
		struct sockaddr_in6	sin6;
	}		local;		/* the address it reached, as a PROXY
					   header said; locallen 0: porter's
					   own end of the socket */
	uint32_t	locallen;
};

/*
 * Send fd and len bytes (may be 0) on sock without blocking: 0 when sent,
 * or -1 with errno (EAGAIN: the other side is behind; the caller keeps the
 * connection). The caller still owns fd and closes its copy after a send.
 */
int	handoff_send(int sock, int fd, const struct handoff *,
	    const void *bytes, size_t len);

/*
 * Take one hand-off from sock without blocking: 1 with *fd (close-on-exec)
 * and h->len bytes at buf; 0 when there is none (another process took it);
 * -1 with errno on an error of sock. A malformed or truncated message is
 * dropped (its socket closed) and counts as none.
 */
int	handoff_recv(int sock, struct handoff *h, void *buf, size_t cap,
	    int *fd);

/* Whether hand-offs wait to be taken on sock (its receiving end): 1 or 0. */
int	handoff_queued(int sock);

/* A SOCK_SEQPACKET pair for hand-offs, both ends close-on-exec. */
int	handoff_pair(int sv[2]);

#endif
