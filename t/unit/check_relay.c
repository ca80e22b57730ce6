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
