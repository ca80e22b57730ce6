/*
 * libconfig file -> struct cfg. Everything is checked here, once: types,
 * ranges, cross-field rules and references between sections, so the rest
 * of porter can trust the struct. Every complaint is "file:line: message"
 * naming the setting by its path ("listeners[1].routes[0].pool").
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <libconfig.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"

#define PATHLEN		128	/* "listeners[12].routes[3].host" and such */
#define MAX_DURATION	86400.0

struct ctx {
	struct cfg	*cfg;
	const char	*file;		/* as given, for settings without a line */
	char		*err;
	size_t		 errlen;
};

/*
 * Settings from the design contract that a later issue implements: naming
 * one says so instead of "unknown setting", and porter.conf may mention
 * them in comments. Keep each list next to the group it belongs to.
 */
static const char *const root_keys[] = {
	"pid_file", "error_log", "access_log", "log_level", "user", "group",
	"workers", "timeouts", "limits", "upstream_keepalive",
	"shutdown_timeout", "listeners", "pools", NULL
};
static const char *const root_later[] = { "cache", "status", NULL };
static const char *const workers_keys[] = {
	"start", "min_spare", "max_spare", "max", "max_requests", "count", NULL
};
static const char *const timeouts_keys[] = {
	"client_header", "client_body", "keepalive", "connect", "upstream",
	"tunnel_idle", NULL
};
static const char *const limits_keys[] = {
	"max_header_size", "max_uri_size", "max_body_size",
	"max_conns_per_client", NULL
};
static const char *const listener_keys[] = {
	"listen", "mode", "backlog", "routes", NULL
};
static const char *const listener_later[] = {
	"allow", "deny", "connect_ports", "anonymous", "block_hosts",
	"deny_private", NULL
};
static const char *const route_keys[] = { "host", "path", "pool", NULL };
static const char *const route_later[] = { "cache", "default_ttl", NULL };
static const char *const pool_keys[] = { "name", "balance", "servers", NULL };
static const char *const pool_later[] = {
	"health", "max_fails", "fail_timeout", "retries", NULL
};
static const char *const server_keys[] = {
	"address", "weight", "backup", NULL
};
static const char *const server_later[] = { "max_conns", NULL };
static const char *const no_keys[] = { NULL };

static int	 bad(struct ctx *, const config_setting_t *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/*
 * "file:line: msg", or "file: msg" for line 0. An @include'd file is
 * named as written in the directive, relative to cfg->dir: say so.
 */
static void
report(struct ctx *x, const char *file, unsigned line, const char *msg)
{
	const char	*dir = "", *sep = "";
	size_t		 dl;

	if (x->err == NULL || x->errlen == 0)
		return;
	if (file == NULL)
		file = x->file;
	if (strcmp(file, x->file) != 0 && file[0] != '/' && x->cfg != NULL &&
	    x->cfg->dir != NULL) {
		dir = x->cfg->dir;
		dl = strlen(dir);
		sep = dl > 0 && dir[dl - 1] == '/' ? "" : "/";
	}
	if (line > 0)
		snprintf(x->err, x->errlen, "%s%s%s:%u: %s", dir, sep, file,
		    line, msg);
	else
		snprintf(x->err, x->errlen, "%s%s%s: %s", dir, sep, file, msg);
}

/* Format the error at a setting; -1 so callers can "return (bad(...))". */
static int
bad(struct ctx *x, const config_setting_t *at, const char *fmt, ...)
{
	char	 msg[CFG_ERRLEN];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at != NULL)
		report(x, config_setting_source_file(at),
		    config_setting_source_line(at), msg);
	else
		report(x, NULL, 0, msg);
	return (-1);
}

/* where.name, or where.name[i] when i >= 0; long paths are cut short. */
static void
mkpath_i(char *buf, const char *where, const char *name, int i)
{
	char	 idx[16] = "";
	int	 n;

	if (i >= 0)
		snprintf(idx, sizeof(idx), "[%d]", i);
	n = snprintf(buf, PATHLEN, "%s%s%s%s", where, where[0] ? "." : "",
	    name, idx);
	if (n < 0 || n >= PATHLEN)
		buf[PATHLEN - 1] = '\0';
}

static void
mkpath(char *buf, const char *where, const char *name)
{
	mkpath_i(buf, where, name, -1);
}

static int
in_list(const char *name, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strcmp(name, *list) == 0)
			return (1);
	return (0);
}

/* Edit distance, for "did you mean"; names are short. */
static int
distance(const char *a, const char *b)
{
	int	 row[64], i, j, prev, cur, la = strlen(a), lb = strlen(b);

	if (lb >= 64 || la >= 64)
		return (99);
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			cur = row[j];
			row[j] = prev + (a[i - 1] != b[j - 1]);
			if (row[j] > row[j - 1] + 1)
				row[j] = row[j - 1] + 1;
			if (row[j] > cur + 1)
				row[j] = cur + 1;
			prev = cur;
		}
	}
	return (row[lb]);
}

