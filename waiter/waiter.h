/*
 * The waiter process: holds client connections that are waiting for the
 * client (a head not all arrived, a kept-alive connection between
 * requests, a small body still arriving) so that no worker waits for
 * them, and hands each back to an idle worker once it has a request to
 * serve. Event-driven (epoll); it never talks to a backend.
 */
#ifndef PORTER_WAITER_WAITER_H
#define PORTER_WAITER_WAITER_H

#include <signal.h>

#include "shared/shm.h"

struct privs;

/* What the master hands the waiter at fork. */
struct waiter_args {
	const struct shm	*shm;		/* settings and figures: ->waiter */
	int			 park_fd;	/* workers park connections here */
	int			 ready_fd;	/* it hands them back here */
	sigset_t		 sigmask;	/* to restore once handlers are set */
	const struct privs	*privs;		/* switch to the workers' user */
};

void	waiter_main(const struct waiter_args *) __attribute__((noreturn));

/*
 * Bytes of a parked connection the waiter reads at most before handing
 * it over: a whole head and a small body (a worker's client buffer holds
 * max_header_size plus this).
 */
#define WAITER_BODY_MAX	(64 * 1024)

#endif
