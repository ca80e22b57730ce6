/*
 * A reverse listener's routes = ( { host; path; pool or return; ... } ),
 * the request filters a route and its listener share (allow, deny,
 * methods, deny_paths, require_headers, deny_headers), and the header
 * fields a route sets and removes.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_parse.h"

/* allow = [ "10.0.0.0/8", "::1" ]; (cfg_cidr.c reads each range) */
int
cfg_parse_cidrs(struct ctx *x, const config_setting_t *g, const char *where,
    const char *name, struct cfg_cidr **out, int *nout)
{
	const config_setting_t	*list, *e;
	char			 path[CFG_PATHLEN];
	void			*mem;
	int			 i, n;

	if ((n = cfg_get_array(x, g, where, name, cfg_get_strings, 0,
	    sizeof(**out), &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	cfg_mkpath(path, where, name);
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		if (cfg_parse_cidr(config_setting_get_string(e),
		    &(*out)[i]) == -1)
			return (cfg_bad(x, e, "%s[%d]: bad address range "
			    "\"%s\" (an IP address, or \"a.b.c.d/n\" or "
			    "\"x::y/n\")", path, i,
			    config_setting_get_string(e)));
	}
	return (0);
}

static const char *const header_keys[] = { "name", "value", NULL };

/* A header group's keys and its name, which must be a field name. */
static int
hdr_name(struct ctx *x, const config_setting_t *e, const char *rw,
    const char **v)
{
	if (cfg_check_keys(x, e, rw, header_keys, NULL) == -1 ||
	    cfg_need_string(x, e, rw, "name", v) == -1)
		return (-1);
	if (!cfg_is_token(*v))
		return (cfg_bad(x, cfg_member(e, "name"), "%s.name: \"%s\" is "
		    "not a header field name (" CFG_TCHARS ")", rw, *v));
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
	char			 rw[CFG_PATHLEN], path[CFG_PATHLEN];
	void			*mem;
	int			 i, n, r;

	if ((n = cfg_get_array(x, g, where, name, cfg_get_list, 0,
	    sizeof(**out), &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		hr = &(*out)[i];
		hr->line = config_setting_source_line(e);
		cfg_mkpath_i(rw, where, name, i);
		if (hdr_name(x, e, rw, &v) == -1)
			return (-1);
		if ((hr->name = cfg_xstrdup(x, e, v)) == NULL)
			return (-1);
		if ((r = cfg_get_string(x, e, rw, "value", &v)) == -1)
			return (-1);
		if (r == 0)
			continue;
		cfg_mkpath(path, rw, "value");
		if (cfg_compile_re(x, cfg_member(e, "value"), path, v,
		    CFG_RE_PATH, &hr->re) == -1)
			return (-1);
		if ((hr->pattern = strdup(v)) == NULL) {
			regfree(&hr->re);
			return (cfg_bad(x, e, "out of memory"));
		}
	}
	return (0);
}

int
cfg_parse_filter(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_filter *f)
{
	if (cfg_parse_cidrs(x, g, where, "allow", &f->allow,
	    &f->nallow) == -1 ||
	    cfg_parse_cidrs(x, g, where, "deny", &f->deny, &f->ndeny) == -1 ||
	    cfg_get_methods(x, g, where, "methods", 0, &f->methods,
	    &f->nmethods) == -1 ||
	    cfg_get_res(x, g, where, "deny_paths", CFG_RE_PATH, 0,
	    &f->deny_paths_src, &f->deny_paths, &f->ndeny_paths) == -1 ||
	    parse_hdr_rules(x, g, where, "require_headers", &f->require_headers,
	    &f->nrequire_headers) == -1 ||
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
	char			 rw[CFG_PATHLEN], other[CFG_PATHLEN];
	void			*mem;
	int			 i, j, n, r;

	if ((n = cfg_get_array(x, g, where, name, cfg_get_list, 0,
	    sizeof(**out), &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		hs = &(*out)[i];
		cfg_mkpath_i(rw, where, name, i);
		if (hdr_name(x, e, rw, &v) == -1)
			return (-1);
		if ((why = managed_field(v, request)) != NULL)
			return (cfg_bad(x, cfg_member(e, "name"), "%s.name: "
			    "\"%s\" cannot be set: porter manages it (%s)", rw,
			    v, why));
		for (j = 0; j < i; j++)
			if (strcasecmp((*out)[j].name, v) == 0) {
				cfg_mkpath_i(other, where, name, j);
				return (cfg_bad(x, cfg_member(e, "name"),
				    "%s.name: \"%s\" is already set by %s", rw,
				    v, other));
			}
		if ((hs->name = cfg_xstrdup(x, e, v)) == NULL)
			return (-1);
		if ((r = cfg_get_text(x, e, rw, "value", &v)) == -1)
			return (-1);
		if (r == 0)
			return (cfg_bad(x, e, "%s.value is required", rw));
		if (!value_ok(v))
			return (cfg_bad(x, cfg_member(e, "value"), "%s.value: "
			    "control characters (CR, LF, ...) or surrounding "
			    "spaces are not allowed in a header value", rw));
		if ((hs->value = cfg_xstrdup(x, e, v)) == NULL)
			return (-1);
	}
	return (0);
}

/* remove_request_headers = [ "Cookie" ]; none may also be set. */
int
cfg_parse_hdr_removes(struct ctx *x, const config_setting_t *g,
    const char *where, const char *name, int request,
    const struct cfg_hdr_set *set, int nset, const char *set_name,
    char ***out, int *nout)
{
	const config_setting_t	*list, *e;
	const char		*v, *why;
	char			 path[CFG_PATHLEN], other[CFG_PATHLEN];
	void			*mem;
	int			 i, j, n;

	if ((n = cfg_get_array(x, g, where, name, cfg_get_strings, 0,
	    sizeof(**out), &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		v = config_setting_get_string(e);
		cfg_mkpath_i(path, where, name, i);
		if (!cfg_is_token(v))
			return (cfg_bad(x, e, "%s: \"%s\" is not a header "
			    "field name (" CFG_TCHARS ")", path, v));
		if ((why = managed_field(v, request)) != NULL)
			return (cfg_bad(x, e, "%s: \"%s\" cannot be removed: "
			    "porter manages it (%s)", path, v, why));
		for (j = 0; j < i; j++)
			if (strcasecmp((*out)[j], v) == 0) {
				cfg_mkpath_i(other, where, name, j);
				return (cfg_bad(x, e, "%s: \"%s\" duplicates "
				    "%s", path, v, other));
			}
		for (j = 0; j < nset; j++)
			if (strcasecmp(set[j].name, v) == 0) {
				cfg_mkpath_i(other, where, set_name, j);
				return (cfg_bad(x, e, "%s: \"%s\" is also set "
				    "by %s", path, v, other));
			}
		if (((*out)[i] = cfg_xstrdup(x, e, v)) == NULL)
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
	    cfg_parse_hdr_removes(x, g, where, "remove_request_headers", 1,
	    rt->set_request_headers, rt->nset_request_headers,
	    "set_request_headers", &rt->remove_request_headers,
	    &rt->nremove_request_headers) == -1 ||
	    parse_hdr_sets(x, g, where, "set_response_headers", 0,
	    &rt->set_response_headers, &rt->nset_response_headers) == -1 ||
	    cfg_parse_hdr_removes(x, g, where, "remove_response_headers", 0,
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

static const char *const return_keys[] = {
	"status", "location", "body", NULL
};

/* return = { status = 301; location = "/new/"; body = "Moved."; }; */
static int
parse_return(struct ctx *x, const config_setting_t *s, const char *where,
    struct cfg_route *rt)
{
	struct cfg_return	*rv = &rt->ret;
	const unsigned char	*p;
	const char		*v;
	char			 rw[CFG_PATHLEN];
	long long		 n;
	int			 r;

	cfg_mkpath(rw, where, "return");
	if (config_setting_type(s) != CONFIG_TYPE_GROUP)
		return (cfg_bad(x, s, "%s must be a group: return = { status = "
		    "301; location = \"/new/\"; };", rw));
	if (cfg_check_keys(x, s, rw, return_keys, NULL) == -1)
		return (-1);
	if ((r = cfg_get_int(x, s, rw, "status", 200, 599, &n)) == -1)
		return (-1);
	if (r == 0)
		return (cfg_bad(x, s, "%s.status is required", rw));
	rv->status = (int)n;

	if ((r = cfg_get_string(x, s, rw, "location", &v)) == -1)
		return (-1);
	if (r == 1) {
		for (p = (const unsigned char *)v; *p != '\0'; p++)
			if (*p <= ' ' || *p == 0x7f)
				return (cfg_bad(x, cfg_member(s, "location"),
				    "%s.location: spaces and control "
				    "characters are not allowed (write a space "
				    "as %%20)", rw));
		if ((rv->location = cfg_xstrdup(x, s, v)) == NULL)
			return (-1);
	} else if (is_redirect(rv->status))
		return (cfg_bad(x, s, "%s.location is required with status %d",
		    rw, rv->status));

	if ((r = cfg_get_text(x, s, rw, "body", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (rv->status == 204 || rv->status == 304)
			return (cfg_bad(x, cfg_member(s, "body"), "%s.body: a "
			    "%d response has no body", rw, rv->status));
		if (strlen(v) > CFG_MAX_TEXT)
			return (cfg_bad(x, cfg_member(s, "body"), "%s.body is "
			    "longer than 64K", rw));
		if ((rv->body = cfg_xstrdup(x, s, v)) == NULL)
			return (-1);
	}
	return (0);
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

static const char *const route_keys[] = {
	"host", "path", "pool", "return", "max_body_size", "normalize",
	"allow_encoded_slash",
	"allow", "deny", "methods", "deny_paths", "require_headers",
	"deny_headers",
	"set_request_headers", "remove_request_headers",
	"set_response_headers", "remove_response_headers",
	"cache", "cache_default_ttl", "default_ttl", "cache_max_ttl",
	"cache_min_uses", "cache_set_cookie", "cache_ignore_query",
	"cache_key_headers", "cache_ignore_vary", "cache_cdn_control",
	"cache_grace",
	"access_log", "access_log_format", NULL
};

static int
parse_route(struct ctx *x, const config_setting_t *g, const char *where,
    const char *listen, struct cfg_route *rt)
{
	const config_setting_t	*s, *rs;
	const char		*v;
	const unsigned char	*p;

	rt->line = config_setting_source_line(g);
	if (cfg_check_keys(x, g, where, route_keys, NULL) == -1)
		return (-1);

	v = "*";
	if (cfg_get_string(x, g, where, "host", &v) == -1)
		return (-1);
	if ((rt->host = cfg_xstrdup(x, g, v)) == NULL)
		return (-1);
	if (!cfg_host_ok(rt->host))
		return (cfg_bad(x, cfg_member(g, "host"), "%s.host: bad host "
		    "\"%s\" (\"*\", a name, or \"*.example.com\")", where, v));

	v = "/";
	if (cfg_get_string(x, g, where, "path", &v) == -1)
		return (-1);
	if (v[0] != '/')
		return (cfg_bad(x, cfg_member(g, "path"), "%s.path must start "
		    "with \"/\", not \"%s\"", where, v));
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= ' ' || *p == 0x7f || *p == '#')
			return (cfg_bad(x, cfg_member(g, "path"), "%s.path: "
			    "bad character in \"%s\"", where, v));
	if ((rt->path = cfg_xstrdup(x, g, v)) == NULL)
		return (-1);
	rt->path_len = strlen(rt->path);

	/* A route proxies to its pool or answers by itself. */
	s = cfg_member(g, "pool");
	rs = cfg_member(g, "return");
	if (s != NULL && rs != NULL)
		return (cfg_bad(x, rs, "%s: pool and return cannot be combined "
		    "(a route either proxies or answers by itself)", where));
	if (rs != NULL) {
		rt->pool = -1;
		if (parse_return(x, rs, where, rt) == -1)
			return (-1);
	} else {
		if (s == NULL)
			return (cfg_bad(x, g, "%s.pool is required (or return "
			    "= { status = ...; } to answer without a backend)",
			    where));
		if (cfg_get_string(x, g, where, "pool", &v) == -1)
			return (-1);
		if ((rt->pool = pool_index(x->cfg, v)) == -1)
			return (cfg_bad(x, s, "%s: unknown pool \"%s\"%s",
			    where, v, x->cfg->npools == 0 ?
			    " (no pools are defined)" : ""));
	}

	if (cfg_get_size(x, g, where, "max_body_size",
	    &rt->max_body_size) == -1 ||
	    cfg_get_bool(x, g, where, "normalize", &rt->normalize) == -1 ||
	    cfg_get_bool(x, g, where, "allow_encoded_slash",
	    &rt->allow_encoded_slash) == -1 ||
	    cfg_parse_filter(x, g, where, &rt->filter) == -1 ||
	    parse_route_headers(x, g, where, rt) == -1 ||
	    cfg_parse_route_cache(x, g, where, listen, rt) == -1)
		return (-1);
	return (0);
}

int
cfg_parse_reverse(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_listener *l)
{
	const config_setting_t	*list;
	char			 rw[CFG_PATHLEN];
	void			*mem;
	int			 i, j, n;

	if ((n = cfg_get_array(x, g, where, "routes", cfg_get_list, 0,
	    sizeof(*l->routes), &list, &mem)) == -1)
		return (-1);
	if (n == 0)
		return (cfg_bad(x, list ? list : g, "%s.routes: a reverse "
		    "listener needs at least one route", where));
	l->routes = mem;
	l->nroutes = n;
	for (i = 0; i < l->nroutes; i++) {
		cfg_mkpath_i(rw, where, "routes", i);
		if (parse_route(x, config_setting_get_elem(list, i), rw,
		    l->addr.text, &l->routes[i]) == -1 ||
		    cfg_parse_log_here(x, config_setting_get_elem(list, i), rw,
		    l->access_to, l->access_format, &l->routes[i].access_to,
		    &l->routes[i].access_format) == -1)
			return (-1);
		for (j = 0; j < i; j++)
			if (strcmp(l->routes[i].host, l->routes[j].host) == 0 &&
			    strcmp(l->routes[i].path, l->routes[j].path) == 0)
				return (cfg_bad(x, config_setting_get_elem(list,
				    i), "%s: same host and path as "
				    "%s.routes[%d] (line %d)", rw, where, j,
				    l->routes[j].line));
	}
	return (0);
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

void
cfg_free_filter(struct cfg_filter *f)
{
	free(f->allow);
	free(f->deny);
	cfg_free_strings(f->methods, f->nmethods);
	cfg_free_res(f->deny_paths_src, f->deny_paths, f->ndeny_paths);
	free_hdr_rules(f->require_headers, f->nrequire_headers);
	free_hdr_rules(f->deny_headers, f->ndeny_headers);
}

void
cfg_free_route(struct cfg_route *rt)
{
	free(rt->host);
	free(rt->path);
	cfg_free_filter(&rt->filter);
	free(rt->ret.location);
	free(rt->ret.body);
	free_hdr_sets(rt->set_request_headers, rt->nset_request_headers);
	cfg_free_strings(rt->remove_request_headers,
	    rt->nremove_request_headers);
	free_hdr_sets(rt->set_response_headers, rt->nset_response_headers);
	cfg_free_strings(rt->remove_response_headers,
	    rt->nremove_response_headers);
	cfg_free_route_cache(&rt->cache);
}
