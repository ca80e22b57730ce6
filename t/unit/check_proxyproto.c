/*
 * The PROXY protocol: v1 and v2 headers parsed strictly and as they
 * arrive (every cut of a good header waits, a bad byte is refused when
 * it comes), and what pp_write makes parses back to the same addresses.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/proxyproto.h"

static const unsigned char sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* pp_parse, with what the interface promises about its answer checked. */
static int
parse(const void *b, size_t n, struct pp_result *r)
{
	const char *why = NULL;
	int rc;

	rc = pp_parse(b, n, r, &why);
	if (rc == PP_ERROR)
		ck_assert_msg(why != NULL && *why != '\0', "error without why");
	else
		ck_assert_int_ge(rc, 0);
	ck_assert_int_le(rc, (int)n);
	return (rc);
}

/*
 * b is one whole header: every shorter cut waits, the whole is its own
 * length, and bytes after it (an HTTP request) are not taken.
 */
static struct pp_result
exact(const void *b, size_t n)
{
	static const char more[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	static unsigned char buf[4096];
	struct pp_result r;
	size_t cut;

	ck_assert_uint_le(n + sizeof(more), sizeof(buf));
	for (cut = 0; cut < n; cut++)
		ck_assert_msg(parse(b, cut, &r) == PP_AGAIN,
		    "cut at %zu of %zu did not wait", cut, n);
	memcpy(buf, b, n);
	memcpy(buf + n, more, sizeof(more));
	ck_assert_int_eq(parse(buf, n + sizeof(more), &r), (int)n);
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(parse(b, n, &r), (int)n);
	return (r);
}

/* s is refused at its last byte, and not a byte before. */
static void
err_at(const char *s)
{
	struct pp_result r;
	size_t n = strlen(s);

	ck_assert_msg(parse(s, n, &r) == PP_ERROR, "\"%s\" not refused", s);
	ck_assert_msg(parse(s, n - 1, &r) == PP_AGAIN,
	    "\"%s\" refused a byte early", s);
}

static void
check_addr(const struct sockaddr_storage *ss, socklen_t len, int family,
    const char *text, unsigned int port)
{
	char buf[INET6_ADDRSTRLEN];

	ck_assert_int_eq(ss->ss_family, family);
	if (family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)ss;

		ck_assert_uint_eq(len, sizeof(*sin));
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, &sin->sin_addr, buf,
		    sizeof(buf)));
		ck_assert_uint_eq(ntohs(sin->sin_port), port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)ss;

		ck_assert_uint_eq(len, sizeof(*sin6));
		ck_assert_ptr_nonnull(inet_ntop(AF_INET6, &sin6->sin6_addr,
		    buf, sizeof(buf)));
		ck_assert_uint_eq(ntohs(sin6->sin6_port), port);
	}
	ck_assert_str_eq(buf, text);
}

/* A v2 header: signature, ver_cmd, fam, the length, n bytes of body. */
static size_t
v2(unsigned char *out, int vc, int fam, const void *body, size_t n)
{
	memcpy(out, sig, sizeof(sig));
	out[12] = (unsigned char)vc;
	out[13] = (unsigned char)fam;
	out[14] = (unsigned char)(n >> 8);
	out[15] = (unsigned char)n;
	if (n > 0)
		memcpy(out + 16, body, n);
	return (16 + n);
}

/* An address from text and a port in host order. */
static struct sockaddr_storage
mk(const char *text, unsigned int port)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, text, &sin6->sin6_addr),
		    1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
	}
	return (ss);
}

#define FFFF6	"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"

START_TEST(v1_tcp4)
{
	const char *h = "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n";
	struct pp_result r = exact(h, strlen(h));

	ck_assert_int_eq(r.version, 1);
	ck_assert_int_eq(r.proxied, 1);
	check_addr(&r.src, r.srclen, AF_INET, "192.168.0.1", 56324);
	check_addr(&r.dst, r.dstlen, AF_INET, "192.168.0.11", 443);

	h = "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n";
	r = exact(h, strlen(h));
	check_addr(&r.src, r.srclen, AF_INET, "0.0.0.0", 0);
	check_addr(&r.dst, r.dstlen, AF_INET, "255.255.255.255", 65535);
}
END_TEST

