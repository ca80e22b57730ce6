/*
 * Reading settings for cfg_load(): complaints in "file:line: message"
 * form naming the setting by its path, unknown keys with a "did you
 * mean", and typed getters that check a setting's type and range, so each
 * section's parser reads as a list of its settings.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/cfg_parse.h"
#include "lib/addr.h"

/*
 * "file:line: msg", or "file: msg" for line 0. An @include'd file is
 * named as written in the directive, relative to cfg->dir: say so.
 */
void
cfg_report(struct ctx *x, const char *file, unsigned line, const char *msg)
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

/* Format the error at a setting; -1 so callers can "return (cfg_bad(...))". */
int
cfg_bad(struct ctx *x, const config_setting_t *at, const char *fmt, ...)
{
	char	 msg[CFG_ERRLEN];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (at != NULL)
		cfg_report(x, config_setting_source_file(at),
		    config_setting_source_line(at), msg);
	else
		cfg_report(x, NULL, 0, msg);
	return (-1);
}

/* The same at a line of a file porter reads itself (block_file, ...). */
int
cfg_bad_line(struct ctx *x, const char *file, unsigned line, const char *fmt,
    ...)
{
	char	 msg[CFG_ERRLEN];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_report(x, file, line, msg);
	return (-1);
}

/* where.name, or where.name[i] when i >= 0; long paths are cut short. */
void
cfg_mkpath_i(char *buf, const char *where, const char *name, int i)
{
	char	 idx[16] = "";
	int	 n;

	if (i >= 0)
		snprintf(idx, sizeof(idx), "[%d]", i);
	n = snprintf(buf, CFG_PATHLEN, "%s%s%s%s", where, where[0] ? "." : "",
	    name, idx);
	if (n < 0 || n >= CFG_PATHLEN)
		buf[CFG_PATHLEN - 1] = '\0';
}

void
cfg_mkpath(char *buf, const char *where, const char *name)
{
	cfg_mkpath_i(buf, where, name, -1);
}

int
cfg_in_list(const char *name, const char *const *list)
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

/* Every member of g must be in known (or in later, if any: refused). */
int
cfg_check_keys(struct ctx *x, const config_setting_t *g, const char *where,
    const char *const *known, const char *const *later)
{
	const config_setting_t	*s;
	const char		*name, *best;
	const char *const	*k;
	char			 path[CFG_PATHLEN], hint[CFG_PATHLEN + 32];
	int			 i, n, d, bestd;

	n = config_setting_length(g);
	for (i = 0; i < n; i++) {
		s = config_setting_get_elem(g, i);
		name = config_setting_name(s);
		if (name == NULL || cfg_in_list(name, known))
			continue;
		cfg_mkpath(path, where, name);
		if (later != NULL && cfg_in_list(name, later))
			return (cfg_bad(x, s, "%s is not supported yet", path));
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
			cfg_mkpath(path, where, best);
			snprintf(hint, sizeof(hint), " (did you mean \"%s\"?)",
			    path);
			cfg_mkpath(path, where, name);
		}
		return (cfg_bad(x, s, "unknown setting \"%s\"%s", path, hint));
	}
	return (0);
}

config_setting_t *
cfg_member(const config_setting_t *g, const char *name)
{
	return (config_setting_get_member(g, name));
}

/* g's member name and, if there is one, its path ("where.name"). */
static const config_setting_t *
lookup(const config_setting_t *g, const char *where, const char *name,
    char *path)
{
	const config_setting_t	*s = cfg_member(g, name);

	if (s != NULL)
		cfg_mkpath(path, where, name);
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
int
cfg_get_int(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, long long min, long long max, long long *out)
{
	const config_setting_t	*s;
	char			 path[CFG_PATHLEN];
	long long		 v;

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_INT &&
	    config_setting_type(s) != CONFIG_TYPE_INT64)
		return (cfg_bad(x, s, "%s must be an integer", path));
	if (int_wrapped(x, s))
		return (cfg_bad(x, s, "%s: number too large for a 32-bit "
		    "integer (add an L suffix, e.g. 5000000000L)", path));
	v = config_setting_get_int64(s);
	if (v < min || v > max) {
		if (max >= LONG_MAX)
			return (cfg_bad(x, s, "%s must be >= %lld, not %lld",
			    path, min, v));
		return (cfg_bad(x, s, "%s must be between %lld and %lld, not "
		    "%lld", path, min, max, v));
	}
	*out = v;
	return (1);
}

