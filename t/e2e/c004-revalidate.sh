#!/bin/bash
# c004: validators (RFC 9111 4.3). A stored response with an ETag and
# max-age=1, 2 s later, is revalidated: the backend sees If-None-Match with
# that ETag and answers 304 with new fields (X-Fetch: 2, Cache-Control:
# max-age=60, X-Rev: new); the client gets 200 with the stored body (fetch
# 1) and the new fields, Cache-Status porter; fwd=stale; fwd-status=304;
# ttl=N (N about 60), and the next request is a plain hit with the updated
# head. The same with Last-Modified only: the backend sees
# If-Modified-Since. Client conditionals on a fresh entry are answered by
# porter, no backend request: If-None-Match with the ETag (strong or W/) or
# *, If-Modified-Since at or after Last-Modified -> 304 with the ETag and no
# body; an ETag that does not match, an older date, or If-None-Match that
# does not match beside a matching If-Modified-Since -> 200 from the cache.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

cache_start

# ---- ETag revalidation ------------------------------------------------------
RV="/cache/rv?etag=v1&h200=Cache-Control:max-age%3D1&h304=Cache-Control:max-age%3D60&h304=X-Rev:new&h=X-All:1"
creq a "$RV"
need_cache_status "ETag, max-age=1"
expect_match "$R_CS" "$CS_MISS" "ETag, max-age=1: stored"
expect_eq "$(hval ETag "$R_HEAD")" '"v1"' "ETag, max-age=1: its ETag"
f1=$R_FETCH
body1=$R_BODY
expect_eq "$(bfield /cache/rv If-None-Match)" "" "the first request had no If-None-Match"
sleep 2.2
creq b "$RV"
expect_eq "$R_CODE" 200 "stale: the client gets 200"
expect_match "$R_CS" "$CS_REVAL" "stale: revalidated (fwd=stale; fwd-status=304)"
expect_ge "${R_TTL:--1}" 55 "revalidated: ttl ${R_TTL:-none} from the 304's max-age=60"
expect_eq "$(bpath /cache/rv)" 2 "stale: one more backend request"
expect_eq "$(bfield /cache/rv If-None-Match)" '"v1"' "the backend saw If-None-Match: \"v1\""
expect_eq "$R_BODY" "$body1" "revalidated: the stored body (fetch $f1)"
expect_eq "$R_FETCH" "$((f1 + 1))" "revalidated: X-Fetch from the 304"
expect_eq "$(hval X-Rev "$R_HEAD")" new "revalidated: a field only the 304 had"
expect_eq "$(hval Cache-Control "$R_HEAD")" "max-age=60" "revalidated: the 304's Cache-Control replaces the stored one"
expect_eq "$(hcount Cache-Control "$R_HEAD")" 1 "revalidated: one Cache-Control"
expect_eq "$(hval X-All "$R_HEAD")" 1 "revalidated: the stored fields are kept"
expect_eq "$(hval Content-Length "$R_HEAD")" "$(wc -c <"$T/a.b" | tr -d ' ')" \
    "revalidated: the stored body's Content-Length"
creq c "$RV"
expect_match "$R_CS" "$CS_HIT" "after the 304: a hit"
expect_ge "${R_TTL:--1}" 55 "after the 304: ttl ${R_TTL:-none}"
expect_eq "$R_FETCH" "$((f1 + 1))" "after the 304: the updated head (X-Fetch $((f1 + 1)))"
expect_eq "$(hval X-Rev "$R_HEAD")" new "after the 304: X-Rev stored"
expect_eq "$R_BODY" "$body1" "after the 304: the first body"
expect_eq "$(bpath /cache/rv)" 2 "after the 304: no backend request"

# ---- Last-Modified revalidation ---------------------------------------------
LM=$(httpdate -100)
RL="/cache/rl?lm=$(enc "$LM")&h200=Cache-Control:max-age%3D1&h304=Cache-Control:max-age%3D60"
creq a "$RL"
expect_match "$R_CS" "$CS_MISS" "Last-Modified, max-age=1: stored"
body1=$R_BODY
sleep 2.2
creq b "$RL"
expect_match "$R_CS" "$CS_REVAL" "Last-Modified, stale: revalidated"
expect_eq "$(bfield /cache/rl If-Modified-Since)" "$LM" "the backend saw If-Modified-Since: the Last-Modified"
expect_eq "$R_BODY" "$body1" "Last-Modified: the stored body"
expect_eq "$(bpath /cache/rl)" 2 "Last-Modified: 2 backend requests"

# ---- client conditionals on a fresh entry -----------------------------------
CLM=$(httpdate -3600)
C="/cache/cond?etag=v7&lm=$(enc "$CLM")&h=Cache-Control:max-age%3D60"
creq a "$C"
expect_match "$R_CS" "$CS_MISS" "conditionals: stored"
n0=$(bpath /cache/cond)

cond() {	# LABEL CODE CURL ARGS...
	local label=$1 code=$2
	shift 2
	creq cc "$C" "$@"
	expect_eq "$R_CODE" "$code" "$label -> $code"
	expect_match "$R_CS" "$CS_HIT" "$label: from the cache"
	if [ "$code" = 304 ]; then
		expect_eq "$(wc -c <"$T/cc.b" | tr -d ' ')" 0 "$label: no body"
		expect_eq "$(hval ETag "$R_HEAD")" '"v7"' "$label: the ETag"
	else
		expect_match "$R_BODY" "^app fetch=" "$label: the stored body"
	fi
}
cond 'If-None-Match: "v7"' 304 -H 'If-None-Match: "v7"'
cond 'If-None-Match: W/"v7"' 304 -H 'If-None-Match: W/"v7"'
cond 'If-None-Match: "x", "v7"' 304 -H 'If-None-Match: "x", "v7"'
cond 'If-None-Match: *' 304 -H 'If-None-Match: *'
cond 'If-None-Match: "other"' 200 -H 'If-None-Match: "other"'
cond 'If-Modified-Since: Last-Modified' 304 -H "If-Modified-Since: $CLM"
cond 'If-Modified-Since: now' 304 -H "If-Modified-Since: $(httpdate)"
cond 'If-Modified-Since: a day before' 200 -H "If-Modified-Since: $(httpdate -90000)"
cond 'If-None-Match: "other" beside a matching If-Modified-Since' 200 \
    -H 'If-None-Match: "other"' -H "If-Modified-Since: $CLM"
expect_eq "$(bpath /cache/cond)" "$n0" "client conditionals: no backend request"

expect_no_alerts
porter_stop
done_testing