/* Every member of g must be in known (or in later, which is refused). */
static int
check_keys(struct ctx *x, const config_setting_t *g, const char *where,
    const char *const *known, const char *const *later)
{
	const config_setting_t	*s;
	const char		*name, *best;
	const char *const	*k;
	char			 path[PATHLEN], hint[PATHLEN + 32];
	int			 i, n, d, bestd;

	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, i);
		name = config_setting_name(s);
		if (name == NULL || in_list(name, known))
			continue;
		mkpath(path, where, name);
		if (in_list(name, later))
			return (bad(x, s, "%s is not supported yet", path));
		best = NULL;
		bestd = 3;
		for (k = known; *k != NULL; k++) {
			d = distance(name, *k);
			if (d < bestd) {
				bestd = d;
				best = *k;
			}
		}
		hint[0] = '\0';
		if (best != NULL) {
			mkpath(path, where, best);
			snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)",
			    path);
			mkpath(path, where, name);
		}
		return (bad(x, s, "unknown setting \"%s\"%s", path, hint));
	}
	return (0);
}

static config_setting_t *
member(const config_setting_t *g, const char *name)
{
	return (config_setting_get_member(g, name));
}

/*
 * libconfig 1.5 silently wraps decimal integers that do not fit in 32 bits
 * (5000000000 reads as 705032704). Look at the literals written for this
 * name on the setting's source line: any too big for 32 bits means the
 * value was wrapped. Several settings of one name may share the line
 * ("{ weight = 1; }, { weight = 2; }"), so no literal is compared with the
 * value. If nothing is found, trust libconfig.
 */
static int
int_wrapped(struct ctx *x, const config_setting_t *s)
{
	const char	*file = config_setting_source_file(s);
	const char	*name = config_setting_name(s), *p, *q;
	unsigned	 line = config_setting_source_line(s), n = 0;
	unsigned long long uv;
	long long	 v;
	char		*buf = NULL, path[PATH_MAX], *end;
	size_t		 cap = 0, nlen;
	FILE		*fp;
	int		 wrapped = 0;

	if (file == NULL || name == NULL || line == 0 ||
	    config_setting_type(s) != CONFIG_TYPE_INT)
		return (0);
	/* An @include'd file is named relative to cfg->dir. */
	if (file[0] != '/' && strcmp(file, x->file) != 0) {
		snprintf(path, sizeof(path), "%s/%s", x->cfg->dir, file);
		file = path;
	}
	if ((fp = fopen(file, "r")) == NULL)
		return (0);
	while (getline(&buf, &cap, fp) != -1)
		if (++n == line)
			break;
	fclose(fp);
	if (n != line || buf == NULL) {
		free(buf);
		return (0);
	}
	nlen = strlen(name);
	for (p = buf; !wrapped && (p = strstr(p, name)) != NULL; p += nlen) {
		if (p > buf && (isalnum((unsigned char)p[-1]) ||
		    p[-1] == '_' || p[-1] == '-' || p[-1] == '*'))
			continue;
		q = p + nlen;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=' && *q != ':')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		errno = 0;
		if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
			uv = strtoull(q, &end, 16);
			wrapped = errno == ERANGE || uv > UINT32_MAX;
		} else {
			v = strtoll(q, &end, 10);
			wrapped = end != q && (errno == ERANGE ||
			    v > INT32_MAX || v < INT32_MIN);
		}
		/* "5000000000L" is an int64 literal: not wrapped. */
		if (wrapped && (*end == 'L' || *end == 'l'))
			wrapped = 0;
	}
	free(buf);
	return (wrapped);
}

/* 1 found, 0 absent (out untouched), -1 error. */
static int
get_int(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, long long min, long long max, long long *out)
{
	const config_setting_t	*s = member(g, name);
	char			 path[PATHLEN];
	long long		 v;

	if (s == NULL)
		return (0);
	mkpath(path, where, name);
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return (bad(x, s, "%s must be an integer", path));
	if (int_wrapped(x, s))
		return (bad(x, s, "%s: number too large for a 32-bit integer "
		    "(add an L suffix, e.g. 5000000000L)", path));
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		if (max >= LONG_MAX)
			return (bad(x, s, "%s must be >= %lld, not %lld",
			    path, min, v));
		return (bad(x, s, "%s must be between %lld and %lld, not %lld",
		    path, min, max, v));
	}
	*out = v;
	return (1);
}

/* A duration in seconds, > 0 and <= a day. */
static int
get_duration(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, double *out)
{
	const config_setting_t	*s = member(g, name);
	char			 path[PATHLEN];
	double			 v;

	if (s == NULL)
		return (0);
	mkpath(path, where, name);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (int_wrapped(x, s))
			return (bad(x, s, "%s must be > 0 and <= %.0f seconds",
			    path, MAX_DURATION));
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	default:
		return (bad(x, s, "%s must be a number (seconds)", path));
	}
	if (!(v > 0 && v <= MAX_DURATION))
		return (bad(x, s, "%s must be > 0 and <= %.0f seconds, not %g",
		    path, MAX_DURATION, v));
	*out = v;
	return (1);
}

/* Bytes: an integer, or a string with an optional K/M/G suffix. */
static int
get_size(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, uint64_t *out)
{
	const config_setting_t	*s = member(g, name);
	char			 path[PATHLEN];
	long long		 v;

	if (s == NULL)
		return (0);
	mkpath(path, where, name);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (int_wrapped(x, s))
			return (bad(x, s, "%s: number too large for a 32-bit "
			    "integer (write it as a string, e.g. \"5G\")",
			    path));
		v = config_setting_get_int64(s);
		if (v < 0)
			return (bad(x, s, "%s must not be negative", path));
		*out = (uint64_t)v;
		return (1);
	case CONFIG_TYPE_STRING:
		if (cfg_parse_size(config_setting_get_string(s), out) == -1)
			return (bad(x, s, "%s: bad size \"%s\" (bytes, or a "
			    "number with K, M or G)", path,
			    config_setting_get_string(s)));
		return (1);
	default:
		return (bad(x, s, "%s must be a size: an integer or a string "
		    "like \"64M\"", path));
	}
}

