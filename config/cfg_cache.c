/*
 * The cache: the top-level cache group (its size and limits) and a
 * route's cache settings (cache = true and the cache_* keys). The segment
 * gets a cache part only when some route caches (master/master.c);
 * worker/cache*.c apply the route settings.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_parse.h"

#define CFG_CACHE_MIN		(1ULL << 20)	/* 1 MiB */
#define CFG_CACHE_MAX		(64ULL << 30)	/* 64 GiB */
#define CFG_MAX_VARIANTS	64
#define CFG_MAX_WAITERS		65535
#define CFG_MAX_USES		255	/* shared/uses.h counts to 255 */

static const char *const cache_keys[] = {
	"size", "max_object", "chunk_size", "max_variants", "max_waiters",
	"collapse_timeout", "path", NULL
};
/* The cache operations issue's settings (cache keeper). */
static const char *const cache_later[] = { NULL };

/* Whether any route of any listener has cache = true. */
static int
some_route_caches(const struct cfg *c)
{
	int	 i, j;

	for (i = 0; i < c->nlisteners; i++) {
		if (c->listeners[i].fwd.cache_route.cache.on)
			return (1);
		for (j = 0; j < c->listeners[i].nroutes; j++)
			if (c->listeners[i].routes[j].cache.on)
				return (1);
	}
	return (0);
}

/*
 * cache.path: the file the cache lives in (master/cachefile.c). Relative
 * to the config file's folder; its folder must exist (porter makes the
 * file, not the folders: a typo should not grow a tree), and it must not
 * be a folder itself.
 */
static int
cache_path(struct ctx *x, const config_setting_t *g, char **out)
{
	const config_setting_t	*at = cfg_member(g, "path");
	struct stat		 sb;
	const char		*v;
	char			*copy, *dir;
	int			 r;

	if ((r = cfg_get_string(x, g, "cache", "path", &v)) != 1)
		return (r);
	if ((*out = cfg_in_dir(x, at, v)) == NULL)
		return (-1);
	if ((copy = strdup(*out)) == NULL)
		return (cfg_bad(x, at, "out of memory"));
	dir = dirname(copy);
	r = 0;
	if (stat(dir, &sb) == -1)
		r = cfg_bad(x, at, "cache.path %s: the folder %s: %s", *out,
		    dir, errno == ENOENT ? "does not exist (porter makes the "
		    "file, not its folder)" : strerror(errno));
	else if (!S_ISDIR(sb.st_mode))
		r = cfg_bad(x, at, "cache.path %s: %s is not a folder", *out,
		    dir);
	free(copy);
	if (r == -1)
		return (-1);
	if (stat(*out, &sb) == 0 && !S_ISREG(sb.st_mode))
		return (cfg_bad(x, at, "cache.path %s is not a regular file",
		    *out));
	return (1);
}

