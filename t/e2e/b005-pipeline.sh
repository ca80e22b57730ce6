#!/bin/bash
# b005: pipelining. Several requests in one write (with bodies of both
# framings among them), and requests split across writes at odd places:
# every response comes back, in order.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF

nresp() { grep -a -o 'HTTP/1\.1 200 ' "$1" | wc -l | tr -d ' '; }
paths() { tr -d '\r' <"$1" | grep -a -i '^x-path:' | sed 's/^[^:]*: *//' | tr '\n' ' '; }

# three GETs in one write
rawhttp -v -t 5 "$P" 'GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\nHost: a\r\n\r\nGET /p3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' \
    >"$T/o1" 2>"$T/e1"
expect_eq "$(nresp "$T/o1")" 3 "3 pipelined GETs: 3 responses"
expect_eq "$(paths "$T/o1")" "/p1 /p2 /p3 " "3 pipelined GETs: in order"
expect_match "$(cat "$T/e1")" '^rawhttp: closed' "3 pipelined GETs: closed after the last (Connection: close)"

# GET, POST with Content-Length, POST chunked, GET: one write
rawhttp -v -t 5 "$P" 'GET /q1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloPOST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n4;ext=1\r\ndefg\r\n0\r\n\r\nGET /q4 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' \
    >"$T/o2" 2>"$T/e2"
expect_eq "$(nresp "$T/o2")" 4 "GET+POST+chunked POST+GET pipelined: 4 responses"
expect_eq "$(paths "$T/o2")" "/q1 /sha /echo /q4 " "GET+POST+chunked POST+GET pipelined: in order"
expect_eq "$(grep -a -c '^5 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824' "$T/o2")" 1 \
    "pipelined POST body reached the backend intact"
expect_eq "$(grep -a -c 'abcdefg' "$T/o2")" 1 "pipelined chunked POST body reached the backend intact"

# a request split inside a field name, then the next one split in its
# request line, 0.3 s apart
rawhttp -v -t 5 -d 0.3 "$P" 'GET /s1 HTTP/1.1\r\nHo' 'st: a\r\n\r\nGET /s' '2 HTTP/1.1\r\nHost: a\r\nConnection: close\r' '\n\r\n' \
    >"$T/o3" 2>"$T/e3"
expect_eq "$(nresp "$T/o3")" 2 "requests split across writes: 2 responses"
expect_eq "$(paths "$T/o3")" "/s1 /s2 " "requests split across writes: in order"

# ten in one write, the backend answering each
req=
for i in 0 1 2 3 4 5 6 7 8 9; do req="${req}GET /m$i HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n"; done
req="${req}GET /last HTTP/1.1\\r\\nHost: a\\r\\nConnection: close\\r\\n\\r\\n"
rawhttp -t 5 "$P" "$req" >"$T/o4"
expect_eq "$(paths "$T/o4")" "/m0 /m1 /m2 /m3 /m4 /m5 /m6 /m7 /m8 /m9 /last " "11 pipelined GETs: all, in order"

expect_no_alerts
porter_stop
done_testing
