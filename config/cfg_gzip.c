/*
 * Compression: the top-level gzip group (level, min_length, types) and
 * gzip = true | false on a listener or a route. The group turns gzip on
 * for every reverse route; a listener's or route's gzip = false turns it
 * off there, gzip = true turns it on (with the group's settings, or the
 * defaults when there is no group). worker/gzip.c applies the settings.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg_parse.h"

#define CFG_GZIP_LEVEL		6
#define CFG_GZIP_MIN_LENGTH	256
#define CFG_GZIP_MAX_LENGTH	(1LL << 30)
#define CFG_GZIP_MAX_TYPES	64

/* nginx compresses text/html only by default; these are what a site
   serves as text in practice. */
static const char *const default_types[] = {
	"text/html", "text/css", "text/plain", "text/xml", "text/javascript",
	"application/javascript", "application/json", "application/xml",
	"application/rss+xml", "application/atom+xml", "image/svg+xml",
	NULL
};

static const char *const gzip_keys[] = {
	"level", "min_length", "types", NULL
};

/*
 * A type as gzip matches it: "type/subtype", a wildcard subtype (type,
 * slash, star) or "*", lower-cased
 * in place; parameters (";charset=...") are not part of it.
 */
static int
type_ok(char *s)
{
	char	*slash;

	for (char *p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (strcmp(s, "*") == 0)
		return (1);
	if ((slash = strchr(s, '/')) == NULL || slash == s ||
	    slash[1] == '\0')
		return (0);
	*slash = '\0';
	if (!cfg_is_token(s) || strcmp(s, "*") == 0) {
		*slash = '/';
		return (0);
	}
	*slash = '/';
	return (strcmp(slash + 1, "*") == 0 || cfg_is_token(slash + 1));
}

static int
dup_types(struct ctx *x, struct cfg_gzip *gz)
{
	int	 i, n;

	for (n = 0; default_types[n] != NULL; n++)
		;
	if ((gz->types = calloc((size_t)n, sizeof(*gz->types))) == NULL)
		return (cfg_bad(x, NULL, "out of memory"));
	for (i = 0; i < n; i++) {
		if ((gz->types[i] = strdup(default_types[i])) == NULL)
			return (cfg_bad(x, NULL, "out of memory"));
		gz->ntypes = i + 1;
	}
	return (0);
}

static int
parse_types(struct ctx *x, const config_setting_t *g, struct cfg_gzip *gz)
{
	const config_setting_t	*list, *e;
	void			*mem;
	int			 i, n;

	if ((n = cfg_get_array(x, g, "gzip", "types", cfg_get_strings, 0,
	    sizeof(*gz->types), &list, &mem)) <= 0)
		return (n);
	gz->types = mem;
	gz->ntypes = n;
	if (n > CFG_GZIP_MAX_TYPES)
		return (cfg_bad(x, list, "gzip.types: at most %d types, not "
		    "%d", CFG_GZIP_MAX_TYPES, n));
	for (i = 0; i < n; i++) {
		e = config_setting_get_elem(list, i);
		if ((gz->types[i] = cfg_xstrdup(x, e,
		    config_setting_get_string(e))) == NULL)
			return (-1);
		if (!type_ok(gz->types[i]))
			return (cfg_bad(x, e, "gzip.types[%d]: \"%s\" is not a "
			    "media type such as \"text/html\", \"text/*\" or "
			    "\"*\"", i, config_setting_get_string(e)));
	}
	return (0);
}

int
cfg_parse_gzip_here(struct ctx *x, const config_setting_t *g,
    const char *where, int *out)
{
	const config_setting_t	*s;
	char			 path[CFG_PATHLEN];
	int			 on;

	*out = -1;
	if ((s = cfg_member(g, "gzip")) == NULL)
		return (0);
	if (config_setting_type(s) != CONFIG_TYPE_BOOL) {
		cfg_mkpath(path, where, "gzip");
		return (cfg_bad(x, s, "%s must be true or false (the settings "
		    "go in the top-level gzip = { ... } group)", path));
	}
	if (cfg_get_bool(x, g, where, "gzip", &on) == -1)
		return (-1);
	*out = on;
	return (0);
}

int
cfg_parse_gzip(struct ctx *x, const config_setting_t *root)
{
	struct cfg		*c = x->cfg;
	struct cfg_gzip		*gz = &c->gzip;
	const config_setting_t	*g;
	long long		 n;
	int			 r, i, j, lg;

	gz->level = CFG_GZIP_LEVEL;
	gz->min_length = CFG_GZIP_MIN_LENGTH;
	if ((g = cfg_member(root, "gzip")) != NULL &&
	    config_setting_type(g) != CONFIG_TYPE_GROUP)
		return (cfg_bad(x, g, "gzip must be a group: gzip = { level = "
		    "6; min_length = 256; types = [ ... ]; };"));
	if ((r = cfg_get_group(x, root, "gzip", &g)) == -1)
		return (-1);
	gz->on = r == 1;
	if (r == 1) {
		if (cfg_check_keys(x, g, "gzip", gzip_keys, NULL) == -1)
			return (-1);
		if ((r = cfg_get_int(x, g, "gzip", "level", 1, 9, &n)) == -1)
			return (-1);
		if (r == 1)
			gz->level = (int)n;
		if ((r = cfg_get_int(x, g, "gzip", "min_length", 0,
		    CFG_GZIP_MAX_LENGTH, &n)) == -1)
			return (-1);
		if (r == 1)
			gz->min_length = (uint32_t)n;
		if (parse_types(x, g, gz) == -1)
			return (-1);
		if (cfg_member(g, "types") != NULL && gz->ntypes == 0)
			return (cfg_bad(x, cfg_member(g, "types"), "gzip.types "
			    "is empty: nothing would be compressed (leave the "
			    "gzip group out, or say gzip = false where it "
			    "should not apply)"));
	}
	if (gz->ntypes == 0 && dup_types(x, gz) == -1)
		return (-1);
	/* each route: its own word, else its listener's, else the group */
	for (i = 0; i < c->nlisteners; i++) {
		lg = c->listeners[i].gzip;
		for (j = 0; j < c->listeners[i].nroutes; j++) {
			struct cfg_route *rt = &c->listeners[i].routes[j];

			if (rt->gzip == -1)
				rt->gzip = lg != -1 ? lg : gz->on;
		}
		if (c->listeners[i].mode != CFG_MODE_REVERSE)
			c->listeners[i].gzip = 0;
	}
	return (0);
}

void
cfg_free_gzip(struct cfg_gzip *gz)
{
	cfg_free_strings(gz->types, gz->ntypes);
	gz->types = NULL;
	gz->ntypes = 0;
}
