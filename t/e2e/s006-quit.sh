#!/bin/bash
# s006: graceful stop (QUIT). A response in flight (a 5 s chunked stream)
# is finished whole before the master exits 0; then the pid file is gone
# and no worker is left. No new connection is served once QUIT arrived.
# An idle keep-alive connection does not hold the stop up for long.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P
SHUTDOWN=20 KEEPALIVE=3

conf() {
	cat <<EOF
log_level = "info";
shutdown_timeout = $SHUTDOWN.0;
workers = { start = 2; min_spare = 1; max_spare = 4; max = 8; max_requests = 0; };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = $KEEPALIVE.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
}
none_alive() { local p; for p in "$@"; do _alive "$p" && return 1; done; return 0; }

# ---- a stream in flight is finished --------------------------------------
porter_start < <(conf)
master=$(porter_pid)
expect_true "2 workers at start" wait_workers 2 10
expect_true "pid file written" test -s "$T/porter.pid"

CURL_MAX_TIME=20 cu -D "$T/stream.head" -o "$T/stream.body" -w '%{http_code}' \
    "$U/stream?s=5" >"$T/stream.code" 2>"$T/stream.err" &
sc=$!
track $sc
sleep 1
kids=$(porter_workers)
kill -QUIT "$master"
t_quit=$(now)

# while quitting, a new connection is not served by anyone
sleep 0.3
late=$(CURL_MAX_TIME=3 cu -o /dev/null -w '%{http_code}' "$U/late" 2>/dev/null)
diag "a new request 0.3 s after QUIT: status '$late'"
expect_ne "$late" 200 "no new request is served once QUIT arrived"
expect_true "the master still runs while the stream goes on" _alive "$master"

# watch both: when the stream ends, when the master is gone
t_c='' t_m=''
while _num_le "$(since "$t_quit")" 15; do
	[ -z "$t_c" ] && ! _alive $sc && t_c=$(since "$t_quit")
	[ -z "$t_m" ] && ! _alive "$master" && t_m=$(since "$t_quit")
	[ -n "$t_c" ] && [ -n "$t_m" ] && break
	sleep 0.05
done
wait $sc
crc=$?
diag "after QUIT: the stream ended at ${t_c:-never} s, the master exited at ${t_m:-never} s"
expect_eq "$crc" 0 "curl of the stream succeeded ($(cat "$T/stream.err"))"
expect_eq "$(cat "$T/stream.code")" 200 "the stream's status is 200"
expect_eq "$(wc -l <"$T/stream.body" | tr -d ' ')" 20 "the stream's whole body arrived: 20 chunks"
expect_eq "$(tail -n 1 "$T/stream.body")" "chunk 20" "... up to the last one"
expect_ne "$t_m" "" "the master exited after QUIT (within 15 s)"
expect_true "the master did not exit before the stream ended (master ${t_m:-?} s, stream ${t_c:-?} s)" \
    _num_le "${t_c:-99}" "$(awk -v m="${t_m:-0}" 'BEGIN { print m + 0.3 }')"
expect_ge "${t_m:-0}" 3 "the master waited for the response (exited ${t_m:-?} s after QUIT, >= 3)"
if [ -n "$t_m" ]; then
	wait "$master"
	expect_eq "$?" 0 "the master exits with status 0 on QUIT"
else
	kill -KILL "$master"
	wait "$master"
fi
expect_true "the pid file is removed" test ! -e "$T/porter.pid"
# shellcheck disable=SC2086
expect_true "no worker is left" wait_until 3 none_alive $kids
expect_match "$(cat "$(porter_log)")" 'graceful stop' "the log tells of the graceful stop"

# ---- an idle keep-alive connection ----------------------------------------
porter_start < <(conf)
master=$(porter_pid)
expect_true "porter again: 2 workers" wait_workers 2 10
rawhttp -v -t 30 "$P" 'GET /ka HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/ka" 2>"$T/ka.err" &
rp=$!
track $rp
expect_true "keep-alive connection: response read" \
    wait_until 5 grep -q '^HTTP/1.1 200' "$T/ka"
kids=$(porter_workers)
kill -QUIT "$master"
t0=$(now)
_wait_gone $((SHUTDOWN + KEEPALIVE + 5)) "$master"
took=$(since "$t0")
diag "QUIT with an idle keep-alive connection: the master exited after $took s" \
    "(keepalive $KEEPALIVE s, shutdown_timeout $SHUTDOWN s)"
expect_true "it exits well within shutdown_timeout ($took s < $SHUTDOWN s)" \
    _num_le "$took" $((SHUTDOWN - 5))
expect_le "$took" $((KEEPALIVE + 2)) "in fact within keepalive + 2 s"
if _alive "$master"; then kill -KILL "$master"; fi
wait "$master"
expect_eq "$?" 0 "the master exits with status 0"
expect_true "the pid file is removed" test ! -e "$T/porter.pid"
# shellcheck disable=SC2086
expect_true "no worker is left" wait_until 3 none_alive $kids
wait_until 3 eval '! _alive $rp'
diag "keep-alive client: $(cat "$T/ka.err")"
expect_match "$(cat "$T/ka.err")" '^rawhttp: (closed|reset)' "the idle connection was closed by porter"

expect_no_alerts
done_testing