/* Seconds, > 0 (or >= 0 when zero_ok) and <= max. */
int
cfg_get_secs(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int zero_ok, double max, double *out)
{
	const config_setting_t	*s;
	const char		*lo = zero_ok ? ">=" : ">";
	char			 path[CFG_PATHLEN];
	double			 v;

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (int_wrapped(x, s))
			return (cfg_bad(x, s, "%s must be %s 0 and <= %.0f "
			    "seconds", path, lo, max));
		v = (double)config_setting_get_int64(s);
		break;
	case CONFIG_TYPE_FLOAT:
		v = config_setting_get_float(s);
		break;
	default:
		return (cfg_bad(x, s, "%s must be a number (seconds)", path));
	}
	if (!((zero_ok ? v >= 0 : v > 0) && v <= max))
		return (cfg_bad(x, s, "%s must be %s 0 and <= %.0f seconds, "
		    "not %g", path, lo, max, v));
	*out = v;
	return (1);
}

/* A duration in seconds, > 0 and <= a day. */
int
cfg_get_duration(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, double *out)
{
	return (cfg_get_secs(x, g, where, name, 0, CFG_MAX_DURATION, out));
}

/* Bytes: an integer, or a string with an optional K/M/G suffix. */
int
cfg_get_size(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, uint64_t *out)
{
	const config_setting_t	*s;
	char			 path[CFG_PATHLEN];
	long long		 v;

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (int_wrapped(x, s))
			return (cfg_bad(x, s, "%s: number too large for a "
			    "32-bit integer (write it as a string, e.g. "
			    "\"5G\")", path));
		v = config_setting_get_int64(s);
		if (v < 0)
			return (cfg_bad(x, s, "%s must not be negative", path));
		*out = (uint64_t)v;
		return (1);
	case CONFIG_TYPE_STRING:
		if (cfg_parse_size(config_setting_get_string(s), out) == -1)
			return (cfg_bad(x, s, "%s: bad size \"%s\" (bytes, or "
			    "a number with K, M or G)", path,
			    config_setting_get_string(s)));
		return (1);
	default:
		return (cfg_bad(x, s, "%s must be a size: an integer or a "
		    "string like \"64M\"", path));
	}
}

/* Like cfg_get_string, but "" is a value too (a body, a header value). */
int
cfg_get_text(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const char **out)
{
	const config_setting_t	*s;
	char			 path[CFG_PATHLEN];

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_STRING)
		return (cfg_bad(x, s, "%s must be a string", path));
	*out = config_setting_get_string(s);
	return (1);
}

/* A non-empty string. */
int
cfg_get_string(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const char **out)
{
	char	path[CFG_PATHLEN];
	int	r = cfg_get_text(x, g, where, name, out);

	if (r != 1 || (*out)[0] != '\0')
		return (r);
	cfg_mkpath(path, where, name);
	return (cfg_bad(x, cfg_member(g, name), "%s must not be empty", path));
}

int
cfg_get_bool(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int *out)
{
	const config_setting_t	*s;
	char			 path[CFG_PATHLEN];

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_BOOL)
		return (cfg_bad(x, s, "%s must be true or false", path));
	*out = config_setting_get_bool(s);
	return (1);
}

