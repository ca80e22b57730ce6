#!/bin/bash
# c008: Range requests on a stored 200 (RFC 9110 14), served by porter
# alone. A 1000-byte object (received chunked from the backend, so the
# length is the store's): bytes=10-19 -> 206, Content-Range: bytes
# 10-19/1000, Content-Length 10, exactly those bytes; bytes=990- and
# bytes=-5 the tail; bytes=995-2000 clipped to 995-999; bytes=2000-3000
# -> 416 with Content-Range: bytes */1000; two ranges -> the whole 200;
# If-Range with the ETag -> 206, with another ETag -> the whole 200. No
# backend request after the first.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

cache_start

R="/cache/range?size=1000&seed=3&chunked=1&etag=r1&h=Cache-Control:max-age%3D60"
creq a "$R"
need_cache_status "a 1000-byte object"
expect_match "$R_CS" "$CS_MISS" "1000 bytes: stored"
gen_range 3 1000 >"$T/all"
expect_eq "$(sha_of "$T/a.b")" "$(sha_of "$T/all")" "1000 bytes: the backend's bytes"
creq a2 "$R"
expect_match "$R_CS" "$CS_HIT" "1000 bytes: a hit"
expect_eq "$(hval Content-Length "$R_HEAD")" 1000 "the hit has Content-Length: 1000"

rng() {	# RANGE FIRST LAST [CURL ARGS...]: 206 with bytes FIRST..LAST
	local r=$1 a=$2 z=$3
	shift 3
	creq rg "$R" -H "Range: bytes=$r" "$@"
	expect_eq "$R_CODE" 206 "bytes=$r: 206"
	expect_eq "$(hval Content-Range "$R_HEAD")" "bytes $a-$z/1000" "bytes=$r: Content-Range bytes $a-$z/1000"
	expect_eq "$(hval Content-Length "$R_HEAD")" $((z - a + 1)) "bytes=$r: Content-Length $((z - a + 1))"
	expect_eq "$(od -An -tx1 <"$T/rg.b" | tr -d ' \n')" \
	    "$(tail -c +$((a + 1)) "$T/all" | head -c $((z - a + 1)) | od -An -tx1 | tr -d ' \n')" \
	    "bytes=$r: exactly bytes $a-$z"
	expect_match "$R_CS" "$CS_HIT" "bytes=$r: from the cache"
}
rng 10-19 10 19
rng 0-0 0 0
rng 990- 990 999
rng -5 995 999
rng 995-2000 995 999
rng 10-19 10 19 -H 'If-Range: "r1"'

creq u "$R" -H 'Range: bytes=2000-3000'
expect_eq "$R_CODE" 416 "bytes=2000-3000: 416"
expect_eq "$(hval Content-Range "$R_HEAD")" "bytes */1000" "416: Content-Range: bytes */1000"

creq m "$R" -H 'Range: bytes=0-1,5-6'
expect_eq "$R_CODE" 200 "two ranges: the whole 200"
expect_eq "$(sha_of "$T/m.b")" "$(sha_of "$T/all")" "two ranges: all 1000 bytes"
creq ir "$R" -H 'Range: bytes=10-19' -H 'If-Range: "other"'
expect_eq "$R_CODE" 200 "If-Range with another ETag: the whole 200"
expect_eq "$(sha_of "$T/ir.b")" "$(sha_of "$T/all")" "If-Range mismatch: all 1000 bytes"
expect_eq "$(bpath /cache/range)" 1 "ranges: one backend request in all"

expect_no_alerts
porter_stop
done_testing
