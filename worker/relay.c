#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "worker/relay.h"

/*
 * A body's rest this large goes by splice(2) when it can (r->spl): two
 * system calls per pipe's worth, as a read and a write, but no copy in
 * and out of buf (at 64 KiB the copies were a quarter of a worker's
 * time). Below it there is little to save. At most a pipe's default
 * size at a time.
 */
#define RELAY_SPLICE_MIN	(4 * 1024)
#define RELAY_SPLICE_MAX	(64 * 1024)

/* A write to dst failed: with a tee running, it goes on without dst. */
static int
dst_failed(struct relay *r)
{
	r->err = errno;
	if (r->tee == NULL)
		return (-1);
	r->dst_gone = 1;
	return (0);
}

static int	relay_gz(struct relay *, const char *, size_t, int);

/* p[0..n) to the tee; a tee that fails is dropped. */
static int
relay_tee_only(struct relay *r, const char *p, size_t n)
{
	if (r->tee != NULL && n > 0 && r->tee(r->tee_arg, p, n) == -1) {
		r->tee = NULL;
		if (r->dst_gone) {
			r->err = EPIPE;	/* dst's failure, which ends it */
			return (-1);	/* nobody wants the rest */
		}
	}
	return (0);
}

/*
 * The body's bytes p[0..n), as they come: to the tee, or through the
 * compressor when there is one (which feeds the tee and dst itself).
 */
static int
relay_tee(struct relay *r, const char *p, size_t n)
{
	if (r->gz != NULL)
		return (relay_gz(r, p, n, 0));
	return (relay_tee_only(r, p, n));
}

static int
relay_put(struct relay *r, const char *p, size_t n)
{
	struct iovec iov[2];
	int k = 0;

	if (r->dst_gone)
		return (r->tee != NULL ? 0 : -1);

	if (r->pre.iov_len > 0)
		iov[k++] = r->pre;
	iov[k].iov_base = (void *)(uintptr_t)p;
	iov[k++].iov_len = n;
	r->pre.iov_len = 0;
	if (io_writev(r->dst, iov, k, clock_now() + r->dst_to) == -1)
		return (dst_failed(r));
	r->out += n;
	return (0);
}

/* p[0..n) to dst as it came, unless dst gets the compressed bytes. */
static int
relay_write(struct relay *r, const char *p, size_t n)
{
	if (r->gz != NULL && r->gz_dst)
		return (0);	/* relay_tee compressed them for dst */
	return (relay_put(r, p, n));
}

static int
relay_fill(struct relay *r, size_t want)
{
	ssize_t k;

	if (want > r->cap - r->have)
		want = r->cap - r->have;
	k = io_read(r->src, r->buf + r->have, want, clock_now() + r->src_to);
	if (k <= 0) {
		r->err = k == 0 ? 0 : errno;
		return (-1);
	}
	r->have += (size_t)k;
	return (0);
}

static void
relay_consume(struct relay *r, size_t n)
{
	if (n < r->have)
		memmove(r->buf, r->buf + n, r->have - n);
	r->have -= n;
}

/* The pipe may hold bytes (dst failed): a new one replaces it. */
static void
relay_splice_drop(struct relay *r)
{
	(void)close(r->spl[0]);
	(void)close(r->spl[1]);
	if (pipe2(r->spl, O_CLOEXEC) == -1)
		r->spl[0] = r->spl[1] = -1;	/* no more splicing */
}

/*
 * The rest of a body, n bytes, by splice(2): src to the pipe, the pipe
 * to dst, a pipe's worth at a time. buf is empty and pre sent.
 */
static enum relay_rc
relay_splice(struct relay *r, uint64_t n)
{
	while (n > 0) {
		ssize_t k;

		k = io_splice_in(r->src, r->spl[1], n < RELAY_SPLICE_MAX ?
		    (size_t)n : RELAY_SPLICE_MAX, clock_now() + r->src_to);
		if (k <= 0) {
			r->err = k == 0 ? 0 : errno;
			/* EOF or error: nothing was left in the pipe */
			return (RELAY_SRC);
		}
		if (io_splice_out(r->dst, r->spl[0], (size_t)k, clock_now() +
		    r->dst_to) == -1) {
			r->err = errno;
			relay_splice_drop(r);
			return (RELAY_DST);
		}
		r->out += (uint64_t)k;
		n -= (uint64_t)k;
	}
	return (RELAY_OK);
}

