#!/bin/bash
# c007: invalidation by unsafe requests (RFC 9111 4.4). A stored response,
# then a POST to the same URL answered 200: the next GET is a miss (a new
# fetch stored). A POST answered 500 invalidates nothing: the next GET is
# still a hit. A POST elsewhere answered 201 with Location: /cache/lt (a
# path of this host) invalidates /cache/lt; Content-Location the same;
# PUT and DELETE answered 2xx invalidate their URL too.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_ROUTES='{ host = "*"; path = "/"; pool = "app"; cache = true; cache_default_ttl = 60; }'
cache_start

stored() {	# LABEL TARGET: a miss that stores, then a hit
	creq s1 "$2"
	expect_match "$R_CS" "$CS_MISS" "$1: stored"
	creq s2 "$2"
	expect_match "$R_CS" "$CS_HIT" "$1: then a hit"
}

A="/cache/inv?h=Cache-Control:max-age%3D60"
creq a "$A"
need_cache_status "max-age=60"
creq a "$A"
expect_match "$R_CS" "$CS_HIT" "GET: a hit"
creq p "$A" -X POST -d 'x=1'
expect_eq "$R_CODE" 200 "POST to the same URL: 200"
expect_eq "$(bpath /cache/inv)" 2 "POST: forwarded"
creq b "$A"
expect_match "$R_CS" "$CS_MISS" "GET after a 200 POST: a miss, stored"
expect_eq "$R_FETCH" "$(bn)" "GET after the POST: a new fetch"
expect_eq "$(bpath /cache/inv)" 3 "3 backend requests (GET, POST, GET)"

# a POST answered 500 to the URL of a stored response: nothing invalidated
# (the stored response is a 500 with max-age=60 too: the backend answers by
# the URL's query, whatever the method)
E="/cache/inv6?status=500&h=Cache-Control:max-age%3D60"
creq a "$E"
expect_match "$R_CS" '^porter; fwd=uri-miss; fwd-status=500; stored$' "a 500 with max-age=60: stored (explicit freshness)"
creq a "$E"
expect_match "$R_CS" "$CS_HIT" "a 500 with max-age=60: then a hit"
creq a "$E" -X POST -d x=1
expect_eq "$R_CODE" 500 "POST to it: 500"
creq b "$E"
expect_match "$R_CS" "$CS_HIT" "GET after a POST to that URL answered 500: still a hit"

stored "Location target" /cache/lt
creq p "/cache/poster?status=201&h=Location:/cache/lt" -X POST -d 'x=1'
expect_eq "$R_CODE" 201 "POST elsewhere: 201 with Location: /cache/lt"
creq c /cache/lt
expect_match "$R_CS" "$CS_MISS" "GET of the Location target: a miss"
expect_eq "$(bpath /cache/lt)" 2 "Location target: fetched again"

stored "Content-Location target" /cache/clt
creq p "/cache/poster2?h=Content-Location:/cache/clt" -X POST -d 'x=1'
creq c /cache/clt
expect_match "$R_CS" "$CS_MISS" "GET of the Content-Location target: a miss"

stored "PUT target" /cache/put
creq p /cache/put -X PUT -d 'x=1'
creq c /cache/put
expect_match "$R_CS" "$CS_MISS" "GET after a PUT answered 200: a miss"

stored "DELETE target" /cache/del
creq p /cache/del -X DELETE
creq c /cache/del
expect_match "$R_CS" "$CS_MISS" "GET after a DELETE answered 200: a miss"

expect_no_alerts
porter_stop
done_testing
