#!/bin/bash
# s002: a worker killed with SIGKILL in the middle of a request. The client
# is let go, the master logs the death with the signal, starts a new worker
# (the count returns to workers.start) and the service keeps answering.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
log_level = "info";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P
master=$(porter_pid)

expect_true "2 workers at start" wait_workers 2 10
before=$(porter_workers | sort | tr '\n' ' ')
diag "workers before: $before"

cu -o /dev/null -w '%{http_code}' "$U/slow?s=3" >"$T/inflight.code" 2>/dev/null &
inflight=$!
track $inflight
victim=
busy() { victim=$(conn_owner "$B" $before); [ -n "$victim" ]; }
expect_true "a worker is busy with /slow (it holds a backend connection)" wait_until 5 busy

if [ -n "$victim" ]; then
	diag "killing worker $victim"
	kill -KILL "$victim"
	t0=$(now)
	expect_true "the client of the killed worker is let go at once" _wait_gone 2 $inflight
	wait $inflight 2>/dev/null
	diag "in-flight client: $(cat "$T/inflight.code") after $(since "$t0") s"
	expect_true "the killed worker is gone" _wait_gone 2 "$victim"
fi

replaced() {
	local now_w p
	now_w=$(porter_workers | sort | tr '\n' ' ')
	[ "$(wc -w <<<"$now_w")" = 2 ] || return 1
	for p in $now_w; do
		[ "$p" = "$victim" ] && return 1
	done
	for p in $now_w; do
		[[ " $before " == *" $p "* ]] || return 0
	done
	return 1
}
expect_true "the worker count returns to 2, with a new pid" wait_until 10 replaced
diag "workers after: $(porter_workers | sort | tr '\n' ' ')"

out=
for i in 1 2 3 4 5 6; do out="$out$(cu -w ':%{http_code}' "$U/after$i" | tr -d '\n') "; done
expect_eq "$out" "app:200 app:200 app:200 app:200 app:200 app:200 " "6 requests answered after the crash"

line=$(grep -a -E "\\[(error|warn)\\] $master: .*signal" "$(porter_log)" | head -n 1)
expect_match "$line" \
    "^[0-9]{4}/[0-9]{2}/[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} \\[(error|warn)\\] $master: .*signal" \
    "the master logs the death at [error] or [warn], with the word signal"
diag "logged: $line"
if [[ -n "$victim" && $line != *"$victim"* ]]; then
	diag "note: the line does not name the dead worker's pid $victim"
fi

expect_no_alerts
porter_stop
done_testing
