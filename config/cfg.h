/*
 * porter's configuration: one plain, validated, immutable struct built from
 * a libconfig file. Nothing outside cfg.c calls libconfig. (Named cfg.h, not config.h, so it never
 * shadows the autoconf-generated config.h.)
 */
#ifndef PORTER_CONFIG_CFG_H
#define PORTER_CONFIG_CFG_H

#include <sys/socket.h>

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#define CFG_MAX_WORKERS		4096	/* scoreboard bound for workers.max */
#define CFG_ERRLEN		512

enum cfg_mode { CFG_MODE_REVERSE, CFG_MODE_FORWARD };
enum cfg_balance {
	CFG_BAL_ROUND_ROBIN, CFG_BAL_LEAST_CONN, CFG_BAL_HASH, CFG_BAL_RANDOM2
};
/* What balance = "hash" hashes. */
enum cfg_hash_key {
	CFG_HASH_URI, CFG_HASH_CLIENT_IP, CFG_HASH_HEADER, CFG_HASH_COOKIE
};
enum cfg_loglevel { CFG_LOG_ERROR, CFG_LOG_WARN, CFG_LOG_INFO, CFG_LOG_DEBUG };

/* A resolved socket address and the text it came from. */
struct cfg_addr {
	struct sockaddr_storage	sa;
	socklen_t		salen;
	char			text[300];	/* as written, e.g. "[::1]:8080" */
};

struct cfg_server {
	struct cfg_addr	addr;
	int		weight;		/* 1..1000 */
	int		line;		/* where it was defined */
	int		backup;		/* used only when no primary answers */
};

struct cfg_pool {
	char		*name;
	int		balance;	/* enum cfg_balance */
	int		hash_key;	/* enum cfg_hash_key */
	char		*hash_name;	/* header or cookie name, or NULL */
	struct cfg_server *servers;
	int		nservers;
	int		line;
};

/* An address range: "10.0.0.0/8", "::1", "2001:db8::/32". */
struct cfg_cidr {
	int		family;		/* AF_INET or AF_INET6 */
	uint8_t		addr[16];	/* network byte order, host bits zero */
	int		bits;		/* prefix length */
};

/* A header rule: the field is present (and its value matches re). */
struct cfg_hdr_rule {
	char		*name;
	char		*pattern;	/* POSIX ERE source, or NULL: any value */
	regex_t		 re;		/* compiled (REG_EXTENDED|REG_NOSUB) */
	int		 line;
};

/* A header to set: replaces any field of that name. */
struct cfg_hdr_set {
	char		*name;
	char		*value;
};

/*
 * Request filtering rules, on a reverse listener and on each route (a
 * route's rules apply after its listener's). Empty lists mean no rule.
 */
struct cfg_filter {
	struct cfg_cidr	*allow;		/* if any: only these clients */
	int		 nallow;
	struct cfg_cidr	*deny;		/* these clients never */
	int		 ndeny;
	char		**methods;	/* if any: only these methods (405) */
	int		 nmethods;
	char		**deny_paths_src;	/* EREs, as written */
	regex_t		*deny_paths;	/* on the normalised path (403) */
	int		 ndeny_paths;
	struct cfg_hdr_rule *require_headers;	/* all must match (403) */
	int		 nrequire_headers;
	struct cfg_hdr_rule *deny_headers;	/* none may match (403) */
	int		 ndeny_headers;
};

/* A route that answers by itself: return = { status; location; body; } */
struct cfg_return {
	int		 status;	/* 0: the route proxies to its pool */
	char		*location;	/* or NULL */
	char		*body;		/* or NULL */
};

/* A page for a status porter generates itself, read from a file. */
struct cfg_error_page {
	int		 status;
	char		*file;		/* absolute */
	char		*body;		/* its contents, loaded with the config */
	size_t		 len;
};

