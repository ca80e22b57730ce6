#!/bin/bash
# b021: a backend that answers before it has read the whole request body
# (413 after 64 KiB of a 20 MB POST) has its answer relayed to the client
# with Connection: close, and the client connection ends (the rest of the
# body is never read as a next request); passive health does not count
# it against the server. A response framed by the backend's close goes to
# an HTTP/1.1 client chunked, its connection kept for the next request;
# an HTTP/1.0 client still gets it until the close.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
backend_start b
B2=$BPORT
P=$(free_port)
# two servers: passive health marks no server of a pool of one down
porter_start <<EOF2
workers = { count = 2; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; fail_status = [ 500 ]; max_fails = 1;
  fail_timeout = 30.0;
  servers = ( { address = "127.0.0.1:$B"; }, { address = "127.0.0.1:$B2"; } ); } );
EOF2
reqs() { echo $(($(backend_reqs app) + $(backend_reqs b))); }
U=http://127.0.0.1:$P

# ---- 1. an early answer ----
head -c 20000000 /dev/zero >"$T/body"
for try in 1 2 3; do
	n0=$(reqs)
	# (curl sends Expect: 100-continue: porter's 100 comes first)
	out=$(cu -D - -o "$T/early.body" --data-binary @"$T/body" \
	    -w '%{http_code}\n' "$U/early?code=413&after=65536" 2>"$T/early.err")
	expect_eq "$(tail -n 1 <<<"$out")" 413 "early 413 ($try): the client gets it, not 502"
	expect_eq "$(hval Connection "$(sed '/^HTTP\/1.1 100/,/^\r$/d' <<<"$out")")" close "early 413 ($try): with Connection: close"
	expect_match "$(cat "$T/early.body")" '^(app|b) 413$' "early 413 ($try): its body"
	expect_eq "$(reqs)" $((n0 + 1)) "early 413 ($try): one request reached the backend"
done
expect_nomatch "$(cat "$(porter_log)")" 'failed while sending' "no send failure logged"
# a 401 with a chunked request body
out=$(head -c 3000000 /dev/zero | cu -D - -o /dev/null -H 'Transfer-Encoding: chunked' \
    --data-binary @- -w '%{http_code}\n' "$U/early?code=401&after=0")
expect_eq "$(tail -n 1 <<<"$out")" 401 "early 401 to a chunked body: relayed"
# raw: the unread rest of the body (which looks like requests) is never
# taken for a next request
# (20 MB, more than the loopback buffers hold, so that a write fails)
"$PYTHON" -c 'import sys
r = b"GET /x HTTP/1.1\r\nHost: a\r\n\r\n" * 640000
sys.stdout.buffer.write(b"POST /early?code=413&after=10 HTTP/1.1\r\n"
    b"Host: a\r\nContent-Length: %d\r\n\r\n" % len(r) + r)' >"$T/raw"
n0=$(reqs)
out=$(rawhttp -t 10 "$P" <"$T/raw")
expect_match "$(first_line "$out")" '^HTTP/1\.1 413 ' "raw client: 413"
expect_eq "$(grep -c '^HTTP/' <<<"$out")" 1 "raw client: one response, then the close"
expect_eq "$(reqs)" $((n0 + 1)) "raw client: nothing of the body taken for a request"
# the server is still up (413 and 401 are not in fail_status)
expect_status "$U/" 200
expect_nomatch "$(cat "$(porter_log)")" 'is down' "the early answers did not count as failures"
# an early answer in fail_status counts against the server
out=$(cu -o /dev/null --data-binary @"$T/body" -w '%{http_code}' "$U/early?code=500&after=1000")
expect_eq "$out" 500 "early 500: relayed"
expect_true "early 500 (in fail_status): the server is logged down" \
    wait_until 3 grep -q 'is down: 1 failure.*status 500' "$(porter_log)"
porter_stop
backend_stop app
backend_stop b

# ---- 2. a response framed by the close ----
backend_start app
B=$BPORT
porter_start <<EOF2
workers = { count = 1; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF2
want=$(gen_sha 3000000)
out=$(cu -D "$T/h1" -o "$T/b1" -o "$T/b2" -w '%{num_connects}\n' \
    "$U/close?size=3000000" "$U/close?size=10")
expect_eq "$(hval Transfer-Encoding "$(cat "$T/h1")")" chunked "HTTP/1.1 client: re-chunked"
expect_eq "$(hcount Connection "$(cat "$T/h1")")" 0 "HTTP/1.1 client: no Connection: close"
expect_eq "$(sha_of "$T/b1")" "$want" "HTTP/1.1 client: the full body"
expect_eq "$(sha_of "$T/b2")" "$(gen_sha 10)" "the second body"
expect_eq "$(tr '\n' ' ' <<<"$out")" "1 0 " "one connection for both requests"
out=$(rawhttp -n 2 -t 5 "$P" 'GET /close?size=5 HTTP/1.1\r\nHost: a\r\n\r\nGET /close?size=0 HTTP/1.1\r\nHost: a\r\n\r\n')
expect_match "$out" $'\r\n\r\n5\r\n' "raw: the 5 bytes as a chunk"
expect_match "$out" $'\r\n0\r\n\r\nHTTP/1\\.1 200 ' "raw: the last chunk, then the next response"
expect_match "$out" $'\r\n\r\n0\r\n\r$' "raw: an empty body is just the last chunk"
out=$(cu -0 -D "$T/h3" -o "$T/b3" -w '%{num_connects}' "$U/close?size=3000000")
expect_eq "$(hcount Transfer-Encoding "$(cat "$T/h3")")" 0 "HTTP/1.0 client: not chunked"
expect_eq "$(hval Connection "$(cat "$T/h3")")" close "HTTP/1.0 client: Connection: close"
expect_eq "$(sha_of "$T/b3")" "$want" "HTTP/1.0 client: the full body until the close"
out=$(cu -I "$U/close?size=100")
expect_eq "$(hcount Transfer-Encoding "$out")" 0 "HEAD: no Transfer-Encoding"
porter_stop
expect_no_alerts
done_testing
