#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "lib/clock.h"
#include "lib/resolve.h"
#include "master/backends.h"
#include "shared/health.h"

/* Resolve a's host (a name or an address literal); 0, or -1 with err. */
static int
resolve_one(const struct cfg *c, const struct cfg_addr *a, int line,
    const char *where, struct addrlist *out, char *err, size_t errlen)
{
	const char *why;

	if (resolve_host_wait(a->host, a->port, out, &why) > 0)
		return (0);
	(void)snprintf(err, errlen, "%s:%d: %s \"%s\": %s", c->file, line,
	    where, a->text, why != NULL ? why : "no address");
	return (-1);
}

struct addrlist *
backends_resolve(const struct cfg *c, char *err, size_t errlen)
{
	struct addrlist *l, parent;
	char where[96];
	int i, j, n = cfg_nservers(c);

	if ((l = calloc((size_t)n + 1, sizeof(*l))) == NULL) {
		(void)snprintf(err, errlen, "%s: out of memory", c->file);
		return (NULL);
	}
	for (i = 0; i < c->npools; i++) {
		const struct cfg_pool *p = &c->pools[i];

		for (j = 0; j < p->nservers; j++) {
			(void)snprintf(where, sizeof(where),
			    "pools[%d].servers[%d].address", i, j);
			if (resolve_one(c, &p->servers[j].addr,
			    p->servers[j].line, where,
			    &l[cfg_server_index(p, j)], err, errlen) == -1)
				goto fail;
		}
	}
	for (i = 0; i < c->nlisteners; i++) {
		const struct cfg_listener *ls = &c->listeners[i];

		if (ls->mode != CFG_MODE_FORWARD || !ls->fwd.has_parent)
			continue;
		(void)snprintf(where, sizeof(where), "listeners[%d].parent", i);
		if (resolve_one(c, &ls->fwd.parent, ls->line, where, &parent,
		    err, errlen) == -1)
			goto fail;
	}
	return (l);
fail:
	free(l);
	return (NULL);
}

void
backends_publish(const struct shm *shm, const struct cfg *c,
    const uint32_t *rows, const struct addrlist *l)
{
	int64_t now = clock_now_ms();
	int i, j, k;

	for (i = 0; i < c->npools; i++)
		for (j = 0; j < c->pools[i].nservers; j++) {
			k = cfg_server_index(&c->pools[i], j);
			srvaddr_publish(&hc_row(shm, rows[k])->addr, &l[k],
			    now);
		}
}
