/*
 * porter's configuration: one plain, validated, immutable struct built from
 * a libconfig file. Nothing outside config/ calls libconfig. (Named cfg.h,
 * not config.h, so it never shadows the autoconf-generated config.h.)
 */
#ifndef PORTER_CONFIG_CFG_H
#define PORTER_CONFIG_CFG_H

#include <sys/socket.h>

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/log.h"

#define CFG_MAX_WORKERS		4096	/* scoreboard bound for workers.max */
#define CFG_WAITER_CONNS	16384	/* waiter.max_conns by default */
#define CFG_MAX_WAITER_CONNS	1000000
#define CFG_ERRLEN		512
#define CFG_CACHE_SIZE		(64ULL << 20)	/* cache.size by default */
#define CFG_CACHE_OBJECT	(8U << 20)	/* cache.max_object */
#define CFG_CACHE_CHUNK		2048		/* cache.chunk_size */

/*
 * CFG_MODE_STATUS: porter's own status page (the top-level status group),
 * kept as one more listener so it is bound, reloaded and inherited like
 * the others. It has allow and deny (filter), status_path, nothing else.
 */
enum cfg_mode { CFG_MODE_REVERSE, CFG_MODE_FORWARD, CFG_MODE_STATUS };
enum cfg_balance {
	CFG_BAL_ROUND_ROBIN, CFG_BAL_LEAST_CONN, CFG_BAL_HASH, CFG_BAL_RANDOM2
};
/* What balance = "hash" hashes. */
enum cfg_hash_key {
	CFG_HASH_URI, CFG_HASH_CLIENT_IP, CFG_HASH_HEADER, CFG_HASH_COOKIE
};
/* A new server's health state until checks say otherwise (initial). */
enum cfg_initial { CFG_INITIAL_UP, CFG_INITIAL_DOWN };
enum cfg_loglevel { CFG_LOG_ERROR, CFG_LOG_WARN, CFG_LOG_INFO, CFG_LOG_DEBUG };

/*
 * What an access line is made of (access_log_format; config/cfg_log.c
 * compiles a format into a list of these, worker/accesslog.c writes
 * them). The names a template writes as $name are in cfg_log.c.
 */
enum cfg_lf {
	CFG_LF_TEXT,			/* literal text */
	CFG_LF_REMOTE_ADDR, CFG_LF_REMOTE_USER, CFG_LF_TIME_LOCAL,
	CFG_LF_TIME_ISO8601, CFG_LF_REQUEST, CFG_LF_STATUS,
	CFG_LF_BODY_BYTES_SENT, CFG_LF_BYTES_SENT, CFG_LF_BYTES_RECEIVED,
	CFG_LF_HTTP_REFERER, CFG_LF_HTTP_USER_AGENT, CFG_LF_REQUEST_TIME,
	CFG_LF_UPSTREAM_ADDR, CFG_LF_UPSTREAM_STATUS,
	CFG_LF_UPSTREAM_CONNECT_TIME, CFG_LF_UPSTREAM_HEADER_TIME,
	CFG_LF_CACHE_STATUS, CFG_LF_REQUEST_ID, CFG_LF_RULE, CFG_LF_LISTENER,
	CFG_LF_WORKER, CFG_LF_DETAIL,
	/* only in the built-in formats */
	CFG_LF_CLF_BYTES,		/* combined's %b: "-" for none */
	CFG_LF_PORTER_TIME,		/* "2026/11/29 15:30:00" */
	CFG_LF_PORTER_REQUEST,		/* the request line, cut at 511 */
	CFG_LF_PORTER_DETAIL,		/* " detail", or nothing */
	CFG_LF_COUNT
};

struct cfg_log_op {
	uint16_t	field;		/* enum cfg_lf */
	uint16_t	len;		/* CFG_LF_TEXT: text[off..off+len) */
	uint32_t	off;
};

/* A compiled access_log_format. */
struct cfg_log_format {
	char		*name;		/* as written: "combined", a template */
	int		 json;		/* values as JSON (strings quoted and
					   escaped, numbers bare, none null);
					   else as text (Apache's escaping,
					   "-" for none) */
	struct cfg_log_op *ops;
	int		 nops;
	char		*text;		/* the literal parts */
};

/* A resolved socket address and the text it came from. */
struct cfg_addr {
	struct sockaddr_storage	sa;		/* the address, if numeric */
	socklen_t		salen;
	char			text[300];	/* as written, e.g. "[::1]:8080" */
	char			host[256];	/* text without the port */
	int			port;
	int			named;		/* host is a name: sa is unset,
						   the master resolves it */
};

