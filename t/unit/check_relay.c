/*
 * Unit tests for worker/relay.c: bodies relayed between two socketpairs,
 * the source's bytes written and its write side shut, the bytes that
 * reached the destination compared.
 */
#include "config.h"

#include <sys/socket.h>

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "worker/relay.h"

struct fix {
	int		 src[2], dst[2];	/* [0] porter's, [1] the peer's */
	struct io	 s, d;
	struct relay	 r;
	char		 buf[16];		/* small: several reads */
	char		 got[4096];
	size_t		 ngot;
};

static struct fix f;

static void
setup(void)
{
	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, f.src), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, f.dst), 0);
	io_init(&f.s, f.src[0]);
	io_init(&f.d, f.dst[0]);
	f.r.src = &f.s;
	f.r.dst = &f.d;
	f.r.src_to = f.r.dst_to = 5;
	f.r.buf = f.buf;
	f.r.cap = sizeof(f.buf);
}

static void
teardown(void)
{
	(void)close(f.src[0]);
	(void)close(f.src[1]);
	(void)close(f.dst[0]);
	(void)close(f.dst[1]);
}

/* The source sends s, then its end of stream. */
static void
source(const char *s)
{
	size_t n = strlen(s);

	ck_assert_int_eq(write(f.src[1], s, n), (ssize_t)n);
	ck_assert_int_eq(shutdown(f.src[1], SHUT_WR), 0);
}

/* All that reached the destination, once porter's end is shut. */
static const char *
received(void)
{
	ssize_t k;

	ck_assert_int_eq(shutdown(f.dst[0], SHUT_WR), 0);
	while ((k = read(f.dst[1], f.got + f.ngot,
	    sizeof(f.got) - 1 - f.ngot)) > 0)
		f.ngot += (size_t)k;
	f.got[f.ngot] = '\0';
	return (f.got);
}

START_TEST(close_rechunked)
{
	static const char head[] = "HEAD\r\n\r\n";

	source("0123456789abcdefghij");	/* 20 bytes: reads of at most 16 */
	f.r.pre.iov_base = (void *)(uintptr_t)head;
	f.r.pre.iov_len = sizeof(head) - 1;
	f.r.chunk = 1;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_CLOSE, 0, 0, 4096),
	    RELAY_OK);
	ck_assert_str_eq(received(), "HEAD\r\n\r\n"
	    "10\r\n0123456789abcdef\r\n4\r\nghij\r\n0\r\n\r\n");
	ck_assert_uint_eq(f.r.out, f.ngot - (sizeof(head) - 1));
}
END_TEST

START_TEST(close_rechunked_empty)
{
	static const char head[] = "HEAD\r\n\r\n";

	source("");
	f.r.pre.iov_base = (void *)(uintptr_t)head;
	f.r.pre.iov_len = sizeof(head) - 1;
	f.r.chunk = 1;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_CLOSE, 0, 0, 4096),
	    RELAY_OK);
	ck_assert_str_eq(received(), "HEAD\r\n\r\n0\r\n\r\n");
}
END_TEST

START_TEST(close_as_is)
{
	source("0123456789abcdefghij");
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_CLOSE, 0, 0, 4096),
	    RELAY_OK);
	ck_assert_str_eq(received(), "0123456789abcdefghij");
	ck_assert_uint_eq(f.r.out, 20);
}
END_TEST

START_TEST(close_rechunked_dst_gone)
{
	source("0123456789");
	(void)close(f.dst[1]);
	f.dst[1] = -1;
	f.r.chunk = 1;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_CLOSE, 0, 0, 4096),
	    RELAY_DST);
}
END_TEST

/* A tee that keeps what it gets; fail_at: refuse once it holds that many. */
struct copy {
	char	 b[256];
	size_t	 n, fail_at;
};

static int
copy_tee(void *arg, const char *p, size_t n)
{
	struct copy *k = arg;

	if (k->fail_at > 0 && k->n + n > k->fail_at)
		return (-1);
	ck_assert_uint_le(k->n + n, sizeof(k->b));
	memcpy(k->b + k->n, p, n);
	k->n += n;
	return (0);
}

