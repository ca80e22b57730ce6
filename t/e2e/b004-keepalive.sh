#!/bin/bash
# b004: keep-alive on both sides. Many requests over one client connection
# travel over (almost) one backend connection; an idle client connection is
# closed after timeouts.keepalive.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
timeouts = { client_header = 5.0; client_body = 5.0; keepalive = 1.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
upstream_keepalive = 4;
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P
N=20

c0=$(backend_stat app connections)
r0=$(backend_reqs app)
urls=()
for i in $(seq $N); do urls+=("$U/k$i"); done
out=$(cu -w '\n=%{num_connects}:%{http_code}\n' "${urls[@]}")
expect_eq "$(printf '%s\n' "$out" | grep -c '^=[0-9]*:200$')" $N "$N requests on one curl command: all 200"
expect_eq "$(printf '%s\n' "$out" | grep -cx app)" $N "$N requests: all bodies from the backend"
expect_eq "$(printf '%s\n' "$out" | sed -n 's/^=\([0-9]*\):.*/\1/p' | awk '{ s += $1 } END { print s }')" 1 \
    "client side: $N requests over 1 connection (sum of num_connects)"
c1=$(backend_stat app connections)
used=$((c1 - c0 - 1))	# the second /stats opened one itself
expect_le "$used" 2 "backend side: $N requests used $used new backend connections (<= 2)"
ids=$(tail -n +"$((r0 + 1))" "$(backend_log app)" | grep '"path": "/k' |
    sed 's/.*"conn": \([0-9]*\).*/\1/' | sort -u | wc -l | tr -d ' ')
expect_match "$ids" '^[12]$' "backend log: the $N requests came over $ids connection(s) (1 or 2)"

# a second client connection later can reuse an idle backend connection
c0=$(backend_stat app connections)
for i in 1 2 3 4 5 6; do cu -o /dev/null "$U/again$i"; done
c1=$(backend_stat app connections)
used=$((c1 - c0 - 1))
expect_le "$used" 2 "6 client connections in turn used $used new backend connections (<= 2: one per worker)"

# the client connection stays open between requests, then keepalive closes it
rawhttp -v -t 6 "$P" 'GET /one HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/ka" 2>"$T/ka.err"
expect_match "$(first_line "$(cat "$T/ka")")" '^HTTP/1\.1 200' "idle keep-alive connection: response"
expect_match "$(cat "$T/ka.err")" '^rawhttp: (closed|reset) after' "idle keep-alive connection: closed by porter"
el=$(sed -n 's/.* after \([0-9.]*\) s.*/\1/p' "$T/ka.err")
expect_ge "$el" 0.8 "idle keep-alive connection kept about timeouts.keepalive ($el s >= 0.8)"
expect_le "$el" 3 "idle keep-alive connection closed soon after timeouts.keepalive ($el s <= 3)"

# a second request later on the same connection, before the timeout
rawhttp -v -t 5 -d 0.5 "$P" 'GET /first HTTP/1.1\r\nHost: a\r\n\r\n' \
    'GET /second HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$T/ka2" 2>"$T/ka2.err"
expect_eq "$(grep -a -c '^HTTP/1\.1 200' "$T/ka2")" 2 "two requests 0.5 s apart on one connection: two responses"
expect_match "$(cat "$T/ka2.err")" '^rawhttp: closed' "Connection: close honoured"

expect_no_alerts
porter_stop
done_testing
