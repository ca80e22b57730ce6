/*
 * Forward-proxy pieces: host and URL rules, private addresses, parent
 * choice, Via loops, authority splitting, proxy authentication, the
 * resolver with a deadline, and the CONNECT tunnel relay.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <crypt.h>
#include <errno.h>
#include <pthread.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/clock.h"
#include "worker/fwd_rules.h"
#include "worker/proxy_auth.h"
#include "lib/resolve.h"
#include "worker/tunnel.h"

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- host patterns ------------------------------------------------ */

static int
hm(const char *host, char *const *p, int n)
{
	return (fwd_host_match(host, strlen(host), p, n));
}

START_TEST(host_exact)
{
	char *p[] = { "example.com", "localhost" };

	ck_assert_int_eq(hm("example.com", p, 2), 0);
	ck_assert_int_eq(hm("EXAMPLE.Com", p, 2), 0);
	ck_assert_int_eq(hm("example.com.", p, 2), 0);
	ck_assert_int_eq(hm("localhost", p, 2), 1);
	ck_assert_int_eq(hm("localhost.", p, 2), 1);
	/* exact means exact: no subdomains, no look-alikes */
	ck_assert_int_eq(hm("www.example.com", p, 2), -1);
	ck_assert_int_eq(hm("xexample.com", p, 2), -1);
	ck_assert_int_eq(hm("example.co", p, 2), -1);
	ck_assert_int_eq(hm("example.com.evil", p, 2), -1);
	ck_assert_int_eq(hm("example.com..", p, 2), -1);	/* one dot */
	ck_assert_int_eq(hm("", p, 2), -1);
	ck_assert_int_eq(hm(".", p, 2), -1);
	/* len bounds the host */
	ck_assert_int_eq(fwd_host_match("example.com.evil", 11, p, 2), 0);
	ck_assert_int_eq(fwd_host_match("example.com", 7, p, 2), -1);
	/* n bounds the list */
	ck_assert_int_eq(hm("localhost", p, 1), -1);
	ck_assert_int_eq(hm("example.com", p, 0), -1);
	ck_assert_int_eq(hm("example.com", NULL, 0), -1);
}
END_TEST

START_TEST(host_domain)
{
	char *p[] = { "other.net", ".example.com", "example.com" };

	ck_assert_int_eq(hm("example.com", p, 3), 1);	/* the bare domain */
	ck_assert_int_eq(hm("www.example.com", p, 3), 1);
	ck_assert_int_eq(hm("a.b.c.example.com", p, 3), 1);
	ck_assert_int_eq(hm("WWW.Example.COM.", p, 3), 1);
	ck_assert_int_eq(hm("example.com.", p, 3), 1);
	ck_assert_int_eq(hm("evilexample.com", p, 3), -1);
	ck_assert_int_eq(hm("www.evilexample.com", p, 3), -1);
	ck_assert_int_eq(hm("example.com.evil.net", p, 3), -1);
	ck_assert_int_eq(hm("xample.com", p, 3), -1);
	ck_assert_int_eq(hm("com", p, 3), -1);
	ck_assert_int_eq(hm(".example.com", p, 3), 1);
	ck_assert_int_eq(hm("other.net", p, 3), 0);
	ck_assert_int_eq(hm("www.other.net", p, 3), -1);
}
END_TEST

START_TEST(host_literals)
{
	char *p[] = { "[::1]", "2001:db8::7", "10.0.0.1", ".0.0.2" };
	char *dot[] = { "." };

	ck_assert_int_eq(hm("::1", p, 4), 0);
	ck_assert_int_eq(hm("[::1]", p, 4), 0);
	ck_assert_int_eq(hm("[0:0::1]", p, 4), 0);	/* same address */
	ck_assert_int_eq(hm("0000:0000:0000:0000:0000:0000:0000:0001", p, 4),
	    0);
	ck_assert_int_eq(hm("::2", p, 4), -1);
	ck_assert_int_eq(hm("[2001:DB8::7]", p, 4), 1);
	ck_assert_int_eq(hm("2001:db8:0::7", p, 4), 1);
	ck_assert_int_eq(hm("2001:db8::8", p, 4), -1);
	ck_assert_int_eq(hm("10.0.0.1", p, 4), 2);
	ck_assert_int_eq(hm("10.0.0.10", p, 4), -1);
	/* a dot pattern names a domain: addresses never match its suffix */
	ck_assert_int_eq(hm("10.0.0.2", p, 4), -1);
	ck_assert_int_eq(hm("example.com", dot, 1), -1);
}
END_TEST

/* ---- fwd_blocked ---------------------------------------------------- */

struct fixture {
	struct cfg_forward f;
	regex_t re[4];
	char *src[4];
};

static void
fx_urls(struct fixture *x, char **src, int n)
{
	int i;

	for (i = 0; i < n; i++) {
		x->src[i] = src[i];
		ck_assert_int_eq(regcomp(&x->re[i], src[i],
		    REG_EXTENDED | REG_ICASE | REG_NOSUB), 0);
	}
	x->f.block_urls = x->re;
	x->f.block_urls_src = x->src;
	x->f.nblock_urls = n;
}

static void
fx_free(struct fixture *x)
{
	int i;

	for (i = 0; i < x->f.nblock_urls; i++)
		regfree(&x->re[i]);
}

static int
blk(const struct cfg_forward *f, const char *host, const char *url,
    char *rule, size_t cap)
{
	return (fwd_blocked(f, host, strlen(host), url, strlen(url), rule,
	    cap));
}

START_TEST(blocked_lists)
{
	struct fixture x;
	char *bh[] = { "ads.example", ".tracker.example" };
	char *urls[] = { "^http://x/ads", "/banner[0-9]+\\.gif$" };
	char rule[128];

	memset(&x, 0, sizeof(x));
	/* no rules: everything goes */
	ck_assert_int_eq(blk(&x.f, "a.example", "http://a.example/", rule,
	    sizeof(rule)), 0);
	ck_assert_str_eq(rule, "");

	x.f.block_hosts = bh;
	x.f.nblock_hosts = 2;
	fx_urls(&x, urls, 2);
	ck_assert_int_eq(blk(&x.f, "t.tracker.example",
	    "http://t.tracker.example/", rule, sizeof(rule)), 1);
	ck_assert_str_eq(rule, "block_hosts .tracker.example");
	ck_assert_int_eq(blk(&x.f, "tracker.example", "tracker.example:443",
	    rule, sizeof(rule)), 1);
	ck_assert_str_eq(rule, "block_hosts .tracker.example");
	ck_assert_int_eq(blk(&x.f, "ADS.example", "http://ads.example/", rule,
	    sizeof(rule)), 1);
	ck_assert_str_eq(rule, "block_hosts ads.example");
	ck_assert_int_eq(blk(&x.f, "www.ads.example", "http://www.ads.example/",
	    rule, sizeof(rule)), 0);
	ck_assert_str_eq(rule, "");

	ck_assert_int_eq(blk(&x.f, "x", "http://x/ads/1", rule, sizeof(rule)),
	    1);
	ck_assert_str_eq(rule, "block_urls \"^http://x/ads\"");
	ck_assert_int_eq(blk(&x.f, "x", "HTTP://X/ADS", rule, sizeof(rule)),
	    1);
	ck_assert_int_eq(blk(&x.f, "y", "http://y/a/banner12.gif", rule,
	    sizeof(rule)), 1);
	ck_assert_str_eq(rule, "block_urls \"/banner[0-9]+\\.gif$\"");
	ck_assert_int_eq(blk(&x.f, "y", "http://y/a/banner12.gif?x", rule,
	    sizeof(rule)), 0);
	ck_assert_int_eq(blk(&x.f, "x", "http://x/other", rule,
	    sizeof(rule)), 0);
	ck_assert_int_eq(blk(&x.f, "y", "http://y/ads", rule, sizeof(rule)),
	    0);

	/* hosts before URLs */
	ck_assert_int_eq(blk(&x.f, "ads.example", "http://x/ads", rule,
	    sizeof(rule)), 1);
	ck_assert_str_eq(rule, "block_hosts ads.example");

	/* rule is optional and cut to its room */
	ck_assert_int_eq(blk(&x.f, "ads.example", "http://ads.example/", NULL,
	    0), 1);
	ck_assert_int_eq(blk(&x.f, "ads.example", "http://ads.example/", rule,
	    8), 1);
	ck_assert_str_eq(rule, "block_h");
	fx_free(&x);
}
END_TEST

