#!/bin/bash
# p001: the forward proxy fetches absolute-form requests. GET, HEAD, POST
# (Content-Length and chunked, sha256 checked at the backend), large and
# chunked downloads; the backend gets origin form with Host from the URL,
# no Proxy-Connection, Proxy-Authorization or hop-by-hop fields, and Via
# and X-Forwarded-For (by default); forwarded_for = false adds neither;
# anonymous strips every identifying field and anonymous_strip's. One
# client connection carries requests to two hosts (keep-alive). An
# https:// absolute URI without CONNECT is refused. Requests are logged.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"

backend_start app
B=$BPORT
backend_start two
B2=$BPORT
P=$(free_port)		# defaults (forwarded_for on)
PN=$(free_port)		# forwarded_for = false
PA=$(free_port)		# anonymous, with anonymous_strip
porter_start <<EOF
access_log = "$T/access.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = (
  { listen = "127.0.0.1:$P"; mode = "forward"; allow = [ "127.0.0.0/8", "::1" ];
    deny_private = false; },
  { listen = "127.0.0.1:$PN"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; forwarded_for = false; },
  { listen = "127.0.0.1:$PA"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; anonymous = true;
    anonymous_strip = [ "X-Tracking-Id", "x-session-tag" ]; } );
EOF
U=http://127.0.0.1:$B

# ---- GET ----
body=$(pcu "$P" -D "$T/get.h" "$U/hello?x=1")
head=$(tr -d '\r' <"$T/get.h")
expect_match "$(first_line "$head")" '^HTTP/1\.1 200( |$)' "GET through the proxy: 200"
expect_eq "$body" app "GET: body from the backend"
expect_eq "$(hval X-Backend "$head")" app "GET: the backend's fields reach the client"
expect_eq "$(hval X-Path "$head")" "/hello?x=1" "GET: the backend got origin form (path and query)"
expect_eq "$(grep -c '"path": "/hello?x=1"' "$(backend_log app)")" 1 \
    "GET: the backend's log has the origin-form target"
expect_eq "$(grep -c '"path": "http' "$(backend_log app)")" 0 \
    "GET: no absolute-form target reached the backend"
for code in 404 503; do
	expect_eq "$(pcu "$P" -w ' %{http_code}' "$U/status?code=$code" | tr -d '\n')" "app $code $code" \
	    "the backend's status $code and its body pass through"
done

# ---- HEAD ----
t0=$(now)
out=$(pcu "$P" -I "$U/big?size=1000000")
el=$(since "$t0")
expect_match "$(first_line "$out")" '^HTTP/1\.1 200( |$)' "HEAD: 200"
expect_eq "$(hval Content-Length "$out")" 1000000 "HEAD: Content-Length of the GET body"
expect_le "$el" 3 "HEAD: no wait for a body ($el s)"
expect_eq "$(grep -c '"method": "HEAD"' "$(backend_log app)")" 1 "HEAD: the backend got a HEAD"

# ---- POST with a body: sha256 at the backend ----
head -c 1500000 /dev/urandom >"$T/up.bin"
want="1500000 $(sha_of "$T/up.bin")"
expect_eq "$(pcu "$P" --data-binary @"$T/up.bin" "$U/sha")" "$want" \
    "POST 1.5 MB (Content-Length): the backend's sha256"
expect_eq "$(pcu "$P" -H 'Transfer-Encoding: chunked' --data-binary @"$T/up.bin" "$U/sha")" "$want" \
    "POST 1.5 MB (chunked): the backend's sha256"
expect_eq "$(pcu "$P" --data-binary 'small body, echoed' "$U/echo")" "small body, echoed" \
    "POST /echo: the body comes back"
expect_eq "$(pcu "$P" -X PUT --data-binary @"$T/up.bin" "$U/sha")" "$want" \
    "PUT 1.5 MB: the backend's sha256"

# ---- downloads ----
expect_eq "$(pcu "$P" "$U/big?size=3000000" | sha256sum | cut -d' ' -f1)" "$(gen_sha 3000000)" \
    "GET 3 MB (Content-Length): sha256"
expect_eq "$(pcu "$P" "$U/chunked?n=50&size=20000" | sha256sum | cut -d' ' -f1)" "$(gen_sha 1000000)" \
    "GET 1 MB chunked: sha256"
expect_eq "$(pcu "$P" "$U/close?size=200000" | sha256sum | cut -d' ' -f1)" "$(gen_sha 200000)" \
    "GET 200 kB delimited by the backend's close: sha256"

# ---- the fields the backend receives ----
seen=$(pcu "$P" -H 'Host: other.example' -H 'Proxy-Connection: keep-alive' \
    -H 'Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=' -H 'Connection: X-Hop, keep-alive' \
    -H 'X-Hop: 1' -H 'Keep-Alive: timeout=5' -H 'TE: trailers' -H 'X-Keep: yes' \
    "$U/headers")
