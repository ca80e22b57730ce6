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
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <libgen.h>
#include <limits.h>
#include <netdb.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "config/cfg.h"

#define PATHLEN		128	/* "listeners[12].routes[3].host" and such */
#define MAX_DURATION	86400.0
#define MAX_TEXT	65536	/* a return body or an error page, bytes */

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
	"shutdown_timeout", "listeners", "pools", "error_pages", "status", NULL
};
static const char *const root_later[] = { "cache", NULL };
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
	"listen", "mode", "backlog", "routes", "error_pages",
	"allow", "deny", "methods", "deny_paths", "require_headers",
	"deny_headers",
	"connect_ports", "forwarded_for", "anonymous", "anonymous_strip",
	"block_hosts", "allow_hosts", "block_urls", "block_file",
	"deny_private", "auth_file", "auth_realm", "parent", "parent_hosts",
	NULL
};
/* Of listener_keys, those that only one mode has. */
static const char *const reverse_only[] = {
	"routes", "methods", "deny_paths", "require_headers", "deny_headers",
	NULL
};
static const char *const forward_only[] = {
	"connect_ports", "forwarded_for", "anonymous", "anonymous_strip",
	"block_hosts", "allow_hosts", "block_urls", "block_file",
	"deny_private", "auth_file", "auth_realm", "parent", "parent_hosts",
	NULL
};
static const char *const status_keys[] = {
	"listen", "path", "allow", "deny", NULL
};
static const char *const route_keys[] = {
	"host", "path", "pool", "return", "max_body_size", "normalize",
	"allow_encoded_slash",
	"allow", "deny", "methods", "deny_paths", "require_headers",
	"deny_headers",
	"set_request_headers", "remove_request_headers",
	"set_response_headers", "remove_response_headers", NULL
};
static const char *const route_later[] = { "cache", "default_ttl", NULL };
static const char *const return_keys[] = {
	"status", "location", "body", NULL
};
static const char *const header_keys[] = { "name", "value", NULL };
static const char *const error_page_keys[] = { "status", "file", NULL };
static const char *const pool_keys[] = {
	"name", "balance", "hash_key", "servers", "health", "max_fails",
	"fail_timeout", "fail_status", "retries", "retry_methods", "initial",
	"slow_start", "queue_timeout", "resolve", NULL
};
static const char *const health_keys[] = {
	"path", "method", "host", "status", "body", "interval", "timeout",
	"rise", "fall", NULL
};
static const char *const server_keys[] = {
	"address", "weight", "backup", "max_conns", NULL
};
static const char *const no_keys[] = { NULL };

static int	 name_ok(const char *);
static int	 bad(struct ctx *, const config_setting_t *, const char *, ...)
		    __attribute__((format(printf, 3, 4)));
static int	 bad_line(struct ctx *, const char *, unsigned, const char *,
		    ...) __attribute__((format(printf, 4, 5)));

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

/* The same at a line of a file porter reads itself (block_file, ...). */
static int
bad_line(struct ctx *x, const char *file, unsigned line, const char *fmt,
    ...)
{
	char	 msg[CFG_ERRLEN];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(x, file, line, msg);
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

/* g's member name and, if there is one, its path ("where.name"). */
static const config_setting_t *
lookup(const config_setting_t *g, const char *where, const char *name,
    char *path)
{
	const config_setting_t	*s = member(g, name);

	if (s != NULL)
		mkpath(path, where, name);
	return (s);
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
	const config_setting_t	*s;
	char			 path[PATHLEN];
	long long		 v;

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
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

/* Seconds, > 0 (or >= 0 when zero_ok) and <= max. */
static int
get_secs(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int zero_ok, double max, double *out)
{
	const config_setting_t	*s;
	const char		*lo = zero_ok ? ">=" : ">";
	char			 path[PATHLEN];
	double			 v;

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (int_wrapped(x, s))
			return (bad(x, s, "%s must be %s 0 and <= %.0f seconds",
			    path, lo, max));
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	default:
		return (bad(x, s, "%s must be a number (seconds)", path));
	}
	if (!((zero_ok ? v >= 0 : v > 0) && v <= max))
		return (bad(x, s, "%s must be %s 0 and <= %.0f seconds, not %g",
		    path, lo, max, v));
	*out = v;
	return (1);
}

/* A duration in seconds, > 0 and <= a day. */
static int
get_duration(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, double *out)
{
	return (get_secs(x, g, where, name, 0, MAX_DURATION, out));
}

/* Bytes: an integer, or a string with an optional K/M/G suffix. */
static int
get_size(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, uint64_t *out)
{
	const config_setting_t	*s;
	char			 path[PATHLEN];
	long long		 v;

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
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

/* Like get_string, but "" is a value too (a body, a header value). */
static int
get_text(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const char **out)
{
	const config_setting_t	*s;
	char			 path[PATHLEN];

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return (bad(x, s, "%s must be a string", path));
	*out = config_setting_get_string(s);
	return (1);
}

/* A non-empty string. */
static int
get_string(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const char **out)
{
	char	path[PATHLEN];
	int	r = get_text(x, g, where, name, out);

	if (r != 1 || (*out)[0] != '\0')
		return (r);
	mkpath(path, where, name);
	return (bad(x, member(g, name), "%s must not be empty", path));
}

static int
get_bool(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int *out)
{
	const config_setting_t	*s;
	char			 path[PATHLEN];

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
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
	const config_setting_t	*s, *e;
	char			 path[PATHLEN];
	int			 i;

	*out = NULL;
	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
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

/* p as is when absolute, else joined to cfg->dir. */
static char *
in_dir(struct ctx *x, const config_setting_t *at, const char *p)
{
	const char	*dir = x->cfg->dir;
	size_t		 dl = strlen(dir), n = dl + strlen(p) + 2;
	char		*out;

	if (p[0] == '/')
		return (xstrdup(x, at, p));
	if ((out = malloc(n)) == NULL) {
		bad(x, at, "out of memory");
		return (NULL);
	}
	snprintf(out, n, "%s%s%s", dir,
	    dl > 0 && dir[dl - 1] == '/' ? "" : "/", p);
	return (out);
}

/* "stderr" stays; an absolute path stays; anything else joins cfg->dir. */
static char *
resolve(struct ctx *x, const config_setting_t *at, const char *p)
{
	if (strcmp(p, "stderr") == 0)
		return (xstrdup(x, at, p));
	return (in_dir(x, at, p));
}

/*
 * An array of non-empty strings, [ "a", "b" ] (or a list, ( "a", "b" )).
 * 1 found (*out may have no elements), 0 absent, -1 error.
 */
static int
get_strings(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const config_setting_t **out)
{
	const config_setting_t	*s, *e;
	char			 path[PATHLEN];
	int			 i;

	*out = NULL;
	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return (bad(x, s, "%s must be an array of strings: "
		    "%s = [ \"...\", ... ];", path, name));
	for (i = 0; i < config_setting_length(s); i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return (bad(x, e, "%s[%d] must be a string", path, i));
		if (config_setting_get_string(e)[0] == '\0')
			return (bad(x, e, "%s[%d] must not be empty", path, i));
	}
	*out = s;
	return (1);
}

/* get_list or get_strings, for get_array. */
typedef int	getter_fn(struct ctx *, const config_setting_t *, const char *,
		    const char *, const config_setting_t **);

/*
 * The start of a list read into a new array: the list, by get (get_list
 * or get_strings; *list is NULL when absent), and in *mem a zeroed array
 * of size-byte elements, one per member and extra more at the end (for
 * block_file's). Returns how many elements; 0 when there are none
 * (nothing allocated), -1 on error.
 */
static int
get_array(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, getter_fn *get, int extra, size_t size,
    const config_setting_t **list, void **mem)
{
	int	 n, r;

	*mem = NULL;
	if ((r = get(x, g, where, name, list)) == -1)
		return (-1);
	if ((n = (r == 1 ? config_setting_length(*list) : 0) + extra) == 0)
		return (0);
	if ((*mem = calloc(n, size)) == NULL)
		return (bad(x, *list, "out of memory"));
	return (n);
}

/*
 * An array of integers in [min, max], no two alike: [ 443, 8443 ] (or a
 * list); example is for the message. 1 found (*nout may be 0, *out then
 * NULL), 0 absent, -1 error.
 */
static int
get_ints(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, long long min, long long max, long long example,
    int **out, int *nout)
{
	const config_setting_t	*s, *e;
	char			 path[PATHLEN];
	long long		 v;
	int			 i, j, n;

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return (bad(x, s, "%s must be an array of integers: "
		    "%s = [ %lld, ... ];", path, name, example));
	if ((n = config_setting_length(s)) == 0)
		return (1);
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return (bad(x, s, "out of memory"));
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_INT &&
		    config_setting_type(e) != CONFIG_TYPE_INT64)
			return (bad(x, e, "%s[%d] must be an integer", path,
			    i));
		v = config_setting_get_int64(e);
		if (v < min || v > max)
			return (bad(x, e, "%s[%d] must be between %lld and "
			    "%lld, not %lld", path, i, min, max, v));
		for (j = 0; j < i; j++)
			if ((*out)[j] == v)
				return (bad(x, e, "%s[%d]: duplicate %lld "
				    "(already %s[%d])", path, i, v, path, j));
		(*out)[i] = (int)v;
	}
	return (1);
}

/* An RFC 9110 token: a method or a field name. Not locale-dependent. */
static int
is_token(const char *s)
{
	const char	*p;

	if (*s == '\0')
		return (0);
	for (p = s; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') ||
		    strchr("!#$%&'*+-.^_`|~", *p) != NULL))
			return (0);
	return (1);
}

