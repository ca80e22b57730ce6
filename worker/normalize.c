#include "config.h"

#include <string.h>

#include "worker/normalize.h"

static const char hexdigit[] = "0123456789ABCDEF";

int
norm_hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

/* RFC 3986 2.3; by hand, as <ctype.h> would follow the locale. */
static int
unreserved(unsigned char c)
{
	return ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~');
}

/*
 * Pass 1: decode what RFC 3986 says may be decoded without changing the
 * meaning, canonicalise the case of what stays encoded, and refuse what
 * a backend could read differently from us. Decoding yields only
 * unreserved bytes, never '/' or '%', so pass 2 sees real separators only.
 * dst may be src: we write at most as far as we have read.
 */
static long
decode(const char *src, size_t len, char *dst, int allow_slash,
    const char **why)
{
	size_t i, o;
	int hi, lo, v;

	for (i = 0, o = 0; i < len; ) {
		if (src[i] == '\0') {
			/* the parser refuses it; a C string would end here */
			*why = "encoded NUL";
			return (-1);
		}
		if (src[i] != '%') {
			dst[o++] = src[i++];
			continue;
		}
		if (len - i < 3 ||
		    (hi = norm_hexval((unsigned char)src[i + 1])) < 0 ||
		    (lo = norm_hexval((unsigned char)src[i + 2])) < 0) {
			*why = "bad percent-encoding";
			return (-1);
		}
		v = hi << 4 | lo;
		if (v == 0) {
			*why = "encoded NUL";
			return (-1);
		}
		if (v == '/' && !allow_slash) {
			*why = "encoded slash";
			return (-1);
		}
		if (unreserved((unsigned char)v))
			dst[o++] = (char)v;
		else {
			dst[o++] = '%';
			dst[o++] = hexdigit[hi];
			dst[o++] = hexdigit[lo];
		}
		i += 3;
	}
	return ((long)o);
}

/*
 * Pass 2, in place on p[0..n), p[0] == '/': drop empty segments but the
 * last, apply "." and "..", and end with '/' when the last segment was
 * empty, "." or ".." (RFC 3986 5.2.4: "/a/." and "/a/b/.." give "/a/").
 * Each output segment is written as "/seg". The write index o stays below
 * the start s of the segment being read (o - s never grows), so copying
 * forward is safe; each byte is copied once and scanned back at most once
 * when popped, hence O(n).
 */
static size_t
remove_dots(char *p, size_t n)
{
	size_t s, e, o, seglen;
	int special;

	o = 0;
	s = 1;
	for (;;) {
		for (e = s; e < n && p[e] != '/'; e++)
			;
		seglen = e - s;
		special = 1;
		if (seglen == 2 && p[s] == '.' && p[s + 1] == '.') {
			while (o > 0 && p[--o] != '/')
				;
		} else if (seglen == 0 || (seglen == 1 && p[s] == '.')) {
			/* nothing to write */
		} else {
			special = 0;
			p[o++] = '/';
			memmove(p + o, p + s, seglen);
			o += seglen;
		}
		if (e == n) {
			if (special)
				p[o++] = '/';
			break;
		}
		s = e + 1;
	}
	return (o);
}

long
norm_path(const char *src, size_t len, char *dst, int allow_encoded_slash,
    const char **why)
{
	const char *dummy;
	long n;

	if (why == NULL)
		why = &dummy;
	if (len == 0 || src[0] != '/') {
		*why = "not a path";
		dst[0] = '\0';
		return (-1);
	}
	if ((n = decode(src, len, dst, allow_encoded_slash, why)) == -1) {
		dst[0] = '\0';
		return (-1);
	}
	n = (long)remove_dots(dst, (size_t)n);
	dst[n] = '\0';
	return (n);
}

int
norm_split_query(const char *target, size_t len, size_t *pathlen)
{
	const char *q = memchr(target, '?', len);

	*pathlen = q == NULL ? len : (size_t)(q - target);
	return (q != NULL);
}
