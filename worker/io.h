/*
 * Blocking socket I/O with deadlines.
 *
 * A worker serves one connection with blocking calls, so every call must be
 * bounded. The bound is the socket's SO_RCVTIMEO/SO_SNDTIMEO, changed only
 * when the wait allowed would pass the caller's deadline: in steady state a
 * read costs one recv(2), not a poll(2) plus a recv(2).
 */
#ifndef PORTER_WORKER_IO_H
#define PORTER_WORKER_IO_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <stdint.h>

struct io {
	int		 fd;
	double		 rto;	/* SO_RCVTIMEO now set, seconds; 0: none yet */
	double		 sto;	/* SO_SNDTIMEO now set */
	/* min_rate on writes (io_pace); pace_rate 0: off */
	double		 pace_rate;	/* bytes/s the peer must read */
	double		 pace_stalled;	/* s writes waited on it, this response */
	uint64_t	 pace_out;	/* bytes it was given, this response */
	uint64_t	 pace_taken;	/* of those, what it had read (acked)
					   at the last check */
	int		 pace_cut;	/* a write failed: it read too slowly */
};

void	io_init(struct io *, int fd);
/* For a socket whose timeouts are already set (inherited from a listener). */
void	io_init_set(struct io *, int fd, double rto, double sto);
/*
 * Writes to this peer must keep up with rate bytes a second (0: off):
 * after a first second of waiting on it, the bytes it has taken (what the
 * kernel holds for it excluded) must be at least rate times the seconds
 * writes waited on it, else the write fails with ETIMEDOUT and pace_cut
 * is set. Counted per response (io_pace_reset); the deadlines callers
 * give still hold. Waiting on the peer shows as a send that timed out,
 * so the check costs nothing while the peer keeps up: the socket's send
 * timeout is kept at CFG_PACE_TICK at most (a listener sets it so), and
 * each timeout that passes is one check (SIOCOUTQ).
 */
void	io_pace(struct io *, double rate);
/* A new response starts: its bytes and waits count from 0. */
void	io_pace_reset(struct io *);
/*
 * Read at most n bytes before deadline (clock_now() seconds).
 * >0 bytes read, 0 end of stream, -1 error with errno (ETIMEDOUT when the
 * deadline passed).
 */
ssize_t	io_read(struct io *, void *, size_t n, double deadline);
/* Write all of it before deadline: 0, or -1 with errno. */
int	io_write(struct io *, const void *, size_t n, double deadline);
int	io_writev(struct io *, struct iovec *, int iovcnt, double deadline);
/*
 * splice(2) through a pipe, for large bodies (no copy through user
 * space). io_splice_in: at most n bytes from io into the pipe's write
 * end pfd, as io_read (>0, 0 end of stream, -1 with errno).
 * io_splice_out: all n bytes in the pipe (read end pfd) to io before
 * deadline: 0, or -1 with errno (the pipe may then hold some of them).
 */
ssize_t	io_splice_in(struct io *, int pfd, size_t n, double deadline);
int	io_splice_out(struct io *, int pfd, size_t n, double deadline);
/*
 * Non-blocking connect bounded by timeout seconds; returns a blocking
 * socket with TCP_NODELAY, or -1 with errno (ETIMEDOUT on timeout).
 */
int	io_connect(const struct sockaddr *, socklen_t, double timeout);
/* Whether an idle kept-alive socket is still open with nothing unread. */
int	io_idle_alive(int fd);

#endif
