/*
 * Strict HTTP/1.1 message heads and chunked bodies (RFC 9112).
 *
 * Built like nginx's ngx_http_parse.c: an explicit state kept in the
 * caller's struct, one pass over the bytes, offsets instead of copies.
 * Inner runs (a token, a target, a field value) are tight loops over one
 * class table, so the common byte costs a load and a test, not a call.
 * Whatever framing a peer could read two ways is refused, because a proxy
 * that guesses differently from the next hop is a smuggling tool.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <assert.h>
#include <stdint.h>
#include <string.h>

#include "http_parse.h"

/* Byte classes; one table so each inner loop tests one bit. */
#define C_TCHAR		0x01	/* tchar (RFC 9110 5.6.2) */
#define C_VCHAR		0x02	/* 0x21-0x7e: request-target bytes */
#define C_FVAL		0x04	/* VCHAR obs-text SP HTAB */
#define C_DIGIT		0x08
#define C_HEX		0x10
#define C_HOST		0x20	/* uri-host [ ":" port ] */
#define C_QDTEXT	0x40	/* quoted-string content without escapes */
#define C_OWS		0x80	/* SP, HTAB */

static const uint8_t cls[256] = {
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 00 */
	0x00, 0xc4, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,	/* 10 */
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xc4, 0x67, 0x06, 0x47, 0x67, 0x67, 0x67, 0x67,	/* 20 */
	0x66, 0x66, 0x67, 0x67, 0x66, 0x67, 0x67, 0x46,
	0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f,	/* 30 */
	0x7f, 0x7f, 0x66, 0x66, 0x46, 0x66, 0x46, 0x46,
	0x46, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x67,	/* 40 */
	0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67,
	0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67,	/* 50 */
	0x67, 0x67, 0x67, 0x66, 0x06, 0x66, 0x47, 0x67,
	0x47, 0x77, 0x77, 0x77, 0x77, 0x77, 0x77, 0x67,	/* 60 */
	0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67,
	0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67, 0x67,	/* 70 */
	0x67, 0x67, 0x67, 0x46, 0x47, 0x46, 0x67, 0x00,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* 80 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* 90 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* a0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* b0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* c0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* d0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* e0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,	/* f0 */
	0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44, 0x44,
};

/*
 * Word-at-a-time tests (SWAR): nonzero if some byte of x is below n
 * (n <= 128), or equals c. Exact as to whether there is one, which is all
 * the fast paths below ask; finding which byte is left to the table.
 */
#define ONES		0x0101010101010101ULL
#define HIGHS		0x8080808080808080ULL
#define HAS_LESS(x, n)	(((x) - ONES * (n)) & ~(x) & HIGHS)
#define HAS_BYTE(x, c)	HAS_LESS((x) ^ (ONES * (c)), 1)

/*
 * Bytes of empty lines tolerated before a request line: enough for the
 * stray CRLF some clients send after a POST body (RFC 9112 2.2), not a
 * way to hold a worker with an endless stream of them.
 */
#define MAX_EMPTY	8

/* http_head.flags */
#define F_REQ		0x01	/* a request: errors keep status */
#define F_HOST		0x02	/* Host seen */
#define F_TE		0x04	/* Transfer-Encoding seen */
#define F_CHUNKED	0x08	/* chunked seen among the codings */
#define F_CONN_NAMES	0x10	/* Connection names other fields */

/* Head parser states, in the order a message meets them. */
enum {
	S_RL_START,		/* empty lines before the request line */
	S_RL_START_LF,		/* CR of such a line seen */
	S_RL_METHOD,
	S_RL_TARGET,
	S_RL_VERSION,
	S_RL_LF,
	S_SL_VERSION,
	S_SL_CODE,
	S_SL_REASON,
	S_SL_LF,
	S_H_START,		/* a field line or the empty line */
	S_H_NAME,
	S_H_OWS,
	S_H_VALUE,
	S_H_LF,
	S_END_LF,
	S_DONE,
	S_ERROR
};

/* Chunked scanner states. */
enum {
	CH_SIZE0,		/* first hex digit of a chunk-size */
	CH_SIZE,
	CH_BWS,			/* after size/value SP: ';' next */
	CH_EXT_NAME0,
	CH_EXT_NAME,
	CH_EXT_NAME_BWS,	/* whitespace after a name: '=' or ';' next */
	CH_EXT_VAL0,
	CH_EXT_TOKEN,
	CH_EXT_QUOTED,
	CH_EXT_QPAIR,
	CH_EXT_QEND,		/* after the closing quote */
	CH_SIZE_LF,
	CH_DATA,
	CH_DATA_CR,
	CH_DATA_LF,
	CH_TR_START,		/* a trailer field or the final CRLF */
	CH_TR_NAME,
	CH_TR_VALUE,
	CH_TR_LF,
	CH_END_LF,
	CH_DONE,
	CH_ERROR
};

struct name_id {
	const char	*name;
	uint8_t		 len;
	uint8_t		 id;
};

