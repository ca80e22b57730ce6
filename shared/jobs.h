/*
 * The job table: background work the workers (and the control socket)
 * hand to the cache keeper, which must never hold a client's worker:
 * stale-while-revalidate refreshes, prefix and tag purges, sweeps.
 *
 * A fixed table in the segment (a part laid out by shm_create with the
 * cache), a robust process-shared mutex held only for a few memory
 * operations (never across I/O), and a futex word the keeper sleeps on.
 * Any process may die at any instruction: a dead lock owner leaves at
 * most one slot half-written, and a slot's state is written last, so the
 * next locker marks the mutex consistent and goes on. A keeper that dies
 * with a job RUNNING leaves it for its successor's jobs_requeue: every
 * job is idempotent, so it is redone, never half-applied.
 */
#ifndef PORTER_SHARED_JOBS_H
#define PORTER_SHARED_JOBS_H

#include <stddef.h>
#include <stdint.h>

#define JOBS_LAYOUT	1
#define JOBS_SLOTS	256	/* the table shm_create lays out */
#define JOB_DATA_MAX	1024

enum job_kind {
	JOB_NONE,
	JOB_REFRESH,		/* stale-while-revalidate: refetch a key */
	JOB_PURGE_PREFIX,
	JOB_PURGE_TAG,
	JOB_SWEEP		/* expired entries out now */
};

enum job_state {
	JOB_FREE,
	JOB_QUEUED,
	JOB_RUNNING,
	JOB_DONE,
	JOB_DROPPED		/* not done (and never will be) */
};

#define JOB_F_SOFT	0x1	/* purge: mark stale, do not delete */

struct job_spec {
	int		kind;		/* enum job_kind */
	uint32_t	flags;		/* JOB_F_* */
	uint64_t	hash;		/* REFRESH: the cache key's hash (at most
					   one QUEUED or RUNNING per hash);
					   PURGE_TAG: the tag's 64-bit hash */
	uint32_t	listener, route;	/* REFRESH: whose settings */
	int64_t		not_after;	/* PURGE_*: entries whose fill started
					   before this (ms) are hit */
	uint32_t	len;		/* of data, <= JOB_DATA_MAX */
	char		data[JOB_DATA_MAX];	/* PURGE_PREFIX: the key prefix;
					   REFRESH: what the keeper needs to
					   redo the request (keeper's format) */
};

struct job_view {
	uint64_t	id;
	int		kind, state;
	uint64_t	result;		/* purges: entries removed or marked */
	int64_t		queued_ms, done_ms;
};

struct jobs;			/* the table's header, in the segment */
struct shm;

/* Bytes the table takes for nslots jobs (1..65535; 0 out of range),
   a multiple of 64. */
size_t		jobs_size(uint32_t nslots);

/*
 * The master, once, on jobs_size(nslots) zeroed bytes at at (64-aligned,
 * shared with every process). 0, or -1 with errno (EINVAL, or what
 * pthread_mutex_init said).
 */
int		jobs_init(void *at, uint32_t nslots);

/* The table at at (64-aligned) if its magic and layout are this build's,
   else NULL. */
struct jobs	*jobs_at(void *at);

/*
 * Queue *spec (its len <= JOB_DATA_MAX; kind not JOB_NONE): its id, > 0.
 * A REFRESH whose hash is already QUEUED or RUNNING queues nothing: that
 * job's id, with *dup = 1 (dup may be NULL; 0 otherwise). 0 when the
 * table is full (every slot QUEUED or RUNNING: nothing queued) or spec is
 * bad. Wakes the keeper.
 */
uint64_t	jobs_add(struct jobs *, const struct job_spec *, int *dup);

/* The keeper: the oldest QUEUED job becomes RUNNING and is copied to
   *out: its id, or 0 when none is queued. */
uint64_t	jobs_take(struct jobs *, struct job_spec *out);

/* The keeper, done with RUNNING job id: state JOB_DONE or JOB_DROPPED,
   with result (purges: entries removed or marked). Unknown ids: no-op. */
void		jobs_finish(struct jobs *, uint64_t id, int state,
		    uint64_t result);

/*
 * The keeper at start: RUNNING jobs (its predecessor died) back to
 * QUEUED, so a job is redone, never half-applied (every job is
 * idempotent). Returns how many.
 */
int		jobs_requeue(struct jobs *);

/* A job by id (done ones are kept until their slot is reused): 0, or -1
   when the id is unknown (never queued, or its slot reused). */
int		jobs_get(struct jobs *, uint64_t id, struct job_view *);

/* The keeper sleeps until a job is queued (returns at once if one is)
   or deadline_ms (store_now_ms() clock) passes, or a signal. */
void		jobs_wait(struct jobs *, int64_t deadline_ms);

/* Jobs now QUEUED and RUNNING (for the status page). */
void		jobs_counts(struct jobs *, uint32_t *queued,
		    uint32_t *running);

/* Segment access, like shm_store(): NULL when the segment has no cache. */
struct jobs	*shm_jobs(const struct shm *);

#endif