/* The tee gets a chunked body's data without its framing; dst all of it. */
START_TEST(tee_chunked)
{
	static const char body[] = "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n";
	struct copy k;

	memset(&k, 0, sizeof(k));
	source(body);
	f.r.tee = copy_tee;
	f.r.tee_arg = &k;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_CHUNKED, 0, 0, 4096),
	    RELAY_OK);
	ck_assert_str_eq(received(), body);
	ck_assert_uint_eq(k.n, 12);
	ck_assert(memcmp(k.b, "hello, world", 12) == 0);
}
END_TEST

/* The client is gone: the tee still gets the whole body; RELAY_DST. */
START_TEST(tee_outlives_dst)
{
	struct copy k;

	memset(&k, 0, sizeof(k));
	source("0123456789abcdefghijklmnopqrstuvwxyz");
	(void)close(f.dst[1]);
	f.dst[1] = -1;
	f.r.tee = copy_tee;
	f.r.tee_arg = &k;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_LENGTH, 36, 0, 4096),
	    RELAY_DST);
	ck_assert_int_eq(f.r.dst_gone, 1);
	ck_assert_ptr_nonnull(f.r.tee);
	ck_assert_uint_eq(k.n, 36);
	ck_assert(memcmp(k.b, "0123456789abcdefghijklmnopqrstuvwxyz", 36) ==
	    0);
}
END_TEST

/* A tee that fails stops; the relay goes on to the client. */
START_TEST(tee_fails)
{
	struct copy k;

	memset(&k, 0, sizeof(k));
	k.fail_at = 20;
	source("0123456789abcdefghijklmnopqrstuvwxyz");
	f.r.tee = copy_tee;
	f.r.tee_arg = &k;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_LENGTH, 36, 0, 4096),
	    RELAY_OK);
	ck_assert_ptr_null(f.r.tee);
	ck_assert_uint_eq(k.n, 16);
	ck_assert_str_eq(received(), "0123456789abcdefghijklmnopqrstuvwxyz");
}
END_TEST

/* Client gone and the tee failing: nothing wants the rest, RELAY_DST. */
START_TEST(tee_fails_dst_gone)
{
	struct copy k;

	memset(&k, 0, sizeof(k));
	k.fail_at = 20;
	source("5\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
	(void)close(f.dst[1]);
	f.dst[1] = -1;
	f.r.tee = copy_tee;
	f.r.tee_arg = &k;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_CHUNKED, 0, 0, 4096),
	    RELAY_DST);
	ck_assert_ptr_null(f.r.tee);
}
END_TEST

/* gzip: what the tee got, and the stream to compress with */
static char		 gzt[4096];
static size_t		 ngzt;
static struct gzip	*gzs;

static int
gz_tee(void *arg, const char *p, size_t n)
{
	(void)arg;
	ck_assert_uint_le(ngzt + n, sizeof(gzt));
	memcpy(gzt + ngzt, p, n);
	ngzt += n;
	return (0);
}

/* p[0..n) gunzipped (zlib's own inflate) into a NUL-ended string. */
static const char *
gunzip(const char *p, size_t n)
{
	static char out[4096];
	z_stream z;

	memset(&z, 0, sizeof(z));
	ck_assert_int_eq(inflateInit2(&z, 15 + 16), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)p;
	z.avail_in = (uInt)n;
	z.next_out = (Bytef *)out;
	z.avail_out = sizeof(out) - 1;
	ck_assert_int_eq(inflate(&z, Z_FINISH), Z_STREAM_END);
	ck_assert_uint_eq(z.avail_in, 0);
	out[z.total_out] = '\0';
	(void)inflateEnd(&z);
	return (out);
}

/* A chunked body s[0..n) without its framing, into out: its length. */
static size_t
dechunk(const char *s, char *out)
{
	size_t len = 0, k;
	char *end;

	for (;;) {
		k = strtoul(s, &end, 16);
		ck_assert_ptr_ne(end, s);
		ck_assert(end[0] == '\r' && end[1] == '\n');
		s = end + 2;
		if (k == 0)
			break;
		memcpy(out + len, s, k);
		len += k;
		s += k;
		ck_assert(s[0] == '\r' && s[1] == '\n');
		s += 2;
	}
	ck_assert_str_eq(s, "\r\n");
	return (len);
}

