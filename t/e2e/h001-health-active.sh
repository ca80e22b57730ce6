#!/bin/bash
# h001: active health checks. Three backends checked every 0.2 s (rise 2,
# fall 2) by one checker, whatever the number of workers, with the method
# and Host the pool names. A backend whose /health answers 503 is logged
# down once and gets no traffic; healthy again, it is logged up and gets
# traffic again. A 200 whose body lacks the expected text is a failure, and
# so is a check that takes longer than the timeout (while the other
# servers keep being checked on time). A pool without health checks gets
# none and works.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

command -v wrk >/dev/null 2>&1 || { not_ok "wrk is installed"; done_testing; }

backend_start a
A=$BPORT
backend_start b
B=$BPORT
backend_start c
C=$BPORT
backend_start d		# in the pool without health checks
D=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P

porter_start <<EOF
log_level = "info";
workers = { count = 4; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/app/"; pool = "app"; },
             { path = "/plain/"; pool = "plain"; } ); } );
pools = (
  { name = "app";
    health = { path = "/health"; method = "GET"; host = "hc.example";
               status = "200-399"; body = "ok";
               interval = 0.2; timeout = 1.0; rise = 2; fall = 2; };
    max_fails = 0;
    servers = ( { address = "127.0.0.1:$A"; }, { address = "127.0.0.1:$B"; },
                { address = "127.0.0.1:$C"; } ); },
  { name = "plain"; servers = ( { address = "127.0.0.1:$D"; } ); } );
EOF
expect_true "4 workers and the health checker" wait_hc_workers 4 10
expect_eq "$(porter_checker | wc -l | tr -d ' ')" 1 "one checker process"
expect_eq "$(porter_workers | wc -l | tr -d ' ')" 4 "the master's other children: 4 workers"
# it reads what servers send, so like the workers it does not keep root
if [ "$(id -u)" -eq 0 ]; then
	expect_eq "$(ps -o user= -p "$(porter_checker)" | tr -d ' ')" nobody \
	    "started as root, the checker runs as nobody"
else
	expect_eq "$(ps -o user= -p "$(porter_checker)" | tr -d ' ')" "$(id -un)" \
	    "the checker runs as the user who started porter"
fi

