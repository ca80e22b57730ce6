#!/bin/bash
# b009: requests porter must refuse itself, before any backend hears of them:
# 400 for malformed heads (space before colon, obs-fold, both Content-Length
# and Transfer-Encoding, differing Content-Lengths, bare CR, NUL, no Host in
# HTTP/1.1, ...), 505 for HTTP/2.0, 501 for an unknown transfer coding, 414
# over limits.max_uri_size, 431 over limits.max_header_size, 413 over
# limits.max_body_size.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
limits = { max_header_size = 8192; max_uri_size = 1024; max_body_size = 1000; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P
c0=$(backend_stat app connections)

refused() {	# CODE DESC RAW [rawhttp options]
	local code=$1 desc=$2 raw=$3
	shift 3
	rawhttp -v -n 1 -t 3 "$@" "$P" "$raw" >"$T/bad.out" 2>"$T/bad.err"
	expect_match "$(first_line "$(cat "$T/bad.out")")" "^HTTP/1\\.[01] $code( |\$)" "$desc -> $code"
}

G='GET / HTTP/1.1\r\nHost: a\r\n'
refused 400 "space before colon"          "${G}X-Foo : bar\r\n\r\n"
refused 400 "obs-fold"                    "${G}X-Foo: bar\r\n  baz\r\n\r\n"
refused 400 "Content-Length and Transfer-Encoding" \
    'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'
refused 400 "differing duplicate Content-Length" \
    'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n'
refused 400 "Content-Length list with differing values" \
    'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n'
refused 400 "Content-Length not a number" \
    'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: abc\r\n\r\n'
refused 400 "negative Content-Length" \
    'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n'
refused 400 "bare CR in a field value"    "${G}X-Foo: a\\rb\r\n\r\n"
refused 400 "bare CR ending a line"       'GET / HTTP/1.1\rHost: a\r\n\r\n'
refused 400 "NUL in a field value"        "${G}X-Foo: a\\0b\r\n\r\n"
refused 400 "NUL in the target"           'GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n'
refused 400 "HTTP/1.1 without Host"       'GET / HTTP/1.1\r\nX-Foo: a\r\n\r\n'
refused 400 "two Host fields"             "${G}Host: b\r\n\r\n"
refused 400 "space inside a field name"   "${G}X Foo: bar\r\n\r\n"
refused 400 "garbage request line"        'HELLO\r\n\r\n'
refused 505 "HTTP/2.0 in the request line" 'GET / HTTP/2.0\r\nHost: a\r\n\r\n'
refused 501 "Transfer-Encoding: gzip" \
    'POST /sha HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n'
refused 501 "Transfer-Encoding: gzip, chunked" \
    'POST /sha HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'
long=$(printf '/%02000d' 0)
refused 414 "target of 2001 bytes (max_uri_size 1024)" "GET $long HTTP/1.1\\r\\nHost: a\\r\\n\\r\\n"
big=$(printf 'x%.0s' $(seq 10000))
refused 431 "a 10 KB field (max_header_size 8192)" "${G}X-Big: $big\\r\\n\\r\\n"
many=$(for i in $(seq 200); do printf 'X-F%d: 1\\r\\n' "$i"; done)
refused 431 "200 fields" "${G}$many\\r\\n"
refused 413 "Content-Length 5000 (max_body_size 1000)" \
    'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5000\r\n\r\n'

# after a framing error the connection is closed, not reused
for raw in 'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n' \
    'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n'; do
	rawhttp -v -t 3 "$P" "$raw" >"$T/bad.out" 2>"$T/bad.err"
	expect_match "$(cat "$T/bad.err")" '^rawhttp: (closed|reset) after' "ambiguous framing: porter closes the connection"
done

# 413 before the body is sent: curl waits for 100-continue and gets 413
head -c 2000 /dev/urandom >"$T/2k"
t0=$(now)
code=$(cu -o /dev/null -w '%{http_code}' -H 'Expect: 100-continue' --expect100-timeout 5 \
    --data-binary @"$T/2k" "$U/sha")
el=$(since "$t0")
expect_eq "$code" 413 "curl POST of 2000 bytes with Expect: 100-continue -> 413"
expect_le "$el" 3 "413 sent without waiting for the body ($el s)"

c1=$(backend_stat app connections)
expect_eq "$(grep -vc '"path": "/stats"' "$(backend_log app)")" 0 "the backend received none of the refused requests"
expect_eq "$((c1 - c0 - 1))" 0 "porter did not even connect to the backend"

# and good requests still pass
head -c 1000 /dev/urandom >"$T/1k"
expect_eq "$(cu -H 'Expect:' --data-binary @"$T/1k" "$U/sha")" "1000 $(sha_of "$T/1k")" \
    "POST of exactly max_body_size bytes passes"
expect_eq "$(cu -H 'Transfer-Encoding: chunked' -H 'Expect:' --data-binary @"$T/1k" "$U/sha")" \
    "1000 $(sha_of "$T/1k")" "chunked POST of max_body_size bytes passes"
expect_eq "$(cu "$U/$(printf '%01000d' 0)")" app "target of 1001 bytes (just under the limit) passes"
expect_eq "$(cu -o /dev/null -w '%{http_code}' -H "X-Big: $(printf 'x%.0s' $(seq 6000))" "$U/")" 200 \
    "a 6 KB field (head under max_header_size) passes"

expect_no_alerts
porter_stop
done_testing
