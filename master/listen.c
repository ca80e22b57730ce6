#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "master/listen.h"

static int
set_timeo(int fd, int opt, double secs)
{
	struct timeval tv = clock_timeval(secs);

	return (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
}

int
listen_tune(const struct cfg *cfg, int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
	    set_timeo(fd, SO_RCVTIMEO, cfg_accept_rcvtimeo(cfg)) == -1 ||
	    set_timeo(fd, SO_SNDTIMEO, cfg_accept_sndtimeo(cfg)) == -1)
		return (-1);
	return (0);
}

int
listen_open(const struct cfg *cfg, const struct cfg_listener *l, char *err,
    size_t errlen)
{
	const char *step;
	int fd, one = 1, e;

	step = "socket";
	fd = socket(l->addr.sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd == -1)
		goto fail;
	step = "SO_REUSEADDR";
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1)
		goto fail;
	step = "IPV6_V6ONLY";
	if (l->addr.sa.ss_family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_V6ONLY, &one, sizeof(one)) == -1)
		goto fail;
	step = "socket options";
	if (listen_tune(cfg, fd) == -1)
		goto fail;
	step = "bind";
	if (bind(fd, (const struct sockaddr *)&l->addr.sa, l->addr.salen) ==
	    -1)
		goto fail;
	step = "listen";
	if (listen(fd, l->backlog) == -1)
		goto fail;
	return (fd);
fail:
	e = errno;
	(void)snprintf(err, errlen, "listen %s: %s: %s", l->addr.text, step,
	    strerror(e));
	if (fd != -1)
		(void)close(fd);
	errno = e;
	return (-1);
}
