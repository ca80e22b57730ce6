#!/bin/bash
# c001: the cache's basic path (issue 13). A response with max-age=60 is
# fetched once: the first GET is a miss that stores it (Cache-Status:
# porter; fwd=uri-miss; stored), the second is served by porter alone
# (porter; hit; ttl=N with N <= 60, an Age field, the same body and the
# backend's fields, one backend request in all). Age grows with time and
# ttl shrinks. A HEAD is answered from the stored GET (its Content-Length,
# no body). Another query string is another object. Hits come from every
# worker: 4 workers, 40 requests on connections of their own, 8 at a time,
# all hits, served by at least 2 workers (their request counters on the
# status page), still one backend request; and after every worker is
# SIGKILLed and replaced the new ones hit too (the store lives in shared
# memory, not in a worker).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_WORKERS='count = 4;'
cache_start
expect_true "4 workers at start" wait_workers 4 10

A="/cache/a?h=Cache-Control:max-age%3D60&h=X-Mine:yes"
creq m "$A"
need_cache_status "first GET"
expect_eq "$R_CODE" 200 "miss: 200"
expect_match "$R_CS" "$CS_MISS" "miss: Cache-Status says stored"
expect_eq "$R_BODY" "app fetch=1 GET $A" "miss: the backend's body"
expect_eq "$(bn)" 1 "miss: one backend request"

creq h "$A"
expect_eq "$R_CODE" 200 "hit: 200"
expect_match "$R_CS" "$CS_HIT" "hit: Cache-Status porter; hit; ttl=N"
expect_le "${R_TTL:-999}" 60 "hit: ttl ${R_TTL:-none} <= max-age 60"
expect_ge "${R_TTL:--1}" 55 "hit: ttl ${R_TTL:-none} >= 55 (just stored)"
expect_match "$R_AGE" '^[0-9]+$' "hit: an Age field (${R_AGE:-none})"
expect_eq "$R_BODY" "app fetch=1 GET $A" "hit: the stored body (fetch 1)"
expect_eq "$(hval X-Mine "$R_HEAD")" yes "hit: the backend's own field"
expect_eq "$(hval Cache-Control "$R_HEAD")" "max-age=60" "hit: its Cache-Control"
expect_eq "$(hval Content-Length "$R_HEAD")" "$(wc -c <"$T/h.b" | tr -d ' ')" "hit: Content-Length of the body"
expect_eq "$(hcount Cache-Status "$R_HEAD")" 1 "hit: one Cache-Status field"
expect_eq "$(bn)" 1 "hit: still one backend request"

sleep 2.2
creq h2 "$A"
expect_match "$R_CS" "$CS_HIT" "hit 2.2 s later"
expect_ge "${R_AGE:-0}" 2 "Age grew to ${R_AGE:-none} >= 2"
expect_le "${R_TTL:-999}" 58 "ttl shrank to ${R_TTL:-none} <= 58"
expect_eq "$(bn)" 1 "still one backend request"

# HEAD from the stored GET
chead hd "$A"
expect_eq "$R_CODE" 200 "HEAD: 200"
expect_match "$R_CS" "$CS_HIT" "HEAD: answered from the stored GET"
rawhttp -t 5 "$P" "HEAD $A HTTP/1.1\r\nHost: 127.0.0.1:$P\r\nConnection: close\r\n\r\n" \
    >"$T/rawhead.out" 2>/dev/null
expect_match "$(first_line "$(cat "$T/rawhead.out")")" '^HTTP/1\.1 200' "raw HEAD: 200"
expect_eq "$(tail -c 4 "$T/rawhead.out" | od -An -tx1 | tr -d ' \n')" 0d0a0d0a \
    "raw HEAD: nothing after the head"
expect_eq "$(hval Content-Length "$R_HEAD")" "$(hval Content-Length "$(cat "$T/h.h")")" \
    "HEAD: the GET's Content-Length"
expect_eq "$(bn)" 1 "HEAD: no backend request"

# another query string, another object
creq q "$A&v=2"
expect_match "$R_CS" "$CS_MISS" "another query string: a miss"
expect_eq "$(bn)" 2 "another query string: a backend request"
creq q2 "$A&v=2"
expect_match "$R_CS" "$CS_HIT" "another query string, again: a hit"
expect_eq "$R_FETCH" 2 "... of its own fetch (2)"

# a binary body of 1 MB, then 40 hits on their own connections, 8 at once
BIG="/cache/big?size=1048576&seed=5&h=Cache-Control:max-age%3D60"
creq big "$BIG"
expect_match "$R_CS" "$CS_MISS" "1 MB object: miss"
expect_eq "$(sha_of "$T/big.b")" "$(gen_range 5 1048576 | sha256sum | cut -d' ' -f1)" \
    "1 MB object: the backend's bytes"
nb=$(bn)
workers_json() {
	CURL_MAX_TIME=3 cu -H 'Connection: close' "$SJ" | "$PYTHON" -c '
import json, sys
for w in json.load(sys.stdin)["workers"]:
    print(w["pid"], w["requests"])'
}
workers_json >"$T/w0"
# shellcheck disable=SC2016	# $1.. are sh -c's own
seq 1 40 | xargs -P 8 -I{} sh -c 'curl -q -sS --noproxy "*" --max-time 10 \
    -D "$1/par-$2.h" -o "$1/par-$2.b" "$3"' sh "$T" {} "$U$BIG"
workers_json >"$T/w1"
nhit=0 nsame=0
for i in $(seq 1 40); do
	h=$(tr -d '\r' <"$T/par-$i.h" 2>/dev/null)
	[[ $(hval Cache-Status "$h") =~ $CS_HIT ]] && nhit=$((nhit + 1))
	[ "$(sha_of "$T/par-$i.b")" = "$(sha_of "$T/big.b")" ] && nsame=$((nsame + 1))
done
expect_eq "$nhit" 40 "40 parallel requests: all hits"
expect_eq "$nsame" 40 "40 parallel requests: all the stored 1 MB"
expect_eq "$(bn)" "$nb" "40 parallel requests: no backend request"
nw=$(awk 'NR == FNR { a[$1] = $2; next } ($1 in a) && $2 - a[$1] >= 2 { n++ } END { print n + 0 }' \
    "$T/w0" "$T/w1")
diag "requests per worker before: $(tr '\n' ' ' <"$T/w0")" "after: $(tr '\n' ' ' <"$T/w1")"
expect_ge "$nw" 2 "hits served by $nw workers (>= 2)"

# every worker killed: the new ones hit (the store is shared memory)
old=$(porter_workers | tr '\n' ' ')
# shellcheck disable=SC2086
kill -KILL $old
all_new() {
	local w p
	w=$(porter_workers)
	[ "$(wc -w <<<"$w")" = 4 ] || return 1
	for p in $old; do grep -qx "$p" <<<"$w" && return 1; done
	return 0
}
expect_true "4 new workers within 5 s after SIGKILL to all ($old)" wait_until 5 all_new
creq k "$A"
expect_match "$R_CS" "$CS_HIT" "after the kill: a hit"
expect_eq "$R_FETCH" 1 "after the kill: still fetch 1"
creq k2 "$BIG"
expect_match "$R_CS" "$CS_HIT" "after the kill: the 1 MB object hits"
expect_eq "$(sha_of "$T/k2.b")" "$(sha_of "$T/big.b")" "after the kill: its bytes"
expect_eq "$(bn)" "$nb" "after the kill: no backend request"

expect_no_alerts
porter_stop
done_testing
