/*
 * Request-path normalisation, so that routing and path filters see one
 * spelling of each path: /admin cannot be reached as /./admin,
 * /x/../admin, //admin or /%61dmin.
 */
#ifndef PORTER_WORKER_NORMALIZE_H
#define PORTER_WORKER_NORMALIZE_H

#include <stddef.h>

/*
 * Normalise the path of a request target: src[0..len) is the target up
 * to (not including) '?' or its end, and must start with '/'. Writes into
 * dst (room for len + 1 bytes; normalising never lengthens a path;
 * NUL-terminated; dst may be src) and returns the new length, or -1 with
 * *why set ("encoded NUL", "encoded slash", "bad percent-encoding", "not a
 * path") and dst[0] = '\0'. why may be NULL.
 *
 * Escapes of unreserved characters (RFC 3986 2.3) are decoded, the others
 * kept with upper-case hex digits; with allow_encoded_slash "%2F" is kept
 * and is part of its segment, not a separator. Then repeated slashes are
 * merged and dot segments (decoded ones too) removed as in RFC 3986 5.2.4,
 * never climbing above the root.
 */
long	norm_path(const char *src, size_t len, char *dst,
	    int allow_encoded_slash, const char **why);

/*
 * Split a request target at its first '?': *pathlen is the length of the
 * part before it (len when there is none). Returns 1 if there is a query
 * (maybe empty), else 0.
 */
int	norm_split_query(const char *target, size_t len, size_t *pathlen);

/* The value of hex digit c (either case), or -1. */
int	norm_hexval(unsigned char c);

#endif
