/*
 * libFuzzer harness: the response head parser, and the framing it reports
 * for every request method class.
 */
#include "config.h"

#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "worker/http_parse.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct http_resp r;
	enum http_rc rc;
	char *buf;
	int i;

	if ((buf = malloc(size > 0 ? size : 1)) == NULL)
		return (0);
	memcpy(buf, data, size);
	http_resp_init(&r, 16384);
	rc = http_parse_response(&r, buf, size);
	if (rc == HTTP_OK) {
		assert(r.h.head_len <= size);
		assert(r.code >= 100 && r.code <= 599);
		assert(r.reason.off <= size && r.reason.len <= size -
		    r.reason.off);
		for (i = 0; i < r.h.nhdr; i++)
			assert(r.h.hdr[i].value.off + r.h.hdr[i].value.len <=
			    size);
		(void)http_resp_body(&r, HTTP_M_GET);
		(void)http_resp_body(&r, HTTP_M_HEAD);
		(void)http_resp_body(&r, HTTP_M_CONNECT);
	} else if (rc == HTTP_ERROR)
		assert(r.h.status == 502 && r.h.why != NULL);
	free(buf);
	return (0);
}