START_TEST(v1_tcp6)
{
	const char *h = "PROXY TCP6 2001:db8::1 ::1 1 80\r\n";
	struct pp_result r = exact(h, strlen(h));

	ck_assert_int_eq(r.version, 1);
	ck_assert_int_eq(r.proxied, 1);
	check_addr(&r.src, r.srclen, AF_INET6, "2001:db8::1", 1);
	check_addr(&r.dst, r.dstlen, AF_INET6, "::1", 80);

	/* the longest TCP6 line: 104 bytes */
	h = "PROXY TCP6 " FFFF6 " " FFFF6 " 65535 65535\r\n";
	ck_assert_uint_eq(strlen(h), 104);
	r = exact(h, strlen(h));
	check_addr(&r.src, r.srclen, AF_INET6, FFFF6, 65535);

	/* mapped and dotted spellings are IPv6 text, kept as written */
	h = "PROXY TCP6 ::ffff:10.0.0.1 0:0:0:0:0:0:1.2.3.4 8080 8081\r\n";
	r = exact(h, strlen(h));
	check_addr(&r.src, r.srclen, AF_INET6, "::ffff:10.0.0.1", 8080);
	check_addr(&r.dst, r.dstlen, AF_INET6, "::1.2.3.4", 8081);
	h = "PROXY TCP6 ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 "
	    "FE80::A 1 2\r\n";
	r = exact(h, strlen(h));
	check_addr(&r.dst, r.dstlen, AF_INET6, "fe80::a", 2);
}
END_TEST

START_TEST(v1_unknown)
{
	char h[200];
	struct pp_result r;

	r = exact("PROXY UNKNOWN\r\n", 15);
	ck_assert_int_eq(r.version, 1);
	ck_assert_int_eq(r.proxied, 0);
	ck_assert_uint_eq(r.srclen, 0);
	ck_assert_uint_eq(r.dstlen, 0);

	/* anything up to CRLF, even what would be wrong under TCP4 */
	r = exact("PROXY UNKNOWN \r\n", 16);
	ck_assert_int_eq(r.proxied, 0);
	snprintf(h, sizeof(h), "PROXY UNKNOWN 1.2.3.4  x 01 99999\r\n");
	r = exact(h, strlen(h));
	ck_assert_int_eq(r.proxied, 0);

	/* the spec's worst case is 107 bytes, CRLF included */
	snprintf(h, sizeof(h), "PROXY UNKNOWN %s %s 65535 65535\r\n", FFFF6,
	    FFFF6);
	ck_assert_uint_eq(strlen(h), PP_V1_MAX);
	r = exact(h, strlen(h));
	ck_assert_int_eq(r.proxied, 0);
}
END_TEST

