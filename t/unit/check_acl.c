/*
 * Address ranges: matching, v4, v6, mapped. Parsing is tested with the
 * config (check_config.c), which owns it.
 */
#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/addr.h"
#include "worker/acl.h"

/* An address as a sockaddr; v6 text gives AF_INET6 (maybe mapped). */
static const struct sockaddr *
addr(const char *text)
{
	static struct sockaddr_storage ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons(1234);
	} else {
		ck_assert_int_eq(inet_pton(AF_INET6, text, &sin6->sin6_addr),
		    1);
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(1234);
	}
	return ((const struct sockaddr *)&ss);
}

/* Does client match the one range rule? */
static int
in1(const char *rule, const char *client)
{
	struct cfg_cidr c;

	ck_assert_msg(cfg_parse_cidr(rule, &c) == 0, "rule %s", rule);
	return (acl_match(&c, 1, addr(client)));
}

START_TEST(match_v4)
{
	ck_assert_int_eq(in1("10.0.0.0/8", "10.1.2.3"), 1);
	ck_assert_int_eq(in1("10.0.0.0/8", "10.255.255.255"), 1);
	ck_assert_int_eq(in1("10.0.0.0/8", "11.0.0.0"), 0);
	ck_assert_int_eq(in1("10.0.0.0/8", "9.255.255.255"), 0);
	ck_assert_int_eq(in1("192.168.1.0/23", "192.168.0.7"), 1);
	ck_assert_int_eq(in1("192.168.1.0/23", "192.168.1.7"), 1);
	ck_assert_int_eq(in1("192.168.1.0/23", "192.168.2.7"), 0);
	ck_assert_int_eq(in1("172.16.0.0/12", "172.31.255.255"), 1);
	ck_assert_int_eq(in1("172.16.0.0/12", "172.32.0.0"), 0);
	/* /32 and /0 */
	ck_assert_int_eq(in1("1.2.3.4", "1.2.3.4"), 1);
	ck_assert_int_eq(in1("1.2.3.4/32", "1.2.3.4"), 1);
	ck_assert_int_eq(in1("1.2.3.4/32", "1.2.3.5"), 0);
	ck_assert_int_eq(in1("0.0.0.0/0", "1.2.3.4"), 1);
	ck_assert_int_eq(in1("0.0.0.0/0", "255.255.255.255"), 1);
	/* host bits cleared: the rule covers the whole network */
	ck_assert_int_eq(in1("192.168.1.1/24", "192.168.1.200"), 1);
	ck_assert_int_eq(in1("192.168.1.1/24", "192.168.2.1"), 0);
}
END_TEST

