#!/bin/bash
# h005: a server's max_conns and the pool's queue_timeout, across workers.
# q1: one server, max_conns 1, queue_timeout 1 s, requests taking 0.5 s:
# two at once both succeed, the second after waiting for the first (about
# 1 s in all), and the backend never has two at once. q2: queue_timeout
# 0.5 s, a request taking 3 s holds the slot: the second gets 503 with
# Retry-After after about 0.5 s and never reaches the backend. q3: a
# capped server beside an uncapped one: nobody waits, the cap holds.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

backend_start s1
S1=$BPORT
backend_start s2
S2=$BPORT
backend_start s3
S3=$BPORT
backend_start s4
S4=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P

porter_start <<EOF
log_level = "info";
workers = { count = 4; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/q1/"; pool = "q1"; }, { path = "/q2/"; pool = "q2"; },
             { path = "/q3/"; pool = "q3"; } ); } );
pools = (
  { name = "q1"; queue_timeout = 1.0;
    servers = ( { address = "127.0.0.1:$S1"; max_conns = 1; } ); },
  { name = "q2"; queue_timeout = 0.5;
    servers = ( { address = "127.0.0.1:$S2"; max_conns = 1; } ); },
  { name = "q3"; queue_timeout = 5.0;
    servers = ( { address = "127.0.0.1:$S3"; max_conns = 1; },
                { address = "127.0.0.1:$S4"; } ); } );
EOF
expect_true "4 workers" wait_workers 4 10

# 1. q1: two at once, 0.5 s each
cu -o /dev/null -w '%{http_code} %{time_total}\n' "$U/q1/one?delay=0.5" >"$T/q1.1" &
p1=$!
cu -o /dev/null -w '%{http_code} %{time_total}\n' "$U/q1/two?delay=0.5" >"$T/q1.2" &
p2=$!
track $p1
track $p2
_wait_gone 10 $p1 $p2
wait $p1 $p2
r=$(cat "$T/q1.1" "$T/q1.2" | sort -k2 -n)
diag "q1 (status, seconds):" "$r"
expect_eq "$(awk '{ print $1 }' <<<"$r" | tr '\n' ' ')" "200 200 " "both requests succeed"
fast=$(awk 'NR == 1 { print $2 }' <<<"$r")
slow=$(awk 'NR == 2 { print $2 }' <<<"$r")
expect_le "$fast" 0.9 "the first is answered in about 0.5 s ($fast)"
expect_ge "$slow" 0.9 "the second waited for the slot ($slow s >= 0.9)"
expect_le "$slow" 1.8 "and got it as soon as it was free ($slow s <= 1.8)"
expect_eq "$(backend_stat s1 max_in_flight)" 1 "s1 never had two requests at once"
expect_eq "$(traffic s1)" 2 "s1 got both"

# 2. q2: the slot held for 3 s, queue_timeout 0.5 s
cu -o /dev/null -w '%{http_code} %{time_total}\n' "$U/q2/long?delay=3" >"$T/q2.1" &
p1=$!
track $p1
busy() { [ "$(backend_stat s2 in_flight)" = 1 ]; }
expect_true "the long request reached s2" wait_until 5 busy
t0=$(now)
cu -D "$T/q2.h" -o "$T/q2.body" -w '%{http_code}' "$U/q2/short" >"$T/q2.2"
el=$(since "$t0")
diag "q2 second request: $(cat "$T/q2.2") after $el s" "$(tr -d '\r' <"$T/q2.h")" \
    "$(cat "$T/q2.body")"
expect_eq "$(cat "$T/q2.2")" 503 "the second gets 503 when queue_timeout passes"
expect_ge "$el" 0.4 "after waiting queue_timeout ($el s >= 0.4)"
expect_le "$el" 1.5 "not much longer ($el s <= 1.5)"
expect_match "$(hval Retry-After "$(cat "$T/q2.h")")" '^[0-9]+$' "with Retry-After"
_wait_gone 10 $p1
wait $p1
diag "q2 long request: $(cat "$T/q2.1")"
expect_eq "$(cut -d' ' -f1 "$T/q2.1")" 200 "the long request completes normally"
expect_eq "$(traffic s2)" 1 "the refused request never reached s2"

# 3. q3: s3 capped at 1 beside uncapped s4: 4 at once, nobody waits
pids=()
for k in 1 2 3 4; do
	cu -o /dev/null -w '%{http_code} %{time_total}\n' "$U/q3/$k?delay=1" >"$T/q3.$k" &
	pids+=($!)
	track $!
done
_wait_gone 10 "${pids[@]}"
wait "${pids[@]}"
r=$(cat "$T"/q3.? | sort -k2 -n)
diag "q3 (status, seconds):" "$r"
expect_eq "$(awk '$1 == 200' <<<"$r" | wc -l | tr -d ' ')" 4 "all 4 succeed"
expect_le "$(awk 'END { print $2 }' <<<"$r")" 1.8 "none waited for s3's slot"
expect_le "$(backend_stat s3 max_in_flight)" 1 "s3 never had two at once"
expect_eq "$(($(traffic s3) + $(traffic s4)))" 4 "s3 and s4 got the 4 ($(traffic s3) + $(traffic s4))"

expect_no_alerts
porter_stop
done_testing
