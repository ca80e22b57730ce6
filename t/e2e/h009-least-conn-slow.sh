#!/bin/bash
# h009: what b017 does not cover of balancing with health state. least_conn
# counts requests in flight across all workers (4 long requests, each sent
# once the previous one reached a backend, split 2:2 over 2 servers
# whichever workers take them), and never picks a server that is down by
# its checks, idle as it is. slow_start: a server that comes back up gets
# a small share at first and its full share once slow_start has passed.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

backend_start l1
L1=$BPORT
backend_start l2
L2=$BPORT
backend_start l3
L3=$BPORT
backend_start s1
S1=$BPORT
backend_start s2
S2=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P

porter_start <<EOF
log_level = "info";
workers = { count = 4; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/lc/"; pool = "lc"; }, { path = "/lc3/"; pool = "lc3"; },
             { path = "/ss/"; pool = "ss"; } ); } );
pools = (
  { name = "lc"; balance = "least_conn";
    servers = ( { address = "127.0.0.1:$L1"; }, { address = "127.0.0.1:$L2"; } ); },
  { name = "lc3"; balance = "least_conn";
    health = { path = "/health"; interval = 0.2; timeout = 1.0; rise = 2; fall = 2; };
    servers = ( { address = "127.0.0.1:$L1"; }, { address = "127.0.0.1:$L2"; },
                { address = "127.0.0.1:$L3"; } ); },
  { name = "ss"; slow_start = 4.0;
    health = { path = "/health"; interval = 0.2; timeout = 1.0; rise = 2; fall = 2; };
    servers = ( { address = "127.0.0.1:$S1"; weight = 10; },
                { address = "127.0.0.1:$S2"; weight = 10; } ); } );
EOF
expect_true "4 workers and the health checker" wait_hc_workers 4 10

# 1. least_conn across workers: 4 requests of 3 s, one after the other
reached() {	# N: l1 and l2 answer at least N requests at once
	[ $(($(backend_stat l1 in_flight) + $(backend_stat l2 in_flight))) -ge "$1" ]
}
pids=()
for k in 1 2 3 4; do
	cu -o /dev/null -w '%{http_code}\n' "$U/lc/long$k?delay=3" >"$T/lc.$k" &
	pids+=($!)
	track $!
	expect_true "long request $k reached a backend" \
	    wait_until 3 reached $k
done
n1=$(traffic l1) n2=$(traffic l2)
diag "4 long requests at once: l1 $n1, l2 $n2"
expect_eq "$n1 $n2" "2 2" "least_conn splits them 2:2 (in flight counted across workers)"
_wait_gone 10 "${pids[@]}"
wait "${pids[@]}"
expect_eq "$(cat "$T"/lc.? | sort -u)" 200 "all 4 complete with 200"

# 2. least_conn never picks a server down by checks, idle as it is
expect_true "l3's /health answers 503" health_set l3 "status=503"
expect_true "l3 is logged down in lc3 within 5 s" hc_wait 5 lc3 "$L3" down
l30=$(traffic l3)
codes=$(get_par 4 5 "$U/lc3/x")
expect_eq "$(count_of 200 "$codes")" 20 "lc3: 20 requests, all 200"
expect_eq "$(($(traffic l3) - l30))" 0 "l3 (down, idle) gets none of them"

# 3. slow_start 4 s: s2 back up gets a small share first, half later
expect_true "s2's /health answers 503" health_set s2 "status=503"
expect_true "s2 is logged down within 5 s" hc_wait 5 ss "$S2" down
expect_true "s2's /health answers 200" health_set s2 "status=200"
expect_true "s2 is logged up within 5 s" hc_wait 5 ss "$S2" up
t_up=$(now)
s20=$(traffic s2)
codes=$(get_n 40 "$U/ss/early")
early=$(($(traffic s2) - s20))
diag "s2's share of 40 requests in the first $(since "$t_up") s after up: $early"
expect_eq "$(count_of 200 "$codes")" 40 "40 requests right after s2 is up: all 200"
expect_le "$early" 10 "s2 gets a small share at first ($early of 40 <= 10)"
sleep "$(awk -v t="$(since "$t_up")" 'BEGIN { d = 4.5 - t; print (d > 0) ? d : 0 }')"
s20=$(traffic s2)
codes=$(get_n 40 "$U/ss/late")
late=$(($(traffic s2) - s20))
diag "s2's share of 40 requests after slow_start: $late"
expect_eq "$(count_of 200 "$codes")" 40 "40 requests after slow_start: all 200"
expect_true "s2 gets its full share after slow_start ($late of 40, 14..26)" \
    test "$late" -ge 14 -a "$late" -le 26

expect_no_alerts
porter_stop
done_testing