START_TEST(blocked_allow_first)
{
	struct fixture x;
	char *allow[] = { ".good.example", "203.0.113.5" };
	char *bh[] = { "bad.good.example" };
	char *urls[] = { "secret" };
	char rule[128];

	memset(&x, 0, sizeof(x));
	x.f.allow_hosts = allow;
	x.f.nallow_hosts = 2;
	x.f.block_hosts = bh;
	x.f.nblock_hosts = 1;
	fx_urls(&x, urls, 1);

	ck_assert_int_eq(blk(&x.f, "www.good.example",
	    "http://www.good.example/", rule, sizeof(rule)), 0);
	ck_assert_int_eq(blk(&x.f, "good.example", "good.example:443", rule,
	    sizeof(rule)), 0);
	ck_assert_int_eq(blk(&x.f, "203.0.113.5", "203.0.113.5:443", rule,
	    sizeof(rule)), 0);
	/* not listed: the allow rule, even where a block rule matches too */
	ck_assert_int_eq(blk(&x.f, "other.example", "http://other.example/",
	    rule, sizeof(rule)), 1);
	ck_assert_str_eq(rule, "allow_hosts (host not listed)");
	ck_assert_int_eq(blk(&x.f, "evilgood.example",
	    "http://evilgood.example/secret", rule, sizeof(rule)), 1);
	ck_assert_str_eq(rule, "allow_hosts (host not listed)");
	/* listed, then blocked by host, then by URL */
	ck_assert_int_eq(blk(&x.f, "bad.good.example",
	    "http://bad.good.example/secret", rule, sizeof(rule)), 1);
	ck_assert_str_eq(rule, "block_hosts bad.good.example");
	ck_assert_int_eq(blk(&x.f, "a.good.example",
	    "http://a.good.example/SECRET/x", rule, sizeof(rule)), 1);
	ck_assert_str_eq(rule, "block_urls \"secret\"");
	fx_free(&x);
}
END_TEST

START_TEST(blocked_url_bounds)
{
	struct fixture x;
	char *urls[] = { "^x:443$", "ads", "needle" };
	char rule[128], *big;
	size_t n = 10000;

	memset(&x, 0, sizeof(x));
	fx_urls(&x, urls, 3);
	/* url is not NUL-terminated: only urllen bytes count */
	ck_assert_int_eq(fwd_blocked(&x.f, "x", 1, "x:443garbage", 5, rule,
	    sizeof(rule)), 1);
	ck_assert_str_eq(rule, "block_urls \"^x:443$\"");
	ck_assert_int_eq(fwd_blocked(&x.f, "x", 1, "x:4431", 6, rule,
	    sizeof(rule)), 0);
	ck_assert_int_eq(fwd_blocked(&x.f, "y", 1, "http://y/adsXX", 9, rule,
	    sizeof(rule)), 0);
	/* a NUL inside does not end the URL */
	ck_assert_int_eq(fwd_blocked(&x.f, "y", 1, "http://y/\0ads", 13, rule,
	    sizeof(rule)), 1);
	ck_assert_str_eq(rule, "block_urls \"ads\"");

	/* beyond 8 KiB nothing is seen; within it, everything */
	big = malloc(n);
	ck_assert_ptr_nonnull(big);
	memset(big, 'a', n);
	memcpy(big + 9000, "needle", 6);
	ck_assert_int_eq(fwd_blocked(&x.f, "y", 1, big, n, rule,
	    sizeof(rule)), 0);
	memcpy(big + 8192 - 6, "needle", 6);
	ck_assert_int_eq(fwd_blocked(&x.f, "y", 1, big, n, rule,
	    sizeof(rule)), 1);
	ck_assert_str_eq(rule, "block_urls \"needle\"");
	free(big);
	fx_free(&x);
}
END_TEST

/* ---- private addresses --------------------------------------------- */

static const struct sockaddr *
sa_of(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1)
		sin->sin_family = AF_INET;
	else {
		ck_assert_msg(inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1,
		    "%s", text);
		sin6->sin6_family = AF_INET6;
	}
	return ((const struct sockaddr *)ss);
}

static int
priv(const char *text)
{
	struct sockaddr_storage ss;

	return (fwd_private_addr(sa_of(text, &ss)));
}

static const struct {
	const char	*a;
	int		 p;
} v4_cases[] = {
	{ "0.0.0.0", 1 }, { "0.255.255.255", 1 }, { "1.0.0.0", 0 },
	{ "9.255.255.255", 0 }, { "10.0.0.0", 1 }, { "10.255.255.255", 1 },
	{ "11.0.0.0", 0 },
	{ "100.63.255.255", 0 }, { "100.64.0.0", 1 }, { "100.127.255.255", 1 },
	{ "100.128.0.0", 0 },
	{ "126.255.255.255", 0 }, { "127.0.0.0", 1 }, { "127.0.0.1", 1 },
	{ "127.255.255.255", 1 }, { "128.0.0.0", 0 },
	{ "169.253.255.255", 0 }, { "169.254.0.0", 1 },
	{ "169.254.169.254", 1 }, { "169.254.255.255", 1 },
	{ "169.255.0.0", 0 },
	{ "172.15.255.255", 0 }, { "172.16.0.0", 1 }, { "172.31.255.255", 1 },
	{ "172.32.0.0", 0 },
	{ "191.255.255.255", 0 }, { "192.0.0.0", 1 }, { "192.0.0.255", 1 },
	{ "192.0.1.0", 0 },
	{ "192.167.255.255", 0 }, { "192.168.0.0", 1 },
	{ "192.168.255.255", 1 }, { "192.169.0.0", 0 },
	{ "198.17.255.255", 0 }, { "198.18.0.0", 1 }, { "198.19.255.255", 1 },
	{ "198.20.0.0", 0 },
	{ "223.255.255.255", 0 }, { "224.0.0.0", 1 }, { "239.255.255.255", 1 },
	{ "240.0.0.0", 1 }, { "255.255.255.254", 1 }, { "255.255.255.255", 1 },
	{ "1.1.1.1", 0 }, { "8.8.8.8", 0 }, { "93.184.216.34", 0 },
	{ "203.0.113.9", 0 },
};

START_TEST(private_v4)
{
	size_t i;

	for (i = 0; i < NELEM(v4_cases); i++)
		ck_assert_msg(priv(v4_cases[i].a) == v4_cases[i].p, "%s",
		    v4_cases[i].a);
}
END_TEST