struct cfg_server {
	struct cfg_addr	addr;		/* a name is not resolved here: the
					   master does, after loading */
	int		weight;		/* 1..1000 */
	int		line;		/* where it was defined */
	int		backup;		/* used only when no primary answers */
	int		max_conns;	/* 0: no cap; else requests at once */
	int		send_proxy;	/* 0, or the PROXY protocol version
					   written first on each connection */
};

/*
 * Active health checks: health = { path; ... }. Enabled when path is set.
 * A check passes when the status is in [status_min, status_max] and, if
 * body is set, the first 64 KiB of the body contain it.
 */
struct cfg_health {
	char		*path;		/* NULL: no active checks */
	char		*method;	/* "GET" */
	char		*host;		/* Host field; NULL: the server address */
	int		 status_min;	/* 200 */
	int		 status_max;	/* 399; status = "200-399" or 200 */
	char		*body;		/* substring to find, or NULL */
	double		 interval;	/* 2.0 s */
	double		 timeout;	/* 1.0 s */
	int		 rise;		/* 2 */
	int		 fall;		/* 3 */
};

struct cfg_pool {
	char		*name;
	int		balance;	/* enum cfg_balance */
	int		hash_key;	/* enum cfg_hash_key */
	char		*hash_name;	/* header or cookie name, or NULL */
	struct cfg_server *servers;
	int		nservers;
	int		first;		/* cfg_server_index of servers[0] */
	int		line;

