#!/bin/bash
# c018: stale-while-revalidate (RFC 5861) and the cache keeper. A stored
# response with ETag, max-age=1 and stale-while-revalidate=60, once stale,
# is served at once from the cache (porter; fwd=stale; ttl=-N;
# detail=stale-while-revalidate, the stored body), and one refresh goes to
# the backend from the keeper (a process named porter-keeper), conditional
# with the stored ETag; its 304 (max-age=60) makes the next request a
# plain hit with the refreshed head.
# Then one keep-alive client sends 200 requests for a stale key whose
# backend takes 3 s to answer: all are served stale on the one connection,
# each at once (the client's next request is never held by the refresh:
# p50 and p99 of the latency are printed, the p99 must stay under 100 ms),
# and exactly one request reaches the backend for the refresh. A client's
# no-cache is not answered stale, nor is a must-revalidate response; the
# route's cache_grace is the window for a response with neither
# directive; the counters say what happened.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_ROUTES='{ host = "*"; path = "/cache/grace/"; pool = "app"; cache = true; cache_grace = 60; },
	{ host = "*"; path = "/"; pool = "app"; cache = true; }'
cache_start
has_keeper() { [ -n "$(porter_keeper)" ]; }
expect_true "the cache keeper runs (porter-keeper)" wait_until 10 has_keeper
kp=$(porter_keeper)

SWR="Cache-Control:max-age%3D1%2C%20stale-while-revalidate%3D60"
R="/cache/swr?etag=v1&h200=$SWR&h304=Cache-Control:max-age%3D60&h304=X-Rev:new"
creq a "$R"
need_cache_status "ETag, max-age=1, stale-while-revalidate=60"
expect_match "$R_CS" "$CS_MISS" "stored"
f1=$R_FETCH
body1=$R_BODY
sleep 2.2
t0=$(now)
creq b "$R"
el=$(since "$t0")
expect_eq "$R_CODE" 200 "stale: 200"
expect_match "$R_CS" '^porter; fwd=stale; ttl=-[0-9]+; detail=stale-while-revalidate$' \
    "stale: served at once, fwd=stale with a negative ttl"
expect_eq "$R_FETCH" "$f1" "stale: the stored response (fetch $f1)"
expect_eq "$R_BODY" "$body1" "stale: the stored body"
expect_ge "${R_AGE:-0}" 2 "stale: Age ${R_AGE:-none}"
diag "the stale answer took $el s (curl, a new connection)"
refreshed() { [ "$(bpath /cache/swr)" -ge 2 ]; }
expect_true "the refresh reaches the backend" wait_until 10 refreshed
sleep 0.5
expect_eq "$(bpath /cache/swr)" 2 "exactly one refresh request"
expect_eq "$(bfield /cache/swr If-None-Match)" '"v1"' "the refresh is conditional: If-None-Match: \"v1\""
expect_eq "$(bfield /cache/swr Cache-Control)" "" "the refresh carries no Cache-Control of the client's"
revalidated() { creq c "$R"; [[ "$R_CS" =~ ^porter\;\ hit ]]; }
expect_true "after the refresh: a hit" wait_until 5 revalidated
expect_ge "${R_TTL:--1}" 55 "after the refresh: ttl ${R_TTL:-none} from the 304's max-age=60"
expect_eq "$R_FETCH" "$((f1 + 1))" "after the refresh: the 304's head (X-Fetch $((f1 + 1)))"
expect_eq "$(hval X-Rev "$R_HEAD")" new "after the refresh: a field only the 304 had"
expect_eq "$R_BODY" "$body1" "after the refresh: the stored body"
expect_eq "$(bpath /cache/swr)" 2 "after the refresh: no more backend requests"

# ---- 200 requests on one connection while a slow refresh runs ----------------
# max-age=5: fresh beyond the 3 s its fetch takes (its initial age)
S="/cache/slow?size=3000&seed=5&delay=3&h=Cache-Control:max-age%3D5%2C%20stale-while-revalidate%3D60"
creq s "$S"
expect_match "$R_CS" "$CS_MISS" "a slow key (3 s): stored"
sleep 3
n0=$(bpath /cache/slow)
"$PYTHON" - "$P" "$S" >"$T/lat.json" 2>"$T/lat.err" <<'PYEOF'
import http.client, json, sys, time
port, target = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
lat, cs, codes, socks, bad = [], {}, {}, set(), 0
end = time.monotonic() + 20
for i in range(200):
    if time.monotonic() > end:
        break
    t = time.monotonic()
    c.request("GET", target)
    r = c.getresponse()
    body = r.read()
    lat.append(time.monotonic() - t)
    socks.add(id(c.sock))
    k = r.getheader("Cache-Status", "none")
    k = k.split("ttl=")[0] + ("ttl=-N" if "ttl=-" in k else "ttl=N") + \
        (k.split(";", 3)[3] if k.count(";") >= 3 and "detail" in k else "")
    cs[k] = cs.get(k, 0) + 1
    codes[r.status] = codes.get(r.status, 0) + 1
    bad += len(body) != 3000