diag "the backend saw (defaults):" "$seen"
expect_eq "$(hval Host "$seen")" "127.0.0.1:$B" "Host comes from the URL, not the client's Host field"
expect_eq "$(hcount Host "$seen")" 1 "one Host field"
expect_eq "$(hcount Proxy-Connection "$seen")" 0 "Proxy-Connection not forwarded"
expect_eq "$(hcount Proxy-Authorization "$seen")" 0 "Proxy-Authorization not forwarded"
expect_eq "$(hcount X-Hop "$seen")" 0 "a field named in Connection not forwarded"
expect_eq "$(hcount Keep-Alive "$seen")" 0 "Keep-Alive not forwarded"
expect_eq "$(hcount TE "$seen")" 0 "TE not forwarded"
expect_eq "$(hval X-Keep "$seen")" yes "an end-to-end field is forwarded"
expect_match "$(hval Via "$seen")" '^(HTTP/)?1\.1 [^ ]+' "Via added by default"
expect_eq "$(hval X-Forwarded-For "$seen")" 127.0.0.1 "X-Forwarded-For: the client's address"

seen=$(pcu "$P" -H 'X-Forwarded-For: 10.1.2.3' "$U/headers")
expect_eq "$(hval X-Forwarded-For "$seen")" "10.1.2.3, 127.0.0.1" \
    "X-Forwarded-For: the client's address appended to an earlier one"

seen=$(pcu "$PN" -H 'X-Keep: yes' "$U/headers")
diag "the backend saw (forwarded_for = false):" "$seen"
expect_eq "$(hcount Via "$seen")" 0 "forwarded_for = false: no Via"
expect_eq "$(hcount X-Forwarded-For "$seen")" 0 "forwarded_for = false: no X-Forwarded-For"
expect_eq "$(hval X-Keep "$seen")" yes "forwarded_for = false: other fields forwarded"

seen=$(pcu "$PA" -H 'X-Forwarded-For: 10.1.2.3' -H 'Forwarded: for=10.1.2.3' \
    -H 'Via: 1.0 upstream-cache' -H 'From: someone@example.org' -H 'Client-IP: 10.1.2.3' \
    -H 'X-Real-IP: 10.1.2.3' -H 'X-Tracking-Id: t-42' -H 'X-Session-Tag: s-42' \
    -H 'X-Keep: yes' -H 'User-Agent: ua-test' "$U/headers")
diag "the backend saw (anonymous):" "$seen"
for f in X-Forwarded-For Forwarded Via From Client-IP X-Real-IP; do
	expect_eq "$(hcount "$f" "$seen")" 0 "anonymous: $f stripped (and not added)"
done
expect_eq "$(hcount X-Tracking-Id "$seen")" 0 "anonymous_strip: X-Tracking-Id stripped"
expect_eq "$(hcount X-Session-Tag "$seen")" 0 "anonymous_strip: x-session-tag stripped (any case)"
expect_eq "$(hval X-Keep "$seen")" yes "anonymous: other fields forwarded"
expect_eq "$(hval Host "$seen")" "127.0.0.1:$B" "anonymous: Host from the URL"
expect_nomatch "$seen" '127\.0\.0\.1[^:]|127\.0\.0\.1$' "anonymous: the client address appears nowhere"

# ---- keep-alive: one client connection, two hosts ----
pcu "$P" -w '%{http_code} %{num_connects}\n' -o "$T/ka1" "$U/ka-1" \
    -o "$T/ka2" "http://localhost:$B2/ka-2" -o "$T/ka3" "$U/ka-3" \
    -o "$T/ka4" "http://localhost:$B2/ka-4" >"$T/ka.out"
expect_eq "$(tr '\n' ' ' <"$T/ka.out")" "200 1 200 0 200 0 200 0 " \
    "four requests to two hosts on one client connection (one connect)"
expect_eq "$(cat "$T/ka1" "$T/ka2" "$T/ka3" "$T/ka4" | tr '\n' ' ')" "app two app two " \
    "each request reached its own host"
expect_eq "$(grep -c '"path": "/ka-[24]"' "$(backend_log two)")" 2 \
    "the backend named by localhost got its two requests"
expect_eq "$(grep '"path": "/ka-[24]"' "$(backend_log two)" | grep -c -i '"host", "localhost:'"$B2"'"')" 2 \
    "... with Host: localhost:$B2"

# ---- https:// without CONNECT: not supported (any 4xx/5xx) ----
rawhttp -n 1 -t 5 "$P" "GET https://127.0.0.1:$B/refused-https HTTP/1.1\\r\\nHost: 127.0.0.1:$B\\r\\n\\r\\n" \
    >"$T/https.out" 2>/dev/null
expect_match "$(first_line "$(cat "$T/https.out")")" '^HTTP/1\.[01] [45][0-9][0-9]' \
    "GET https://... (no CONNECT): a 4xx/5xx answer"
expect_eq "$(grep -c 'refused-https' "$(backend_log app)")" 0 "... and nothing reached the backend"

# ---- access log ----
if wait_log "$T/access.log" "GET [^ \"]*/hello\\?x=1"; then
	ok "access log: the GET is logged"
else
	not_ok "access log: the GET is logged" "$(head -n 5 "$T/access.log" 2>/dev/null)"
fi
expect_match "$(grep -E '/hello\?x=1' "$T/access.log" 2>/dev/null | head -n 1)" "127\\.0\\.0\\.1:$B" \
    "access log: the line names the host fetched"

expect_no_alerts
porter_stop
done_testing
