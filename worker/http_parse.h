/*
 * Strict HTTP/1.1 message-head and chunked-body parsing (RFC 9112).
 *
 * No allocation, no I/O. Results are offsets into the caller's buffer,
 * so the buffer may not move between calls but may grow: a parser that
 * returned HTTP_AGAIN is simply called again with the same buffer and a
 * larger len, and resumes where it stopped (state is kept in the struct).
 */
#ifndef PORTER_WORKER_HTTP_PARSE_H
#define PORTER_WORKER_HTTP_PARSE_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HEADERS	128	/* more fields than this: 431 */

enum http_rc {
	HTTP_OK,		/* a complete head (or body) was parsed */
	HTTP_AGAIN,		/* need more bytes */
	HTTP_ERROR		/* refuse: see ->status and ->why */
};

/* Methods porter knows by name; anything else that is a valid token is HTTP_M_OTHER. */
enum http_method {
	HTTP_M_OTHER, HTTP_M_GET, HTTP_M_HEAD, HTTP_M_POST, HTTP_M_PUT,
	HTTP_M_DELETE, HTTP_M_OPTIONS, HTTP_M_TRACE, HTTP_M_CONNECT, HTTP_M_PATCH
};

/* Header fields the proxy acts on; the rest are HH_OTHER. */
enum http_hh {
	HH_OTHER, HH_HOST, HH_CONTENT_LENGTH, HH_TRANSFER_ENCODING,
	HH_CONNECTION, HH_KEEP_ALIVE, HH_PROXY_CONNECTION, HH_TE, HH_TRAILER,
	HH_UPGRADE, HH_EXPECT, HH_VIA, HH_X_FORWARDED_FOR,
	HH_X_FORWARDED_PROTO, HH_X_FORWARDED_HOST, HH_PROXY_AUTHORIZATION,
	HH_PROXY_AUTHENTICATE
};

struct span {
	uint32_t	off;	/* from the start of the buffer */
	uint32_t	len;
};

struct http_hdr {
	struct span	name;	/* as sent (case kept) */
	struct span	value;	/* leading and trailing OWS removed */
	uint8_t		id;	/* enum http_hh */
};

/* Connection options seen in Connection (and Proxy-Connection) values. */
#define HTTP_CONN_CLOSE		0x01
#define HTTP_CONN_KEEPALIVE	0x02
#define HTTP_CONN_UPGRADE	0x04

/*
 * Fields common to requests and responses. The parser fills them;
 * http_is_hop_by_hop() reads them.
 */
struct http_head {
	int		state;		/* parser state, private */
	uint32_t	pos;		/* next byte to look at, private */
	uint32_t	line;		/* start of the current line, private */
	int		flags;		/* what the parser saw, private */
	uint32_t	max_head;	/* limit on the whole head, bytes */

	int		version;	/* 10 or 11 */
	struct http_hdr	hdr[HTTP_MAX_HEADERS];
	int		nhdr;
	int64_t		content_length;	/* -1: none */
	int		chunked;	/* Transfer-Encoding: chunked (last) */
	int		conn;		/* HTTP_CONN_* bits */
	uint32_t	head_len;	/* bytes of the head incl. the empty line */

	int		status;		/* on HTTP_ERROR: status to answer */
	const char	*why;		/* on HTTP_ERROR: short reason for the log */
};

struct http_req {
	struct http_head h;
	uint32_t	max_uri;	/* longer target: 414 */
	struct span	method, target;
	int		meth;		/* enum http_method */
	struct span	host;		/* value of Host (len 0 if absent) */
	int		expect_continue;/* Expect: 100-continue */
};

struct http_resp {
	struct http_head h;
	int		code;		/* 100..599 */
	struct span	reason;
};

/* Prepare for a new message; limits in bytes. */
void	http_req_init(struct http_req *, uint32_t max_head, uint32_t max_uri);
void	http_resp_init(struct http_resp *, uint32_t max_head);

