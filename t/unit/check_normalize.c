/*
 * Path normalisation: every way of spelling /admin differently, refusals,
 * and properties (never longer, idempotent, agrees with a literal
 * transcription of RFC 3986 5.2.4) over generated paths.
 */
#include "config.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "worker/normalize.h"

#define MAXP	256

/* Normalise a C string; "!why" on error, so one comparison checks both. */
static const char *
norm(const char *in, int allow)
{
	static char out[4096];
	const char *why = NULL;
	size_t len = strlen(in);
	long n;

	ck_assert_uint_lt(len, sizeof(out) - 8);
	n = norm_path(in, len, out, allow, &why);
	if (n < 0) {
		ck_assert_ptr_nonnull(why);
		ck_assert_str_eq(out, "");
		snprintf(out, sizeof(out), "!%s", why);
		return (out);
	}
	ck_assert_int_le(n, (long)len);
	ck_assert_uint_eq(strlen(out), (size_t)n);
	return (out);
}

START_TEST(admin_bypasses)
{
	static const char *forms[] = {
		"/admin", "/./admin", "/x/../admin", "//admin", "///admin",
		"/%61dmin", "/%61%64%6D%69%6e", "/%2e/admin", "/%2E/admin",
		"/x/%2e%2e/admin", "/x/%2E%2e/admin", "/x/.%2e/admin",
		"/../admin", "/../../admin", "/%2e%2e/admin", "/./././admin",
		"/x/y/../../admin", "/x//..//admin", "/.//admin",
	};
	size_t i;

	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		ck_assert_msg(strcmp(norm(forms[i], 0), "/admin") == 0,
		    "%s -> %s", forms[i], norm(forms[i], 0));
		ck_assert_msg(strcmp(norm(forms[i], 1), "/admin") == 0,
		    "%s -> %s (allow)", forms[i], norm(forms[i], 1));
	}
	/* "/admin/" is a different resource; prefix rules catch both */
	ck_assert_str_eq(norm("/admin/.", 0), "/admin/");
	ck_assert_str_eq(norm("/admin/x/..", 0), "/admin/");
	ck_assert_str_eq(norm("/admin//", 0), "/admin/");
}
END_TEST

START_TEST(case_kept)
{
	ck_assert_str_eq(norm("/ADMIN", 0), "/ADMIN");
	ck_assert_str_eq(norm("/Admin/Sub", 0), "/Admin/Sub");
	ck_assert_str_eq(norm("/%41DMIN", 0), "/ADMIN");
	ck_assert_str_eq(norm("/%61DMIN", 0), "/aDMIN");
}
END_TEST

START_TEST(dot_segments)
{
	ck_assert_str_eq(norm("/", 0), "/");
	ck_assert_str_eq(norm("/a/./b", 0), "/a/b");
	ck_assert_str_eq(norm("/a/b/../c", 0), "/a/c");
	ck_assert_str_eq(norm("/../a", 0), "/a");
	ck_assert_str_eq(norm("/a/..", 0), "/");
	ck_assert_str_eq(norm("/a/.", 0), "/a/");
	ck_assert_str_eq(norm("/a/b/..", 0), "/a/");
	ck_assert_str_eq(norm("/a/b/../", 0), "/a/");
	ck_assert_str_eq(norm("/.", 0), "/");
	ck_assert_str_eq(norm("/..", 0), "/");
	ck_assert_str_eq(norm("/../..", 0), "/");
	ck_assert_str_eq(norm("/a/", 0), "/a/");
	ck_assert_str_eq(norm("/a/b/c/./../../g", 0), "/a/g");
	ck_assert_str_eq(norm("/mid/content=5/../6", 0), "/mid/6");
	/* only whole segments are dot segments */
	ck_assert_str_eq(norm("/a/.../b", 0), "/a/.../b");
	ck_assert_str_eq(norm("/a/..b/.c/b./c..", 0), "/a/..b/.c/b./c..");
	ck_assert_str_eq(norm("/.hidden", 0), "/.hidden");
	ck_assert_str_eq(norm("/%2e%2e%2e", 0), "/...");
}
END_TEST

