/*
 * libconfig file -> struct cfg. Everything is checked in config/, once:
 * types, ranges, cross-field rules and references between sections, so
 * the rest of porter can trust the struct. Every complaint is
 * "file:line: message" naming the setting by its path
 * ("listeners[1].routes[0].pool").
 *
 * This file reads the top level (global settings, workers, timeouts,
 * limits, error pages), the listeners and the status page, and frees what
 * was read; cfg_parse.h says where the rest is.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_parse.h"

/* "stderr" stays; an absolute path stays; anything else joins cfg->dir. */
static char *
resolve(struct ctx *x, const config_setting_t *at, const char *p)
{
	if (strcmp(p, "stderr") == 0)
		return (cfg_xstrdup(x, at, p));
	return (cfg_in_dir(x, at, p));
}

/* An error page's file, up to 64K. */
static int
read_page(struct ctx *x, const config_setting_t *at, const char *path,
    struct cfg_error_page *ep)
{
	return (cfg_slurp(x, at, path, ep->file, CFG_MAX_TEXT, "64K", &ep->body,
	    &ep->len));
}

/* The statuses porter answers by itself, so the only ones with pages. */
static const int page_statuses[] = {
	400, 403, 404, 405, 408, 413, 414, 429, 431,
	500, 501, 502, 503, 504, 505, 0
};

static const char *const error_page_keys[] = { "status", "file", NULL };

/* error_pages = ( { status = 404; file = "errors/404.html"; }, ... ); */
static int
parse_error_pages(struct ctx *x, const config_setting_t *g,
    const char *where, struct cfg_error_page **out, int *nout)
{
	const config_setting_t	*list, *e;
	struct cfg_error_page	*ep;
	const char		*v;
	char			 pw[CFG_PATHLEN], fp[CFG_PATHLEN], valid[128];
	void			*mem;
	long long		 st;
	size_t			 vl;
	int			 i, j, n, r;

	if ((n = cfg_get_array(x, g, where, "error_pages", cfg_get_list, 0,
	    sizeof(**out), &list, &mem)) <= 0)
		return (n);
	*out = mem;
	*nout = n;
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		ep = &(*out)[i];
		cfg_mkpath_i(pw, where, "error_pages", i);
		if (cfg_check_keys(x, e, pw, error_page_keys, NULL) == -1)
			return (-1);
		if ((r = cfg_get_int(x, e, pw, "status", 100, 999, &st)) == -1)
			return (-1);
		if (r == 0)
			return (cfg_bad(x, e, "%s.status is required", pw));
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
			return (cfg_bad(x, cfg_member(e, "status"),
			    "%s.status: porter never answers %lld by itself "
			    "(valid: %s)", pw, st, valid));
		}
		ep->status = (int)st;
		for (j = 0; j < i && (*out)[j].status != ep->status; j++)
			continue;
		if (j < i) {
			cfg_mkpath_i(fp, where, "error_pages", j);
			return (cfg_bad(x, cfg_member(e, "status"),
			    "%s.status: duplicate status %d (already in %s)",
			    pw, ep->status, fp));
		}
		if (cfg_need_string(x, e, pw, "file", &v) == -1 ||
		    (ep->file = cfg_in_dir(x, cfg_member(e, "file"),
		    v)) == NULL)
			return (-1);
		cfg_mkpath(fp, pw, "file");
		if (read_page(x, cfg_member(e, "file"), fp, ep) == -1)
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

	if ((r = cfg_get_string(x, root, "", "pid_file", &v)) == -1)
		return (-1);
	if (r == 1 && (c->pid_file = resolve(x, cfg_member(root, "pid_file"),
	    v)) == NULL)
		return (-1);

	/* error_log, access_log, access_log_format, request_id */
	if (cfg_parse_log_top(x, root) == -1)
		return (-1);

	c->log_level = CFG_LOG_INFO;
	if ((r = cfg_get_string(x, root, "", "log_level", &v)) == -1)
		return (-1);
	if (r == 1) {
		for (i = 0; levels[i] != NULL; i++)
			if (strcmp(v, levels[i]) == 0)
				break;
		if (levels[i] == NULL)
			return (cfg_bad(x, cfg_member(root, "log_level"),
			    "log_level must be one of error, warn, info, "
			    "debug; not \"%s\"", v));
		c->log_level = CFG_LOG_ERROR + i;
	}

	if ((r = cfg_get_string(x, root, "", "user", &v)) == -1)
		return (-1);
	if (r == 1 && (c->user = cfg_xstrdup(x, cfg_member(root, "user"),
	    v)) == NULL)
		return (-1);
	if ((r = cfg_get_string(x, root, "", "group", &v)) == -1)
		return (-1);
	if (r == 1 && (c->group = cfg_xstrdup(x, cfg_member(root, "group"),
	    v)) == NULL)
		return (-1);

	c->upstream_keepalive = 16;
	if ((r = cfg_get_int(x, root, "", "upstream_keepalive", 0, 1024,
	    &n)) == -1)
		return (-1);
	if (r == 1)
		c->upstream_keepalive = (int)n;

	c->shutdown_timeout = 30.0;
	if (cfg_get_duration(x, root, "", "shutdown_timeout",
	    &c->shutdown_timeout) == -1)
		return (-1);

	/*
	 * Off by default, as in nginx: a backend that reads "_" as "-"
	 * (CGI, many app servers) would take Content_Length for a second
	 * framing field that porter did not check.
	 */
	c->underscores_in_headers = 0;
	if (cfg_get_bool(x, root, "", "underscores_in_headers",
	    &c->underscores_in_headers) == -1)
		return (-1);
	return (0);
}