START_TEST(match_v6)
{
	ck_assert_int_eq(in1("2001:db8::/32", "2001:db8:1::5"), 1);
	ck_assert_int_eq(in1("2001:db8::/32", "2001:db9::5"), 0);
	ck_assert_int_eq(in1("2001:db8::/33", "2001:db8:7fff::1"), 1);
	ck_assert_int_eq(in1("2001:db8::/33", "2001:db8:8000::1"), 0);
	ck_assert_int_eq(in1("::1", "::1"), 1);
	ck_assert_int_eq(in1("::1/128", "::1"), 1);
	ck_assert_int_eq(in1("::1/128", "::2"), 0);
	ck_assert_int_eq(in1("::/0", "::1"), 1);
	ck_assert_int_eq(in1("::/0", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	    1);
	ck_assert_int_eq(in1("fe80::1:2:3:4/64", "fe80::99"), 1);
	ck_assert_int_eq(in1("fe80::/10", "febf::1"), 1);
	ck_assert_int_eq(in1("fe80::/10", "fec0::1"), 0);
}
END_TEST

START_TEST(match_families)
{
	/* an IPv4 rule never matches a native IPv6 client, even /0 */
	ck_assert_int_eq(in1("0.0.0.0/0", "::1"), 0);
	ck_assert_int_eq(in1("0.0.0.0/0", "2001:db8::1"), 0);
	ck_assert_int_eq(in1("1.2.3.4", "::1.2.3.4"), 0);	/* compat, not mapped */
	ck_assert_int_eq(in1("0.0.0.0/0", "::"), 0);
	/* a mapped client is its IPv4 address */
	ck_assert_int_eq(in1("10.0.0.0/8", "::ffff:10.1.2.3"), 1);
	ck_assert_int_eq(in1("10.0.0.0/8", "::ffff:11.1.2.3"), 0);
	ck_assert_int_eq(in1("1.2.3.4/32", "::ffff:1.2.3.4"), 1);
	ck_assert_int_eq(in1("0.0.0.0/0", "::ffff:1.2.3.4"), 1);
	ck_assert_int_eq(in1("127.0.0.1", "::ffff:127.0.0.1"), 1);
	/* ... so a short IPv6 rule does not match it, as it would not 1.2.3.4 */
	ck_assert_int_eq(in1("::/0", "::ffff:1.2.3.4"), 0);
	ck_assert_int_eq(in1("::/0", "1.2.3.4"), 0);
	ck_assert_int_eq(in1("::/95", "::ffff:1.2.3.4"), 0);
	/* but a rule written in mapped space matches both spellings */
	ck_assert_int_eq(in1("::ffff:0:0/96", "::ffff:1.2.3.4"), 1);
	ck_assert_int_eq(in1("::ffff:0:0/96", "1.2.3.4"), 1);
	ck_assert_int_eq(in1("::ffff:10.0.0.0/104", "10.9.9.9"), 1);
	ck_assert_int_eq(in1("::ffff:10.0.0.0/104", "::ffff:10.9.9.9"), 1);
	ck_assert_int_eq(in1("::ffff:10.0.0.0/104", "11.9.9.9"), 0);
	ck_assert_int_eq(in1("::ffff:1.2.3.4", "1.2.3.4"), 1);
	ck_assert_int_eq(in1("::ffff:0:0/96", "::1"), 0);
}
END_TEST

START_TEST(match_lists)
{
	struct cfg_cidr l[4];
	struct sockaddr_un_like {
		sa_family_t	family;
		char		path[32];
	} other;

	ck_assert_int_eq(cfg_parse_cidr("10.0.0.0/8", &l[0]), 0);
	ck_assert_int_eq(cfg_parse_cidr("2001:db8::/32", &l[1]), 0);
	ck_assert_int_eq(cfg_parse_cidr("192.168.0.0/16", &l[2]), 0);
	ck_assert_int_eq(cfg_parse_cidr("::1", &l[3]), 0);
	ck_assert_int_eq(acl_match(l, 4, addr("10.0.0.1")), 1);
	ck_assert_int_eq(acl_match(l, 4, addr("192.168.3.4")), 1);
	ck_assert_int_eq(acl_match(l, 4, addr("::ffff:192.168.3.4")), 1);
	ck_assert_int_eq(acl_match(l, 4, addr("2001:db8::1")), 1);
	ck_assert_int_eq(acl_match(l, 4, addr("::1")), 1);
	ck_assert_int_eq(acl_match(l, 4, addr("127.0.0.1")), 0);
	ck_assert_int_eq(acl_match(l, 4, addr("::2")), 0);
	/* n bounds the list */
	ck_assert_int_eq(acl_match(l, 2, addr("192.168.3.4")), 0);
	ck_assert_int_eq(acl_match(l, 0, addr("10.0.0.1")), 0);
	ck_assert_int_eq(acl_match(NULL, 0, addr("10.0.0.1")), 0);
	ck_assert_int_eq(acl_match(l, 4, NULL), 0);
	/* neither family: never in a range */
	memset(&other, 0, sizeof(other));
	other.family = AF_UNIX;
	ck_assert_int_eq(acl_match(l, 4, (struct sockaddr *)&other), 0);
}
END_TEST

/* Every prefix length, both sides of the boundary. */
START_TEST(match_every_length)
{
	struct cfg_cidr c;
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	uint32_t base = 0xc0a80101, in, out;
	char text[64];
	int b, i;

	for (b = 0; b <= 32; b++) {
		snprintf(text, sizeof(text), "192.168.1.1/%d", b);
		ck_assert_int_eq(cfg_parse_cidr(text, &c), 0);
		ck_assert_int_eq(c.bits, b);
		/* last address inside; first address past the end */
		in = b == 0 ? 0xffffffff :
		    (base & (uint32_t)(0xffffffffULL << (32 - b))) |
		    (uint32_t)((1ULL << (32 - b)) - 1);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(in);
		ck_assert_int_eq(acl_match(&c, 1, (struct sockaddr *)&sin), 1);
		if (b > 0) {
			out = in + 1;
			sin.sin_addr.s_addr = htonl(out);
			ck_assert_int_eq(acl_match(&c, 1,
			    (struct sockaddr *)&sin), 0);
		}
	}
	for (b = 0; b <= 128; b++) {
		snprintf(text, sizeof(text), "2001:db8:1234:5678::1/%d", b);
		ck_assert_int_eq(cfg_parse_cidr(text, &c), 0);
		ck_assert_int_eq(c.bits, b);
		memset(&sin6, 0, sizeof(sin6));
		sin6.sin6_family = AF_INET6;
		memcpy(&sin6.sin6_addr, c.addr, 16);
		/* the network address is inside */
		ck_assert_int_eq(acl_match(&c, 1, (struct sockaddr *)&sin6),
		    1);
		/* all host bits set: still inside */
		for (i = b; i < 128; i++)
			sin6.sin6_addr.s6_addr[i / 8] |= (uint8_t)(0x80 >> i % 8);
		ck_assert_int_eq(acl_match(&c, 1, (struct sockaddr *)&sin6),
		    1);
		/* flip the last prefix bit: outside */
		if (b > 0) {
			i = b - 1;
			sin6.sin6_addr.s6_addr[i / 8] ^= (uint8_t)(0x80 >> i % 8);
			ck_assert_int_eq(acl_match(&c, 1,
			    (struct sockaddr *)&sin6), 0);
		}
	}
}
END_TEST

/*
 * The client's address as text (lib/addr.c formats IPv4 by hand): the
 * same as inet_ntop for edge and random addresses; IPv6 and a short
 * buffer go through inet_ntop.
 */
START_TEST(host_text_as_inet_ntop)
{
	static const uint32_t edge[] = { 0, 1, 9, 10, 99, 100, 199, 200, 255,
	    0x7f000001, 0x0a000a0a, 0x64646464, 0xffffffff, 0xc0a80001 };
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	char want[INET6_ADDRSTRLEN], got[64];
	uint32_t x = 12345;
	int i;

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	for (i = 0; i < 20000; i++) {
		uint32_t a;

		if (i < (int)(sizeof(edge) / sizeof(edge[0])))
			a = edge[i];
		else {
			x = x * 1103515245u + 12345u;
			a = x ^ (x >> 13) << ((i & 3) * 8);
		}
		s4.sin_addr.s_addr = htonl(a);
		ck_assert_ptr_nonnull(inet_ntop(AF_INET, &s4.sin_addr, want,
		    sizeof(want)));
		memset(got, 'x', sizeof(got));
		ck_assert_str_eq(addr_host_text((struct sockaddr *)&s4, got,
		    INET_ADDRSTRLEN), want);
	}
	/* short of room: inet_ntop's answer, which is "?" here */
	s4.sin_addr.s_addr = htonl(0xffffffff);
	ck_assert_str_eq(addr_host_text((struct sockaddr *)&s4, got, 8), "?");
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::1", &s6.sin6_addr), 1);
	ck_assert_str_eq(addr_host_text((struct sockaddr *)&s6, got,
	    sizeof(got)), "2001:db8::1");
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("acl");
	TCase *tc = tcase_create("acl");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, match_v4);
	tcase_add_test(tc, match_v6);
	tcase_add_test(tc, match_families);
	tcase_add_test(tc, match_lists);
	tcase_add_test(tc, match_every_length);
	tcase_add_test(tc, host_text_as_inet_ntop);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