/* A required string: missing is blamed on the enclosing group g. */
int
cfg_need_string(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const char **out)
{
	char	 path[CFG_PATHLEN];
	int	 r;

	if ((r = cfg_get_string(x, g, where, name, out)) != 0)
		return (r);
	cfg_mkpath(path, where, name);
	return (cfg_bad(x, g, "%s is required", path));
}

/* An optional group; absent gives 0, a non-group an error. */
int
cfg_get_group(struct ctx *x, const config_setting_t *g, const char *name,
    const config_setting_t **out)
{
	const config_setting_t	*s = cfg_member(g, name);

	*out = NULL;
	if (s == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return (cfg_bad(x, s, "%s must be a group: %s = { ... };",
		    name, name));
	*out = s;
	return (1);
}

/*
 * A list of groups: ( { ... }, { ... } ). An empty array [] is accepted as
 * an empty list since libconfig cannot tell them apart when empty.
 */
int
cfg_get_list(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const config_setting_t **out)
{
	const config_setting_t	*s, *e;
	char			 path[CFG_PATHLEN];
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
		return (cfg_bad(x, s, "%s must be a list of groups: "
		    "%s = ( { ... }, ... );", path, name));
	for (i = 0; i < config_setting_length(s); i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_GROUP)
			return (cfg_bad(x, e, "%s[%d] must be a group { ... }",
			    path, i));
	}
	*out = s;
	return (1);
}

char *
cfg_xstrdup(struct ctx *x, const config_setting_t *at, const char *s)
{
	char	*p;

	if ((p = strdup(s)) == NULL)
		cfg_bad(x, at, "out of memory");
	return (p);
}

/* p as is when absolute, else joined to cfg->dir. */
char *
cfg_in_dir(struct ctx *x, const config_setting_t *at, const char *p)
{
	const char	*dir = x->cfg->dir;
	size_t		 dl = strlen(dir), n = dl + strlen(p) + 2;
	char		*out;

	if (p[0] == '/')
		return (cfg_xstrdup(x, at, p));
	if ((out = malloc(n)) == NULL) {
		cfg_bad(x, at, "out of memory");
		return (NULL);
	}
	snprintf(out, n, "%s%s%s", dir,
	    dl > 0 && dir[dl - 1] == '/' ? "" : "/", p);
	return (out);
}

/*
 * An array of non-empty strings, [ "a", "b" ] (or a list, ( "a", "b" )).
 * 1 found (*out may have no elements), 0 absent, -1 error.
 */
int
cfg_get_strings(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, const config_setting_t **out)
{
	const config_setting_t	*s, *e;
	char			 path[CFG_PATHLEN];
	int			 i;

	*out = NULL;
	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return (cfg_bad(x, s, "%s must be an array of strings: "
		    "%s = [ \"...\", ... ];", path, name));
	for (i = 0; i < config_setting_length(s); i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_STRING)
			return (cfg_bad(x, e, "%s[%d] must be a string", path,
			    i));
		if (config_setting_get_string(e)[0] == '\0')
			return (cfg_bad(x, e, "%s[%d] must not be empty", path,
			    i));
	}
	*out = s;
	return (1);
}

/*
 * The start of a list read into a new array: the list, by get (cfg_get_list
 * or cfg_get_strings; *list is NULL when absent), and in *mem a zeroed array
 * of size-byte elements, one per member and extra more at the end (for
 * block_file's). Returns how many elements; 0 when there are none
 * (nothing allocated), -1 on error.
 */
int
cfg_get_array(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, cfg_getter_fn *get, int extra, size_t size,
    const config_setting_t **list, void **mem)
{
	int	 n, r;

	*mem = NULL;
	if ((r = get(x, g, where, name, list)) == -1)
		return (-1);
	if ((n = (r == 1 ? config_setting_length(*list) : 0) + extra) == 0)
		return (0);
	if ((*mem = calloc(n, size)) == NULL)
		return (cfg_bad(x, *list, "out of memory"));
	return (n);
}

