#!/bin/bash
# c003: how long a stored response stays fresh (RFC 9111 4.2.1 and the
# route's rules). max-age=1: a hit at once, a backend request again after
# 2 s (stale, no validator: fetched and stored anew). s-maxage wins over
# max-age both ways (max-age=1, s-maxage=60 still hits after 2 s; max-age=
# 60, s-maxage=1 does not). Expires - Date gives the lifetime (both set by
# the backend: Expires 30 s after Date -> ttl 28..30; Expires 1 s after
# Date -> stale after 2 s). A response without freshness (no Cache-Control,
# Expires or Last-Modified) is not stored on a plain cache route
# (detail=no-freshness) but is for cache_default_ttl = 2 s (ttl <= 2,
# refetched after 3 s); cache_max_ttl = 2 caps a max-age of 600.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_ROUTES='{ host = "*"; path = "/cache/dt/"; pool = "app"; cache = true; cache_default_ttl = 2; },
              { host = "*"; path = "/cache/mt/"; pool = "app"; cache = true; cache_max_ttl = 2; },
              { host = "*"; path = "/"; pool = "app"; cache = true; }'
cache_start

# ---- max-age=1 ----------------------------------------------------------
M1="/cache/m1?h=Cache-Control:max-age%3D1"
creq a "$M1"
need_cache_status "max-age=1"
expect_match "$R_CS" "$CS_MISS" "max-age=1: stored"
creq b "$M1"
expect_match "$R_CS" "$CS_HIT" "max-age=1: a hit at once"
expect_le "${R_TTL:-9}" 1 "max-age=1: ttl ${R_TTL:-none} <= 1"
sleep 2.2
creq c "$M1"
expect_match "$R_CS" "$CS_STALE_OR_MISS" "max-age=1, 2.2 s later: stale, fetched and stored"
expect_eq "$(bpath /cache/m1)" 2 "max-age=1: 2 backend requests"
expect_eq "$R_FETCH" "$(bn)" "max-age=1: the new fetch served"
creq d "$M1"
expect_match "$R_CS" "$CS_HIT" "max-age=1: the new copy hits"
expect_eq "$(bpath /cache/m1)" 2 "max-age=1: still 2 backend requests"

# ---- s-maxage over max-age -------------------------------------------------
SM="/cache/sm?h=$(enc 'Cache-Control:max-age=1, s-maxage=60')"
creq a "$SM"
expect_match "$R_CS" "$CS_MISS" "max-age=1, s-maxage=60: stored"
sleep 2.2
creq b "$SM"
expect_match "$R_CS" "$CS_HIT" "max-age=1, s-maxage=60: a hit 2.2 s later"
expect_ge "${R_TTL:--1}" 55 "max-age=1, s-maxage=60: ttl ${R_TTL:-none} >= 55"
expect_eq "$(bpath /cache/sm)" 1 "max-age=1, s-maxage=60: one backend request"

SM2="/cache/sm2?h=$(enc 'Cache-Control:max-age=60, s-maxage=1')"
creq a "$SM2"
expect_match "$R_CS" "$CS_MISS" "max-age=60, s-maxage=1: stored"
sleep 2.2
creq b "$SM2"
expect_match "$R_CS" "$CS_STALE_OR_MISS" "max-age=60, s-maxage=1: stale 2.2 s later"
expect_eq "$(bpath /cache/sm2)" 2 "max-age=60, s-maxage=1: 2 backend requests"

# ---- Expires with Date -----------------------------------------------------
d=$(httpdate)
E30="/cache/ex30?h=$(enc "Date:$d")&h=$(enc "Expires:$(httpdate +30)")"
creq a "$E30"
expect_match "$R_CS" "$CS_MISS" "Expires = Date + 30: stored"
expect_eq "$(hval Date "$R_HEAD")" "$d" "the backend's Date is the one given"
creq b "$E30"
expect_match "$R_CS" "$CS_HIT" "Expires = Date + 30: a hit"
expect_ge "${R_TTL:--1}" 27 "Expires = Date + 30: ttl ${R_TTL:-none} >= 27"
expect_le "${R_TTL:-99}" 30 "Expires = Date + 30: ttl ${R_TTL:-none} <= 30"

