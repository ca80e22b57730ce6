/*
 * The PROXY protocol (HAProxy's proxy-protocol.txt, versions 1 and 2): the
 * header an L4 balancer writes first on a connection to say whose it is.
 * Reading one (a listener with proxy_protocol = true), writing one (a
 * server with send_proxy), and the LOCAL form the health checker sends.
 * Pure functions on buffers: no I/O, no allocation.
 */
#ifndef PORTER_LIB_PROXYPROTO_H
#define PORTER_LIB_PROXYPROTO_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>

/* Version 1 is one line of at most 107 bytes, CRLF included. */
#define PP_V1_MAX	107
/*
 * Version 2: 16 bytes, then the address block and TLVs, as many bytes as
 * its length field says. A length over this is refused (so a header is at
 * most 16 + PP_V2_MAX bytes): no balancer sends TLVs this long, and a
 * lying length must not make porter wait for, or buffer, 64 KiB.
 */
#define PP_V2_MAX	2048
/* Room for any header pp_write makes (v2 with IPv6: 52 bytes). */
#define PP_WRITE_MAX	108

enum pp_rc {
	PP_AGAIN = 0,	/* a valid start, more bytes needed */
	PP_ERROR = -1	/* not a valid header (*why says what) */
	/* > 0: the header's length in bytes */
};

struct pp_result {
	/*
	 * 1: the header names the connection's endpoints (PROXY TCP4/TCP6,
	 * v2 PROXY over TCP or UDP with IPv4 or IPv6). 0: use the real peer
	 * (v2 LOCAL, the health checks of a balancer; v1 UNKNOWN; v2 with an
	 * unspecified or AF_UNIX family).
	 */
	int			proxied;
	int			version;	/* 1 or 2 */
	struct sockaddr_storage	src;		/* the client */
	socklen_t		srclen;
	struct sockaddr_storage	dst;		/* the address it reached */
	socklen_t		dstlen;
};

/*
 * Parse a PROXY header at the start of the len bytes at buf, strictly:
 * the header's length (> 0) with *r filled, PP_AGAIN when the bytes so far
 * are a valid beginning (of either version) but not a whole header, or
 * PP_ERROR with *why a short static text ("not a PROXY header", "bad v1
 * source port", "v2 length over 2048", ...). Bytes after the header
 * are not looked at. v2 TLVs are walked and each must fit in the header;
 * their contents are skipped.
 */
int	pp_parse(const void *buf, size_t len, struct pp_result *r,
	    const char **why);

/*
 * Write a header for a connection from src to dst (both AF_INET or both
 * AF_INET6; an IPv4 one beside an IPv6 one is written as two IPv6
 * addresses, IPv4-mapped; two IPv4-mapped ones as IPv4) into buf: its
 * length, or 0 when cap is too small or a family is neither. version: 1
 * or 2. No NUL is written.
 */
size_t	pp_write(int version, const struct sockaddr *src,
	    const struct sockaddr *dst, void *buf, size_t cap);

/*
 * The header that carries no addresses: v1 "PROXY UNKNOWN\r\n", v2 the
 * LOCAL command (what a health check sends). Its length, or 0 if cap is
 * too small.
 */
size_t	pp_write_local(int version, void *buf, size_t cap);

#endif