START_TEST(private_v6)
{
	static const struct {
		const char	*a;
		int		 p;
	} c[] = {
		{ "::", 1 }, { "::1", 1 }, { "::2", 0 },
		{ "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ "fc00::", 1 }, { "fd12:3456::1", 1 },
		{ "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ "fe00::", 0 },
		{ "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ "fe80::", 1 }, { "fe80::1", 1 },
		{ "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ "fec0::", 0 },
		{ "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 0 },
		{ "ff00::", 1 }, { "ff02::1", 1 },
		{ "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 1 },
		{ "2001:db8::1", 0 }, { "2606:4700::1111", 0 },
		/* only the /96 forms carry an IPv4 address */
		{ "::127.0.0.1", 0 }, { "64:ff9b:1::a00:1", 0 },
		{ "::fffe:a00:1", 0 }, { "0:1::ffff:a00:1", 0 },
	};
	struct sockaddr_un un;
	char text[64];
	size_t i;

	for (i = 0; i < NELEM(c); i++)
		ck_assert_msg(priv(c[i].a) == c[i].p, "%s", c[i].a);
	/* every IPv4 case, mapped and through NAT64 */
	for (i = 0; i < NELEM(v4_cases); i++) {
		snprintf(text, sizeof(text), "::ffff:%s", v4_cases[i].a);
		ck_assert_msg(priv(text) == v4_cases[i].p, "%s", text);
		snprintf(text, sizeof(text), "64:ff9b::%s", v4_cases[i].a);
		ck_assert_msg(priv(text) == v4_cases[i].p, "%s", text);
	}
	/* a family it cannot judge is refused */
	memset(&un, 0, sizeof(un));
	un.sun_family = AF_UNIX;
	ck_assert_int_eq(fwd_private_addr((struct sockaddr *)&un), 1);
}
END_TEST

/* ---- parent ---------------------------------------------------------- */

START_TEST(use_parent)
{
	struct cfg_forward f;
	char *ph[] = { ".corp.example", "intranet" };

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(fwd_use_parent(&f, "a.example", 9), 0);
	f.has_parent = 1;
	ck_assert_int_eq(fwd_use_parent(&f, "a.example", 9), 1);
	f.parent_hosts = ph;
	f.nparent_hosts = 2;
	ck_assert_int_eq(fwd_use_parent(&f, "a.example", 9), 0);
	ck_assert_int_eq(fwd_use_parent(&f, "x.corp.example", 14), 1);
	ck_assert_int_eq(fwd_use_parent(&f, "corp.example", 12), 1);
	ck_assert_int_eq(fwd_use_parent(&f, "INTRANET", 8), 1);
	ck_assert_int_eq(fwd_use_parent(&f, "intranet2", 9), 0);
	f.has_parent = 0;
	ck_assert_int_eq(fwd_use_parent(&f, "intranet", 8), 0);
}
END_TEST

/* ---- Via --------------------------------------------------------------- */

static int
via(const char *v, const char *tok)
{
	return (fwd_via_has(v, strlen(v), tok));
}

START_TEST(via_tokens)
{
	char big[4096];
	size_t n = 0;
	int i;

	ck_assert_int_eq(via("1.1 porter-abc", "porter-abc"), 1);
	ck_assert_int_eq(via("1.1 porter-abc", "PORTER-ABC"), 1);
	ck_assert_int_eq(via("1.1 porter-abc", "porter-ab"), 0);
	ck_assert_int_eq(via("1.1 porter-ab", "porter-abc"), 0);
	ck_assert_int_eq(via("1.1 porter-abcd", "porter-abc"), 0);
	ck_assert_int_eq(via("1.1 porter-abc:3128", "porter-abc"), 0);
	ck_assert_int_eq(via("1.0 fred, 1.1 p.example (Apache/1.1)",
	    "p.example"), 1);
	ck_assert_int_eq(via("1.0 fred, 1.1 p.example (Apache/1.1)", "fred"),
	    1);
	ck_assert_int_eq(via("1.0 fred, 1.1 p.example (Apache/1.1)",
	    "Apache/1.1"), 0);
	ck_assert_int_eq(via("1.0 fred, 1.1 p.example (Apache/1.1)", "1.0"),
	    0);
	ck_assert_int_eq(via("HTTP/1.1 Porter-X (comment, 1.1 fake), 1.1 b",
	    "porter-x"), 1);
	ck_assert_int_eq(via("HTTP/1.1 Porter-X (comment, 1.1 fake), 1.1 b",
	    "fake"), 0);
	ck_assert_int_eq(via("HTTP/1.1 Porter-X (comment, 1.1 fake), 1.1 b",
	    "b"), 1);
	/* nested comments and quoted pairs do not end them early */
	ck_assert_int_eq(via("1.1 a (x (y, 1.1 f1) \\), 1.1 f2), 1.1 c",
	    "f1"), 0);
	ck_assert_int_eq(via("1.1 a (x (y, 1.1 f1) \\), 1.1 f2), 1.1 c",
	    "f2"), 0);
	ck_assert_int_eq(via("1.1 a (x (y, 1.1 f1) \\), 1.1 f2), 1.1 c",
	    "c"), 1);
	ck_assert_int_eq(via("1.1 a(comment), 1.1 d", "a"), 1);
	/* empty entries, tabs, extra spaces */
	ck_assert_int_eq(via(",, 1.1 z ,", "z"), 1);
	ck_assert_int_eq(via("1.1\tq", "q"), 1);
	ck_assert_int_eq(via("  1.1    spaced  ,1.1 e", "spaced"), 1);
	ck_assert_int_eq(via("  1.1    spaced  ,1.1 e", "e"), 1);
	/* the first word is the protocol, not a name */
	ck_assert_int_eq(via("porter", "porter"), 0);
	ck_assert_int_eq(via("porter, porter", "porter"), 0);
	ck_assert_int_eq(via("", "porter"), 0);
	ck_assert_int_eq(via("1.1 porter", ""), 0);
	/* len bounds the value */
	ck_assert_int_eq(fwd_via_has("1.1 abc", 6, "ab"), 1);
	ck_assert_int_eq(fwd_via_has("1.1 abc", 6, "abc"), 0);
	/* many entries: the last one counts */
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n,
		    "1.1 hop%d (x), ", i);
	snprintf(big + n, sizeof(big) - n, "HTTP/1.1 porter-7");
	ck_assert_int_eq(via(big, "porter-7"), 1);
	ck_assert_int_eq(via(big, "hop99"), 1);
	ck_assert_int_eq(via(big, "hop100"), 0);
}
END_TEST

/* ---- authority ------------------------------------------------------- */

START_TEST(authority_good)
{
	static const struct {
		const char	*in;
		int		 dflt;
		const char	*host;
		int		 port;
	} c[] = {
		{ "example.com:443", 80, "example.com", 443 },
		{ "Example.COM", 80, "example.com", 80 },
		{ "example.com.:8080", 80, "example.com.", 8080 },
		{ "[::1]:8080", 443, "::1", 8080 },
		{ "[2001:DB8::1]", 443, "2001:db8::1", 443 },
		{ "[::ffff:1.2.3.4]:80", 443, "::ffff:1.2.3.4", 80 },
		{ "127.0.0.1:1", 80, "127.0.0.1", 1 },
		{ "h:65535", 80, "h", 65535 },
		{ "h:00080", 1, "h", 80 },
		{ "a_b-c.example:80", 443, "a_b-c.example", 80 },
		{ "localhost", 3128, "localhost", 3128 },
		{ "1.example", 80, "1.example", 80 },
		{ "123.example.com", 80, "123.example.com", 80 },
	};
	char host[256];
	size_t i;
	int port;

	for (i = 0; i < NELEM(c); i++) {
		port = -7;
		ck_assert_msg(fwd_split_authority(c[i].in, strlen(c[i].in),
		    c[i].dflt, host, sizeof(host), &port) == 0, "%s", c[i].in);
		ck_assert_str_eq(host, c[i].host);
		ck_assert_int_eq(port, c[i].port);
	}
	/* len bounds the input */
	ck_assert_int_eq(fwd_split_authority("a.example:80/path", 12, 1, host,
	    sizeof(host), &port), 0);
	ck_assert_str_eq(host, "a.example");
	ck_assert_int_eq(port, 80);
	/* the host exactly fills the buffer */
	ck_assert_int_eq(fwd_split_authority("abcdef", 6, 1, host, 7, &port),
	    0);
	ck_assert_str_eq(host, "abcdef");
}
END_TEST

START_TEST(authority_bad)
{
	static const char *bad[] = {
		"", ":443", "[::1", "[::1]x", "[::1]:", "[]:80", "[::1]]:80",
		"host:", "host:0", "host:65536", "host:99999", "host:123456",
		"host:+80", "host:-1", "host:8a", "host: 80", "host:80:90",
		"user@host:80", "user:pw@host", "@host", "::1", "::1:80",
		"[fe80::1%25eth0]:80", "[fe80::1%eth0]", "[v1.x]:80",
		"[1.2.3.4]:80", "[::g]", "ho st:80", "host :80", " host",
		"ho%73t", "host/x", "host?x", "a..b:80", ".a:80", "a.:80x",
		"a..", "..", ".", "127.1:80", "0x7f.0.0.1:80", "2130706433",
		"1.2.3.0x4", "example.123", "1.2.3.4.", "1.2.3.4.5",
		"256.1.1.1", "0177.0.0.1", "h\x01", "h\xc3\xa9.example",
	};
	char host[256], lab[80], big[400];
	size_t i;
	int port;

	for (i = 0; i < NELEM(bad); i++)
		ck_assert_msg(fwd_split_authority(bad[i], strlen(bad[i]), 80,
		    host, sizeof(host), &port) == -1, "\"%s\" accepted",
		    bad[i]);
	ck_assert_int_eq(fwd_split_authority(NULL, 0, 80, host, sizeof(host),
	    &port), -1);
	/* no port and no usable default */
	ck_assert_int_eq(fwd_split_authority("host", 4, 0, host, sizeof(host),
	    &port), -1);
	ck_assert_int_eq(fwd_split_authority("host", 4, 70000, host,
	    sizeof(host), &port), -1);
	/* too long: for the buffer, a label, a name */
	ck_assert_int_eq(fwd_split_authority("abcdef", 6, 1, host, 6, &port),
	    -1);
	memset(lab, 'a', 64);
	ck_assert_int_eq(fwd_split_authority(lab, 63, 1, host, sizeof(host),
	    &port), 0);
	ck_assert_int_eq(fwd_split_authority(lab, 64, 1, host, sizeof(host),
	    &port), -1);
	for (i = 0; i < sizeof(big); i++)
		big[i] = i % 2 ? '.' : 'a';
	ck_assert_int_eq(fwd_split_authority(big, 253, 1, host, sizeof(host),
	    &port), 0);
	ck_assert_int_eq(fwd_split_authority(big, 255, 1, host, sizeof(host),
	    &port), -1);
	ck_assert_int_eq(fwd_split_authority(big, 301, 1, host, sizeof(big),
	    &port), -1);
}
END_TEST

/* ---- proxy authentication -------------------------------------------- */

static char *
hash_of(const char *pw, const char *setting)
{
	static struct crypt_data cd;
	const char *r;
	char *s;

	r = crypt_r(pw, setting, &cd);
	ck_assert_msg(r != NULL && r[0] != '*', "crypt_r %s", setting);
	s = strdup(r);
	ck_assert_ptr_nonnull(s);
	return (s);
}

static void
b64(const char *in, size_t n, char *out, int pad)
{
	static const char a[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	const unsigned char *p = (const unsigned char *)in;
	size_t i;
	uint32_t v;

	for (i = 0; i + 2 < n; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*out++ = a[v >> 18];
		*out++ = a[v >> 12 & 63];
		*out++ = a[v >> 6 & 63];
		*out++ = a[v & 63];
	}
	if (n - i == 1) {
		v = (uint32_t)p[i] << 16;
		*out++ = a[v >> 18];
		*out++ = a[v >> 12 & 63];
		if (pad) {
			*out++ = '=';
			*out++ = '=';
		}
	} else if (n - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*out++ = a[v >> 18];
		*out++ = a[v >> 12 & 63];
		*out++ = a[v >> 6 & 63];
		if (pad)
			*out++ = '=';
	}
	*out = '\0';
}

/* "Basic " + base64(user:pw) */
static const char *
basic(const char *user, const char *pw)
{
	static char out[512];
	char cred[256];

	snprintf(cred, sizeof(cred), "%s:%s", user, pw);
	strcpy(out, "Basic ");
	b64(cred, strlen(cred), out + 6, 1);
	return (out);
}

static char who[64];

static int
pa(const struct cfg_forward *f, const char *value)
{
	memset(who, 'X', sizeof(who));
	return (pauth_check(f, value, strlen(value), who, sizeof(who)));
}

struct users {
	struct cfg_forward	f;
	struct cfg_user		u[3];
};

static void
users_setup(struct users *x)
{
	memset(x, 0, sizeof(*x));
	x->u[0].name = "alice";
	x->u[0].hash = hash_of("s3cret", "$6$saltsalt$");
	x->u[1].name = "bob";
	x->u[1].hash = hash_of("hunter2", "$2b$05$abcdefghijklmnopqrstuu");
	ck_assert(strncmp(x->u[1].hash, "$2b$05$", 7) == 0);
	x->u[2].name = "carol";
	x->u[2].hash = hash_of("pa:ss word", "$6$othersalt$");
	x->f.users = x->u;
	x->f.nusers = 3;
}

static void
users_free(struct users *x)
{
	int i;

	for (i = 0; i < 3; i++)
		free(x->u[i].hash);
}

START_TEST(auth_basic)
{
	struct users x;
	char v[512], tok[256];
	int round;

	users_setup(&x);
	/* twice: the second round is answered from the cache */
	for (round = 0; round < 2; round++) {
		ck_assert_int_eq(pa(&x.f, basic("alice", "s3cret")), 1);
		ck_assert_str_eq(who, "alice");
		ck_assert_int_eq(pa(&x.f, basic("bob", "hunter2")), 1);
		ck_assert_str_eq(who, "bob");
		ck_assert_int_eq(pa(&x.f, basic("carol", "pa:ss word")), 1);
		ck_assert_str_eq(who, "carol");

		ck_assert_int_eq(pa(&x.f, basic("alice", "s3creT")), 0);
		ck_assert_str_eq(who, "");
		ck_assert_int_eq(pa(&x.f, basic("alice", "")), 0);
		ck_assert_int_eq(pa(&x.f, basic("bob", "hunter")), 0);
		ck_assert_int_eq(pa(&x.f, basic("bob", "s3cret")), 0);
		ck_assert_int_eq(pa(&x.f, basic("carol", "pa")), 0);
		ck_assert_int_eq(pa(&x.f, basic("Alice", "s3cret")), 0);
		ck_assert_int_eq(pa(&x.f, basic("dave", "s3cret")), 0);
		ck_assert_int_eq(pa(&x.f, basic("", "s3cret")), 0);
		ck_assert_int_eq(pa(&x.f, basic("alice:s3cret", "")), 0);
	}

	/* scheme: any case, spaces or tabs, trailing white space */
	b64("alice:s3cret", 12, tok, 1);
	snprintf(v, sizeof(v), "basic %s", tok);
	ck_assert_int_eq(pa(&x.f, v), 1);
	snprintf(v, sizeof(v), "BASIC    %s  ", tok);
	ck_assert_int_eq(pa(&x.f, v), 1);
	snprintf(v, sizeof(v), " Basic\t%s", tok);
	ck_assert_int_eq(pa(&x.f, v), 1);
	/* len bounds the value */
	snprintf(v, sizeof(v), "Basic %sAAAA", tok);
	ck_assert_int_eq(pauth_check(&x.f, v, 6 + strlen(tok), who,
	    sizeof(who)), 1);
	ck_assert_int_eq(pa(&x.f, v), 0);
	/* the name is cut to the room given */
	ck_assert_int_eq(pauth_check(&x.f, v, 6 + strlen(tok), who, 3), 1);
	ck_assert_str_eq(who, "al");
	ck_assert_int_eq(pauth_check(&x.f, v, 6 + strlen(tok), NULL, 0), 1);

	/* not Basic, or nothing after it */
	snprintf(v, sizeof(v), "Bearer %s", tok);
	ck_assert_int_eq(pa(&x.f, v), 0);
	snprintf(v, sizeof(v), "Basic%s", tok);
	ck_assert_int_eq(pa(&x.f, v), 0);
	snprintf(v, sizeof(v), "Basics %s", tok);
	ck_assert_int_eq(pa(&x.f, v), 0);
	snprintf(v, sizeof(v), "Digest username=\"alice\"");
	ck_assert_int_eq(pa(&x.f, v), 0);
	ck_assert_int_eq(pa(&x.f, "Basic"), 0);
	ck_assert_int_eq(pa(&x.f, "Basic "), 0);
	ck_assert_int_eq(pa(&x.f, "Basic   "), 0);
	ck_assert_int_eq(pa(&x.f, ""), 0);
	ck_assert_int_eq(pauth_check(&x.f, NULL, 0, who, sizeof(who)), 0);

	/* malformed base64 */
	snprintf(v, sizeof(v), "Basic %s extra", tok);
	ck_assert_int_eq(pa(&x.f, v), 0);
	snprintf(v, sizeof(v), "Basic %sA", tok);
	ck_assert_int_eq(pa(&x.f, v), 0);
	snprintf(v, sizeof(v), "Basic %s=", tok);
	ck_assert_int_eq(pa(&x.f, v), 0);
	snprintf(v, sizeof(v), "Basic *%s", tok + 1);
	ck_assert_int_eq(pa(&x.f, v), 0);
	snprintf(v, sizeof(v), "Basic %.4s=%s", tok, tok + 5);
	ck_assert_int_eq(pa(&x.f, v), 0);
	ck_assert_int_eq(pa(&x.f, "Basic !!!!"), 0);
	ck_assert_int_eq(pa(&x.f, "Basic ===="), 0);
	b64("alice", 5, tok, 1);	/* no colon */
	snprintf(v, sizeof(v), "Basic %s", tok);
	ck_assert_int_eq(pa(&x.f, v), 0);
	b64("alice:s3cret\0x", 14, tok, 1);	/* a NUL inside */
	snprintf(v, sizeof(v), "Basic %s", tok);
	ck_assert_int_eq(pa(&x.f, v), 0);
	/* padding may be left out */
	b64("bob:hunter2", 11, tok, 0);
	snprintf(v, sizeof(v), "Basic %s", tok);
	ck_assert_int_eq(pa(&x.f, v), 1);

	/* no users: nobody passes */
	x.f.nusers = 0;
	ck_assert_int_eq(pa(&x.f, basic("alice", "s3cret")), 0);
	users_free(&x);
}
END_TEST

START_TEST(auth_hash_change)
{
	struct users x;
	char *old;

	users_setup(&x);
	ck_assert_int_eq(pa(&x.f, basic("alice", "s3cret")), 1);
	ck_assert_int_eq(pa(&x.f, basic("alice", "s3cret")), 1); /* cached */
	/* a new hash (config reload): the cached success no longer counts */
	old = x.u[0].hash;
	x.u[0].hash = hash_of("n3w", "$6$newsalt$");
	ck_assert_int_eq(pa(&x.f, basic("alice", "s3cret")), 0);
	ck_assert_int_eq(pa(&x.f, basic("alice", "n3w")), 1);
	ck_assert_int_eq(pa(&x.f, basic("alice", "n3w")), 1);
	/* the same password under another hash is verified again, and passes */
	free(x.u[0].hash);
	x.u[0].hash = hash_of("s3cret", "$6$moresalt$");
	ck_assert_int_eq(pa(&x.f, basic("alice", "s3cret")), 1);
	ck_assert_int_eq(pa(&x.f, basic("alice", "n3w")), 0);
	free(x.u[0].hash);
	x.u[0].hash = old;
	ck_assert_int_eq(pa(&x.f, basic("alice", "s3cret")), 1);
	/* a user removed: the cache does not keep them in */
	x.u[0].name = "alice2";
	ck_assert_int_eq(pa(&x.f, basic("alice", "s3cret")), 0);
	/* a locked or empty hash never passes */
	x.u[0].name = "alice";
	x.u[0].hash = "!";
	ck_assert_int_eq(pa(&x.f, basic("alice", "s3cret")), 0);
	x.u[0].hash = "";
	ck_assert_int_eq(pa(&x.f, basic("alice", "")), 0);
	x.u[0].hash = old;
	users_free(&x);
}
END_TEST

/* More credentials than the cache holds: still right, every time. */
START_TEST(auth_many)
{
	struct cfg_user u[24];
	struct cfg_forward f;
	char name[24][16], pw[24][16], salt[32];
	int i, round;

	memset(&f, 0, sizeof(f));
	for (i = 0; i < 24; i++) {
		snprintf(name[i], sizeof(name[i]), "user%d", i);
		snprintf(pw[i], sizeof(pw[i]), "pw%d", i * 7);
		snprintf(salt, sizeof(salt), "$6$rounds=1000$salt%d$", i);
		u[i].name = name[i];
		u[i].hash = hash_of(pw[i], salt);
	}
	f.users = u;
	f.nusers = 24;
	for (round = 0; round < 3; round++)
		for (i = 0; i < 24; i++) {
			ck_assert_int_eq(pa(&f, basic(name[i], pw[i])), 1);
			ck_assert_str_eq(who, name[i]);
			ck_assert_int_eq(pa(&f, basic(name[i],
			    pw[(i + 1) % 24])), 0);
		}
	for (i = 0; i < 24; i++)
		free(u[i].hash);
}
END_TEST

/* The cache is what makes a second request cheap. */
START_TEST(auth_cache_speed)
{
	struct cfg_forward f;
	struct cfg_user u;
	double t0, slow, fast;
	int i;

	memset(&f, 0, sizeof(f));
	u.name = "slow";
	u.hash = hash_of("pw", "$2b$10$0123456789abcdefghijku");
	f.users = &u;
	f.nusers = 1;
	t0 = clock_now();
	ck_assert_int_eq(pa(&f, basic("slow", "pw")), 1);
	slow = clock_now() - t0;
	t0 = clock_now();
	for (i = 0; i < 20; i++)
		ck_assert_int_eq(pa(&f, basic("slow", "pw")), 1);
	fast = clock_now() - t0;
	ck_assert_msg(fast < slow, "20 cached checks %.4f s, one crypt %.4f s",
	    fast, slow);
	/* a failure is never cached: a repeated one pays crypt again */
	ck_assert_int_eq(pa(&f, basic("slow", "wrong")), 0);
	t0 = clock_now();
	ck_assert_int_eq(pa(&f, basic("slow", "wrong")), 0);
	ck_assert_msg(clock_now() - t0 > fast, "a failure was cached");
	free(u.hash);
}
END_TEST

/* ---- resolver ---------------------------------------------------------- */

START_TEST(resolve_literals)
{
	struct addrlist l;
	struct sockaddr_in *sin = (struct sockaddr_in *)&l.sa[0];
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&l.sa[0];
	const char *why = "unset";

	ck_assert_int_eq(resolve_host("127.0.0.1", 8080, 1.0, &l, &why), 1);
	ck_assert_int_eq(l.n, 1);
	ck_assert_int_eq(sin->sin_family, AF_INET);
	ck_assert_int_eq(ntohs(sin->sin_port), 8080);
	ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001);
	ck_assert_int_eq(l.len[0], sizeof(struct sockaddr_in));

	ck_assert_int_eq(resolve_host("::1", 443, 1.0, &l, &why), 1);
	ck_assert_int_eq(sin6->sin6_family, AF_INET6);
	ck_assert_int_eq(ntohs(sin6->sin6_port), 443);
	ck_assert(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
	ck_assert_int_eq(l.len[0], sizeof(struct sockaddr_in6));
	/* even with no time at all: no resolver involved */
	ck_assert_int_eq(resolve_host("10.1.2.3", 1, 0, &l, &why), 1);
}
END_TEST

/* Every address of a name, each with the port, each once. */
static void
check_loopback_list(const struct addrlist *l, int port)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	int i, j;

	for (i = 0; i < l->n; i++) {
		if (l->sa[i].ss_family == AF_INET) {
			sin = (const struct sockaddr_in *)&l->sa[i];
			ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr) >> 24,
			    127);
			ck_assert_int_eq(ntohs(sin->sin_port), port);
			ck_assert_int_eq(l->len[i], sizeof(*sin));
		} else {
			ck_assert_int_eq(l->sa[i].ss_family, AF_INET6);
			sin6 = (const struct sockaddr_in6 *)&l->sa[i];
			ck_assert(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
			ck_assert_int_eq(ntohs(sin6->sin6_port), port);
			ck_assert_int_eq(l->len[i], sizeof(*sin6));
		}
		for (j = 0; j < i; j++)
			ck_assert(!addr_same((const struct sockaddr *)
			    &l->sa[i], (const struct sockaddr *)&l->sa[j]));
	}
}

START_TEST(resolve_names)
{
	struct addrlist l;
	const char *why = NULL;
	double t0;
	int n;

	n = resolve_host("localhost", 3128, 5.0, &l, &why);
	ck_assert_msg(n > 0, "localhost: %d %s", n, why ? why : "");
	ck_assert_int_eq(n, l.n);
	check_loopback_list(&l, 3128);
	/* the master's way, without threads: the same answer */
	{
		struct addrlist w;

		ck_assert_int_eq(resolve_host_wait("localhost", 3128, &w,
		    &why), n);
		ck_assert(addrlist_same(&w, &l));
		ck_assert_int_eq(resolve_host_wait("::1", 80, &w, &why), 1);
		ck_assert_int_eq(resolve_host_wait(
		    "no-such-host.porter-test.invalid", 80, &w, &why) <= 0, 1);
		ck_assert_ptr_nonnull(why);
		ck_assert_int_eq(w.n, 0);
	}

	why = NULL;
	t0 = clock_now();
	n = resolve_host("no-such-host.porter-test.invalid", 80, 2.0, &l,
	    &why);
	ck_assert_msg(n == 0 || n == -1, "n %d", n);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(clock_now() - t0 < 3.0, "took %.2f s", clock_now() - t0);
	if (n == 0)
		ck_assert_str_eq(why, "no such host");
}
END_TEST

/* Giving up early, then resolving again: nothing freed too soon. */
START_TEST(resolve_timeout)
{
	struct addrlist l;
	const char *why;
	int i, n;

	/*
	 * Timeouts around the time a lookup takes, many times: the end of
	 * the wait and the end of the lookup meet. With gai_suspend() that
	 * corrupted the heap about once in 20000 (a crash or a hang).
	 */
	for (i = 0; i < 20000; i++) {
		why = NULL;
		n = resolve_host("localhost", 80, (1 + i % 60) * 1e-6, &l,
		    &why);
		ck_assert_msg(n > 0 || (n == -1 && why != NULL &&
		    strcmp(why, "resolver timed out") == 0), "n %d %s", n,
		    why ? why : "");
	}
	n = resolve_host("localhost", 80, 5.0, &l, &why);
	ck_assert_int_gt(n, 0);
	usleep(200 * 1000);
	n = resolve_host("localhost", 80, 5.0, &l, &why);
	ck_assert_int_gt(n, 0);
}
END_TEST

/* The checker's way: start, poll until done; or start and abandon. */
START_TEST(resolve_async)
{
	struct resolve *r;
	struct addrlist l;
	const char *why = NULL;
	double t0 = clock_now();
	int n, i;

	r = resolve_start("localhost", 8443, &why);
	ck_assert_ptr_nonnull(r);
	while ((n = resolve_poll(r, &l, &why)) == RESOLVE_PENDING) {
		ck_assert_msg(clock_now() - t0 < 5.0, "still pending");
		usleep(1000);
	}
	ck_assert_msg(n > 0, "localhost: %d %s", n, why ? why : "");
	check_loopback_list(&l, 8443);

	r = resolve_start("no-such-host.porter-test.invalid", 80, &why);
	ck_assert_ptr_nonnull(r);
	while ((n = resolve_poll(r, &l, &why)) == RESOLVE_PENDING)
		usleep(1000);
	ck_assert_int_le(n, 0);
	ck_assert_ptr_nonnull(why);
	ck_assert_int_eq(l.n, 0);

	/* abandoned at once, many times: never touched after free (ASan) */
	for (i = 0; i < 20; i++) {
		r = resolve_start("localhost", 80, &why);
		ck_assert_ptr_nonnull(r);
		resolve_abandon(r);
	}
	usleep(100 * 1000);
	ck_assert_int_gt(resolve_host("localhost", 80, 5.0, &l, &why), 0);
}
END_TEST

/* The order to try, the text, and no duplicates. */
START_TEST(addrlist_ops)
{
	struct addrlist a, b;
	struct sockaddr_in s4;
	struct sockaddr_in6 s6;
	char buf[200];

	memset(&s4, 0, sizeof(s4));
	s4.sin_family = AF_INET;
	s4.sin_port = htons(9001);
	s4.sin_addr.s_addr = htonl(0x7f000001);
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons(9001);
	s6.sin6_addr = in6addr_loopback;
	a.n = b.n = 0;
	ck_assert_int_eq(addrlist_add(&a, (struct sockaddr *)&s6,
	    sizeof(s6)), 1);
	ck_assert_int_eq(addrlist_add(&a, (struct sockaddr *)&s4,
	    sizeof(s4)), 1);
	ck_assert_int_eq(addrlist_add(&a, (struct sockaddr *)&s4,
	    sizeof(s4)), 0);	/* once */
	ck_assert_int_eq(a.n, 2);
	ck_assert_str_eq(addrlist_text(&a, buf, sizeof(buf)),
	    "[::1]:9001, 127.0.0.1:9001");
	ck_assert_str_eq(addrlist_text(&a, buf, 8), "[::1]:9");
	ck_assert_int_eq(addrlist_find(&a, (struct sockaddr *)&s4), 1);
	(void)addrlist_add(&b, (struct sockaddr *)&s4, sizeof(s4));
	(void)addrlist_add(&b, (struct sockaddr *)&s6, sizeof(s6));
	ck_assert(!addrlist_same(&a, &b));	/* order counts */
	b = a;
	ck_assert(addrlist_same(&a, &b));
	ck_assert(addr_hash((struct sockaddr *)&s4) !=
	    addr_hash((struct sockaddr *)&s6));
	s4.sin_port = htons(9002);
	ck_assert_int_eq(addrlist_find(&a, (struct sockaddr *)&s4), -1);
	ck_assert(addr_hash((struct sockaddr *)&s4) !=
	    addr_hash((struct sockaddr *)&a.sa[1]));
}
END_TEST

/* ---- tunnel ------------------------------------------------------------ */

/*
 * The relay runs in a thread between a (client side) and b (server side);
 * the test plays the client on cpeer and the server on speer.
 */
struct relay {
	pthread_t		 th;
	struct tunnel_end	 a, b;
	double			 idle;
	size_t			 cap;
	struct tunnel_stats	 st;
	int			 rc;
	double			 took;
	int			 cpeer, speer;
};

static void *
relay_main(void *arg)
{
	struct relay *r = arg;
	char *buf = malloc(r->cap);
	double t0 = clock_now();

	ck_assert_ptr_nonnull(buf);
	r->rc = tunnel_relay(&r->a, &r->b, r->idle, buf, r->cap, &r->st);
	r->took = clock_now() - t0;
	free(buf);
	return (NULL);
}

static void
relay_start(struct relay *r, int tcp, double idle)
{
	int c[2], s[2];
	struct sockaddr_in sin;
	socklen_t sl = sizeof(sin);
	int l, i, *pair[2] = { c, s };

	if (!tcp) {
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, c), 0);
		ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, s), 0);
	} else {
		l = socket(AF_INET, SOCK_STREAM, 0);
		ck_assert_int_ge(l, 0);
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		ck_assert_int_eq(bind(l, (struct sockaddr *)&sin, sl), 0);
		ck_assert_int_eq(listen(l, 4), 0);
		ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sin, &sl),
		    0);
		for (i = 0; i < 2; i++) {
			pair[i][0] = socket(AF_INET, SOCK_STREAM, 0);
			ck_assert_int_eq(connect(pair[i][0],
			    (struct sockaddr *)&sin, sizeof(sin)), 0);
			pair[i][1] = accept(l, NULL, NULL);
			ck_assert_int_ge(pair[i][1], 0);
		}
		close(l);
	}
	r->cpeer = c[0];
	r->a.fd = c[1];
	r->b.fd = s[1];
	r->speer = s[0];
	r->idle = idle;
	if (r->cap == 0)
		r->cap = 32 * 1024;
	ck_assert_int_eq(pthread_create(&r->th, NULL, relay_main, r), 0);
}

