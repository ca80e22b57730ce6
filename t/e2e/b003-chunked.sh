#!/bin/bash
# b003: bodies of every framing: a chunked upload, chunked downloads (many
# shapes), a response delimited by close, and a 10 MB Content-Length download.
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
CURL_MAX_TIME=20

# chunked upload
head -c 3000001 /dev/urandom >"$T/up"
want="3000001 $(sha_of "$T/up")"
got=$(cu -H 'Transfer-Encoding: chunked' --data-binary @"$T/up" "$U/sha")
expect_eq "$got" "$want" "chunked upload 3 MB: intact at the backend"
got=$(cu -H 'Transfer-Encoding: chunked' -H 'Expect:' --data-binary 'hello chunked' "$U/echo")
expect_eq "$got" "hello chunked" "small chunked upload echoed"
got=$(cu -H 'Transfer-Encoding: chunked' -H 'Expect:' --data-binary '' "$U/sha")
expect_eq "$got" "0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" "empty chunked upload"

# chunked downloads
for shape in "100 10000" "1 1" "2000 3" "50 65536" "3 100000"; do
	set -- $shape
	n=$1 s=$2
	len=$((n * s))
	cu -D "$T/ch.h" -o "$T/ch" "$U/chunked?n=$n&size=$s"
	expect_eq "$(wc -c <"$T/ch" | tr -d ' ') $(sha_of "$T/ch")" "$len $(gen_sha $len)" \
	    "chunked download $n x $s bytes: complete and correct"
done
cu -D "$T/ch.h" -o "$T/ch" "$U/chunked?n=0&size=10"
expect_eq "$(wc -c <"$T/ch" | tr -d ' ')" 0 "chunked download with no data chunk: empty body"
expect_match "$(first_line "$(cat "$T/ch.h")")" '^HTTP/1\.1 200' "chunked download with no data chunk: 200"

# raw: the chunked framing reaching a 1.1 client is valid and ends
rawhttp -v -t 5 "$P" 'GET /chunked?n=3&size=7 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' \
    >"$T/raw" 2>"$T/raw.err"
expect_match "$(cat "$T/raw.err")" '^rawhttp: closed' "raw chunked GET with Connection: close: porter closes after the body"
"$PYTHON" - "$T/raw" "$(gen_sha 21)" <<'EOF' >"$T/dechunk"
import hashlib, sys
d = open(sys.argv[1], "rb").read()
head, _, body = d.partition(b"\r\n\r\n")
h = head.decode("latin-1").lower()
out = b""
if "transfer-encoding: chunked" in h:
    while True:
        line, _, body = body.partition(b"\r\n")
        n = int(line.split(b";")[0], 16)
        if n == 0:
            break
        out += body[:n]
        assert body[n:n + 2] == b"\r\n", "no CRLF after chunk data"
        body = body[n + 2:]
else:
    out = body
print("ok" if hashlib.sha256(out).hexdigest() == sys.argv[2] and len(out) == 21 else "bad %d" % len(out))
EOF
expect_eq "$(cat "$T/dechunk")" ok "raw chunked GET: framing valid, 21 bytes of data"

# body delimited by the backend closing
for len in 0 1 3000000; do
	cu -o "$T/cl" "$U/close?size=$len"
	expect_eq "$(wc -c <"$T/cl" | tr -d ' ') $(sha_of "$T/cl")" "$len $(gen_sha $len)" \
	    "until-close body of $len bytes: complete and correct"
done
expect_eq "$(cu "$U/after-close")" app "next request after an until-close body"

# 10 MB with Content-Length
len=$((10 * 1024 * 1024))
cu -D "$T/big.h" -o "$T/big" "$U/big?size=$len"
expect_eq "$(wc -c <"$T/big" | tr -d ' ') $(sha_of "$T/big")" "$len $(gen_sha $len)" \
    "10 MB Content-Length download: complete and correct"
expect_eq "$(hval Content-Length "$(cat "$T/big.h")")" "$len" "10 MB download: Content-Length kept"

expect_no_alerts
porter_stop
done_testing