/* Methods are case-sensitive (RFC 9110 9.1): names as registered. */
static const struct name_id methods[] = {
	{ "GET", 3, HTTP_M_GET },
	{ "HEAD", 4, HTTP_M_HEAD },
	{ "POST", 4, HTTP_M_POST },
	{ "PUT", 3, HTTP_M_PUT },
	{ "DELETE", 6, HTTP_M_DELETE },
	{ "OPTIONS", 7, HTTP_M_OPTIONS },
	{ "TRACE", 5, HTTP_M_TRACE },
	{ "CONNECT", 7, HTTP_M_CONNECT },
	{ "PATCH", 5, HTTP_M_PATCH },
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* Comma-separated list walker over buf[i..n) (RFC 9110 5.6.1). */
struct list {
	const unsigned char	*b;
	uint32_t		 i, n;
};

static unsigned char	lc(unsigned char);
static int		eq_lc(const unsigned char *, uint32_t, const char *,
			    uint32_t);
static int		eq_ci(const unsigned char *, const unsigned char *,
			    uint32_t);
static int		hh_lookup(const unsigned char *, struct span);
static int		is_fixed_hop(int);
static void		list_start(struct list *, const unsigned char *,
			    struct span);
static int		list_next(struct list *, struct span *);
static int		version_of(const unsigned char *, uint32_t);
static const char	*bad_byte(unsigned char, const char *);
static enum http_rc	fail(struct http_head *, uint32_t, int,
			    const char *);
static enum http_rc	field_cl(struct http_head *, const unsigned char *,
			    uint32_t, struct span);
static enum http_rc	field_te(struct http_head *, const unsigned char *,
			    uint32_t, struct span);
static enum http_rc	field_conn(struct http_head *, const unsigned char *,
			    uint32_t, struct http_hdr *);
static enum http_rc	field_done(struct http_head *, struct http_req *,
			    const unsigned char *, uint32_t);
static enum http_rc	head_done(struct http_head *, struct http_req *,
			    uint32_t);
static enum http_rc	parse_head(struct http_head *, struct http_req *,
			    struct http_resp *, const unsigned char *, size_t);
static uint32_t		skip_fval(const unsigned char *, uint32_t,
			    uint32_t);
static uint32_t		skip_vchar(const unsigned char *, uint32_t,
			    uint32_t);
static void		head_init(struct http_head *, uint32_t, int);
static enum http_rc	ch_fail(struct http_chunked *, size_t *, size_t,
			    const char *);

static inline unsigned char
lc(unsigned char c)
{
	return (c >= 'A' && c <= 'Z' ? c | 0x20 : c);
}

/* b[0..n) equals the lower-case s[0..sn), ignoring the case of b. */
static int
eq_lc(const unsigned char *b, uint32_t n, const char *s, uint32_t sn)
{
	uint32_t	i;

	if (n != sn)
		return (0);
	for (i = 0; i < n; i++)
		if (lc(b[i]) != (unsigned char)s[i])
			return (0);
	return (1);
}

/* a[0..n) and b[0..n) are equal ignoring ASCII case. */
static int
eq_ci(const unsigned char *a, const unsigned char *b, uint32_t n)
{
	uint32_t	i;

	for (i = 0; i < n; i++)
		if (lc(a[i]) != lc(b[i]))
			return (0);
	return (1);
}

/*
 * Called for every field of every message: the length picks at most two
 * candidates, so an unknown field costs a switch and maybe a compare.
 */
static int
hh_lookup(const unsigned char *b, struct span name)
{
	const unsigned char	*s = b + name.off;
	uint32_t		 n = name.len;

#define HH_IS(str, id)	if (eq_lc(s, n, str, sizeof(str) - 1)) return (id)
	switch (n) {
	case 2:
		HH_IS("te", HH_TE);
		break;
	case 3:
		HH_IS("via", HH_VIA);
		break;
	case 4:
		HH_IS("host", HH_HOST);
		break;
	case 6:
		HH_IS("expect", HH_EXPECT);
		break;
	case 7:
		HH_IS("trailer", HH_TRAILER);
		HH_IS("upgrade", HH_UPGRADE);
		break;
	case 10:
		HH_IS("connection", HH_CONNECTION);
		HH_IS("keep-alive", HH_KEEP_ALIVE);
		break;
	case 14:
		HH_IS("content-length", HH_CONTENT_LENGTH);
		break;
	case 15:
		HH_IS("x-forwarded-for", HH_X_FORWARDED_FOR);
		break;
	case 16:
		HH_IS("proxy-connection", HH_PROXY_CONNECTION);
		HH_IS("x-forwarded-host", HH_X_FORWARDED_HOST);
		break;
	case 17:
		HH_IS("transfer-encoding", HH_TRANSFER_ENCODING);
		HH_IS("x-forwarded-proto", HH_X_FORWARDED_PROTO);
		break;
	case 18:
		HH_IS("proxy-authenticate", HH_PROXY_AUTHENTICATE);
		break;
	case 19:
		HH_IS("proxy-authorization", HH_PROXY_AUTHORIZATION);
		break;
	}
#undef HH_IS
	return (HH_OTHER);
}

static int
is_fixed_hop(int id)
{
	switch (id) {
	case HH_CONNECTION:
	case HH_KEEP_ALIVE:
	case HH_PROXY_CONNECTION:
	case HH_TE:
	case HH_TRAILER:
	case HH_TRANSFER_ENCODING:
	case HH_UPGRADE:
	case HH_PROXY_AUTHORIZATION:
	case HH_PROXY_AUTHENTICATE:
		return (1);
	}
	return (0);
}

static void
list_start(struct list *l, const unsigned char *b, struct span v)
{
	l->b = b;
	l->i = v.off;
	l->n = v.off + v.len;
}

/*
 * Next element, OWS trimmed, possibly empty; 0 when the list is done.
 * Commas inside a quoted-string (a transfer-parameter value) do not split.
 */
static int
list_next(struct list *l, struct span *e)
{
	const unsigned char	*b = l->b;
	uint32_t		 i = l->i, start, end;
	int			 quoted = 0;

	if (i > l->n)
		return (0);
	while (i < l->n && (cls[b[i]] & C_OWS))
		i++;
	start = i;
	for (; i < l->n; i++) {
		if (quoted) {
			if (b[i] == '\\')
				i++;
			else if (b[i] == '"')
				quoted = 0;
		} else if (b[i] == '"')
			quoted = 1;
		else if (b[i] == ',')
			break;
	}
	end = i < l->n ? i : l->n;
	while (end > start && (cls[b[end - 1]] & C_OWS))
		end--;
	e->off = start;
	e->len = end - start;
	l->i = end == l->n ? l->n + 1 : i + 1;
	return (1);
}

/* 11 or 10; 0 for another well-formed HTTP-version; -1 for garbage. */
static int
version_of(const unsigned char *v, uint32_t n)
{
	if (n != 8 || memcmp(v, "HTTP/", 5) != 0 ||
	    !(cls[v[5]] & C_DIGIT) || v[6] != '.' || !(cls[v[7]] & C_DIGIT))
		return (-1);
	if (v[5] == '1' && v[7] == '1')
		return (11);
	if (v[5] == '1' && v[7] == '0')
		return (10);
	return (0);
}

/* The log should say NUL when it was one: that is an attack, not a typo. */
static const char *
bad_byte(unsigned char c, const char *why)
{
	return (c == '\0' ? "NUL in head" : why);
}

/* Every response error is the backend's fault: the client gets 502. */
static enum http_rc
fail(struct http_head *h, uint32_t p, int status, const char *why)
{
	h->pos = p;
	h->state = S_ERROR;
	h->status = (h->flags & F_REQ) ? status : 502;
	h->why = why;
	return (HTTP_ERROR);
}

/* Content-Length = 1*DIGIT; "5, 5" is one value said twice (RFC 9110 8.6). */
static enum http_rc
field_cl(struct http_head *h, const unsigned char *b, uint32_t p,
    struct span v)
{
	struct list	l;
	struct span	e;
	uint32_t	i;
	int64_t		n;
	unsigned	d;

	list_start(&l, b, v);
	while (list_next(&l, &e)) {
		if (e.len == 0)
			return (fail(h, p, 400, "bad Content-Length"));
		n = 0;
		for (i = e.off; i < e.off + e.len; i++) {
			if (!(cls[b[i]] & C_DIGIT))
				return (fail(h, p, 400, "bad Content-Length"));
			d = b[i] - '0';
			if (n > (INT64_MAX - d) / 10)
				return (fail(h, p, 400,
				    "Content-Length overflow"));
			n = n * 10 + d;
		}
		if (h->content_length >= 0 && h->content_length != n)
			return (fail(h, p, 400, "differing Content-Length"));
		h->content_length = n;
	}
	return (HTTP_OK);
}

/*
 * Transfer-Encoding, all fields read as one list in order. A request may
 * only say chunked (we relay nothing else); a response may stack codings
 * and is read until close unless chunked is last (RFC 9112 6.3).
 */
static enum http_rc
field_te(struct http_head *h, const unsigned char *b, uint32_t p,
    struct span v)
{
	struct list	l;
	struct span	e;
	uint32_t	t, i;
	int		ischunked, any = 0, req = h->flags & F_REQ;

	h->flags |= F_TE;
	/* RFC 9112 6.1: framing from a 1.0 peer that says T-E is faulty */
	if (h->version == 10)
		return (fail(h, p, 400, "Transfer-Encoding in HTTP/1.0"));
	list_start(&l, b, v);
	while (list_next(&l, &e)) {
		if (e.len == 0)
			continue;
		any = 1;
		for (t = 0; t < e.len && (cls[b[e.off + t]] & C_TCHAR); t++)
			continue;
		if (t == 0)
			return (fail(h, p, 400, "bad Transfer-Encoding"));
		ischunked = eq_lc(b + e.off, t, "chunked", 7);
		if (t < e.len) {
			/* transfer-parameters: only checked for their ';' */
			for (i = e.off + t; cls[b[i]] & C_OWS; i++)
				continue;
			if (b[i] != ';')
				return (fail(h, p, 400,
				    "bad Transfer-Encoding"));
			if (ischunked)
				return (fail(h, p, 400,
				    "chunked with parameters"));
		}
		if (ischunked) {
			if (h->flags & F_CHUNKED)
				return (fail(h, p, 400, "chunked twice"));
			h->flags |= F_CHUNKED;
			h->chunked = 1;
		} else if (h->chunked) {
			if (req)
				return (fail(h, p, 400, "chunked not last"));
			h->chunked = 0;
		} else if (req)
			return (fail(h, p, 501,
			    "unsupported transfer coding"));
	}
	if (!any)
		return (fail(h, p, 400, "empty Transfer-Encoding"));
	return (HTTP_OK);
}

/* Connection and Proxy-Connection: a list of tokens (RFC 9110 7.6.1). */
static enum http_rc
field_conn(struct http_head *h, const unsigned char *b, uint32_t p,
    struct http_hdr *f)
{
	struct list	l;
	struct span	e;
	uint32_t	i;

	list_start(&l, b, f->value);
	while (list_next(&l, &e)) {
		if (e.len == 0)
			continue;
		for (i = e.off; i < e.off + e.len; i++)
			if (!(cls[b[i]] & C_TCHAR))
				return (fail(h, p, 400, "bad Connection"));
		if (eq_lc(b + e.off, e.len, "close", 5))
			h->conn |= HTTP_CONN_CLOSE;
		else if (eq_lc(b + e.off, e.len, "keep-alive", 10))
			h->conn |= HTTP_CONN_KEEPALIVE;
		else if (eq_lc(b + e.off, e.len, "upgrade", 7))
			h->conn |= HTTP_CONN_UPGRADE;
		else if (f->id == HH_CONNECTION &&
		    !is_fixed_hop(hh_lookup(b, e)))
			/* http_is_hop_by_hop() must look at the names */
			h->flags |= F_CONN_NAMES;
	}
	return (HTTP_OK);
}

/* A field line ended at p: classify it and act on the fields we know. */
static enum http_rc
field_done(struct http_head *h, struct http_req *rq, const unsigned char *b,
    uint32_t p)
{
	struct http_hdr	*f = &h->hdr[h->nhdr];
	uint32_t	 i;

	f->id = hh_lookup(b, f->name);
	switch (f->id) {
	case HH_CONTENT_LENGTH:
		return (field_cl(h, b, p, f->value));
	case HH_TRANSFER_ENCODING:
		return (field_te(h, b, p, f->value));
	case HH_CONNECTION:
	case HH_PROXY_CONNECTION:
		return (field_conn(h, b, p, f));
	case HH_HOST:
		if (rq == NULL)
			break;
		if (h->flags & F_HOST)
			return (fail(h, p, 400, "duplicate Host"));
		/* routing and logs use it as is: only URI host bytes */
		for (i = f->value.off; i < f->value.off + f->value.len; i++)
			if (!(cls[b[i]] & C_HOST))
				return (fail(h, p, 400, "bad Host"));
		h->flags |= F_HOST;
		rq->host = f->value;
		break;
	case HH_EXPECT:
		/* a 1.0 client cannot read a 100 (RFC 9110 10.1.1) */
		if (rq != NULL && h->version == 11 &&
		    eq_lc(b + f->value.off, f->value.len, "100-continue", 12))
			rq->expect_continue = 1;
		break;
	}
	return (HTTP_OK);
}

/*
 * First byte in b[p..end) that may not be in a field value, or end.
 * Values are most of a head's bytes: take them eight at a time, and look
 * closer only at a word holding a CTL (the CR at the end, or an HTAB).
 */
static uint32_t
skip_fval(const unsigned char *b, uint32_t p, uint32_t end)
{
	uint64_t	x;
	uint32_t	i;

	while (end - p >= 8) {
		memcpy(&x, b + p, 8);
		if (HAS_LESS(x, 0x20) | HAS_BYTE(x, 0x7f))
			for (i = 0; i < 8; i++)
				if (!(cls[b[p + i]] & C_FVAL))
					return (p + i);
		p += 8;
	}
	while (p < end && (cls[b[p]] & C_FVAL))
		p++;
	return (p);
}

/* First byte in b[p..end) outside 0x21-0x7e, or end: a request-target. */
static uint32_t
skip_vchar(const unsigned char *b, uint32_t p, uint32_t end)
{
	uint64_t	x;
	uint32_t	i;

	while (end - p >= 8) {
		memcpy(&x, b + p, 8);
		if (HAS_LESS(x, 0x21) | (x & HIGHS) | HAS_BYTE(x, 0x7f))
			for (i = 0; i < 8; i++)
				if (!(cls[b[p + i]] & C_VCHAR))
					return (p + i);
		p += 8;
	}
	while (p < end && (cls[b[p]] & C_VCHAR))
		p++;
	return (p);
}

/* The empty line ended the head at p: rules that need every field. */
static enum http_rc
head_done(struct http_head *h, struct http_req *rq, uint32_t p)
{
	/*
	 * RFC 9112 6.1: the classic smuggling pair. A request is refused,
	 * never guessed at; in a response Transfer-Encoding wins (6.3), and
	 * content_length -1 tells the rewriter to drop the Content-Length.
	 */
	if ((h->flags & F_TE) && h->content_length >= 0) {
		if (rq != NULL)
			return (fail(h, p, 400,
			    "both Content-Length and Transfer-Encoding"));
		h->content_length = -1;
	}
	if (rq != NULL && h->version == 11 && !(h->flags & F_HOST))
		return (fail(h, p, 400, "missing Host"));
	h->pos = p;
	h->head_len = p;
	h->state = S_DONE;
	return (HTTP_OK);
}

/*
 * The state machine for both heads; rq or rs says which. The scan never
 * goes past max_head, so a head that has not ended by then is refused
 * without waiting for more bytes.
 */
/*
 * An absolute-form target's authority ("http://HOST[:PORT]/..."), which
 * replaces Host (RFC 9112 3.2.2), holds what a Host may: URI host bytes,
 * and no userinfo ("@" is not one of them; RFC 9110 4.2.4 calls it an
 * error). Other targets are not this function's business.
 */
static int
absolute_host_ok(const unsigned char *t, size_t n)
{
	size_t i;

	if (n < 7 || !eq_lc(t, 7, "http://", 7))
		return (1);
	for (i = 7; i < n && t[i] != '/' && t[i] != '?'; i++)
		if (!(cls[t[i]] & C_HOST))
			return (0);
	return (i > 7);
}

static enum http_rc
parse_head(struct http_head *h, struct http_req *rq, struct http_resp *rs,
    const unsigned char *b, size_t len)
{
	struct http_hdr	*f;
	enum http_rc	 rc;
	uint64_t	 lim64;
	uint32_t	 p = h->pos, end, lim, q;
	unsigned char	 c;
	int		 v;

	if (h->state == S_DONE)
		return (HTTP_OK);
	if (h->state == S_ERROR)
		return (HTTP_ERROR);
	end = len < h->max_head ? (uint32_t)len : h->max_head;

	while (p < end) {
		c = b[p];
		switch (h->state) {
		case S_RL_START:
			if (c == '\r' || c == '\n') {
				if (++p > MAX_EMPTY)
					return (fail(h, p - 1, 400,
					    "too many empty lines"));
				if (c == '\r')
					h->state = S_RL_START_LF;
				break;
			}
			if (!(cls[c] & C_TCHAR))
				return (fail(h, p, 400,
				    bad_byte(c, "bad request line")));
			h->line = p;
			rq->method.off = p;
			h->state = S_RL_METHOD;
			/* FALLTHROUGH */
		case S_RL_METHOD:
			while (p < end && (cls[b[p]] & C_TCHAR))
				p++;
			if (p == end)
				goto again;
			if (b[p] != ' ')
				return (fail(h, p, 400,
				    bad_byte(b[p], "bad method")));
			rq->method.len = p - rq->method.off;
			rq->meth = HTTP_M_OTHER;
			for (v = 0; v < (int)NELEM(methods); v++)
				if (methods[v].len == rq->method.len &&
				    memcmp(b + rq->method.off, methods[v].name,
				    methods[v].len) == 0) {
					rq->meth = methods[v].id;
					break;
				}
			rq->target.off = ++p;
			h->state = S_RL_TARGET;
			break;
		case S_RL_START_LF:
			if (c != '\n')
				return (fail(h, p, 400, "bare CR"));
			if (++p > MAX_EMPTY)
				return (fail(h, p - 1, 400,
				    "too many empty lines"));
			h->state = S_RL_START;
			break;
		case S_RL_TARGET:
			/* stop one byte past max_uri: 414 without the rest */
			lim64 = (uint64_t)rq->target.off + rq->max_uri + 1;
			lim = lim64 < end ? (uint32_t)lim64 : end;
			p = skip_vchar(b, p, lim);
			if (p - rq->target.off > rq->max_uri)
				return (fail(h, p, 414,
				    "request target too long"));
			if (p == end)
				goto again;
			if (b[p] != ' ')
				return (fail(h, p, 400,
				    bad_byte(b[p], "bad request target")));
			if (p == rq->target.off)
				return (fail(h, p, 400,
				    "empty request target"));
			rq->target.len = p - rq->target.off;
			/* RFC 9112 3.2.4: the asterisk form is for OPTIONS */
			if (rq->target.len == 1 && b[rq->target.off] == '*' &&
			    rq->meth != HTTP_M_OPTIONS)
				return (fail(h, p, 400,
				    "asterisk form without OPTIONS"));
			if (!absolute_host_ok(b + rq->target.off,
			    rq->target.len))
				return (fail(h, p, 400,
				    "bad host in the request target"));
			p++;
			h->state = S_RL_VERSION;
			break;
		case S_RL_VERSION:
			q = rq->target.off + rq->target.len + 1;
			while (p < end && p - q < 8 && (cls[b[p]] & C_VCHAR))
				p++;
			if (p == end)
				goto again;
			c = b[p];
			if (c != '\r' && c != '\n')
				return (fail(h, p, 400,
				    bad_byte(c, "bad HTTP version")));
			v = version_of(b + q, p - q);
			if (v < 0)
				return (fail(h, p, 400, "bad HTTP version"));
			if (v == 0)
				return (fail(h, p, 505,
				    "unsupported HTTP version"));
			h->version = v;
			/* a bare LF ends the line too: S_RL_LF consumes it */
			if (c == '\r')
				p++;
			h->state = S_RL_LF;
			break;
		case S_RL_LF:
		case S_SL_LF:
		case S_H_LF:
			if (c != '\n')
				return (fail(h, p, 400, "bare CR"));
			p++;
			if (h->state == S_H_LF) {
				if ((rc = field_done(h, rq, b, p)) != HTTP_OK)
					return (rc);
				h->nhdr++;
			}
			h->state = S_H_START;
			break;
		case S_SL_VERSION:
			while (p < end && p < 8 && (cls[b[p]] & C_VCHAR))
				p++;
			if (p == end)
				goto again;
			if (p != 8 || b[p] != ' ')
				return (fail(h, p, 502,
				    bad_byte(b[p], "bad status line")));
			v = version_of(b, 8);
			if (v < 0)
				return (fail(h, p, 502, "bad status line"));
			if (v == 0)
				return (fail(h, p, 502,
				    "unsupported HTTP version"));
			h->version = v;
			rs->code = 0;
			p++;
			h->state = S_SL_CODE;
			break;
		case S_SL_CODE:
			while (p < end && p < 12 && (cls[b[p]] & C_DIGIT))
				rs->code = rs->code * 10 + (b[p++] - '0');
			if (p == end)
				goto again;
			c = b[p];
			if (p != 12 || rs->code < 100 || rs->code > 599 ||
			    (c != ' ' && c != '\r' && c != '\n'))
				return (fail(h, p, 502,
				    bad_byte(c, "bad status code")));
			/* the SP before an empty reason is often missing */
			rs->reason.off = p;
			rs->reason.len = 0;
			if (c == ' ') {
				rs->reason.off = ++p;
				h->state = S_SL_REASON;
			} else {
				p += c == '\r';
				h->state = S_SL_LF;
			}
			break;
		case S_SL_REASON:
			p = skip_fval(b, p, end);
			if (p == end)
				goto again;
			c = b[p];
			if (c != '\r' && c != '\n')
				return (fail(h, p, 502,
				    bad_byte(c, "bad reason phrase")));
			rs->reason.len = p - rs->reason.off;
			p += c == '\r';
			h->state = S_SL_LF;
			break;
		case S_H_START:
			h->line = p;
			if (c == '\r' || c == '\n') {
				p += c == '\r';
				h->state = S_END_LF;
				break;
			}
			if (c == ' ' || c == '\t')
				return (fail(h, p, 400,
				    h->nhdr > 0 ? "obs-fold" :
				    "whitespace before first field"));
			if (!(cls[c] & C_TCHAR))
				return (fail(h, p, 400,
				    bad_byte(c, "bad field name")));
			if (h->nhdr >= HTTP_MAX_HEADERS)
				return (fail(h, p, 431,
				    "too many header fields"));
			h->hdr[h->nhdr].name.off = p++;
			h->state = S_H_NAME;
			/* FALLTHROUGH */
		case S_H_NAME:
			f = &h->hdr[h->nhdr];
			while (p < end && (cls[b[p]] & C_TCHAR))
				p++;
			if (p == end)
				goto again;
			c = b[p];
			if (c == ' ' || c == '\t')
				return (fail(h, p, 400, "space before colon"));
			if (c == '\r' || c == '\n')
				return (fail(h, p, 400, "field without colon"));
			if (c != ':')
				return (fail(h, p, 400,
				    bad_byte(c, "bad field name")));
			f->name.len = p - f->name.off;
			p++;
			h->state = S_H_OWS;
			/* FALLTHROUGH */
		case S_H_OWS:
			while (p < end && (cls[b[p]] & C_OWS))
				p++;
			if (p == end)
				goto again;
			h->hdr[h->nhdr].value.off = p;
			h->state = S_H_VALUE;
			/* FALLTHROUGH */
		case S_H_VALUE:
			f = &h->hdr[h->nhdr];
			p = skip_fval(b, p, end);
			if (p == end)
				goto again;
			c = b[p];
			if (c != '\r' && c != '\n')
				return (fail(h, p, 400, bad_byte(c,
				    "bad byte in field value")));
			for (q = p; q > f->value.off &&
			    (cls[b[q - 1]] & C_OWS); q--)
				continue;
			f->value.len = q - f->value.off;
			p += c == '\r';
			h->state = S_H_LF;
			break;
		case S_END_LF:
			if (c != '\n')
				return (fail(h, p, 400, "bare CR"));
			return (head_done(h, rq, p + 1));
		default:
			assert(!"http head parser state lost");
			return (fail(h, p, 400, "parser state lost"));
		}
	}
again:
	if (p >= h->max_head)
		return (fail(h, p, 431, "head too large"));
	h->pos = p;
	return (HTTP_AGAIN);
}

static void
head_init(struct http_head *h, uint32_t max_head, int flags)
{
	/* hdr[] is left alone: each entry is written before it is read */
	h->state = (flags & F_REQ) ? S_RL_START : S_SL_VERSION;
	h->pos = 0;
	h->line = 0;
	h->flags = flags;
	h->max_head = max_head;
	h->version = 0;
	h->nhdr = 0;
	h->content_length = -1;
	h->chunked = 0;
	h->conn = 0;
	h->head_len = 0;
	h->status = 0;
	h->why = NULL;
}

/* Call again for each message, also for the next one of a pipeline. */
void
http_req_init(struct http_req *r, uint32_t max_head, uint32_t max_uri)
{
	head_init(&r->h, max_head, F_REQ);
	r->max_uri = max_uri;
	r->method.off = r->method.len = 0;
	r->target.off = r->target.len = 0;
	r->meth = HTTP_M_OTHER;
	r->host.off = r->host.len = 0;
	r->expect_continue = 0;
}

void
http_resp_init(struct http_resp *r, uint32_t max_head)
{
	head_init(&r->h, max_head, 0);
	r->code = 0;
	r->reason.off = r->reason.len = 0;
}

/* buf is the same base each call; len only grows. */
enum http_rc
http_parse_request(struct http_req *r, const char *buf, size_t len)
{
	return (parse_head(&r->h, r, NULL, (const unsigned char *)buf, len));
}

/* buf is the same base each call; len only grows. */
enum http_rc
http_parse_response(struct http_resp *r, const char *buf, size_t len)
{
	return (parse_head(&r->h, NULL, r, (const unsigned char *)buf, len));
}

/* After HTTP_OK from http_parse_request(). */
enum http_body
http_req_body(const struct http_req *r)
{
	if (r->h.chunked)
		return (HTTP_BODY_CHUNKED);
	return (r->h.content_length > 0 ? HTTP_BODY_LENGTH : HTTP_BODY_NONE);
}

/* After HTTP_OK from http_parse_response(); RFC 9112 6.3 in its order. */
enum http_body
http_resp_body(const struct http_resp *r, int req_meth)
{
	if (req_meth == HTTP_M_HEAD || r->code < 200 || r->code == 204 ||
	    r->code == 304)
		return (HTTP_BODY_NONE);
	/* a tunnel follows the head: the bytes are not a body */
	if (req_meth == HTTP_M_CONNECT && r->code < 300)
		return (HTTP_BODY_NONE);
	if (r->h.chunked)
		return (HTTP_BODY_CHUNKED);
	if (r->h.flags & F_TE)
		return (HTTP_BODY_CLOSE);
	if (r->h.content_length > 0)
		return (HTTP_BODY_LENGTH);
	if (r->h.content_length == 0)
		return (HTTP_BODY_NONE);
	return (HTTP_BODY_CLOSE);
}

/* h parsed to HTTP_OK from buf; 0 <= i < h->nhdr. */
int
http_is_hop_by_hop(const struct http_head *h, const char *buf, int i)
{
	const unsigned char	*b = (const unsigned char *)buf;
	const struct http_hdr	*f = &h->hdr[i];
	struct list		 l;
	struct span		 e;
	int			 j;

	if (is_fixed_hop(f->id))
		return (1);
	/* the usual message: nothing more to compare */
	if (!(h->flags & F_CONN_NAMES) || f->id == HH_HOST ||
	    f->id == HH_CONTENT_LENGTH)
		return (0);
	for (j = 0; j < h->nhdr; j++) {
		if (h->hdr[j].id != HH_CONNECTION)
			continue;
		list_start(&l, b, h->hdr[j].value);
		while (list_next(&l, &e))
			if (e.len == f->name.len && e.len > 0 &&
			    eq_ci(b + e.off, b + f->name.off, e.len))
				return (1);
	}
	return (0);
}

/* s is NUL-terminated; compared ignoring ASCII case. */
int
http_span_eq(const char *buf, struct span sp, const char *s)
{
	const unsigned char	*b = (const unsigned char *)buf + sp.off;
	uint32_t		 i;

	for (i = 0; i < sp.len; i++)
		if (s[i] == '\0' || lc(b[i]) != lc((unsigned char)s[i]))
			return (0);
	return (s[i] == '\0');
}

const char *
http_field_value(const struct http_head *h, const char *buf, const char *name,
    size_t *len)
{
	int i;

	for (i = 0; i < h->nhdr; i++)
		if (http_span_eq(buf, h->hdr[i].name, name)) {
			*len = h->hdr[i].value.len;
			return (buf + h->hdr[i].value.off);
		}
	return (NULL);
}

int
http_span_in(const char *buf, struct span sp, const char *const *names)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (http_span_eq(buf, sp, names[i]))
			return (1);
	return (0);
}