static void
relay_join(struct relay *r)
{
	ck_assert_int_eq(pthread_join(r->th, NULL), 0);
	close(r->a.fd);
	close(r->b.fd);
}

static void
put(int fd, const char *s)
{
	ck_assert_int_eq(send(fd, s, strlen(s), MSG_NOSIGNAL),
	    (ssize_t)strlen(s));
}

/* Read exactly strlen(want) bytes (within 5 s) and compare. */
static void
expect(int fd, const char *want)
{
	char got[256];
	size_t n = strlen(want), have = 0;
	struct timeval tv = { 5, 0 };
	ssize_t r;

	ck_assert(n < sizeof(got));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (have < n) {
		r = recv(fd, got + have, n - have, 0);
		ck_assert_msg(r > 0, "recv: %zd %s", r, strerror(errno));
		have += (size_t)r;
	}
	got[n] = '\0';
	ck_assert_str_eq(got, want);
}

static void
expect_eof(int fd)
{
	struct timeval tv = { 5, 0 };
	char c;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ck_assert_int_eq(recv(fd, &c, 1, 0), 0);
}

START_TEST(tunnel_both_ways)
{
	struct relay r;
	struct timeval tv = { 0, 10 * 1000 };

	memset(&r, 0, sizeof(r));
	r.a.pre = "PRE-A";		/* from the server, for the client */
	r.a.npre = 5;
	r.b.pre = "PRE-B:";		/* from the client, for the server */
	r.b.npre = 6;
	relay_start(&r, _i, 5.0);
	/* short receive timeouts on the relay's sockets change nothing */
	setsockopt(r.a.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(r.b.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	expect(r.speer, "PRE-B:");
	expect(r.cpeer, "PRE-A");
	put(r.cpeer, "hello");
	expect(r.speer, "hello");
	usleep(50 * 1000);
	put(r.speer, "world");
	expect(r.cpeer, "world");
	/* the client is done sending: the server sees the end, can answer */
	ck_assert_int_eq(shutdown(r.cpeer, SHUT_WR), 0);
	expect_eof(r.speer);
	put(r.speer, "late");
	expect(r.cpeer, "late");
	ck_assert_int_eq(shutdown(r.speer, SHUT_WR), 0);
	expect_eof(r.cpeer);
	relay_join(&r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.st.end, "client closed");
	ck_assert_uint_eq(r.st.a2b, 6 + 5);
	ck_assert_uint_eq(r.st.b2a, 5 + 5 + 4);
	close(r.cpeer);
	close(r.speer);
}
END_TEST

START_TEST(tunnel_server_first)
{
	struct relay r;

	memset(&r, 0, sizeof(r));
	relay_start(&r, _i, 5.0);
	put(r.speer, "bye");
	close(r.speer);
	expect(r.cpeer, "bye");
	expect_eof(r.cpeer);
	close(r.cpeer);
	relay_join(&r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_str_eq(r.st.end, "server closed");
	ck_assert_uint_eq(r.st.b2a, 3);
	ck_assert_uint_eq(r.st.a2b, 0);
}
END_TEST

/* The server is gone; what the client still sends cannot be delivered. */
START_TEST(tunnel_server_gone)
{
	struct relay r;
	int i;

	memset(&r, 0, sizeof(r));
	relay_start(&r, _i, 5.0);
	close(r.speer);
	expect_eof(r.cpeer);
	/* TCP may take one write to learn of the reset */
	for (i = 0; i < 50 && pthread_tryjoin_np(r.th, NULL) == EBUSY; i++) {
		(void)send(r.cpeer, "more", 4, MSG_NOSIGNAL);
		usleep(20 * 1000);
	}
	ck_assert_int_lt(i, 50);
	close(r.a.fd);
	close(r.b.fd);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(r.st.end, "server error");
	close(r.cpeer);
}
END_TEST

/* A reset from the client ends the tunnel as a client error. */
START_TEST(tunnel_client_reset)
{
	struct relay r;
	struct linger lg = { 1, 0 };

	memset(&r, 0, sizeof(r));
	relay_start(&r, 1, 5.0);
	put(r.cpeer, "x");
	expect(r.speer, "x");
	ck_assert_int_eq(setsockopt(r.cpeer, SOL_SOCKET, SO_LINGER, &lg,
	    sizeof(lg)), 0);
	close(r.cpeer);
	relay_join(&r);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(r.st.end, "client error");
	ck_assert_uint_eq(r.st.a2b, 1);
	close(r.speer);
}
END_TEST

START_TEST(tunnel_idle)
{
	struct relay r;
	struct timeval tv;
	socklen_t tl = sizeof(tv);
	int i;

	memset(&r, 0, sizeof(r));
	relay_start(&r, _i, 0.3);
	relay_join(&r);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(r.st.end, "idle timeout");
	ck_assert_msg(r.took >= 0.29 && r.took < 2.0, "took %.3f s", r.took);
	close(r.cpeer);
	close(r.speer);

	/* traffic keeps it open; the send timeout is the idle time */
	memset(&r, 0, sizeof(r));
	relay_start(&r, _i, 0.3);
	for (i = 0; i < 5; i++) {
		usleep(100 * 1000);
		put(i % 2 ? r.speer : r.cpeer, "k");
	}
	ck_assert_int_eq(getsockopt(r.a.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &tl),
	    0);
	ck_assert_int_eq(tv.tv_sec, 0);
	ck_assert_int_ge(tv.tv_usec, 290000);
	ck_assert_int_le(tv.tv_usec, 300000);
	relay_join(&r);
	ck_assert_int_eq(r.rc, -1);
	ck_assert_str_eq(r.st.end, "idle timeout");
	ck_assert_msg(r.took >= 0.75, "took %.3f s", r.took);
	ck_assert_uint_eq(r.st.a2b, 3);
	ck_assert_uint_eq(r.st.b2a, 2);
	close(r.cpeer);
	close(r.speer);
}
END_TEST

/* Bulk both ways at once, with pre bytes bigger than a half buffer. */
#define BULK	(3 * 1024 * 1024 + 17)
#define PRE	(100 * 1000)

struct pump {
	pthread_t	 th;
	int		 fd, shut;
	uint8_t		 seed;
	size_t		 n, off;	/* stream offset of the first byte */
	int		 ok;
};

static uint8_t
pat(uint8_t seed, size_t i)
{
	return ((uint8_t)(seed + i * 7 + (i >> 10)));
}

static void *
pump_write(void *arg)
{
	struct pump *p = arg;
	uint8_t chunk[7000];
	size_t i = 0, k, j;
	ssize_t w;

	while (i < p->n) {
		k = p->n - i < sizeof(chunk) ? p->n - i : sizeof(chunk);
		for (j = 0; j < k; j++)
			chunk[j] = pat(p->seed, p->off + i + j);
		w = send(p->fd, chunk, k, MSG_NOSIGNAL);
		if (w <= 0)
			return (NULL);
		i += (size_t)w;
	}
	if (p->shut)
		shutdown(p->fd, SHUT_WR);
	p->ok = 1;
	return (NULL);
}

static void *
pump_read(void *arg)
{
	struct pump *p = arg;
	uint8_t chunk[5000];
	size_t i = 0, j;
	ssize_t r;

	for (;;) {
		r = recv(p->fd, chunk, sizeof(chunk), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		for (j = 0; j < (size_t)r; j++)
			if (chunk[j] != pat(p->seed, i + j))
				return (NULL);
		i += (size_t)r;
	}
	p->ok = r == 0 && i == p->n;
	return (NULL);
}

START_TEST(tunnel_bulk)
{
	struct relay r;
	struct pump w[2], rd[2];
	char *pre[2];
	size_t i;
	int k;

	memset(&r, 0, sizeof(r));
	memset(w, 0, sizeof(w));
	memset(rd, 0, sizeof(rd));
	for (k = 0; k < 2; k++) {
		pre[k] = malloc(PRE);
		ck_assert_ptr_nonnull(pre[k]);
		for (i = 0; i < PRE; i++)
			pre[k][i] = (char)pat((uint8_t)(k + 1), i);
	}
	r.b.pre = pre[0];		/* client to server: seed 1 */
	r.b.npre = PRE;
	r.a.pre = pre[1];		/* server to client: seed 2 */
	r.a.npre = PRE;
	r.cap = 32 * 1024;
	relay_start(&r, _i, 10.0);

	/* the client sends seed 1 after the pre bytes, the server seed 2 */
	w[0] = (struct pump){ .fd = r.cpeer, .shut = 1, .seed = 1, .n = BULK,
	    .off = PRE };
	w[1] = (struct pump){ .fd = r.speer, .shut = 1, .seed = 2, .n = BULK,
	    .off = PRE };
	rd[0] = (struct pump){ .fd = r.speer, .seed = 1, .n = PRE + BULK };
	rd[1] = (struct pump){ .fd = r.cpeer, .seed = 2, .n = PRE + BULK };
	for (k = 0; k < 2; k++) {
		ck_assert_int_eq(pthread_create(&w[k].th, NULL, pump_write,
		    &w[k]), 0);
		ck_assert_int_eq(pthread_create(&rd[k].th, NULL, pump_read,
		    &rd[k]), 0);
	}
	for (k = 0; k < 2; k++) {
		pthread_join(w[k].th, NULL);
		pthread_join(rd[k].th, NULL);
		ck_assert_msg(w[k].ok, "writer %d", k);
		ck_assert_msg(rd[k].ok, "reader %d", k);
	}
	relay_join(&r);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_uint_eq(r.st.a2b, PRE + BULK);
	ck_assert_uint_eq(r.st.b2a, PRE + BULK);
	for (k = 0; k < 2; k++)
		free(pre[k]);
	close(r.cpeer);
	close(r.speer);
}
END_TEST

/* A server that does not read must not stop what it sends back. */
START_TEST(tunnel_no_head_of_line)
{
	struct relay r;
	struct pump w;

	memset(&r, 0, sizeof(r));
	relay_start(&r, _i, 10.0);
	memset(&w, 0, sizeof(w));
	w = (struct pump){ .fd = r.cpeer, .seed = 3, .n = 8 * 1024 * 1024 };
	ck_assert_int_eq(pthread_create(&w.th, NULL, pump_write, &w), 0);
	usleep(200 * 1000);	/* every buffer on the way fills up */
	put(r.speer, "ping");
	expect(r.cpeer, "ping");
	close(r.speer);		/* the client's writes now fail */
	shutdown(r.cpeer, SHUT_RDWR);
	pthread_join(w.th, NULL);
	relay_join(&r);
	ck_assert_int_eq(r.rc, -1);
	close(r.cpeer);
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("forward");
	TCase *rules = tcase_create("rules");
	TCase *auth = tcase_create("auth");
	TCase *net = tcase_create("net");
	SRunner *sr;
	int failed;

	signal(SIGPIPE, SIG_IGN);
	tcase_add_test(rules, host_exact);
	tcase_add_test(rules, host_domain);
	tcase_add_test(rules, host_literals);
	tcase_add_test(rules, blocked_lists);
	tcase_add_test(rules, blocked_allow_first);
	tcase_add_test(rules, blocked_url_bounds);
	tcase_add_test(rules, private_v4);
	tcase_add_test(rules, private_v6);
	tcase_add_test(rules, use_parent);
	tcase_add_test(rules, via_tokens);
	tcase_add_test(rules, authority_good);
	tcase_add_test(rules, authority_bad);
	suite_add_tcase(s, rules);

	tcase_set_timeout(auth, 30);
	tcase_add_test(auth, auth_basic);
	tcase_add_test(auth, auth_hash_change);
	tcase_add_test(auth, auth_many);
	tcase_add_test(auth, auth_cache_speed);
	suite_add_tcase(s, auth);

	/* _i: 0 over socketpairs, 1 over loopback TCP */
	tcase_set_timeout(net, 30);
	tcase_add_test(net, resolve_literals);
	tcase_add_test(net, resolve_names);
	tcase_add_test(net, resolve_timeout);
	tcase_add_test(net, resolve_async);
	tcase_add_test(net, addrlist_ops);
	tcase_add_loop_test(net, tunnel_both_ways, 0, 2);
	tcase_add_loop_test(net, tunnel_server_first, 0, 2);
	tcase_add_loop_test(net, tunnel_server_gone, 0, 2);
	tcase_add_test(net, tunnel_client_reset);
	tcase_add_loop_test(net, tunnel_idle, 0, 2);
	tcase_add_loop_test(net, tunnel_bulk, 0, 2);
	tcase_add_loop_test(net, tunnel_no_head_of_line, 0, 2);
	suite_add_tcase(s, net);

	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