START_TEST(slashes)
{
	ck_assert_str_eq(norm("//", 0), "/");
	ck_assert_str_eq(norm("///", 0), "/");
	ck_assert_str_eq(norm("//a///b", 0), "/a/b");
	ck_assert_str_eq(norm("/a//", 0), "/a/");
	ck_assert_str_eq(norm("/a//b//", 0), "/a/b/");
}
END_TEST

START_TEST(encoded_slash)
{
	ck_assert_str_eq(norm("/admin%2F", 0), "!encoded slash");
	ck_assert_str_eq(norm("/admin%2f", 0), "!encoded slash");
	ck_assert_str_eq(norm("/a%2fb", 0), "!encoded slash");
	ck_assert_str_eq(norm("/admin%2F", 1), "/admin%2F");
	ck_assert_str_eq(norm("/admin%2f", 1), "/admin%2F");
	/* kept encoded, %2F does not separate segments */
	ck_assert_str_eq(norm("/a%2F..", 1), "/a%2F..");
	ck_assert_str_eq(norm("/a%2F../b", 1), "/a%2F../b");
	ck_assert_str_eq(norm("/a%2F%2e%2e/..", 1), "/");
	ck_assert_str_eq(norm("/x/%2f/../y", 1), "/x/y");
}
END_TEST

START_TEST(encoded_nul)
{
	ck_assert_str_eq(norm("/%00", 0), "!encoded NUL");
	ck_assert_str_eq(norm("/a%00b", 1), "!encoded NUL");
	ck_assert_str_eq(norm("/a%00/../b", 0), "!encoded NUL");
	{
		/* a raw NUL inside the length */
		static const char raw[] = "/ad\0min";
		char out[sizeof(raw)];
		const char *why = NULL;

		ck_assert_int_eq(norm_path(raw, sizeof(raw) - 1, out, 0, &why),
		    -1);
		ck_assert_str_eq(why, "encoded NUL");
	}
}
END_TEST

START_TEST(bad_percent)
{
	static const char *bad[] = {
		"/%zz", "/%4", "/%", "/a%", "/a%g1", "/a%1g", "/%%41", "/%-1",
		"/% 1", "/a/%4/b", "/%41%",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(strcmp(norm(bad[i], 0), "!bad percent-encoding")
		    == 0, "%s -> %s", bad[i], norm(bad[i], 0));
		ck_assert_msg(strcmp(norm(bad[i], 1), "!bad percent-encoding")
		    == 0, "%s -> %s (allow)", bad[i], norm(bad[i], 1));
	}
	{
		/* the length, not a NUL, ends the input: "%4" then "1" unseen */
		char out[8];
		const char *why = NULL;

		ck_assert_int_eq(norm_path("/%41", 3, out, 0, &why), -1);
		ck_assert_str_eq(why, "bad percent-encoding");
	}
}
END_TEST

START_TEST(not_a_path)
{
	char out[8];

	ck_assert_str_eq(norm("", 0), "!not a path");
	ck_assert_str_eq(norm("a/b", 0), "!not a path");
	ck_assert_str_eq(norm("*", 0), "!not a path");
	ck_assert_str_eq(norm("%2Fadmin", 1), "!not a path");
	ck_assert_str_eq(norm("http://h/", 0), "!not a path");
	/* why may be NULL */
	ck_assert_int_eq(norm_path("x", 1, out, 0, NULL), -1);
	ck_assert_int_eq(norm_path("/%", 2, out, 0, NULL), -1);
	ck_assert_int_eq(norm_path("/a", 2, out, 0, NULL), 2);
}
END_TEST

