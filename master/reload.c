#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "master/backends.h"
#include "master/checker_ctl.h"
#include "master/listen.h"
#include "master/master.h"
#include "master/privs.h"
#include "master/reload.h"
#include "shared/counters.h"
#include "shared/health.h"
#include "shared/shm.h"
#include "shared/store.h"

/*
 * The cache lives in the segment, which a reload keeps: so do its
 * objects. A new size (or chunk_size, max_object) takes a full restart,
 * like workers.max; the rest of the new configuration applies.
 */
static void
cache_check(struct master *m, const struct cfg *nc)
{
	struct store_params sp;

	if (nc->cache.size == 0)
		return;
	if (shm_store(&m->shm) == NULL) {
		log_warnx("reload: %s: the cache needs a shared segment part "
		    "this master did not make; stop and start porter to "
		    "cache (routes with cache = true serve uncached until "
		    "then)", m->cfg_path);
		return;
	}
	if ((nc->cache.path == NULL) != (m->cfg->cache.path == NULL) ||
	    (nc->cache.path != NULL &&
	    strcmp(nc->cache.path, m->cfg->cache.path) != 0))
		log_warnx("reload: %s: a new cache.path takes a stop and "
		    "start; the cache stays where it is", m->cfg_path);
	master_cache_params(nc, m->nslots, &sp);
	if (m->shm.cache_fd >= 0)
		sp.nslots *= 2;		/* a file has holds for two porters */
	if (store_size(&sp) != m->shm.hdr->cache_size ||
	    nc->cache.chunk_size != m->cfg->cache.chunk_size ||
	    nc->cache.max_object != m->cfg->cache.max_object)
		log_warnx("reload: %s: a new cache size, chunk_size or "
		    "max_object takes a stop and start; the cache keeps its "
		    "current ones and its objects", m->cfg_path);
}

/* Close the old sockets the new set does not use. */
static void
close_unused(const int *oldfds, int nold, const int *fds, int n)
{
	int i, j;

	for (j = 0; j < nold; j++) {
		int kept = 0;

		for (i = 0; i < n; i++)
			if (fds[i] == oldfds[j])
				kept = 1;
		/* old workers keep their own copies until they exit */
		if (!kept && oldfds[j] >= 0)
			(void)close(oldfds[j]);
	}
}

int
reload_config(struct master *m)
{
	struct addrlist *addrs = NULL;
	struct cfg *nc;
	struct privs pv;
	struct log_sinks *sinks;
	char err[CFG_ERRLEN];
	uint32_t *rows = NULL;
	int *fds;

	if ((nc = cfg_load(m->cfg_path, err, sizeof(err))) == NULL ||
	    (addrs = backends_resolve(nc, err, sizeof(err))) == NULL) {
		log_error("reload: %s; keeping the running configuration", err);
		cfg_free(nc);
		return (-1);
	}
	if ((rows = calloc((size_t)cfg_nservers(nc) + 1, sizeof(*rows))) ==
	    NULL) {
		log_error("reload: out of memory; keeping the running "
		    "configuration");
		goto fail;
	}
	/*
	 * Old and new workers share the scoreboard while the old ones
	 * finish, so it was sized for twice workers.max at start; like
	 * Apache's ServerLimit, growing past that takes a full restart.
	 */
	if ((uint32_t)nc->workers.max * 2 > m->nslots ||
	    (uint32_t)nc->npools > m->shm.hdr->npools ||
	    hc_assign(&m->shm, nc, m->cfg, rows) == -1) {
		log_error("reload: %s: workers.max %d, %d pools or %d servers "
		    "need a larger shared segment than this master made (%u "
		    "slots, %u pools, %u servers); stop and start porter to "
		    "apply it; keeping the running configuration", m->cfg_path,
		    nc->workers.max, nc->npools, cfg_nservers(nc), m->nslots,
		    m->shm.hdr->npools, m->shm.hdr->nrows);
		goto fail;
	}
	cache_check(m, nc);
	if (privs_resolve(nc, &pv, err, sizeof(err)) == -1) {
		log_error("reload: %s; keeping the running configuration", err);
		goto fail;
	}
	/* the new access logs must all open, or nothing changes */
	if ((sinks = log_sinks_open(nc->logs, nc->nlogs, err,
	    sizeof(err))) == NULL) {
		log_error("reload: %s; keeping the running configuration", err);
		goto fail;
	}
	if ((fds = listen_all(nc, m->lfds, m->cfg->nlisteners, err,
	    sizeof(err))) == NULL) {
		log_error("reload: %s; keeping the running configuration", err);
		log_sinks_free(sinks);
		goto fail;
	}
	if (log_open_dest(&nc->error_to) == -1)
		log_warn("reload: error_log %s (still logging to the old one)",
		    nc->error_log);
	log_sinks_use(sinks);
	log_set_level(nc->log_level + 1);

	close_unused(m->lfds, m->cfg->nlisteners, fds, nc->nlisteners);
	free(m->lfds);
	m->lfds = fds;
	/*
	 * The new addresses for every worker, old and new: the checker is
	 * the segment's other writer, so it goes first (its successor starts
	 * with the new generation).
	 */
	checker_ctl_end(m);
	backends_publish(&m->shm, nc, rows, addrs);
	ctr_lst_claim_all(&m->shm, nc);
	free(addrs);
	free(m->rows);
	m->rows = rows;
	cfg_free(m->cfg);
	m->cfg = nc;
	m->privs = pv;
	return (0);
fail:
	free(rows);
	free(addrs);
	cfg_free(nc);
	return (-1);
}
