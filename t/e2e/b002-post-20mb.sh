#!/bin/bash
# b002: a 20 MB POST body reaches the backend intact (sha256 compared), twice
# over one client connection, and as a PUT.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
timeouts = { client_header = 10.0; client_body = 20.0; keepalive = 5.0;
             connect = 3.0; upstream = 20.0; tunnel_idle = 30.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P
CURL_MAX_TIME=25

size=$((20 * 1024 * 1024))
head -c "$size" /dev/urandom >"$T/body"
want="$size $(sha_of "$T/body")"

t0=$(now)
got=$(cu --data-binary @"$T/body" "$U/sha")
expect_eq "$got" "$want" "POST 20 MB: backend's length and sha256 match"
diag "took $(since "$t0") s"

last=$(tail -n 1 "$(backend_log app)")
expect_match "$last" "\"body_len\": $size" "backend log: body_len $size"
expect_match "$last" '"method": "POST"' "backend log: method POST"

# the same upload twice on one client connection
out=$(cu -w ' connects=%{num_connects}\n' --data-binary @"$T/body" "$U/sha" "$U/sha")
expect_eq "$(printf '%s\n' "$out" | grep -cx "$want")" 2 "two 20 MB POSTs on one connection: both intact"
expect_eq "$(printf '%s\n' "$out" | sed -n 's/.*connects=//p' | tr '\n' ' ')" "1 0 " "two 20 MB POSTs: one client connection"

# PUT (curl -T): Content-Length upload with Expect: 100-continue
got=$(cu -T "$T/body" "$U/sha")
expect_eq "$got" "$want" "PUT 20 MB: intact"

expect_no_alerts
porter_stop
done_testing
