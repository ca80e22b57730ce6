/*
 * The PROXY protocol, versions 1 and 2, after HAProxy's proxy-protocol.txt.
 *
 * The parser takes the whole buffer each time (the header is at most
 * PP_V2_MAX + 16 bytes, so rescanning costs nothing) and decides as early
 * as it can: a listener that expects a header must refuse a client that
 * sends something else at its first wrong byte, not wait for a timeout.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "lib/proxyproto.h"

#define PP_STR1(x)	#x
#define PP_STR(x)	PP_STR1(x)

static const unsigned char pp_sig[12] = {
	0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a
};

/* v2 address blocks: the four fixed sizes the spec gives by family. */
#define PP2_LEN_INET	12	/* 2 x 4 address, 2 x 2 port */
#define PP2_LEN_INET6	36	/* 2 x 16 address, 2 x 2 port */
#define PP2_LEN_UNIX	216	/* 2 x 108 path */

/* The longest text inet_pton takes: ffff:ffff:...:ffff:255.255.255.255 */
#define V1_ADDR_MAX	45

/* v1 fields, in order on the line. */
enum { F_PROXY, F_PROTO, F_SRC, F_DST, F_SPORT, F_DPORT };

static int
fail(const char **why, const char *text)
{
	if (why != NULL)
		*why = text;
	return (PP_ERROR);
}

/*
 * Could t (n bytes, no terminator yet) still become a dotted quad that
 * inet_pton takes? Its rules, so that no prefix of a good address is
 * refused: four groups of 0..255, no leading zero, nothing else.
 */
static int
v4_prefix(const char *t, size_t n)
{
	size_t i, groups = 1, digits = 0;
	unsigned int v = 0;

	for (i = 0; i < n; i++) {
		if (t[i] == '.') {
			if (digits == 0 || groups == 4)
				return (0);
			groups++;
			digits = 0;
			v = 0;
		} else if (t[i] >= '0' && t[i] <= '9') {
			if (digits == 1 && v == 0)
				return (0);
			v = v * 10 + (unsigned int)(t[i] - '0');
			digits++;
			if (v > 255)
				return (0);
		} else
			return (0);
	}
	return (1);
}

/*
 * The same for IPv6, looser: hex groups of at most four digits, at most
 * one "::", at most eight groups, and a dotted quad only as the last
 * group after a colon. inet_pton judges the whole address; this only has
 * to stop a client that is clearly sending something else.
 */
static int
v6_prefix(const char *t, size_t n)
{
	size_t i, run = 0, groups = 0, dcolons = 0, last = n;

	if (n > V1_ADDR_MAX)
		return (0);
	for (i = 0; i < n; i++)
		if (t[i] == ':')
			last = i;
	for (i = 0; i < n; i++) {
		if (t[i] == ':') {
			if (i > 0 && t[i - 1] == ':') {
				if (++dcolons > 1)
					return (0);
				if (i > 1 && t[i - 2] == ':')
					return (0);
			}
			run = 0;
		} else if (t[i] == '.') {
			/* the last group is an IPv4 address: judged below */
			if (last == n || i < last)
				return (0);
			break;
		} else if ((t[i] >= '0' && t[i] <= '9') ||
		    (t[i] >= 'a' && t[i] <= 'f') ||
		    (t[i] >= 'A' && t[i] <= 'F')) {
			if (run++ == 0)
				groups++;
			if (run > 4)
				return (0);
		} else
			return (0);
	}
	if (i < n) {
		/* a dotted quad stands for two groups */
		if (groups + 1 > 8)
			return (0);
		return (v4_prefix(t + last + 1, n - last - 1));
	}
	return (groups <= 8);
}

/* A port so far: decimal, no sign, no leading zero, at most 65535. */
static int
port_prefix(const char *t, size_t n, unsigned int *port)
{
	unsigned int v = 0;
	size_t i;

	if (n > 1 && t[0] == '0')
		return (0);
	for (i = 0; i < n; i++) {
		if (t[i] < '0' || t[i] > '9')
			return (0);
		v = v * 10 + (unsigned int)(t[i] - '0');
		if (v > 65535)
			return (0);
	}
	*port = v;
	return (1);
}

/* Is "want" still possible after the n bytes at t? */
static int
word_prefix(const char *t, size_t n, const char *want)
{
	return (n <= strlen(want) && memcmp(t, want, n) == 0);
}

