/*
 * Writing bytes into a caller's fixed buffer: whatever does not fit sets
 * overflow, which sticks, so a writer checks once at the end. Heads
 * porter builds (worker/rewrite.c) and values the cache normalises
 * (worker/cache_policy.c) are written this way.
 *
 * outbuf_vprintf_at is the same rule for text pages built with printf
 * (the status page, its HTML form, /metrics), whose writers keep their
 * own length, room and full flag.
 */
#ifndef PORTER_LIB_OUTBUF_H
#define PORTER_LIB_OUTBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct outbuf {
	char	*p;
	size_t	 cap, len;
	int	 overflow;
};

static inline void
outbuf_add(struct outbuf *o, const char *s, size_t n)
{
	if (o->overflow || n > o->cap - o->len) {
		o->overflow = 1;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

static inline void
outbuf_str(struct outbuf *o, const char *s)
{
	outbuf_add(o, s, strlen(s));
}

/*
 * v in decimal at the end of d[OUTBUF_U64_DIGITS]: where its digits
 * start. Without printf's cost (a response's Content-Length, the access
 * log's numbers).
 */
#define OUTBUF_U64_DIGITS	20
static inline size_t
outbuf_u64_digits(char *d, uint64_t v)
{
	size_t n = OUTBUF_U64_DIGITS;

	do {
		d[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v > 0);
	return (n);
}

/* v in decimal. */
static inline void
outbuf_u64(struct outbuf *o, uint64_t v)
{
	char d[OUTBUF_U64_DIGITS];
	size_t n = outbuf_u64_digits(d, v);

	outbuf_add(o, d + n, sizeof(d) - n);
}

/* v in decimal, with a '-' when negative (a stale entry's Cache-Status ttl). */
static inline void
outbuf_i64(struct outbuf *o, int64_t v)
{
	if (v < 0)
		outbuf_add(o, "-", 1);
	outbuf_u64(o, v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v);
}

/*
 * printf at p + *len, below cap (NUL-terminated): what does not fit in
 * whole is left out and sets *full, which sticks (nothing is written
 * once it is set, or once *len has reached cap).
 */
void	outbuf_vprintf_at(char *p, size_t *len, size_t cap, int *full,
	    const char *fmt, va_list ap);

#endif