	struct cfg_health health;
	int		max_fails;	/* 1; 0: passive checks off */
	double		fail_timeout;	/* 10.0 s: the window and the down time */
	int		*fail_status;	/* 5xx statuses that count as failures */
	int		nfail_status;	/* 0: none (default) */
	int		retries;	/* 1: other servers tried after a failure */
	char		**retry_methods;	/* method names retried besides
					   GET HEAD PUT DELETE OPTIONS TRACE */
	int		nretry_methods;
	int		initial;	/* enum cfg_initial, default up */
	double		slow_start;	/* 0: off; s over which a recovered
					   server's weight ramps up */
	double		queue_timeout;	/* 10.0 s: wait while all at max_conns */
	double		resolve;	/* 0: off; else s between lookups of
					   the servers' names (the checker) */
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

/*
 * A route's cache settings (config/cfg_cache.c): on with cache = true;
 * worker/cache*.c applies them. The key names what it leaves out.
 */
struct cfg_route_cache {
	int		 on;
	double		 default_ttl;	/* s for a response without freshness;
					   0: off (not stored) */
	double		 max_ttl;	/* s: no lifetime longer; 0: no cap */
	uint32_t	 min_uses;	/* stored on the Nth miss; 1: the first */
	int		 set_cookie;	/* store responses with Set-Cookie,
					   which the copy leaves out */
	int		 cdn_control;	/* CDN-Cache-Control first (RFC 9213) */
	double		 grace;		/* s: the stale-while-revalidate and
					   stale-if-error window of a response
					   that gives neither; 0: none */
	int		 ignore_query;	/* the whole query is not in the key */
	char		**ignore_params;	/* these query parameters are not */
	int		 nignore_params;
	char		**key_headers;	/* lower case: request fields that are */
	int		 nkey_headers;
	char		**ignore_vary;	/* lower case: fields a response's Vary
					   names that do not make variants */
	int		 nignore_vary;
	char		*id;		/* "listener|host|path|pool": in every
					   key, so a reload that remaps routes
					   never serves another route's objects */
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
	struct cfg_route_cache cache;
	int		gzip;		/* compress responses (worker/gzip.c):
					   its own gzip, else its listener's,
					   else whether the gzip group is
					   there */
	int		access_to;	/* cfg.logs index; -1: off */
	int		access_format;	/* cfg.log_formats index */
};

/* A proxy-authentication user from auth_file. */
struct cfg_user {
	char		*name;
	char		*hash;		/* crypt(3) string: $6$..., $2b$... */
};

/* A forward listener's settings (mode = "forward"). */
struct cfg_forward {
	int		*connect_ports;	/* CONNECT only to these; default 443 */
	int		 nconnect_ports;
	int		 forwarded_for;	/* 1: add Via and X-Forwarded-For */
	int		 anonymous;	/* strip identifying request fields */
	char		**anonymous_strip;	/* more field names to strip */
	int		 nanonymous_strip;
	/*
	 * Host patterns, lower case: "name" exactly, ".name" for name and
	 * every name below it. block_hosts also holds block_file's hosts.
	 */
	char		**block_hosts;
	int		 nblock_hosts;
	char		**allow_hosts;	/* if any: only these may be reached */
	int		 nallow_hosts;
	/* EREs on the full URL (http://host:port/path?q or host:port for
	   CONNECT), REG_EXTENDED|REG_ICASE|REG_NOSUB; with block_file's */
	char		**block_urls_src;
	regex_t		*block_urls;
	int		 nblock_urls;
	char		*block_file;	/* absolute, or NULL */
	int		 deny_private;	/* refuse loopback/private/link-local
					   destinations (default 1) */
	char		*auth_file;	/* absolute, or NULL: no proxy auth */
	struct cfg_user	*users;		/* loaded from auth_file */
	int		 nusers;
	char		*auth_realm;	/* "porter" */
	int		 has_parent;
	struct cfg_addr	 parent;	/* parent = "host:port" */
	char		**parent_hosts;	/* host patterns; none: every host */
	int		 nparent_hosts;
	/*
	 * cache = true and the cache_* keys on the listener: plain http://
	 * requests (never CONNECT tunnels) cached by absolute URI, as a
	 * route with no pool and no rules (config/cfg_cache.c)
	 */
	struct cfg_route cache_route;
};

struct cfg_listener {
	struct cfg_addr	addr;
	int		mode;		/* enum cfg_mode */
	int		backlog;
	struct cfg_route *routes;
	int		nroutes;
	int		line;
	struct cfg_filter filter;	/* allow/deny in both modes; the rest
					   in reverse mode */
	struct cfg_forward fwd;		/* forward mode */
	struct cfg_error_page *error_pages;	/* override the global ones */
	int		nerror_pages;
	char		*status_path;	/* status mode: the page, "/porter-status" */
	int		proxy_protocol;	/* each connection starts with a
					   PROXY header naming the client */
	struct cfg_cidr	*proxy_from;	/* who may send one (required) */
	int		nproxy_from;
	int		access_to;	/* cfg.logs index; -1: off */
	int		access_format;	/* cfg.log_formats index */
	struct cfg_cidr	*request_id_from;	/* clients whose X-Request-Id
					   is kept (if valid) */
	int		nrequest_id_from;
	int		gzip;		/* gzip = true|false; -1 unset */
	int		purge;		/* PURGE is served here (purge_allow
					   set, maybe empty); else 405 */
	struct cfg_cidr	*purge_allow;	/* who may purge; others get 403 */
	int		npurge_allow;
};

struct cfg_workers {
	int		start, min_spare, max_spare, max;
	long		max_requests;	/* 0: never recycle */
	int		yield;		/* sched_yield() before a wait (state.h) */
	int		nice;		/* workers' nice value, if nice_set */
	int		nice_set;	/* else they keep the master's */
};

struct cfg_timeouts {			/* seconds */
	double		client_header, client_body, keepalive;
	double		connect, upstream, tunnel_idle;
};

/* The waiter process (waiter/): how many it holds, when a worker parks. */
struct cfg_waiter {
	uint32_t	max_conns;	/* 0: no waiter */
	double		park_after;	/* s a worker waits for its client */
};

/*
 * The shared response cache (cache group; config/cfg_cache.c): its room
 * in the segment, made only when a route has cache = true.
 */
struct cfg_cache {
	uint64_t	size;		/* bytes of the cache's part of the
					   segment; 0: no route caches */
	uint32_t	max_object;	/* bytes of one response, head and all */
	uint32_t	chunk_size;	/* the arena's unit */
	uint32_t	max_variants;	/* stored variants of one URL (Vary) */
	uint32_t	max_waiters;	/* clients served from one fill */
	double		collapse_timeout;	/* s a collapsed request waits
					   for the fill's head before one
					   of them fetches */
	char		*path;		/* absolute: the cache is this file
					   (master/cachefile.c), kept across
					   restarts; NULL: in the segment */
};

/*
 * gzip (the top-level group; config/cfg_gzip.c): how porter compresses
 * responses on the fly (worker/gzip.c). A route's gzip says whether.
 */
struct cfg_gzip {
	int		 on;		/* the group is there: routes default
					   to gzip on */
	int		 level;		/* zlib's, 1 (fast) .. 9 (small) */
	uint32_t	 min_length;	/* shorter bodies (by Content-Length)
					   are sent as they are */
	char		**types;	/* lower case: "type/sub", a wildcard
					   subtype (type, slash, star)
					   or "*" */
	int		 ntypes;
};

struct cfg_limits {
	uint32_t	max_header_size;	/* whole request head */
	uint32_t	max_uri_size;		/* request target */
	uint64_t	max_body_size;		/* 0: unlimited */
	/* per-client limits (config/cfg_limits.c, worker/limit.c) */
	uint32_t	max_conns_per_client;	/* 0: off */
	double		rate;			/* requests/s per client; 0 off */
	uint32_t	burst;			/* >= 1 */
	struct cfg_cidr	*exempt;		/* clients neither applies to */
	int		nexempt;
	uint32_t	max_tunnels;		/* <= workers.max; 0: none */
	uint32_t	min_rate;		/* bytes/s a client must read
						   a response at, and send a
						   head or small body; 0 off */
};

/* Socket timeouts tick at most this long while min_rate is on (s). */
#define CFG_PACE_TICK	1.0

struct cfg {
	char		*file;		/* the path given, as given */
	char		*dir;		/* its folder: relative paths resolve here */
	char		*pid_file;	/* absolute, or NULL */
	char		*error_log;	/* "stderr", an absolute path, or
					   "syslog:..." as written */
	char		*access_log;	/* NULL (off), "stderr", an absolute
					   path, or "syslog:..." */
	struct log_dest	 error_to;	/* error_log, parsed */
	struct log_dest	*logs;		/* every access log destination in
					   use, each once (their descriptors
					   are opened in this order) */
	int		 nlogs;
	struct cfg_log_format *log_formats;	/* each format in use, once */
	int		 nlog_formats;
	int		 access_to;	/* the global access_log: logs index,
					   -1 off */
	int		 access_format;	/* access_log_format: log_formats
					   index */
	int		 request_id;	/* X-Request-Id on (default) */
	int		log_level;	/* enum cfg_loglevel */
	char		*user;		/* NULL: not set; the master uses "nobody"
					   when started as root */
	char		*group;		/* NULL: the user's primary group */

