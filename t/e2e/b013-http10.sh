#!/bin/bash
# b013: HTTP/1.0 clients. A plain answer; a chunked backend response reaches
# them de-chunked (no Transfer-Encoding) and complete; until-close and
# Content-Length bodies, uploads and HEAD work; no Host is needed in 1.0.
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
U=http://127.0.0.1:$P

body=$(cu -0 -D "$T/h" "$U/ten")
head=$(tr -d '\r' <"$T/h")
expect_eq "$body" app "1.0 GET: body"
expect_match "$(first_line "$head")" '^HTTP/1\.[01] 200( |$)' "1.0 GET: 200"
expect_eq "$(hcount Transfer-Encoding "$head")" 0 "1.0 GET: no Transfer-Encoding"

for shape in "20 5000" "1 7" "300 1000"; do
	set -- $shape
	len=$(($1 * $2))
	cu -0 -D "$T/h" -o "$T/b" "$U/chunked?n=$1&size=$2"
	head=$(tr -d '\r' <"$T/h")
	expect_match "$(first_line "$head")" '^HTTP/1\.[01] 200( |$)' "1.0 GET chunked $1x$2: 200"
	expect_eq "$(hcount Transfer-Encoding "$head")" 0 "1.0 GET chunked $1x$2: no Transfer-Encoding to a 1.0 client"
	expect_eq "$(wc -c <"$T/b" | tr -d ' ') $(sha_of "$T/b")" "$len $(gen_sha $len)" \
	    "1.0 GET chunked $1x$2: de-chunked body complete and correct"
done

# raw 1.0, no Host: the response is not chunked and ends (close or length)
rawhttp -v -t 5 "$P" 'GET /chunked?n=4&size=10 HTTP/1.0\r\n\r\n' >"$T/raw" 2>"$T/raw.err"
expect_match "$(first_line "$(cat "$T/raw")")" '^HTTP/1\.[01] 200( |$)' "raw 1.0 without Host: 200"
expect_match "$(cat "$T/raw.err")" '^rawhttp: closed' "raw 1.0 without Host: porter closes after the response"
"$PYTHON" - "$T/raw" "$(gen_sha 40)" <<'EOF' >"$T/check"
import hashlib, sys
d = open(sys.argv[1], "rb").read()
head, _, body = d.partition(b"\r\n\r\n")
print("ok" if hashlib.sha256(body).hexdigest() == sys.argv[2] else "body of %d bytes: %r" % (len(body), body[:80]))
EOF
expect_eq "$(cat "$T/check")" ok "raw 1.0 chunked: the body after the head is exactly the 40 data bytes"

len=3000000
cu -0 -o "$T/b" "$U/big?size=$len"
expect_eq "$(wc -c <"$T/b" | tr -d ' ') $(sha_of "$T/b")" "$len $(gen_sha $len)" "1.0 GET 3 MB Content-Length body"
cu -0 -o "$T/b" "$U/close?size=$len"
expect_eq "$(wc -c <"$T/b" | tr -d ' ') $(sha_of "$T/b")" "$len $(gen_sha $len)" "1.0 GET 3 MB until-close body"

head -c 500000 /dev/urandom >"$T/up"
expect_eq "$(cu -0 --data-binary @"$T/up" "$U/sha")" "500000 $(sha_of "$T/up")" "1.0 POST 500 KB: intact"

body=$(cu -0 -I "$U/big?size=999")
expect_match "$(first_line "$body")" '^HTTP/1\.[01] 200( |$)' "1.0 HEAD: 200"
expect_eq "$(hval Content-Length "$body")" 999 "1.0 HEAD: Content-Length"

# 1.0 asking for keep-alive: if porter answers "Connection: keep-alive" a
# second request on that connection is served; if not, it closes
rawhttp -v -t 5 -d 0.3 "$P" 'GET /ka1 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n' \
    'GET /ka2 HTTP/1.0\r\n\r\n' >"$T/ka" 2>"$T/ka.err"
expect_match "$(first_line "$(cat "$T/ka")")" '^HTTP/1\.[01] 200( |$)' "1.0 keep-alive request: 200"
if [[ $(hval Connection "$(cat "$T/ka")") == [Kk]eep-[Aa]live ]]; then
	expect_eq "$(grep -a -c '^HTTP/1\.[01] 200' "$T/ka")" 2 \
	    "1.0 keep-alive granted: the second request on the connection is answered"
	expect_match "$(cat "$T/ka.err")" '^rawhttp: closed' "1.0 keep-alive: closed after the plain 1.0 request"
else
	expect_match "$(cat "$T/ka.err")" '^rawhttp: (closed|reset)' "1.0 keep-alive not granted: closed after the response"
fi
expect_eq "$(tail -c 4 "$T/ka")" app "1.0 keep-alive request: body"

expect_no_alerts
porter_stop
done_testing
