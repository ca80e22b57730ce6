#!/bin/bash
# c009: request collapsing. 50 clients (threads, released together by a
# barrier, a connection each, 56 workers) ask for one key that the backend
# answers after 1 s: exactly one backend request; all 50 get 200 and the
# same, correct 20,000 bytes; one is the miss that stored it, the 49 others
# hits (porter; hit; collapsed; ttl=N while it filled, or a plain hit); all
# answered within 3 s (not one after another).
# Then a 5 MB object the backend sends over 3 s (30 pieces, the first 0.6 s
# after the request): one client fetches it, 8 more ask 0.2 s later and
# are served from the filling entry as it grows. The time each gets its
# first body byte is measured; the median over the 8 collapsed clients is
# within 50 ms of the filling client's (the largest difference is printed);
# all 9 get the right 5 MB; one backend request.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_WORKERS='count = 56;'
CACHE_GROUP='size = "64M"; max_object = "8M"; collapse_timeout = 5.0;'
cache_start
expect_true "56 workers" wait_workers 56 15

creq w "/cache/warm?h=Cache-Control:max-age%3D60"
need_cache_status "a warm-up request"

# ---- 50 at once ---------------------------------------------------------------
C="/cache/c50?size=20000&seed=11&delay=1&h=Cache-Control:max-age%3D60"
n0=$(bn)
t0=$(now)
burst b50 --target "$C" --n 50 --timeout 10 --size 20000 --seed 11
el=$(since "$t0")
diag "50 clients: statuses $(rj b50 'r["statuses"]'), $(rj b50 'r["errors"]') errors," \
    "$(rj b50 'r["timeouts"]') timeouts, last done at $(rj b50 'r["max_done"]') s ($el s with the start)" \
    "Cache-Status: $(rj b50 'dict(__import__("collections").Counter(re.sub("ttl=-?[0-9]+", "ttl=N", x["cache_status"] or "none") for x in r["results"]))')"
expect_eq "$(rj b50 'r["statuses"]')" '{"200": 50}' "50 clients: all 200"
expect_eq "$(($(bn) - n0))" 1 "50 clients: exactly one backend request"
expect_eq "$(rj b50 'r["bad_bodies"]')" 0 "50 clients: every body the right 20,000 bytes"
expect_eq "$(rj b50 'len(r["shas"])')" 1 "50 clients: all bodies identical"
expect_eq "$(rj b50 'sum(m(CS_MISS, x["cache_status"]) for x in r["results"])')" 1 \
    "50 clients: one miss that stored it"
expect_eq "$(rj b50 'sum(m(CS_HIT_ANY, x["cache_status"]) for x in r["results"])')" 49 \
    "50 clients: 49 hits"
nc=$(rj b50 'sum(m(CS_COLLAPSED, x["cache_status"]) for x in r["results"])')
expect_ge "$nc" 40 "50 clients: at least 40 of them collapsed on the fill ($nc)"
expect_le "$(rj b50 'r["max_done"]')" 3 "50 clients: all answered within 3 s"

# ---- a 5 MB object trickled over 3 s ------------------------------------------
SZ=5000000
TR="/cache/tr5?size=$SZ&seed=21&delay=0.5&trickle=3&pieces=30&h=Cache-Control:max-age%3D60"
n0=$(bn)
burst btr --target "$TR" --n 9 --first-alone 0.2 --timeout 10 --size $SZ --seed 21
expect_eq "$(rj btr 'r["statuses"]')" '{"200": 9}' "trickled 5 MB: 9 clients, all 200"
expect_eq "$(($(bn) - n0))" 1 "trickled 5 MB: one backend request"
expect_eq "$(rj btr 'r["bad_bodies"]')" 0 "trickled 5 MB: every body the right 5 MB"
fill=$(rj btr '[x["i"] for x in r["results"] if m(CS_MISS, x["cache_status"])]')
expect_eq "$fill" "[0]" "trickled 5 MB: the first client (alone, 0.2 s early) filled"
nc=$(rj btr 'sum(m(CS_COLLAPSED, x["cache_status"]) for x in r["results"])')
expect_eq "$nc" 8 "trickled 5 MB: the 8 others collapsed on the fill"
tf=$(rj btr 'r["results"][0]["t_first"]')
med=$(rj btr 'round(statistics.median(x["t_first"] - r["results"][0]["t_first"] for x in r["results"][1:]), 4)')
mx=$(rj btr 'round(max(abs(x["t_first"] - r["results"][0]["t_first"]) for x in r["results"][1:]), 4)')
diag "trickled 5 MB: first body byte at the filling client $tf s;" \
    "collapsed clients (s): $(rj btr '[x["t_first"] for x in r["results"][1:]]');" \
    "median difference $med s, largest $mx s; done at $(rj btr '[x["t_done"] for x in r["results"]]')"
expect_le "$(awk -v v="${med:-9}" 'BEGIN { print (v < 0 ? -v : v) }')" 0.05 \
    "trickled 5 MB: the collapsed clients' first body byte within 50 ms of the filler's (median $med s)"
expect_ge "$tf" 0.55 "trickled 5 MB: the first body byte came with the backend's (>= 0.55 s: $tf)"

expect_no_alerts
porter_stop
done_testing
