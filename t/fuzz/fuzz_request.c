/*
 * libFuzzer harness: the request head parser. Any bytes, whole and split
 * in two at a point the input chooses (the parser is resumable: the same
 * verdict either way). Invariants: a parsed head lies inside the input,
 * its spans too, and an error carries a status and a reason.
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/http_parse.h"

static void
check_span(struct span s, size_t len)
{
	assert(s.off <= len && s.len <= len - s.off);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_req a, b;
	enum http_rc ra, rb;
	size_t cut;
	char *buf;
	int i;

	if (size == 0 || (buf = malloc(size)) == NULL)
		return (0);
	memcpy(buf, data, size);
	http_req_init(&a, 16384, 8192);
	ra = http_parse_request(&a, buf, size);
	if (ra == HTTP_OK) {
		assert(a.h.head_len <= size);
		check_span(a.method, size);
		check_span(a.target, size);
		check_span(a.host, size);
		for (i = 0; i < a.h.nhdr; i++) {
			check_span(a.h.hdr[i].name, size);
			check_span(a.h.hdr[i].value, size);
		}
		(void)http_req_body(&a);
		(void)http_max_forwards(&a, buf);
	} else if (ra == HTTP_ERROR)
		assert(a.h.status >= 400 && a.h.why != NULL);

	/* the same bytes in two reads give the same verdict */
	cut = data[0] % size;
	http_req_init(&b, 16384, 8192);
	rb = http_parse_request(&b, buf, cut);
	if (rb == HTTP_AGAIN)
		rb = http_parse_request(&b, buf, size);
	if (rb != HTTP_AGAIN)
		assert(rb == ra);
	if (ra == HTTP_OK && rb == HTTP_OK)
		assert(a.h.head_len == b.h.head_len && a.h.nhdr == b.h.nhdr);
	free(buf);
	return (0);
}
