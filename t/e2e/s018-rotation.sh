#!/bin/bash
# s018: the pool grows when kept-alive clients rotate. More busy keep-alive
# clients than workers: a worker that answers one while others queue and
# no worker is idle gives it up to the waiter (s011's fairness rule), and
# counts it (rotated). Each rotation costs a park and a hand-back, so the
# master grows the pool while they happen, whatever the idle count says
# (workers rotating clients are idle between them), up to workers.max.
# Once every client has a worker no more rotate. At workers.max the
# clients keep rotating, and none starves.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-status.sh"

command -v wrk >/dev/null 2>&1 || { not_ok "wrk is installed"; done_testing; }

backend_start a
A=$BPORT
P=$(free_port)
S=$(free_port)
U=http://127.0.0.1:$P
SJ="http://127.0.0.1:$S/porter-status?format=json"

conf() {	# START MIN_SPARE MAX_SPARE MAX
	cat <<EOF
log_level = "info";
workers = { start = $1; min_spare = $2; max_spare = $3; max = $4; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$A"; } ); } );
status = { listen = "127.0.0.1:$S"; };
EOF
}

rotated() { sj "$SJ" 'd["totals"]["rotated"]'; }
nworkers() { porter_workers | wc -l | tr -d ' '; }
at_least() { [ "$(nworkers)" -ge "$1" ]; }
# wrk's errors and its slowest request, from $T/NAME.out
wrk_check() {	# NAME
	local out serr se to nx max
	out=$(cat "$T/$1.out")
	diag "wrk ($1):" "$out"
	serr=$(grep -a 'Socket errors' <<<"$out")
	se=$(awk '{ s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }' <<<"$serr")
	nx=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' <<<"$out")
	expect_match "$out" 'requests in' "$1: wrk ran"
	expect_eq "${se:-0}" 0 "$1: no socket errors, no timeouts (3 s)"
	expect_eq "${nx:-0}" 0 "$1: every answer 2xx"
}

# ---- 1. 8 busy clients on a pool that starts with 2 (max 16) ---------------
porter_start < <(conf 2 1 4 16)
expect_true "2 workers at start" wait_workers 2 10
r0=$(rotated)
expect_match "$r0" '^[0-9]+$' "the status page's totals have a rotated counter ($r0)"
wrk -t1 -c8 -d12s --timeout 3s "$U/" >"$T/grow.out" 2>&1 &
wp=$!
track $wp
expect_true "the pool grows to hold the 8 clients within 9 s" wait_until 9 at_least 8
r1=$(rotated)
diag "rotations while the pool grew: $((r1 - r0)); workers: $(nworkers)"
expect_ge "$r1" $((r0 + 1)) "clients were rotated while the pool was short ($((r1 - r0)))"
# the last forked take their clients, then none rotates
sleep 2
r2=$(rotated)
sleep 2
r3=$(rotated)
expect_eq "$r3" "$r2" "once every client has a worker none rotates (2 s: $((r3 - r2)))"
expect_le "$(nworkers)" 16 "never more than workers.max (16)"
_wait_gone 15 $wp || kill -TERM $wp
wait $wp
wrk_check grow
out=$(cu "http://127.0.0.1:$S/metrics")
expect_match "$out" $'\n# TYPE porter_rotated_total counter\n' "/metrics has porter_rotated_total, a counter"
expect_no_alerts
porter_stop

# ---- 2. at workers.max (4) the 8 clients keep rotating, none starves -------
porter_start < <(conf 2 1 4 4)
expect_true "2 workers at start" wait_workers 2 10
wrk -t1 -c8 -d8s --timeout 3s --latency "$U/" >"$T/max.out" 2>&1 &
wp=$!
track $wp
expect_true "the pool reaches workers.max (4)" wait_until 6 at_least 4
sleep 2
r4=$(rotated)
sleep 1.5
r5=$(rotated)
expect_ge "$r5" $((r4 + 1)) "at workers.max clients still rotate ($((r5 - r4)) in 1.5 s)"
expect_le "$(nworkers)" 4 "no more than workers.max (4)"
_wait_gone 15 $wp || kill -TERM $wp
wait $wp
wrk_check max
expect_match "$(cat "$(porter_log)")" 'reached workers\.max \(4\)' "the log says workers.max was reached"
expect_no_alerts
porter_stop
done_testing
