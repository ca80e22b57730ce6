#!/bin/bash
# c019: stale-if-error (RFC 5861), tied to the health table. Responses with
# max-age=1 and stale-if-error=60, once stale, are served from the cache
# when the backend fails: a 503 (porter; fwd=stale; fwd-status=503;
# ttl=-N; detail=stale-if-error), a timeout (504), the backend killed
# (connect refused, 502); a stale response without the directive gets the
# error. A pool whose only server the health checker marks down serves its
# stale copy at once, without trying the backend (detail=pool-down, and
# the backend logs no request), and porter's 503 for what it has not
# stored; once the server is up again, the next request fetches. The
# route's cache_grace is the window for a response with neither directive
# (served stale while the backend is down). Counters count each kind.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"
. "$E2E/lib-health.sh"

backend_start app
B=$BPORT
PORT_app=$B
backend_start hc
H=$BPORT
PORT_hc=$H
P=$(free_port)
S=$(free_port)
while [ "$S" = "$P" ]; do S=$(free_port); done
U=http://127.0.0.1:$P
SJ="http://127.0.0.1:$S/porter-status?format=json"
porter_start <<EOF
log_level = "info";
access_log = "$T/access.log";
workers = { count = 4; };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = 5.0;
             connect = 3.0; upstream = 2.0; tunnel_idle = 30.0; };
cache = { size = "32M"; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse"; routes = (
    { host = "hc.test"; path = "/"; pool = "hc"; cache = true; },
    { path = "/cache/grace/"; pool = "app"; cache = true; cache_grace = 60; },
    { path = "/cache/to/"; pool = "app"; cache = true;
      cache_ignore_query = [ "delay" ]; },
    { path = "/"; pool = "app"; cache = true; } ); } );
pools = (
  { name = "app"; max_fails = 0; servers = ( { address = "127.0.0.1:$B"; } ); },
  { name = "hc"; health = { path = "/health"; interval = 0.2; timeout = 1.0;
                            rise = 1; fall = 1; };
    servers = ( { address = "127.0.0.1:$H"; } ); } );
status = { listen = "127.0.0.1:$S"; };
EOF

SIE="h=Cache-Control:max-age%3D1%2C%20stale-if-error%3D60"
E5="/cache/e5?$SIE"
TO="/cache/to/x?$SIE"
KL="/cache/kill?$SIE"
NS="/cache/nosie?h=Cache-Control:max-age%3D1"
G="/cache/grace/g?h=Cache-Control:max-age%3D1"
creq a "$E5"
need_cache_status "max-age=1, stale-if-error=60"
expect_match "$R_CS" "$CS_MISS" "stored"
e5body=$R_BODY
creq a "$TO&delay=0"
expect_match "$R_CS" "$CS_MISS" "a key without its delay parameter: stored"
tobody=$R_BODY
creq a "$KL"
expect_match "$R_CS" "$CS_MISS" "the backend-kill key: stored"
klbody=$R_BODY
creq a "$NS"
expect_match "$R_CS" "$CS_MISS" "no stale-if-error: stored"
creq a "$G"
expect_match "$R_CS" "$CS_MISS" "cache_grace route: stored"
gbody=$R_BODY
sleep 2.2

# ---- the backend answers 503 ----------------------------------------------------
expect_true "the backend answers 503 from now on" mode_set app status:503
n0=$(bpath /cache/e5)
creq b "$E5"
expect_eq "$R_CODE" 200 "503 from the backend: the client gets 200"
expect_match "$R_CS" '^porter; fwd=stale; fwd-status=503; ttl=-[0-9]+; detail=stale-if-error$' \
    "503 from the backend: the stale copy (fwd-status=503)"
expect_eq "$R_BODY" "$e5body" "503 from the backend: the stored body"
expect_eq "$(($(bpath /cache/e5) - n0))" 1 "503: the backend was tried once"
creq b "$NS"
expect_eq "$R_CODE" 503 "503, no stale-if-error: the backend's 503"
expect_true "the backend answers normally again" mode_set app normal