# 1. the checks themselves
all_checked() {	# each of a, b and c checked at least twice
	[ "$(checks a)" -ge 2 ] && [ "$(checks b)" -ge 2 ] && [ "$(checks c)" -ge 2 ]
}
expect_true "a, b and c are checked within 3 s" wait_until 3 all_checked
first=$(grep -a -m1 '"path": "/health"' "$(backend_log a)" | "$PYTHON" -c '
import json, sys
r = json.loads(sys.stdin.read())
h = {k.lower(): v for k, v in r["headers"]}
print(r["method"], h.get("host", "-"), r["body_len"])')
expect_eq "$first" "GET hc.example 0" "a check is GET /health with Host: hc.example, no body"
n0=$(checks a)
sleep 2
n1=$(checks a)
diag "checks of a in 2 s at interval 0.2: $((n1 - n0))"
# one checker: about 10; a checker per worker would make about 40
expect_ge "$((n1 - n0))" 4 "a is checked about every 0.2 s (>= 4 in 2 s)"
expect_le "$((n1 - n0))" 20 "a is checked by one checker, not one per worker (<= 20 in 2 s)"
expect_eq "$(checks d)" 0 "the pool without health settings is not checked"
expect_eq "$(grep -a -c -E 'backend app/.* is down' "$(porter_log)")" 0 \
    "no server is logged down while all are healthy"

# 2. all three get traffic
a0=$(traffic a) b0=$(traffic b) c0=$(traffic c)
codes=$(get_n 30 "$U/app/x")
expect_eq "$(count_of 200 "$codes")" 30 "30 requests to app: all 200"
da=$(($(traffic a) - a0)) db=$(($(traffic b) - b0)) dc=$(($(traffic c) - c0))
diag "a $da, b $db, c $dc"
expect_true "each healthy server gets some of them (a $da, b $db, c $dc)" \
    test "$da" -gt 0 -a "$db" -gt 0 -a "$dc" -gt 0

# 3. b's checks fail (503): down within interval * fall + slack
expect_true "b's /health now answers 503" health_set b "status=503"
t0=$(now)
expect_true "b is logged down within 5 s" hc_wait 5 app "$B" down
diag "down after $(since "$t0") s (interval 0.2 * fall 2 = 0.4 s)" \
    "logged: $(hc_line app "$B" down)"
expect_match "$(hc_line app "$B" down)" "503" "the line gives the last failure (status 503)"
b0=$(traffic b) a0=$(traffic a) c0=$(traffic c)
codes=$(get_par 3 10 "$U/app/y")
expect_eq "$(count_of 200 "$codes")" 30 "30 requests with b down: all 200"
expect_eq "$(($(traffic b) - b0))" 0 "b (down) gets none of them"
expect_eq "$(($(traffic a) - a0 + $(traffic c) - c0))" 30 "a and c get all 30"
# every worker sees it: 8 connections over 4 workers for 1 s
b0=$(traffic b)
wrk -t1 -c8 -d1s --timeout 3s "$U/app/wrk" >"$T/wrk.out" 2>&1
rq=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.out")
nx=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/wrk.out")
diag "wrk with b down: ${rq:-?} requests, non-2xx/3xx ${nx:-0}"
expect_ge "${rq:-0}" 50 "wrk ran (${rq:-no} requests)"
expect_eq "${nx:-0}" 0 "all 2xx"
expect_eq "$(($(traffic b) - b0))" 0 "b gets none of them, from any worker"
k0=$(checks b)
sleep 1
expect_ge "$(($(checks b) - k0))" 2 "b is still checked while down ($(($(checks b) - k0)) in 1 s)"
expect_eq "$(hc_count app "$B" down)" 1 "b's state change is logged once (not per worker or per check)"

# 4. healthy again: up after rise checks, traffic again
expect_true "b's /health answers 200 ok again" health_set b "status=200"
t0=$(now)
expect_true "b is logged up within 5 s" hc_wait 5 app "$B" up
diag "up after $(since "$t0") s (interval 0.2 * rise 2 = 0.4 s)" \
    "logged: $(hc_line app "$B" up)"
b0=$(traffic b)
codes=$(get_n 30 "$U/app/z")
expect_eq "$(count_of 200 "$codes")" 30 "30 requests with b up again: all 200"
expect_ge "$(($(traffic b) - b0))" 5 "b gets traffic again ($(($(traffic b) - b0)) of 30)"

# 5. status 200 but the body lacks "ok": down
expect_true "b's /health answers 200 'degraded'" health_set b "status=200&body=degraded"
expect_true "b is logged down again within 5 s (body mismatch)" \
    hc_wait 5 app "$B" down 2
diag "logged: $(hc_line app "$B" down 2)"
b0=$(traffic b)
codes=$(get_par 4 5 "$U/app/w")
expect_eq "$(count_of 200 "$codes")" 20 "20 requests: all 200"
expect_eq "$(($(traffic b) - b0))" 0 "b (body mismatch) gets none of them"
expect_true "b's /health answers 200 ok" health_set b "status=200"
expect_true "b is logged up again within 5 s" hc_wait 5 app "$B" up 2

# 6. c's checks hang past the timeout (1 s): down, and a is still checked
# on time meanwhile (the checker does not wait on c)
expect_true "c's /health answers after 3 s" health_set c "status=200&delay=3"
t0=$(now)
n0=$(checks a)
expect_true "c is logged down within 6 s (timeout 1 s, fall 2)" \
    hc_wait 6 app "$C" down
el=$(since "$t0")
n1=$(checks a)
diag "c down after $el s; a was checked $((n1 - n0)) times meanwhile" \
    "logged: $(hc_line app "$C" down)"
expect_ge "$((n1 - n0))" "$(awk -v t="$el" 'BEGIN { printf "%d", t / 0.2 / 3 }')" \
    "a is checked about every 0.2 s while c's checks hang"
expect_eq "$(hc_count app "$A" down)" 0 "a is never logged down"
c0=$(traffic c)
codes=$(get_par 4 5 "$U/app/v")
expect_eq "$(count_of 200 "$codes")" 20 "20 requests: all 200"
expect_eq "$(($(traffic c) - c0))" 0 "c (checks timing out) gets none of them"
health_set c "status=200"

# 7. the pool without health checks
codes=$(get_n 10 "$U/plain/x")
expect_eq "$(count_of 200 "$codes")" 10 "10 requests to the pool without checks: all 200"
expect_eq "$(traffic d)" 10 "d answered them"
expect_eq "$(checks d)" 0 "d was never checked"

expect_no_alerts
porter_stop
done_testing