/* For messages: a printf format, hence %%. */
#define TCHARS	"letters, digits and !#$%%&'*+-.^_`|~"

/*
 * A method a pool or a check sends or matches: a token with no lower-case
 * letter, since methods are case-sensitive and "get" is not GET.
 */
static int
method_ok(const char *s)
{
	const char	*p;

	for (p = s; *p != '\0'; p++)
		if (*p >= 'a' && *p <= 'z')
			return (0);
	return (is_token(s));
}

/*
 * Method names, no two alike: retry_methods = [ "POST" ] with upper
 * (method_ok: "post" would be a slip for POST), or methods = [ "GET",
 * "HEAD" ] without (any token, matched as the request line has it).
 * 0 or -1.
 */
static int
get_methods(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int upper, char ***out, int *nout)
{
	const config_setting_t	*list, *e;
	const char		*v;
	char			 path[PATHLEN];
	void			*mem;
	int			 i, j, n;

	if ((n = get_array(x, g, where, name, get_strings, 0, sizeof(**out),
	    &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	mkpath(path, where, name);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		v = config_setting_get_string(e);
		if (upper && !method_ok(v))
			return (bad(x, e, "%s[%d]: \"%s\" is not an upper-case "
			    "method name such as \"POST\"", path, i, v));
		if (!upper && !is_token(v))
			return (bad(x, e, "%s[%d]: \"%s\" is not a method name "
			    "(" TCHARS ")", path, i, v));
		for (j = 0; j < i; j++)
			if (strcmp((*out)[j], v) == 0)
				return (bad(x, e, "%s[%d]: duplicate method "
				    "\"%s\" (already %s[%d])", path, i, v,
				    path, j));
		if (((*out)[i] = xstrdup(x, e, v)) == NULL)
			return (-1);
	}
	return (0);
}

/* Flags the worker compiles its EREs with. */
#define RE_PATH	(REG_EXTENDED | REG_NOSUB)
#define RE_URL	(REG_EXTENDED | REG_ICASE | REG_NOSUB)

/* An ERE, compiled as the worker uses it; regerror's words if bad. */
static int
re_error(const char *src, int cflags, regex_t *re, char *why, size_t len)
{
	int	 e;

	if ((e = regcomp(re, src, cflags)) == 0)
		return (0);
	regerror(e, re, why, len);
	return (-1);
}

static int
compile_re(struct ctx *x, const config_setting_t *at, const char *path,
    const char *src, int cflags, regex_t *re)
{
	char	 why[256];

	if (re_error(src, cflags, re, why, sizeof(why)) == 0)
		return (0);
	return (bad(x, at, "%s: bad regular expression \"%s\": %s", path, src,
	    why));
}

/*
 * An array of EREs (deny_paths, block_urls), compiled with cflags, into
 * new arrays *re and their sources *src with extra empty slots at the end
 * (for block_file's); *nout counts every slot. (*src)[i] is set only once
 * (*re)[i] is compiled, so cfg_free knows what to regfree. 0 or -1.
 */
static int
get_res(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int cflags, int extra, char ***src, regex_t **re,
    int *nout)
{
	const config_setting_t	*list, *e;
	const char		*v;
	char			 path[PATHLEN];
	void			*mem;
	int			 i, n;

	if ((n = get_array(x, g, where, name, get_strings, extra,
	    sizeof(char *), &list, &mem)) <= 0)
		return (n);
	*src = mem;
	if ((*re = calloc(n, sizeof(regex_t))) == NULL)
		return (bad(x, list, "out of memory"));
	*nout = n;
	for (i = 0; i < n - extra; i++) {
		e = config_setting_get_elem(list, i);
		v = config_setting_get_string(e);
		mkpath_i(path, where, name, i);
		if (compile_re(x, e, path, v, cflags, &(*re)[i]) == -1)
			return (-1);
		if (((*src)[i] = strdup(v)) == NULL) {
			regfree(&(*re)[i]);
			return (bad(x, e, "out of memory"));
		}
	}
	return (0);
}

/*
 * A file read whole at load time, so a worker never touches the disk for
 * it and a missing file stops the load rather than a request: at most
 * max bytes (maxname says how much in words), NUL-terminated in *out.
 * Errors are blamed on the setting at, whose path is path.
 */
static int
slurp(struct ctx *x, const config_setting_t *at, const char *path,
    const char *file, size_t max, const char *maxname, char **out,
    size_t *lenp)
{
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0, cap;
	char		*buf, *p;
	int		 fd, e;

	*out = NULL;
	if ((fd = open(file, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		return (bad(x, at, "%s: cannot read \"%s\": %s", path, file,
		    strerror(errno)));
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		return (bad(x, at, "%s: cannot read \"%s\": %s", path, file,
		    strerror(e)));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return (bad(x, at, "%s: \"%s\" is not a regular file", path,
		    file));
	}
	/* One byte more than allowed tells a file that grew too big. */
	cap = (st.st_size >= 0 && (uint64_t)st.st_size < max ?
	    (size_t)st.st_size : max) + 1;
	if ((buf = malloc(cap + 1)) == NULL) {
		close(fd);
		return (bad(x, at, "out of memory"));
	}
	while (len <= max) {
		if (len == cap) {
			cap = cap > max / 2 ? max + 1 : cap * 2;
			if ((p = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				close(fd);
				return (bad(x, at, "out of memory"));
			}
			buf = p;
		}
		n = read(fd, buf + len, cap - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			e = errno;
			free(buf);
			close(fd);
			return (bad(x, at, "%s: cannot read \"%s\": %s", path,
			    file, strerror(e)));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > max) {
		free(buf);
		return (bad(x, at, "%s: \"%s\" is larger than %s", path, file,
		    maxname));
	}
	buf[len] = '\0';
	*out = buf;
	*lenp = len;
	return (0);
}

/* An error page's file, up to 64K. */
static int
read_page(struct ctx *x, const config_setting_t *at, const char *path,
    struct cfg_error_page *ep)
{
	return (slurp(x, at, path, ep->file, MAX_TEXT, "64K", &ep->body,
	    &ep->len));
}

/* The statuses porter answers by itself, so the only ones with pages. */
static const int page_statuses[] = {
	400, 403, 404, 405, 408, 413, 414, 429, 431,
	500, 501, 502, 503, 504, 505, 0
};

/* error_pages = ( { status = 404; file = "errors/404.html"; }, ... ); */
static int
parse_error_pages(struct ctx *x, const config_setting_t *g,
    const char *where, struct cfg_error_page **out, int *nout)
{
	const config_setting_t	*list, *e;
	struct cfg_error_page	*ep;
	const char		*v;
	char			 pw[PATHLEN], fp[PATHLEN], valid[128];
	void			*mem;
	long long		 st;
	size_t			 vl;
	int			 i, j, n, r;

	if ((n = get_array(x, g, where, "error_pages", get_list, 0,
	    sizeof(**out), &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		ep = &(*out)[i];
		mkpath_i(pw, where, "error_pages", i);
		if (check_keys(x, e, pw, error_page_keys, no_keys) == -1)
			return (-1);
		if ((r = get_int(x, e, pw, "status", 100, 999, &st)) == -1)
			return (-1);
		if (r == 0)
			return (bad(x, e, "%s.status is required", pw));
		for (j = 0; page_statuses[j] != 0; j++)
			if (page_statuses[j] == st)
				break;
		if (page_statuses[j] == 0) {
			valid[0] = '\0';
			for (j = 0; page_statuses[j] != 0; j++) {
				vl = strlen(valid);
				snprintf(valid + vl, sizeof(valid) - vl, "%s%d",
				    j ? ", " : "", page_statuses[j]);
			}
			return (bad(x, member(e, "status"), "%s.status: porter "
			    "never answers %lld by itself (valid: %s)", pw, st,
			    valid));
		}
		ep->status = (int)st;
		for (j = 0; j < i && (*out)[j].status != ep->status; j++)
			continue;
		if (j < i) {
			mkpath_i(fp, where, "error_pages", j);
			return (bad(x, member(e, "status"), "%s.status: "
			    "duplicate status %d (already in %s)", pw,
			    ep->status, fp));
		}
		if (need_string(x, e, pw, "file", &v) == -1 ||
		    (ep->file = in_dir(x, member(e, "file"), v)) == NULL)
			return (-1);
		mkpath(fp, pw, "file");
		if (read_page(x, member(e, "file"), fp, ep) == -1)
			return (-1);
	}
	return (0);
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
	return (addr_same((const struct sockaddr *)&a->sa,
	    (const struct sockaddr *)&b->sa));
}

/*
 * Two servers' addresses are the same server: the same numeric address,
 * or the same name (which is not resolved here) and port.
 */
static int
server_addr_eq(const struct cfg_addr *a, const struct cfg_addr *b)
{
	if (a->named || b->named)
		return (a->named && b->named && a->port == b->port &&
		    strcasecmp(a->host, b->host) == 0);
	return (addr_eq(a, b));
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
	if (check_keys(x, g, where, server_keys, no_keys) == -1 ||
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
	sv->backup = b;
	switch (get_int(x, g, where, "max_conns", 0, 100000, &n)) {
	case -1:
		return (-1);
	case 1:
		sv->max_conns = (int)n;
	}
	return (0);
}

/* A request target a check can send as is: "/", then no blanks. */
static int
target_ok(const char *v)
{
	const unsigned char	*p;

	if (v[0] != '/')
		return (0);
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f)
			return (0);
	return (1);
}

/* A Host field value: a name or an address, maybe with ":PORT". */
static int
host_field_ok(const char *v)
{
	const char	*p;

	for (p = v; *p != '\0'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._:[]", *p) != NULL))
			return (0);
	return (1);
}

/* health.status: 200, or "200-399" (or "200"). */
static int
parse_health_status(struct ctx *x, const config_setting_t *g,
    const char *where, struct cfg_health *h)
{
	const config_setting_t	*s = member(g, "status");
	const char		*v;
	char			 path[PATHLEN], *end;
	long			 lo, hi;
	long long		 n;

	mkpath(path, where, "status");
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (get_int(x, g, where, "status", 100, 599, &n) == -1)
			return (-1);
		h->status_min = h->status_max = (int)n;
		return (0);
	case CONFIG_TYPE_STRING:
		break;
	default:
		return (bad(x, s, "%s must be a status (200) or a range of "
		    "them (\"200-399\")", path));
	}
	v = config_setting_get_string(s);
	if (!isdigit((unsigned char)v[0]))
		goto badrange;
	errno = 0;
	lo = hi = strtol(v, &end, 10);
	if (*end == '-') {
		if (!isdigit((unsigned char)end[1]))
			goto badrange;
		hi = strtol(end + 1, &end, 10);
	}
	if (*end != '\0' || errno == ERANGE)
		goto badrange;
	if (lo < 100 || hi > 599 || lo > hi)
		return (bad(x, s, "%s: \"%s\" must be a range A-B with 100 <= "
		    "A <= B <= 599", path, v));
	h->status_min = (int)lo;
	h->status_max = (int)hi;
	return (0);
badrange:
	return (bad(x, s, "%s: \"%s\" is not a status range such as "
	    "\"200-399\"", path, v));
}

/*
 * health = { path = "/health"; ... }; active checks. The defaults are set
 * without it too (path stays NULL: no checks), so the checker and the
 * status page never see zeros.
 */
static int
parse_health(struct ctx *x, const config_setting_t *pg, const char *pwhere,
    struct cfg_health *h)
{
	const config_setting_t	*g = member(pg, "health");
	const char		*v;
	char			 where[PATHLEN];
	long long		 n;
	int			 r;

	h->status_min = 200;
	h->status_max = 399;
	h->interval = 2.0;
	h->timeout = 1.0;
	h->rise = 2;
	h->fall = 3;
	mkpath(where, pwhere, "health");
	v = "GET";
	if (g != NULL && config_setting_type(g) != CONFIG_TYPE_GROUP)
		return (bad(x, g, "%s must be a group: health = { path = "
		    "\"/health\"; };", where));
	if (g != NULL && (check_keys(x, g, where, health_keys,
	    no_keys) == -1 || get_string(x, g, where, "method", &v) == -1))
		return (-1);
	if (!method_ok(v))
		return (bad(x, member(g, "method"), "%s.method: \"%s\" is not "
		    "an upper-case method name such as \"GET\" or \"HEAD\"",
		    where, v));
	if ((h->method = xstrdup(x, pg, v)) == NULL)
		return (-1);
	if (g == NULL)
		return (0);

	if ((r = get_string(x, g, where, "path", &v)) == -1)
		return (-1);
	if (r == 1 && !target_ok(v))
		return (bad(x, member(g, "path"), "%s.path must start with "
		    "\"/\" and have no spaces or control characters, not "
		    "\"%s\"", where, v));
	if (r == 1 && (h->path = xstrdup(x, g, v)) == NULL)
		return (-1);

	if ((r = get_string(x, g, where, "host", &v)) == -1)
		return (-1);
	if (r == 1 && !host_field_ok(v))
		return (bad(x, member(g, "host"), "%s.host: \"%s\" is not a "
		    "host name or address (maybe with \":PORT\")", where, v));
	if (r == 1 && (h->host = xstrdup(x, g, v)) == NULL)
		return (-1);

	if (member(g, "status") != NULL &&
	    parse_health_status(x, g, where, h) == -1)
		return (-1);

	if ((r = get_string(x, g, where, "body", &v)) == -1)
		return (-1);
	if (r == 1 && strlen(v) > MAX_TEXT)
		return (bad(x, member(g, "body"), "%s.body is longer than 64K "
		    "(only the first 64K of a response are searched)", where));
	if (r == 1 && (h->body = xstrdup(x, g, v)) == NULL)
		return (-1);

	if (get_secs(x, g, where, "interval", 0, 3600.0, &h->interval) == -1 ||
	    get_secs(x, g, where, "timeout", 0, 60.0, &h->timeout) == -1)
		return (-1);
	if ((r = get_int(x, g, where, "rise", 1, 100, &n)) == -1)
		return (-1);
	if (r == 1)
		h->rise = (int)n;
	if ((r = get_int(x, g, where, "fall", 1, 100, &n)) == -1)
		return (-1);
	if (r == 1)
		h->fall = (int)n;
	return (0);
}

/* Passive checks, retries, the initial state, slow start, queueing. */
static int
parse_pool_health(struct ctx *x, const config_setting_t *g,
    const char *where, struct cfg_pool *p)
{
	const char	*v;
	long long	 n;
	int		 r;

	p->max_fails = 1;
	p->fail_timeout = 10.0;
	p->retries = 1;
	p->initial = CFG_INITIAL_UP;
	p->slow_start = 0.0;
	p->queue_timeout = 10.0;
	if (parse_health(x, g, where, &p->health) == -1)
		return (-1);
	if ((r = get_int(x, g, where, "max_fails", 0, 1000, &n)) == -1)
		return (-1);
	if (r == 1)
		p->max_fails = (int)n;
	if (get_duration(x, g, where, "fail_timeout", &p->fail_timeout) == -1 ||
	    get_ints(x, g, where, "fail_status", 500, 599, 502,
	    &p->fail_status, &p->nfail_status) == -1)
		return (-1);
	if ((r = get_int(x, g, where, "retries", 0, 10, &n)) == -1)
		return (-1);
	if (r == 1)
		p->retries = (int)n;
	if (get_methods(x, g, where, "retry_methods", 1, &p->retry_methods,
	    &p->nretry_methods) == -1)
		return (-1);
	if ((r = get_string(x, g, where, "initial", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (strcmp(v, "up") == 0)
			p->initial = CFG_INITIAL_UP;
		else if (strcmp(v, "down") == 0)
			p->initial = CFG_INITIAL_DOWN;
		else
			return (bad(x, member(g, "initial"), "%s.initial must "
			    "be \"up\" or \"down\", not \"%s\"", where, v));
	}
	if (get_secs(x, g, where, "slow_start", 1, MAX_DURATION,
	    &p->slow_start) == -1 ||
	    get_secs(x, g, where, "queue_timeout", 1, MAX_DURATION,
	    &p->queue_timeout) == -1 ||
	    get_secs(x, g, where, "resolve", 1, MAX_DURATION,
	    &p->resolve) == -1)
		return (-1);
	/* more often than once a second would only load the resolver */
	if (p->resolve > 0 && p->resolve < 1.0)
		return (bad(x, member(g, "resolve"), "%s.resolve must be 0 "
		    "(off) or >= 1 second, not %g", where, p->resolve));
	return (0);
}

static int
parse_balance(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_pool *p)
{
	static const char *const names[] = { "round_robin", "least_conn",
	    "hash", "random2", NULL };
	const char	*v;
	int		 r, i;

	p->balance = CFG_BAL_ROUND_ROBIN;
	p->hash_key = CFG_HASH_URI;
	if ((r = get_string(x, g, where, "balance", &v)) == -1)
		return (-1);
	if (r == 1) {
		for (i = 0; names[i] != NULL && strcmp(v, names[i]) != 0; i++)
			;
		if (names[i] == NULL)
			return (bad(x, member(g, "balance"), "%s.balance: unknown "
			    "value \"%s\" (valid: round_robin, least_conn, hash, "
			    "random2)", where, v));
		p->balance = i;		/* names[] follows enum cfg_balance */
	}
	if ((r = get_string(x, g, where, "hash_key", &v)) == -1)
		return (-1);
	if (r == 0)
		return (0);
	if (p->balance != CFG_BAL_HASH)
		return (bad(x, member(g, "hash_key"), "%s.hash_key needs "
		    "balance = \"hash\"", where));
	if (strcmp(v, "uri") == 0)
		p->hash_key = CFG_HASH_URI;
	else if (strcmp(v, "client_ip") == 0)
		p->hash_key = CFG_HASH_CLIENT_IP;
	else if ((strncmp(v, "header:", 7) == 0 || strncmp(v, "cookie:",
	    7) == 0) && is_token(v + 7)) {
		p->hash_key = v[0] == 'h' ? CFG_HASH_HEADER : CFG_HASH_COOKIE;
		if ((p->hash_name = xstrdup(x, member(g, "hash_key"),
		    v + 7)) == NULL)
			return (-1);
	} else
		return (bad(x, member(g, "hash_key"), "%s.hash_key: \"%s\" is "
		    "none of uri, client_ip, header:NAME, cookie:NAME", where,
		    v));
	return (0);
}

static int
parse_pool(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_pool *p)
{
	const config_setting_t	*list;
	const char		*v;
	char			 sw[PATHLEN];
	void			*mem;
	int			 i, j, n;

	p->line = config_setting_source_line(g);
	if (check_keys(x, g, where, pool_keys, no_keys) == -1 ||
	    need_string(x, g, where, "name", &v) == -1)
		return (-1);
	if ((p->name = xstrdup(x, member(g, "name"), v)) == NULL)
		return (-1);
	if (parse_balance(x, g, where, p) == -1 ||
	    parse_pool_health(x, g, where, p) == -1)
		return (-1);

	if ((n = get_array(x, g, where, "servers", get_list, 0,
	    sizeof(*p->servers), &list, &mem)) == -1)
		return (-1);
	if (n == 0)
		return (bad(x, list ? list : g, "%s.servers: at least one "
		    "server is required", where));
	p->servers = mem;
	p->nservers = n;
	for (i = 0; i < p->nservers; i++) {
		mkpath_i(sw, where, "servers", i);
		if (parse_server(x, config_setting_get_elem(list, i), sw,
		    &p->servers[i]) == -1)
			return (-1);
		for (j = 0; j < i; j++)
			if (server_addr_eq(&p->servers[j].addr,
			    &p->servers[i].addr))
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
	void			*mem;
	int			 i, j, n;

	if ((n = get_array(x, root, "", "pools", get_list, 0, sizeof(*c->pools),
	    &list, &mem)) <= 0)
		return (n);
	c->pools = mem;
	c->npools = n;
	for (i = 0; i < c->npools; i++) {
		g = config_setting_get_elem(list, i);
		mkpath_i(where, "", "pools", i);
		c->pools[i].first = i == 0 ? 0 :
		    c->pools[i - 1].first + c->pools[i - 1].nservers;
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

/* "[v6]", an IPv6 address in brackets. */
static int
v6_bracket_ok(const char *h)
{
	struct in6_addr	 a6;
	char		 buf[64];
	size_t		 n = strlen(h);

	if (n < 3 || n - 2 >= sizeof(buf) || h[0] != '[' || h[n - 1] != ']')
		return (0);
	memcpy(buf, h + 1, n - 2);
	buf[n - 2] = '\0';
	return (inet_pton(AF_INET6, buf, &a6) == 1);
}

/* A lower-case host name (or IPv4 address): dot-separated labels. */
static int
name_ok(const char *h)
{
	const char	*p, *label;
	size_t		 ll;

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

static void
lower(char *h)
{
	for (; *h != '\0'; h++)
		*h = tolower((unsigned char)*h);
}

/* "*", a host name, "*.suffix" or "[v6]"; lower-cased in place. */
static int
host_ok(char *h)
{
	lower(h);
	if (strcmp(h, "*") == 0)
		return (1);
	if (h[0] == '[')
		return (v6_bracket_ok(h));
	if (h[0] == '*' && h[1] == '.')
		h += 2;
	return (name_ok(h));
}

/*
 * A forward proxy's host pattern, lower-cased in place: "name" exactly,
 * ".name" for name and every name below it, an IPv4 address or "[v6]".
 */
static int
host_pattern_ok(char *h)
{
	lower(h);
	if (h[0] == '[')
		return (v6_bracket_ok(h));
	if (h[0] == '.')
		h++;
	return (name_ok(h));
}

#define HOSTPAT	"(a name, \".name\" for it and every name below it, an " \
		"IPv4 address or \"[v6]\")"

static int
pool_index(const struct cfg *c, const char *name)
{
	int	 i;

	for (i = 0; i < c->npools; i++)
		if (strcmp(c->pools[i].name, name) == 0)
			return (i);
	return (-1);
}

/* allow = [ "10.0.0.0/8", "::1" ]; (cfg_cidr.c reads each range) */
static int
parse_cidrs(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, struct cfg_cidr **out, int *nout)
{
	const config_setting_t	*list, *e;
	char			 path[PATHLEN];
	void			*mem;
	int			 i, n;

	if ((n = get_array(x, g, where, name, get_strings, 0, sizeof(**out),
	    &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	mkpath(path, where, name);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		if (cfg_parse_cidr(config_setting_get_string(e),
		    &(*out)[i]) == -1)
			return (bad(x, e, "%s[%d]: bad address range \"%s\" "
			    "(an IP address, or \"a.b.c.d/n\" or \"x::y/n\")",
			    path, i, config_setting_get_string(e)));
	}
	return (0);
}

/* A header group's keys and its name, which must be a field name. */
static int
hdr_name(struct ctx *x, const config_setting_t *e, const char *rw,
    const char **v)
{
	if (check_keys(x, e, rw, header_keys, no_keys) == -1 ||
	    need_string(x, e, rw, "name", v) == -1)
		return (-1);
	if (!is_token(*v))
		return (bad(x, member(e, "name"), "%s.name: \"%s\" is not a "
		    "header field name (" TCHARS ")", rw, *v));
	return (0);
}

/*
 * require_headers / deny_headers = ( { name = "X"; value = "ERE"; } );
 * pattern is set only once re is compiled (see cfg_free).
 */
static int
parse_hdr_rules(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, struct cfg_hdr_rule **out, int *nout)
{
	const config_setting_t	*list, *e;
	struct cfg_hdr_rule	*hr;
	const char		*v;
	char			 rw[PATHLEN], path[PATHLEN];
	void			*mem;
	int			 i, n, r;

	if ((n = get_array(x, g, where, name, get_list, 0, sizeof(**out), &list,
	    &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		hr = &(*out)[i];
		hr->line = config_setting_source_line(e);
		mkpath_i(rw, where, name, i);
		if (hdr_name(x, e, rw, &v) == -1)
			return (-1);
		if ((hr->name = xstrdup(x, e, v)) == NULL)
			return (-1);
		if ((r = get_string(x, e, rw, "value", &v)) == -1)
			return (-1);
		if (r == 0)
			continue;
		mkpath(path, rw, "value");
		if (compile_re(x, member(e, "value"), path, v, RE_PATH,
		    &hr->re) == -1)
			return (-1);
		if ((hr->pattern = strdup(v)) == NULL) {
			regfree(&hr->re);
			return (bad(x, e, "out of memory"));
		}
	}
	return (0);
}

static int
parse_filter(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_filter *f)
{
	if (parse_cidrs(x, g, where, "allow", &f->allow, &f->nallow) == -1 ||
	    parse_cidrs(x, g, where, "deny", &f->deny, &f->ndeny) == -1 ||
	    get_methods(x, g, where, "methods", 0, &f->methods,
	    &f->nmethods) == -1 ||
	    get_res(x, g, where, "deny_paths", RE_PATH, 0, &f->deny_paths_src,
	    &f->deny_paths, &f->ndeny_paths) == -1 ||
	    parse_hdr_rules(x, g, where, "require_headers",
	    &f->require_headers, &f->nrequire_headers) == -1 ||
	    parse_hdr_rules(x, g, where, "deny_headers", &f->deny_headers,
	    &f->ndeny_headers) == -1)
		return (-1);
	return (0);
}

/*
 * Fields porter itself writes or strips to keep the two connections
 * apart and the messages framed: a route may neither set nor remove them.
 * Host (requests) is what routing and the backend's virtual host rely on.
 */
static const char *
managed_field(const char *name, int request)
{
	static const struct {
		const char	*name;
		const char	*why;
	} managed[] = {
		{ "Content-Length", "message framing" },
		{ "Transfer-Encoding", "message framing" },
		{ "Trailer", "message framing" },
		{ "Connection", "connection handling" },
		{ "Keep-Alive", "connection handling" },
		{ "Proxy-Connection", "connection handling" },
		{ "TE", "connection handling" },
		{ "Upgrade", "connection handling" },
	};
	size_t	 i;

	for (i = 0; i < sizeof(managed) / sizeof(managed[0]); i++)
		if (strcasecmp(name, managed[i].name) == 0)
			return (managed[i].why);
	if (request && strcasecmp(name, "Host") == 0)
		return ("routing");
	return (NULL);
}

/* A field value porter can write as is: no CR, LF or other controls. */
static int
value_ok(const char *v)
{
	const unsigned char	*p;
	size_t			 n = strlen(v);

	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if ((*p < ' ' && *p != '\t') || *p == 0x7f)
			return (0);
	/* Recipients strip surrounding whitespace: it could not arrive. */
	return (n == 0 || (v[0] != ' ' && v[0] != '\t' && v[n - 1] != ' ' &&
	    v[n - 1] != '\t'));
}

/* set_request_headers = ( { name = "X-From"; value = "porter"; } ); */
static int
parse_hdr_sets(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int request, struct cfg_hdr_set **out, int *nout)
{
	const config_setting_t	*list, *e;
	struct cfg_hdr_set	*hs;
	const char		*v, *why;
	char			 rw[PATHLEN], other[PATHLEN];
	void			*mem;
	int			 i, j, n, r;

	if ((n = get_array(x, g, where, name, get_list, 0, sizeof(**out), &list,
	    &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		hs = &(*out)[i];
		mkpath_i(rw, where, name, i);
		if (hdr_name(x, e, rw, &v) == -1)
			return (-1);
		if ((why = managed_field(v, request)) != NULL)
			return (bad(x, member(e, "name"), "%s.name: \"%s\" "
			    "cannot be set: porter manages it (%s)", rw, v,
			    why));
		for (j = 0; j < i; j++)
			if (strcasecmp((*out)[j].name, v) == 0) {
				mkpath_i(other, where, name, j);
				return (bad(x, member(e, "name"), "%s.name: "
				    "\"%s\" is already set by %s", rw, v,
				    other));
			}
		if ((hs->name = xstrdup(x, e, v)) == NULL)
			return (-1);
		if ((r = get_text(x, e, rw, "value", &v)) == -1)
			return (-1);
		if (r == 0)
			return (bad(x, e, "%s.value is required", rw));
		if (!value_ok(v))
			return (bad(x, member(e, "value"), "%s.value: control "
			    "characters (CR, LF, ...) or surrounding spaces "
			    "are not allowed in a header value", rw));
		if ((hs->value = xstrdup(x, e, v)) == NULL)
			return (-1);
	}
	return (0);
}

/* remove_request_headers = [ "Cookie" ]; none may also be set. */
static int
parse_hdr_removes(struct ctx *x, const config_setting_t *g,
    const char *where, const char *name, int request,
    const struct cfg_hdr_set *set, int nset, const char *set_name,
    char ***out, int *nout)
{
	const config_setting_t	*list, *e;
	const char		*v, *why;
	char			 path[PATHLEN], other[PATHLEN];
	void			*mem;
	int			 i, j, n;

	if ((n = get_array(x, g, where, name, get_strings, 0, sizeof(**out),
	    &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		v = config_setting_get_string(e);
		mkpath_i(path, where, name, i);
		if (!is_token(v))
			return (bad(x, e, "%s: \"%s\" is not a header field "
			    "name (" TCHARS ")", path, v));
		if ((why = managed_field(v, request)) != NULL)
			return (bad(x, e, "%s: \"%s\" cannot be removed: "
			    "porter manages it (%s)", path, v, why));
		for (j = 0; j < i; j++)
			if (strcasecmp((*out)[j], v) == 0) {
				mkpath_i(other, where, name, j);
				return (bad(x, e, "%s: \"%s\" duplicates %s",
				    path, v, other));
			}
		for (j = 0; j < nset; j++)
			if (strcasecmp(set[j].name, v) == 0) {
				mkpath_i(other, where, set_name, j);
				return (bad(x, e, "%s: \"%s\" is also set by "
				    "%s", path, v, other));
			}
		if (((*out)[i] = xstrdup(x, e, v)) == NULL)
			return (-1);
	}
	return (0);
}

static int
parse_route_headers(struct ctx *x, const config_setting_t *g,
    const char *where, struct cfg_route *rt)
{
	if (parse_hdr_sets(x, g, where, "set_request_headers", 1,
	    &rt->set_request_headers, &rt->nset_request_headers) == -1 ||
	    parse_hdr_removes(x, g, where, "remove_request_headers", 1,
	    rt->set_request_headers, rt->nset_request_headers,
	    "set_request_headers", &rt->remove_request_headers,
	    &rt->nremove_request_headers) == -1 ||
	    parse_hdr_sets(x, g, where, "set_response_headers", 0,
	    &rt->set_response_headers, &rt->nset_response_headers) == -1 ||
	    parse_hdr_removes(x, g, where, "remove_response_headers", 0,
	    rt->set_response_headers, rt->nset_response_headers,
	    "set_response_headers", &rt->remove_response_headers,
	    &rt->nremove_response_headers) == -1)
		return (-1);
	return (0);
}

/* A status whose response means nothing without a Location. */
static int
is_redirect(int status)
{
	return (status == 301 || status == 302 || status == 303 ||
	    status == 307 || status == 308);
}

/* return = { status = 301; location = "/new/"; body = "Moved."; }; */
static int
parse_return(struct ctx *x, const config_setting_t *s, const char *where,
    struct cfg_route *rt)
{
	struct cfg_return	*rv = &rt->ret;
	const unsigned char	*p;
	const char		*v;
	char			 rw[PATHLEN];
	long long		 n;
	int			 r;

	mkpath(rw, where, "return");
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return (bad(x, s, "%s must be a group: return = { status = "
		    "301; location = \"/new/\"; };", rw));
	if (check_keys(x, s, rw, return_keys, no_keys) == -1)
		return (-1);
	if ((r = get_int(x, s, rw, "status", 200, 599, &n)) == -1)
		return (-1);
	if (r == 0)
		return (bad(x, s, "%s.status is required", rw));
	rv->status = (int)n;

	if ((r = get_string(x, s, rw, "location", &v)) == -1)
		return (-1);
	if (r == 1) {
		for (p = (const unsigned char *)v; *p != '\0'; p++)
			if (*p <= ' ' || *p == 0x7f)
				return (bad(x, member(s, "location"), "%s."
				    "location: spaces and control characters "
				    "are not allowed (write a space as %%20)",
				    rw));
		if ((rv->location = xstrdup(x, s, v)) == NULL)
			return (-1);
	} else if (is_redirect(rv->status))
		return (bad(x, s, "%s.location is required with status %d",
		    rw, rv->status));

	if ((r = get_text(x, s, rw, "body", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (rv->status == 204 || rv->status == 304)
			return (bad(x, member(s, "body"), "%s.body: a %d "
			    "response has no body", rw, rv->status));
		if (strlen(v) > MAX_TEXT)
			return (bad(x, member(s, "body"), "%s.body is longer "
			    "than 64K", rw));
		if ((rv->body = xstrdup(x, s, v)) == NULL)
			return (-1);
	}
	return (0);
}

static int
parse_route(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_route *rt)
{
	const config_setting_t	*s, *rs;
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

	/* A route proxies to its pool or answers by itself. */
	s = member(g, "pool");
	rs = member(g, "return");
	if (s != NULL && rs != NULL)
		return (bad(x, rs, "%s: pool and return cannot be combined (a "
		    "route either proxies or answers by itself)", where));
	if (rs != NULL) {
		rt->pool = -1;
		if (parse_return(x, rs, where, rt) == -1)
			return (-1);
	} else {
		if (s == NULL)
			return (bad(x, g, "%s.pool is required (or return = "
			    "{ status = ...; } to answer without a backend)",
			    where));
		if (get_string(x, g, where, "pool", &v) == -1)
			return (-1);
		if ((rt->pool = pool_index(x->cfg, v)) == -1)
			return (bad(x, s, "%s: unknown pool \"%s\"%s", where,
			    v, x->cfg->npools == 0 ?
			    " (no pools are defined)" : ""));
	}

	if (get_size(x, g, where, "max_body_size", &rt->max_body_size) == -1 ||
	    get_bool(x, g, where, "normalize", &rt->normalize) == -1 ||
	    get_bool(x, g, where, "allow_encoded_slash",
	    &rt->allow_encoded_slash) == -1 ||
	    parse_filter(x, g, where, &rt->filter) == -1 ||
	    parse_route_headers(x, g, where, rt) == -1)
		return (-1);
	return (0);
}

static int
parse_reverse(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_listener *l)
{
	const config_setting_t	*list;
	char			 rw[PATHLEN];
	void			*mem;
	int			 i, j, n;

	if ((n = get_array(x, g, where, "routes", get_list, 0,
	    sizeof(*l->routes), &list, &mem)) == -1)
		return (-1);
	if (n == 0)
		return (bad(x, list ? list : g, "%s.routes: a reverse listener "
		    "needs at least one route", where));
	l->routes = mem;
	l->nroutes = n;
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

/*
 * Host patterns from a list setting into a new array with extra empty
 * slots at the end (for block_file's). *nout counts every slot, so
 * cfg_free frees them, filled or not. 0 or -1.
 */
static int
get_hosts(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int extra, char ***out, int *nout)
{
	const config_setting_t	*list, *e;
	const char		*v;
	char			 path[PATHLEN];
	void			*mem;
	int			 i, n;

	if ((n = get_array(x, g, where, name, get_strings, extra,
	    sizeof(**out), &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	for (i = 0; i < n - extra; i++) {
		e = config_setting_get_elem(list, i);
		v = config_setting_get_string(e);
		mkpath_i(path, where, name, i);
		if (((*out)[i] = xstrdup(x, e, v)) == NULL)
			return (-1);
		if (!host_pattern_ok((*out)[i]))
			return (bad(x, e, "%s: bad host pattern \"%s\" "
			    HOSTPAT, path, v));
	}
	return (0);
}

/*
 * Lines of a file read at load (block_file, auth_file): blanks around
 * them do not count, and blank lines and "#" comments are skipped.
 */
#define BLANKS	" \t\r"

/* The lines next_line() returns; ntilde of them start with "~". */
static int
count_lines(const char *text, int *ntilde)
{
	const char	*p, *nl;
	int		 n = 0;

	*ntilde = 0;
	for (p = text; *p != '\0'; p = nl != NULL ? nl + 1 : p + strlen(p)) {
		nl = strchr(p, '\n');
		p += strspn(p, BLANKS);
		if (*p == '\n' || *p == '\0' || *p == '#')
			continue;
		n++;
		if (*p == '~')
			(*ntilde)++;
	}
	return (n);
}

/* The next such line, trimmed and NUL-terminated in place; or NULL. */
static char *
next_line(char **pos, unsigned *lineno)
{
	char	*p, *e, *nl;

	while (**pos != '\0') {
		p = *pos;
		++*lineno;
		if ((nl = strchr(p, '\n')) != NULL) {
			*nl = '\0';
			*pos = nl + 1;
		} else
			*pos = p + strlen(p);
		p += strspn(p, BLANKS);
		for (e = p + strlen(p); e > p && strchr(BLANKS, e[-1]) != NULL;
		    e--)
			;
		*e = '\0';
		if (*p != '\0' && *p != '#')
			return (p);
	}
	return (NULL);
}

/*
 * A setting naming such a file (block_file, auth_file): its absolute path
 * to *file, and the file, which must be text, read whole into *text (the
 * caller frees it, error or not). 1 read, 0 absent, -1 error.
 */
static int
get_lines_file(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, size_t max, const char *maxname, char **file,
    char **text)
{
	const config_setting_t	*at = member(g, name);
	const char		*v;
	char			 path[PATHLEN];
	size_t			 len;
	int			 r;

	mkpath(path, where, name);
	if ((r = get_string(x, g, where, name, &v)) <= 0)
		return (r);
	if ((*file = in_dir(x, at, v)) == NULL ||
	    slurp(x, at, path, *file, max, maxname, text, &len) == -1)
		return (-1);
	if (memchr(*text, '\0', len) != NULL)
		return (bad(x, at, "%s: \"%s\" is not a text file (it has a "
		    "NUL byte)", path, *file));
	return (1);
}

/*
 * block_hosts, block_urls and block_file. The file is read first, to
 * size the arrays once: its hosts go after block_hosts', its "~ ERE"
 * lines after block_urls'.
 */
static int
parse_blocks(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_forward *f)
{
	const config_setting_t	*at = member(g, "block_file");
	char			 why[256], *text = NULL, *pos, *line;
	unsigned		 lineno = 0;
	int			 r, nf = 0, nurls = 0, h, u, rc = -1;

	if ((r = get_lines_file(x, g, where, "block_file", 64 << 20, "64M",
	    &f->block_file, &text)) == -1)
		goto out;
	if (r == 1)
		nf = count_lines(text, &nurls);
	if (get_hosts(x, g, where, "block_hosts", nf - nurls, &f->block_hosts,
	    &f->nblock_hosts) == -1 ||
	    get_res(x, g, where, "block_urls", RE_URL, nurls,
	    &f->block_urls_src, &f->block_urls, &f->nblock_urls) == -1)
		goto out;
	if (text == NULL)
		return (0);

	h = f->nblock_hosts - (nf - nurls);
	u = f->nblock_urls - nurls;
	for (pos = text; (line = next_line(&pos, &lineno)) != NULL;) {
		if (line[0] != '~') {
			if ((f->block_hosts[h] = xstrdup(x, at, line)) == NULL)
				goto out;
			if (!host_pattern_ok(f->block_hosts[h++])) {
				bad_line(x, f->block_file, lineno, "\"%s\" is "
				    "neither a host pattern " HOSTPAT " nor "
				    "\"~ REGEX\"", line);
				goto out;
			}
			continue;
		}
		line += 1 + strspn(line + 1, BLANKS);
		if (*line == '\0') {
			bad_line(x, f->block_file, lineno, "\"~\" without a "
			    "regular expression");
			goto out;
		}
		if (re_error(line, RE_URL, &f->block_urls[u], why,
		    sizeof(why)) == -1) {
			bad_line(x, f->block_file, lineno, "bad regular "
			    "expression \"%s\": %s", line, why);
			goto out;
		}
		if ((f->block_urls_src[u++] = strdup(line)) == NULL) {
			regfree(&f->block_urls[u - 1]);
			bad(x, at, "out of memory");
			goto out;
		}
	}
	rc = 0;
out:
	free(text);
	return (rc);
}

/* Hash prefixes crypt(3) reads that are safe to store passwords with. */
static const char *const hash_prefixes[] = {
	"$6$", "$5$", "$2b$", "$2y$", "$2a$", "$y$", NULL
};

/* One "user:hash" line of auth_file; u is filled, users[0..i) before. */
static int
parse_user(struct ctx *x, const struct cfg_forward *f, int i, char *line,
    unsigned lineno, struct cfg_user *u)
{
	const unsigned char	*p;
	const char *const	*hp;
	char			*hash;
	int			 j;

	if ((hash = strchr(line, ':')) == NULL || hash == line)
		return (bad_line(x, f->auth_file, lineno, "expected "
		    "\"user:hash\""));
	*hash++ = '\0';
	for (p = (const unsigned char *)line; *p != '\0'; p++)
		if (*p < ' ' || *p == 0x7f)
			return (bad_line(x, f->auth_file, lineno, "control "
			    "character in the user name"));
	for (p = (const unsigned char *)hash; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == ':')
			return (bad_line(x, f->auth_file, lineno, "bad "
			    "character in the hash of user \"%s\"", line));
	for (hp = hash_prefixes; *hp != NULL; hp++)
		if (strncmp(hash, *hp, strlen(*hp)) == 0 &&
		    strlen(hash) > strlen(*hp))
			break;
	if (*hp == NULL)
		return (bad_line(x, f->auth_file, lineno, "unsupported hash; "
		    "use SHA-512 ($6$) or bcrypt ($2b$), e.g. openssl passwd "
		    "-6"));
	for (j = 0; j < i; j++)
		if (strcmp(f->users[j].name, line) == 0)
			return (bad_line(x, f->auth_file, lineno, "duplicate "
			    "user \"%s\"", line));
	if ((u->name = strdup(line)) == NULL ||
	    (u->hash = strdup(hash)) == NULL)
		return (bad_line(x, f->auth_file, lineno, "out of memory"));
	return (0);
}

/* auth_file (htpasswd-style, crypt(3) hashes) and auth_realm. */
static int
parse_auth(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_forward *f)
{
	const config_setting_t	*at = member(g, "auth_file");
	const unsigned char	*p;
	const char		*v;
	char			 path[PATHLEN], *text = NULL, *pos, *line;
	unsigned		 lineno = 0;
	int			 i, r, tilde, rc = -1;

	mkpath(path, where, "auth_file");
	if ((r = get_lines_file(x, g, where, "auth_file", 16 << 20, "16M",
	    &f->auth_file, &text)) == -1)
		goto out;
	if (r == 1) {
		if ((f->nusers = count_lines(text, &tilde)) == 0) {
			bad(x, at, "%s: no users in \"%s\" (one \"user:hash\" "
			    "a line)", path, f->auth_file);
			goto out;
		}
		if ((f->users = calloc(f->nusers, sizeof(*f->users))) == NULL) {
			bad(x, at, "out of memory");
			goto out;
		}
		for (i = 0, pos = text; (line = next_line(&pos,
		    &lineno)) != NULL; i++)
			if (parse_user(x, f, i, line, lineno,
			    &f->users[i]) == -1)
				goto out;
	}

	mkpath(path, where, "auth_realm");
	v = "porter";
	if ((r = get_string(x, g, where, "auth_realm", &v)) == -1)
		goto out;
	if (r == 1 && f->auth_file == NULL) {
		bad(x, member(g, "auth_realm"), "%s needs auth_file", path);
		goto out;
	}
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p < ' ' || *p == 0x7f || *p == '"' || *p == '\\') {
			bad(x, member(g, "auth_realm"), "%s: quotes, "
			    "backslashes and control characters are not "
			    "allowed", path);
			goto out;
		}
	if (f->auth_file != NULL &&
	    (f->auth_realm = xstrdup(x, g, v)) == NULL)
		goto out;
	rc = 0;
out:
	free(text);
	return (rc);
}

/*
 * A forward listener's settings; a reverse listener gets the defaults
 * (its forward keys were refused already).
 */
static int
parse_forward(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_forward *f)
{
	const char	*v;
	char		 aerr[CFG_ERRLEN];
	int		 r, b;

	f->deny_private = 1;
	if ((r = get_ints(x, g, where, "connect_ports", 1, 65535, 443,
	    &f->connect_ports, &f->nconnect_ports)) == -1)
		return (-1);
	if (r == 0) {
		if ((f->connect_ports = calloc(1, sizeof(int))) == NULL)
			return (bad(x, g, "out of memory"));
		f->connect_ports[0] = 443;
		f->nconnect_ports = 1;
	}

	/* An anonymous proxy does not tell the client's address. */
	if (get_bool(x, g, where, "anonymous", &f->anonymous) == -1 ||
	    (r = get_bool(x, g, where, "forwarded_for", &b)) == -1)
		return (-1);
	if (r == 1 && b && f->anonymous)
		return (bad(x, member(g, "forwarded_for"), "%s.forwarded_for "
		    "= true contradicts anonymous = true (leave it out)",
		    where));
	f->forwarded_for = r == 1 ? b : !f->anonymous;
	if (parse_hdr_removes(x, g, where, "anonymous_strip", 1, NULL, 0,
	    NULL, &f->anonymous_strip, &f->nanonymous_strip) == -1)
		return (-1);

	if (parse_blocks(x, g, where, f) == -1 ||
	    get_hosts(x, g, where, "allow_hosts", 0, &f->allow_hosts,
	    &f->nallow_hosts) == -1 ||
	    get_bool(x, g, where, "deny_private", &f->deny_private) == -1 ||
	    parse_auth(x, g, where, f) == -1)
		return (-1);

	if ((r = get_string(x, g, where, "parent", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v[0] == '*')
			return (bad(x, member(g, "parent"), "%s.parent: a "
			    "parent needs a host, not \"%s\"", where, v));
		if (cfg_parse_addr(v, 0, &f->parent, aerr, sizeof(aerr)) == -1)
			return (bad(x, member(g, "parent"), "%s.parent: %s",
			    where, aerr));
		f->has_parent = 1;
	}
	if (get_hosts(x, g, where, "parent_hosts", 0, &f->parent_hosts,
	    &f->nparent_hosts) == -1)
		return (-1);
	if (f->nparent_hosts > 0 && !f->has_parent)
		return (bad(x, member(g, "parent_hosts"), "%s.parent_hosts "
		    "needs parent", where));
	return (0);
}

/* A setting of the other mode; routes has its own words. */
static int
check_mode_keys(struct ctx *x, const config_setting_t *g, const char *where,
    int mode)
{
	const config_setting_t	*s;
	const char		*name;
	char			 path[PATHLEN];
	int			 i;

	for (i = 0; i < config_setting_length(g); i++) {
		s = config_setting_get_elem(g, i);
		name = config_setting_name(s);
		mkpath(path, where, name);
		if (mode == CFG_MODE_FORWARD && strcmp(name, "routes") == 0)
			return (bad(x, s, "%s: a forward listener has no "
			    "routes", path));
		if (mode == CFG_MODE_FORWARD && in_list(name, reverse_only))
			return (bad(x, s, "%s: only for mode = \"reverse\"",
			    path));
		if (mode == CFG_MODE_REVERSE && in_list(name, forward_only))
			return (bad(x, s, "%s: only for mode = \"forward\"",
			    path));
	}
	return (0);
}

/* 127.0.0.0/8, ::1 or ::ffff:127.0.0.0/104; a wildcard is not. */
static int
addr_loopback(const struct cfg_addr *a)
{
	const struct sockaddr_in	*s4 = (const void *)&a->sa;
	const struct sockaddr_in6	*s6 = (const void *)&a->sa;

	if (a->sa.ss_family == AF_INET)
		return ((ntohl(s4->sin_addr.s_addr) >> 24) == 127);
	if (a->sa.ss_family == AF_INET6)
		return (IN6_IS_ADDR_LOOPBACK(&s6->sin6_addr) ||
		    (IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
		    s6->sin6_addr.s6_addr[12] == 127));
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
	if (check_keys(x, g, where, listener_keys, no_keys) == -1 ||
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
	if (check_mode_keys(x, g, where, l->mode) == -1)
		return (-1);
	switch (get_int(x, g, where, "backlog", 1, 65535, &n)) {
	case -1:
		return (-1);
	case 1:
		l->backlog = (int)n;
	}

	if (l->mode == CFG_MODE_REVERSE) {
		if (parse_filter(x, g, where, &l->filter) == -1 ||
		    parse_error_pages(x, g, where, &l->error_pages,
		    &l->nerror_pages) == -1 ||
		    parse_forward(x, g, where, &l->fwd) == -1)
			return (-1);
		return (parse_reverse(x, g, where, l));
	}

	/* Anyone who can reach it could use it to reach anything. */
	if (parse_cidrs(x, g, where, "allow", &l->filter.allow,
	    &l->filter.nallow) == -1 ||
	    parse_cidrs(x, g, where, "deny", &l->filter.deny,
	    &l->filter.ndeny) == -1)
		return (-1);
	if (l->filter.nallow == 0 && !addr_loopback(&l->addr))
		return (bad(x, member(g, "listen"), "%s: a forward listener on "
		    "%s needs an allow list (it would be an open proxy)", where,
		    l->addr.text));
	if (parse_error_pages(x, g, where, &l->error_pages,
	    &l->nerror_pages) == -1 ||
	    parse_forward(x, g, where, &l->fwd) == -1)
		return (-1);
	return (0);
}

static int
parse_listeners(struct ctx *x, const config_setting_t *root)
{
	struct cfg		*c = x->cfg;
	const config_setting_t	*list;
	char			 where[PATHLEN];
	void			*mem;
	int			 i, j, n;

	if ((n = get_array(x, root, "", "listeners", get_list, 0,
	    sizeof(*c->listeners), &list, &mem)) == -1)
		return (-1);
	if (n == 0)
		return (bad(x, list, "listeners: at least one listener is "
		    "required"));
	c->listeners = mem;
	c->nlisteners = n;
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

/*
 * status = { listen; path; allow; deny; }: porter's status page, appended
 * to the listeners as one in CFG_MODE_STATUS. It shows every backend and
 * worker and drains servers, so it is for loopback clients unless allow
 * says otherwise, and an address others can reach needs an allow list.
 */
static int
parse_status(struct ctx *x, const config_setting_t *root)
{
	static const char *const loopback[] = { "127.0.0.0/8", "::1" };
	struct cfg		*c = x->cfg;
	const config_setting_t	*g;
	struct cfg_listener	*l;
	const unsigned char	*p;
	const char		*v;
	size_t			 i, n;
	int			 j, r;

	if ((r = get_group(x, root, "status", &g)) <= 0)
		return (r);
	if (check_keys(x, g, "status", status_keys, no_keys) == -1)
		return (-1);
	if ((l = realloc(c->listeners, (c->nlisteners + 1) *
	    sizeof(*c->listeners))) == NULL)
		return (bad(x, g, "out of memory"));
	c->listeners = l;
	l = &c->listeners[c->nlisteners++];
	memset(l, 0, sizeof(*l));
	l->mode = CFG_MODE_STATUS;
	l->line = config_setting_source_line(g);
	l->backlog = 511;
	if (get_addr(x, g, "status", "listen", 1, &l->addr) == -1)
		return (-1);
	for (j = 0; j < c->nlisteners - 1; j++)
		if (addr_eq(&c->listeners[j].addr, &l->addr))
			return (bad(x, member(g, "listen"), "status.listen "
			    "\"%s\" duplicates listeners[%d] (line %d)",
			    l->addr.text, j, c->listeners[j].line));

	v = "/porter-status";
	if (get_string(x, g, "status", "path", &v) == -1)
		return (-1);
	if (v[0] != '/')
		return (bad(x, member(g, "path"), "status.path must start "
		    "with \"/\", not \"%s\"", v));
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '?' || *p == '#')
			return (bad(x, member(g, "path"), "status.path: "
			    "spaces, \"?\", \"#\" and control characters are "
			    "not allowed"));
	if ((l->status_path = xstrdup(x, g, v)) == NULL)
		return (-1);

	if (parse_cidrs(x, g, "status", "allow", &l->filter.allow,
	    &l->filter.nallow) == -1 ||
	    parse_cidrs(x, g, "status", "deny", &l->filter.deny,
	    &l->filter.ndeny) == -1)
		return (-1);
	if (l->filter.nallow > 0)
		return (0);
	if (!addr_loopback(&l->addr))
		return (bad(x, member(g, "listen"), "status.listen: status on "
		    "%s needs an allow list (it shows every backend and "
		    "drains them)", l->addr.text));
	n = sizeof(loopback) / sizeof(loopback[0]);
	if ((l->filter.allow = calloc(n, sizeof(*l->filter.allow))) == NULL)
		return (bad(x, g, "out of memory"));
	l->filter.nallow = (int)n;
	for (i = 0; i < n; i++)
		if (cfg_parse_cidr(loopback[i], &l->filter.allow[i]) == -1)
			return (bad(x, g, "status: cannot parse %s",
			    loopback[i]));
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
	    parse_error_pages(&x, root, "", &x.cfg->error_pages,
	    &x.cfg->nerror_pages) == -1 ||
	    parse_pools(&x, root) == -1 ||
	    parse_listeners(&x, root) == -1 ||
	    parse_status(&x, root) == -1)
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

/* Free what a partly parsed config holds, too: counts cover the arrays. */
static void
free_strings(char **v, int n)
{
	int	 i;

	for (i = 0; i < n && v != NULL; i++)
		free(v[i]);
	free(v);
}

/* What get_res made. */
static void
free_res(char **src, regex_t *re, int n)
{
	int	 i;

	for (i = 0; i < n && src != NULL; i++)
		if (src[i] != NULL) {
			regfree(&re[i]);
			free(src[i]);
		}
	free(src);
	free(re);
}

static void
free_hdr_rules(struct cfg_hdr_rule *hr, int n)
{
	int	 i;

	for (i = 0; i < n && hr != NULL; i++) {
		free(hr[i].name);
		if (hr[i].pattern != NULL) {
			regfree(&hr[i].re);
			free(hr[i].pattern);
		}
	}
	free(hr);
}

static void
free_hdr_sets(struct cfg_hdr_set *hs, int n)
{
	int	 i;

	for (i = 0; i < n && hs != NULL; i++) {
		free(hs[i].name);
		free(hs[i].value);
	}
	free(hs);
}

static void
free_filter(struct cfg_filter *f)
{
	free(f->allow);
	free(f->deny);
	free_strings(f->methods, f->nmethods);
	free_res(f->deny_paths_src, f->deny_paths, f->ndeny_paths);
	free_hdr_rules(f->require_headers, f->nrequire_headers);
	free_hdr_rules(f->deny_headers, f->ndeny_headers);
}

static void
free_pages(struct cfg_error_page *ep, int n)
{
	int	 i;

	for (i = 0; i < n && ep != NULL; i++) {
		free(ep[i].file);
		free(ep[i].body);
	}
	free(ep);
}

static void
free_route(struct cfg_route *rt)
{
	free(rt->host);
	free(rt->path);
	free_filter(&rt->filter);
	free(rt->ret.location);
	free(rt->ret.body);
	free_hdr_sets(rt->set_request_headers, rt->nset_request_headers);
	free_strings(rt->remove_request_headers,
	    rt->nremove_request_headers);
	free_hdr_sets(rt->set_response_headers, rt->nset_response_headers);
	free_strings(rt->remove_response_headers,
	    rt->nremove_response_headers);
}

static void
free_forward(struct cfg_forward *f)
{
	int	 i;

	free(f->connect_ports);
	free_strings(f->anonymous_strip, f->nanonymous_strip);
	free_strings(f->block_hosts, f->nblock_hosts);
	free_strings(f->allow_hosts, f->nallow_hosts);
	free_res(f->block_urls_src, f->block_urls, f->nblock_urls);
	free(f->block_file);
	for (i = 0; i < f->nusers && f->users != NULL; i++) {
		free(f->users[i].name);
		free(f->users[i].hash);
	}
	free(f->users);
	free(f->auth_file);
	free(f->auth_realm);
	free_strings(f->parent_hosts, f->nparent_hosts);
}

static void
free_pool(struct cfg_pool *p)
{
	free(p->name);
	free(p->hash_name);
	free(p->servers);
	free(p->health.path);
	free(p->health.method);
	free(p->health.host);
	free(p->health.body);
	free(p->fail_status);
	free_strings(p->retry_methods, p->nretry_methods);
}

void
cfg_free(struct cfg *c)
{
	int	 i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nlisteners && c->listeners != NULL; i++) {
		for (j = 0; j < c->listeners[i].nroutes &&
		    c->listeners[i].routes != NULL; j++)
			free_route(&c->listeners[i].routes[j]);
		free(c->listeners[i].routes);
		free_filter(&c->listeners[i].filter);
		free_forward(&c->listeners[i].fwd);
		free_pages(c->listeners[i].error_pages,
		    c->listeners[i].nerror_pages);
		free(c->listeners[i].status_path);
	}
	free(c->listeners);
	free_pages(c->error_pages, c->nerror_pages);
	for (i = 0; i < c->npools && c->pools != NULL; i++)
		free_pool(&c->pools[i]);
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
	strcpy(a->text, text);
	strcpy(a->host, host);
	a->port = (int)pn;

	if (!bracket && strcmp(host, "*") == 0) {
		sin = (struct sockaddr_in *)&a->sa;
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_ANY);
		sin->sin_port = htons((uint16_t)pn);
		a->salen = sizeof(*sin);
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

	/* numbers only: a name is resolved later, by the master */
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = bracket ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | AI_NUMERICHOST;
	if ((e = getaddrinfo(host, port, &hints, &res)) != 0) {
		if (e == EAI_NONAME && !bracket && !numeric_only &&
		    name_ok(host)) {
			a->named = 1;
			return (0);
		}
		if (numeric_only && e == EAI_NONAME)
			snprintf(why, sizeof(why), "\"%s\" is not a numeric "
			    "IP address (needed here, e.g. 127.0.0.1, [::1] "
			    "or *)", host);
		else if (e == EAI_NONAME)
			snprintf(why, sizeof(why), "\"%s\" is not a host "
			    "name or an IP address", host);
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

const struct cfg_server *
cfg_server_named(const struct cfg *c, const char *name,
    const struct cfg_pool **pool)
{
	const char *slash = strchr(name, '/');
	size_t plen;
	int i, j;

	if (slash == NULL)
		return (NULL);
	plen = (size_t)(slash - name);
	for (i = 0; i < c->npools; i++) {
		const struct cfg_pool *p = &c->pools[i];

		if (strlen(p->name) != plen || memcmp(p->name, name, plen) != 0)
			continue;
		for (j = 0; j < p->nservers; j++)
			if (strcmp(p->servers[j].addr.text, slash + 1) == 0) {
				*pool = p;
				return (&p->servers[j]);
			}
	}
	return (NULL);
}
