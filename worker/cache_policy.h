/*
 * The rules of HTTP caching for porter's shared cache (RFC 9111, and RFC
 * 9213 CDN-Cache-Control): what may be stored, for how long, when a
 * stored response may answer a request, how variants and keys are
 * spelled, and how a stored head answers conditionals and ranges.
 *
 * Pure functions over heads parsed by worker/http_parse.h (spans into the
 * buffer each head was parsed from): no I/O, no allocation, no global
 * state. Times are passed in: milliseconds since the epoch for clocks,
 * seconds for ages and lifetimes (those are what HTTP fields carry).
 */
#ifndef PORTER_WORKER_CACHE_POLICY_H
#define PORTER_WORKER_CACHE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "worker/http_parse.h"

/* ---- Cache-Control ------------------------------------------------- */

/* Delta-seconds beyond this are this (RFC 9111 1.2.2). */
#define CP_DELTA_MAX	2147483648LL
/* max-stale without a value: any staleness. */
#define CP_STALE_ANY	INT64_MAX
/* Field names kept from qualified private="..." and no-cache="...". */
#define CP_CC_FIELDS	8

/* cp_cc.flags */
#define CP_CC_PRESENT		0x00001	/* at least one field line seen */
#define CP_CC_NO_STORE		0x00002
#define CP_CC_NO_CACHE		0x00004	/* unqualified (or Pragma: no-cache) */
#define CP_CC_NO_CACHE_FIELDS	0x00008	/* no-cache="a, b": names in field[] */
#define CP_CC_PRIVATE		0x00010	/* unqualified */
#define CP_CC_PRIVATE_FIELDS	0x00020	/* private="a, b": names in field[] */
#define CP_CC_PUBLIC		0x00040
#define CP_CC_MUST_REVALIDATE	0x00080
#define CP_CC_PROXY_REVALIDATE	0x00100
#define CP_CC_IMMUTABLE		0x00200
#define CP_CC_ONLY_IF_CACHED	0x00400
#define CP_CC_NO_TRANSFORM	0x00800
#define CP_CC_MUST_UNDERSTAND	0x01000
#define CP_CC_BAD_MAX_AGE	0x02000	/* duplicated or invalid max-age */
#define CP_CC_BAD_S_MAXAGE	0x04000	/* duplicated or invalid s-maxage */
#define CP_CC_PRAGMA		0x08000	/* no-cache came from Pragma */

/*
 * One message's cache directives, from every line of one field. Numbers
 * are seconds, -1 when absent (or, for max-age and s-maxage, when bad:
 * the BAD flag says so). field[] spans point into the buffer parsed.
 */
struct cp_cc {
	int64_t		max_age;
	int64_t		s_maxage;
	int64_t		max_stale;	/* CP_STALE_ANY without a value */
	int64_t		min_fresh;
	int64_t		stale_while_revalidate;
	int64_t		stale_if_error;
	uint32_t	flags;		/* CP_CC_* */
	int		nfield;
	struct span	field[CP_CC_FIELDS];
	uint32_t	field_nocache;	/* bit i: field[i] came from no-cache */
};

/*
 * Parse every line of field name (case-insensitive: "cache-control" or
 * "cdn-cache-control") in head h, whose bytes are buf. Comma lists across
 * lines combine; values may be tokens or quoted strings ("max-age=\"60\""
 * is 60); unknown directives are skipped. A duplicated or invalid max-age
 * or s-maxage sets its BAD flag and leaves the value -1: the response is
 * then stale (RFC 9111 4.2.1). A qualified private or no-cache whose names
 * do not fit in field[] (or are empty or not tokens) counts as
 * unqualified, which is the safe reading. Returns the number of lines.
 */
int	cp_cc_parse(struct cp_cc *, const char *buf, const struct http_head *h,
	    const char *name);

/*
 * A request's directives: its Cache-Control, or when it has none, a
 * Pragma: no-cache as no-cache (RFC 9111 5.4).
 */
void	cp_cc_request(struct cp_cc *, const char *buf, const struct http_req *);

/* ---- Storing -------------------------------------------------------- */

/* What a route says about caching (the lead fills it from cfg_route). */
struct cp_rules {
	/* s, for a cacheable status with no other freshness; 0 off */
	uint32_t	default_ttl;
	uint32_t	max_ttl;	/* s, cap on any lifetime; 0 none */
	/* store responses with Set-Cookie, the field dropped */
	int		set_cookie;
	/* CDN-Cache-Control, when present, replaces Cache-Control and Expires */
	int		cdn_cache_control;
};