START_TEST(v1_errors)
{
	char h[300];
	struct pp_result r;

	/* a plain HTTP client is refused at its first byte */
	err_at("G");
	ck_assert_int_eq(parse("GET / HTTP/1.1\r\n", 16, &r), PP_ERROR);
	err_at("p");
	err_at("PROXY\t");
	err_at("PROXX");
	err_at("PROXY\r");
	err_at("PROXY  ");
	/* protocols */
	err_at("PROXY t");
	err_at("PROXY TCP5");
	err_at("PROXY UD");
	err_at("PROXY TCP44");
	err_at("PROXY TCP4\r");
	err_at("PROXY UNKNOWNX");
	err_at("PROXY UNKNOWN\rX");
	err_at("PROXY UNKNOWN\n");
	err_at("PROXY UNKNOWN x\n");
	err_at("PROXY UNKNOWN x\rx");
	/* single spaces */
	err_at("PROXY TCP4  ");
	err_at("PROXY TCP4 1.2.3.4  ");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8  ");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 1  ");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 ");
	/* IPv4 addresses */
	err_at("PROXY TCP4 :");
	err_at("PROXY TCP4 256");
	err_at("PROXY TCP4 01");
	err_at("PROXY TCP4 1..");
	err_at("PROXY TCP4 .");
	err_at("PROXY TCP4 1.2.3.4.");
	err_at("PROXY TCP4 1.2.3 ");
	err_at("PROXY TCP4 1.2.3.4 5.6.7. ");
	err_at("PROXY TCP4 1.2.3.4 :");
	err_at("PROXY TCP4 1.2.3.4 x");
	ck_assert_int_eq(parse("PROXY TCP4 ::1 ::1 1 2\r\n", 24, &r),
	    PP_ERROR);
	ck_assert_int_eq(parse("PROXY TCP4 1.2.3.4 ::ffff:1.2.3.4 1 2\r\n",
	    39, &r), PP_ERROR);
	/* IPv6 addresses */
	err_at("PROXY TCP6 1.");
	err_at("PROXY TCP6 :::");
	err_at("PROXY TCP6 ::1::");
	err_at("PROXY TCP6 12345");
	err_at("PROXY TCP6 g");
	err_at("PROXY TCP6 fe80::1%");
	err_at("PROXY TCP6 ::ffff:1.2.3.4.");
	err_at("PROXY TCP6 ::ffff:1.2.3.4:");
	err_at("PROXY TCP6 ::ffff:256.");
	err_at("PROXY TCP6 1:2:3:4:5:6:7:8:9");
	err_at("PROXY TCP6 ::1 1.");
	err_at("PROXY TCP6 ::1 ::2 :");
	ck_assert_int_eq(parse("PROXY TCP6 1.2.3.4 ::1 1 2\r\n", 28, &r),
	    PP_ERROR);
	ck_assert_int_eq(parse("PROXY TCP6 1:2 ::1 1 2\r\n", 24, &r),
	    PP_ERROR);
	/* a NUL must not end the address early for inet_pton */
	ck_assert_int_eq(parse("PROXY TCP6 ::1\0x ::1 1 2\r\n", 26, &r),
	    PP_ERROR);
	ck_assert_int_eq(parse("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n", 33,
	    &r), PP_ERROR);
	ck_assert_int_eq(parse("PROXY TCP4 1.2.3.4 5.6.7.8\0 1 2\r\n", 33,
	    &r), PP_ERROR);
	/* ports */
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 01");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 00");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 65536");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 70000");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 655350");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 +");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 -");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 0x");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 80 08");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 80 65536");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 80 \r");
	/* the line's end */
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 1\r");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r");
	err_at("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n");
	err_at("PROXY TCP4 1.2.3.4\n");

	/* no CRLF within 107 bytes: refused at the 107th, not waited for */
	memset(h, 'x', sizeof(h));
	memcpy(h, "PROXY UNKNOWN ", 14);
	h[PP_V1_MAX] = '\0';
	err_at(h);
	ck_assert_int_eq(parse(h, PP_V1_MAX, &r), PP_ERROR);
	h[PP_V1_MAX] = 'x';
	ck_assert_int_eq(parse(h, sizeof(h), &r), PP_ERROR);
	/* a CR as the 107th byte: its LF would be the 108th */
	h[PP_V1_MAX - 1] = '\r';
	h[PP_V1_MAX] = '\0';
	err_at(h);
	h[PP_V1_MAX] = '\n';
	ck_assert_int_eq(parse(h, PP_V1_MAX + 1, &r), PP_ERROR);
	/* but one byte shorter is a good line */
	h[PP_V1_MAX - 2] = '\r';
	h[PP_V1_MAX - 1] = '\n';
	ck_assert_int_eq(parse(h, sizeof(h), &r), PP_V1_MAX);
}
END_TEST

