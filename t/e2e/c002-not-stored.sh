#!/bin/bash
# c002: what the cache must not store (RFC 9111 3, and the plan's route
# rules). Each response is asked for twice; a response not stored costs a
# backend request each time and says why in Cache-Status (porter;
# fwd=miss; fwd-status=200; detail=WHY; the second time the detail may be
# left out: porter may remember the key as not storable, hit-for-miss):
#   Cache-Control: no-store           detail=no-store
#   Cache-Control: private            detail=private
#   Set-Cookie (cache_set_cookie off) detail=set-cookie
#   the request had Authorization     detail=authorization
#   a request with no-store           (nothing stored, though the response
#                                     could be)
#   a POST                            (only GET is stored)
# and what it may store: on a route with cache_set_cookie = true a response
# with Set-Cookie is stored, its client gets the cookie, the hit does not;
# with Authorization in the request, a response with public or s-maxage is
# stored (and served to the next client).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_ROUTES='{ host = "*"; path = "/cache/sc/"; pool = "app"; cache = true; cache_set_cookie = true; },
              { host = "*"; path = "/"; pool = "app"; cache = true; }'
cache_start

twice() {	# LABEL PATH QUERY DETAIL [CURL ARGS...]: not stored, twice
	local label=$1 path=$2 q=$3 detail=$4 n0 i
	shift 4
	n0=$(bn)
	for i in 1 2; do
		creq "ns$i" "$path?$q" "$@"
		[ "$i" = 1 ] && need_cache_status "$label"
		expect_eq "$R_CODE" 200 "$label, request $i: 200"
		if [ -n "$detail" ] && [ "$i" = 1 ]; then
			expect_match "$R_CS" "$(cs_detail "$detail")" \
			    "$label, request $i: not stored, detail=$detail"
		elif [ -n "$detail" ]; then
			# a hit-for-miss (PASS) entry may skip the verdict
			expect_match "$R_CS" "^porter; fwd=(uri-)?miss; fwd-status=200(; detail=$detail)?\$" \
			    "$label, request $i: not stored (detail=$detail or none)"
		else
			expect_nomatch "$R_CS" '(^porter; hit|stored$)' \
			    "$label, request $i: neither a hit nor stored ($R_CS)"
		fi
		expect_eq "$R_FETCH" "$(bn)" "$label, request $i: the newest fetch (X-Fetch)"
	done
	expect_eq "$(($(bn) - n0))" 2 "$label: 2 backend requests for 2 GETs"
}

twice "no-store" /cache/ns1 "h=Cache-Control:no-store" no-store
twice "no-store, max-age=60" /cache/ns2 "h=Cache-Control:max-age%3D60,%20no-store" no-store
twice "private, max-age=60" /cache/pr "h=Cache-Control:private,%20max-age%3D60" private
twice "Set-Cookie, max-age=60" /cache/ck "h=Cache-Control:max-age%3D60&h=Set-Cookie:a%3D1" set-cookie
twice "request with Authorization, max-age=60" /cache/au "h=Cache-Control:max-age%3D60" authorization \
    -H 'Authorization: Basic dTpw'
twice "request with Cache-Control: no-store" /cache/rns "h=Cache-Control:max-age%3D60" "" \
    -H 'Cache-Control: no-store'
# ... and the same response for a request without it is stored
creq rns3 "/cache/rns?h=Cache-Control:max-age%3D60"
expect_match "$R_CS" "$CS_MISS" "the same URL without request no-store: stored"

# POST: never stored, never served from the cache
n0=$(bn)
creq p1 "/cache/post?h=Cache-Control:max-age%3D60" -X POST -d x=1
creq p2 "/cache/post?h=Cache-Control:max-age%3D60" -X POST -d x=1
expect_eq "$R_CODE" 200 "POST: 200"
expect_eq "$R_FETCH" "$(bn)" "POST: the second POST fetched too"
expect_eq "$(($(bn) - n0))" 2 "POST: 2 backend requests"
expect_nomatch "$R_CS" '^porter; hit' "POST: not a hit ($R_CS)"

# cache_set_cookie = true: stored without its Set-Cookie
SC="/cache/sc/x?h=Cache-Control:max-age%3D60&h=Set-Cookie:sid%3Dsecret&h=X-Other:kept"
creq sc1 "$SC"
f1=$R_FETCH
expect_match "$R_CS" "$CS_MISS" "cache_set_cookie: stored"
expect_eq "$(hval Set-Cookie "$R_HEAD")" "sid=secret" "cache_set_cookie: the filling client gets its cookie"
creq sc2 "$SC"
expect_match "$R_CS" "$CS_HIT" "cache_set_cookie: then a hit"
expect_eq "$(hcount Set-Cookie "$R_HEAD")" 0 "cache_set_cookie: no Set-Cookie in the hit"
expect_eq "$(hval X-Other "$R_HEAD")" kept "cache_set_cookie: the other fields are kept"
expect_eq "$R_FETCH" "$f1" "cache_set_cookie: the hit is the stored fetch ($f1)"
expect_eq "$(bpath /cache/sc/x)" 1 "cache_set_cookie: one backend request"

# Authorization with public / s-maxage: stored, and a hit without it
for w in "public public, max-age=60" "smaxage s-maxage=60"; do
	path=/cache/aup-${w%% *} cc=${w#* }
	creq a1 "$path?h=$(enc "Cache-Control:$cc")" -H 'Authorization: Basic dTpw'
	expect_match "$R_CS" "$CS_MISS" "Authorization + $cc: stored"
	creq a2 "$path?h=$(enc "Cache-Control:$cc")"
	expect_match "$R_CS" "$CS_HIT" "Authorization + $cc: then a hit (no Authorization)"
	expect_eq "$(bpath "$path")" 1 "Authorization + $cc: one backend request"
done

expect_no_alerts
porter_stop
done_testing
