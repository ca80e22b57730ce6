#include "config.h"

#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <time.h>

#include "shared/futex.h"
#include "shared/jobs.h"

#define JOBS_MAGIC	0x736a6f62ULL	/* "jobs" */

struct job_slot {
	uint64_t		id;
	int			state;		/* enum job_state; written last */
	uint64_t		result;
	int64_t			queued_ms, done_ms;
	struct job_spec		spec;
} __attribute__((aligned(64)));

struct jobs {
	uint64_t		magic;
	uint32_t		layout;		/* JOBS_LAYOUT */
	uint32_t		nslots;
	pthread_mutex_t		m;		/* robust, process-shared */
	uint64_t		next_id;	/* under m */
	_Atomic uint32_t	queued;		/* QUEUED jobs: jobs_wait reads
						   it without the lock */
	_Atomic uint32_t	seq;		/* futex word: bumped by
						   jobs_add */
	struct job_slot		slot[] __attribute__((aligned(64)));
};

/* store_now_ms()'s clock, without linking the store. */
static int64_t
now_ms(void)
{
	struct timespec ts;

	(void)clock_gettime(CLOCK_REALTIME, &ts);
	return ((int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
}

size_t
jobs_size(uint32_t nslots)
{
	size_t n;

	if (nslots == 0 || nslots > 65535)
		return (0);
	n = sizeof(struct jobs) + (size_t)nslots * sizeof(struct job_slot);
	return ((n + 63) & ~(size_t)63);
}

int
jobs_init(void *at, uint32_t nslots)
{
	struct jobs *j = at;
	pthread_mutexattr_t a;
	int e;

	if (jobs_size(nslots) == 0) {
		errno = EINVAL;
		return (-1);
	}
	if ((e = pthread_mutexattr_init(&a)) != 0) {
		errno = e;
		return (-1);
	}
	if ((e = pthread_mutexattr_setpshared(&a,
	    PTHREAD_PROCESS_SHARED)) == 0 &&
	    (e = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST)) == 0)
		e = pthread_mutex_init(&j->m, &a);
	(void)pthread_mutexattr_destroy(&a);
	if (e != 0) {
		errno = e;
		return (-1);
	}
	j->nslots = nslots;
	j->next_id = 1;
	atomic_store(&j->queued, 0);
	atomic_store(&j->seq, 0);
	/* zeroed memory: every slot JOB_FREE */
	j->layout = JOBS_LAYOUT;
	j->magic = JOBS_MAGIC;
	return (0);
}

struct jobs *
jobs_at(void *at)
{
	struct jobs *j = at;

	if (j == NULL || ((uintptr_t)at & 63) != 0 ||
	    j->magic != JOBS_MAGIC || j->layout != JOBS_LAYOUT)
		return (NULL);
	return (j);
}

/*
 * A dead owner held the lock for a few stores at most: a slot whose
 * state was not yet written is still FREE (or what it was), so the table
 * is usable as it is; only the queued count is recounted.
 */
static void
lock(struct jobs *j)
{
	uint32_t i, q = 0;
	int e = pthread_mutex_lock(&j->m);

	if (e == EOWNERDEAD) {
		for (i = 0; i < j->nslots; i++)
			if (j->slot[i].state == JOB_QUEUED)
				q++;
		atomic_store(&j->queued, q);
		(void)pthread_mutex_consistent(&j->m);
		return;
	}
	assert(e == 0);
}

static void
unlock(struct jobs *j)
{
	(void)pthread_mutex_unlock(&j->m);
}

static int
live(int state)
{
	return (state == JOB_QUEUED || state == JOB_RUNNING);
}

uint64_t
jobs_add(struct jobs *j, const struct job_spec *spec, int *dup)
{
	struct job_slot *s, *pick = NULL;
	uint64_t id = 0;
	uint32_t i;

	if (dup != NULL)
		*dup = 0;
	if (spec->kind == JOB_NONE || spec->kind > JOB_SWEEP ||
	    spec->len > JOB_DATA_MAX)
		return (0);
	lock(j);
	for (i = 0; i < j->nslots; i++) {
		s = &j->slot[i];
		if (spec->kind == JOB_REFRESH && live(s->state) &&
		    s->spec.kind == JOB_REFRESH &&
		    s->spec.hash == spec->hash) {
			id = s->id;
			if (dup != NULL)
				*dup = 1;
			unlock(j);
			return (id);
		}
		/* a free slot, else the longest-finished one */
		if (s->state == JOB_FREE) {
			if (pick == NULL || pick->state != JOB_FREE)
				pick = s;
		} else if (!live(s->state) && (pick == NULL ||
		    (pick->state != JOB_FREE && s->id < pick->id)))
			pick = s;
	}
	if (pick != NULL) {
		pick->state = JOB_FREE;	/* not findable while half-written */
		pick->id = id = j->next_id++;
		pick->result = 0;
		pick->queued_ms = now_ms();
		pick->done_ms = 0;
		memcpy(&pick->spec, spec, offsetof(struct job_spec, data) +
		    spec->len);
		atomic_fetch_add(&j->queued, 1);
		pick->state = JOB_QUEUED;
	}
	unlock(j);
	if (id != 0) {
		atomic_fetch_add(&j->seq, 1);
		(void)futex_wake(&j->seq, INT_MAX);
	}
	return (id);
}

uint64_t
jobs_take(struct jobs *j, struct job_spec *out)
{
	struct job_slot *s, *pick = NULL;
	uint32_t i;
	uint64_t id = 0;

	if (atomic_load(&j->queued) == 0)
		return (0);
	lock(j);
	for (i = 0; i < j->nslots; i++) {
		s = &j->slot[i];
		if (s->state == JOB_QUEUED && (pick == NULL || s->id < pick->id))
			pick = s;
	}
	if (pick != NULL) {
		memcpy(out, &pick->spec, offsetof(struct job_spec, data) +
		    pick->spec.len);
		id = pick->id;
		atomic_fetch_sub(&j->queued, 1);
		pick->state = JOB_RUNNING;
	}
	unlock(j);
	return (id);
}

static struct job_slot *
find(struct jobs *j, uint64_t id)
{
	uint32_t i;

	if (id == 0)
		return (NULL);
	for (i = 0; i < j->nslots; i++)
		if (j->slot[i].id == id && j->slot[i].state != JOB_FREE)
			return (&j->slot[i]);
	return (NULL);
}

void
jobs_finish(struct jobs *j, uint64_t id, int state, uint64_t result)
{
	struct job_slot *s;

	if (state != JOB_DONE && state != JOB_DROPPED)
		return;
	lock(j);
	if ((s = find(j, id)) != NULL && s->state == JOB_RUNNING) {
		s->result = result;
		s->done_ms = now_ms();
		s->state = state;
	}
	unlock(j);
}

int
jobs_requeue(struct jobs *j)
{
	uint32_t i;
	int n = 0;

	lock(j);
	for (i = 0; i < j->nslots; i++)
		if (j->slot[i].state == JOB_RUNNING) {
			atomic_fetch_add(&j->queued, 1);
			j->slot[i].state = JOB_QUEUED;
			n++;
		}
	unlock(j);
	return (n);
}

int
jobs_get(struct jobs *j, uint64_t id, struct job_view *v)
{
	struct job_slot *s;
	int rc = -1;

	lock(j);
	if ((s = find(j, id)) != NULL) {
		v->id = s->id;
		v->kind = s->spec.kind;
		v->state = s->state;
		v->result = s->result;
		v->queued_ms = s->queued_ms;
		v->done_ms = s->done_ms;
		rc = 0;
	}
	unlock(j);
	return (rc);
}

void
jobs_wait(struct jobs *j, int64_t deadline_ms)
{
	struct timespec rel;
	uint32_t seq;
	int64_t left;

	/* seq before the count: a jobs_add after this read bumps seq, so
	   the futex does not sleep through it */
	seq = atomic_load(&j->seq);
	if (atomic_load(&j->queued) > 0)
		return;
	if ((left = deadline_ms - now_ms()) <= 0)
		return;
	rel.tv_sec = (time_t)(left / 1000);
	rel.tv_nsec = (long)(left % 1000) * 1000000L;
	(void)futex_wait(&j->seq, seq, &rel);
}

void
jobs_counts(struct jobs *j, uint32_t *queued, uint32_t *running)
{
	uint32_t i, r = 0;

	*queued = atomic_load(&j->queued);
	/* a glance for a status page: no lock, a torn count is harmless */
	for (i = 0; i < j->nslots; i++)
		if (__atomic_load_n(&j->slot[i].state, __ATOMIC_RELAXED) ==
		    JOB_RUNNING)
			r++;
	*running = r;
}