/* 192.0.2.1:56324 -> 198.51.100.2:443 */
static const unsigned char body4[12] = {
	192, 0, 2, 1, 198, 51, 100, 2, 0xdc, 0x04, 0x01, 0xbb
};
/* [2001:db8::1]:1 -> [2001:db8::ff]:65535 */
static const unsigned char body6[36] = {
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff,
	0x00, 0x01, 0xff, 0xff
};

START_TEST(v2_proxy)
{
	unsigned char h[256];
	struct pp_result r;
	size_t n;

	n = v2(h, 0x21, 0x11, body4, sizeof(body4));
	ck_assert_uint_eq(n, 28);
	r = exact(h, n);
	ck_assert_int_eq(r.version, 2);
	ck_assert_int_eq(r.proxied, 1);
	check_addr(&r.src, r.srclen, AF_INET, "192.0.2.1", 56324);
	check_addr(&r.dst, r.dstlen, AF_INET, "198.51.100.2", 443);
	/* datagrams name endpoints too */
	n = v2(h, 0x21, 0x12, body4, sizeof(body4));
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 1);
	check_addr(&r.src, r.srclen, AF_INET, "192.0.2.1", 56324);

	n = v2(h, 0x21, 0x21, body6, sizeof(body6));
	ck_assert_uint_eq(n, 52);
	r = exact(h, n);
	ck_assert_int_eq(r.version, 2);
	ck_assert_int_eq(r.proxied, 1);
	check_addr(&r.src, r.srclen, AF_INET6, "2001:db8::1", 1);
	check_addr(&r.dst, r.dstlen, AF_INET6, "2001:db8::ff", 65535);
	n = v2(h, 0x21, 0x22, body6, sizeof(body6));
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 1);
	check_addr(&r.dst, r.dstlen, AF_INET6, "2001:db8::ff", 65535);
}
END_TEST

START_TEST(v2_not_proxied)
{
	unsigned char h[512], body[300];
	static const unsigned char tlv[] = { 0x04, 0x00, 0x02, 'h', 'i' };
	struct pp_result r;
	size_t n;

	/* LOCAL, what a balancer's health check sends */
	n = v2(h, 0x20, 0x00, NULL, 0);
	r = exact(h, n);
	ck_assert_int_eq(r.version, 2);
	ck_assert_int_eq(r.proxied, 0);
	ck_assert_uint_eq(r.srclen, 0);
	ck_assert_uint_eq(r.dstlen, 0);
	/* LOCAL with addresses: they are ignored */
	n = v2(h, 0x20, 0x11, body4, sizeof(body4));
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 0);
	ck_assert_uint_eq(r.srclen, 0);
	n = v2(h, 0x20, 0x21, body6, sizeof(body6));
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 0);
	/* LOCAL with TLVs */
	n = v2(h, 0x20, 0x00, tlv, sizeof(tlv));
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 0);

	/* PROXY with UNSPEC: no addresses, use the real peer */
	n = v2(h, 0x21, 0x00, NULL, 0);
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 0);
	n = v2(h, 0x21, 0x00, tlv, sizeof(tlv));
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 0);

	/* PROXY with UNIX paths: 216 bytes, not an address porter uses */
	memset(body, 0, sizeof(body));
	memcpy(body, "/run/a.sock", 11);
	n = v2(h, 0x21, 0x31, body, 216);
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 0);
	ck_assert_uint_eq(r.srclen, 0);
	n = v2(h, 0x21, 0x32, body, 216);
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 0);
	memcpy(body + 216, tlv, sizeof(tlv));
	n = v2(h, 0x21, 0x31, body, 216 + sizeof(tlv));
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 0);
}
END_TEST