/* A whole address token into ss, by inet_pton of the line's family. */
static int
v1_addr(const char *t, size_t n, int family, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	char text[V1_ADDR_MAX + 1];
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	if (n == 0 || n > V1_ADDR_MAX)
		return (-1);
	memcpy(text, t, n);
	text[n] = '\0';
	if (family == AF_INET) {
		if (inet_pton(AF_INET, text, &sin->sin_addr) != 1)
			return (-1);
		sin->sin_family = AF_INET;
		*sslen = sizeof(*sin);
	} else {
		if (inet_pton(AF_INET6, text, &sin6->sin6_addr) != 1)
			return (-1);
		sin6->sin6_family = AF_INET6;
		*sslen = sizeof(*sin6);
	}
	return (0);
}

static void
set_port(struct sockaddr_storage *ss, unsigned int port)
{
	uint16_t p = htons((uint16_t)port);

	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = p;
	else
		((struct sockaddr_in6 *)ss)->sin6_port = p;
}

/*
 * One token of a v1 line: whole (its terminator seen) or the last one,
 * still arriving. 0 when it is (or may become) right for its field.
 */
static int
v1_token(int field, int family, const char *t, size_t n, int whole,
    struct pp_result *r, const char **why)
{
	unsigned int port;

	switch (field) {
	case F_PROXY:
		if (!word_prefix(t, n, "PROXY") || (whole && n != 5))
			return (fail(why, "not a PROXY header"));
		break;
	case F_PROTO:
		/* whole, a prefix of 4 or 7 bytes is the word itself */
		if (!(word_prefix(t, n, "TCP4") || word_prefix(t, n, "TCP6") ||
		    word_prefix(t, n, "UNKNOWN")) ||
		    (whole && n != 4 && n != 7))
			return (fail(why, "bad v1 protocol"));
		break;
	case F_SRC:
	case F_DST:
		/*
		 * The prefix rules first, whole or not: they also keep out a
		 * NUL, which would end inet_pton's string early.
		 */
		if ((family == AF_INET ? v4_prefix(t, n) : v6_prefix(t, n)) &&
		    (!whole || v1_addr(t, n, family, field == F_SRC ? &r->src :
		    &r->dst, field == F_SRC ? &r->srclen : &r->dstlen) == 0))
			break;
		return (fail(why, field == F_SRC ? "bad v1 source address" :
		    "bad v1 destination address"));
	case F_SPORT:
	case F_DPORT:
		if (port_prefix(t, n, &port) && (!whole || n > 0)) {
			if (whole)
				set_port(field == F_SPORT ? &r->src : &r->dst,
				    port);
			break;
		}
		return (fail(why, field == F_SPORT ? "bad v1 source port" :
		    "bad v1 destination port"));
	}
	return (0);
}

/*
 * "PROXY TCP4 src dst sport dport\r\n" (or TCP6), or "PROXY UNKNOWN" and
 * anything but CR and LF up to CRLF; single spaces, 107 bytes at most.
 * A lone CR or LF is refused rather than taken as the line's end: two
 * parsers reading the same bytes must not end the header at different
 * places.
 */
static int
v1_parse(const unsigned char *b, size_t len, struct pp_result *r,
    const char **why)
{
	const char *s = (const char *)b;
	size_t n = len < PP_V1_MAX ? len : PP_V1_MAX;
	size_t i, start = 0;
	int field = F_PROXY, family = AF_INET, unknown = 0;

	for (i = 0; i < n; i++) {
		if (unknown && b[i] != '\r') {
			if (b[i] == '\n')
				return (fail(why, "v1 LF without CR"));
			continue;
		}
		if (b[i] == '\n')
			return (fail(why, "v1 LF without CR"));
		if (b[i] != ' ' && b[i] != '\r')
			continue;
		if (!unknown) {
			if (v1_token(field, family, s + start, i - start, 1,
			    r, why) != 0)
				return (PP_ERROR);
			if (field == F_PROTO) {
				if (s[start] == 'U')
					unknown = 1;
				else if (s[start + 3] == '6')
					family = AF_INET6;
			}
			/* only UNKNOWN may end early, only dport with CR */
			if (b[i] == ' ' && field == F_DPORT)
				return (fail(why, "v1 extra field"));
			if (b[i] == '\r' && field != F_DPORT && !unknown)
				return (fail(why, "v1 missing field"));
			if (b[i] == ' ') {
				field++;
				start = i + 1;
				continue;
			}
		}
		/* a CR: the line ends here or it is wrong */
		if (i + 1 == n) {
			if (n == PP_V1_MAX)
				return (fail(why, "v1 line over "
				    PP_STR(PP_V1_MAX) " bytes"));
			return (PP_AGAIN);
		}
		if (b[i + 1] != '\n')
			return (fail(why, "v1 CR without LF"));
		r->version = 1;
		r->proxied = !unknown;
		return ((int)(i + 2));
	}
	if (!unknown && v1_token(field, family, s + start, n - start, 0, r,
	    why) != 0)
		return (PP_ERROR);
	if (n == PP_V1_MAX)
		return (fail(why, "v1 line over " PP_STR(PP_V1_MAX) " bytes"));
	return (PP_AGAIN);
}

