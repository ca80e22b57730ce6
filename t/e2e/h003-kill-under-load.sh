#!/bin/bash
# h003: SIGKILL one of three backends while wrk keeps 16 connections busy
# through 4 workers (health every 0.5 s, fall 2, rise 2; max_fails 1,
# retries 2): wrk sees no error at all, since every request that met the
# dead backend before any response byte is retried on another; porter logs
# it down within interval * fall + slack. Restarted on the same port, it is
# logged up after rise checks and gets traffic again. The backends answer
# in one write (--one-write): a response cut after its head, which no proxy
# can retry, is not what this test is about.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

command -v wrk >/dev/null 2>&1 || { not_ok "wrk is installed"; done_testing; }

backend_start a --one-write
A=$BPORT
backend_start b --one-write
B=$BPORT
backend_start c --one-write
C=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P
N=4

porter_start <<EOF
log_level = "info";
workers = { count = $N; };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = 5.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app";
    health = { path = "/health"; interval = 0.5; timeout = 1.0; rise = 2; fall = 2; };
    max_fails = 1; fail_timeout = 10.0; retries = 2;
    servers = ( { address = "127.0.0.1:$A"; }, { address = "127.0.0.1:$B"; },
                { address = "127.0.0.1:$C"; } ); } );
EOF
expect_true "$N workers and the health checker" wait_hc_workers $N 10
expect_status "$U/" 200

wrk_requests() { sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$1"; }
wrk_sockerr() {
	grep -a 'Socket errors' "$1" |
	    awk '{ s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }'
}
wrk_non2xx() { sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$1"; }

wrk -t2 -c16 -d6s --timeout 3s "$U/" >"$T/wrk.out" 2>&1 &
wp=$!
track $wp
sleep 2
nb=$(traffic b)
expect_true "b is killed (SIGKILL) 2 s into the run" backend_kill9 b
t0=$(now)
expect_true "b is logged down within 3 s (interval 0.5 * fall 2 + slack)" \
    hc_wait 3 app "$B" down
t_down=$(since "$t0")
line=$(hc_line app "$B" down)
diag "logged after $t_down s: $line"
_wait_gone 15 $wp || kill -TERM $wp
wait $wp
diag "wrk:" "$(cat "$T/wrk.out")"
rq=$(wrk_requests "$T/wrk.out")
se=$(wrk_sockerr "$T/wrk.out")
nx=$(wrk_non2xx "$T/wrk.out")
diag "kill under load: ${rq:-?} requests, socket errors ${se:-0}," \
    "non-2xx/3xx ${nx:-0}; b had answered $nb before the kill; down after $t_down s"
expect_ge "${rq:-0}" 100 "wrk ran (${rq:-no} requests)"
expect_ge "$nb" 10 "b had traffic before the kill ($nb)"
expect_eq "${se:-0}" 0 "no socket errors"
expect_eq "${nx:-0}" 0 "no non-2xx/3xx responses"
expect_eq "$(hc_count app "$B" down)" 1 "b's state change is logged once"

# b back on its port: up after rise checks, traffic again
expect_true "b restarted on port $B" backend_restart b "$B" --one-write
t0=$(now)
expect_true "b is logged up within 4 s (interval 0.5 * rise 2 + slack)" \
    hc_wait 4 app "$B" up
diag "up after $(since "$t0") s: $(hc_line app "$B" up)"
b0=$(traffic b)
codes=$(get_n 30 "$U/again")
expect_eq "$(count_of 200 "$codes")" 30 "30 requests: all 200"
expect_ge "$(($(traffic b) - b0))" 5 "b gets traffic again ($(($(traffic b) - b0)) of 30)"

expect_no_alerts
porter_stop
done_testing
