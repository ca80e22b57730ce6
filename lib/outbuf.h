/*
 * Writing bytes into a caller's fixed buffer: whatever does not fit sets
 * overflow, which sticks, so a writer checks once at the end. Heads
 * porter builds (worker/rewrite.c) and values the cache normalises
 * (worker/cache_policy.c) are written this way.
 */
#ifndef PORTER_LIB_OUTBUF_H
#define PORTER_LIB_OUTBUF_H

#include <stddef.h>
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

#endif