/* Exactly n bytes; never reads past them. */
static enum relay_rc
relay_length(struct relay *r, uint64_t n)
{
	while (n > 0) {
		size_t m;

		if (r->have == 0 && n >= RELAY_SPLICE_MIN && r->spl != NULL &&
		    r->spl[0] >= 0 && r->tee == NULL && r->gz == NULL) {
			if (r->pre.iov_len > 0 && relay_write(r, NULL, 0) == -1)
				return (RELAY_DST);
			return (relay_splice(r, n));
		}

		if (r->have == 0 &&
		    relay_fill(r, n < r->cap ? (size_t)n : r->cap) == -1)
			return (RELAY_SRC);
		m = r->have < n ? r->have : (size_t)n;
		if (relay_tee(r, r->buf, m) == -1 ||
		    relay_write(r, r->buf, m) == -1)
			return (RELAY_DST);
		relay_consume(r, m);
		n -= m;
	}
	if (r->pre.iov_len > 0 && relay_write(r, NULL, 0) == -1)
		return (RELAY_DST);
	return (RELAY_OK);
}

/* A chunked body's data: to the tee, and to dst when decoding. */
struct dechunk {
	struct relay	*r;
	int		 decode;
};

static int
dechunk_cb(void *arg, const char *p, size_t n)
{
	struct dechunk *d = arg;

	if (relay_tee(d->r, p, n) == -1)
		return (-1);
	return (d->decode ? relay_write(d->r, p, n) : 0);
}

/*
 * A chunked body, passed on as it is (framing checked), or decoded for a
 * client that cannot take chunked (HTTP/1.0).
 */
static enum relay_rc
relay_chunked(struct relay *r, int decode, uint32_t max_trailers)
{
	struct http_chunked st;
	struct dechunk d = { r, decode };

	http_chunked_init(&st, 4096, max_trailers);
	for (;;) {
		enum http_rc rc;
		size_t used = 0;

		if (r->have == 0 && relay_fill(r, r->cap) == -1)
			return (RELAY_SRC);
		r->err = -1;
		rc = http_chunked_scan(&st, r->buf, r->have, &used,
		    decode || r->tee != NULL || r->gz != NULL ? dechunk_cb :
		    NULL, &d);
		if (rc == HTTP_ERROR) {
			if (r->err != -1)
				return (RELAY_DST);	/* the callback failed */
			r->why = st.why;
			return (RELAY_BAD);
		}
		if (r->max > 0 && st.total > r->max)
			return (RELAY_TOO_BIG);
		if (!decode && relay_write(r, r->buf, used) == -1)
			return (RELAY_DST);
		relay_consume(r, used);
		if (rc == HTTP_OK)
			break;
	}
	if (r->pre.iov_len > 0 && relay_write(r, NULL, 0) == -1)
		return (RELAY_DST);
	return (RELAY_OK);
}

/*
 * p[0..n) as one chunk, its size line and CRLF around it in the same
 * writev; n == 0 writes the last chunk (no trailers).
 */
static int
relay_write_chunk(struct relay *r, const char *p, size_t n)
{
	static const char crlf[] = "\r\n", last[] = "0\r\n\r\n";
	struct iovec iov[4];
	char line[24];
	int k = 0, len;

	if (r->pre.iov_len > 0)
		iov[k++] = r->pre;
	if (n == 0) {
		iov[k].iov_base = (void *)(uintptr_t)last;
		iov[k++].iov_len = sizeof(last) - 1;
	} else {
		len = snprintf(line, sizeof(line), "%zx\r\n", n);
		iov[k].iov_base = line;
		iov[k++].iov_len = (size_t)len;
		iov[k].iov_base = (void *)(uintptr_t)p;
		iov[k++].iov_len = n;
		iov[k].iov_base = (void *)(uintptr_t)crlf;
		iov[k++].iov_len = 2;
		n += (size_t)len + 2;
	}
	r->pre.iov_len = 0;
	if (io_writev(r->dst, iov, k, clock_now() + r->dst_to) == -1)
		return (dst_failed(r));
	r->out += n == 0 ? sizeof(last) - 1 : n;
	return (0);
}

