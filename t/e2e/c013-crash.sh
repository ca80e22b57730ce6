#!/bin/bash
# c013: the cache under worker crashes (bounded: about 60 s). 50 URLs (30
# small, some chunked; 10 of 200 KB..1 MB, half trickled over 0.5 s; 10 of
# 1..4 MB trickled over 1 s; max-age 2..4 s for most, so they are refilled
# all along, 600 s for a few), 12 client threads for 35 s (cacheclients.py
# load, one connection per request, a 3 s read timeout = collapse_timeout
# 2 s + 1 s), while 200 SIGKILLs hit random workers (5 a second, below the
# master's crash-loop guard). Then:
#   - no response that looks complete (its whole Content-Length, or the
#     terminating zero chunk) has other bytes than the origin's
#   - no client stuck (no 3 s without a byte: a waiter on a dead filler is
#     released)
#   - hits all along: no 3 s without a completed hit; at least 200 hits
#   - after the load, every URL is answered right (200, the origin's bytes)
#   - every URL invalidated by a POST (2xx): the status page's cache object
#     shows objects 0 and chunks_free back at its value before the load
#     (nothing leaked by a killed filler or reader), within 10 s
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_WORKERS='count = 24;'
CACHE_GROUP='size = "64M"; max_object = "8M"; collapse_timeout = 2.0;'
cache_start
master=$(porter_pid)
expect_true "24 workers" wait_workers 24 15

free0=$(cache_stat chunks_free)
total0=$(cache_stat chunks_total)
obj0=$(cache_stat objects)
diag "before: cache.chunks_free ${free0:-none} of ${total0:-none}, objects ${obj0:-none}"
expect_match "$free0" '^[0-9]+$' "the status page has cache.chunks_free (${free0:-none})"
expect_match "$total0" '^[0-9]+$' "the status page has cache.chunks_total (${total0:-none})"
expect_eq "$obj0" 0 "the status page has cache.objects: 0 at the start"

# the URLs: "TARGET SIZE SEED" lines
"$PYTHON" - >"$T/urls" <<'EOF'
import random
rnd = random.Random(13)
for i in range(50):
    seed = 1000 * i + 7
    q = []
    if i < 30:
        size = rnd.randrange(100, 60000)
        age = 600 if i < 5 else rnd.choice((2, 3, 4))
        if i % 3 == 0:
            q.append("chunked=1")
    elif i < 40:
        size = rnd.randrange(200000, 1000000)
        age = rnd.choice((2, 3, 4))
        if i % 2:
            q.append("trickle=0.5&pieces=5")
    else:
        size = rnd.randrange(1000000, 4000000)
        age = rnd.choice((3, 4))
        q.append("trickle=1&pieces=10")
        if i % 2:
            q.append("chunked=1")
    q.append("h=Cache-Control:max-age%%3D%d" % age)
    print("/cache/crash/%d?size=%d&seed=%d&%s %d %d"
          % (i, size, seed, "&".join(q), size, seed))
EOF
expect_eq "$(wc -l <"$T/urls" | tr -d ' ')" 50 "50 URLs"

creq w "$(head -n 1 "$T/urls" | cut -d' ' -f1)"
need_cache_status "the first URL"

"$PYTHON" "$E2E/cacheclients.py" load --port "$P" --urls "$T/urls" --threads 12 \
    --duration 35 --timeout 3 >"$T/load.json" 2>"$T/load.err" &
lp=$!
track $lp
sleep 1
"$PYTHON" "$E2E/cacheclients.py" killer --master "$master" --kills 200 \
    --duration 32 >"$T/killer.json" 2>"$T/killer.err" &
kp=$!
track $kp
_wait_gone 60 $kp || kill -TERM $kp
_wait_gone 60 $lp || kill -TERM $lp
wait $kp
wait $lp
lj() { rj load "$1"; }
diag "load: $(cat "$T/load.json")" "killer: $(cut -c1-300 "$T/killer.json")"
expect_eq "$(rj killer 'r["kills"]')" 200 "200 workers killed"
expect_ge "$(lj 'r["requests"]')" 500 "the load ran ($(lj 'r["requests"]') requests)"
expect_eq "$(lj 'r["corrupt"]')" 0 "no complete-looking response with other bytes than the origin's"
expect_eq "$(lj 'r["timeouts"]')" 0 "no client stuck 3 s (collapse_timeout + 1) without a byte"
expect_ge "$(lj 'r["hits"]')" 200 "hits during the load ($(lj 'r["hits"]'))"
expect_le "$(lj 'r["hit_gaps_max"]')" 3 "hits all along: longest time without one $(lj 'r["hit_gaps_max"]') s"
expect_ge "$(lj 'r["complete"]')" "$(lj 'int(r["requests"] * 0.8)')" \
    "most responses complete and right ($(lj 'r["complete"]') of $(lj 'r["requests"]'), truncated by kills $(lj 'r["truncated"]'))"
expect_eq "$(lj 'sum(v for k, v in r["statuses"].items() if k not in ("200", "None"))')" 0 \
    "no status other than 200 ($(lj 'r["statuses"]'))"
expect_eq "$(grep -a -c 'dying in a loop' "$(porter_log)")" 0 "the master never held respawns (crash loop guard)"
expect_true "24 workers after the kills" wait_workers 24 10

# every URL right after the load
bad=0
while read -r tg size seed; do
	creq after "$tg"
	if [ "$R_CODE" != 200 ] ||
	    [ "$(sha_of "$T/after.b")" != "$(gen_range "$seed" "$size" | sha256sum | cut -d' ' -f1)" ]; then
		bad=$((bad + 1))
		diag "after the load: $tg: $R_CODE, $(wc -c <"$T/after.b") bytes, $R_CS"
	fi
done <"$T/urls"
expect_eq "$bad" 0 "after the load: all 50 URLs answered 200 with the origin's bytes"

# invalidate everything: the store must be empty again
cut -d' ' -f1 "$T/urls" | xargs -P 10 -I{} curl -q -sS --noproxy '*' --max-time 20 \
    -o /dev/null -X POST -d x=1 "$U{}"
gone() { [ "$(cache_stat objects)" = 0 ] && [ "$(cache_stat chunks_free)" = "$free0" ]; }
t0=$(now)
wait_until 10 gone
diag "after invalidating all 50 ($(since "$t0") s): objects $(cache_stat objects)," \
    "chunks_free $(cache_stat chunks_free) (before the load $free0) of $(cache_stat chunks_total)"
expect_eq "$(cache_stat objects)" 0 "every object invalidated: cache.objects 0"
expect_eq "$(cache_stat chunks_free)" "$free0" "cache.chunks_free back to its value before the load ($free0)"
expect_eq "$(cache_stat chunks_total)" "$total0" "cache.chunks_total unchanged"

expect_no_alerts
porter_stop
done_testing
