#!/bin/bash
# c021: purge by URL (issue 14). The listener has purge_allow =
# [ "127.0.0.2" ]: a PURGE from 127.0.0.1 gets 403 and purges nothing;
# from 127.0.0.2 (curl --interface) it removes every Vary variant of the
# URL's key (200 with the count), and a second one finds nothing (404).
# Host picks the key as for a GET; the query is part of it. Purge-Method:
# soft marks the object stale instead: a client that accepts stale
# (max-stale) is served it without a backend request, a plain request
# revalidates it (304) and then it is fresh again. A listener without
# purge_allow answers PURGE 405 with Allow and never forwards it.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_ROUTES='{ host = "*"; path = "/"; pool = "app"; cache = true; cache_default_ttl = 60; }'
CACHE_LISTENER='purge_allow = [ "127.0.0.2", "10.0.0.0/8" ];'
cache_start

# PURGE TARGET [CURL ARGS...] from 127.0.0.2 (allowed): R_CODE, R_BODY
purge() {
	local target=$1
	shift
	creq pg "$target" -X PURGE --interface 127.0.0.2 "$@"
}

stored() {	# LABEL TARGET [CURL ARGS...]: a miss that stores, then a hit
	local label=$1 target=$2
	shift 2
	creq s1 "$target" "$@"
	expect_match "$R_CS" "$CS_MISS|$CS_VARY_MISS" "$label: stored"
	creq s2 "$target" "$@"
	expect_match "$R_CS" "$CS_HIT" "$label: then a hit"
}

A="/cache/a?h=Cache-Control:max-age%3D60"
creq a "$A"
need_cache_status "max-age=60"
creq a "$A"
expect_match "$R_CS" "$CS_HIT" "a: a hit"

# 403 for a client purge_allow does not list; nothing purged
creq p "$A" -X PURGE
expect_eq "$R_CODE" 403 "PURGE from 127.0.0.1 (not in purge_allow): 403"
creq a "$A"
expect_match "$R_CS" "$CS_HIT" "after the refused PURGE: still a hit"
expect_eq "$(cache_stat purge_refused)" 1 "purge_refused counted"

# allowed: removed, then a miss that fetches again
n0=$(bpath /cache/a)
purge "$A"
expect_eq "$R_CODE" 200 "PURGE from 127.0.0.2: 200"
expect_match "$R_BODY" '"purged":1' "PURGE: says it purged 1"
expect_match "$R_BODY" '"soft":false' "PURGE: not soft"
creq a "$A"
expect_match "$R_CS" "$CS_MISS" "after PURGE: a miss, stored again"
expect_eq "$(bpath /cache/a)" $((n0 + 1)) "after PURGE: fetched from the backend"
purge "/cache/a?h=Cache-Control:max-age%3D60&other=1"
expect_eq "$R_CODE" 404 "PURGE of another query: 404 (the query is in the key)"
expect_match "$R_BODY" '"purged":0' "404 says 0"
creq a "$A"
expect_match "$R_CS" "$CS_HIT" "the URL itself is untouched by another query's purge"
purge "$A" -H 'Host: other.example'
expect_eq "$R_CODE" 404 "PURGE with another Host: 404 (Host is in the key)"
creq a "$A"
expect_match "$R_CS" "$CS_HIT" "still a hit after another Host's purge"
expect_eq "$(bpath /cache/a)" $((n0 + 1)) "PURGE requests never reach the backend"

# every Vary variant goes
V="/cache/v?vary=Accept-Language&h=Cache-Control:max-age%3D60"
stored "variant en" "$V" -H 'Accept-Language: en'
stored "variant de" "$V" -H 'Accept-Language: de'
stored "variant fr" "$V" -H 'Accept-Language: fr'
purge "$V"
expect_eq "$R_CODE" 200 "PURGE of a URL with 3 variants: 200"
expect_match "$R_BODY" '"purged":3' "all 3 variants purged"
for l in en de fr; do
	creq v "$V" -H "Accept-Language: $l"
	expect_match "$R_CS" "$CS_MISS|$CS_VARY_MISS" "variant $l: a miss after the purge"
