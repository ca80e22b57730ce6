#!/bin/bash
# s011: no starvation under keep-alive. 16 busy keep-alive connections on a
# fixed pool of 4 workers: a worker whose listener has clients queued and no
# idle worker anywhere answers with "Connection: close", so the queued
# connections are served in turn. Without that the first 4 connections
# would keep the 4 workers and the other 12 would time out.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

command -v wrk >/dev/null 2>&1 || { not_ok "wrk is installed"; done_testing; }

backend_start app
B=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P
porter_start <<EOF
log_level = "info";
workers = { count = 4; };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = 5.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
expect_true "4 workers" wait_workers 4 10

# wrk's "Latency  AVG STDEV MAX ..." -> MAX in seconds
to_seconds() {
	awk -v v="$1" 'BEGIN {
	    n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
	    if (u == "us") n /= 1e6; else if (u == "ms") n /= 1e3;
	    else if (u == "m") n *= 60; else if (u == "h") n *= 3600
	    printf "%.3f\n", n }'
}

wrk -t1 -c16 -d5s --timeout 3s "$U/" >"$T/wrk.out" 2>&1 &
wp=$!
track $wp
_wait_gone 12 $wp || kill -TERM $wp
wait $wp
expect_eq "$?" 0 "wrk ran"
diag "wrk:" "$(cat "$T/wrk.out")"
rq=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.out")
serr=$(grep -a 'Socket errors' "$T/wrk.out")
se=$(awk '{ s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }' <<<"$serr")
to=$(sed -n 's/.*timeout \([0-9]*\).*/\1/p' <<<"$serr")
nx=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/wrk.out")
max=$(awk '$1 == "Latency" { print $4; exit }' "$T/wrk.out")
maxs=$(to_seconds "${max:-99s}")
diag "fairness: ${rq:-?} requests on 16 connections and 4 workers; latency max ${max:-?}" \
    "(${maxs} s); socket errors ${se:-0} (timeouts ${to:-0}); non-2xx/3xx ${nx:-0}"
expect_ge "${rq:-0}" 16 "wrk got responses (${rq:-none})"
expect_eq "${to:-0}" 0 "no request timed out (3 s)"
expect_eq "${se:-0}" 0 "no socket errors"
expect_eq "${nx:-0}" 0 "no non-2xx/3xx responses"
expect_le "$maxs" 1.5 "the slowest request took ${maxs} s: well under the 3 s timeout"

expect_match "$(rawhttp -t 3 "$P" 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')" '^HTTP/1\.1 200' \
    "after the load a keep-alive request is answered"

expect_no_alerts
porter_stop
done_testing
