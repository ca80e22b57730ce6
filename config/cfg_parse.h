/*
 * What the files of config/ share while cfg_load() builds a struct cfg;
 * only they include this. cfg.c reads the top level, listeners and
 * the status page; cfg_pool.c pools, servers and health checks;
 * cfg_route.c routes, filters and header rules; cfg_forward.c a forward
 * listener's settings; cfg_limits.c the per-client limits. All of them
 * read settings with cfg_read.c's typed getters and check values with
 * cfg_value.c's; cfg_addr.c takes "host:port".
 */
#ifndef PORTER_CONFIG_CFG_PARSE_H
#define PORTER_CONFIG_CFG_PARSE_H

#include <libconfig.h>
#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "config/cfg.h"

#define CFG_PATHLEN	128	/* "listeners[12].routes[3].host" and such */
#define CFG_MAX_DURATION 86400.0
#define CFG_MAX_TEXT	65536	/* a return body or an error page, bytes */

/* For messages: a printf format, hence %%. */
#define CFG_TCHARS	"letters, digits and !#$%%&'*+-.^_`|~"

/* Flags the worker compiles its EREs with. */
#define CFG_RE_PATH	(REG_EXTENDED | REG_NOSUB)
#define CFG_RE_URL	(REG_EXTENDED | REG_ICASE | REG_NOSUB)

struct ctx {
	struct cfg	*cfg;
	const char	*file;	/* as given, for settings without a line */
	char		*err;
	size_t		 errlen;
};

/*
 * Complaints (cfg_read.c): "file:line: message" into ctx's err, the line
 * that of the setting at, or a line of a file porter reads itself.
 * cfg_bad and cfg_bad_line return -1, so callers can "return
 * (cfg_bad(...))".
 */
void	cfg_report(struct ctx *, const char *file, unsigned line,
	    const char *msg);
int	cfg_bad(struct ctx *, const config_setting_t *at, const char *, ...)
	    __attribute__((format(printf, 3, 4)));
int	cfg_bad_line(struct ctx *, const char *file, unsigned line,
	    const char *, ...) __attribute__((format(printf, 4, 5)));

/* A setting's path for messages: where.name, or where.name[i]. */
void	cfg_mkpath(char *buf, const char *where, const char *name);
void	cfg_mkpath_i(char *buf, const char *where, const char *name, int i);

int	cfg_in_list(const char *name, const char *const *list);
/*
 * Every member of g must be in known. later (or NULL) lists settings
 * from the design contract that a later issue implements: naming one
 * says so instead of "unknown setting", and porter.conf may mention them
 * in comments. Each file keeps its lists next to the group's parser.
 */
int	cfg_check_keys(struct ctx *, const config_setting_t *g,
	    const char *where, const char *const *known,
	    const char *const *later);
config_setting_t *cfg_member(const config_setting_t *g, const char *name);

/*
 * Typed getters (cfg_read.c): the member name of g, whose path is
 * where.name. 1 found, 0 absent, -1 after a complaint (cfg_need_string
 * complains when it is absent).
 */
int	cfg_get_int(struct ctx *, const config_setting_t *g, const char *where,
	    const char *name, long long min, long long max, long long *out);
int	cfg_get_secs(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, int zero_ok, double max,
	    double *out);
int	cfg_get_duration(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, double *out);
int	cfg_get_size(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, uint64_t *out);
int	cfg_get_text(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, const char **out);
int	cfg_get_string(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, const char **out);
int	cfg_get_bool(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, int *out);
int	cfg_need_string(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, const char **out);
int	cfg_get_group(struct ctx *, const config_setting_t *g,
	    const char *name, const config_setting_t **out);
int	cfg_get_list(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, const config_setting_t **out);
int	cfg_get_strings(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, const config_setting_t **out);
int	cfg_get_ints(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, long long min, long long max,
	    long long example, int **out, int *nout);

/*
 * Lists read into new arrays (cfg_read.c). cfg_get_array is the start of
 * every one: the count of elements allocated in *mem, 0 if none, -1; the
 * others return 0 or -1.
 */
typedef int	cfg_getter_fn(struct ctx *, const config_setting_t *,
		    const char *, const char *, const config_setting_t **);
int	cfg_get_array(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, cfg_getter_fn *get, int extra,
	    size_t size, const config_setting_t **list, void **mem);
int	cfg_get_methods(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, int upper, char ***out,
	    int *nout);
int	cfg_get_res(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, int cflags, int extra,
	    char ***src, regex_t **re, int *nout);

