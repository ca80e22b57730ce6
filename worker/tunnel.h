/* Relaying a CONNECT (or Upgrade) tunnel between two sockets. */
#ifndef PORTER_WORKER_TUNNEL_H
#define PORTER_WORKER_TUNNEL_H

#include <stddef.h>
#include <stdint.h>

struct tunnel_end {
	int		 fd;
	const char	*pre;	/* bytes read earlier from the OTHER side, */
	size_t		 npre;	/* written to this fd first */
};

struct tunnel_stats {
	uint64_t	 a2b, b2a;	/* bytes delivered, pre included */
	const char	*end;	/* "client closed", "server closed",
				   "idle timeout", "client error",
				   "server error" */
};

/*
 * Relay both ways between a (the client) and b (the server) until both
 * directions have ended (an end of stream read on one side is passed on
 * as shutdown(SHUT_WR) of the other), a side fails or resets, or nothing
 * moves for idle seconds (<= 0: no limit). buf/cap is scratch, split in
 * one half per direction (cap >= 2; 32 KiB or more is meant). Sets
 * SO_SNDTIMEO = idle on both fds and leaves it: callers close them after.
 * Returns 0 when both sides closed cleanly (st->end names the first to
 * close), else -1; st is filled either way.
 */
int	tunnel_relay(struct tunnel_end *a, struct tunnel_end *b, double idle,
	    char *buf, size_t cap, struct tunnel_stats *st);

#endif
