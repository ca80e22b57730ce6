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

struct io {
	int	fd;
	double	rto;	/* SO_RCVTIMEO now set, seconds; 0: none yet */
	double	sto;	/* SO_SNDTIMEO now set */
};

void	io_init(struct io *, int fd);
/* For a socket whose timeouts are already set (inherited from a listener). */
void	io_init_set(struct io *, int fd, double rto, double sto);
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
 * Non-blocking connect bounded by timeout seconds; returns a blocking
 * socket with TCP_NODELAY, or -1 with errno (ETIMEDOUT on timeout).
 */
int	io_connect(const struct sockaddr *, socklen_t, double timeout);
/* Whether an idle kept-alive socket is still open with nothing unread. */
int	io_idle_alive(int fd);

#endif
