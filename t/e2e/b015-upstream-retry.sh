#!/bin/bash
# b015: a kept-alive backend connection that the backend has since closed
# (its keep-alive timeout passed) never costs the client an error: a GET is
# sent again on a fresh connection, and a POST is never sent on a
# connection that is already closed.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start a
A=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { count = 1; };
upstream_keepalive = 4;
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$A"; } ); } );
EOF
U=http://127.0.0.1:$P

for i in 1 2 3; do
	expect_eq "$(cu "$U/quietclose")" "a" "GET /quietclose #$i answered"
	sleep 0.2	# the backend's close reaches porter's idle connection
	expect_eq "$(cu -o /dev/null -w '%{http_code}' "$U/after$i")" 200 \
	    "GET after the backend closed the idle connection: 200 (#$i)"
done

head -c 100000 /dev/urandom > "$T/body"
want=$(sha_of "$T/body")
for i in 1 2 3; do
	expect_eq "$(cu -X POST --data-binary x "$U/quietclose")" "a" \
	    "POST /quietclose #$i answered"
	sleep 0.2
	got=$(cu --data-binary @"$T/body" "$U/sha")
	expect_eq "$got" "100000 $want" \
	    "POST after the backend closed the idle connection arrives whole (#$i)"
done

expect_eq "$(grep -c '"path": "/sha"' "$(backend_log a)")" 3 \
    "each POST reached the backend exactly once"
expect_nomatch "$(cat "$(porter_log)")" '\[error\]' "no error logged"
expect_no_alerts
porter_stop
done_testing
