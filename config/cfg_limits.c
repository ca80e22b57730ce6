/*
 * The per-client limits of the limits group: max_conns_per_client, rate
 * and burst, exempt, max_tunnels and min_rate (cfg.c reads the group's
 * size limits). worker/limit.c applies them.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <stdio.h>
#include <stdlib.h>

#include "config/cfg_parse.h"

#define CFG_MAX_RATE		1000000.0	/* requests/s */
#define CFG_MIN_RATE		0.001		/* one request in 1000 s */
#define CFG_MAX_BURST		1000000
#define CFG_MAX_CONNS		1000000
#define CFG_MAX_MIN_RATE	(1ULL << 30)	/* bytes/s */

/* A number, integer or not: 1 found, 0 absent, -1 error. */
static int
get_number(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const char *unit, double *out)
{
	const config_setting_t	*s = cfg_member(g, name);
	char			 path[CFG_PATHLEN];

	if (s == NULL)
		return (0);
	cfg_mkpath(path, where, name);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		*out = (double)config_setting_get_int64(s);
		return (1);
	case CONFIG_TYPE_FLOAT:
		*out = config_setting_get_float(s);
		return (1);
	default:
		return (cfg_bad(x, s, "%s must be a number (%s)", path, unit));
	}
}

int
cfg_parse_client_limits(struct ctx *x, const config_setting_t *g)
{
	struct cfg_limits	*l = &x->cfg->limits;
	int			 max = x->cfg->workers.max;
	long long		 n;
	uint64_t		 v;
	int			 r;

	l->max_conns_per_client = 0;
	l->rate = 0;
	l->burst = 1;
	l->exempt = NULL;
	l->nexempt = 0;
	/* tunnels hold a worker each: by default half of them at most */
	l->max_tunnels = (uint32_t)(max + 1) / 2;
	l->min_rate = 500;
	if (g == NULL)
		return (0);

	if ((r = cfg_get_int(x, g, "limits", "max_conns_per_client", 0,
	    CFG_MAX_CONNS, &n)) == -1)
		return (-1);
	if (r == 1)
		l->max_conns_per_client = (uint32_t)n;

	if ((r = get_number(x, g, "limits", "rate", "requests per second",
	    &l->rate)) == -1)
		return (-1);
	if (r == 1 && l->rate != 0 && !(l->rate >= CFG_MIN_RATE &&
	    l->rate <= CFG_MAX_RATE))
		return (cfg_bad(x, cfg_member(g, "rate"), "limits.rate must "
		    "be 0 (off) or between %g and %.0f requests per second, "
		    "not %g", CFG_MIN_RATE, CFG_MAX_RATE, l->rate));
	/* ceil(rate), at least 1: a second's worth of requests at once */
	l->burst = (uint32_t)l->rate;
	if ((double)l->burst < l->rate || l->burst == 0)
		l->burst++;
	if ((r = cfg_get_int(x, g, "limits", "burst", 1, CFG_MAX_BURST,
	    &n)) == -1)
		return (-1);
	if (r == 1) {
		if (l->rate == 0)
			return (cfg_bad(x, cfg_member(g, "burst"),
			    "limits.burst needs limits.rate > 0"));
		l->burst = (uint32_t)n;
	}

	if (cfg_parse_cidrs(x, g, "limits", "exempt", &l->exempt,
	    &l->nexempt) == -1)
		return (-1);

	if ((r = cfg_get_int(x, g, "limits", "max_tunnels", 0,
	    CFG_MAX_WORKERS, &n)) == -1)
		return (-1);
	if (r == 1) {
		if (n > max)
			return (cfg_bad(x, cfg_member(g, "max_tunnels"),
			    "limits.max_tunnels (%lld) must be <= workers.max "
			    "(%d)", n, max));
		l->max_tunnels = (uint32_t)n;
	}

	if ((r = cfg_get_size(x, g, "limits", "min_rate", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v > CFG_MAX_MIN_RATE)
			return (cfg_bad(x, cfg_member(g, "min_rate"),
			    "limits.min_rate must be <= 1G (bytes per "
			    "second), not %llu", (unsigned long long)v));
		l->min_rate = (uint32_t)v;
	}
	return (0);
}