/* cp_fresh.flags; they fit the store's 16-bit meta.flags */
/* never served stale: must-revalidate, proxy-revalidate, s-maxage */
#define CP_F_MUST_REVALIDATE	0x0001
#define CP_F_NO_CACHE		0x0002	/* stored, but every use revalidates */
#define CP_F_IMMUTABLE		0x0004
#define CP_F_ETAG		0x0008
#define CP_F_LAST_MODIFIED	0x0010
#define CP_F_VALIDATORS		(CP_F_ETAG | CP_F_LAST_MODIFIED)
#define CP_F_HEURISTIC		0x0020	/* lifetime from Last-Modified */
#define CP_F_DEFAULT_TTL	0x0040	/* lifetime from the route */
#define CP_F_EXPLICIT		0x0080	/* max-age, s-maxage or Expires given */
#define CP_F_CDN		0x0100	/* decided by CDN-Cache-Control */

/*
 * The freshness of a stored response and what to leave out of the stored
 * copy. cp_age and cp_usable read only lifetime, initial_age,
 * response_time and flags, so the lead can rebuild one from store_meta.
 */
struct cp_fresh {
	int64_t		request_time;	/* ms */
	int64_t		response_time;	/* ms */
	int64_t		expires;	/* ms: stale from then on (for eviction) */
	uint32_t	lifetime;	/* s: freshness lifetime */
	uint32_t	initial_age;	/* s: corrected_initial_age (RFC 9111 4.2.3) */
	int64_t		stale_while_revalidate;	/* s, -1 absent */
	int64_t		stale_if_error;		/* s, -1 absent */
	uint16_t	status;
	uint16_t	flags;		/* CP_F_* */
	/* bit i: leave hdr[i] out of the stored copy (cp_dropped) */
	uint64_t	drop[(HTTP_MAX_HEADERS + 63) / 64];
};

/*
 * Whether response r (bytes rbuf) to request q (bytes qbuf) may be stored
 * under route rules ru; request_time and response_time (ms) are when the
 * request went out and the response head came in. Returns 1 and fills f,
 * or 0 with *detail set to the Cache-Status detail: "method" (not GET),
 * "status", "no-store" (request or response), "private", "authorization",
 * "set-cookie", "vary-star", "no-freshness" (neither a lifetime beyond its
 * age nor validators with explicit freshness). The lead adds too-big,
 * min-uses, aborted, no-space.
 */
int	cp_storable(const struct http_req *q, const char *qbuf,
	    const struct http_resp *r, const char *rbuf,
	    const struct cp_rules *ru, int64_t request_time,
	    int64_t response_time, struct cp_fresh *f, const char **detail);

/* Whether response field i is to be left out of the stored copy. */
int	cp_dropped(const struct cp_fresh *, int i);

/* ---- Using ---------------------------------------------------------- */

/* Current age in seconds at now (ms), RFC 9111 4.2.3. */
int64_t	cp_age(const struct cp_fresh *, int64_t now);

enum cp_use {
	CP_FRESH,		/* serve it */
	CP_STALE_OK,		/* stale, but the client's max-stale allows it */
	CP_REVALIDATE,		/* ask the origin (conditional with validators) */
	CP_MISS			/* do not use it at all (request no-store) */
};

/*
 * Whether the stored response f may answer a request with directives rq
 * (from cp_cc_request) at now (ms). *ttl (may be NULL) gets lifetime -
 * age in seconds, negative when stale. The client's max-age, min-fresh
 * and no-cache ask for revalidation (no-cache leaves a fresh immutable
 * response FRESH); max-stale allows a stale one unless it must
 * revalidate. only-if-cached is the caller's: 504 unless FRESH or
 * STALE_OK.
 */
enum cp_use cp_usable(const struct cp_cc *rq, const struct cp_fresh *f,
	    int64_t now, int64_t *ttl);

/* ---- Variants (Vary) ------------------------------------------------ */

#define CP_VARY_NAMES	16	/* distinct names in one Vary */
#define CP_VALUE_MAX	2048	/* a normalised request value, bytes */

/* Whether response r has Vary: * (never stored: "vary-star"). */
int	cp_vary_star(const struct http_resp *r, const char *rbuf);

