/*
 * Purges that are jobs for the cache keeper (by key prefix, by tag), and
 * the tag hashes responses are indexed by. No HTTP here: the worker
 * (worker/purge_http.c) turns a request into a job_spec, the keeper's
 * loop calls purge_run_job with it, and the store does the scan
 * (store_purge_scan).
 */
#ifndef PORTER_SHARED_PURGE_H
#define PORTER_SHARED_PURGE_H

#include <stddef.h>
#include <stdint.h>

#include "shared/jobs.h"
#include "shared/store.h"

/* A tag's 64-bit hash: FNV-1a of its bytes (tags are case-sensitive). */
uint64_t	purge_tag_hash(const char *p, size_t n);

/*
 * The tags of a Surrogate-Key or Cache-Tag value v[0..len) (separated by
 * spaces, tabs or commas), hashed and added to tags[*n..cap), repeats
 * left out. 0, or -1 when they do not fit (*n then cap).
 */
int		purge_tags_parse(const char *v, size_t len, uint64_t *tags,
		    uint32_t *n, uint32_t cap);

/*
 * A prefix purge job in *spec: with a host, keys starting with
 * key[0..len) (the cache key's leading fields up to the end of the path
 * prefix, as cp_key_build writes them); without (key NULL), any host's
 * keys whose path starts with path[0..len). 0, or -1 when it does not
 * fit in the job.
 */
int		purge_spec_prefix(struct job_spec *, const char *key,
		    const char *path, size_t len, int soft, int64_t not_after);

/* A tag purge job in *spec. */
void		purge_spec_tag(struct job_spec *, uint64_t tag, int soft,
		    int64_t not_after);

/*
 * The keeper runs a JOB_PURGE_PREFIX or JOB_PURGE_TAG job: the entries
 * purged (for jobs_finish's result), or -1 for a job that is not a purge
 * or is malformed (then JOB_DROPPED). Idempotent: a job redone after a
 * keeper died mid-scan purges what is left.
 */
int64_t		purge_run_job(struct store *, const struct job_spec *);

#endif
