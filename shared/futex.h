/*
 * Futex wait and wake on a 32-bit word in the shared segment. The
 * segment is shared by forked processes (MAP_SHARED), so these are the
 * shared futex operations, never FUTEX_*_PRIVATE: a private futex is
 * keyed by the address space and would not wake another process.
 */
#ifndef PORTER_SHARED_FUTEX_H
#define PORTER_SHARED_FUTEX_H

#include <sys/syscall.h>

#include <linux/futex.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

/*
 * Sleep while *w == val, at most rel (NULL: no bound). 0 when woken (or
 * spuriously); -1 with errno EAGAIN (*w was not val), ETIMEDOUT or EINTR.
 * The caller re-checks its condition in every case.
 */
static inline int
futex_wait(_Atomic uint32_t *w, uint32_t val, const struct timespec *rel)
{
	return ((int)syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT, val, rel,
	    NULL, 0));
}

/* Wake up to n processes sleeping on w; how many were woken, or -1. */
static inline int
futex_wake(_Atomic uint32_t *w, int n)
{
	return ((int)syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE, n, NULL,
	    NULL, 0));
}

#endif
