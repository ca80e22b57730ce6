#!/bin/bash
# w002: idle keep-alive connections wait in the waiter (issue 12), not in
# workers. 2,000 clients (200 new a second) make one request each and keep
# their connection open, silent (timeouts.keepalive = 60): every first
# answer is a 200 without "Connection: close", the waiter holds them
# (waiter.parked_keepalive >= 1,900 while they are idle), the pool stays
# below workers.max (32) and none is closed; then 100 of them picked at
# random make one more request each on the same socket: all 100 answered
# there, handed back to workers by the waiter (handoffs_out grows by 100 or
# more). Today each kept-alive connection holds a worker: with no idle
# worker left porter answers "Connection: close" and closes them.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-waiter.sh"

backend_start app
B=$BPORT
P=$(free_port)
S=$(free_port)
SJ="http://127.0.0.1:$S/porter-status?format=json"
porter_start <<EOF
log_level = "info";
workers = { start = 4; min_spare = 2; max_spare = 8; max = 32; max_requests = 0; };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = 60.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
waiter = { max_conns = 20000; park_after = 0.02; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
status = { listen = "127.0.0.1:$S"; };
EOF
expect_true "4 workers at start" wait_workers 4 10
expect_match "$(porter_waiter)" '^[0-9]+$' "a porter-waiter process runs"

N=2000
K=100
sc_watch watch 90
# 200 new a second (10 s): each holds a worker for its request and
# park_after, so a faster start would grow the pool for the setup alone
sc_start idle idle --port "$P" --conns $N --rate 200 --inflight 32 \
    --setup-timeout 30 --hold 8 --probe $K --timeout 10 --ready "$T/idle.ready"
sc_ready idle 32
diag "set up: $(cat "$T/idle.ready" 2>/dev/null)"
expect_eq "$(_json_get setup_ok <"$T/idle.ready" 2>/dev/null)" $N \
    "all $N first requests answered within 30 s"
parked_ka_ge() { [ "$(waiter_stat parked_keepalive)" -ge "$1" ] 2>/dev/null; }
expect_true "while they are idle, waiter.parked_keepalive reaches $((N - K)) within 5 s" \
    wait_until 5 parked_ka_ge $((N - K))
diag "waiter while idle: parked $(waiter_stat parked), parked_keepalive $(waiter_stat parked_keepalive)"
out0=$(waiter_stat handoffs_out)
expect_true "the idle run ends" sc_wait idle 40
out1=$(waiter_stat handoffs_out)
expect_true "the status watch reports" sc_stop watch
diag "idle: $(sc_report idle)"
diag "watch: $(sc_get watch samples) samples, $(sc_get watch status_failed) without a page; max $(sc_get watch max)"

expect_eq "$(sc_get idle setup_conn_close)" 0 "no first answer said Connection: close"
expect_eq "$(sc_get idle open_at_probe)" $N "all $N still open after 8 s idle"
expect_eq "$(sc_get idle closed_idle)" 0 "none closed while idle (keepalive 60 s)"
expect_eq "$(sc_get idle probed)" $K "$K picked for a second request"
expect_eq "$(sc_get idle answered)" $K "all $K answered on the same connection"
expect_eq "$(sc_get idle answered_ok)" $K "all $K answered 2xx"
expect_eq "$(sc_get idle closed)/$(sc_get idle errors)/$(sc_get idle timeouts)" 0/0/0 \
    "none closed, failed or timed out"
diag "second requests: p50 $(sc_get idle p50_ms) p95 $(sc_get idle p95_ms) max $(sc_get idle max_ms) ms; first $N set up in $(sc_get idle setup_seconds) s"
expect_ge "$((${out1:-0} - ${out0:-0}))" $K \
    "the waiter handed them back to workers: handoffs_out ${out0:-none} -> ${out1:-none}"
mw=$(sc_get watch max.workers)
expect_le "${mw:-1e9}" 31 "the pool stayed below workers.max: at most ${mw:-none} workers"

parked_zero() { [ "$(waiter_stat parked)" = 0 ]; }
expect_true "closed by the clients, they leave the waiter: parked 0 within 5 s" \
    wait_until 5 parked_zero

expect_no_alerts
porter_stop
done_testing