	struct cfg_workers workers;
	struct cfg_timeouts timeouts;
	struct cfg_limits limits;
	struct cfg_waiter waiter;
	struct cfg_cache cache;
	struct cfg_gzip	 gzip;
	int		upstream_keepalive;	/* idle upstream conns kept per worker */
	double		shutdown_timeout;	/* graceful stop (QUIT) bound, s */
	int		underscores_in_headers;	/* 0: request fields whose name
						   has "_" are not forwarded */

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
	/* with a waiter, the first wait for a head is park_after */
	if (c->waiter.max_conns > 0 && c->waiter.park_after > 0)
		return (c->waiter.park_after);
	return (c->timeouts.client_header);
}

/*
 * With min_rate, a write that waits on the client wakes every tick to
 * see whether the client keeps up (worker/io.c); set here, a fast client
 * costs no setsockopt for it.
 */
static inline double
cfg_accept_sndtimeo(const struct cfg *c)
{
	if (c->limits.min_rate > 0 && c->timeouts.client_body > CFG_PACE_TICK)
		return (CFG_PACE_TICK);
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
 * Server j of pool p, numbered across all pools in config order: where
 * arrays about every server (health rows, addresses) keep it.
 */
static inline int
cfg_server_index(const struct cfg_pool *p, int j)
{
	return (p->first + j);
}

/*
 * The server named "POOL/ADDRESS", the address as the config writes it
 * (how operators name one: -s drain, the status page), or NULL. *pool is
 * set to its pool.
 */
const struct cfg_server *cfg_server_named(const struct cfg *, const char *name,
	    const struct cfg_pool **pool);

/*
 * Read and validate path. On success returns a new cfg; on failure NULL
 * and err holds "file:line: message" (or "file: message").
 */
struct cfg	*cfg_load(const char *path, char *err, size_t errlen);
void		 cfg_free(struct cfg *);

/*
 * Parse "host:port", "[v6]:port" or "*:port". A numeric host is kept in
 * sa; with !numeric_only (servers, parent) a host name is taken as named,
 * unresolved: the master resolves names after loading (the configuration
 * never looks anything up). 0 or -1 with err set.
 */
int	cfg_parse_addr(const char *text, int numeric_only, struct cfg_addr *,
	    char *err, size_t errlen);

/* "64M" -> 67108864; 0 or -1. Accepts a bare integer, K, M, G suffixes. */
int	cfg_parse_size(const char *text, uint64_t *out);

/*
 * Parse "a.b.c.d", "a.b.c.d/n" (n 0..32), "x::y" or "x::y/n" (n 0..128)
 * into *out, clearing host bits beyond the prefix ("192.168.1.1/24" is
 * 192.168.1.0/24, as in nginx). No brackets, zone ids, spaces or leading
 * zeros in IPv4 parts. Returns 0, or -1 (out untouched) for anything else.
 * worker/acl.c matches clients against the result.
 */
int	cfg_parse_cidr(const char *text, struct cfg_cidr *out);

#endif
