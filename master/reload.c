#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "master/listen.h"
#include "master/master.h"
#include "shared/health.h"

/* Same family, address and port (sockaddr padding and scope aside). */
static int
sa_same(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return (0);
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a;
		const struct sockaddr_in *y = (const void *)b;

		return (x->sin_port == y->sin_port &&
		    x->sin_addr.s_addr == y->sin_addr.s_addr);
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a;
		const struct sockaddr_in6 *y = (const void *)b;

		return (x->sin6_port == y->sin6_port &&
		    memcmp(&x->sin6_addr, &y->sin6_addr,
		    sizeof(x->sin6_addr)) == 0);
	}
	return (0);
}

int *
master_listeners(const struct cfg *cfg, const int *oldfds, int nold,
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
			    !sa_same(&ss, &l->addr.sa))
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
	struct cfg *nc;
	struct privs pv;
	char err[CFG_ERRLEN];
	int *fds;

	if ((nc = cfg_load(m->cfg_path, err, sizeof(err))) == NULL) {
		log_error("reload: %s; keeping the running configuration", err);
		return (-1);
	}
	/*
	 * Old and new workers share the scoreboard while the old ones
	 * finish, so it was sized for twice workers.max at start; like
	 * Apache's ServerLimit, growing past that takes a full restart.
	 */
	if ((uint32_t)nc->workers.max * 2 > m->nslots ||
	    (uint32_t)nc->npools > m->shm.hdr->npools ||
	    hc_assign(&m->shm, nc, m->cfg) == -1) {
		log_error("reload: %s: workers.max %d, %d pools or %d servers "
		    "need a larger shared segment than this master made (%u "
		    "slots, %u pools, %u servers); stop and start porter to "
		    "apply it; keeping the running configuration", m->cfg_path,
		    nc->workers.max, nc->npools, cfg_nservers(nc), m->nslots,
		    m->shm.hdr->npools, m->shm.hdr->nrows);
		cfg_free(nc);
		return (-1);
	}
	if (privs_resolve(nc, &pv, err, sizeof(err)) == -1) {
		log_error("reload: %s; keeping the running configuration", err);
		cfg_free(nc);
		return (-1);
	}
	if ((fds = master_listeners(nc, m->lfds, m->cfg->nlisteners, err,
	    sizeof(err))) == NULL) {
		log_error("reload: %s; keeping the running configuration", err);
		cfg_free(nc);
		return (-1);
	}
	if (log_open(nc->error_log) == -1)
		log_warn("reload: error_log %s (still logging to the old one)",
		    nc->error_log);
	if (log_access_open(nc->access_log) == -1)
		log_warn("reload: access_log %s", nc->access_log);
	log_set_level(nc->log_level + 1);

	close_unused(m->lfds, m->cfg->nlisteners, fds, nc->nlisteners);
	free(m->lfds);
	m->lfds = fds;
	cfg_free(m->cfg);
	m->cfg = nc;
	m->privs = pv;
	return (0);
}
