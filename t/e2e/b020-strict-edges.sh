#!/bin/bash
# b020: the strict edges of what porter passes on, as the backend and the
# client receive it. Request fields with "_" in the name (Content_Length,
# Transfer_Encoding) are not forwarded unless underscores_in_headers =
# true; a Content-Length repeated with the same value goes on once; "*"
# with a method other than OPTIONS is 400 and reaches no backend; what the
# client names in Connection (X-Forwarded-For, Via, Forwarded, a field a
# route sets) is gone before porter adds its own. A backend's response
# with both Transfer-Encoding: chunked and Content-Length is relayed by
# the chunks without the Content-Length; an interim 103 reaches the client
# without its hop-by-hop fields.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
conf() {	# UNDERSCORES
	cat <<EOF
workers = { count = 2; };
underscores_in_headers = $1;
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/"; pool = "app"; },
             { path = "/set/"; pool = "app";
               set_request_headers = ( { name = "X-Set"; value = "rule"; } ); } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
}
porter_start < <(conf false)
U=http://127.0.0.1:$P
BL=$(backend_log app)

# The head of the last request the backend read, "Name: value" per field
# as received (duplicates kept).
seen() {
	tail -n 1 "$BL" | "$PYTHON" -c 'import json, sys
r = json.load(sys.stdin)
for k, v in r["headers"]:
    print("%s: %s" % (k, v))'
}
seen_field() {	# JSON-KEY of the last request
	tail -n 1 "$BL" | "$PYTHON" -c 'import json, sys
print(json.load(sys.stdin)[sys.argv[1]])' "$1"
}
send() {	# RAW: one request, the answer in $out
	out=$(rawhttp -n 1 -t 5 "$P" "$1")
}

# ---- 1. field names with "_" ----
n0=$(backend_reqs app)
send 'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent_Length: 0\r\nTransfer_Encoding: chunked\r\nX_Under: 1\r\nX-Fine: 2\r\n\r\nhello'
expect_match "$(first_line "$out")" '^HTTP/1\.1 200 ' "underscored fields: 200"
expect_eq "$(backend_reqs app)" $((n0 + 1)) "underscored fields: one request reached the backend"
h=$(seen)
expect_eq "$(grep -c _ <<<"$(cut -d: -f1 <<<"$h")")" 0 "no field name with \"_\" reached the backend"
expect_eq "$(hval X-Fine "$h")" 2 "X-Fine still forwarded"
expect_eq "$(hcount Content-Length "$h")" 1 "one Content-Length at the backend"
expect_eq "$(seen_field body_len)" 5 "the body framed by Content-Length: 5"

# ---- 2. a repeated Content-Length ----
send 'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nX: y\r\ncontent-length: 5\r\n\r\nhello'
expect_match "$(first_line "$out")" '^HTTP/1\.1 200 ' "Content-Length twice, same value: 200"
h=$(seen)
expect_eq "$(hcount Content-Length "$h")" 1 "exactly one Content-Length forwarded"
expect_eq "$(hval Content-Length "$h")" 5 "its value 5"
expect_eq "$(seen_field body_len)" 5 "the backend read the 5 bytes"
send 'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\nhello'
expect_eq "$(hval Content-Length "$(seen)")" 5 "\"5, 5\" forwarded as 5"
n0=$(backend_reqs app)
send 'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'
expect_match "$(first_line "$out")" '^HTTP/1\.1 400 ' "differing Content-Length values: still 400"
expect_eq "$(backend_reqs app)" "$n0" "differing values reached no backend"

# ---- 3. the asterisk form ----
n0=$(backend_reqs app)
for m in GET HEAD POST DELETE; do
	send "$m * HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 0\\r\\n\\r\\n"
	expect_match "$(first_line "$out")" '^HTTP/1\.1 400 ' "$m * -> 400"
done
expect_eq "$(backend_reqs app)" "$n0" "no asterisk-form request but OPTIONS reached the backend"
send 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n'
expect_match "$(first_line "$out")" '^HTTP/1\.1 200 ' "OPTIONS * -> 200"
expect_eq "$(seen_field method) $(seen_field path)" "OPTIONS *" "OPTIONS * reached the backend"

