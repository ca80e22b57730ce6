/*
 * pools = ( { name; servers; health; ... } ): how a pool balances, its
 * servers, and its active and passive health checks.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/cfg_parse.h"

static const char *const server_keys[] = {
	"address", "weight", "backup", "max_conns", "send_proxy", NULL
};

/* send_proxy = "v1" | "v2": the PROXY header porter writes first. */
static int
parse_send_proxy(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_server *sv)
{
	const char	*v;

	switch (cfg_get_string(x, g, where, "send_proxy", &v)) {
	case -1:
		return (-1);
	case 0:
		return (0);
	}
	if (strcmp(v, "v1") == 0)
		sv->send_proxy = 1;
	else if (strcmp(v, "v2") == 0)
		sv->send_proxy = 2;
	else
		return (cfg_bad(x, cfg_member(g, "send_proxy"), "%s.send_proxy "
		    "must be \"v1\" or \"v2\", not \"%s\"", where, v));
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
	if (cfg_check_keys(x, g, where, server_keys, NULL) == -1 ||
	    cfg_get_addr(x, g, where, "address", 0, &sv->addr) == -1)
		return (-1);
	switch (cfg_get_int(x, g, where, "weight", 1, 1000, &n)) {
	case -1:
		return (-1);
	case 1:
		sv->weight = (int)n;
	}
	b = 0;
	if (cfg_get_bool(x, g, where, "backup", &b) == -1)
		return (-1);
	sv->backup = b;
	switch (cfg_get_int(x, g, where, "max_conns", 0, 100000, &n)) {
	case -1:
		return (-1);
	case 1:
		sv->max_conns = (int)n;
	}
	return (parse_send_proxy(x, g, where, sv));
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
	const config_setting_t	*s = cfg_member(g, "status");
	const char		*v;
	char			 path[CFG_PATHLEN], *end;
	long			 lo, hi;
	long long		 n;

	cfg_mkpath(path, where, "status");
	switch (config_setting_type(s)) {
	case CONFIG_TYPE_INT:
	case CONFIG_TYPE_INT64:
		if (cfg_get_int(x, g, where, "status", 100, 599, &n) == -1)
			return (-1);
		h->status_min = h->status_max = (int)n;
		return (0);
	case CONFIG_TYPE_STRING:
		break;
	default:
		return (cfg_bad(x, s, "%s must be a status (200) or a range of "
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
		return (cfg_bad(x, s, "%s: \"%s\" must be a range A-B with 100 "
		    "<= A <= B <= 599", path, v));
	h->status_min = (int)lo;
	h->status_max = (int)hi;
	return (0);
badrange:
	return (cfg_bad(x, s, "%s: \"%s\" is not a status range such as "
	    "\"200-399\"", path, v));
}

static const char *const health_keys[] = {
	"path", "method", "host", "status", "body", "interval", "timeout",
	"rise", "fall", NULL
};

/*
 * health = { path = "/health"; ... }; active checks. The defaults are set
 * without it too (path stays NULL: no checks), so the checker and the
 * status page never see zeros.
 */
static int
parse_health(struct ctx *x, const config_setting_t *pg, const char *pwhere,
    struct cfg_health *h)
{
	const config_setting_t	*g = cfg_member(pg, "health");
	const char		*v;
	char			 where[CFG_PATHLEN];
	long long		 n;
	int			 r;

	h->status_min = 200;
	h->status_max = 399;
	h->interval = 2.0;
	h->timeout = 1.0;
	h->rise = 2;
	h->fall = 3;
	cfg_mkpath(where, pwhere, "health");
	v = "GET";
	if (g != NULL && config_setting_type(g) != CONFIG_TYPE_GROUP)
		return (cfg_bad(x, g, "%s must be a group: health = { path = "
		    "\"/health\"; };", where));
	if (g != NULL && (cfg_check_keys(x, g, where, health_keys,
	    NULL) == -1 || cfg_get_string(x, g, where, "method", &v) == -1))
		return (-1);
	if (!cfg_method_ok(v))
		return (cfg_bad(x, cfg_member(g, "method"), "%s.method: \"%s\" "
		    "is not an upper-case method name such as \"GET\" or "
		    "\"HEAD\"", where, v));
	if ((h->method = cfg_xstrdup(x, pg, v)) == NULL)
		return (-1);
	if (g == NULL)
		return (0);

	if ((r = cfg_get_string(x, g, where, "path", &v)) == -1)
		return (-1);
	if (r == 1 && !target_ok(v))
		return (cfg_bad(x, cfg_member(g, "path"), "%s.path must start "
		    "with \"/\" and have no spaces or control characters, not "
		    "\"%s\"", where, v));
	if (r == 1 && (h->path = cfg_xstrdup(x, g, v)) == NULL)
		return (-1);

	if ((r = cfg_get_string(x, g, where, "host", &v)) == -1)
		return (-1);
	if (r == 1 && !host_field_ok(v))
		return (cfg_bad(x, cfg_member(g, "host"), "%s.host: \"%s\" is "
		    "not a host name or address (maybe with \":PORT\")", where,
		    v));
	if (r == 1 && (h->host = cfg_xstrdup(x, g, v)) == NULL)
		return (-1);

	if (cfg_member(g, "status") != NULL &&
	    parse_health_status(x, g, where, h) == -1)
		return (-1);

	if ((r = cfg_get_string(x, g, where, "body", &v)) == -1)
		return (-1);
	if (r == 1 && strlen(v) > CFG_MAX_TEXT)
		return (cfg_bad(x, cfg_member(g, "body"), "%s.body is longer "
		    "than 64K (only the first 64K of a response are searched)",
		    where));
	if (r == 1 && (h->body = cfg_xstrdup(x, g, v)) == NULL)
		return (-1);

	if (cfg_get_secs(x, g, where, "interval", 0, 3600.0,
	    &h->interval) == -1 ||
	    cfg_get_secs(x, g, where, "timeout", 0, 60.0, &h->timeout) == -1)
		return (-1);
	if ((r = cfg_get_int(x, g, where, "rise", 1, 100, &n)) == -1)
		return (-1);
	if (r == 1)
		h->rise = (int)n;
	if ((r = cfg_get_int(x, g, where, "fall", 1, 100, &n)) == -1)
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
	if ((r = cfg_get_int(x, g, where, "max_fails", 0, 1000, &n)) == -1)
		return (-1);
	if (r == 1)
		p->max_fails = (int)n;
	if (cfg_get_duration(x, g, where, "fail_timeout",
	    &p->fail_timeout) == -1 ||
	    cfg_get_ints(x, g, where, "fail_status", 500, 599, 502,
	    &p->fail_status, &p->nfail_status) == -1)
		return (-1);
	if ((r = cfg_get_int(x, g, where, "retries", 0, 10, &n)) == -1)
		return (-1);
	if (r == 1)
		p->retries = (int)n;
	if (cfg_get_methods(x, g, where, "retry_methods", 1, &p->retry_methods,
	    &p->nretry_methods) == -1)
		return (-1);
	if ((r = cfg_get_string(x, g, where, "initial", &v)) == -1)
		return (-1);
	if (r == 1) {
		if (strcmp(v, "up") == 0)
			p->initial = CFG_INITIAL_UP;
		else if (strcmp(v, "down") == 0)
			p->initial = CFG_INITIAL_DOWN;
		else
			return (cfg_bad(x, cfg_member(g, "initial"),
			    "%s.initial must be \"up\" or \"down\", not \"%s\"",
			    where, v));
	}
	if (cfg_get_secs(x, g, where, "slow_start", 1, CFG_MAX_DURATION,
	    &p->slow_start) == -1 ||
	    cfg_get_secs(x, g, where, "queue_timeout", 1, CFG_MAX_DURATION,
	    &p->queue_timeout) == -1 ||
	    cfg_get_secs(x, g, where, "resolve", 1, CFG_MAX_DURATION,
	    &p->resolve) == -1)
		return (-1);
	/* more often than once a second would only load the resolver */
	if (p->resolve > 0 && p->resolve < 1.0)
		return (cfg_bad(x, cfg_member(g, "resolve"), "%s.resolve must "
		    "be 0 (off) or >= 1 second, not %g", where, p->resolve));
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
	if ((r = cfg_get_string(x, g, where, "balance", &v)) == -1)
		return (-1);
	if (r == 1) {
		for (i = 0; names[i] != NULL && strcmp(v, names[i]) != 0; i++)
			;
		if (names[i] == NULL)
			return (cfg_bad(x, cfg_member(g, "balance"),
			    "%s.balance: unknown value \"%s\" (valid: "
			    "round_robin, least_conn, hash, random2)", where,
			    v));
		p->balance = i;		/* names[] follows enum cfg_balance */
	}
	if ((r = cfg_get_string(x, g, where, "hash_key", &v)) == -1)
		return (-1);
	if (r == 0)
		return (0);
	if (p->balance != CFG_BAL_HASH)
		return (cfg_bad(x, cfg_member(g, "hash_key"), "%s.hash_key "
		    "needs balance = \"hash\"", where));
	if (strcmp(v, "uri") == 0)
		p->hash_key = CFG_HASH_URI;
	else if (strcmp(v, "client_ip") == 0)
		p->hash_key = CFG_HASH_CLIENT_IP;
	else if ((strncmp(v, "header:", 7) == 0 || strncmp(v, "cookie:",
	    7) == 0) && cfg_is_token(v + 7)) {
		p->hash_key = v[0] == 'h' ? CFG_HASH_HEADER : CFG_HASH_COOKIE;
		if ((p->hash_name = cfg_xstrdup(x, cfg_member(g, "hash_key"),
		    v + 7)) == NULL)
			return (-1);
	} else
		return (cfg_bad(x, cfg_member(g, "hash_key"), "%s.hash_key: "
		    "\"%s\" is none of uri, client_ip, header:NAME, "
		    "cookie:NAME", where, v));
	return (0);
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
	return (cfg_addr_eq(a, b));
}

static const char *const pool_keys[] = {
	"name", "balance", "hash_key", "servers", "health", "max_fails",
	"fail_timeout", "fail_status", "retries", "retry_methods", "initial",
	"slow_start", "queue_timeout", "resolve", NULL
};

static int
parse_pool(struct ctx *x, const config_setting_t *g, const char *where,
    struct cfg_pool *p)
{
	const config_setting_t	*list;
	const char		*v;
	char			 sw[CFG_PATHLEN];
	void			*mem;
	int			 i, j, n;

	p->line = config_setting_source_line(g);
	if (cfg_check_keys(x, g, where, pool_keys, NULL) == -1 ||
	    cfg_need_string(x, g, where, "name", &v) == -1)
		return (-1);
	if ((p->name = cfg_xstrdup(x, cfg_member(g, "name"), v)) == NULL)
		return (-1);
	if (parse_balance(x, g, where, p) == -1 ||
	    parse_pool_health(x, g, where, p) == -1)
		return (-1);

	if ((n = cfg_get_array(x, g, where, "servers", cfg_get_list, 0,
	    sizeof(*p->servers), &list, &mem)) == -1)
		return (-1);
	if (n == 0)
		return (cfg_bad(x, list ? list : g, "%s.servers: at least one "
		    "server is required", where));
	p->servers = mem;
	p->nservers = n;
	for (i = 0; i < p->nservers; i++) {
		cfg_mkpath_i(sw, where, "servers", i);
		if (parse_server(x, config_setting_get_elem(list, i), sw,
		    &p->servers[i]) == -1)
			return (-1);
		for (j = 0; j < i; j++)
			if (server_addr_eq(&p->servers[j].addr,
			    &p->servers[i].addr))
				return (cfg_bad(x,
				    cfg_member(config_setting_get_elem(list, i),
				    "address"), "%s.address \"%s\" duplicates "
				    "%s.servers[%d] (line %d)", sw,
				    p->servers[i].addr.text, where, j,
				    p->servers[j].line));
	}
	return (0);
}

int
cfg_parse_pools(struct ctx *x, const config_setting_t *root)
{
	struct cfg		*c = x->cfg;
	const config_setting_t	*list, *g;
	char			 where[CFG_PATHLEN];
	void			*mem;
	int			 i, j, n;

	if ((n = cfg_get_array(x, root, "", "pools", cfg_get_list, 0,
	    sizeof(*c->pools), &list, &mem)) <= 0)
		return (n);
	c->pools = mem;
	c->npools = n;
	for (i = 0; i < c->npools; i++) {
		g = config_setting_get_elem(list, i);
		cfg_mkpath_i(where, "", "pools", i);
		c->pools[i].first = i == 0 ? 0 :
		    c->pools[i - 1].first + c->pools[i - 1].nservers;
		if (parse_pool(x, g, where, &c->pools[i]) == -1)
			return (-1);
		for (j = 0; j < i; j++)
			if (strcmp(c->pools[j].name, c->pools[i].name) == 0)
				return (cfg_bad(x, cfg_member(g, "name"),
				    "%s.name: duplicate pool \"%s\" (first "
				    "defined at line %d)", where,
				    c->pools[i].name, c->pools[j].line));
	}
	return (0);
}

void
cfg_free_pool(struct cfg_pool *p)
{
	free(p->name);
	free(p->hash_name);
	free(p->servers);
	free(p->health.path);
	free(p->health.method);
	free(p->health.host);
	free(p->health.body);
	free(p->fail_status);
	cfg_free_strings(p->retry_methods, p->nretry_methods);
}
