/*
 * Request ids (X-Request-Id): 128 random bits as 32 hex digits from a
 * per-worker generator (seeded once from the kernel: no system call per
 * request), or a client's own id where its listener trusts it.
 */
#ifndef PORTER_WORKER_REQID_H
#define PORTER_WORKER_REQID_H

#include <stddef.h>
#include <stdint.h>

#define REQID_MAX	128	/* a client's id: at most this many bytes */
#define REQID_LEN	32	/* porter's: hex digits */

struct reqid_rng {
	uint64_t	s[4];	/* xoshiro256** state */
};

/* Once per process (after fork: each worker its own sequence). */
void	reqid_seed(struct reqid_rng *);
/* A new id: REQID_LEN lower-case hex digits and a NUL into out. */
void	reqid_make(struct reqid_rng *, char *out);
/*
 * Whether a client's id may be kept: 1 to REQID_MAX bytes, each visible
 * ASCII (0x21-0x7e). Anything else is replaced by a new one.
 */
int	reqid_ok(const char *p, size_t n);

#endif