/* Values, addresses and files (cfg_read.c); NULL or -1 after a complaint. */
char	*cfg_xstrdup(struct ctx *, const config_setting_t *at, const char *);
char	*cfg_in_dir(struct ctx *, const config_setting_t *at, const char *p);
int	cfg_re_error(const char *src, int cflags, regex_t *re, char *why,
	    size_t len);
int	cfg_compile_re(struct ctx *, const config_setting_t *at,
	    const char *path, const char *src, int cflags, regex_t *re);
int	cfg_slurp(struct ctx *, const config_setting_t *at, const char *path,
	    const char *file, size_t max, const char *maxname, char **out,
	    size_t *lenp);
int	cfg_get_addr(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, int numeric_only,
	    struct cfg_addr *out);
int	cfg_addr_eq(const struct cfg_addr *, const struct cfg_addr *);

/* What a value may look like (cfg_value.c): 1 yes, 0 no. */
int	cfg_is_token(const char *);
int	cfg_method_ok(const char *);
int	cfg_name_ok(const char *);	/* a lower-case host name or IPv4 */
int	cfg_host_ok(char *);		/* lower-cases it */
int	cfg_host_pattern_ok(char *);	/* lower-cases it */

/* The sections below the top level; 0 or -1. */
int	cfg_parse_pools(struct ctx *, const config_setting_t *root);
int	cfg_parse_reverse(struct ctx *, const config_setting_t *g,
	    const char *where, struct cfg_listener *);
int	cfg_parse_filter(struct ctx *, const config_setting_t *g,
	    const char *where, struct cfg_filter *);
int	cfg_parse_cidrs(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, struct cfg_cidr **out,
	    int *nout);
int	cfg_parse_hdr_removes(struct ctx *, const config_setting_t *g,
	    const char *where, const char *name, int request,
	    const struct cfg_hdr_set *set, int nset, const char *set_name,
	    char ***out, int *nout);
int	cfg_parse_forward(struct ctx *, const config_setting_t *g,
	    const char *where, struct cfg_forward *);
/* The cache group, after the listeners (cfg_cache.c). */
int	cfg_parse_cache(struct ctx *, const config_setting_t *root);
/* A forward listener's cache = true and cache_* keys into rt (a route
   with no pool): 0 or -1. */
int	cfg_parse_forward_cache(struct ctx *, const config_setting_t *g,
	    const char *where, const char *listen, struct cfg_route *rt);
/* A route's cache settings; listen: its listener's address text. */
int	cfg_parse_route_cache(struct ctx *, const config_setting_t *g,
	    const char *where, const char *listen, struct cfg_route *);
/*
 * gzip (cfg_gzip.c): a listener's or route's gzip = true|false into *out
 * (-1 when absent); the top-level group after the listeners, which then
 * settles every route's gzip.
 */
int	cfg_parse_gzip_here(struct ctx *, const config_setting_t *g,
	    const char *where, int *out);
int	cfg_parse_gzip(struct ctx *, const config_setting_t *root);
void	cfg_free_gzip(struct cfg_gzip *);
/*
 * Logs (cfg_log.c): error_log, access_log, access_log_format and
 * request_id at the top level (first of all); access_log and
 * access_log_format of a listener or route g, inheriting to and fmt
 * from the level above; a listener's request_id_from.
 */
int	cfg_parse_log_top(struct ctx *, const config_setting_t *root);
int	cfg_parse_log_here(struct ctx *, const config_setting_t *g,
	    const char *where, int to, int fmt, int *out_to, int *out_fmt);
int	cfg_parse_request_id_from(struct ctx *, const config_setting_t *g,
	    const char *where, struct cfg_listener *);
void	cfg_free_logs(struct cfg *);
/* limits' per-client settings (g NULL: the defaults); after workers. */
int	cfg_parse_client_limits(struct ctx *, const config_setting_t *g);

/*
 * Freeing, each next to its parser, also what a partly parsed config
 * holds: counts cover the arrays. cfg_free_pool and the ones after it
 * free what the struct holds, not the struct.
 */
void	cfg_free_strings(char **, int n);
void	cfg_free_res(char **src, regex_t *re, int n);
void	cfg_free_pool(struct cfg_pool *);
void	cfg_free_route(struct cfg_route *);
void	cfg_free_filter(struct cfg_filter *);
void	cfg_free_forward(struct cfg_forward *);
void	cfg_free_route_cache(struct cfg_route_cache *);

#endif
