/*
 * libFuzzer harness: the PROXY protocol parser (v1 and v2) on any bytes.
 * Invariants: a header lies inside the input and within the versions'
 * limits; an input longer than any header never waits, and what waits
 * was not refused a byte earlier; a cut of a good header waits before
 * its end and gives the same header after it; the addresses a header
 * names survive pp_write (both versions) and a second parse.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "lib/proxyproto.h"

/* The longest header of either version. */
#define PP_ANY_MAX	(PP_V2_MAX + 16 > PP_V1_MAX ? \
			    PP_V2_MAX + 16 : PP_V1_MAX)

/*
 * An address as IPv6 with its port: pp_write may spell an IPv4-mapped
 * pair as IPv4, so that is the form compared.
 */
static void
norm(const struct sockaddr_storage *ss, socklen_t len, unsigned char a[16],
    uint16_t *port)
{
	memset(a, 0, 16);
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		assert(len == sizeof(*sin));
		a[10] = a[11] = 0xff;
		memcpy(a + 12, &sin->sin_addr, 4);
		*port = sin->sin_port;
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		assert(ss->ss_family == AF_INET6 && len == sizeof(*sin6));
		memcpy(a, &sin6->sin6_addr, 16);
		*port = sin6->sin6_port;
	}
}

static void
same_addrs(const struct pp_result *x, const struct pp_result *y)
{
	unsigned char a[16], b[16];
	uint16_t pa, pb;

	norm(&x->src, x->srclen, a, &pa);
	norm(&y->src, y->srclen, b, &pb);
	assert(memcmp(a, b, 16) == 0 && pa == pb);
	norm(&x->dst, x->dstlen, a, &pa);
	norm(&y->dst, y->dstlen, b, &pb);
	assert(memcmp(a, b, 16) == 0 && pa == pb);
}

/* The same verdict as the whole input's: rc, and the same header. */
static void
same_result(const struct pp_result *x, const struct pp_result *y)
{
	assert(x->version == y->version && x->proxied == y->proxied);
	assert(x->srclen == y->srclen && x->dstlen == y->dstlen);
	if (x->proxied)
		same_addrs(x, y);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char out[PP_WRITE_MAX];
	struct pp_result r, r2;
	const char *why = NULL;
	size_t cut, n;
	int rc, v;

	rc = pp_parse(data, size, &r, &why);
	if (rc == PP_ERROR) {
		assert(why != NULL && *why != '\0');
		return (0);
	}
	if (rc == PP_AGAIN) {
		assert(size < PP_ANY_MAX);
		if (size > 0 && data[0] == 'P')
			assert(size < PP_V1_MAX);
		/* a valid start's own starts are valid: an error is final */
		if (size > 0) {
			assert(pp_parse(data, size - 1, &r2, &why) == PP_AGAIN);
			assert(pp_parse(data, size / 2, &r2, &why) == PP_AGAIN);
		}
		return (0);
	}
	assert(rc > 0 && (size_t)rc <= size && rc <= PP_ANY_MAX);
	assert(r.version == 1 || r.version == 2);
	if (r.version == 1)
		assert(rc <= PP_V1_MAX);
	else
		assert(rc >= 16);

	/* shorter than the header: waits; longer: the same header */
	cut = (size_t)rc - 1;
	assert(pp_parse(data, cut, &r2, &why) == PP_AGAIN);
	cut = data[size - 1] % (size_t)rc;
	assert(pp_parse(data, cut, &r2, &why) == PP_AGAIN);
	cut = (size_t)rc / 2;
	assert(pp_parse(data, cut, &r2, &why) == PP_AGAIN);
	memset(&r2, 0, sizeof(r2));
	assert(pp_parse(data, (size_t)rc, &r2, &why) == rc);
	same_result(&r, &r2);
	cut = (size_t)rc + (size - (size_t)rc) / 2;
	memset(&r2, 0, sizeof(r2));
	assert(pp_parse(data, cut, &r2, &why) == rc);
	same_result(&r, &r2);

	if (!r.proxied) {
		assert(r.srclen == 0 && r.dstlen == 0);
		return (0);
	}
	/* written again, in either version, it names the same endpoints */
	for (v = 1; v <= 2; v++) {
		n = pp_write(v, (const struct sockaddr *)&r.src,
		    (const struct sockaddr *)&r.dst, out, sizeof(out));
		assert(n > 0 && n <= sizeof(out));
		memset(&r2, 0, sizeof(r2));
		assert(pp_parse(out, n, &r2, &why) == (int)n);
		assert(r2.version == v && r2.proxied == 1);
		same_addrs(&r, &r2);
		assert(pp_write(v, (const struct sockaddr *)&r.src,
		    (const struct sockaddr *)&r.dst, out, n - 1) == 0);
	}
	return (0);
}