/*
 * An array of integers in [min, max], no two alike: [ 443, 8443 ] (or a
 * list); example is for the message. 1 found (*nout may be 0, *out then
 * NULL), 0 absent, -1 error.
 */
int
cfg_get_ints(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, long long min, long long max, long long example,
    int **out, int *nout)
{
	const config_setting_t	*s, *e;
	char			 path[CFG_PATHLEN];
	long long		 v;
	int			 i, j, n;

	if ((s = lookup(g, where, name, path)) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_ARRAY &&
	    config_setting_type(s) != CONFIG_TYPE_LIST)
		return (cfg_bad(x, s, "%s must be an array of integers: "
		    "%s = [ %lld, ... ];", path, name, example));
	if ((n = config_setting_length(s)) == 0)
		return (1);
	if ((*out = calloc(n, sizeof(**out))) == NULL)
		return (cfg_bad(x, s, "out of memory"));
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(s, i);
		if (config_setting_type(e) != CONFIG_TYPE_INT &&
		    config_setting_type(e) != CONFIG_TYPE_INT64)
			return (cfg_bad(x, e, "%s[%d] must be an integer", path,
			    i));
		v = config_setting_get_int64(e);
		if (v < min || v > max)
			return (cfg_bad(x, e, "%s[%d] must be between %lld and "
			    "%lld, not %lld", path, i, min, max, v));
		for (j = 0; j < i; j++)
			if ((*out)[j] == v)
				return (cfg_bad(x, e, "%s[%d]: duplicate %lld "
				    "(already %s[%d])", path, i, v, path, j));
		(*out)[i] = (int)v;
	}
	return (1);
}

/*
 * Method names, no two alike: retry_methods = [ "POST" ] with upper
 * (cfg_method_ok: "post" would be a slip for POST), or methods = [ "GET",
 * "HEAD" ] without (any token, matched as the request line has it).
 * 0 or -1.
 */