static const char *const workers_keys[] = {
	"start", "min_spare", "max_spare", "max", "max_requests", "count",
	"yield", "nice", NULL
};
/* Not about the pool's size: these go with count. */
static const char *const workers_with_count[] = {
	"count", "yield", "nice", NULL
};

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
	w->yield = 1;
	/*
	 * Unset, the workers keep the master's priority. Set below it (as
	 * nginx's worker_priority), they go ahead of a backend on the same
	 * CPU only when both are in one scheduling group (one session under
	 * autogroup), and there 64 KiB answers lose what small ones gain
	 * (README "Benchmarks"), so it is not the default.
	 */
	w->nice = 0;
	w->nice_set = 0;
	if ((r = cfg_get_group(x, root, "workers", &g)) <= 0)
		return (r);
	if (cfg_check_keys(x, g, "workers", workers_keys, NULL) == -1)
		return (-1);
	if (cfg_get_bool(x, g, "workers", "yield", &w->yield) == -1)
		return (-1);
	if ((r = cfg_get_int(x, g, "workers", "nice", -20, 19, &v)) == -1)
		return (-1);
	if (r == 1) {
		w->nice = (int)v;
		w->nice_set = 1;
	}

	if (cfg_member(g, "count") != NULL) {
		for (r = 0; r < config_setting_length(g); r++) {
			s = config_setting_get_elem(g, (unsigned)r);
			if (!cfg_in_list(config_setting_name(s),
			    workers_with_count))
				return (cfg_bad(x, s, "workers.count cannot "
				    "be combined with workers.%s",
				    config_setting_name(s)));
		}
		if (cfg_get_int(x, g, "workers", "count", 1, CFG_MAX_WORKERS,
		    &v) == -1)
			return (-1);
		w->start = w->min_spare = w->max_spare = w->max = (int)v;
		return (0);
	}

	if ((r = cfg_get_int(x, g, "workers", "max", 1, CFG_MAX_WORKERS,
	    &v)) == -1)
		return (-1);
	if (r == 1)
		w->max = (int)v;
	if ((r = cfg_get_int(x, g, "workers", "min_spare", 0, CFG_MAX_WORKERS,
	    &v)) == -1)
		return (-1);
	if ((has_min = r) == 1)
		w->min_spare = (int)v;
	if ((r = cfg_get_int(x, g, "workers", "max_spare", 0, CFG_MAX_WORKERS,
	    &v)) == -1)
		return (-1);
	if ((has_max_spare = r) == 1)
		w->max_spare = (int)v;
	if ((r = cfg_get_int(x, g, "workers", "start", 1, CFG_MAX_WORKERS,
	    &v)) == -1)
		return (-1);
	if ((has_start = r) == 1)
		w->start = (int)v;
	if ((r = cfg_get_int(x, g, "workers", "max_requests", 0, LONG_MAX,
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

	ms = cfg_member(g, "min_spare");
	xs = cfg_member(g, "max_spare");
	ss = cfg_member(g, "start");
	bl = cfg_member(g, "max");
	if (w->min_spare > w->max_spare)
		return (cfg_bad(x, xs ? xs : ms ? ms : g, "workers.max_spare "
		    "(%d) must be >= workers.min_spare (%d)", w->max_spare,
		    w->min_spare));
	if (w->max_spare > w->max)
		return (cfg_bad(x, xs ? xs : bl ? bl : g, "workers.max_spare "
		    "(%d) must be <= workers.max (%d)", w->max_spare, w->max));
	if (w->start > w->max)
		return (cfg_bad(x, ss ? ss : bl ? bl : g, "workers.start (%d) "
		    "must be <= workers.max (%d)", w->start, w->max));
	return (0);
}

static const char *const timeouts_keys[] = {
	"client_header", "client_body", "keepalive", "connect", "upstream",
	"tunnel_idle", NULL
};

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
	if ((r = cfg_get_group(x, root, "timeouts", &g)) <= 0)
		return (r);
	if (cfg_check_keys(x, g, "timeouts", timeouts_keys, NULL) == -1 ||
	    cfg_get_duration(x, g, "timeouts", "client_header",
	    &t->client_header) == -1 ||
	    cfg_get_duration(x, g, "timeouts", "client_body",
	    &t->client_body) == -1 ||
	    cfg_get_duration(x, g, "timeouts", "keepalive",
	    &t->keepalive) == -1 ||
	    cfg_get_duration(x, g, "timeouts", "connect", &t->connect) == -1 ||
	    cfg_get_duration(x, g, "timeouts", "upstream",
	    &t->upstream) == -1 ||
	    cfg_get_duration(x, g, "timeouts", "tunnel_idle",
	    &t->tunnel_idle) == -1)
		return (-1);
	return (0);
}

static const char *const limits_keys[] = {
	"max_header_size", "max_uri_size", "max_body_size",
	"max_conns_per_client", "rate", "burst", "exempt", "max_tunnels",
	"min_rate", NULL
};

static int
parse_limits(struct ctx *x, const config_setting_t *root)
{
	struct cfg_limits	*l = &x->cfg->limits;
	const config_setting_t	*g;
	uint64_t		 v;
	int			 r;

	l->max_header_size = 16384;
	l->max_uri_size = 8192;
	l->max_body_size = 0;
	if ((r = cfg_get_group(x, root, "limits", &g)) <= 0)
		return (r == 0 ? cfg_parse_client_limits(x, NULL) : r);
	if (cfg_check_keys(x, g, "limits", limits_keys, NULL) == -1)
		return (-1);
	if ((r = cfg_get_size(x, g, "limits", "max_header_size", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v < 1024 || v > 1048576)
			return (cfg_bad(x, cfg_member(g, "max_header_size"),
			    "limits.max_header_size must be between 1024 and "
			    "1048576 (1M), not %llu", (unsigned long long)v));
		l->max_header_size = (uint32_t)v;
		if (l->max_uri_size > l->max_header_size)
			l->max_uri_size = l->max_header_size;
	}
	if ((r = cfg_get_size(x, g, "limits", "max_uri_size", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (v < 256 || v > l->max_header_size)
			return (cfg_bad(x, cfg_member(g, "max_uri_size"),
			    "limits.max_uri_size must be between 256 and "
			    "limits.max_header_size (%u), not %llu",
			    l->max_header_size, (unsigned long long)v));
		l->max_uri_size = (uint32_t)v;
	}
	if (cfg_get_size(x, g, "limits", "max_body_size",
	    &l->max_body_size) == -1)
		return (-1);
	return (cfg_parse_client_limits(x, g));
}

static const char *const waiter_keys[] = {
	"max_conns", "park_after", NULL
};

static int
parse_waiter(struct ctx *x, const config_setting_t *root)
{
	struct cfg_waiter	*wt = &x->cfg->waiter;
	const config_setting_t	*g;
	long long		 n;
	int			 r;

	wt->max_conns = CFG_WAITER_CONNS;
	wt->park_after = 0.02;
	if ((r = cfg_get_group(x, root, "waiter", &g)) <= 0)
		return (r);
	if (cfg_check_keys(x, g, "waiter", waiter_keys, NULL) == -1)
		return (-1);
	if ((r = cfg_get_int(x, g, "waiter", "max_conns", 0,
	    CFG_MAX_WAITER_CONNS, &n)) == -1)
		return (-1);
	if (r == 1)
		wt->max_conns = (uint32_t)n;
	if (cfg_get_secs(x, g, "waiter", "park_after", 1, 10.0,
	    &wt->park_after) == -1)
		return (-1);
	return (0);
}

static const char *const listener_keys[] = {
	"listen", "mode", "backlog", "routes", "error_pages",
	"allow", "deny", "methods", "deny_paths", "require_headers",
	"deny_headers",
	"connect_ports", "forwarded_for", "anonymous", "anonymous_strip",
	"block_hosts", "allow_hosts", "block_urls", "block_file",
	"deny_private", "auth_file", "auth_realm", "parent", "parent_hosts",
	"proxy_protocol", "proxy_protocol_from",
	"access_log", "access_log_format", "request_id_from", "gzip",
	"purge_allow",
	/* forward mode's cache (a route's keys in reverse mode) */
	"cache", "cache_default_ttl", "default_ttl", "cache_max_ttl",
	"cache_min_uses", "cache_set_cookie", "cache_ignore_query",
	"cache_key_headers", "cache_ignore_vary", "cache_cdn_control",
	NULL
};
/* Of listener_keys, those that only one mode has. */
static const char *const reverse_only[] = {
	"routes", "methods", "deny_paths", "require_headers", "deny_headers",
	"gzip", "purge_allow", NULL
};
static const char *const forward_only[] = {
	"connect_ports", "forwarded_for", "anonymous", "anonymous_strip",
	"block_hosts", "allow_hosts", "block_urls", "block_file",
	"deny_private", "auth_file", "auth_realm", "parent", "parent_hosts",
	"cache", "cache_default_ttl", "default_ttl", "cache_max_ttl",
	"cache_min_uses", "cache_set_cookie", "cache_ignore_query",
	"cache_key_headers", "cache_ignore_vary", "cache_cdn_control",
	NULL
};

/* A setting of the other mode; routes has its own words. */
static int
check_mode_keys(struct ctx *x, const config_setting_t *g, const char *where,
    int mode)
{
	const config_setting_t	*s;
	const char		*name;
	char			 path[CFG_PATHLEN];
	int			 i;

	for (i = 0; i < config_setting_length(g); i++) {
		s = config_setting_get_elem(g, i);
		name = config_setting_name(s);
		cfg_mkpath(path, where, name);
		if (mode == CFG_MODE_FORWARD && strcmp(name, "routes") == 0)
			return (cfg_bad(x, s, "%s: a forward listener has no "
			    "routes", path));
		if (mode == CFG_MODE_FORWARD && cfg_in_list(name, reverse_only))
			return (cfg_bad(x, s, "%s: only for mode = \"reverse\"",
			    path));
		if (mode == CFG_MODE_REVERSE && strncmp(name, "cache", 5) == 0 &&
		    cfg_in_list(name, forward_only))
			return (cfg_bad(x, s, "%s: a reverse listener caches "
			    "per route: put %s in its routes", path, name));
		if (mode == CFG_MODE_REVERSE && cfg_in_list(name, forward_only))
			return (cfg_bad(x, s, "%s: only for mode = \"forward\"",
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

/*
 * proxy_protocol = true with proxy_protocol_from = [ CIDRs ]: only those
 * peers (the L4 balancers) may say who the client is. Without the list,
 * anyone who reaches the port could claim any address and walk past
 * allow/deny and the per-client limits, so it is required.
 */
static int
parse_proxy_protocol(struct ctx *x, const config_setting_t *g,
    const char *where, struct cfg_listener *l)
{
	int	on = 0;

	if (cfg_get_bool(x, g, where, "proxy_protocol", &on) == -1 ||
	    cfg_parse_cidrs(x, g, where, "proxy_protocol_from", &l->proxy_from,
	    &l->nproxy_from) == -1)
		return (-1);
	l->proxy_protocol = on;
	if (on && l->nproxy_from == 0)
		return (cfg_bad(x, cfg_member(g, "proxy_protocol"),
		    "%s.proxy_protocol needs proxy_protocol_from = [ ... ]: "
		    "the addresses of the balancers that may send the header",
		    where));
	if (!on && cfg_member(g, "proxy_protocol_from") != NULL)
		return (cfg_bad(x, cfg_member(g, "proxy_protocol_from"),
		    "%s.proxy_protocol_from has no effect without "
		    "proxy_protocol = true", where));
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
	if (cfg_check_keys(x, g, where, listener_keys, NULL) == -1 ||
	    cfg_get_addr(x, g, where, "listen", 1, &l->addr) == -1 ||
	    cfg_need_string(x, g, where, "mode", &v) == -1)
		return (-1);
	s = cfg_member(g, "mode");
	if (strcmp(v, "reverse") == 0)
		l->mode = CFG_MODE_REVERSE;
	else if (strcmp(v, "forward") == 0)
		l->mode = CFG_MODE_FORWARD;
	else
		return (cfg_bad(x, s, "%s.mode must be \"reverse\" or "
		    "\"forward\", not \"%s\"", where, v));
	if (check_mode_keys(x, g, where, l->mode) == -1 ||
	    parse_proxy_protocol(x, g, where, l) == -1 ||
	    cfg_parse_log_here(x, g, where, x->cfg->access_to,
	    x->cfg->access_format, &l->access_to, &l->access_format) == -1 ||
	    cfg_parse_request_id_from(x, g, where, l) == -1 ||
	    cfg_parse_gzip_here(x, g, where, &l->gzip) == -1)
		return (-1);
	switch (cfg_get_int(x, g, where, "backlog", 1, 65535, &n)) {
	case -1:
		return (-1);
	case 1:
		l->backlog = (int)n;
	}

	if (l->mode == CFG_MODE_REVERSE) {
		/* PURGE (issue 14): present, even empty, turns it on */
		if (cfg_parse_cidrs(x, g, where, "purge_allow",
		    &l->purge_allow, &l->npurge_allow) == -1)
			return (-1);
		l->purge = cfg_member(g, "purge_allow") != NULL;
		if (cfg_parse_filter(x, g, where, &l->filter) == -1 ||
		    parse_error_pages(x, g, where, &l->error_pages,
		    &l->nerror_pages) == -1 ||
		    cfg_parse_forward(x, g, where, &l->fwd) == -1)
			return (-1);
		return (cfg_parse_reverse(x, g, where, l));
	}

	/* Anyone who can reach it could use it to reach anything. */
	if (cfg_parse_cidrs(x, g, where, "allow", &l->filter.allow,
	    &l->filter.nallow) == -1 ||
	    cfg_parse_cidrs(x, g, where, "deny", &l->filter.deny,
	    &l->filter.ndeny) == -1)
		return (-1);
	if (l->filter.nallow == 0 && !addr_loopback(&l->addr))
		return (cfg_bad(x, cfg_member(g, "listen"), "%s: a forward "
		    "listener on %s needs an allow list (it would be an open "
		    "proxy)", where, l->addr.text));
	if (parse_error_pages(x, g, where, &l->error_pages,
	    &l->nerror_pages) == -1 ||
	    cfg_parse_forward(x, g, where, &l->fwd) == -1 ||
	    cfg_parse_forward_cache(x, g, where, l->addr.text,
	    &l->fwd.cache_route) == -1)
		return (-1);
	return (0);
}

static int
parse_listeners(struct ctx *x, const config_setting_t *root)
{
	struct cfg		*c = x->cfg;
	const config_setting_t	*list;
	char			 where[CFG_PATHLEN];
	void			*mem;
	int			 i, j, n;

	if ((n = cfg_get_array(x, root, "", "listeners", cfg_get_list, 0,
	    sizeof(*c->listeners), &list, &mem)) == -1)
		return (-1);
	if (n == 0)
		return (cfg_bad(x, list, "listeners: at least one listener is "
		    "required"));
	c->listeners = mem;
	c->nlisteners = n;
	for (i = 0; i < c->nlisteners; i++) {
		cfg_mkpath_i(where, "", "listeners", i);
		if (parse_listener(x, config_setting_get_elem(list, i), where,
		    &c->listeners[i]) == -1)
			return (-1);
		for (j = 0; j < i; j++)
			if (cfg_addr_eq(&c->listeners[j].addr,
			    &c->listeners[i].addr))
				return (cfg_bad(x,
				    cfg_member(config_setting_get_elem(list, i),
				    "listen"), "%s.listen \"%s\" duplicates "
				    "listeners[%d] (line %d)", where,
				    c->listeners[i].addr.text, j,
				    c->listeners[j].line));
	}
	return (0);
}

static const char *const status_keys[] = {
	"listen", "path", "allow", "deny", NULL
};

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

	if ((r = cfg_get_group(x, root, "status", &g)) <= 0)
		return (r);
	if (cfg_check_keys(x, g, "status", status_keys, NULL) == -1)
		return (-1);
	if ((l = realloc(c->listeners, (c->nlisteners + 1) *
	    sizeof(*c->listeners))) == NULL)
		return (cfg_bad(x, g, "out of memory"));
	c->listeners = l;
	l = &c->listeners[c->nlisteners++];
	memset(l, 0, sizeof(*l));
	l->mode = CFG_MODE_STATUS;
	l->line = config_setting_source_line(g);
	l->access_to = c->access_to;
	l->access_format = c->access_format;
	l->backlog = 511;
	if (cfg_get_addr(x, g, "status", "listen", 1, &l->addr) == -1)
		return (-1);
	for (j = 0; j < c->nlisteners - 1; j++)
		if (cfg_addr_eq(&c->listeners[j].addr, &l->addr))
			return (cfg_bad(x, cfg_member(g, "listen"),
			    "status.listen \"%s\" duplicates listeners[%d] "
			    "(line %d)", l->addr.text, j,
			    c->listeners[j].line));

	v = "/porter-status";
	if (cfg_get_string(x, g, "status", "path", &v) == -1)
		return (-1);
	if (v[0] != '/')
		return (cfg_bad(x, cfg_member(g, "path"), "status.path must "
		    "start with \"/\", not \"%s\"", v));
	for (p = (const unsigned char *)v; *p != '\0'; p++)
		if (*p <= ' ' || *p >= 0x7f || *p == '?' || *p == '#')
			return (cfg_bad(x, cfg_member(g, "path"),
			    "status.path: spaces, \"?\", \"#\" and control "
			    "characters are not allowed"));
	if (strcmp(v, "/metrics") == 0)
		return (cfg_bad(x, cfg_member(g, "path"), "status.path: "
		    "\"/metrics\" is where the status listener serves "
		    "Prometheus metrics"));
	if ((l->status_path = cfg_xstrdup(x, g, v)) == NULL)
		return (-1);

	if (cfg_parse_cidrs(x, g, "status", "allow", &l->filter.allow,
	    &l->filter.nallow) == -1 ||
	    cfg_parse_cidrs(x, g, "status", "deny", &l->filter.deny,
	    &l->filter.ndeny) == -1)
		return (-1);
	if (l->filter.nallow > 0)
		return (0);
	if (!addr_loopback(&l->addr))
		return (cfg_bad(x, cfg_member(g, "listen"), "status.listen: "
		    "status on %s needs an allow list (it shows every backend "
		    "and drains them)", l->addr.text));
	n = sizeof(loopback) / sizeof(loopback[0]);
	if ((l->filter.allow = calloc(n, sizeof(*l->filter.allow))) == NULL)
		return (cfg_bad(x, g, "out of memory"));
	l->filter.nallow = (int)n;
	for (i = 0; i < n; i++)
		if (cfg_parse_cidr(loopback[i], &l->filter.allow[i]) == -1)
			return (cfg_bad(x, g, "status: cannot parse %s",
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

/*
 * The top level's settings; root_later names what a later issue
 * implements (see cfg_check_keys).
 */
static const char *const root_keys[] = {
	"pid_file", "error_log", "access_log", "log_level", "user", "group",
	"workers", "timeouts", "limits", "waiter", "upstream_keepalive",
	"shutdown_timeout", "underscores_in_headers", "listeners", "pools",
	"error_pages", "status", "cache", "access_log_format", "request_id",
	"gzip", NULL
};
static const char *const root_later[] = { NULL };

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
		cfg_bad(&x, NULL, "no configuration file given");
		return (NULL);
	}
	if ((x.cfg = calloc(1, sizeof(*x.cfg))) == NULL ||
	    (x.cfg->file = strdup(path)) == NULL) {
		cfg_bad(&x, NULL, "out of memory");
		cfg_free(x.cfg);
		return (NULL);
	}
	if ((x.cfg->dir = folder_of(path)) == NULL) {
		cfg_bad(&x, NULL, "%s", strerror(errno));
		cfg_free(x.cfg);
		return (NULL);
	}

	config_init(&lc);
	config_set_include_dir(&lc, x.cfg->dir);
	errno = 0;
	if (config_read_file(&lc, path) != CONFIG_TRUE) {
		e = errno;
		if (config_error_type(&lc) == CONFIG_ERR_FILE_IO)
			cfg_bad(&x, NULL, "%s",
			    e ? strerror(e) : "cannot read");
		else
			cfg_report(&x, config_error_file(&lc),
			    config_error_line(&lc) > 0 ?
			    config_error_line(&lc) : 0,
			    config_error_text(&lc));
		goto out;
	}

	root = config_root_setting(&lc);
	if (cfg_check_keys(&x, root, "", root_keys, root_later) == -1 ||
	    parse_top(&x, root) == -1 ||
	    parse_workers(&x, root) == -1 ||
	    parse_timeouts(&x, root) == -1 ||
	    parse_limits(&x, root) == -1 ||
	    parse_waiter(&x, root) == -1 ||
	    parse_error_pages(&x, root, "", &x.cfg->error_pages,
	    &x.cfg->nerror_pages) == -1 ||
	    cfg_parse_pools(&x, root) == -1 ||
	    parse_listeners(&x, root) == -1 ||
	    cfg_parse_cache(&x, root) == -1 ||
	    cfg_parse_gzip(&x, root) == -1 ||
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

void
cfg_free(struct cfg *c)
{
	int	 i, j;

	if (c == NULL)
		return;
	for (i = 0; i < c->nlisteners && c->listeners != NULL; i++) {
		for (j = 0; j < c->listeners[i].nroutes &&
		    c->listeners[i].routes != NULL; j++)
			cfg_free_route(&c->listeners[i].routes[j]);
		free(c->listeners[i].routes);
		cfg_free_filter(&c->listeners[i].filter);
		free(c->listeners[i].proxy_from);
		free(c->listeners[i].request_id_from);
		free(c->listeners[i].purge_allow);
		cfg_free_forward(&c->listeners[i].fwd);
		free_pages(c->listeners[i].error_pages,
		    c->listeners[i].nerror_pages);
		free(c->listeners[i].status_path);
	}
	free(c->listeners);
	free(c->limits.exempt);
	cfg_free_gzip(&c->gzip);
	free_pages(c->error_pages, c->nerror_pages);
	for (i = 0; i < c->npools && c->pools != NULL; i++)
		cfg_free_pool(&c->pools[i]);
	free(c->pools);
	free(c->file);
	free(c->dir);
	free(c->pid_file);
	free(c->cache.path);
	free(c->error_log);
	free(c->access_log);
	cfg_free_logs(c);
	free(c->user);
	free(c->group);
	free(c);
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