static void
gz_setup(void)
{
	setup();
	ngzt = 0;
	ck_assert_int_eq(gzip_init(&gzs, 6), 0);
	gzip_start(gzs);
}

static void
gz_teardown(void)
{
	teardown();
	gzip_free(gzs);
}

/* The backend's chunks decoded, compressed once for the client (chunked)
   and the tee alike. */
START_TEST(gz_both_chunked)
{
	static const char head[] = "HEAD\r\n\r\n";
	char body[4096];
	size_t n;

	source("5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
	f.r.pre.iov_base = (void *)(uintptr_t)head;
	f.r.pre.iov_len = sizeof(head) - 1;
	f.r.tee = gz_tee;
	f.r.gz = gzs;
	f.r.gz_dst = f.r.gz_tee = f.r.gz_chunk = 1;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_CHUNKED, 0, 1, 4096),
	    RELAY_OK);
	received();
	ck_assert(strncmp(f.got, head, sizeof(head) - 1) == 0);
	n = dechunk(f.got + sizeof(head) - 1, body);
	ck_assert_str_eq(gunzip(body, n), "hello world");
	ck_assert_uint_eq(n, ngzt);
	ck_assert(memcmp(body, gzt, n) == 0);
	ck_assert_uint_eq(f.r.out, f.ngot - (sizeof(head) - 1));
}
END_TEST

/* Compressed for the tee only: the client gets the body as it came. */
START_TEST(gz_tee_only)
{
	source("0123456789abcdefghijKLMNOP");
	f.r.tee = gz_tee;
	f.r.gz = gzs;
	f.r.gz_tee = 1;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_LENGTH, 26, 0, 4096),
	    RELAY_OK);
	ck_assert_str_eq(received(), "0123456789abcdefghijKLMNOP");
	ck_assert_str_eq(gunzip(gzt, ngzt), "0123456789abcdefghijKLMNOP");
}
END_TEST

/* Compressed for an HTTP/1.0 client: raw, the close ends it. */
START_TEST(gz_dst_close)
{
	source("0123456789abcdefghij0123456789abcdefghij");
	f.r.gz = gzs;
	f.r.gz_dst = 1;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_CLOSE, 0, 0, 4096),
	    RELAY_OK);
	received();
	ck_assert_str_eq(gunzip(f.got, f.ngot),
	    "0123456789abcdefghij0123456789abcdefghij");
}
END_TEST

/* The client goes away: the tee still gets the whole compressed copy. */
START_TEST(gz_tee_outlives_dst)
{
	source("0123456789abcdefghij");
	(void)close(f.dst[1]);
	f.dst[1] = -1;
	f.r.tee = gz_tee;
	f.r.gz = gzs;
	f.r.gz_dst = f.r.gz_tee = f.r.gz_chunk = 1;
	ck_assert_int_eq(relay_body(&f.r, HTTP_BODY_LENGTH, 20, 0, 4096),
	    RELAY_DST);
	ck_assert_int_eq(f.r.dst_gone, 1);
	ck_assert_str_eq(gunzip(gzt, ngzt), "0123456789abcdefghij");
}
END_TEST

static Suite *
relay_suite(void)
{
	Suite	*s = suite_create("relay");
	TCase	*tc = tcase_create("close");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, close_rechunked);
	tcase_add_test(tc, close_rechunked_empty);
	tcase_add_test(tc, close_as_is);
	tcase_add_test(tc, close_rechunked_dst_gone);
	suite_add_tcase(s, tc);
	tc = tcase_create("tee");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, tee_chunked);
	tcase_add_test(tc, tee_outlives_dst);
	tcase_add_test(tc, tee_fails);
	tcase_add_test(tc, tee_fails_dst_gone);
	suite_add_tcase(s, tc);
	tc = tcase_create("gzip");
	tcase_add_checked_fixture(tc, gz_setup, gz_teardown);
	tcase_add_test(tc, gz_both_chunked);
	tcase_add_test(tc, gz_tee_only);
	tcase_add_test(tc, gz_dst_close);
	tcase_add_test(tc, gz_tee_outlives_dst);
	suite_add_tcase(s, tc);
	return (s);
}

int
main(void)
{
	SRunner	*sr = srunner_create(relay_suite());
	int	 failed;

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