/*
 * Until the source closes (a response without length or chunking); with
 * r->chunk, re-chunked, the close becoming the last chunk.
 */
static enum relay_rc
relay_close(struct relay *r)
{
	for (;;) {
		if (r->have == 0 && relay_fill(r, r->cap) == -1) {
			if (r->err != 0)
				return (RELAY_SRC);
			/* the end; an empty body still owes the head */
			if (r->chunk)
				return (relay_write_chunk(r, NULL, 0) == -1 ?
				    RELAY_DST : RELAY_OK);
			if (r->pre.iov_len > 0 && relay_write(r, NULL, 0) == -1)
				return (RELAY_DST);
			return (RELAY_OK);
		}
		if (relay_tee(r, r->buf, r->have) == -1 ||
		    (r->chunk ? relay_write_chunk(r, r->buf, r->have) :
		    relay_write(r, r->buf, r->have)) == -1)
			return (RELAY_DST);
		r->have = 0;
	}
}

/* Compressed output: to the tee and dst, as gz_tee and gz_dst say. */
static int
gz_out(void *arg, const char *p, size_t n)
{
	struct relay *r = arg;

	if (r->gz_tee && relay_tee_only(r, p, n) == -1)
		return (-1);
	if (!r->gz_dst || r->dst_gone)
		return (r->dst_gone && r->tee == NULL ? -1 : 0);
	return (r->gz_chunk ? relay_write_chunk(r, p, n) : relay_put(r, p, n));
}

/*
 * Body bytes through the compressor (finish: the end of the body). Not
 * when nobody would take its output: dst gone or not compressed, and
 * the tee dropped.
 */
static int
relay_gz(struct relay *r, const char *p, size_t n, int finish)
{
	if (!r->gz_tee && relay_tee_only(r, p, n) == -1)
		return (-1);
	if ((!r->gz_dst || r->dst_gone) && (!r->gz_tee || r->tee == NULL))
		return (r->dst_gone && r->tee == NULL ? -1 : 0);
	if (n == 0 && !finish)
		return (0);
	if (gzip_deflate(r->gz, p, n, finish, gz_out, r) == -1) {
		if (r->err == -1 || r->err == 0)
			r->err = EIO;
		return (-1);
	}
	return (0);
}

static enum relay_rc
relay_kind(struct relay *r, enum http_body kind, uint64_t length,
    int decode, uint32_t max_trailers)
{
	switch (kind) {
	case HTTP_BODY_LENGTH:
		return (relay_length(r, length));
	case HTTP_BODY_CHUNKED:
		return (relay_chunked(r, decode, max_trailers));
	case HTTP_BODY_CLOSE:
		return (relay_close(r));
	default:
		return (relay_length(r, 0));
	}
}

enum relay_rc
relay_body(struct relay *r, enum http_body kind, uint64_t length,
    int decode, uint32_t max_trailers)
{
	enum relay_rc rc = relay_kind(r, kind, length, decode, max_trailers);

	/* the compressed body's end: the gzip trailer, then the last chunk */
	if (rc == RELAY_OK && r->gz != NULL) {
		if (relay_gz(r, NULL, 0, 1) == -1)
			return (RELAY_DST);
		if (r->gz_dst && r->gz_chunk && !r->dst_gone &&
		    relay_write_chunk(r, NULL, 0) == -1 && !r->dst_gone)
			return (RELAY_DST);
		if (r->pre.iov_len > 0 && !r->dst_gone &&
		    relay_put(r, NULL, 0) == -1 && !r->dst_gone)
			return (RELAY_DST);
	}

	/* the copy is complete, but the client did not get it */
	if (rc == RELAY_OK && r->dst_gone)
		return (RELAY_DST);
	return (rc);
}