START_TEST(v2_tlvs)
{
	unsigned char h[4096], body[4096];
	struct pp_result r;
	size_t n, b;

	b = 0;
	memcpy(body, body4, sizeof(body4));
	b += sizeof(body4);
	memcpy(body + b, "\x01\x00\x02h2", 5);		/* ALPN */
	b += 5;
	memcpy(body + b, "\x02\x00\x0b" "example.com", 14);	/* AUTHORITY */
	b += 14;
	memcpy(body + b, "\x04\x00\x00", 3);		/* NOOP, empty */
	b += 3;
	n = v2(h, 0x21, 0x11, body, b);
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 1);
	check_addr(&r.src, r.srclen, AF_INET, "192.0.2.1", 56324);

	/* after IPv6 addresses; a TLV type porter does not know */
	memcpy(body, body6, sizeof(body6));
	memcpy(body + 36, "\xee\x00\x01z\x20\x00\x05\x01\x00\x00\x00\x00",
	    12);
	n = v2(h, 0x21, 0x21, body, 48);
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 1);
	check_addr(&r.dst, r.dstlen, AF_INET6, "2001:db8::ff", 65535);

	/* the longest accepted: length PP_V2_MAX, one big TLV */
	memset(body, 'v', sizeof(body));
	memcpy(body, body4, sizeof(body4));
	body[12] = 0x04;
	body[13] = (unsigned char)((PP_V2_MAX - 15) >> 8);
	body[14] = (unsigned char)(PP_V2_MAX - 15);
	n = v2(h, 0x21, 0x11, body, PP_V2_MAX);
	ck_assert_uint_eq(n, PP_V2_MAX + 16);
	r = exact(h, n);
	ck_assert_int_eq(r.proxied, 1);
}
END_TEST

START_TEST(v2_bad_lengths)
{
	unsigned char h[70000], body[300];
	struct pp_result r;
	size_t n, len, cut;

	/* over PP_V2_MAX: refused with the 16 bytes, nothing more */
	memset(h, 0, sizeof(h));
	for (len = PP_V2_MAX + 1; len <= 0xffff; len += len < 2100 ? 1 : 997) {
		n = v2(h, 0x21, 0x11, NULL, 0);
		h[14] = (unsigned char)(len >> 8);
		h[15] = (unsigned char)len;
		ck_assert_int_eq(parse(h, 15, &r), PP_AGAIN);
		ck_assert_int_eq(parse(h, 16, &r), PP_ERROR);
		ck_assert_int_eq(parse(h, 16 + len, &r), PP_ERROR);
	}
	h[14] = h[15] = 0xff;
	ck_assert_int_eq(parse(h, 16, &r), PP_ERROR);

	/* an address block too short for its family, LOCAL too */
	memset(body, 0, sizeof(body));
	for (len = 0; len < 216; len++) {
		int vc;

		for (vc = 0x20; vc <= 0x21; vc++) {
			n = v2(h, vc, 0x31, body, len);
			ck_assert_int_eq(parse(h, 16, &r), PP_ERROR);
			ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
			ck_assert_int_eq(parse(h, 15, &r), PP_AGAIN);
			if (len < 36) {
				n = v2(h, vc, 0x21, body, len);
				ck_assert_int_eq(parse(h, 16, &r), PP_ERROR);
				ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
				n = v2(h, vc, 0x22, body, len);
				ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
			}
			if (len < 12) {
				n = v2(h, vc, 0x11, body, len);
				ck_assert_int_eq(parse(h, 16, &r), PP_ERROR);
				ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
				n = v2(h, vc, 0x12, body, len);
				ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
			}
		}
	}

	/* a TLV that claims a byte more than is there: waited for, refused */
	memcpy(body, body4, 12);
	memcpy(body + 12, "\x01\x00\x03h2", 5);
	n = v2(h, 0x21, 0x11, body, 17);
	for (cut = 0; cut < n; cut++)
		ck_assert_int_eq(parse(h, cut, &r), PP_AGAIN);
	ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
	/* even with the missing byte after the header */
	h[n] = 'x';
	ck_assert_int_eq(parse(h, n + 1, &r), PP_ERROR);
	/* a long lie */
	memcpy(body + 12, "\x01\xff\xffh2", 5);
	n = v2(h, 0x21, 0x11, body, 17);
	ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
	/* a second TLV that overruns after a good one */
	memcpy(body + 12, "\x04\x00\x00\x01\x00\x01", 6);
	n = v2(h, 0x21, 0x11, body, 18);
	ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
	/* one or two bytes of a TLV header left over */
	n = v2(h, 0x21, 0x11, body, 13);
	ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
	n = v2(h, 0x21, 0x11, body, 14);
	ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
	n = v2(h, 0x21, 0x11, body, 15);		/* a whole empty TLV */
	ck_assert_int_eq(parse(h, n, &r), (int)n);
	/* the same after IPv6 addresses, with UNSPEC and LOCAL */
	memcpy(body, body6, 36);
	body[36] = 0x04;
	n = v2(h, 0x21, 0x21, body, 37);
	ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
	n = v2(h, 0x20, 0x00, "\x04\x00", 2);
	ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
	n = v2(h, 0x21, 0x00, "\x04\x00\x01", 3);
	ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
	n = v2(h, 0x20, 0x00, "\x04\x00\x01", 3);
	ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
}
END_TEST

