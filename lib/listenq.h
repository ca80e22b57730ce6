/*
 * Clients waiting in a listening TCP socket's accept queue. Linux reports
 * a listener's queue in tcpi_unacked: one getsockopt, no lock. Both the
 * master (how many workers are short) and a worker (whether to give up a
 * kept-alive connection for queued ones) read it.
 */
#ifndef PORTER_LIB_LISTENQ_H
#define PORTER_LIB_LISTENQ_H

#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <stdint.h>

/* The queue's length, or 0 when it cannot be read. */
static inline uint32_t
listen_queued(int lfd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(lfd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1)
		return (0);
	return (ti.tcpi_unacked);
}

#endif
