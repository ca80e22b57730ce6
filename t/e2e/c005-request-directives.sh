#!/bin/bash
# c005: the client's Cache-Control (RFC 9111 5.2.1) on a fresh stored
# response (max-age=60). no-cache: forwarded (porter; fwd=request;
# fwd-status=200; stored), the new response replaces the old one (the next
# plain request hits fetch 2). max-age=0 once the entry is a second old:
# forwarded too. max-age=60 and max-stale on a fresh entry: a hit; max-stale
# on an entry past its max-age: a hit too, with a negative ttl.
# only-if-cached: 504 without any backend request when nothing is stored, a
# hit when it is. no-cache on a fresh immutable entry: still a hit.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

cache_start

A="/cache/nc?h=Cache-Control:max-age%3D60"
creq a "$A"
need_cache_status "max-age=60"
expect_match "$R_CS" "$CS_MISS" "max-age=60: stored"
f1=$R_FETCH
creq b "$A"
expect_match "$R_CS" "$CS_HIT" "then a hit"

creq c "$A" -H 'Cache-Control: no-cache'
expect_eq "$R_CODE" 200 "request no-cache: 200"
expect_match "$R_CS" "$CS_REQUEST" "request no-cache: fwd=request, stored"
expect_eq "$(bpath /cache/nc)" 2 "request no-cache: a backend request"
expect_eq "$R_FETCH" "$(bn)" "request no-cache: the new response"
f2=$R_FETCH
creq d "$A"
expect_match "$R_CS" "$CS_HIT" "after no-cache: a hit"
expect_eq "$R_FETCH" "$f2" "after no-cache: the new response replaced the old one (fetch $f2, not $f1)"

# max-age=0 once the entry is older than 0 s
creq a "/cache/ma0?h=Cache-Control:max-age%3D60"
expect_match "$R_CS" "$CS_MISS" "max-age=0 part: stored"
sleep 1.2
creq b "/cache/ma0?h=Cache-Control:max-age%3D60" -H 'Cache-Control: max-age=60'
expect_match "$R_CS" "$CS_HIT" "request max-age=60 on a 1 s old entry: a hit"
creq c "/cache/ma0?h=Cache-Control:max-age%3D60" -H 'Cache-Control: max-stale=10'
expect_match "$R_CS" "$CS_HIT" "request max-stale=10 on a fresh entry: a hit"
creq d "/cache/ma0?h=Cache-Control:max-age%3D60" -H 'Cache-Control: max-age=0'
expect_match "$R_CS" "$CS_REQUEST" "request max-age=0 on a 1 s old entry: fwd=request, stored"
expect_eq "$(bpath /cache/ma0)" 2 "request max-age=0: a backend request"

# max-stale on an entry past its max-age=1: a hit, with a negative ttl
creq a "/cache/ms?h=Cache-Control:max-age%3D1"
expect_match "$R_CS" "$CS_MISS" "max-stale part: stored"
sleep 2.2
creq b "/cache/ms?h=Cache-Control:max-age%3D1" -H 'Cache-Control: max-stale=60'
expect_match "$R_CS" '^porter; hit; ttl=-[0-9]+$' "request max-stale=60 on a stale entry: a hit, ttl=-N"
expect_match "$R_AGE" '^[2-9]$' "request max-stale=60 on a stale entry: Age 2 s or more"
expect_eq "$(bpath /cache/ms)" 1 "request max-stale=60 on a stale entry: no backend request"

# only-if-cached
n0=$(bn)
creq a "/cache/oic?h=Cache-Control:max-age%3D60" -H 'Cache-Control: only-if-cached'
expect_eq "$R_CODE" 504 "only-if-cached, nothing stored: 504"
expect_eq "$(bn)" "$n0" "only-if-cached, nothing stored: no backend request"
creq b "/cache/oic?h=Cache-Control:max-age%3D60"
expect_match "$R_CS" "$CS_MISS" "then a plain GET stores it"
creq c "/cache/oic?h=Cache-Control:max-age%3D60" -H 'Cache-Control: only-if-cached'
expect_eq "$R_CODE" 200 "only-if-cached, stored: 200"
expect_match "$R_CS" "$CS_HIT" "only-if-cached, stored: a hit"
expect_eq "$(bpath /cache/oic)" 1 "only-if-cached: one backend request in all"

# immutable
IM="/cache/im?h=$(enc 'Cache-Control:max-age=60, immutable')"
creq a "$IM"
expect_match "$R_CS" "$CS_MISS" "immutable: stored"
creq b "$IM" -H 'Cache-Control: no-cache'
expect_match "$R_CS" "$CS_HIT" "request no-cache on a fresh immutable entry: still a hit"
expect_eq "$(bpath /cache/im)" 1 "immutable: one backend request"

expect_no_alerts
porter_stop
done_testing
