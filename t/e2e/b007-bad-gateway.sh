#!/bin/bash
# b007: backend failures. Nothing listening, a reset, a malformed response:
# 502 with an HTML body. A backend slower than timeouts.upstream: 504 in
# time. Afterwards the service is fine and no late answer leaks into another
# request.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
DOWN=$(free_port)	# nothing listens there
P=$(free_port)
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
timeouts = { client_header = 5.0; client_body = 5.0; keepalive = 5.0;
             connect = 1.0; upstream = 1.0; tunnel_idle = 30.0; };
upstream_keepalive = 4;
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; },
                           { host = "*"; path = "/down"; pool = "down"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); },
          { name = "down"; servers = ( { address = "127.0.0.1:$DOWN"; } ); } );
EOF
U=http://127.0.0.1:$P

check_error() {	# PATH CODE MAXSECS [MINSECS]
	local t0 el body head
	t0=$(now)
	cu -D "$T/err.h" -o "$T/err.b" "$U$1"
	el=$(since "$t0")
	head=$(tr -d '\r' <"$T/err.h")
	body=$(cat "$T/err.b")
	expect_match "$(first_line "$head")" "^HTTP/1\\.1 $2( |\$)" "GET $1: status $2"
	expect_match "$(hval Content-Type "$head")" '^text/html' "GET $1: Content-Type text/html"
	expect_match "$body" '<[Hh][Tt][Mm][Ll]|<!DOCTYPE|<[Hh]1' "GET $1: short HTML body"
	if [ -n "$(hval Content-Length "$head")" ]; then
		expect_eq "$(hval Content-Length "$head")" "$(wc -c <"$T/err.b" | tr -d ' ')" \
		    "GET $1: Content-Length matches the body"
	fi
	expect_le "$el" "$3" "GET $1: answered within $3 s ($el s)"
	if [ -n "${4:-}" ]; then
		expect_ge "$el" "$4" "GET $1: not before timeouts.upstream ($el s >= $4)"
	fi
}

check_error /down/x 502 1.5
check_error /drop 502 2
check_error /badresp 502 2
check_error "/slow?s=3" 504 2.5 0.8

# the service goes on; the late /slow answer (at 3 s) must not show up as
# the answer to another request on a reused backend connection
sleep 2.5
out=
for i in 1 2 3 4 5 6; do
	out="$out$(cu -w ':%{http_code}' -D "$T/h$i" "$U/after$i" | tr -d '\n') "
	out="$out$(tr -d '\r' <"$T/h$i" | grep -i '^x-path:' | sed 's/^[^:]*: *//') "
done
expect_eq "$out" "app:200 /after1 app:200 /after2 app:200 /after3 app:200 /after4 app:200 /after5 app:200 /after6 " \
    "after the errors: 6 requests answered by the backend, each with its own response"

# the failing pool stays failing, fast, while the good one works
check_error /down/again 502 1.5
expect_status "$U/" 200

expect_no_alerts
porter_stop
done_testing