static int
get_string(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const char **out)
{
	const config_setting_t	*s = member(g, name);
	char			 path[PATHLEN];

	if (s == NULL)
		return (0);
	mkpath(path, where, name);
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return (bad(x, s, "%s must be a string", path));
	if (config_setting_get_string(s)[0] == '\0')
		return (bad(x, s, "%s must not be empty", path));
	*out = config_setting_get_string(s);
	return (1);
}

static int
get_bool(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int *out)
{
	const config_setting_t	*s = member(g, name);
	char			 path[PATHLEN];

	if (s == NULL)
		return (0);
	mkpath(path, where, name);
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return (bad(x, s, "%s must be true or false", path));
	*out = config_setting_get_bool(s);
	return (1);
}

/* A required string: missing is blamed on the enclosing group g. */
static int
need_string(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const char **out)
{
	char	 path[PATHLEN];
	int	 r;

	if ((r = get_string(x, g, where, name, out)) != 0)
		return (r);
	mkpath(path, where, name);
	return (bad(x, g, "%s is required", path));
}

/* An optional group; absent gives 0, a non-group an error. */
static int
get_group(struct ctx *x, const config_setting_t *g, const char *name,
    const config_setting_t **out)
{
	const config_setting_t	*s = member(g, name);

	*out = NULL;
	if (s == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return (bad(x, s, "%s must be a group: %s = { ... };",
		    name, name));
	*out = s;
	return (1);
}

/*
 * A list of groups: ( { ... }, { ... } ). An empty array [] is accepted as
 * an empty list since libconfig cannot tell them apart when empty.
 */
static int
get_list(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const config_setting_t **out)
{
	const config_setting_t	*s = member(g, name), *e;
	char			 path[PATHLEN];
	int			 i;

	*out = NULL;
	if (s == NULL)
		return (0);
	mkpath(path, where, name);
	if (config_setting_type(s) == CONFIG_TYPE_ARRAY &&
	    config_setting_length(s) == 0) {
		*out = s;
		return (1);
	}
	if (config_setting_type(s) != CONFIG_TYPE_LIST)
		return (bad(x, s, "%s must be a list of groups: "
		    "%s = ( { ... }, ... );", path, name));
	for (i = 0; i < config_setting_length(s); i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return (bad(x, e, "%s[%d] must be a group { ... }",
			    path, i));
	}
	*out = s;
	return (1);
}

static char *
xstrdup(struct ctx *x, const config_setting_t *at, const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		bad(x, at, "out of memory");
	return (p);
}

/* "stderr" stays; an absolute path stays; anything else joins cfg->dir. */
static char *
resolve(struct ctx *x, const config_setting_t *at, const char *p)
{
	const char	*dir = x->cfg->dir;
	size_t		 dl = strlen(dir), n = dl + strlen(p) + 2;
	char		*out;

	if (strcmp(p, "stderr") == 0 || p[0] == '/')
		return (xstrdup(x, at, p));
	if ((out = malloc(n)) == NULL) {
		bad(x, at, "out of memory");
		return (NULL);
	}
	snprintf(out, n, "%s%s%s", dir,
	    dl > 0 && dir[dl - 1] == '/' ? "" : "/", p);
	return (out);
}

static int
parse_top(struct ctx *x, const config_setting_t *root)
{
	static const char *const levels[] = { "error", "warn", "info",
	    "debug", NULL };
	struct cfg	*c = x->cfg;
	const char	*v;
	long long	 n;
	int		 i, r;

	if ((r = get_string(x, root, "", "pid_file", &v)) == -1)
		return (-1);
	if (r == 1 && (c->pid_file = resolve(x, member(root, "pid_file"),
	    v)) == NULL)
		return (-1);

	v = "stderr";
	if (get_string(x, root, "", "error_log", &v) == -1)
		return (-1);
	if ((c->error_log = resolve(x, member(root, "error_log"), v)) == NULL)
		return (-1);

	v = "off";
	if (get_string(x, root, "", "access_log", &v) == -1)
		return (-1);
	if (strcmp(v, "off") != 0 && (c->access_log = resolve(x,
	    member(root, "access_log"), v)) == NULL)
		return (-1);

	c->log_level = CFG_LOG_INFO;
	if ((r = get_string(x, root, "", "log_level", &v)) == -1)
		return (-1);
	if (r == 1) {
		for (i = 0; levels[i] != NULL; i++)
			if (strcmp(v, levels[i]) == 0)
				break;
		if (levels[i] == NULL)
			return (bad(x, member(root, "log_level"),
			    "log_level must be one of error, warn, info, "
			    "debug; not \"%s\"", v));
		c->log_level = CFG_LOG_ERROR + i;
	}

	if ((r = get_string(x, root, "", "user", &v)) == -1)
		return (-1);
	if (r == 1 && (c->user = xstrdup(x, member(root, "user"), v)) == NULL)
		return (-1);
	if ((r = get_string(x, root, "", "group", &v)) == -1)
		return (-1);
	if (r == 1 && (c->group = xstrdup(x, member(root, "group"),
	    v)) == NULL)
		return (-1);

	c->upstream_keepalive = 16;
	if ((r = get_int(x, root, "", "upstream_keepalive", 0, 1024, &n)) == -1)
		return (-1);
	if (r == 1)
		c->upstream_keepalive = (int)n;

	c->shutdown_timeout = 30.0;
	if (get_duration(x, root, "", "shutdown_timeout",
	    &c->shutdown_timeout) == -1)
		return (-1);
	return (0);
}

/*
 * Defaults that were not written give way to values that were, so
 * "workers = { max = 2; }" works; written values that disagree are an
 * error, blamed on the setting the message names first if it was written,
 * else on the other one, else on the group.
 */
static int
parse_workers(struct ctx *x, const config_setting_t *root)
{
	struct cfg_workers	*w = &x->cfg->workers;
	const config_setting_t	*g, *s, *ms, *xs, *ss, *bl;
	long long		 v;
	int			 r, has_start, has_min, has_max_spare;

	w->start = 4;
	w->min_spare = 2;
	w->max_spare = 8;
	w->max = 64;
	w->max_requests = 0;
	if ((r = get_group(x, root, "workers", &g)) <= 0)
		return (r);
	if (check_keys(x, g, "workers", workers_keys, no_keys) == -1)
		return (-1);

	if (member(g, "count") != NULL) {
		if (config_setting_length(g) > 1) {
			s = config_setting_get_elem(g, 0);
			if (strcmp(config_setting_name(s), "count") == 0)
				s = config_setting_get_elem(g, 1);
			return (bad(x, s, "workers.count cannot be combined "
			    "with workers.%s", config_setting_name(s)));
		}
		if (get_int(x, g, "workers", "count", 1, CFG_MAX_WORKERS,
		    &v) == -1)
			return (-1);
		w->start = w->min_spare = w->max_spare = w->max = (int)v;
		return (0);
	}

	if ((r = get_int(x, g, "workers", "max", 1, CFG_MAX_WORKERS, &v)) == -1)
		return (-1);
	if (r == 1)
		w->max = (int)v;
	if ((r = get_int(x, g, "workers", "min_spare", 0, CFG_MAX_WORKERS,
	    &v)) == -1)
		return (-1);
	if ((has_min = r) == 1)
		w->min_spare = (int)v;
	if ((r = get_int(x, g, "workers", "max_spare", 0, CFG_MAX_WORKERS,
	    &v)) == -1)
		return (-1);
	if ((has_max_spare = r) == 1)
		w->max_spare = (int)v;
	if ((r = get_int(x, g, "workers", "start", 1, CFG_MAX_WORKERS,
	    &v)) == -1)
		return (-1);
	if ((has_start = r) == 1)
		w->start = (int)v;
	if ((r = get_int(x, g, "workers", "max_requests", 0, LONG_MAX,
	    &v)) == -1)
		return (-1);
	if (r == 1)
		w->max_requests = (long)v;

	/* Bend the defaults around what was written. */
	if (!has_max_spare) {
		if (has_min && w->min_spare > w->max_spare)
			w->max_spare = w->min_spare;
		if (w->max_spare > w->max)
			w->max_spare = w->max;
	}
	if (!has_min && w->min_spare > w->max_spare)
		w->min_spare = w->max_spare;
	if (!has_start && w->start > w->max)
		w->start = w->max;

	ms = member(g, "min_spare");
	xs = member(g, "max_spare");
	ss = member(g, "start");
	bl = member(g, "max");
	if (w->min_spare > w->max_spare)
		return (bad(x, xs ? xs : ms ? ms : g, "workers.max_spare (%d) "
		    "must be >= workers.min_spare (%d)", w->max_spare,
		    w->min_spare));
	if (w->max_spare > w->max)
		return (bad(x, xs ? xs : bl ? bl : g, "workers.max_spare (%d) "
		    "must be <= workers.max (%d)", w->max_spare, w->max));
	if (w->start > w->max)
		return (bad(x, ss ? ss : bl ? bl : g, "workers.start (%d) "
		    "must be <= workers.max (%d)", w->start, w->max));
	return (0);
}

static int
parse_timeouts(struct ctx *x, const config_setting_t *root)
{
	struct cfg_timeouts	*t = &x->cfg->timeouts;
	const config_setting_t	*g;
	int			 r;

	t->client_header = 10.0;
	t->client_body = 30.0;
	t->keepalive = 5.0;
	t->connect = 3.0;
	t->upstream = 60.0;
	t->tunnel_idle = 300.0;
	if ((r = get_group(x, root, "timeouts", &g)) <= 0)
		return (r);
	if (check_keys(x, g, "timeouts", timeouts_keys, no_keys) == -1 ||
	    get_duration(x, g, "timeouts", "client_header",
	    &t->client_header) == -1 ||
	    get_duration(x, g, "timeouts", "client_body",
	    &t->client_body) == -1 ||
	    get_duration(x, g, "timeouts", "keepalive", &t->keepalive) == -1 ||
	    get_duration(x, g, "timeouts", "connect", &t->connect) == -1 ||
	    get_duration(x, g, "timeouts", "upstream", &t->upstream) == -1 ||
	    get_duration(x, g, "timeouts", "tunnel_idle",
	    &t->tunnel_idle) == -1)
		return (-1);
	return (0);
}

static int
parse_limits(struct ctx *x, const config_setting_t *root)
{
	struct cfg_limits	*l = &x->cfg->limits;
	const config_setting_t	*g;
	uint64_t		 v;
	long long		 n;
	int			 r;

	l->max_header_size = 16384;
	l->max_uri_size = 8192;
	l->max_body_size = 0;
	if ((r = get_group(x, root, "limits", &g)) <= 0)
		return (r);
	if (check_keys(x, g, "limits", limits_keys, no_keys) == -1)
		return (-1);
	if ((r = get_size(x, g, "limits", "max_header_size", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v < 1024 || v > 1048576)
			return (bad(x, member(g, "max_header_size"),
			    "limits.max_header_size must be between 1024 and "
			    "1048576 (1M), not %llu", (unsigned long long)v));
		l->max_header_size = (uint32_t)v;
		if (l->max_uri_size > l->max_header_size)
			l->max_uri_size = l->max_header_size;
	}
	if ((r = get_size(x, g, "limits", "max_uri_size", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v < 256 || v > l->max_header_size)
			return (bad(x, member(g, "max_uri_size"),
			    "limits.max_uri_size must be between 256 and "
			    "limits.max_header_size (%u), not %llu",
			    l->max_header_size, (unsigned long long)v));
		l->max_uri_size = (uint32_t)v;
	}
	if (get_size(x, g, "limits", "max_body_size", &l->max_body_size) == -1)
		return (-1);
	if ((r = get_int(x, g, "limits", "max_conns_per_client", 0, LLONG_MAX,
	    &n)) == -1)
		return (-1);
	if (r == 1 && n != 0)
		return (bad(x, member(g, "max_conns_per_client"),
		    "limits.max_conns_per_client is not supported yet "
		    "(only 0 is accepted)"));
	return (0);
}

static int
addr_eq(const struct cfg_addr *a, const struct cfg_addr *b)
{
	const struct sockaddr_in	*a4, *b4;
	const struct sockaddr_in6	*a6, *b6;

	if (a->sa.ss_family != b->sa.ss_family)
		return (0);
	if (a->sa.ss_family == AF_INET) {
		a4 = (const struct sockaddr_in *)&a->sa;
		b4 = (const struct sockaddr_in *)&b->sa;
		return (a4->sin_port == b4->sin_port &&
		    a4->sin_addr.s_addr == b4->sin_addr.s_addr);
	}
	if (a->sa.ss_family == AF_INET6) {
		a6 = (const struct sockaddr_in6 *)&a->sa;
		b6 = (const struct sockaddr_in6 *)&b->sa;
		return (a6->sin6_port == b6->sin6_port &&
		    a6->sin6_scope_id == b6->sin6_scope_id &&
		    memcmp(&a6->sin6_addr, &b6->sin6_addr,
		    sizeof(a6->sin6_addr)) == 0);
	}
	return (a->salen == b->salen && memcmp(&a->sa, &b->sa, a->salen) == 0);
}

/* An address setting, resolved (names only when !numeric_only). */
static int
get_addr(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int numeric_only, struct cfg_addr *out)
{
	const char	*v;
	char		 path[PATHLEN], aerr[CFG_ERRLEN];

	if (need_string(x, g, where, name, &v) == -1)
		return (-1);
	mkpath(path, where, name);
	if (cfg_parse_addr(v, numeric_only, out, aerr, sizeof(aerr)) == -1)
		return (bad(x, member(g, name), "%s: %s", path, aerr));
	return (0);
}

static int
parse_server(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_server *sv)
{
	long long	 n;
	int		 b;

	sv->line = config_setting_source_line(g);
	sv->weight = 1;
	if (check_keys(x, g, where, server_keys, server_later) == -1 ||
	    get_addr(x, g, where, "address", 0, &sv->addr) == -1)
		return (-1);
	switch (get_int(x, g, where, "weight", 1, 1000, &n)) {
	case -1:
		return (-1);
	case 1:
		sv->weight = (int)n;
	}
	b = 0;
	if (get_bool(x, g, where, "backup", &b) == -1)
		return (-1);
	if (b)
		return (bad(x, member(g, "backup"), "%s.backup is not "
		    "supported yet (only false is accepted)", where));
	return (0);
}

static int
parse_balance(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_pool *p)
{
	static const char *const later[] = { "least_conn", "hash", "random2",
	    NULL };
	const char	*v;
	int		 r;

	p->balance = CFG_BAL_ROUND_ROBIN;
	if ((r = get_string(x, g, where, "balance", &v)) <= 0)
		return (r);
	if (strcmp(v, "round_robin") == 0)
		return (0);
	if (in_list(v, later))
		return (bad(x, member(g, "balance"), "%s.balance \"%s\" is "
		    "not supported yet (use \"round_robin\")", where, v));
	return (bad(x, member(g, "balance"), "%s.balance: unknown value "
	    "\"%s\" (valid: round_robin; later: least_conn, hash, random2)",
	    where, v));
}

static int
parse_pool(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_pool *p)
{
	const config_setting_t	*list;
	const char		*v;
	char			 sw[PATHLEN];
	int			 i, j, r;

	p->line = config_setting_source_line(g);
	if (check_keys(x, g, where, pool_keys, pool_later) == -1 ||
	    need_string(x, g, where, "name", &v) == -1)
		return (-1);
	if ((p->name = xstrdup(x, member(g, "name"), v)) == NULL)
		return (-1);
	if (parse_balance(x, g, where, p) == -1)
		return (-1);

	if ((r = get_list(x, g, where, "servers", &list)) == -1)
		return (-1);
	if (r == 0 || config_setting_length(list) == 0)
		return (bad(x, r ? list : g, "%s.servers: at least one server "
		    "is required", where));
	p->nservers = config_setting_length(list);
	if ((p->servers = calloc(p->nservers, sizeof(*p->servers))) == NULL)
		return (bad(x, list, "out of memory"));
	for (i = 0; i < p->nservers; i++) {
		mkpath_i(sw, where, "servers", i);
		if (parse_server(x, config_setting_get_elem(list, i), sw,
		    &p->servers[i]) == -1)
			return (-1);
		for (j = 0; j < i; j++)
			if (addr_eq(&p->servers[j].addr, &p->servers[i].addr))
				return (bad(x, member(config_setting_get_elem(
				    list, i), "address"), "%s.address \"%s\" "
				    "duplicates %s.servers[%d] (line %d)", sw,
				    p->servers[i].addr.text, where, j,
				    p->servers[j].line));
	}
	return (0);
}

static int
parse_pools(struct ctx *x, const config_setting_t *root)
{
	struct cfg		*c = x->cfg;
	const config_setting_t	*list, *g;
	char			 where[PATHLEN];
	int			 i, j, r;

	if ((r = get_list(x, root, "", "pools", &list)) <= 0)
		return (r);
	if ((c->npools = config_setting_length(list)) == 0)
		return (0);
	if ((c->pools = calloc(c->npools, sizeof(*c->pools))) == NULL)
		return (bad(x, list, "out of memory"));
	for (i = 0; i < c->npools; i++) {
		g = config_setting_get_elem(list, i);
		mkpath_i(where, "", "pools", i);
		if (parse_pool(x, g, where, &c->pools[i]) == -1)
			return (-1);
		for (j = 0; j < i; j++)
			if (strcmp(c->pools[j].name, c->pools[i].name) == 0)
				return (bad(x, member(g, "name"), "%s.name: "
				    "duplicate pool \"%s\" (first defined at "
				    "line %d)", where, c->pools[i].name,
				    c->pools[j].line));
	}
	return (0);
}

/* "*", a host name, "*.suffix" or "[v6]"; lower-cased in place. */
static int
host_ok(char *h)
{
	struct in6_addr	 a6;
	char		*p, *label, buf[64];
	size_t		 n = strlen(h), ll;

	for (p = h; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	if (strcmp(h, "*") == 0)
		return (1);
	if (h[0] == '[') {
		if (n < 3 || n - 2 >= sizeof(buf) || h[n - 1] != ']')
			return (0);
		memcpy(buf, h + 1, n - 2);
		buf[n - 2] = '\0';
		return (inet_pton(AF_INET6, buf, &a6) == 1);
	}
	if (h[0] == '*' && h[1] == '.')
		h += 2;
	if (strlen(h) > 253)
		return (0);
	for (label = p = h;; p++) {
		if (*p == '.' || *p == '\0') {
			ll = p - label;
			if (ll == 0 || ll > 63 || *label == '-' ||
			    p[-1] == '-')
				return (0);
			if (*p == '\0')
				return (1);
			label = p + 1;
		} else if (!isalnum((unsigned char)*p) && *p != '-' &&
		    *p != '_')
			return (0);
	}
}

static int
pool_index(const struct cfg *c, const char *name)
{
	int	 i;

	for (i = 0; i < c->npools; i++)
		if (strcmp(c->pools[i].name, name) == 0)
			return (i);
	return (-1);
}

static int
parse_route(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_route *rt)
{
	const config_setting_t	*s;
	const char		*v;
	const unsigned char	*p;

	rt->line = config_setting_source_line(g);
	if (check_keys(x, g, where, route_keys, route_later) == -1)
		return (-1);

	v = "*";
	if (get_string(x, g, where, "host", &v) == -1)
		return (-1);
	if ((rt->host = xstrdup(x, g, v)) == NULL)
		return (-1);
	if (!host_ok(rt->host))
		return (bad(x, member(g, "host"), "%s.host: bad host \"%s\" "
		    "(\"*\", a name, or \"*.example.com\")", where, v));

	v = "/";
	if (get_string(x, g, where, "path", &v) == -1)
		return (-1);
	if (v[0] != '/')
		return (bad(x, member(g, "path"), "%s.path must start with "
		    "\"/\", not \"%s\"", where, v));
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '#')
			return (bad(x, member(g, "path"), "%s.path: bad "
			    "character in \"%s\"", where, v));
	if ((rt->path = xstrdup(x, g, v)) == NULL)
		return (-1);
	rt->path_len = strlen(rt->path);

	if (need_string(x, g, where, "pool", &v) == -1)
		return (-1);
	s = member(g, "pool");
	if ((rt->pool = pool_index(x->cfg, v)) == -1)
		return (bad(x, s, "%s: unknown pool \"%s\"%s", where, v,
		    x->cfg->npools == 0 ? " (no pools are defined)" : ""));
	return (0);
}

static int
parse_reverse(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_listener *l)
{
	const config_setting_t	*list;
	char			 rw[PATHLEN];
	int			 i, j, r;

	if ((r = get_list(x, g, where, "routes", &list)) == -1)
		return (-1);
	if (r == 0 || config_setting_length(list) == 0)
		return (bad(x, r ? list : g, "%s.routes: a reverse listener "
		    "needs at least one route", where));
	l->nroutes = config_setting_length(list);
	if ((l->routes = calloc(l->nroutes, sizeof(*l->routes))) == NULL)
		return (bad(x, list, "out of memory"));
	for (i = 0; i < l->nroutes; i++) {
		mkpath_i(rw, where, "routes", i);
		if (parse_route(x, config_setting_get_elem(list, i), rw,
		    &l->routes[i]) == -1)
			return (-1);
		for (j = 0; j < i; j++)
			if (strcmp(l->routes[i].host, l->routes[j].host) == 0 &&
			    strcmp(l->routes[i].path, l->routes[j].path) == 0)
				return (bad(x, config_setting_get_elem(list,
				    i), "%s: same host and path as "
				    "%s.routes[%d] (line %d)", rw, where, j,
				    l->routes[j].line));
	}
	return (0);
}

static int
parse_listener(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_listener *l)
{
	const config_setting_t	*s;
	const char		*v;
	long long		 n;

	l->line = config_setting_source_line(g);
	l->backlog = 511;
	if (check_keys(x, g, where, listener_keys, listener_later) == -1 ||
	    get_addr(x, g, where, "listen", 1, &l->addr) == -1 ||
	    need_string(x, g, where, "mode", &v) == -1)
		return (-1);
	s = member(g, "mode");
	if (strcmp(v, "reverse") == 0)
		l->mode = CFG_MODE_REVERSE;
	else if (strcmp(v, "forward") == 0)
		l->mode = CFG_MODE_FORWARD;
	else
		return (bad(x, s, "%s.mode must be \"reverse\" or \"forward\", "
		    "not \"%s\"", where, v));
	switch (get_int(x, g, where, "backlog", 1, 65535, &n)) {
	case -1:
		return (-1);
	case 1:
		l->backlog = (int)n;
	}

	switch (l->mode) {
	case CFG_MODE_REVERSE:
		return (parse_reverse(x, g, where, l));
	case CFG_MODE_FORWARD:
	default:
		return (bad(x, s, "%s.mode: forward mode is not supported yet",
		    where));
	}
}

static int
parse_listeners(struct ctx *x, const config_setting_t *root)
{
	struct cfg		*c = x->cfg;
	const config_setting_t	*list;
	char			 where[PATHLEN];
	int			 i, j, r;

	if ((r = get_list(x, root, "", "listeners", &list)) == -1)
		return (-1);
	if (r == 0 || config_setting_length(list) == 0)
		return (bad(x, list, "listeners: at least one listener is "
		    "required"));
	c->nlisteners = config_setting_length(list);
	if ((c->listeners = calloc(c->nlisteners, sizeof(*c->listeners))) ==
	    NULL)
		return (bad(x, list, "out of memory"));
	for (i = 0; i < c->nlisteners; i++) {
		mkpath_i(where, "", "listeners", i);
		if (parse_listener(x, config_setting_get_elem(list, i), where,
		    &c->listeners[i]) == -1)
			return (-1);
		for (j = 0; j < i; j++)
			if (addr_eq(&c->listeners[j].addr,
			    &c->listeners[i].addr))
				return (bad(x, member(config_setting_get_elem(
				    list, i), "listen"), "%s.listen \"%s\" "
				    "duplicates listeners[%d] (line %d)",
				    where, c->listeners[i].addr.text, j,
				    c->listeners[j].line));
	}
	return (0);
}

/* The file's folder, absolute, for relative paths and @include. */
static char *
folder_of(const char *path)
{
	char	*copy, *dir;

	if ((copy = strdup(path)) == NULL)
		return (NULL);
	dir = realpath(dirname(copy), NULL);
	free(copy);
	return (dir);
}

struct cfg *
cfg_load(const char *path, char *err, size_t errlen)
{
	struct ctx		 x;
	config_t		 lc;
	const config_setting_t	*root;
	int			 rc = -1, e;

	memset(&x, 0, sizeof(x));
	x.file = path;
	x.err = err;
	x.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if (path == NULL || path[0] == '\0') {
		bad(&x, NULL, "no configuration file given");
		return (NULL);
	}
	if ((x.cfg = calloc(1, sizeof(*x.cfg))) == NULL ||
	    (x.cfg->file = strdup(path)) == NULL) {
		bad(&x, NULL, "out of memory");
		cfg_free(x.cfg);
		return (NULL);
	}
	if ((x.cfg->dir = folder_of(path)) == NULL) {
		bad(&x, NULL, "%s", strerror(errno));
		cfg_free(x.cfg);
		return (NULL);
	}

	config_init(&lc);
	config_set_include_dir(&lc, x.cfg->dir);
	errno = 0;
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		e = errno;
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			bad(&x, NULL, "%s", e ? strerror(e) : "cannot read");
		else
			report(&x, config_error_file(&lc),
			    config_error_line(&lc) > 0 ?
			    config_error_line(&lc) : 0,
			    config_error_text(&lc));
		goto out;
	}

	root = config_root_setting(&lc);
	if (check_keys(&x, root, "", root_keys, root_later) == -1 ||
	    parse_top(&x, root) == -1 ||
	    parse_workers(&x, root) == -1 ||
	    parse_timeouts(&x, root) == -1 ||
	    parse_limits(&x, root) == -1 ||
	    parse_pools(&x, root) == -1 ||
	    parse_listeners(&x, root) == -1)
		goto out;
	rc = 0;
out:
	config_destroy(&lc);
	if (rc == -1) {
		cfg_free(x.cfg);
		return (NULL);
	}
	return (x.cfg);
}

void
cfg_free(struct cfg *c)
{
	int	 i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nlisteners && c->listeners != NULL; i++) {
		for (j = 0; j < c->listeners[i].nroutes &&
		    c->listeners[i].routes != NULL; j++) {
			free(c->listeners[i].routes[j].host);
			free(c->listeners[i].routes[j].path);
		}
		free(c->listeners[i].routes);
	}
	free(c->listeners);
	for (i = 0; i < c->npools && c->pools != NULL; i++) {
		free(c->pools[i].name);
		free(c->pools[i].servers);
	}
	free(c->pools);
	free(c->file);
	free(c->dir);
	free(c->pid_file);
	free(c->error_log);
	free(c->access_log);
	free(c->user);
	free(c->group);
	free(c);
}

static int
addr_err(char *err, size_t errlen, const char *text, const char *why)
{
	if (err != NULL && errlen > 0)
		snprintf(err, errlen, "bad address \"%.300s\": %s", text, why);
	errno = EINVAL;
	return (-1);
}

int
cfg_parse_addr(const char *text, int numeric_only, struct cfg_addr *a,
    char *err, size_t errlen)
{
	struct addrinfo		 hints, *res;
	struct sockaddr_in	*sin;
	const char		*p, *end, *port;
	struct in6_addr		 in6;
	char			 host[256], v6[256], why[400];
	unsigned long		 pn;
	size_t			 hlen;
	int			 bracket = 0, e;

	memset(a, 0, sizeof(*a));
	if (strlen(text) >= sizeof(a->text))
		return (addr_err(err, errlen, text, "too long"));
	if (text[0] == '[') {
		if ((end = strchr(text, ']')) == NULL)
			return (addr_err(err, errlen, text, "missing \"]\""));
		bracket = 1;
		p = text + 1;
		hlen = end - p;
		if (end[1] == '\0')
			return (addr_err(err, errlen, text, "missing port"));
		if (end[1] != ':')
			return (addr_err(err, errlen, text,
			    "expected \":PORT\" after \"]\""));
		port = end + 2;
	} else {
		if ((end = strrchr(text, ':')) == NULL)
			return (addr_err(err, errlen, text, "missing port"));
		if (memchr(text, ':', end - text) != NULL)
			return (addr_err(err, errlen, text, "IPv6 addresses "
			    "need brackets, as in \"[::1]:8080\""));
		p = text;
		hlen = end - text;
		port = end + 1;
	}
	if (hlen == 0)
		return (addr_err(err, errlen, text,
		    "missing host (\"*:PORT\" means all addresses)"));
	if (hlen >= sizeof(host))
		return (addr_err(err, errlen, text, "host name too long"));
	memcpy(host, p, hlen);
	host[hlen] = '\0';

	if (*port == '\0')
		return (addr_err(err, errlen, text, "missing port"));
	if (strspn(port, "0123456789") != strlen(port) || strlen(port) > 5 ||
	    (pn = strtoul(port, NULL, 10)) < 1 || pn > 65535)
		return (addr_err(err, errlen, text, "port must be 1-65535"));

	if (!bracket && strcmp(host, "*") == 0) {
		sin = (struct sockaddr_in *)&a->sa;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons((uint16_t)pn);
		a->salen = sizeof(*sin);
		strcpy(a->text, text);
		return (0);
	}

	/* getaddrinfo() takes odd things in brackets ("[*]"); be strict. */
	if (bracket) {
		memcpy(v6, host, hlen + 1);
		v6[strcspn(v6, "%")] = '\0';
		if (inet_pton(AF_INET6, v6, &in6) != 1) {
			snprintf(why, sizeof(why), "\"%s\" is not an IPv6 "
			    "address", host);
			return (addr_err(err, errlen, text, why));
		}
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = bracket ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if (numeric_only || bracket)
		hints.ai_flags |= AI_NUMERICHOST;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		if (numeric_only && e == EAI_NONAME)
			snprintf(why, sizeof(why), "\"%s\" is not a numeric "
			    "IP address (needed here, e.g. 127.0.0.1, [::1] "
			    "or *)", host);
		else
			snprintf(why, sizeof(why), "%s", e == EAI_SYSTEM ?
			    strerror(errno) : gai_strerror(e));
		return (addr_err(err, errlen, text, why));
	}
	if (res->ai_addrlen > sizeof(a->sa)) {
		freeaddrinfo(res);
		return (addr_err(err, errlen, text, "address too long"));
	}
	memcpy(&a->sa, res->ai_addr, res->ai_addrlen);
	a->salen = res->ai_addrlen;
	freeaddrinfo(res);
	strcpy(a->text, text);
	return (0);
}

int
cfg_parse_size(const char *text, uint64_t *out)
{
	const char	*p = text;
	uint64_t	 v = 0, mul = 1;
	unsigned	 d;

	if (text == NULL || !isdigit((unsigned char)*p)) {
		errno = EINVAL;
		return (-1);
	}
	for (; isdigit((unsigned char)*p); p++) {
		d = *p - '0';
		if (v > (UINT64_MAX - d) / 10) {
			errno = ERANGE;
			return (-1);
		}
		v = v * 10 + d;
	}
	switch (*p) {
	case '\0':
		break;
	case 'k': case 'K':
		mul = 1ULL << 10;
		p++;
		break;
	case 'm': case 'M':
		mul = 1ULL << 20;
		p++;
		break;
	case 'g': case 'G':
		mul = 1ULL << 30;
		p++;
		break;
	default:
		errno = EINVAL;
		return (-1);
	}
	if (*p != '\0') {
		errno = EINVAL;
		return (-1);
	}
	if (v > UINT64_MAX / mul) {
		errno = ERANGE;
		return (-1);
	}
	*out = v * mul;
	return (0);
}