# ---- the backend times out ------------------------------------------------------
t0=$(now)
creq c "$TO&delay=4"
el=$(since "$t0")
expect_eq "$R_CODE" 200 "backend timeout: the client gets 200"
expect_match "$R_CS" '^porter; fwd=stale; fwd-status=504; ttl=-[0-9]+; detail=stale-if-error$' \
    "backend timeout: the stale copy (fwd-status=504)"
expect_eq "$R_BODY" "$tobody" "backend timeout: the stored body"
expect_le "$el" 3.9 "backend timeout: answered after upstream = 2 s ($el s), not the backend's 4 s"

# ---- the backend killed --------------------------------------------------------
backend_stop app
creq d "$KL"
expect_eq "$R_CODE" 200 "backend killed: the client gets 200"
expect_match "$R_CS" '^porter; fwd=stale; fwd-status=502; ttl=-[0-9]+; detail=stale-if-error$' \
    "backend killed: the stale copy (fwd-status=502)"
expect_eq "$R_BODY" "$klbody" "backend killed: the stored body"
# a rare failure here (once in fresh-debian, never reproduced): what the
# cache's counters said then
[ "$R_CODE" = 200 ] || diag "cache counters: $(CURL_MAX_TIME=3 cu \
    -H 'Connection: close' "$SJ" 2>/dev/null | "$PYTHON" -c \
    'import json, sys; print(json.load(sys.stdin)["cache"])' 2>&1)"
creq d "$NS"
expect_eq "$R_CODE" 502 "backend killed, no stale-if-error: 502"
creq d "$G"
expect_eq "$R_CODE" 200 "backend killed, cache_grace = 60: 200"
expect_match "$R_CS" '^porter; fwd=stale; ttl=-[0-9]+; detail=stale-(while-revalidate|if-error)$' \
    "backend killed, cache_grace = 60: the stale copy"
expect_eq "$R_BODY" "$gbody" "cache_grace: the stored body"

# ---- the pool marked down by the health checker --------------------------------
HC="/cache/h?$SIE"
creq h1 "$HC" -H 'Host: hc.test'
expect_match "$R_CS" "$CS_MISS" "pool with health checks: stored"
hbody=$R_BODY
sleep 2.2
expect_true "its server fails its checks" health_set hc "status=503"
expect_true "the checker marks it down" hc_wait 10 hc "$H" down
n0=$(traffic hc)
t0=$(now)
creq h2 "$HC" -H 'Host: hc.test'
el=$(since "$t0")
expect_eq "$R_CODE" 200 "pool down: the client gets 200"
expect_match "$R_CS" '^porter; fwd=stale; fwd-status=503; ttl=-[0-9]+; detail=pool-down$' \
    "pool down: the stale copy at once (detail=pool-down)"
expect_eq "$R_BODY" "$hbody" "pool down: the stored body"
diag "pool down: answered in $el s"
creq h3 "/cache/h-other?$SIE" -H 'Host: hc.test'
expect_eq "$R_CODE" 503 "pool down, nothing stored: 503"
sleep 0.5
expect_eq "$(($(traffic hc) - n0))" 0 "pool down: not one request reached the backend"
expect_true "its server passes its checks again" health_set hc "status=200"
expect_true "the checker marks it up" hc_wait 10 hc "$H" up
creq h4 "$HC" -H 'Host: hc.test'
expect_match "$R_CS" '^porter; fwd=stale; fwd-status=200; stored$' "pool up again: fetched"
expect_eq "$(($(traffic hc) - n0))" 1 "pool up again: one backend request"

# ---- counters ------------------------------------------------------------------
expect_ge "$(cache_stat stale_if_error)" 3 "counter stale_if_error"
expect_ge "$(cache_stat stale_pool_down)" 1 "counter stale_pool_down"
expect_no_alerts
porter_stop
done_testing
