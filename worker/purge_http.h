/*
 * Purging the cache over HTTP (issue 14): the PURGE method on a reverse
 * listener with purge_allow, and the status listener's purge action and
 * job pages. The store does the removing (store_purge_key for a URL, at
 * once; shared/purge.c's jobs, run by the cache keeper, for a prefix or
 * a tag).
 *
 *   PURGE /path                 that URL's key, every Vary variant: 200
 *                               with the count, 404 when nothing was there
 *   PURGE + Purge-Prefix: /p    keys of this Host whose path starts /p
 *   PURGE + Purge-Tag: name     objects whose Surrogate-Key or Cache-Tag
 *                               named it: both 202 with a job id at once
 *   PURGE + Purge-Job: ID       the job's state (queued, running, done,
 *                               dropped) and count
 *   Purge-Method: soft          mark stale instead of removing
 */
#ifndef PORTER_WORKER_PURGE_HTTP_H
#define PORTER_WORKER_PURGE_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "worker/client.h"

/* Whether c's request is a PURGE (methods are case-sensitive). */
int	purge_http_is(const struct conn *);

/*
 * A PURGE on reverse listener c->lst (its allow/deny passed, c->npath
 * set): 405 where purge_allow is not set, 403 for a client it does not
 * list, else the purge. Returns as answer_send (0: the connection goes
 * on).
 */
int	purge_http_request(struct conn *);

/*
 * The status listener's POST PATH/purge (cross-site checked by the
 * caller): parameters url=, prefix=, tag= (one of them) and soft=1, in
 * the query or a form body (application/x-www-form-urlencoded, up to
 * 4 KiB). A browser (Accept prefers HTML) is sent back to the page base.
 */
int	purge_http_status(struct conn *, const char *base, const char *query,
	    size_t qlen, int closing);

/* GET PATH/jobs/ID on the status listener: the job as JSON, or 404. */
int	purge_http_job(struct conn *, const char *id, size_t idlen,
	    int closing);

#endif