START_TEST(escapes)
{
	/* unreserved: decoded in any case */
	ck_assert_str_eq(norm("/%7e%7E%2d%2D%5f%5F%2e%30%39%41%5a%61%7a", 0),
	    "/~~--__.09AZaz");
	/* reserved and others: kept, hex upper-cased, so they compare equal */
	ck_assert_str_eq(norm("/a%20b", 0), "/a%20b");
	ck_assert_str_eq(norm("/a%3fb", 0), "/a%3Fb");
	ck_assert_str_eq(norm("/a%3Fb", 0), "/a%3Fb");
	ck_assert_str_eq(norm("/%e2%82%ac", 0), "/%E2%82%AC");
	ck_assert_str_eq(norm("/%25", 0), "/%25");
	ck_assert_str_eq(norm("/%2541", 0), "/%2541");
	ck_assert_str_eq(norm("/%3b%3D%40%ff%7f%01", 0),
	    "/%3B%3D%40%FF%7F%01");
	/* raw bytes other than '%' pass untouched */
	ck_assert_str_eq(norm("/a;b=c,d@e+f!$'()*:", 0),
	    "/a;b=c,d@e+f!$'()*:");
}
END_TEST

START_TEST(query_split)
{
	static const char t[] = "/x/../admin?a=/../b&c=%00";
	size_t pl;
	char out[sizeof(t)];
	const char *why = NULL;

	ck_assert_int_eq(norm_split_query(t, strlen(t), &pl), 1);
	ck_assert_uint_eq(pl, 11);
	ck_assert_int_eq(norm_path(t, pl, out, 0, &why), 6);
	ck_assert_str_eq(out, "/admin");

	ck_assert_int_eq(norm_split_query("/a", 2, &pl), 0);
	ck_assert_uint_eq(pl, 2);
	ck_assert_int_eq(norm_split_query("/a?", 3, &pl), 1);
	ck_assert_uint_eq(pl, 2);
	ck_assert_int_eq(norm_split_query("?", 1, &pl), 1);
	ck_assert_uint_eq(pl, 0);
	ck_assert_int_eq(norm_split_query("/a?b?c", 6, &pl), 1);
	ck_assert_uint_eq(pl, 2);
	/* the length bounds the search */
	ck_assert_int_eq(norm_split_query("/a?b", 2, &pl), 0);
	ck_assert_uint_eq(pl, 2);
}
END_TEST

START_TEST(in_place)
{
	char buf[] = "//x/%2e%2E/%61dmin/%3f/./";
	long n;

	n = norm_path(buf, strlen(buf), buf, 0, NULL);
	ck_assert_int_eq(n, 11);
	ck_assert_str_eq(buf, "/admin/%3F/");
}
END_TEST

/*
 * Exact-size output buffer: len + 1, on the heap so ASan sees overruns.
 * Hot loops call plain conditions and ck_abort_msg(): every passing
 * ck_assert costs Check a write(2).
 */
static long
norm_exact(const char *in, size_t len, int allow, char **outp)
{
	char *out = malloc(len + 1);

	if (out == NULL)
		ck_abort_msg("out of memory");
	*outp = out;
	return (norm_path(in, len, out, allow, NULL));
}

START_TEST(long_inputs)
{
	size_t len = 1 << 20, i;
	char *in = malloc(len + 1), *out;
	long n;

	ck_assert_ptr_nonnull(in);

	/* all slashes */
	memset(in, '/', len);
	n = norm_exact(in, len, 0, &out);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(out, "/");
	free(out);

	/* deep climb above the root */
	for (i = 0; i + 3 <= len; i += 3)
		memcpy(in + i, "/..", 3);
	memcpy(in + i - 3, "/ok", 3);
	n = norm_exact(in, i, 0, &out);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(out, "/ok");
	free(out);

	/* deep tree then as deep a climb: every ".." pops one segment */
	for (i = 0; i < len / 5 * 2; i += 2)
		memcpy(in + i, "/a", 2);
	for (; i < len / 5 * 5; i += 3)
		memcpy(in + i, "/..", 3);
	n = norm_exact(in, i, 0, &out);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(out, "/");
	free(out);
	/* one ".." short of the root */
	n = norm_exact(in, i - 3, 0, &out);
	ck_assert_int_eq(n, 3);
	ck_assert_str_eq(out, "/a/");
	free(out);

	/* all decodable escapes: shrinks to a third */
	in[0] = '/';
	for (i = 1; i + 3 <= len; i += 3)
		memcpy(in + i, "%61", 3);
	n = norm_exact(in, i, 0, &out);
	ck_assert_int_eq(n, 1 + (long)(i - 1) / 3);
	ck_assert_int_eq(out[n - 1], 'a');
	free(out);

	/* all kept escapes: the same length */
	for (i = 1; i + 3 <= len; i += 3)
		memcpy(in + i, "%2f", 3);
	n = norm_exact(in, i, 1, &out);
	ck_assert_int_eq(n, (long)i);
	ck_assert_int_eq(memcmp(out + 1, "%2F%2F", 6), 0);
	free(out);

	/* one long segment */
	in[0] = '/';
	memset(in + 1, 'x', len - 1);
	n = norm_exact(in, len, 0, &out);
	ck_assert_int_eq(n, (long)len);
	ck_assert_int_eq(memcmp(in, out, len), 0);
	free(out);

	free(in);
}
END_TEST