/* After the listeners: the routes say whether the cache is needed. */
int
cfg_parse_cache(struct ctx *x, const config_setting_t *root)
{
	struct cfg_cache	*cc = &x->cfg->cache;
	const config_setting_t	*g;
	uint64_t		 v;
	long long		 n;
	int			 r;

	cc->size = CFG_CACHE_SIZE;
	cc->max_object = CFG_CACHE_OBJECT;
	cc->chunk_size = CFG_CACHE_CHUNK;
	cc->max_variants = 8;
	cc->max_waiters = 256;
	cc->collapse_timeout = 5.0;
	if ((r = cfg_get_group(x, root, "cache", &g)) == -1)
		return (-1);
	if (r == 1) {
		if (cfg_check_keys(x, g, "cache", cache_keys,
		    cache_later) == -1)
			return (-1);
		if ((r = cfg_get_size(x, g, "cache", "size", &v)) == -1)
			return (-1);
		if (r == 1 && (v < CFG_CACHE_MIN || v > CFG_CACHE_MAX))
			return (cfg_bad(x, cfg_member(g, "size"), "cache.size "
			    "must be between 1M and 64G, not %llu bytes",
			    (unsigned long long)v));
		if (r == 1)
			cc->size = v;
		if ((r = cfg_get_size(x, g, "cache", "chunk_size", &v)) == -1)
			return (-1);
		if (r == 1 && (v < 512 || v > 65536 || (v & (v - 1)) != 0))
			return (cfg_bad(x, cfg_member(g, "chunk_size"),
			    "cache.chunk_size must be a power of two from 512 "
			    "to 64K, not %llu", (unsigned long long)v));
		if (r == 1)
			cc->chunk_size = (uint32_t)v;
		if ((r = cfg_get_size(x, g, "cache", "max_object", &v)) == -1)
			return (-1);
		if (r == 1 && (v < cc->chunk_size || v > cc->size / 4))
			return (cfg_bad(x, cfg_member(g, "max_object"),
			    "cache.max_object must be between chunk_size (%u) "
			    "and a quarter of cache.size (%llu), not %llu",
			    cc->chunk_size, (unsigned long long)cc->size / 4,
			    (unsigned long long)v));
		if (r == 1)
			cc->max_object = (uint32_t)v;
		else if (cc->max_object > cc->size / 4)
			cc->max_object = (uint32_t)(cc->size / 4);
		if ((r = cfg_get_int(x, g, "cache", "max_variants", 1,
		    CFG_MAX_VARIANTS, &n)) == -1)
			return (-1);
		if (r == 1)
			cc->max_variants = (uint32_t)n;
		if ((r = cfg_get_int(x, g, "cache", "max_waiters", 1,
		    CFG_MAX_WAITERS, &n)) == -1)
			return (-1);
		if (r == 1)
			cc->max_waiters = (uint32_t)n;
		if (cfg_get_secs(x, g, "cache", "collapse_timeout", 0, 3600.0,
		    &cc->collapse_timeout) == -1)
			return (-1);
		if (cache_path(x, g, &cc->path) == -1)
			return (-1);
	}
	if (!some_route_caches(x->cfg))
		cc->size = 0;		/* nothing to reserve */
	return (0);
}

/* "name" lower-cased in place. */
static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* The route's identity in cache keys. */
static int
route_id(struct ctx *x, const config_setting_t *g, const char *listen,
    struct cfg_route *rt)
{
	const char	*pool = rt->pool >= 0 ? x->cfg->pools[rt->pool].name :
			    "-";
	size_t		 n = strlen(listen) + strlen(rt->host) +
			    strlen(rt->path) + strlen(pool) + 4;

	if ((rt->cache.id = malloc(n)) == NULL)
		return (cfg_bad(x, g, "out of memory"));
	(void)snprintf(rt->cache.id, n, "%s|%s|%s|%s", listen, rt->host,
	    rt->path, pool);
	return (0);
}