START_TEST(v2_bad_signature)
{
	unsigned char h[64];
	struct pp_result r;
	size_t i, n;
	int v;

	for (i = 0; i < sizeof(sig); i++) {
		for (v = 0; v < 256; v++) {
			if (v == sig[i])
				continue;
			n = v2(h, 0x21, 0x11, body4, sizeof(body4));
			h[i] = (unsigned char)v;
			if (i == 0 && v == 'P')	/* a v1 header's start */
				continue;
			ck_assert_int_eq(parse(h, i, &r), PP_AGAIN);
			ck_assert_msg(parse(h, i + 1, &r) == PP_ERROR,
			    "byte %zu = %#x not refused", i, v);
			ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
		}
	}
}
END_TEST

START_TEST(v2_bad_fields)
{
	unsigned char h[64];
	struct pp_result r;
	size_t n;
	int v, good;

	/* version 2, command LOCAL or PROXY: refused at byte 13 */
	for (v = 0; v < 256; v++) {
		n = v2(h, v, 0x11, body4, sizeof(body4));
		good = v == 0x20 || v == 0x21;
		ck_assert_int_eq(parse(h, 12, &r), PP_AGAIN);
		ck_assert_int_eq(parse(h, 13, &r), good ? PP_AGAIN : PP_ERROR);
		ck_assert_int_eq(parse(h, n, &r), good ? (int)n : PP_ERROR);
	}
	/* family: the seven the spec names; refused at byte 14 */
	for (v = 0; v < 256; v++) {
		n = v2(h, 0x21, v, body4, sizeof(body4));
		good = v == 0x00 || v == 0x11 || v == 0x12 || v == 0x21 ||
		    v == 0x22 || v == 0x31 || v == 0x32;
		ck_assert_int_eq(parse(h, 13, &r), PP_AGAIN);
		ck_assert_int_eq(parse(h, 14, &r), good ? PP_AGAIN : PP_ERROR);
		if (!good)
			ck_assert_int_eq(parse(h, n, &r), PP_ERROR);
	}
}
END_TEST

START_TEST(result_untouched)
{
	struct pp_result r, before;

	/* *r is written only when a whole header was read */
	memset(&r, 0xa5, sizeof(r));
	before = r;
	ck_assert_int_eq(parse("PROXY TCP4 1.2.3.4 5.6", 22, &r), PP_AGAIN);
	ck_assert_int_eq(memcmp(&r, &before, sizeof(r)), 0);
	ck_assert_int_eq(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 x", 30, &r),
	    PP_ERROR);
	ck_assert_int_eq(memcmp(&r, &before, sizeof(r)), 0);
	/* why may be NULL */
	ck_assert_int_eq(pp_parse("GET", 3, &r, NULL), PP_ERROR);
}
END_TEST

