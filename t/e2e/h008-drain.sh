#!/bin/bash
# h008: drain. "porter -s drain POOL/ADDRESS" tells the running master to
# send no new request to that server: a slow request already there
# finishes normally, new ones all go to the other server, the log says
# "draining" once. "porter -s undrain" brings it back. Works on a pool
# without health checks, across workers. A server not in the config is
# refused by the command.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

command -v wrk >/dev/null 2>&1 || { not_ok "wrk is installed"; done_testing; }

backend_start a
A=$BPORT
backend_start b
B=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P

porter_start <<EOF
log_level = "info";
workers = { count = 4; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app";
    servers = ( { address = "127.0.0.1:$A"; }, { address = "127.0.0.1:$B"; } ); } );
EOF
expect_true "4 workers" wait_workers 4 10

# a slow request; drain the server it went to while it runs
cu -o "$T/slow.body" -w '%{http_code} %{time_total}\n' "$U/slowreq?delay=2" >"$T/slow.out" &
sp=$!
track $sp
where() { grep -a -q '"path": "/slowreq?delay=2"' "$(backend_log "$1")" 2>/dev/null; }
on_one() { where a || where b; }
expect_true "the slow request reached a backend" wait_until 5 on_one
if where a; then X=a XP=$A Y=b; else X=b XP=$B Y=a; fi
diag "the slow request is on $X"

"$PORTER" -c "$T/porter.conf" -s drain "app/127.0.0.1:$XP" >"$T/drain.out" 2>&1
st=$?
diag "porter -s drain: status $st" "$(cat "$T/drain.out")"
expect_eq "$st" 0 "porter -s drain app/127.0.0.1:$XP exits 0"
expect_true "the master logs $X draining" hc_wait 5 app "$XP" draining
diag "logged: $(hc_line app "$XP" draining)"
x0=$(traffic "$X") y0=$(traffic "$Y")
codes=$(get_par 4 5 "$U/new")
expect_eq "$(count_of 200 "$codes")" 20 "20 new requests: all 200"
expect_eq "$(($(traffic "$X") - x0))" 0 "$X (draining) gets none of them"
expect_eq "$(($(traffic "$Y") - y0))" 20 "$Y gets all 20"
x0=$(traffic "$X")
wrk -t1 -c8 -d1s --timeout 3s "$U/wrk" >"$T/wrk.out" 2>&1
rq=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.out")
nx=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/wrk.out")
diag "wrk while $X drains: ${rq:-?} requests, non-2xx/3xx ${nx:-0}"
expect_ge "${rq:-0}" 50 "wrk ran (${rq:-no} requests)"
expect_eq "${nx:-0}" 0 "all 2xx"
expect_eq "$(($(traffic "$X") - x0))" 0 "$X gets none of them, from any worker"
_wait_gone 10 $sp
wait $sp
diag "slow request: $(cat "$T/slow.out")"
expect_eq "$(cut -d' ' -f1 "$T/slow.out")" 200 "the slow request in flight on $X completes"
expect_eq "$(cat "$T/slow.body")" "$X" "with $X's answer"
expect_eq "$(hc_count app "$XP" draining)" 1 "draining is logged once"

"$PORTER" -c "$T/porter.conf" -s drain "app/127.0.0.1:1" >"$T/bad.out" 2>&1
st=$?
diag "porter -s drain of a server not in the config: status $st" "$(cat "$T/bad.out")"
expect_ne "$st" 0 "porter -s drain app/127.0.0.1:1 (not in the config) fails"
expect_match "$(cat "$T/bad.out")" "127\\.0\\.0\\.1:1" "and names the server"

"$PORTER" -c "$T/porter.conf" -s undrain "app/127.0.0.1:$XP" >"$T/undrain.out" 2>&1
st=$?
diag "porter -s undrain: status $st" "$(cat "$T/undrain.out")"
expect_eq "$st" 0 "porter -s undrain app/127.0.0.1:$XP exits 0"
undrained() {
	local x0
	x0=$(traffic "$X")
	cu "$U/probe" "$U/probe" "$U/probe" "$U/probe" >/dev/null
	[ "$(traffic "$X")" -gt "$x0" ]
}
expect_true "$X gets traffic again within 5 s" wait_until 5 undrained
x0=$(traffic "$X")
codes=$(get_n 20 "$U/back")
expect_eq "$(count_of 200 "$codes")" 20 "20 requests: all 200"
expect_ge "$(($(traffic "$X") - x0))" 5 "$X gets its share again ($(($(traffic "$X") - x0)) of 20)"

expect_no_alerts
porter_stop
done_testing