# ---- 4. fields named in Connection ----
send 'GET /set/headers HTTP/1.1\r\nHost: a\r\nConnection: X-Forwarded-For, via, Forwarded, X-Set, X-Other\r\nX-Forwarded-For: 10.6.6.6\r\nVia: 1.1 evil\r\nForwarded: for=10.6.6.6\r\nX-Set: client\r\nX-Other: 1\r\nX-Kept: 1\r\n\r\n'
expect_match "$(first_line "$out")" '^HTTP/1\.1 200 ' "Connection-listed fields: 200"
h=$(seen)
expect_eq "$(hcount X-Forwarded-For "$h")" 1 "one X-Forwarded-For"
expect_eq "$(hval X-Forwarded-For "$h")" 127.0.0.1 "X-Forwarded-For only porter's (the client's listed one is gone)"
expect_eq "$(hcount Via "$h")" 1 "one Via"
expect_match "$(hval Via "$h")" '^1\.1 porter-[0-9a-f]+-[0-9]+$' "Via only porter's"
expect_eq "$(hcount Forwarded "$h")" 0 "listed Forwarded removed"
expect_eq "$(hcount X-Set "$h")" 1 "one X-Set"
expect_eq "$(hval X-Set "$h")" rule "X-Set is the route's, not the client's"
expect_eq "$(hcount X-Other "$h")" 0 "listed X-Other removed"
expect_eq "$(hval X-Kept "$h")" 1 "an unlisted field kept"
expect_nomatch "$h" '10\.6\.6\.6|evil' "nothing of the listed values reached the backend"
send 'GET /headers HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.1.1.1\r\n\r\n'
expect_eq "$(hval X-Forwarded-For "$(seen)")" "10.1.1.1, 127.0.0.1" "unlisted X-Forwarded-For: porter appends"

# ---- 5. a response with Transfer-Encoding: chunked and Content-Length ----
out=$(rawhttp -n 2 -t 5 "$P" 'GET /te-and-cl HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n')
expect_match "$(first_line "$out")" '^HTTP/1\.1 200 ' "TE and CL from the backend: 200, not 502"
expect_eq "$(hcount Content-Length "$out")" 0 "the Content-Length is removed"
expect_eq "$(hval Transfer-Encoding "$out")" chunked "the body stays chunked"
expect_match "$out" $'\r\n\r\n5\r\nhello\r\n0\r\n\r\nHTTP/1\\.1 200 ' "the chunked body, then the next response on the connection"
expect_eq "$(cu "$U/te-and-cl")" hello "curl reads hello"
out=$(rawhttp -t 5 "$P" 'GET /te-and-cl HTTP/1.0\r\nHost: a\r\n\r\n')
expect_eq "$(hcount Content-Length "$out")" 0 "HTTP/1.0 client: no Content-Length either"
expect_match "$out" $'\r\n\r\nhello$' "HTTP/1.0 client: de-chunked hello until the close"

# ---- 6. an interim 1xx ----
out=$(rawhttp -n 1 -t 5 "$P" 'GET /interim HTTP/1.1\r\nHost: a\r\n\r\n')
expect_eq "$(first_line "$out")" "HTTP/1.1 103 Early Hints" "the 103 reaches the client"
expect_eq "$(hval Link "$out")" "</a.css>; rel=preload" "its Link kept"
expect_eq "$(hcount Connection "$out")" 0 "its Connection removed"
expect_eq "$(hcount X-Secret "$out")" 0 "the field its Connection names removed"
expect_eq "$(hcount Keep-Alive "$out")" 0 "its Keep-Alive removed"
expect_match "$out" $'\r\n\r\nHTTP/1\\.1 200 OK\r\n' "then the final 200"
out=$(rawhttp -n 1 -t 5 "$P" 'GET /interim HTTP/1.0\r\nHost: a\r\n\r\n')
expect_match "$(first_line "$out")" '^HTTP/1\.1 200 ' "an HTTP/1.0 client gets no 103"

porter_stop

# ---- underscores_in_headers = true keeps them ----
porter_start < <(conf true)
send 'GET /headers HTTP/1.1\r\nHost: a\r\nX_Under: 1\r\n\r\n'
expect_eq "$(hval X_Under "$(seen)")" 1 "underscores_in_headers = true: X_Under forwarded"
porter_stop
expect_no_alerts
done_testing
