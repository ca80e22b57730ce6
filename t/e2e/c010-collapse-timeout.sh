#!/bin/bash
# c010: collapse_timeout = 1. 50 clients at once for a key the backend
# answers after 3 s: the first fetches; the others wait on its fill, and
# after 1 s without its head one of them takes over and fetches again (the
# others then wait on that one): exactly 2 backend requests, not 50. All
# 50 get 200 and the right bytes within 6 s, none times out.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_WORKERS='count = 56;'
CACHE_GROUP='size = "32M"; max_object = "8M"; collapse_timeout = 1.0;'
cache_start
expect_true "56 workers" wait_workers 56 15

creq w "/cache/warm?h=Cache-Control:max-age%3D60"
need_cache_status "a warm-up request"

C="/cache/ct?size=3000&seed=4&delay=3&h=Cache-Control:max-age%3D60"
n0=$(bn)
burst b --target "$C" --n 50 --timeout 10 --size 3000 --seed 4
diag "statuses $(rj b 'r["statuses"]'), errors $(rj b 'r["errors"]'), timeouts $(rj b 'r["timeouts"]')," \
    "last done at $(rj b 'r["max_done"]') s" \
    "Cache-Status: $(rj b 'dict(__import__("collections").Counter(re.sub("ttl=-?[0-9]+", "ttl=N", x["cache_status"] or "none") for x in r["results"]))')" \
    "backend requests at (s): $("$PYTHON" -c 'import json, sys
print([round(json.loads(l)["time"] % 100, 2) for l in open(sys.argv[1]) if "/cache/ct" in l])' "$(backend_log app)")"
expect_eq "$(($(bn) - n0))" 2 "collapse_timeout 1 s, backend 3 s: exactly 2 backend requests"
expect_eq "$(rj b 'r["statuses"]')" '{"200": 50}' "all 50 answered 200"
expect_eq "$(rj b 'r["bad_bodies"]')" 0 "all 50 bodies right"
expect_eq "$(rj b 'r["timeouts"]')" 0 "no client timed out"
expect_le "$(rj b 'r["max_done"]')" 6 "all answered within 6 s"
expect_ge "$(rj b 'r["max_done"]')" 2.9 "... not before the backend answered (3 s)"

# a stored copy afterwards: a hit
creq h "$C"
expect_match "$R_CS" "$CS_HIT" "then a hit"
expect_eq "$(($(bn) - n0))" 2 "still 2 backend requests"

expect_no_alerts
porter_stop
done_testing
