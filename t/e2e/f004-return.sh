#!/bin/bash
# f004: routes that answer by themselves (return = { status; location;
# body; }): 301 with Location and body, 200 with an HTML page, 410 and 204
# without a body; the backend hears of none; the connection stays open
# after such an answer; a return route's filters still apply. A route's
# max_body_size: bigger bodies get 413 (Content-Length and chunked),
# smaller ones pass; other routes are not limited.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
PAGE='<html><body><h1>Down for maintenance</h1></body></html>'
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = (
    { path = "/"; pool = "app"; },
    { path = "/old/"; return = { status = 301; location = "/new/"; body = "moved"; };
      set_response_headers = ( { name = "Cache-Control"; value = "max-age=60"; } ); },
    { path = "/page"; return = { status = 200; body = "$PAGE"; }; },
    { path = "/gone"; return = { status = 410; }; },
    { path = "/nothing"; return = { status = 204; }; },
    { path = "/closed"; deny = [ "127.0.0.1" ]; return = { status = 200; body = "open"; }; },
    { host = "up.example"; path = "/"; pool = "app"; max_body_size = 1000; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P
LOG=$(porter_log)

# ---- return ----
cu -D "$T/301.h" -o "$T/301.b" "$U/old/x?y=1"
head=$(tr -d '\r' <"$T/301.h")
expect_match "$(first_line "$head")" '^HTTP/1\.1 301( |$)' "return 301: status"
expect_eq "$(hval Location "$head")" /new/ "return 301: Location: /new/"
expect_eq "$(hval Cache-Control "$head")" max-age=60 \
    "return 301: the route's set_response_headers apply to its own answer"
expect_eq "$(cat "$T/301.b")" moved "return 301: body 'moved'"
expect_eq "$(hval Content-Length "$head")" 5 "return 301: Content-Length 5"
expect_match "$(hval Content-Type "$head")" '^text/plain' "return 301: text/plain"

cu -D "$T/200.h" -o "$T/200.b" "$U/page"
head=$(tr -d '\r' <"$T/200.h")
expect_match "$(first_line "$head")" '^HTTP/1\.1 200( |$)' "return 200: status"
expect_eq "$(cat "$T/200.b")" "$PAGE" "return 200: the HTML body"
expect_match "$(hval Content-Type "$head")" '^text/html' "return 200: text/html"
expect_eq "$(hcount Location "$head")" 0 "return 200: no Location"

# HEAD: the head only; the next answer on the connection follows at once
rawhttp -t 3 "$P" 'HEAD /page HTTP/1.1\r\nHost: a\r\n\r\nGET /nothing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' \
    >"$T/head.out" 2>/dev/null
head=$(tr -d '\r' <"$T/head.out" | sed '/^$/q')
expect_match "$(first_line "$head")" '^HTTP/1\.1 200( |$)' "HEAD on a return route: 200"
expect_eq "$(hval Content-Length "$head")" "${#PAGE}" "HEAD: Content-Length of the page"
expect_eq "$(tr -d '\r' <"$T/head.out" | sed '1,/^$/d' | head -n 1)" "HTTP/1.1 204 No Content" \
    "HEAD: no body (the next answer follows the head)"

cu -D "$T/410.h" -o "$T/410.b" "$U/gone"
head=$(tr -d '\r' <"$T/410.h")
expect_match "$(first_line "$head")" '^HTTP/1\.1 410( |$)' "return 410: status"
expect_eq "$(wc -c <"$T/410.b" | tr -d ' ')" 0 "return 410 without a body: empty"

cu -D "$T/204.h" -o "$T/204.b" "$U/nothing"
head=$(tr -d '\r' <"$T/204.h")
expect_match "$(first_line "$head")" '^HTTP/1\.1 204( |$)' "return 204: status"
expect_eq "$(wc -c <"$T/204.b" | tr -d ' ')" 0 "return 204: no body"
expect_eq "$(hcount Content-Length "$head") $(hcount Transfer-Encoding "$head")" "0 0" \
    "return 204: neither Content-Length nor Transfer-Encoding"

# keep-alive goes on after a return answer
out=$(cu -o /dev/null -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
    "$U/old/" "$U/page" "$U/ka-after-return" | tr '\n' ' ')
expect_eq "$out" "301 1 200 0 200 0 " "301, 200 (return) and a proxied 200 on one connection"
out=$(cu -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
    "$U/nothing" "$U/gone" | tr '\n' ' ')
expect_eq "$out" "204 1 410 0 " "204 then 410 (no bodies) on one connection"
# raw: two pipelined requests, two complete answers on one connection
rawhttp -n 2 -t 3 "$P" 'GET /nothing HTTP/1.1\r\nHost: a\r\n\r\nGET /old/ HTTP/1.1\r\nHost: a\r\n\r\n' \
    >"$T/pipe.out" 2>/dev/null
expect_eq "$(grep -a -c '^HTTP/1\.1 ' "$T/pipe.out") $(grep -a -c '^HTTP/1\.1 301' "$T/pipe.out")" "2 1" \
    "pipelined 204 and 301: both answered"

# the route's filters apply before its return
expect_status "$U/closed" 403
expect_true "logged: route deny before its return" \
    grep -qE '\[info\].*127\.0\.0\.1: 403 Forbidden: deny: client address' "$LOG"

expect_eq "$(backend_reqs app)" 1 "the backend received only the proxied request (none of the returns)"
expect_eq "$(grep -c '"path": "/ka-after-return"' "$(backend_log app)")" 1 "... the one after the returns"

# ---- route max_body_size = 1000 (Host up.example) ----
H=(-H 'Host: up.example')
head -c 2000 /dev/urandom >"$T/2k"
head -c 1000 /dev/urandom >"$T/1k"
head -c 500 /dev/urandom >"$T/500"
expect_status "$U/refused-cl" 413 "${H[@]}" -H 'Expect:' --data-binary @"$T/2k"
expect_true "logged: 413 for the route's max_body_size" \
    grep -qE '\[info\].*127\.0\.0\.1: 413 Content Too Large: route max_body_size' "$LOG"
code=$(cu -o /dev/null -w '%{http_code}' -H 'Transfer-Encoding: chunked' -H 'Expect:' \
    --data-binary @"$T/2k" "${H[@]}" "$U/refused-chunked" 2>"$T/chunked.err")
expect_eq "$code" 413 "chunked POST of 2000 bytes on the route -> 413"
expect_true "logged: 413 for the chunked body" \
    grep -qE '\[info\].*127\.0\.0\.1: 413 Content Too Large: body larger than max_body_size' "$LOG"
code=$(cu -o /dev/null -w '%{http_code}' -H 'Expect: 100-continue' --expect100-timeout 5 \
    --data-binary @"$T/2k" "${H[@]}" "$U/refused-expect")
expect_eq "$code" 413 "POST of 2000 bytes with Expect: 100-continue -> 413"
expect_eq "$(cu -H 'Expect:' --data-binary @"$T/500" "${H[@]}" "$U/sha")" "500 $(sha_of "$T/500")" \
    "POST of 500 bytes on the route passes whole"
expect_eq "$(cu -H 'Transfer-Encoding: chunked' -H 'Expect:' --data-binary @"$T/500" "${H[@]}" "$U/sha")" \
    "500 $(sha_of "$T/500")" "chunked POST of 500 bytes passes whole"
expect_eq "$(cu -H 'Expect:' --data-binary @"$T/1k" "${H[@]}" "$U/sha")" "1000 $(sha_of "$T/1k")" \
    "POST of exactly 1000 bytes passes"
expect_eq "$(cu -H 'Expect:' --data-binary @"$T/2k" "$U/sha")" "2000 $(sha_of "$T/2k")" \
    "POST of 2000 bytes on another route passes (the limit is the route's)"
expect_eq "$(grep -c '"path": "[^"]*refused' "$(backend_log app)")" 0 \
    "the backend logged none of the refused uploads"

expect_no_alerts
porter_stop
done_testing
