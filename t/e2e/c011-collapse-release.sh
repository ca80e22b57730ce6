#!/bin/bash
# c011: a response that turns out not storable releases the collapsed
# clients at once. 10 clients at once for a key whose response (after 1 s)
# says Cache-Control: no-store: those waiting on the first fetch are not
# served its response (no-store is one client's) but fetch their own as
# soon as its head says no-store: 10 backend requests, 10 different fetches
# (X-Fetch), all answered within 2.6 s (about 2 s: 1 s for the first,
# then 1 s for the rest; one after another would take 10 s). The same for a
# response too big to store (max_object 1M, 2 MB): each client gets the
# whole 2 MB (the first from the filling fetch, the rest from fetches of
# their own or from the fill as it streams) within 2.6 s.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_WORKERS='count = 16;'
CACHE_GROUP='size = "32M"; max_object = "1M"; collapse_timeout = 5.0;'
cache_start
expect_true "16 workers" wait_workers 16 15

creq w "/cache/warm?h=Cache-Control:max-age%3D60"
need_cache_status "a warm-up request"

NS="/cache/rel?delay=1&h=Cache-Control:no-store"
n0=$(bn)
burst b --target "$NS" --n 10 --timeout 15
diag "no-store: statuses $(rj b 'r["statuses"]'), done at $(rj b '[x["t_done"] for x in r["results"]]')" \
    "X-Fetch: $(rj b 'sorted(x["x_fetch"] for x in r["results"])')" \
    "Cache-Status: $(rj b '[x["cache_status"] for x in r["results"]]')"
expect_eq "$(rj b 'r["statuses"]')" '{"200": 10}' "no-store: 10 clients, all 200"
expect_eq "$(($(bn) - n0))" 10 "no-store: 10 backend requests (no client served another's no-store response)"
expect_eq "$(rj b 'len(set(x["x_fetch"] for x in r["results"]))')" 10 "no-store: 10 different fetches"
expect_le "$(rj b 'r["max_done"]')" 2.6 "no-store: all answered within 2.6 s"
expect_eq "$(rj b 'sum(m("; hit", x["cache_status"]) for x in r["results"])')" 0 "no-store: no hit"

TB="/cache/big2?size=2000000&seed=9&delay=1&h=Cache-Control:max-age%3D60"
n0=$(bn)
burst b2 --target "$TB" --n 10 --timeout 15 --size 2000000 --seed 9
diag "too big: statuses $(rj b2 'r["statuses"]'), done at $(rj b2 '[x["t_done"] for x in r["results"]]')" \
    "Cache-Status: $(rj b2 '[x["cache_status"] for x in r["results"]]')"
expect_eq "$(rj b2 'r["statuses"]')" '{"200": 10}' "too big: 10 clients, all 200"
expect_eq "$(rj b2 'r["bad_bodies"]')" 0 "too big: every body the whole 2 MB"
expect_le "$(rj b2 'r["max_done"]')" 2.6 "too big: all answered within 2.6 s"
expect_le "$(($(bn) - n0))" 10 "too big: at most 10 backend requests ($(($(bn) - n0)))"
creq a "$TB"
expect_nomatch "$R_CS" '^porter; hit' "too big: not stored ($R_CS)"

expect_no_alerts
porter_stop
done_testing
