#!/bin/bash
# c006: Vary (RFC 9111 4.1). Accept-Language en, fr, en, fr: two variants
# stored and each served to its own clients (2 backend requests for 4
# requests; the first fr is porter; fwd=vary-miss; fwd-status=200;
# stored). Accept-Encoding is normalised: "gzip, deflate" and "deflate,
# gzip;q=1.0" share a variant, "br" (no gzip) is another, and no field at
# all matches "br"'s (both without gzip). max_variants = 2: en, fr, de
# stored (3 requests), then fr and de hit and en, the oldest, was dropped
# (a vary-miss). Vary: * is never served from the cache (detail=vary-star).
# A route's cache_ignore_vary = [ "User-Agent" ]: a Vary on it makes no
# variants there, the other fields Vary names still do.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_GROUP='size = "32M"; max_object = "8M"; max_variants = 2;'
CACHE_ROUTES='{ host = "*"; path = "/"; pool = "app"; cache = true; },
  { host = "*"; path = "/cache/iv"; pool = "app"; cache = true;
    cache_ignore_vary = [ "User-Agent" ]; }'
cache_start

AL="/cache/al?vary=Accept-Language&h=Cache-Control:max-age%3D60"
creq a "$AL" -H 'Accept-Language: en'
need_cache_status "Vary: Accept-Language"
expect_match "$R_CS" "$CS_MISS" "en: stored"
expect_eq "$(hval Vary "$R_HEAD")" Accept-Language "en: Vary passed to the client"
expect_match "$R_BODY" $'vary accept-language: en$' "en: the en body"
creq b "$AL" -H 'Accept-Language: fr'
expect_match "$R_CS" "$CS_VARY_MISS" "fr: a vary-miss, stored"
expect_match "$R_BODY" $'vary accept-language: fr$' "fr: the fr body"
creq c "$AL" -H 'Accept-Language: en'
expect_match "$R_CS" "$CS_HIT" "en again: a hit"
expect_match "$R_BODY" $'vary accept-language: en$' "en again: the en body"
creq d "$AL" -H 'Accept-Language: fr'
expect_match "$R_CS" "$CS_HIT" "fr again: a hit"
expect_match "$R_BODY" $'vary accept-language: fr$' "fr again: the fr body"
expect_eq "$(bpath /cache/al)" 2 "Accept-Language: 2 backend requests for 4 requests"

# Accept-Encoding normalised
AE="/cache/ae?vary=Accept-Encoding&h=Cache-Control:max-age%3D60"
creq a "$AE" -H 'Accept-Encoding: gzip, deflate'
expect_match "$R_CS" "$CS_MISS" "Accept-Encoding: gzip, deflate: stored"
creq b "$AE" -H 'Accept-Encoding: deflate, gzip;q=1.0'
expect_match "$R_CS" "$CS_HIT" "Accept-Encoding: deflate, gzip;q=1.0: the same variant, a hit"
expect_match "$R_BODY" $'vary accept-encoding: gzip, deflate$' "... with the first body"
creq c "$AE" -H 'Accept-Encoding: br'
expect_match "$R_CS" "$CS_VARY_MISS" "Accept-Encoding: br: another variant"
creq d "$AE"
expect_match "$R_CS" "$CS_HIT" "no Accept-Encoding: the same variant as br (no gzip), a hit"
expect_eq "$(bpath /cache/ae)" 2 "Accept-Encoding: 2 backend requests for 4 requests"

# max_variants = 2
MV="/cache/mv?vary=Accept-Language&h=Cache-Control:max-age%3D60"
for l in en fr de; do
	creq "mv-$l" "$MV" -H "Accept-Language: $l"
done
expect_eq "$(bpath /cache/mv)" 3 "max_variants = 2: en, fr, de fetched"
creq a "$MV" -H 'Accept-Language: fr'
expect_match "$R_CS" "$CS_HIT" "max_variants = 2: fr still a hit"
expect_match "$R_BODY" $'vary accept-language: fr$' "... the fr body"
creq b "$MV" -H 'Accept-Language: de'
expect_match "$R_CS" "$CS_HIT" "max_variants = 2: de (the newest) a hit"
expect_match "$R_BODY" $'vary accept-language: de$' "... the de body"
creq c "$MV" -H 'Accept-Language: en'
expect_match "$R_CS" "$CS_VARY_MISS" "max_variants = 2: en, the oldest, was dropped"
expect_match "$R_BODY" $'vary accept-language: en$' "... the en body"
expect_eq "$(bpath /cache/mv)" 4 "max_variants = 2: 4 backend requests"

# Vary: *
VS="/cache/vs?vary=*&h=Cache-Control:max-age%3D60"
creq a "$VS"
expect_match "$R_CS" "$(cs_detail vary-star)" "Vary: *: not stored, detail=vary-star"
creq b "$VS"
expect_nomatch "$R_CS" '^porter; hit' "Vary: *: never a hit ($R_CS)"
creq c "$VS"
expect_eq "$(bpath /cache/vs)" 3 "Vary: *: 3 backend requests for 3 requests"

# cache_ignore_vary: a Vary on User-Agent makes no variants there; the
# other field it names still does
IV="/cache/iv?vary=User-Agent,Accept-Language&h=Cache-Control:max-age%3D60"
creq a "$IV" -H 'User-Agent: one' -H 'Accept-Language: en'
expect_match "$R_CS" "$CS_MISS" "cache_ignore_vary: stored"
creq b "$IV" -H 'User-Agent: two' -H 'Accept-Language: en'
expect_match "$R_CS" "$CS_HIT" "cache_ignore_vary: another User-Agent, a hit"
expect_match "$R_BODY" $'vary user-agent: one' "... with the first body"
creq c "$IV" -H 'User-Agent: one' -H 'Accept-Language: fr'
expect_match "$R_CS" "$CS_VARY_MISS" "cache_ignore_vary: another Accept-Language, a vary-miss"
expect_eq "$(bpath /cache/iv)" 2 "cache_ignore_vary: 2 backend requests for 3 requests"

expect_no_alerts
porter_stop
done_testing
