#!/bin/bash
# s017: workers.yield. A worker yields the CPU where it would otherwise
# sleep: after sending a request to its backend, after answering a
# kept-alive client that has not sent its next request, and after a
# connection ends. The yields counter (status page totals, the worker's
# own entry, porter_yields_total on /metrics) shows it: with one worker,
# 20 requests on one connection make 2 a request (+1 for its end), 10
# requests on connections of their own make 2 each. After a reload to
# yield = false there are none, and the totals do not drop. The waiter
# yields after each turn that had work: a kept-alive connection parked by
# a pause and handed back counts at least one (waiter.yields on the page,
# porter_waiter_yields_total on /metrics), and none after the reload. A
# yield that is not true or false is a config error naming the line.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-status.sh"
. "$E2E/lib-waiter.sh"

backend_start a
A=$BPORT
P=$(free_port)
S=$(free_port)
U=http://127.0.0.1:$P
SJ="http://127.0.0.1:$S/porter-status?format=json"

conf() {	# WORKERS_GROUP_BODY
	cat <<EOF
pid_file = "$T/porter.pid";
error_log = "$T/error.log";
workers = { $1 };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$A"; } ); } );
waiter = { park_after = 0.01; };
status = { listen = "127.0.0.1:$S"; };
EOF
}

yields() { sj "$SJ" 'd["totals"]["yields"]'; }
worker_yields() { sj "$SJ" 'sum(w["yields"] for w in d["workers"])'; }
# N kept-alive connections, each parked by a 0.3 s pause between its two
# requests (30 times park_after); the answers' bodies on stdout
paused() {
	local i
	for i in $(seq 1 "$1"); do
		rawhttp -t 5 -d 0.3 "$P" 'GET /k1 HTTP/1.1\r\nHost: a\r\n\r\n' \
		    'GET /k2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
	done | tr -d '\r'
}
many() {	# N [curl args]: N GETs on one connection, the bodies on stdout
	local n=$1 i urls=()
	shift
	for i in $(seq 1 "$n"); do urls+=("$U/r$i"); done
	cu "$@" "${urls[@]}"
}

porter_start < <(conf "count = 1;")
wait_workers 1

# ---- yield = true (the default) -------------------------------------------
y0=$(yields)
expect_match "$y0" '^[0-9]+$' "the status page's totals have a yields counter ($y0)"
expect_eq "$(many 20 | grep -c '^a$')" 20 "20 requests on one connection: all answered"
y1=$(yields)
d=$((y1 - y0))
diag "yields for 20 kept-alive requests: $d"
# 20 before the backend's answers, 20 before the client's next request
# (or its close), 1 at the connection's end; the page read for y0 adds
# up to 2 of its own (its connection's)
expect_ge "$d" 40 "at least 2 yields a request on a kept-alive connection"
expect_le "$d" 44 "and not many more ($d)"

body=$(for i in $(seq 1 10); do cu -H 'Connection: close' "$U/c$i"; done)
expect_eq "$(grep -c '^a$' <<<"$body")" 10 "10 requests on 10 connections: all answered"
y2=$(yields)
d=$((y2 - y1))
diag "yields for 10 requests on their own connections: $d"
expect_ge "$d" 20 "2 yields a request on connections of their own (backend, end)"
expect_le "$d" 24 "and not many more ($d)"
expect_eq "$(sj "$SJ" 'd["totals"]["yields"] - sum(w["yields"] for w in d["workers"])')" 0 \
    "the one worker's own counter is the total"

out=$(cu "http://127.0.0.1:$S/metrics")
expect_match "$out" $'\n# TYPE porter_yields_total counter\n' "/metrics has porter_yields_total, a counter"
m=$(awk '$1 == "porter_yields_total" { print $2 }' <<<"$out")
expect_ge "$m" "$y2" "and it counts them ($m)"

# ---- the waiter's yields -----------------------------------------------------
wy0=$(waiter_stat yields) ho0=$(waiter_stat handoffs_out)
expect_match "$wy0" '^[0-9]+$' "the status page's waiter has a yields counter ($wy0)"
expect_eq "$(paused 3 | grep -c '^a$')" 6 "3 connections parked between their 2 requests: all answered"
wy1=$(waiter_stat yields) ho1=$(waiter_stat handoffs_out)
expect_ge "$((ho1 - ho0))" 3 "the waiter handed the 3 back ($ho0 -> $ho1)"
diag "waiter yields for 3 parked connections: $((wy1 - wy0))"
expect_ge "$((wy1 - wy0))" 3 "the waiter yielded at least once for each ($wy0 -> $wy1)"
out=$(cu "http://127.0.0.1:$S/metrics")
expect_match "$out" $'\n# TYPE porter_waiter_yields_total counter\n' \
    "/metrics has porter_waiter_yields_total, a counter"
m=$(awk '$1 == "porter_waiter_yields_total" { print $2 }' <<<"$out")
expect_ge "$m" "$wy1" "and it counts them ($m)"

# ---- yield = false, by a reload ---------------------------------------------
old=$(porter_workers)
conf "count = 1; yield = false;" >"$T/porter.conf"
kill -HUP "$(porter_pid)"
expect_true "the worker of generation 1 is gone within 10 s" _wait_gone 10 $old
wait_workers 1
y3=$(yields)
expect_ge "$y3" "$y2" "the totals keep the retired worker's yields ($y2 -> $y3)"
expect_eq "$(many 20 | grep -c '^a$')" 20 "yield = false: 20 requests on one connection answered"
for i in $(seq 1 5); do cu -H 'Connection: close' "$U/n$i" >/dev/null; done
expect_eq "$(yields)" "$y3" "yield = false: no yield at all"
expect_eq "$(worker_yields)" 0 "the new worker's counter stays 0"
wy2=$(waiter_stat yields) ho2=$(waiter_stat handoffs_out)
expect_eq "$(paused 3 | grep -c '^a$')" 6 "yield = false: 3 parked connections answered"
expect_ge "$(($(waiter_stat handoffs_out) - ho2))" 3 "... handed back by the waiter"
expect_eq "$(waiter_stat yields)" "$wy2" "yield = false: the waiter does not yield either"

# ---- a yield that is not true or false --------------------------------------
printf 'workers = {\n\tyield = 1;\n};\n' >"$T/bad.conf"
conf "count = 1;" | grep -v '^workers' >>"$T/bad.conf"
err=$("$PORTER" -t -c "$T/bad.conf" 2>&1)
expect_match "$err" "bad.conf:2: workers.yield must be true or false" "yield = 1 is refused, naming the line"

expect_no_alerts
porter_stop
done_testing