done
purge "$V"
purge "$V"
expect_eq "$R_CODE" 404 "PURGE of a URL with nothing stored: 404"
expect_ge "$(cache_stat purged)" 4 "purged counts the removed objects"

# a bad Purge-Method: 400, nothing purged
purge "$A" -H 'Purge-Method: sometimes'
expect_eq "$R_CODE" 400 "Purge-Method: sometimes: 400"
creq a "$A"
expect_match "$R_CS" "$CS_HIT" "still a hit after the bad purge"

# soft purge: stale, served to a client that accepts it, else revalidated
SO="/cache/s?etag=s1&h=Cache-Control:max-age%3D600,%20stale-if-error%3D600"
stored "soft" "$SO"
ns=$(bpath /cache/s)
purge "$SO" -H 'Purge-Method: soft'
expect_eq "$R_CODE" 200 "soft PURGE: 200"
expect_match "$R_BODY" '"soft":true' "soft PURGE says soft"
creq s "$SO" -H 'Cache-Control: max-stale=600'
expect_match "$R_CS" '^porter; hit; ttl=-?[0-9]+$' "after a soft purge, max-stale: a stale hit"
expect_match "$R_TTL" '^(0|-[0-9]+)$' "the stale hit has no freshness left (ttl=$R_TTL)"
expect_eq "$(bpath /cache/s)" "$ns" "the stale hit: no backend request"
creq s "$SO"
expect_match "$R_CS" "$CS_REVAL" "after a soft purge: revalidated (304)"
expect_eq "$(bfield /cache/s If-None-Match)" '"s1"' "the revalidation is conditional"
creq s "$SO"
expect_match "$R_CS" "$CS_HIT" "then fresh again: a hit"
expect_ge "$(cache_stat purged_soft)" 1 "purged_soft counted"

# a soft purge of an object without validators: refetched in full
W="/cache/w?h=Cache-Control:max-age%3D600,%20stale-if-error%3D600"
stored "soft, no validators" "$W"
purge "$W" -H 'Purge-Method: soft'
expect_eq "$R_CODE" 200 "soft PURGE (no validators): 200"
creq w "$W"
expect_match "$R_CS" "$CS_STALE_OR_MISS" "no validators: fetched again"
creq w "$W"
expect_match "$R_CS" "$CS_HIT" "and stored again"

# a soft purge, then the backend is down: the stale copy covers it
O="/cache/o?h=Cache-Control:max-age%3D600,%20stale-if-error%3D600"
stored "soft, then an outage" "$O"
body_o=$R_BODY
purge "$O" -H 'Purge-Method: soft'
expect_eq "$R_CODE" 200 "soft PURGE before the outage: 200"
backend_stop app
creq o "$O"
expect_eq "$R_CODE" 200 "backend down after a soft purge: 200"
expect_eq "$R_BODY" "$body_o" "... the soft-purged copy"
expect_match "$R_CS" '^porter; fwd=stale;.*detail=' "... served stale (stale-if-error)"
purge "$A"
expect_eq "$R_CODE" 200 "a hard PURGE while the backend is down: 200"
creq o "$A"
expect_eq "$R_CODE" 502 "... and that URL is gone: 502"
backend_start_at app 127.0.0.1 "$B"

# Surrogate headers never reach the client, even on a purge listener
creq t "/cache/t?h=Surrogate-Key:a%20b&h=Cache-Tag:c"
expect_eq "$(hval Surrogate-Key "$R_HEAD")" "" "Surrogate-Key stripped"
expect_eq "$(hval Cache-Tag "$R_HEAD")" "" "Cache-Tag stripped"

# a listener without purge_allow: 405 with Allow, never forwarded
porter_stop
CACHE_LISTENER=''
porter_start < <(cache_conf)
nb=$(bn)
creq p "$A" -X PURGE --interface 127.0.0.2
expect_eq "$R_CODE" 405 "no purge_allow: PURGE is 405"
expect_match "$(hval Allow "$R_HEAD")" '^GET, HEAD, ' "405 names the methods (Allow)"
expect_eq "$(bn)" "$nb" "the 405 PURGE never reached the backend"
creq p "$A" -X PURGE -H 'Content-Length: 0'
expect_eq "$R_CODE" 405 "PURGE from anyone: 405"

expect_no_alerts
done_testing
