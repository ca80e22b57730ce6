/*
 * The body engine: relaying one message body from one socket to another
 * through one buffer, by Content-Length, chunked (checked, passed on or
 * decoded) or until the source closes. Request bodies go client to
 * backend, response bodies backend to client. The cache tees a response
 * body into its store here (tee), before each piece goes to the client.
 */
#ifndef PORTER_WORKER_RELAY_H
#define PORTER_WORKER_RELAY_H

#include <sys/uio.h>

#include <stddef.h>
#include <stdint.h>

#include "worker/gzip.h"
#include "worker/http_parse.h"
#include "worker/io.h"

/*
 * buf[0..have) holds bytes already read from src and not yet passed on;
 * when a relay ends, whatever followed the body is left there.
 * pre, if set, is written in front of the first bytes (the head), so a
 * small response leaves in one sendmsg.
 */
enum relay_rc { RELAY_OK, RELAY_SRC, RELAY_DST, RELAY_BAD, RELAY_TOO_BIG };

struct relay {
	struct io	*src, *dst;
	double		 src_to, dst_to;
	char		*buf;
	size_t		 cap, have;
	struct iovec	 pre;
	uint64_t	 out;		/* body bytes written to dst */
	uint64_t	 max;		/* chunked: largest body; 0 none */
	int		 chunk;		/* HTTP_BODY_CLOSE: each read goes out
					   as a chunk, then the last chunk */
	int		 err;		/* errno of the failure; 0 for EOF */
	const char	*why;
	/*
	 * tee, if set, gets the body's bytes (without chunked framing) as
	 * they come, before they go to dst; -1 stops the tee, not the
	 * relay. While the tee runs, a dst that fails (the client went
	 * away) is dropped and the source read to its end, so the copy
	 * completes; the relay then ends RELAY_DST.
	 */
	int		(*tee)(void *arg, const char *p, size_t n);
	void		*tee_arg;
	int		 dst_gone;	/* dst failed while teeing (its err) */
	/*
	 * gz, if set (a stream begun with gzip_start), compresses the
	 * body: for dst (gz_dst; chunked with gz_chunk, else until the
	 * close; the source's chunked framing must then be decoded), for
	 * the tee (gz_tee), or both from the one stream. The side without
	 * it gets the body as it came.
	 */
	struct gzip	*gz;
	int		 gz_dst, gz_tee, gz_chunk;
	/*
	 * spl, if set, is a pipe (the worker's): the rest of a large
	 * Content-Length body goes from src to dst by splice(2), without
	 * a copy through buf. Only without tee and gz. A pipe left
	 * holding bytes is replaced (spl[] -1 if that fails).
	 */
	int		*spl;
};

/*
 * Relay one body of the given kind (HTTP_BODY_NONE: nothing but pre),
 * length bytes of it for HTTP_BODY_LENGTH. decode: a chunked body goes
 * out without its framing (for an HTTP/1.0 client). max_trailers bounds
 * a chunked body's trailer section. With r->chunk, a body framed by the
 * close goes out chunked (for an HTTP/1.1 client, whose connection can
 * then go on); out counts the framing too.
 */
enum relay_rc	relay_body(struct relay *, enum http_body kind,
		    uint64_t length, int decode, uint32_t max_trailers);

#endif
