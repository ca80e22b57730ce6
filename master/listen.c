#include "config.h"

#include <sys/socket.h>
#include <sys/time.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/addr.h"
#include "lib/clock.h"
#include "master/listen.h"

static int
set_timeo(int fd, int opt, double secs)
{
	struct timeval tv = clock_timeval(secs);

	return (setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv)));
}

/* (Re)set what accepted sockets inherit; 0, or -1 with errno set. */
static int
listen_tune(const struct cfg *cfg, int fd)
{
	int one = 1;

	/*
	 * TCP_DEFER_ACCEPT (nginx's "deferred"): a connection is accepted
	 * once its first bytes are in, so one that sends nothing never wakes
	 * a worker; after a second it is accepted anyway, and the waiter
	 * holds it.
	 */
	if (setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one,
	    sizeof(one)) == -1 ||
	    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == -1 ||
	    set_timeo(fd, SO_RCVTIMEO, cfg_accept_rcvtimeo(cfg)) == -1 ||
	    set_timeo(fd, SO_SNDTIMEO, cfg_accept_sndtimeo(cfg)) == -1)
		return (-1);
	return (0);
}

/*
 * Bind and listen on l's address: non-blocking (workers wait in epoll and
 * more than one may race for a connection), SO_REUSEADDR, IPv6 sockets
 * IPv6-only so "[::]:80" and "0.0.0.0:80" can coexist.
 * Accepted sockets inherit TCP_NODELAY and the send and receive timeouts
 * from their listener (Linux copies them), so they are set here once
 * rather than on every connection: see cfg_accept_rcvtimeo().
 * Returns the socket, or -1 with err set ("listen ADDR: bind: ...").
 */
static int
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

int *
listen_all(const struct cfg *cfg, const int *oldfds, int nold,
    char *err, size_t errlen)
{
	int *fds, i, j;

	if ((fds = calloc((size_t)cfg->nlisteners, sizeof(int))) == NULL) {
		(void)snprintf(err, errlen, "out of memory");
		return (NULL);
	}
	for (i = 0; i < cfg->nlisteners; i++) {
		const struct cfg_listener *l = &cfg->listeners[i];

		fds[i] = -1;
		/*
		 * A listener whose address is already bound keeps its socket:
		 * connections queued on it are never lost. Its backlog and
		 * inherited options follow the new configuration.
		 */
		for (j = 0; j < nold && fds[i] == -1; j++) {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);

			if (oldfds[j] < 0 || getsockname(oldfds[j],
			    (struct sockaddr *)&ss, &sl) == -1 ||
			    !addr_same((struct sockaddr *)&ss,
			    (const struct sockaddr *)&l->addr.sa))
				continue;
			if (listen(oldfds[j], l->backlog) == -1 ||
			    listen_tune(cfg, oldfds[j]) == -1) {
				(void)snprintf(err, errlen, "listen %s: %s",
				    l->addr.text, strerror(errno));
				goto fail;
			}
			fds[i] = oldfds[j];
		}
		if (fds[i] == -1 &&
		    (fds[i] = listen_open(cfg, l, err, errlen)) == -1)
			goto fail;
	}
	return (fds);
fail:
	/* close what this call opened, never what it was lent */
	for (i = 0; i < cfg->nlisteners; i++) {
		int lent = 0;

		for (j = 0; j < nold; j++)
			if (fds[i] == oldfds[j])
				lent = 1;
		if (fds[i] >= 0 && !lent)
			(void)close(fds[i]);
	}
	free(fds);
	return (NULL);
}
