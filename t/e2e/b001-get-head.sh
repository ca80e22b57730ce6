#!/bin/bash
# b001: GET and HEAD through porter. The backend's response and its headers
# reach the client; HEAD gets headers and no body; Via and X-Forwarded-*
# reach the backend; hop-by-hop fields do not cross porter either way.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
access_log = "$T/access.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P

# GET: body, status and the backend's own header fields
body=$(cu -D "$T/get.h" "$U/hello?x=1")
head=$(tr -d '\r' <"$T/get.h")
expect_eq "$body" app "GET: body from the backend"
expect_match "$(first_line "$head")" '^HTTP/1\.1 200( |$)' "GET: status 200"
expect_eq "$(hval X-Backend "$head")" app "GET: X-Backend from the backend reaches the client"
expect_eq "$(hval X-Path "$head")" "/hello?x=1" "GET: target with query forwarded as is"
expect_eq "$(hval Content-Type "$head")" text/plain "GET: Content-Type passed"
expect_eq "$(hval Content-Length "$head")" 4 "GET: Content-Length passed"

# HEAD with curl: the same fields, no body
body=$(cu -I "$U/hello")
expect_match "$(first_line "$body")" '^HTTP/1\.1 200( |$)' "HEAD: status 200"
expect_eq "$(hval Content-Length "$body")" 4 "HEAD: Content-Length of the GET body"
expect_eq "$(hval X-Backend "$body")" app "HEAD: backend fields"

# HEAD on a large resource, raw: nothing after the head, and porter must not
# wait for the 1 MB the Content-Length announces
t0=$(now)
rawhttp -v -t 5 "$P" 'HEAD /big?size=1000000 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' \
    >"$T/head.out" 2>"$T/head.err"
el=$(since "$t0")
out=$(cat -v "$T/head.out")
expect_match "$(first_line "$out")" '^HTTP/1\.1 200' "raw HEAD /big: 200"
expect_eq "$(hval Content-Length "$(cat "$T/head.out")")" 1000000 "raw HEAD /big: Content-Length 1000000"
expect_eq "$(tail -c 4 "$T/head.out" | od -An -tx1 | tr -d ' \n')" 0d0a0d0a "raw HEAD /big: response ends with the head (no body)"
expect_match "$(cat "$T/head.err")" '^rawhttp: closed' "raw HEAD /big: connection closed (Connection: close)"
expect_le "$el" 2 "raw HEAD /big: answered at once ($el s)"

# HEAD then GET on one connection: the GET response is intact
rawhttp -t 5 "$P" 'HEAD /big?size=5000 HTTP/1.1\r\nHost: a\r\n\r\nGET /after-head HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' \
    >"$T/hg.out"
expect_eq "$(grep -a -c '^HTTP/1\.1 200' "$T/hg.out")" 2 "HEAD+GET on one connection: two responses"
expect_eq "$(tr -d '\r' <"$T/hg.out" | grep -a -i '^x-path:' | tr 'A-Z' 'a-z' | tr '\n' ' ')" \
    "x-path: /big?size=5000 x-path: /after-head " "HEAD+GET: in order"
expect_eq "$(tail -c 4 "$T/hg.out")" "app" "HEAD+GET: GET body is last and complete"

# Request fields: porter adds Via and X-Forwarded-*, drops hop-by-hop ones
seen=$(cu -H 'Host: site.example' -H 'Connection: foo, keep-alive' -H 'Foo: x' \
    -H 'Keep-Alive: timeout=5' -H 'TE: trailers' -H 'Proxy-Connection: keep-alive' \
    -H 'X-Keep: yes' "$U/headers")
diag "the backend saw:" "$seen"
expect_match "$(hval Via "$seen")" '^(HTTP/)?1\.1 [^ ]+' "Via: 1.1 <porter> reaches the backend"
expect_eq "$(hval X-Forwarded-For "$seen")" 127.0.0.1 "X-Forwarded-For: client address"
expect_eq "$(hval X-Forwarded-Proto "$seen")" http "X-Forwarded-Proto: http"
expect_eq "$(hval X-Forwarded-Host "$seen")" site.example "X-Forwarded-Host: the client's Host"
expect_eq "$(hval X-Keep "$seen")" yes "end-to-end field X-Keep forwarded"
expect_eq "$(hcount Foo "$seen")" 0 "Foo (named in Connection) not forwarded"
expect_eq "$(hcount Keep-Alive "$seen")" 0 "Keep-Alive not forwarded"
expect_eq "$(hcount TE "$seen")" 0 "TE not forwarded"
expect_eq "$(hcount Proxy-Connection "$seen")" 0 "Proxy-Connection not forwarded"
expect_nomatch "$(hval Connection "$seen")" '[Ff][Oo][Oo]' "the client's Connection options not forwarded"

# Response fields: hop-by-hop ones sent by the backend are dropped too
body=$(cu -D "$T/hop.h" "$U/hop")
head=$(tr -d '\r' <"$T/hop.h")
expect_eq "$body" app "/hop: body"
expect_eq "$(hcount X-Secret "$head")" 0 "X-Secret (named in the backend's Connection) not passed to the client"
expect_nomatch "$(hval Keep-Alive "$head")" 'timeout=99' "the backend's Keep-Alive not passed to the client"
expect_nomatch "$(hval Connection "$head")" '[Xx]-[Ss]ecret' "the backend's Connection options not passed"

# the backend's own statuses pass through; 204 has no body to wait for
for code in 404 500 503; do
	expect_eq "$(cu -w ' %{http_code}' "$U/status?code=$code" | tr -d '\n')" "app $code $code" \
	    "backend status $code and its body pass through"
done
t0=$(now)
out=$(cu -w '%{http_code} ' "$U/status?code=204" "$U/status?code=304" "$U/after-204")
el=$(since "$t0")
expect_eq "$(printf '%s' "$out" | tr '\n' ' ')" "204 304 app 200 " "204 and 304 without a body, then a GET, on one connection"
expect_le "$el" 2 "204/304: no wait for a body ($el s)"

# access log: one line per request, with the target
expect_match "$(cat "$T/access.log" 2>/dev/null)" '/hello\?x=1' "access log names the request target"
expect_ge "$(wc -l <"$T/access.log" 2>/dev/null)" 12 "access log: a line per request"

expect_no_alerts
porter_stop
done_testing
