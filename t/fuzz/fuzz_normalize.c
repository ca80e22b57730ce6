/*
 * libFuzzer harness: path normalisation. Invariants: the result never
 * grows, starts with "/", has no "//" and no "." or ".." segment, and
 * normalising it again changes nothing (what the rules see is stable).
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/normalize.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *why = NULL;
	char *src, *dst, *again;
	long n, m;
	int slash = size > 0 && (data[0] & 1);

	if ((src = malloc(size + 1)) == NULL)
		return (0);
	dst = malloc(size + 2);
	again = malloc(size + 2);
	if (dst == NULL || again == NULL)
		goto out;
	memcpy(src, data, size);
	src[size] = '\0';
	n = norm_path(src, size, dst, slash, &why);
	if (n < 0) {
		assert(why != NULL && dst[0] == '\0');
		goto out;
	}
	assert((size_t)n <= size + 1 && dst[n] == '\0');
	assert(n > 0 && dst[0] == '/');
	assert(strstr(dst, "//") == NULL);
	assert(strstr(dst, "/./") == NULL && strstr(dst, "/../") == NULL);
	m = norm_path(dst, (size_t)n, again, slash, &why);
	assert(m == n && memcmp(dst, again, (size_t)n) == 0);
out:
	free(src);
	free(dst);
	free(again);
	return (0);
}
