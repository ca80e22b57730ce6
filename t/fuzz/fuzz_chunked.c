/*
 * libFuzzer harness: the chunked body scanner, fed in pieces whose sizes
 * the input chooses, with the de-chunking callback on. Invariants: it
 * never reads past what it was given, and the data it hands out is never
 * more than the bytes it scanned.
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/http_parse.h"

static uint64_t handed;

static int
sink(void *arg, const char *p, size_t n)
{
	(void)arg;
	(void)p;
	handed += n;
	return (0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_chunked st;
	enum http_rc rc = HTTP_AGAIN;
	size_t off = 1, used, step;
	char *buf;

	if (size < 2 || (buf = malloc(size)) == NULL)
		return (0);
	memcpy(buf, data, size);
	handed = 0;
	http_chunked_init(&st, 4096, 16384);
	while (off < size && rc == HTTP_AGAIN) {
		step = 1 + (size_t)data[0] % 64;
		if (step > size - off)
			step = size - off;
		used = 0;
		rc = http_chunked_scan(&st, buf + off, step, &used, sink, NULL);
		assert(used <= step);
		if (rc == HTTP_AGAIN)
			assert(used == step);
		off += used;
		if (rc == HTTP_ERROR)
			assert(st.why != NULL);
	}
	assert(handed <= off && handed == st.total);
	free(buf);
	return (0);
}
