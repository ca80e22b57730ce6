#include "config.h"

#include <stdarg.h>
#include <stdio.h>

#include "lib/outbuf.h"

void
outbuf_vprintf_at(char *p, size_t *len, size_t cap, int *full,
    const char *fmt, va_list ap)
{
	int n;

	/* a page's closing frame may have used room past cap */
	if (*full || *len >= cap) {
		*full = 1;
		return;
	}
	n = vsnprintf(p + *len, cap - *len, fmt, ap);
	if (n < 0 || (size_t)n >= cap - *len) {
		*full = 1;
		p[*len] = '\0';
		return;
	}
	*len += (size_t)n;
}