/*
 * The variant blob for response r's Vary and request q: "name\0value\0"
 * for each name, lower-cased, deduplicated and sorted, value the
 * request's normalised value of that field (cp_value). Returns its length
 * (0: no Vary), or -1 when it does not fit in cap, has more than
 * CP_VARY_NAMES names, a value over CP_VALUE_MAX, or is Vary: *.
 */
long	cp_vary_build(char *out, size_t cap, const struct http_resp *r,
	    const char *rbuf, const struct http_req *q, const char *qbuf);

/* Whether request q selects the variant blob[0..len). */
int	cp_vary_match(const char *blob, size_t len, const struct http_req *q,
	    const char *qbuf);

/*
 * The normalised value of request field name (any case) in q: lines
 * joined with ", ", whitespace runs made one space, none around commas;
 * Accept-Encoding becomes "gzip" if gzip is acceptable (q > 0) else "".
 * "" when absent. Returns its length, or -1 if over cap.
 */
long	cp_value(char *out, size_t cap, const struct http_req *q,
	    const char *qbuf, const char *name);

/* ---- Keys ----------------------------------------------------------- */

struct cp_key {
	int		 meth;		/* enum http_method: GET, HEAD one class */
	int		 https;
	const char	*host;		/* Host value, any case, maybe a port */
	size_t		 hostlen;
	const char	*path;		/* normalised (norm_path) */
	size_t		 pathlen;
	const char	*query;		/* after '?', NULL when none */
	size_t		 querylen;
	int		 ignore_query;	/* drop the whole query */
	const char *const *ignore;	/* parameter names to drop */
	int		 nignore;
	const char	*route;		/* route id */
	const char *const *headers;	/* cache_key_headers: request fields */
	int		 nheaders;
	const struct http_req *q;	/* for headers: the request, its bytes */
	const char	*qbuf;
};

/*
 * The cache key "class\0scheme\0host\0path[?query]\0route\0" then
 * "name\0value\0" per key header (cp_value), into out. The host is
 * lower-cased without the scheme's default port; ignored query
 * parameters are gone (an empty query leaves no '?'). Returns its length,
 * or 0 if it does not fit in cap.
 */
size_t	cp_key_build(char *out, size_t cap, const struct cp_key *);

/* ---- Answering from a stored head ------------------------------------ */

/*
 * Whether conditional request q is answered 304 by the stored head s:
 * If-None-Match ("*", a list, weak comparison) when present, else
 * If-Modified-Since against s's Last-Modified (GET and HEAD only).
 */
int	cp_not_modified(const struct http_req *q, const char *qbuf,
	    const struct http_head *s, const char *sbuf);

enum cp_range {
	CP_RANGE_NONE,		/* serve the whole 200 */
	CP_RANGE_OK,		/* 206 of [*start, *end] */
	CP_RANGE_UNSATISFIABLE	/* 416, Content-Range: bytes * / total */
};

/*
 * Range of request q over a complete stored response s of total bytes:
 * one byte range (a-b, a-, -n; the end clamped) is OK; no Range, several
 * ranges, another unit, a malformed one, or an If-Range that does not
 * match (a strong ETag or the exact Last-Modified) is NONE.
 */
enum cp_range cp_range(const struct http_req *q, const char *qbuf,
	    const struct http_head *s, const char *sbuf, uint64_t total,
	    uint64_t *start, uint64_t *end);

/* ---- Invalidation and updates ---------------------------------------- */

/*
 * For a 2xx or 3xx response r to an unsafe request q (not GET, HEAD,
 * OPTIONS, TRACE): the targets of its Location and Content-Location that
 * RFC 9111 4.4 invalidates, as spans into rbuf of their path and query
 * (absolute URIs only when their host is q's). The request's own target
 * is the caller's. Returns how many (0..2).
 */
int	cp_invalidation_targets(const struct http_req *q, const char *qbuf,
	    const struct http_resp *r, const char *rbuf, struct span out[2]);

/*
 * The stored head s (bytes sbuf) updated by a 304 n (bytes nbuf), RFC
 * 9111 3.2 and 4.3.4: s's status line, its fields less those n carries,
 * then n's fields, except that Content-Length, Transfer-Encoding,
 * Content-Encoding, Content-Range, Content-Type, Set-Cookie and
 * Set-Cookie2 are never taken from n and hop-by-hop fields of either
 * never appear. Ends with the empty line. Returns its length, or 0 if it
 * does not fit in cap.
 */
size_t	cp_merge_304(char *out, size_t cap, const struct http_resp *s,
	    const char *sbuf, const struct http_resp *n, const char *nbuf);

#endif