/* src -> dst written as version v, parsed back. */
static void
trip(int v, const char *s, unsigned int sp, const char *d, unsigned int dp,
    int family, const char *s2, const char *d2)
{
	struct sockaddr_storage src = mk(s, sp), dst = mk(d, dp);
	unsigned char buf[PP_WRITE_MAX + 10];
	struct pp_result r;
	size_t n, cap;

	n = pp_write(v, (struct sockaddr *)&src, (struct sockaddr *)&dst, buf,
	    sizeof(buf));
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, PP_WRITE_MAX);
	r = exact(buf, n);
	ck_assert_int_eq(r.version, v);
	ck_assert_int_eq(r.proxied, 1);
	check_addr(&r.src, r.srclen, family, s2, sp);
	check_addr(&r.dst, r.dstlen, family, d2, dp);
	/* too little room: nothing */
	for (cap = 0; cap < n; cap++)
		ck_assert_uint_eq(pp_write(v, (struct sockaddr *)&src,
		    (struct sockaddr *)&dst, buf, cap), 0);
	ck_assert_uint_eq(pp_write(v, (struct sockaddr *)&src,
	    (struct sockaddr *)&dst, buf, n), n);
}

START_TEST(write_round_trip)
{
	int v;

	for (v = 1; v <= 2; v++) {
		trip(v, "1.2.3.4", 1000, "5.6.7.8", 80, AF_INET, "1.2.3.4",
		    "5.6.7.8");
		trip(v, "0.0.0.0", 0, "255.255.255.255", 65535, AF_INET,
		    "0.0.0.0", "255.255.255.255");
		trip(v, "2001:db8::1", 1, "2001:db8::2", 65535, AF_INET6,
		    "2001:db8::1", "2001:db8::2");
		trip(v, FFFF6, 65535, FFFF6, 65535, AF_INET6, FFFF6, FFFF6);
		trip(v, "::", 0, "::1", 1, AF_INET6, "::", "::1");
		/* mixed: both as IPv6, the IPv4 one mapped */
		trip(v, "1.2.3.4", 5, "2001:db8::2", 443, AF_INET6,
		    "::ffff:1.2.3.4", "2001:db8::2");
		trip(v, "2001:db8::1", 5, "10.0.0.1", 443, AF_INET6,
		    "2001:db8::1", "::ffff:10.0.0.1");
		trip(v, "::ffff:1.2.3.4", 5, "::1", 80, AF_INET6,
		    "::ffff:1.2.3.4", "::1");
		/* IPv4 in either spelling on both sides: IPv4 */
		trip(v, "::ffff:1.2.3.4", 5, "::ffff:5.6.7.8", 80, AF_INET,
		    "1.2.3.4", "5.6.7.8");
		trip(v, "::ffff:1.2.3.4", 5, "5.6.7.8", 80, AF_INET,
		    "1.2.3.4", "5.6.7.8");
		/* IPv4-compatible (::a.b.c.d) is not mapped: stays IPv6 */
		trip(v, "::1.2.3.4", 5, "5.6.7.8", 80, AF_INET6,
		    "::1.2.3.4", "::ffff:5.6.7.8");
	}
}
END_TEST

