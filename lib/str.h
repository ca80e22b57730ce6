/* Small string helpers. */
#ifndef PORTER_LIB_STR_H
#define PORTER_LIB_STR_H

#include <stddef.h>
#include <string.h>

/* Copy src into dst[cap], cut to fit and always terminated (cap > 0). */
static inline size_t
str_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);

	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return (n);
}

#endif