/*
 * The reference: decode as the rules say, merge slashes, then the RFC 3986
 * 5.2.4 loop transcribed literally (rules A to E) on string buffers.
 * Returns -1 where norm_path must refuse.
 */
static int
ref_hex(int c)
{
	if (c >= '0' && c <= '9')
		return (c - '0');
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

static int
ref_norm(const char *in, int allow, char *out)
{
	char dec[4 * MAXP], buf[4 * MAXP], res[4 * MAXP];
	size_t i, n = 0, m, r = 0, inlen = strlen(in);
	int v;

	if (in[0] != '/')
		return (-1);
	for (i = 0; i < inlen; i++) {
		if (in[i] != '%') {
			dec[n++] = in[i];
			continue;
		}
		if (i + 2 >= inlen || ref_hex(in[i + 1]) < 0 ||
		    ref_hex(in[i + 2]) < 0)
			return (-1);
		v = ref_hex(in[i + 1]) * 16 + ref_hex(in[i + 2]);
		if (v == 0 || (v == '/' && !allow))
			return (-1);
		if (strchr("-._~", v) != NULL || (v >= '0' && v <= '9') ||
		    ((v | 0x20) >= 'a' && (v | 0x20) <= 'z'))
			dec[n++] = (char)v;
		else
			n += (size_t)sprintf(dec + n, "%%%02X", v);
		i += 2;
	}
	dec[n] = '\0';

	/* merge slashes */
	for (i = 0, m = 0; i < n; i++)
		if (!(dec[i] == '/' && m > 0 && buf[m - 1] == '/'))
			buf[m++] = dec[i];
	buf[m] = '\0';

	/* RFC 3986 5.2.4 */
	while (buf[0] != '\0') {
		if (strncmp(buf, "../", 3) == 0)
			memmove(buf, buf + 3, strlen(buf + 3) + 1);
		else if (strncmp(buf, "./", 2) == 0)
			memmove(buf, buf + 2, strlen(buf + 2) + 1);
		else if (strncmp(buf, "/./", 3) == 0)
			memmove(buf, buf + 2, strlen(buf + 2) + 1);
		else if (strcmp(buf, "/.") == 0)
			strcpy(buf, "/");
		else if (strncmp(buf, "/../", 4) == 0 || strcmp(buf, "/..") == 0) {
			if (buf[3] == '/')
				memmove(buf, buf + 3, strlen(buf + 3) + 1);
			else
				strcpy(buf, "/");
			while (r > 0 && res[--r] != '/')
				;
		} else if (strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0)
			buf[0] = '\0';
		else {
			i = buf[0] == '/' ? 1 : 0;
			while (buf[i] != '\0' && buf[i] != '/')
				i++;
			memcpy(res + r, buf, i);
			r += i;
			memmove(buf, buf + i, strlen(buf + i) + 1);
		}
	}
	res[r] = '\0';
	strcpy(out, res);
	return ((int)r);
}

static const char *tokens[] = {
	"/", "/", ".", "..", "a", "B", "%2e", "%2E", "%2f", "%2F", "%41",
	"%7e", "%3f", "%20", "%", "%0", "%00", "%g0", "%e2%82%ac",
};
#define NTOK	(sizeof(tokens) / sizeof(tokens[0]))

static unsigned long ncheck, nok;

/* Every property on one input, for both settings of allow_encoded_slash. */
static void
check_one(const char *in)
{
	char *out, *out2, ref[4 * MAXP];
	size_t len = strlen(in);
	long n, n2;
	int allow, rn;

	for (allow = 0; allow <= 1; allow++) {
		ncheck++;
		n = norm_exact(in, len, allow, &out);
		rn = ref_norm(in, allow, ref);
		if (n != rn)
			ck_abort_msg("%s (allow %d): %ld, reference %d",
			    in, allow, n, rn);
		if (n < 0) {
			if (out[0] != '\0')
				ck_abort_msg("%s (allow %d): dst not emptied",
				    in, allow);
			free(out);
			continue;
		}
		nok++;
		if (strcmp(out, ref) != 0)
			ck_abort_msg("%s (allow %d): \"%s\", reference \"%s\"",
			    in, allow, out, ref);
		if (n > (long)len || strlen(out) != (size_t)n ||
		    out[0] != '/' || strstr(out, "//") != NULL ||
		    strstr(out, "/./") != NULL || strstr(out, "/../") != NULL ||
		    (n >= 2 && strcmp(out + n - 2, "/.") == 0) ||
		    (n >= 3 && strcmp(out + n - 3, "/..") == 0))
			ck_abort_msg("%s (allow %d): bad result \"%s\"",
			    in, allow, out);
		/* idempotent */
		n2 = norm_exact(out, (size_t)n, allow, &out2);
		if (n2 != n || strcmp(out, out2) != 0)
			ck_abort_msg("%s (allow %d): \"%s\" then \"%s\"",
			    in, allow, out, out2);
		free(out2);
		free(out);
	}
}

static void
gen(char *buf, size_t len, int depth)
{
	size_t i, tl;

	check_one(buf);
	if (depth == 0)
		return;
	for (i = 0; i < NTOK; i++) {
		tl = strlen(tokens[i]);
		memcpy(buf + len, tokens[i], tl + 1);
		gen(buf, len + tl, depth - 1);
	}
	buf[len] = '\0';
}

START_TEST(generated_paths)
{
	char buf[MAXP];

	ncheck = nok = 0;
	buf[0] = '/';
	buf[1] = '\0';
	gen(buf, 1, 4);
	/* also targets not starting with '/' */
	strcpy(buf, "a");
	gen(buf, 1, 2);
	strcpy(buf, "%2F");
	gen(buf, 3, 2);
	/* the generator must reach both outcomes in numbers */
	ck_assert_uint_gt(nok, 10000);
	ck_assert_uint_gt(ncheck - nok, 10000);
}
END_TEST

START_TEST(random_paths)
{
	static const char alpha[] = "/./..%2eEfF0a4%";
	char buf[MAXP];
	unsigned long x = 0x9e3779b97f4a7c15UL;
	size_t len, i;
	int k;

	for (k = 0; k < 50000; k++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		len = 1 + (size_t)(x % 40);
		buf[0] = '/';
		for (i = 1; i < len; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			buf[i] = alpha[x % (sizeof(alpha) - 1)];
		}
		buf[len] = '\0';
		check_one(buf);
	}
}
END_TEST

int
main(void)
{
	Suite *s = suite_create("normalize");
	TCase *tc = tcase_create("normalize");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, admin_bypasses);
	tcase_add_test(tc, case_kept);
	tcase_add_test(tc, dot_segments);
	tcase_add_test(tc, slashes);
	tcase_add_test(tc, encoded_slash);
	tcase_add_test(tc, encoded_nul);
	tcase_add_test(tc, bad_percent);
	tcase_add_test(tc, not_a_path);
	tcase_add_test(tc, escapes);
	tcase_add_test(tc, query_split);
	tcase_add_test(tc, in_place);
	tcase_add_test(tc, long_inputs);
	suite_add_tcase(s, tc);
	/* a few seconds under valgrind or a slow sanitizer build */
	tc = tcase_create("properties");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, generated_paths);
	tcase_add_test(tc, random_paths);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return (failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE);
}
