#!/bin/bash
# b011: slow and silent clients. With timeouts.client_header = 1 s a client
# that sends half a head, or a head one line at a time, is disconnected
# after about 1 s (a deadline, not an idle timer), one that sends nothing
# a few seconds later (it is accepted late: TCP_DEFER_ACCEPT); a body that
# stops is cut after timeouts.client_body; with a single worker the next
# client is served once the silent one is gone.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 1; min_spare = 1; max_spare = 1; max = 1; max_requests = 0; };
timeouts = { client_header = 1.0; client_body = 1.0; keepalive = 5.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P

cut_off() {	# DESC LOW HIGH rawhttp-args...
	local desc=$1 lo=$2 hi=$3 el
	shift 3
	rawhttp -v -t 8 "$@" >"$T/slow.out" 2>"$T/slow.err"
	expect_match "$(cat "$T/slow.err")" '^rawhttp: (closed|reset) after' "$desc: porter closes the connection"
	el=$(sed -n 's/.* after \([0-9.]*\) s.*/\1/p' "$T/slow.err")
	expect_ge "$el" "$lo" "$desc: not before the timeout ($el s >= $lo)"
	expect_le "$el" "$hi" "$desc: soon after the timeout ($el s <= $hi)"
	if [ -s "$T/slow.out" ]; then
		expect_match "$(first_line "$(cat "$T/slow.out")")" '^HTTP/1\.[01] 408( |$)' \
		    "$desc: if porter answers, it is 408"
	fi
}

# A client that sends nothing is not even accepted for a while
# (TCP_DEFER_ACCEPT: it wakes no worker); the kernel hands it over after
# a few SYN-ACK retransmissions, and client_header runs from there.
cut_off "silent client" 0.8 8 "$P" ''
cut_off "half a request line" 0.8 2.5 "$P" 'GET / HTTP/1.1\r\nHost: a\r\n'
pieces=()
for i in $(seq 20); do pieces+=("X-Drip-$i: 1\\r\\n"); done
cut_off "a head dripping a line every 0.25 s" 0.8 2.5 -d 0.25 "$P" 'GET / HTTP/1.1\r\nHost: a\r\n' "${pieces[@]}"
cut_off "a body that stops half way" 0.8 3.5 "$P" \
    'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n0123456789'

# one worker, held by a silent client: the next client waits, then is served
rawhttp -t 8 "$P" '' >/dev/null 2>&1 &
track $!
sleep 0.3
t0=$(now)
out=$(cu -w ' %{http_code}' "$U/next" | tr -d '\n')
el=$(since "$t0")
expect_eq "$out" "app 200" "a client queued behind a silent one is served"
expect_le "$el" 3 "... once the silent one is cut off ($el s)"

# and a normal request right after
expect_status "$U/" 200

expect_no_alerts
porter_stop
done_testing
