#!/bin/bash
# h004: no server up. Every backend of a checked pool stopped: the client
# gets 503 at once with Retry-After and a short page that names no
# backend; one back, the service is back, for 8 clients at once too. A backup server takes over when
# its primary is down by health checks, and leaves again when the primary
# is up. A pool without checks whose servers all refused (passive checks)
# answers 503 too.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

command -v wrk >/dev/null 2>&1 || { not_ok "wrk is installed"; done_testing; }

backend_start a
A=$BPORT
backend_start b
B=$BPORT
backend_start c
C=$BPORT
backend_start e		# c's backup
E=$BPORT
G1=$(free_port)		# nothing listens on these two
G2=$(free_port)
P=$(free_port)
U=http://127.0.0.1:$P

porter_start <<EOF
log_level = "info";
workers = { count = 2; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/app/"; pool = "app"; },
             { path = "/bk/"; pool = "bk"; },
             { path = "/gone/"; pool = "gone"; } ); } );
pools = (
  { name = "app";
    health = { path = "/health"; interval = 0.2; timeout = 1.0; rise = 2; fall = 2; };
    servers = ( { address = "127.0.0.1:$A"; }, { address = "127.0.0.1:$B"; } ); },
  { name = "bk";
    health = { path = "/health"; interval = 0.2; timeout = 1.0; rise = 2; fall = 2; };
    servers = ( { address = "127.0.0.1:$C"; },
                { address = "127.0.0.1:$E"; backup = true; } ); },
  { name = "gone"; max_fails = 1; fail_timeout = 30.0; retries = 1;
    servers = ( { address = "127.0.0.1:$G1"; }, { address = "127.0.0.1:$G2"; } ); } );
EOF
expect_true "2 workers and the health checker" wait_hc_workers 2 10
expect_status "$U/app/" 200

# 1. both servers of app stopped
backend_stop a
backend_stop b
both_down() { hc_wait 5 "$1" "$2" down && hc_wait 5 "$1" "$3" down; }
expect_true "a and b are logged down within 5 s" both_down app "$A" "$B"
t0=$(now)
cu -D "$T/h" -o "$T/body" -w '%{http_code}' "$U/app/x" >"$T/code"
el=$(since "$t0")
head=$(cat "$T/h")
diag "all down: $(cat "$T/code") after $el s" "$(tr -d '\r' <"$T/h")" "$(cat "$T/body")"
expect_eq "$(cat "$T/code")" 503 "no server up: 503"
expect_le "$el" 1.0 "answered at once ($el s)"
expect_match "$(hval Retry-After "$head")" '^[0-9]+$' "with Retry-After: seconds"
size=$(wc -c <"$T/body")
expect_true "a short page (1..1024 bytes, got $size)" test "$size" -ge 1 -a "$size" -le 1024
expect_nomatch "$(cat "$T/body")" "127\\.0\\.0\\.1|$A|$B" "the page names no backend"
expect_eq "$(hval Content-Length "$head")" "$size" "Content-Length matches the page"
t0=$(now)
codes=$(get_n 10 "$U/app/y")
expect_eq "$(count_of 503 "$codes")" 10 "10 more requests: 503 each, in $(since "$t0") s"

# 2. a back on its port: up, and the service is back
expect_true "a restarted on its port" backend_restart a "$A"
expect_true "a is logged up within 5 s" hc_wait 5 app "$A" up
codes=$(get_n 10 "$U/app/z")
expect_eq "$(count_of 200 "$codes")" 10 "10 requests: all 200 again"
# b still down: a carries everything, from every worker, no 503
wrk -t1 -c8 -d1s --timeout 3s "$U/app/wrk" >"$T/wrk.out" 2>&1
rq=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.out")
nx=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/wrk.out")
diag "wrk with a up, b down: ${rq:-?} requests, non-2xx/3xx ${nx:-0}"
expect_ge "${rq:-0}" 50 "wrk ran (${rq:-no} requests)"
expect_eq "${nx:-0}" 0 "with one server of two up, no request gets 503"

# 3. backup: e unused while c is up; takes over when c is down by checks
e0=$(traffic e)
codes=$(get_n 10 "$U/bk/x")
expect_eq "$(count_of 200 "$codes")" 10 "bk with c up: all 200"
expect_eq "$(($(traffic e) - e0))" 0 "the backup gets nothing while c is up"
expect_true "c's /health answers 503" health_set c "status=503"
expect_true "c is logged down within 5 s" hc_wait 5 bk "$C" down
c0=$(traffic c) e0=$(traffic e)
codes=$(get_par 2 5 "$U/bk/y")
expect_eq "$(count_of 200 "$codes")" 10 "bk with c down: all 200"
expect_eq "$(($(traffic e) - e0))" 10 "the backup answered all 10"
expect_eq "$(($(traffic c) - c0))" 0 "c (down) none"
expect_true "c's /health answers 200" health_set c "status=200"
expect_true "c is logged up within 5 s" hc_wait 5 bk "$C" up
e0=$(traffic e)
codes=$(get_n 10 "$U/bk/z")
expect_eq "$(count_of 200 "$codes")" 10 "bk with c up again: all 200"
expect_eq "$(($(traffic e) - e0))" 0 "the backup gets nothing again"

# 4. passive only: both servers refuse, each marked down by its failure
first=$(cu -o /dev/null -w '%{http_code}' "$U/gone/1")
diag "first request to the pool whose servers refuse: $first"
expect_match "$first" '^50[23]$' "the first request fails with 502 or 503"
expect_true "both refusing servers are logged down" both_down gone "$G1" "$G2"
head=$(cu -D - -o /dev/null "$U/gone/2")
expect_eq "$(first_line "$head" | cut -d' ' -f2)" 503 "then 503: no server up"
expect_match "$(hval Retry-After "$head")" '^[0-9]+$' "with Retry-After"

expect_no_alerts
porter_stop
done_testing
