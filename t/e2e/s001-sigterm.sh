#!/bin/bash
# s001: fast stop. SIGTERM (and SIGINT) to the master: it exits 0 quickly,
# even with a request in flight, no worker is left, the pid file is
# removed and the port is closed.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
config() {
	cat <<EOF
workers = { start = 3; min_spare = 1; max_spare = 3; max = 3; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
}
port_closed() { ! _port_open "$1"; }
in_flight() { [ -n "$(conn_owner "$B" $kids)" ]; }

for sig in TERM INT; do
	porter_start < <(config)
	expect_true "SIG$sig run: 3 workers" wait_workers 3 10
	expect_eq "$(cat "$T/porter.pid" 2>/dev/null | tr -d ' \n')" "$(porter_pid)" "SIG$sig run: pid file holds the master's pid"
	expect_status "http://127.0.0.1:$P/" 200
	kids=$(porter_workers)

	# a request in flight
	cu -o /dev/null "http://127.0.0.1:$P/slow?s=6" 2>/dev/null &
	inflight=$!
	track $inflight
	expect_true "SIG$sig run: a request is in flight (a worker holds a backend connection)" \
	    wait_until 3 in_flight

	t0=$(now)
	porter_stop $sig
	el=$(since "$t0")
	expect_le "$el" 3 "SIG$sig: fast stop does not wait for the request in flight ($el s)"
	expect_true "SIG$sig: pid file removed" test ! -e "$T/porter.pid"
	expect_true "SIG$sig: port $P closed" port_closed "$P"
	expect_true "SIG$sig: the client in flight was let go" _wait_gone 3 $inflight
	wait $inflight 2>/dev/null
done

expect_no_alerts
done_testing
