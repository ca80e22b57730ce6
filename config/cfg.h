/*
 * porter's configuration: one plain, validated, immutable struct built from
 * a libconfig file. Nothing outside cfg.c calls libconfig. (Named cfg.h, not config.h, so it never
 * shadows the autoconf-generated config.h.)
 */
#ifndef PORTER_CONFIG_CFG_H
#define PORTER_CONFIG_CFG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define CFG_MAX_WORKERS		4096	/* scoreboard bound for workers.max */
#define CFG_ERRLEN		512

enum cfg_mode { CFG_MODE_REVERSE, CFG_MODE_FORWARD };
enum cfg_balance { CFG_BAL_ROUND_ROBIN };
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
};

struct cfg_pool {
	char		*name;
	int		balance;	/* enum cfg_balance */
	struct cfg_server *servers;
	int		nservers;
	int		line;
};

struct cfg_route {
	char		*host;		/* "*" or a lower-case name, maybe "*.suffix" */
	char		*path;		/* prefix, starts with '/' */
	size_t		path_len;
	int		pool;		/* index into cfg.pools */
	int		line;
};

struct cfg_listener {
	struct cfg_addr	addr;
	int		mode;		/* enum cfg_mode */
	int		backlog;
	struct cfg_route *routes;
	int		nroutes;
	int		line;
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