struct cfg_route {
	char		*host;		/* "*" or a lower-case name, maybe "*.suffix" */
	char		*path;		/* prefix, starts with '/' */
	size_t		path_len;
	int		pool;		/* index into cfg.pools; -1 with ret */
	int		line;
	struct cfg_filter filter;
	uint64_t	max_body_size;	/* 0: only the global limit */
	struct cfg_return ret;
	int		normalize;	/* forward the normalised path */
	int		allow_encoded_slash;	/* else %2F in the path is 400 */
	struct cfg_hdr_set *set_request_headers;
	int		nset_request_headers;
	char		**remove_request_headers;
	int		nremove_request_headers;
	struct cfg_hdr_set *set_response_headers;
	int		nset_response_headers;
	char		**remove_response_headers;
	int		nremove_response_headers;
};

struct cfg_listener {
	struct cfg_addr	addr;
	int		mode;		/* enum cfg_mode */
	int		backlog;
	struct cfg_route *routes;
	int		nroutes;
	int		line;
	struct cfg_filter filter;	/* reverse mode */
	struct cfg_error_page *error_pages;	/* override the global ones */
	int		nerror_pages;
};

struct cfg_workers {
	int		start, min_spare, max_spare, max;
	long		max_requests;	/* 0: never recycle */
};

struct cfg_timeouts {			/* seconds */
	double		client_header, client_body, keepalive;
	double		connect, upstream, tunnel_idle;
};

struct cfg_limits {
	uint32_t	max_header_size;	/* whole request head */
	uint32_t	max_uri_size;		/* request target */
	uint64_t	max_body_size;		/* 0: unlimited */
};

struct cfg {
	char		*file;		/* the path given, as given */
	char		*dir;		/* its folder: relative paths resolve here */
	char		*pid_file;	/* absolute, or NULL */
	char		*error_log;	/* "stderr" or an absolute path */
	char		*access_log;	/* NULL (off), "stderr" or an absolute path */
	int		log_level;	/* enum cfg_loglevel */
	char		*user;		/* NULL: not set; the master uses "nobody"
					   when started as root */
	char		*group;		/* NULL: the user's primary group */

	struct cfg_workers workers;
	struct cfg_timeouts timeouts;
	struct cfg_limits limits;
	int		upstream_keepalive;	/* idle upstream conns kept per worker */
	double		shutdown_timeout;	/* graceful stop (QUIT) bound, s */

	struct cfg_listener *listeners;
	int		nlisteners;
	struct cfg_pool	*pools;
	int		npools;
	struct cfg_error_page *error_pages;
	int		nerror_pages;
};

/*
 * The receive and send timeouts a client socket starts with: the master
 * sets them on each listener and accepted sockets inherit them, so a
 * worker need not set them per connection.
 */
static inline double
cfg_accept_rcvtimeo(const struct cfg *c)
{
	return (c->timeouts.client_header);
}

static inline double
cfg_accept_sndtimeo(const struct cfg *c)
{
	return (c->timeouts.client_body);
}

/* All servers of all pools: the rows of the shared backend table. */
static inline int
cfg_nservers(const struct cfg *c)
{
	int i, n = 0;

	for (i = 0; i < c->npools; i++)
		n += c->pools[i].nservers;
	return (n);
}

/*
 * Read and validate path. On success returns a new cfg; on failure NULL
 * and err holds "file:line: message" (or "file: message").
 */
struct cfg	*cfg_load(const char *path, char *err, size_t errlen);
void		 cfg_free(struct cfg *);

/*
 * Parse "host:port", "[v6]:port" or "*:port" (numeric host for listeners
 * when numeric_only; otherwise a name resolved now). 0 or -1 with err set.
 */
int	cfg_parse_addr(const char *text, int numeric_only, struct cfg_addr *,
	    char *err, size_t errlen);

/* "64M" -> 67108864; 0 or -1. Accepts a bare integer, K, M, G suffixes. */
int	cfg_parse_size(const char *text, uint64_t *out);

#endif
