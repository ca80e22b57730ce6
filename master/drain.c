#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "master/drain.h"
#include "master/master.h"
#include "master/pidfile.h"
#include "shared/health.h"

/* FNV-1a of "pool/address", 31 bits: bit 0 of the value says undrain. */
static uint32_t
name_hash(const char *pool, const char *addr)
{
	uint32_t h = 2166136261u;
	const char *p;

	for (p = pool; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (p = addr; *p != '\0'; p++)
		h = (h ^ (uint8_t)*p) * 16777619u;
	return (h & 0x7ffffffe);
}

int
drain_request(const struct cfg *c, const char *action, const char *name)
{
	union sigval v;
	const struct cfg_pool *p;
	const struct cfg_server *srv;
	pid_t pid;
	int undrain = strcmp(action, "undrain") == 0;

	if ((srv = cfg_server_named(c, name, &p)) == NULL) {
		(void)fprintf(stderr, "porter: -s %s: no server %s in %s (name "
		    "it as POOL/ADDRESS, the address as the config writes "
		    "it)\n", action, name, c->file);
		return (1);
	}
	if (c->pid_file == NULL || pidfile_read(c->pid_file, &pid) == -1 ||
	    !pidfile_is_porter(pid)) {
		(void)fprintf(stderr, "porter: -s %s: porter is not running "
		    "(pid file %s)\n", action, c->pid_file != NULL ?
		    c->pid_file : "not set");
		return (1);
	}
	v.sival_int = (int)(name_hash(p->name, srv->addr.text) |
	    (uint32_t)undrain);
	if (sigqueue(pid, DRAIN_SIGNAL, v) == -1) {
		(void)fprintf(stderr, "porter: -s %s: signal %ld: %s\n", action,
		    (long)pid, strerror(errno));
		return (1);
	}
	return (0);
}

void
drain_apply(struct master *m, int v)
{
	const struct cfg *c = m->cfg;
	uint32_t h = (uint32_t)v & 0x7ffffffe;
	int i, j, n = 0;

	for (i = 0; i < c->npools; i++)
		for (j = 0; j < c->pools[i].nservers; j++) {
			const struct cfg_server *s = &c->pools[i].servers[j];

			if (name_hash(c->pools[i].name, s->addr.text) != h)
				continue;
			hc_set_draining(&m->shm, m->rows[cfg_server_index(
			    &c->pools[i], j)], !(v & 1));
			n++;
		}
	if (n == 0)
		log_warnx("drain request for a server the running "
		    "configuration does not have (reload first?)");
}