lat.sort()
print(json.dumps({"p50": lat[len(lat) // 2] * 1000,
                  "p99": lat[int(len(lat) * 0.99) - 1] * 1000,
                  "max": lat[-1] * 1000, "total": sum(lat),
                  "cs": cs, "codes": codes, "conns": len(socks),
                  "bad": bad}))
PYEOF
lj() { "$PYTHON" -c 'import json,sys; r=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$T/lat.json" "$1"; }
diag "200 stale requests on one keep-alive connection: p50 $(lj '"%.3f" % r["p50"]') ms," \
    "p99 $(lj '"%.3f" % r["p99"]') ms, max $(lj '"%.3f" % r["max"]') ms," \
    "all in $(lj '"%.3f" % r["total"]') s; Cache-Status $(lj 'r["cs"]')" "$(cat "$T/lat.err")"
expect_eq "$(lj 'r["codes"].get("200", 0)')" 200 "200 requests: all 200"
expect_eq "$(lj 'r["conns"]')" 1 "200 requests: one connection, kept alive"
expect_eq "$(lj 'r["bad"]')" 0 "200 requests: every body 3000 bytes"
expect_eq "$(lj 'sum(v for k, v in r["cs"].items() if "fwd=stale" in k)')" 200 \
    "200 requests: all served stale while the refresh runs"
expect_le "$(lj 'r["total"]')" 2.5 "200 requests: done before the 3 s refresh ends"
expect_le "$(lj 'r["p99"]')" 100 "stale-serving latency: p99 under 100 ms"
slow_done() { [ "$(bpath /cache/slow)" -ge $((n0 + 1)) ] && creq s2 "$S" && [[ "$R_CS" =~ ^porter\;\ hit ]]; }
expect_true "the slow refresh completes" wait_until 10 slow_done
expect_eq "$(($(bpath /cache/slow) - n0))" 1 "200 stale requests: exactly one backend request (the refresh)"

# ---- what is never served stale ------------------------------------------------
NC="/cache/nc?h=Cache-Control:max-age%3D1%2C%20stale-while-revalidate%3D60"
MR="/cache/mr?h=Cache-Control:max-age%3D1%2C%20must-revalidate%2C%20stale-while-revalidate%3D60"
creq n1 "$NC"
creq m1 "$MR"
sleep 2.2
creq n2 "$NC" -H 'Cache-Control: no-cache'
expect_match "$R_CS" '^porter; fwd=stale; fwd-status=200; stored$' \
    "a client's no-cache: fetched in the foreground, not answered stale"
creq m2 "$MR"
expect_match "$R_CS" '^porter; fwd=(stale|uri-miss); fwd-status=200; stored$' \
    "must-revalidate: fetched again, not served stale"

# ---- cache_grace: the window for a response without the directive -----------
G="/cache/grace/x?h=Cache-Control:max-age%3D1"
creq g1 "$G"
expect_match "$R_CS" "$CS_MISS" "cache_grace route: stored (max-age=1 only)"
P2="/cache/nograce?h=Cache-Control:max-age%3D1"
creq h1 "$P2"
sleep 2.2
creq g2 "$G"
expect_match "$R_CS" '^porter; fwd=stale; ttl=-[0-9]+; detail=stale-while-revalidate$' \
    "cache_grace = 60: a stale copy served at once"
creq h2 "$P2"
expect_match "$R_CS" '^porter; fwd=(stale|uri-miss); fwd-status=200; stored$' \
    "no cache_grace, no directive: fetched in the foreground"
grace_refreshed() { [ "$(bpath /cache/grace/x)" -ge 2 ]; }
expect_true "cache_grace: the refresh reaches the backend" wait_until 10 grace_refreshed

# ---- counters and the keeper ---------------------------------------------------
expect_ge "$(cache_stat stale_while_revalidate)" 202 "counter stale_while_revalidate"
expect_ge "$(cache_stat refreshes_queued)" 3 "counter refreshes_queued"
expect_ge "$(cache_stat refreshes_done)" 3 "counter refreshes_done"
expect_eq "$(cache_stat jobs_queued)" 0 "no job left queued"
expect_eq "$(porter_keeper)" "$kp" "the same keeper throughout"
expect_eq "$(grep -c 'cache keeper.*\(killed\|exited\)' "$(porter_log)")" 0 "the keeper never died"
expect_no_alerts
porter_stop
done_testing