/*
 * Parse a request head from buf[0..len). On HTTP_OK, ->h.head_len bytes
 * are the head; what follows is the body or the next request.
 * Errors set h.status: 400 malformed (incl. both Content-Length and
 * Transfer-Encoding, differing Content-Length values, obs-fold, space before
 * colon, bare CR, NUL, missing Host in HTTP/1.1), 414 target longer than
 * max_uri, 431 head longer than max_head or too many fields, 501 a transfer
 * coding other than chunked, 505 a version other than HTTP/1.0 or 1.1,
 * 400 also for the asterisk form "*" with a method other than OPTIONS.
 * Leading empty lines before the request line are skipped (RFC 9112 2.2).
 */
enum http_rc	http_parse_request(struct http_req *, const char *buf, size_t len);

/*
 * Parse a response head. Errors are all status 502 (a bad backend), with
 * ->why saying what was wrong. A response with both Transfer-Encoding and
 * Content-Length is framed by Transfer-Encoding (RFC 9112 6.3): its
 * content_length is -1 though Content-Length lines are in hdr[].
 */
enum http_rc	http_parse_response(struct http_resp *, const char *buf, size_t len);

/* How a message body is delimited (RFC 9112 section 6.3). */
enum http_body {
	HTTP_BODY_NONE,		/* no body */
	HTTP_BODY_LENGTH,	/* content_length bytes */
	HTTP_BODY_CHUNKED,	/* chunked coding */
	HTTP_BODY_CLOSE		/* until the connection closes (responses only) */
};
enum http_body	http_req_body(const struct http_req *);
/* req_meth: the request's method (HEAD, CONNECT change the answer). */
enum http_body	http_resp_body(const struct http_resp *, int req_meth);

/*
 * True if header i must not be forwarded: the fixed hop-by-hop set
 * (Connection, Keep-Alive, Proxy-Connection, TE, Trailer, Transfer-Encoding,
 * Upgrade, Proxy-Authorization, Proxy-Authenticate) and any field named in a
 * Connection header of this message, except Host and Content-Length: a client
 * naming those must not make the proxy drop its routing or body framing.
 */
int	http_is_hop_by_hop(const struct http_head *, const char *buf, int i);

/* Case-insensitive compare of a span with a NUL-terminated string. */
int	http_span_eq(const char *buf, struct span, const char *s);
/* Whether the span is one of names (NULL-terminated), as http_span_eq. */
int	http_span_in(const char *buf, struct span, const char *const *names);
/* The value of h's first field named name (any case) and its length in
   *len, or NULL when there is none. */
const char	*http_field_value(const struct http_head *h, const char *buf,
		    const char *name, size_t *len);

/*
 * Chunked body scanner. It validates the framing and finds where the body
 * ends without changing any byte, so a proxy can relay the chunked body as
 * is; data runs are handed to an optional callback (to de-chunk).
 * Chunk extensions are allowed and skipped; a chunk-size line or a trailer
 * field longer than max_line, trailers longer than max_trailers in total,
 * a chunk size that overflows 63 bits, or a missing CRLF after data is
 * HTTP_ERROR (why set).
 */
struct http_chunked {
	int		state;		/* private */
	uint64_t	left;		/* data bytes left in this chunk, private */
	uint32_t	linelen;	/* private */
	uint32_t	trailer_bytes;	/* private */
	uint32_t	max_line;
	uint32_t	max_trailers;
	uint64_t	total;		/* data bytes seen so far */
	const char	*why;
};
typedef int	(*http_data_cb)(void *arg, const char *p, size_t n);

void	http_chunked_init(struct http_chunked *, uint32_t max_line,
	    uint32_t max_trailers);
/*
 * Scan buf[0..len): returns HTTP_OK when the last chunk and trailers ended
 * (*used = bytes up to and including the final CRLF), HTTP_AGAIN when all
 * len bytes were consumed and more are needed (*used = len), HTTP_ERROR on
 * bad framing or when cb returns -1. cb may be NULL.
 */
enum http_rc	http_chunked_scan(struct http_chunked *, const char *buf,
	    size_t len, size_t *used, http_data_cb cb, void *arg);

/*
 * The Max-Forwards value of q (whose head is in buf): its number, or -1
 * when it has none or it is not a number of at most 9 digits.
 */
long	http_max_forwards(const struct http_req *q, const char *buf);

#endif
