#!/bin/bash
# b016: listeners on IPv6 ([::1]) and IPv4 side by side, the client's
# IPv6 address in X-Forwarded-For, and a backend given by host name.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start a
A=$BPORT
P4=$(free_port)
P6=$(free_port)
porter_start <<EOF
listeners = (
  { listen = "[::1]:$P6"; mode = "reverse"; backlog = 64;
    routes = ( { host = "*"; path = "/"; pool = "app"; } ); },
  { listen = "127.0.0.1:$P4"; mode = "reverse";
    routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "localhost:$A"; } ); } );
EOF

expect_eq "$(cu -g "http://[::1]:$P6/")" "a" "GET over IPv6 reaches the backend"
expect_eq "$(cu "http://127.0.0.1:$P4/")" "a" "GET over IPv4 on the second listener"
hdrs=$(cu -g "http://[::1]:$P6/headers")
expect_match "$hdrs" 'x-forwarded-for: ::1' "X-Forwarded-For carries the IPv6 client"
expect_match "$hdrs" "host: \[::1\]:$P6" "the client's Host is passed on"

expect_no_alerts
porter_stop
done_testing
