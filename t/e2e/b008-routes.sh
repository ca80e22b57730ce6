#!/bin/bash
# b008: routing. A Host no route takes gets 404 (HTML) and no backend hears of
# it; exact host, "*.suffix" and the longest path prefix pick the pool; the
# host is matched without its port and in any case.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start a
A=$BPORT
backend_start b
B=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "only.example"; path = "/"; pool = "a"; },
                           { host = "only.example"; path = "/api"; pool = "b"; },
                           { host = "*.wild.example"; path = "/"; pool = "b"; } ); } );
pools = ( { name = "a"; servers = ( { address = "127.0.0.1:$A"; } ); },
          { name = "b"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P

# no route
cu -D "$T/nr.h" -o "$T/nr.b" -H 'Host: other.example' "$U/"
head=$(tr -d '\r' <"$T/nr.h")
expect_match "$(first_line "$head")" '^HTTP/1\.1 404( |$)' "Host other.example (no route): 404"
expect_match "$(hval Content-Type "$head")" '^text/html' "404: Content-Type text/html"
expect_match "$(cat "$T/nr.b")" '<[Hh][Tt][Mm][Ll]|<!DOCTYPE|<[Hh]1' "404: HTML body"
expect_status "$U/x" 404 -H 'Host: 127.0.0.1'
expect_status "$U/x" 404 -H 'Host: wild.example.evil'
expect_status "$U/x" 404 -H 'Host: notonly.example'
expect_eq "$(backend_reqs a) $(backend_reqs b)" "0 0" "no backend received the unrouted requests"

# routes
expect_eq "$(cu -H 'Host: only.example' "$U/")" a "only.example / -> pool a"
expect_eq "$(cu -H 'Host: only.example' "$U/x/y")" a "only.example /x/y -> pool a"
expect_eq "$(cu -H 'Host: only.example' "$U/api/v1")" b "only.example /api/v1 -> pool b (longest prefix)"
expect_eq "$(cu -H 'Host: only.example' "$U/api")" b "only.example /api -> pool b"
expect_eq "$(cu -H 'Host: x.wild.example' "$U/")" b "x.wild.example -> pool b (*.wild.example)"
expect_eq "$(cu -H 'Host: only.example:8080' "$U/")" a "Host with a port: only.example:8080 -> pool a"
expect_eq "$(cu -H 'Host: ONLY.Example' "$U/")" a "Host in another case: ONLY.Example -> pool a"
expect_eq "$(backend_reqs a) $(backend_reqs b)" "4 3" "backends received exactly the routed requests"

expect_no_alerts
porter_stop
done_testing