int
cfg_get_methods(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int upper, char ***out, int *nout)
{
	const config_setting_t	*list, *e;
	const char		*v;
	char			 path[CFG_PATHLEN];
	void			*mem;
	int			 i, j, n;

	if ((n = cfg_get_array(x, g, where, name, cfg_get_strings, 0,
	    sizeof(**out), &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	cfg_mkpath(path, where, name);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		v = config_setting_get_string(e);
		if (upper && !cfg_method_ok(v))
			return (cfg_bad(x, e, "%s[%d]: \"%s\" is not an "
			    "upper-case method name such as \"POST\"", path, i,
			    v));
		if (!upper && !cfg_is_token(v))
			return (cfg_bad(x, e, "%s[%d]: \"%s\" is not a method "
			    "name (" CFG_TCHARS ")", path, i, v));
		for (j = 0; j < i; j++)
			if (strcmp((*out)[j], v) == 0)
				return (cfg_bad(x, e, "%s[%d]: duplicate "
				    "method \"%s\" (already %s[%d])", path, i,
				    v, path, j));
		if (((*out)[i] = cfg_xstrdup(x, e, v)) == NULL)
			return (-1);
	}
	return (0);
}

/* An ERE, compiled as the worker uses it; regerror's words if bad. */
int
cfg_re_error(const char *src, int cflags, regex_t *re, char *why, size_t len)
{
	int	 e;

	if ((e = regcomp(re, src, cflags)) == 0)
		return (0);
	regerror(e, re, why, len);
	return (-1);
}

int
cfg_compile_re(struct ctx *x, const config_setting_t *at, const char *path,
    const char *src, int cflags, regex_t *re)
{
	char	 why[256];

	if (cfg_re_error(src, cflags, re, why, sizeof(why)) == 0)
		return (0);
	return (cfg_bad(x, at, "%s: bad regular expression \"%s\": %s", path,
	    src, why));
}

/*
 * An array of EREs (deny_paths, block_urls), compiled with cflags, into
 * new arrays *re and their sources *src with extra empty slots at the end
 * (for block_file's); *nout counts every slot. (*src)[i] is set only once
 * (*re)[i] is compiled, so cfg_free knows what to regfree. 0 or -1.
 */
int
cfg_get_res(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int cflags, int extra, char ***src, regex_t **re,
    int *nout)
{
	const config_setting_t	*list, *e;
	const char		*v;
	char			 path[CFG_PATHLEN];
	void			*mem;
	int			 i, n;

	if ((n = cfg_get_array(x, g, where, name, cfg_get_strings, extra,
	    sizeof(char *), &list, &mem)) <= 0)
		return (n);
	*src = mem;
	if ((*re = calloc(n, sizeof(regex_t))) == NULL)
		return (cfg_bad(x, list, "out of memory"));
	*nout = n;
	for (i = 0; i < n - extra; i++) {
		e = config_setting_get_elem(list, i);
		v = config_setting_get_string(e);
		cfg_mkpath_i(path, where, name, i);
		if (cfg_compile_re(x, e, path, v, cflags, &(*re)[i]) == -1)
			return (-1);
		if (((*src)[i] = strdup(v)) == NULL) {
			regfree(&(*re)[i]);
			return (cfg_bad(x, e, "out of memory"));
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
int
cfg_slurp(struct ctx *x, const config_setting_t *at, const char *path,
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
		return (cfg_bad(x, at, "%s: cannot read \"%s\": %s", path, file,
		    strerror(errno)));
	if (fstat(fd, &st) == -1) {
		e = errno;
		close(fd);
		return (cfg_bad(x, at, "%s: cannot read \"%s\": %s", path, file,
		    strerror(e)));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return (cfg_bad(x, at, "%s: \"%s\" is not a regular file", path,
		    file));
	}
	/* One byte more than allowed tells a file that grew too big. */
	cap = (st.st_size >= 0 && (uint64_t)st.st_size < max ?
	    (size_t)st.st_size : max) + 1;
	if ((buf = malloc(cap + 1)) == NULL) {
		close(fd);
		return (cfg_bad(x, at, "out of memory"));
	}
	while (len <= max) {
		if (len == cap) {
			cap = cap > max / 2 ? max + 1 : cap * 2;
			if ((p = realloc(buf, cap + 1)) == NULL) {
				free(buf);
				close(fd);
				return (cfg_bad(x, at, "out of memory"));
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
			return (cfg_bad(x, at, "%s: cannot read \"%s\": %s",
			    path, file, strerror(e)));
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len > max) {
		free(buf);
		return (cfg_bad(x, at, "%s: \"%s\" is larger than %s", path,
		    file, maxname));
	}
	buf[len] = '\0';
	*out = buf;
	*lenp = len;
	return (0);
}

int
cfg_addr_eq(const struct cfg_addr *a, const struct cfg_addr *b)
{
	return (addr_same((const struct sockaddr *)&a->sa,
	    (const struct sockaddr *)&b->sa));
}

/* An address setting: numeric, or with !numeric_only a name too. */
int
cfg_get_addr(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, int numeric_only, struct cfg_addr *out)
{
	const char	*v;
	char		 path[CFG_PATHLEN], aerr[CFG_ERRLEN];

	if (cfg_need_string(x, g, where, name, &v) == -1)
		return (-1);
	cfg_mkpath(path, where, name);
	if (cfg_parse_addr(v, numeric_only, out, aerr, sizeof(aerr)) == -1)
		return (cfg_bad(x, cfg_member(g, name), "%s: %s", path, aerr));
	return (0);
}

/* Free what a partly parsed config holds, too: counts cover the arrays. */
void
cfg_free_strings(char **v, int n)
{
	int	 i;

	for (i = 0; i < n && v != NULL; i++)
		free(v[i]);
	free(v);
}

/* What cfg_get_res made. */
void
cfg_free_res(char **src, regex_t *re, int n)
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