# Date + 3, not + 1: Date has whole seconds, so a response whose Date was
# written just before a second turned is already 1 s old (RFC 9111 4.2.3's
# apparent_age) and Date + 1 would be stale on arrival
E1="/cache/ex1?h=$(enc "Date:$(httpdate)")&h=$(enc "Expires:$(httpdate +3)")"
creq a "$E1"
expect_match "$R_CS" "$CS_MISS" "Expires = Date + 3: stored"
sleep 4.2
creq b "$E1"
# (the refetch carries the same, now past, dates: stale at once, so not
# necessarily stored)
expect_match "$R_CS" '^porter; fwd=(stale|uri-miss)(; fwd-status=200)?(; stored|; detail=no-freshness)$' \
    "Expires = Date + 3: stale 4.2 s later, fetched"
expect_eq "$(bpath /cache/ex1)" 2 "Expires = Date + 3: 2 backend requests"

# Cache-Control max-age wins over Expires
EM="/cache/exm?h=$(enc "Expires:$(httpdate +1)")&h=$(enc 'Cache-Control:max-age=60')"
creq a "$EM"
sleep 2.2
creq b "$EM"
expect_match "$R_CS" "$CS_HIT" "max-age=60 with Expires = now + 1: a hit 2.2 s later"

# ---- no freshness: default_ttl or not stored --------------------------------
creq a "/cache/nf"
expect_match "$R_CS" "$(cs_detail no-freshness)" "no freshness on a plain cache route: detail=no-freshness"
creq b "/cache/nf"
expect_nomatch "$R_CS" '^porter; hit' "no freshness: not a hit ($R_CS)"
expect_eq "$(bpath /cache/nf)" 2 "no freshness: 2 backend requests"

creq a "/cache/dt/x"
expect_match "$R_CS" "$CS_MISS" "cache_default_ttl = 2: stored"
creq b "/cache/dt/x"
expect_match "$R_CS" "$CS_HIT" "cache_default_ttl = 2: a hit"
expect_le "${R_TTL:-99}" 2 "cache_default_ttl = 2: ttl ${R_TTL:-none} <= 2"
sleep 3.2
creq c "/cache/dt/x"
expect_match "$R_CS" "$CS_STALE_OR_MISS" "cache_default_ttl = 2: stale 3.2 s later"
expect_eq "$(bpath /cache/dt/x)" 2 "cache_default_ttl = 2: 2 backend requests"
# an explicit max-age is not overridden by the default
creq a "/cache/dt/y?h=Cache-Control:max-age%3D60"
creq b "/cache/dt/y?h=Cache-Control:max-age%3D60"
expect_ge "${R_TTL:--1}" 55 "cache_default_ttl does not shorten max-age=60: ttl ${R_TTL:-none}"

# ---- cache_max_ttl = 2 ---------------------------------------------------
MT="/cache/mt/x?h=Cache-Control:max-age%3D600"
creq a "$MT"
expect_match "$R_CS" "$CS_MISS" "cache_max_ttl = 2, max-age=600: stored"
creq b "$MT"
expect_match "$R_CS" "$CS_HIT" "cache_max_ttl = 2: a hit"
expect_le "${R_TTL:-99}" 2 "cache_max_ttl = 2: ttl ${R_TTL:-none} <= 2"
sleep 3.2
creq c "$MT"
expect_match "$R_CS" "$CS_STALE_OR_MISS" "cache_max_ttl = 2: stale 3.2 s later"
expect_eq "$(bpath /cache/mt/x)" 2 "cache_max_ttl = 2: 2 backend requests"

expect_no_alerts
porter_stop
done_testing