int
cfg_parse_route_cache(struct ctx *x, const config_setting_t *g,
    const char *where, const char *listen, struct cfg_route *rt)
{
	struct cfg_route_cache	*c = &rt->cache;
	const config_setting_t	*s;
	char			 path[CFG_PATHLEN];
	long long		 n;
	int			 r, i;

	c->min_uses = 1;
	if (cfg_get_bool(x, g, where, "cache", &c->on) == -1)
		return (-1);
	if (!c->on) {
		static const char *const keys[] = { "cache_default_ttl",
		    "default_ttl", "cache_max_ttl", "cache_min_uses",
		    "cache_set_cookie", "cache_ignore_query",
		    "cache_key_headers", "cache_ignore_vary",
		    "cache_cdn_control", "cache_grace", NULL };

		for (i = 0; keys[i] != NULL; i++)
			if ((s = cfg_member(g, keys[i])) != NULL)
				return (cfg_bad(x, s, "%s.%s needs cache = "
				    "true in the route", where, keys[i]));
		return (0);
	}
	if (rt->pool < 0 && rt->ret.status != 0)
		return (cfg_bad(x, cfg_member(g, "cache"), "%s: cache = true "
		    "needs a pool (a route with return answers by itself)",
		    where));
	if (cfg_member(g, "cache_default_ttl") != NULL &&
	    cfg_member(g, "default_ttl") != NULL)
		return (cfg_bad(x, cfg_member(g, "default_ttl"), "%s: "
		    "default_ttl is another name for cache_default_ttl: set "
		    "one", where));
	if (cfg_get_secs(x, g, where, "cache_default_ttl", 1, 31536000.0,
	    &c->default_ttl) == -1 ||
	    cfg_get_secs(x, g, where, "default_ttl", 1, 31536000.0,
	    &c->default_ttl) == -1 ||
	    cfg_get_secs(x, g, where, "cache_max_ttl", 1, 31536000.0,
	    &c->max_ttl) == -1 ||
	    cfg_get_secs(x, g, where, "cache_grace", 1, 31536000.0,
	    &c->grace) == -1 ||
	    cfg_get_bool(x, g, where, "cache_set_cookie", &c->set_cookie) == -1 ||
	    cfg_get_bool(x, g, where, "cache_cdn_control",
	    &c->cdn_control) == -1)
		return (-1);
	if (c->max_ttl > 0 && c->default_ttl > c->max_ttl)
		return (cfg_bad(x, cfg_member(g, "cache_max_ttl"), "%s: "
		    "cache_max_ttl (%g) is below cache_default_ttl (%g)",
		    where, c->max_ttl, c->default_ttl));
	if ((r = cfg_get_int(x, g, where, "cache_min_uses", 1, CFG_MAX_USES,
	    &n)) == -1)
		return (-1);
	if (r == 1)
		c->min_uses = (uint32_t)n;
	/* cache_ignore_query: true (the whole query) or parameter names */
	if ((s = cfg_member(g, "cache_ignore_query")) != NULL) {
		cfg_mkpath(path, where, "cache_ignore_query");
		if (config_setting_type(s) == CONFIG_TYPE_BOOL)
			c->ignore_query = config_setting_get_bool(s);
		else if (config_setting_is_aggregate(s)) {
			if (cfg_get_methods(x, g, where, "cache_ignore_query",
			    0, &c->ignore_params, &c->nignore_params) == -1)
				return (-1);
		} else
			return (cfg_bad(x, s, "%s must be true, false or a "
			    "list of query parameter names", path));
	}
	if (cfg_get_methods(x, g, where, "cache_key_headers", 0,
	    &c->key_headers, &c->nkey_headers) == -1)
		return (-1);
	for (i = 0; i < c->nkey_headers; i++)
		lower(c->key_headers[i]);
	if (cfg_get_methods(x, g, where, "cache_ignore_vary", 0,
	    &c->ignore_vary, &c->nignore_vary) == -1)
		return (-1);
	for (i = 0; i < c->nignore_vary; i++)
		lower(c->ignore_vary[i]);
	return (route_id(x, g, listen, rt));
}

void
cfg_free_route_cache(struct cfg_route_cache *c)
{
	int	 i;

	for (i = 0; i < c->nignore_params; i++)
		free(c->ignore_params[i]);
	free(c->ignore_params);
	for (i = 0; i < c->nkey_headers; i++)
		free(c->key_headers[i]);
	free(c->key_headers);
	for (i = 0; i < c->nignore_vary; i++)
		free(c->ignore_vary[i]);
	free(c->ignore_vary);
	free(c->id);
}

/*
 * A forward listener's cache: the same keys as a route's, on the
 * listener, into a route of its own with no pool and no rules (what the
 * forward path used before, so nothing else changes). Its id in keys is
 * "listen|*|/|-": forward listeners differ in parents and anonymity, so
 * each keeps its own objects, apart from every reverse route's.
 */
int
cfg_parse_forward_cache(struct ctx *x, const config_setting_t *g,
    const char *where, const char *listen, struct cfg_route *rt)
{
	static char	 any[] = "*", root[] = "/";

	rt->host = any;
	rt->path = root;
	rt->path_len = 1;
	rt->pool = -1;
	return (cfg_parse_route_cache(x, g, where, listen, rt));
}