START_TEST(write_bytes)
{
	struct sockaddr_storage a = mk("1.2.3.4", 1000), b = mk("5.6.7.8", 80);
	struct sockaddr_storage c = mk("2001:db8::1", 1);
	struct sockaddr_storage d = mk(FFFF6, 65535);
	static const unsigned char want4[28] = {
		0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49,
		0x54, 0x0a, 0x21, 0x11, 0x00, 0x0c, 1, 2, 3, 4, 5, 6, 7, 8,
		0x03, 0xe8, 0x00, 0x50
	};
	struct sockaddr_un un;
	unsigned char buf[PP_WRITE_MAX];
	size_t n;

	n = pp_write(1, (struct sockaddr *)&a, (struct sockaddr *)&b, buf,
	    sizeof(buf));
	ck_assert_uint_eq(n, 36);
	ck_assert_int_eq(memcmp(buf, "PROXY TCP4 1.2.3.4 5.6.7.8 1000 80\r\n",
	    n), 0);
	n = pp_write(2, (struct sockaddr *)&a, (struct sockaddr *)&b, buf,
	    sizeof(buf));
	ck_assert_uint_eq(n, sizeof(want4));
	ck_assert_int_eq(memcmp(buf, want4, n), 0);
	n = pp_write(2, (struct sockaddr *)&c, (struct sockaddr *)&d, buf,
	    sizeof(buf));
	ck_assert_uint_eq(n, 52);
	ck_assert_int_eq(buf[12], 0x21);
	ck_assert_int_eq(buf[13], 0x21);
	ck_assert_int_eq(buf[14], 0);
	ck_assert_int_eq(buf[15], 36);
	/* the longest: v1 with two full IPv6 addresses */
	n = pp_write(1, (struct sockaddr *)&d, (struct sockaddr *)&d, buf,
	    sizeof(buf));
	ck_assert_uint_eq(n, 104);

	/* neither family, or no such version: nothing */
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	ck_assert_uint_eq(pp_write(1, (struct sockaddr *)&un,
	    (struct sockaddr *)&b, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(pp_write(2, (struct sockaddr *)&a,
	    (struct sockaddr *)&un, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(pp_write(0, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(pp_write(3, (struct sockaddr *)&a,
	    (struct sockaddr *)&b, buf, sizeof(buf)), 0);
}
END_TEST

START_TEST(write_local)
{
	unsigned char buf[PP_WRITE_MAX];
	struct pp_result r;
	size_t n, cap;

	n = pp_write_local(1, buf, sizeof(buf));
	ck_assert_uint_eq(n, 15);
	ck_assert_int_eq(memcmp(buf, "PROXY UNKNOWN\r\n", 15), 0);
	r = exact(buf, n);
	ck_assert_int_eq(r.version, 1);
	ck_assert_int_eq(r.proxied, 0);
	for (cap = 0; cap < n; cap++)
		ck_assert_uint_eq(pp_write_local(1, buf, cap), 0);

	n = pp_write_local(2, buf, sizeof(buf));
	ck_assert_uint_eq(n, 16);
	ck_assert_int_eq(memcmp(buf, sig, sizeof(sig)), 0);
	ck_assert_int_eq(buf[12], 0x20);
	ck_assert_int_eq(buf[13], 0x00);
	ck_assert_int_eq(buf[14], 0);
	ck_assert_int_eq(buf[15], 0);
	r = exact(buf, n);
	ck_assert_int_eq(r.version, 2);
	ck_assert_int_eq(r.proxied, 0);
	for (cap = 0; cap < n; cap++)
		ck_assert_uint_eq(pp_write_local(2, buf, cap), 0);

	ck_assert_uint_eq(pp_write_local(0, buf, sizeof(buf)), 0);
	ck_assert_uint_eq(pp_write_local(3, buf, sizeof(buf)), 0);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("proxyproto");
	TCase *tc = tcase_create("proxyproto");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, v1_tcp4);
	tcase_add_test(tc, v1_tcp6);
	tcase_add_test(tc, v1_unknown);
	tcase_add_test(tc, v1_errors);
	tcase_add_test(tc, v2_proxy);
	tcase_add_test(tc, v2_not_proxied);
	tcase_add_test(tc, v2_tlvs);
	tcase_add_test(tc, v2_bad_lengths);
	tcase_add_test(tc, v2_bad_signature);
	tcase_add_test(tc, v2_bad_fields);
	tcase_add_test(tc, result_untouched);
	tcase_add_test(tc, write_round_trip);
	tcase_add_test(tc, write_bytes);
	tcase_add_test(tc, write_local);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