static unsigned int
be16(const unsigned char *p)
{
	return ((unsigned int)p[0] << 8 | p[1]);
}

/*
 * 16 bytes (signature, version and command, family, length), the address
 * block, TLVs. Each field is judged as soon as it is in; the length as
 * soon as its two bytes are, so a lying one is refused before porter
 * waits for (or buffers) what it announces.
 */
static int
v2_parse(const unsigned char *b, size_t len, struct pp_result *r,
    const char **why)
{
	size_t i, n, total, off, need;
	unsigned int cmd, fam;

	n = len < sizeof(pp_sig) ? len : sizeof(pp_sig);
	for (i = 0; i < n; i++)
		if (b[i] != pp_sig[i])
			return (fail(why, "bad v2 signature"));
	if (len < 13)
		return (PP_AGAIN);
	if ((b[12] & 0xf0) != 0x20)
		return (fail(why, "bad v2 version"));
	cmd = b[12] & 0x0f;
	if (cmd != 0 && cmd != 1)
		return (fail(why, "bad v2 command"));
	if (len < 14)
		return (PP_AGAIN);
	fam = b[13];
	switch (fam) {
	case 0x00:
		need = 0;
		break;
	case 0x11:
	case 0x12:
		need = PP2_LEN_INET;
		break;
	case 0x21:
	case 0x22:
		need = PP2_LEN_INET6;
		break;
	case 0x31:
	case 0x32:
		need = PP2_LEN_UNIX;
		break;
	default:
		return (fail(why, "bad v2 family"));
	}
	if (len < 16)
		return (PP_AGAIN);
	if (be16(b + 14) > PP_V2_MAX)
		return (fail(why, "v2 length over " PP_STR(PP_V2_MAX)));
	/*
	 * LOCAL too: the spec says its family is ignored, but the TLVs start
	 * after the family's block, so a block that does not fit leaves no
	 * way to read the rest.
	 */
	if (be16(b + 14) < need)
		return (fail(why, "v2 address block too short"));
	total = 16 + be16(b + 14);
	if (len < total)
		return (PP_AGAIN);

	for (off = 16 + need; off < total; off += 3 + be16(b + off + 1)) {
		if (total - off < 3)
			return (fail(why, "v2 partial TLV at the end"));
		if (be16(b + off + 1) > total - off - 3)
			return (fail(why, "v2 TLV overruns the header"));
	}

	/* r is zeroed: LOCAL, UNSPEC and UNIX leave it so */
	r->version = 2;
	if (cmd == 1 && (fam == 0x11 || fam == 0x12)) {
		struct sockaddr_in *s = (struct sockaddr_in *)&r->src;
		struct sockaddr_in *d = (struct sockaddr_in *)&r->dst;

		s->sin_family = d->sin_family = AF_INET;
		memcpy(&s->sin_addr, b + 16, 4);
		memcpy(&d->sin_addr, b + 20, 4);
		memcpy(&s->sin_port, b + 24, 2);
		memcpy(&d->sin_port, b + 26, 2);
		r->srclen = r->dstlen = sizeof(*s);
		r->proxied = 1;
	} else if (cmd == 1 && (fam == 0x21 || fam == 0x22)) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&r->src;
		struct sockaddr_in6 *d = (struct sockaddr_in6 *)&r->dst;

		s->sin6_family = d->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, b + 16, 16);
		memcpy(&d->sin6_addr, b + 32, 16);
		memcpy(&s->sin6_port, b + 48, 2);
		memcpy(&d->sin6_port, b + 50, 2);
		r->srclen = r->dstlen = sizeof(*s);
		r->proxied = 1;
	}
	return ((int)total);
}

int
pp_parse(const void *buf, size_t len, struct pp_result *r, const char **why)
{
	const unsigned char *b = buf;
	struct pp_result tmp;
	int rc;

	if (len == 0)
		return (PP_AGAIN);
	/* the parsers fill only what they read; the rest stays zero */
	memset(&tmp, 0, sizeof(tmp));
	/* the first byte tells the versions apart: 'P' or CR */
	if (b[0] == 'P')
		rc = v1_parse(b, len, &tmp, why);
	else if (b[0] == pp_sig[0])
		rc = v2_parse(b, len, &tmp, why);
	else
		rc = fail(why, "not a PROXY header");
	/* *r is left alone unless a whole header was read */
	if (rc > 0)
		*r = tmp;
	return (rc);
}