/* max_line bounds a chunk-size line or a trailer field, CRLF not counted. */
void
http_chunked_init(struct http_chunked *ch, uint32_t max_line,
    uint32_t max_trailers)
{
	ch->state = CH_SIZE0;
	ch->left = 0;
	ch->linelen = 0;
	ch->trailer_bytes = 0;
	ch->max_line = max_line;
	ch->max_trailers = max_trailers;
	ch->total = 0;
	ch->why = NULL;
}

static enum http_rc
ch_fail(struct http_chunked *ch, size_t *used, size_t p, const char *why)
{
	ch->state = CH_ERROR;
	ch->why = why;
	*used = p;
	return (HTTP_ERROR);
}

/*
 * buf holds the bytes after those of the previous call (a stream, unlike
 * the head parsers). On HTTP_ERROR *used is where the scan stopped.
 * Bare LF is refused in chunked framing: we relay it unchanged, and a next
 * hop that reads lines differently would see other chunk boundaries.
 */
enum http_rc
http_chunked_scan(struct http_chunked *ch, const char *buf, size_t len,
    size_t *used, http_data_cb cb, void *arg)
{
	const unsigned char	*b = (const unsigned char *)buf;
	size_t			 p = 0, n;
	unsigned		 d;
	unsigned char		 c, k;

	if (ch->state == CH_DONE || ch->state == CH_ERROR) {
		*used = 0;
		return (ch->state == CH_DONE ? HTTP_OK : HTTP_ERROR);
	}
	while (p < len) {
		c = b[p];
		k = cls[c];
		if (ch->state <= CH_EXT_QEND && c != '\r' &&
		    ++ch->linelen > ch->max_line)
			return (ch_fail(ch, used, p,
			    "chunk size line too long"));
		switch (ch->state) {
		case CH_SIZE0:
			if (!(k & C_HEX))
				return (ch_fail(ch, used, p, "bad chunk size"));
			ch->left = 0;
			ch->state = CH_SIZE;
			/* FALLTHROUGH */
		case CH_SIZE:
			if (k & C_HEX) {
				d = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
				if (ch->left > ((uint64_t)INT64_MAX - d) >> 4)
					return (ch_fail(ch, used, p,
					    "chunk size overflow"));
				ch->left = ch->left << 4 | d;
				break;
			}
			/* FALLTHROUGH */
		case CH_EXT_TOKEN:
		case CH_EXT_QEND:
			if ((k & C_TCHAR) && ch->state == CH_EXT_TOKEN)
				break;
			if (c == ';')
				ch->state = CH_EXT_NAME0;
			else if (c == '\r')
				ch->state = CH_SIZE_LF;
			else if (k & C_OWS)
				ch->state = CH_BWS;
			else
				return (ch_fail(ch, used, p,
				    ch->state == CH_SIZE ? "bad chunk size" :
				    "bad chunk extension"));
			break;
		case CH_BWS:
			/*
			 * RFC 9112 7.1.1 has BWS only around ';' and '=':
			 * whitespace before the CRLF is refused.
			 */
			if (c == ';')
				ch->state = CH_EXT_NAME0;
			else if (!(k & C_OWS))
				return (ch_fail(ch, used, p,
				    "bad chunk extension"));
			break;
		case CH_EXT_NAME0:
			if (k & C_TCHAR)
				ch->state = CH_EXT_NAME;
			else if (!(k & C_OWS))
				return (ch_fail(ch, used, p,
				    "bad chunk extension"));
			break;
		case CH_EXT_NAME:
			if (k & C_TCHAR)
				break;
			if (c == '\r') {
				ch->state = CH_SIZE_LF;
				break;
			}
			/* FALLTHROUGH */
		case CH_EXT_NAME_BWS:
			if (c == '=')
				ch->state = CH_EXT_VAL0;
			else if (c == ';')
				ch->state = CH_EXT_NAME0;
			else if (k & C_OWS)
				ch->state = CH_EXT_NAME_BWS;
			else
				return (ch_fail(ch, used, p,
				    "bad chunk extension"));
			break;
		case CH_EXT_VAL0:
			if (k & C_TCHAR)
				ch->state = CH_EXT_TOKEN;
			else if (c == '"')
				ch->state = CH_EXT_QUOTED;
			else if (!(k & C_OWS))
				return (ch_fail(ch, used, p,
				    "bad chunk extension"));
			break;
		case CH_EXT_QUOTED:
			if (c == '"')
				ch->state = CH_EXT_QEND;
			else if (c == '\\')
				ch->state = CH_EXT_QPAIR;
			else if (!(k & C_QDTEXT))
				return (ch_fail(ch, used, p,
				    "bad chunk extension"));
			break;
		case CH_EXT_QPAIR:
			if (!(k & C_FVAL))
				return (ch_fail(ch, used, p,
				    "bad chunk extension"));
			ch->state = CH_EXT_QUOTED;
			break;
		case CH_SIZE_LF:
			if (c != '\n')
				return (ch_fail(ch, used, p, "bare CR"));
			ch->linelen = 0;
			ch->state = ch->left > 0 ? CH_DATA : CH_TR_START;
			break;
		case CH_DATA:
			n = len - p;
			if (n > ch->left)
				n = (size_t)ch->left;
			if (cb != NULL && cb(arg, buf + p, n) == -1)
				return (ch_fail(ch, used, p,
				    "data callback failed"));
			ch->total += n;
			ch->left -= n;
			p += n;
			if (ch->left == 0)
				ch->state = CH_DATA_CR;
			continue;
		case CH_DATA_CR:
			if (c != '\r')
				return (ch_fail(ch, used, p,
				    "missing CRLF after chunk"));
			ch->state = CH_DATA_LF;
			break;
		case CH_DATA_LF:
			if (c != '\n')
				return (ch_fail(ch, used, p,
				    "missing CRLF after chunk"));
			ch->state = CH_SIZE0;
			break;
		case CH_TR_START:
			if (c == '\r') {
				ch->state = CH_END_LF;
				break;
			}
			if (!(k & C_TCHAR))
				return (ch_fail(ch, used, p,
				    "bad trailer field"));
			ch->linelen = 0;
			ch->state = CH_TR_NAME;
			/* FALLTHROUGH */
		case CH_TR_NAME:
		case CH_TR_VALUE:
		case CH_TR_LF:
			/* trailers are rare: byte by byte is fine */
			if (++ch->trailer_bytes > ch->max_trailers)
				return (ch_fail(ch, used, p,
				    "trailers too long"));
			if (ch->state == CH_TR_LF) {
				if (c != '\n')
					return (ch_fail(ch, used, p,
					    "bare CR"));
				ch->state = CH_TR_START;
				break;
			}
			if (c != '\r' && ++ch->linelen > ch->max_line)
				return (ch_fail(ch, used, p,
				    "trailer field too long"));
			if (ch->state == CH_TR_NAME) {
				if (c == ':')
					ch->state = CH_TR_VALUE;
				else if (!(k & C_TCHAR))
					return (ch_fail(ch, used, p,
					    "bad trailer field"));
			} else if (c == '\r')
				ch->state = CH_TR_LF;
			else if (!(k & C_FVAL))
				return (ch_fail(ch, used, p,
				    "bad trailer field"));
			break;
		case CH_END_LF:
			if (c != '\n')
				return (ch_fail(ch, used, p,
				    "missing CRLF after trailers"));
			ch->state = CH_DONE;
			*used = p + 1;
			return (HTTP_OK);
		default:
			assert(!"chunked scanner state lost");
			return (ch_fail(ch, used, p, "scanner state lost"));
		}
		p++;
	}
	*used = len;
	return (HTTP_AGAIN);
}

long
http_max_forwards(const struct http_req *q, const char *buf)
{
	const struct http_head *h = &q->h;
	const char *v;
	long n = 0;
	size_t j;
	int i;

	for (i = 0; i < h->nhdr; i++) {
		if (!http_span_eq(buf, h->hdr[i].name, "Max-Forwards"))
			continue;
		v = buf + h->hdr[i].value.off;
		if (h->hdr[i].value.len == 0 || h->hdr[i].value.len > 9)
			return (-1);
		for (j = 0; j < h->hdr[i].value.len; j++) {
			if (v[j] < '0' || v[j] > '9')
				return (-1);
			n = n * 10 + (v[j] - '0');
		}
		return (n);
	}
	return (-1);
}