/* An IPv4 address, whether AF_INET or IPv4-mapped AF_INET6. */
static int
as_v4(const struct sockaddr *sa, struct in_addr *a, uint16_t *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		*a = sin->sin_addr;
		*port = sin->sin_port;
		return (1);
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		if (!IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr))
			return (0);
		memcpy(a, &sin6->sin6_addr.s6_addr[12], 4);
		*port = sin6->sin6_port;
		return (1);
	}
	return (0);
}

/* Any address as IPv6, an IPv4 one mapped. */
static void
as_v6(const struct sockaddr *sa, struct in6_addr *a, uint16_t *port)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)sa;

		memset(a, 0, sizeof(*a));
		a->s6_addr[10] = a->s6_addr[11] = 0xff;
		memcpy(&a->s6_addr[12], &sin->sin_addr, 4);
		*port = sin->sin_port;
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)sa;

		*a = sin6->sin6_addr;
		*port = sin6->sin6_port;
	}
}

/*
 * Two IPv4 addresses (either spelling: a dual-stack listener sees IPv4
 * clients as ::ffff:a.b.c.d) go as TCP4, so the backend gets the address
 * it would have seen; anything else as TCP6, IPv4 ones mapped.
 */
size_t
pp_write(int version, const struct sockaddr *src, const struct sockaddr *dst,
    void *buf, size_t cap)
{
	unsigned char out[PP_WRITE_MAX];
	struct in_addr s4, d4;
	struct in6_addr s6, d6;
	uint16_t sp, dp;
	size_t n;
	int v4;

	if ((version != 1 && version != 2) || src == NULL || dst == NULL)
		return (0);
	if ((src->sa_family != AF_INET && src->sa_family != AF_INET6) ||
	    (dst->sa_family != AF_INET && dst->sa_family != AF_INET6))
		return (0);
	v4 = as_v4(src, &s4, &sp) && as_v4(dst, &d4, &dp);
	if (!v4) {
		as_v6(src, &s6, &sp);
		as_v6(dst, &d6, &dp);
	}

	if (version == 1) {
		char st[INET6_ADDRSTRLEN], dt[INET6_ADDRSTRLEN];
		int w;

		if (v4 ? inet_ntop(AF_INET, &s4, st, sizeof(st)) == NULL ||
		    inet_ntop(AF_INET, &d4, dt, sizeof(dt)) == NULL :
		    inet_ntop(AF_INET6, &s6, st, sizeof(st)) == NULL ||
		    inet_ntop(AF_INET6, &d6, dt, sizeof(dt)) == NULL)
			return (0);
		w = snprintf((char *)out, sizeof(out),
		    "PROXY %s %s %s %u %u\r\n", v4 ? "TCP4" : "TCP6", st, dt,
		    (unsigned int)ntohs(sp), (unsigned int)ntohs(dp));
		if (w < 0 || (size_t)w >= sizeof(out))
			return (0);
		n = (size_t)w;
	} else {
		memcpy(out, pp_sig, sizeof(pp_sig));
		out[12] = 0x21;			/* version 2, PROXY */
		if (v4) {
			out[13] = 0x11;		/* INET, stream */
			out[14] = 0;
			out[15] = PP2_LEN_INET;
			memcpy(out + 16, &s4, 4);
			memcpy(out + 20, &d4, 4);
			memcpy(out + 24, &sp, 2);
			memcpy(out + 26, &dp, 2);
			n = 16 + PP2_LEN_INET;
		} else {
			out[13] = 0x21;		/* INET6, stream */
			out[14] = 0;
			out[15] = PP2_LEN_INET6;
			memcpy(out + 16, &s6, 16);
			memcpy(out + 32, &d6, 16);
			memcpy(out + 48, &sp, 2);
			memcpy(out + 50, &dp, 2);
			n = 16 + PP2_LEN_INET6;
		}
	}
	if (n > cap)
		return (0);
	memcpy(buf, out, n);
	return (n);
}

size_t
pp_write_local(int version, void *buf, size_t cap)
{
	static const char v1[] = "PROXY UNKNOWN\r\n";
	unsigned char *b = buf;

	if (version == 1) {
		if (cap < sizeof(v1) - 1)
			return (0);
		memcpy(buf, v1, sizeof(v1) - 1);
		return (sizeof(v1) - 1);
	}
	if (version != 2 || cap < 16)
		return (0);
	memcpy(b, pp_sig, sizeof(pp_sig));
	b[12] = 0x20;			/* version 2, LOCAL */
	b[13] = 0x00;			/* UNSPEC: no addresses */
	b[14] = b[15] = 0;
	return (16);
}
