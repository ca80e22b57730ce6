#!/bin/bash
# c016: gzip on the fly (issue 14). With a top-level gzip group, a client
# that accepts gzip gets compressible responses compressed: Content-Encoding
# gzip, no Content-Length, chunked (HTTP/1.1) or until the close (1.0),
# Vary: Accept-Encoding (merged with the backend's), a weak ETag; the body
# inflates to the backend's bytes exactly (sha256 against the backend's
# own answer), whether the backend framed it by length, chunks or the
# close. Not compressed: clients without gzip or with gzip;q=0, bodies
# under min_length, types not listed, Cache-Control no-transform, what
# the backend already encoded (never twice), 206 answers to a Range (and
# any answer to a request with Range), a route with gzip = false. HEAD
# gets the head a GET would. Two compressed answers on one connection.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_WORKERS='count = 2;'
CACHE_ROUTES='{ host = "off.test"; path = "/"; pool = "app"; gzip = false; },
              { path = "/"; pool = "app"; }'
CACHE_TOP='gzip = { level = 6; min_length = 256;
                    types = [ "text/html", "text/css", "application/json" ]; };'
cache_start

BU=$(backend_url app)
# the backend's own body for TARGET, straight from it
bsha() { cu "$BU$1" | sha256sum | cut -d' ' -f1; }
# porter's answer: head in $T/NAME.h (no CRs), raw body in $T/NAME.b
get() {	# NAME TARGET [CURL ARGS...]
	local name=$1 target=$2
	shift 2
	cu -D "$T/$name.hr" -o "$T/$name.b" "$@" "$U$target"
	tr -d '\r' <"$T/$name.hr" >"$T/$name.h"
	G_HEAD=$(cat "$T/$name.h")
}
gunz() { "$PYTHON" -c 'import gzip, sys; sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1], "rb").read()))' "$1"; }
gsha() { gunz "$1" | sha256sum | cut -d' ' -f1; }
AE='Accept-Encoding: gzip'

# --- compressed for a gzip client, byte-identical after inflating ---------
X='/gz?size=50000&etag=v1'
get z "$X" -H "$AE"
expect_match "$(first_line "$G_HEAD")" '^HTTP/1\.1 200' "gzip client: 200"
expect_eq "$(hval Content-Encoding "$G_HEAD")" gzip "gzip client: Content-Encoding: gzip"
expect_eq "$(hval Content-Length "$G_HEAD")" "" "gzip client: no Content-Length"
expect_eq "$(hval Transfer-Encoding "$G_HEAD")" chunked "gzip client: chunked"
expect_eq "$(hval Vary "$G_HEAD")" Accept-Encoding "gzip client: Vary: Accept-Encoding"
expect_eq "$(hval ETag "$G_HEAD")" 'W/"v1"' "gzip client: the ETag made weak"
expect_eq "$(head -c 2 "$T/z.b" | od -An -tx1 | tr -d ' \n')" 1f8b "the body is gzip (magic 1f 8b)"
expect_le "$(wc -c <"$T/z.b")" 25000 "the body is smaller than half of 50000 bytes"
WANT=$(bsha "$X")
expect_eq "$(gsha "$T/z.b")" "$WANT" "inflated: the backend's bytes (sha256)"
expect_eq "$(cu --compressed "$U$X" | sha256sum | cut -d' ' -f1)" "$WANT" \
    "curl --compressed: the backend's bytes"

for f in chunked close; do
	Y="/gz?size=30000&frame=$f"
	get "f$f" "$Y" -H "$AE"
	expect_eq "$(hval Content-Encoding "$G_HEAD")" gzip "backend framing $f: compressed"
	expect_eq "$(gsha "$T/f$f.b")" "$(bsha "$Y")" "backend framing $f: inflates to its bytes"
done

# --- not compressed -----------------------------------------------------
get n "$X"
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "no Accept-Encoding: identity"
expect_eq "$(hval Content-Length "$G_HEAD")" 50000 "no Accept-Encoding: Content-Length 50000"
expect_eq "$(hval ETag "$G_HEAD")" '"v1"' "no Accept-Encoding: the strong ETag"
expect_eq "$(sha_of "$T/n.b")" "$WANT" "no Accept-Encoding: the backend's bytes"
get q0 "$X" -H 'Accept-Encoding: gzip;q=0'
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "gzip;q=0: identity"
expect_eq "$(sha_of "$T/q0.b")" "$WANT" "gzip;q=0: the backend's bytes"
get q1 "$X" -H 'Accept-Encoding: br, gzip;q=0.5'
expect_eq "$(hval Content-Encoding "$G_HEAD")" gzip "br, gzip;q=0.5: compressed"
get id "$X" -H 'Accept-Encoding: identity'
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "identity only: identity"
get st "$X" -H 'Accept-Encoding: br, *'
expect_eq "$(hval Content-Encoding "$G_HEAD")" gzip "br, *: compressed"

get small '/gz?size=255' -H "$AE"
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "255 bytes < min_length 256: identity"
expect_eq "$(hval Content-Length "$G_HEAD")" 255 "255 bytes: Content-Length 255"
get edge '/gz?size=256' -H "$AE"
expect_eq "$(hval Content-Encoding "$G_HEAD")" gzip "256 bytes = min_length: compressed"
get unk '/gz?size=100&frame=chunked' -H "$AE"
expect_eq "$(hval Content-Encoding "$G_HEAD")" gzip "unknown length (chunked, 100 bytes): compressed"

get png '/gz?size=5000&type=image/png' -H "$AE"
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "image/png (not in types): identity"
get plain '/gz?size=5000&type=text/plain' -H "$AE"
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "text/plain (not in types): identity"
get json '/gz?size=5000&type=application/json;%20charset=utf-8' -H "$AE"
expect_eq "$(hval Content-Encoding "$G_HEAD")" gzip "application/json; charset=utf-8: compressed"
get notype '/gz?size=5000&type=' -H "$AE"
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "no Content-Type: identity"

NT='/gz?size=5000&h=Cache-Control:public,%20no-transform'
get nt "$NT" -H "$AE"
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "no-transform: identity"
expect_eq "$(sha_of "$T/nt.b")" "$(bsha "$NT")" "no-transform: the backend's bytes"

EN='/gz?size=20000&enc=gzip&etag=e1'
get en "$EN" -H "$AE"
expect_eq "$(hcount Content-Encoding "$G_HEAD")" 1 "already gzip: one Content-Encoding"
expect_eq "$(hval Content-Encoding "$G_HEAD")" gzip "already gzip: the backend's coding"
expect_eq "$(sha_of "$T/en.b")" "$(bsha "$EN")" "already gzip: the backend's bytes, not compressed twice"
expect_eq "$(hval ETag "$G_HEAD")" '"e1"' "already gzip: its ETag untouched"

get r "$X" -H "$AE" -H 'Range: bytes=100-199'
expect_match "$(first_line "$G_HEAD")" '^HTTP/1\.1 206' "Range: 206 from the backend"
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "Range: 206 not compressed"
expect_eq "$(hval Content-Range "$G_HEAD")" "bytes 100-199/50000" "Range: its Content-Range"
expect_eq "$(sha_of "$T/r.b")" "$(cu "$BU$X" 2>/dev/null | head -c 200 | tail -c 100 | sha256sum | cut -d' ' -f1)" \
    "Range: the backend's bytes 100-199"
get rc '/gz?size=5000&frame=chunked' -H "$AE" -H 'Range: bytes=0-9'
expect_match "$(first_line "$G_HEAD")" '^HTTP/1\.1 200' "Range the backend ignores: 200"
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "a request with Range gets the identity response"

get off "$X" -H "$AE" -H 'Host: off.test'
expect_eq "$(hval Content-Encoding "$G_HEAD")" "" "route with gzip = false: identity"
expect_eq "$(hval ETag "$G_HEAD")" '"v1"' "route with gzip = false: strong ETag"

# --- Vary merged ----------------------------------------------------------
get v1 '/gz?size=5000&h=Vary:Cookie' -H "$AE"
expect_eq "$(hval Vary "$G_HEAD")" "Cookie, Accept-Encoding" "Vary: Cookie merged"
expect_eq "$(hcount Vary "$G_HEAD")" 1 "one Vary field"
get v2 '/gz?size=5000&h=Vary:accept-encoding' -H "$AE"
expect_eq "$(hval Vary "$G_HEAD")" "accept-encoding" "Vary naming it already: untouched"
expect_eq "$(hcount Vary "$G_HEAD")" 1 "still one Vary field"
get w '/gz?size=5000&etag=W/"w1"' -H "$AE"
expect_eq "$(hval ETag "$G_HEAD")" 'W/"w1"' "a weak ETag stays as it is"

# --- HTTP/1.0 client: compressed, delimited by the close --------------------
get h10 "$X" -H "$AE" --http1.0
expect_match "$(first_line "$G_HEAD")" '^HTTP/1\.1 200' "HTTP/1.0 client: 200"
expect_eq "$(hval Content-Encoding "$G_HEAD")" gzip "HTTP/1.0 client: compressed"
expect_eq "$(hval Transfer-Encoding "$G_HEAD")" "" "HTTP/1.0 client: not chunked"
expect_eq "$(hval Content-Length "$G_HEAD")" "" "HTTP/1.0 client: no Content-Length"
expect_eq "$(hval Connection "$G_HEAD")" close "HTTP/1.0 client: Connection: close"
expect_eq "$(gsha "$T/h10.b")" "$WANT" "HTTP/1.0 client: inflates to the backend's bytes"
rawhttp -t 5 "$P" "GET /gz?size=20000&frame=chunked HTTP/1.0\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n" \
    >"$T/raw10.out" 2>/dev/null
"$PYTHON" - "$T/raw10.out" >"$T/raw10.body" <<'EOF'
import gzip, sys
d = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(gzip.decompress(d[d.index(b"\r\n\r\n") + 4:]))
EOF
expect_eq "$(sha_of "$T/raw10.body")" "$(bsha '/gz?size=20000&frame=chunked')" \
    "HTTP/1.0 client, chunked backend: the close ends a whole gzip stream"

# --- HEAD: the head a GET gets, nothing after it ---------------------------
get hd "$X" -H "$AE" -I
expect_match "$(first_line "$G_HEAD")" '^HTTP/1\.1 200' "HEAD: 200"
expect_eq "$(hval Content-Encoding "$G_HEAD")" gzip "HEAD: Content-Encoding: gzip"
expect_eq "$(hval Content-Length "$G_HEAD")" "" "HEAD: no Content-Length"
expect_eq "$(hval ETag "$G_HEAD")" 'W/"v1"' "HEAD: the weak ETag"
rawhttp -t 5 -n 2 "$P" "HEAD $X HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\nGET /gz?size=300 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" \
    >"$T/rawhead.out" 2>/dev/null
expect_eq "$(grep -c '^HTTP/1.1 200' "$T/rawhead.out")" 2 \
    "HEAD then GET on one connection: two answers (nothing after the HEAD's head)"
expect_eq "$(grep -a -c '^Content-Length: 300' "$T/rawhead.out")" 1 "the GET after it is intact"

# --- keep-alive: two compressed answers on one connection -------------------
cu -H "$AE" -o "$T/k1.b" "$U$X" -o "$T/k2.b" "$U/gz?size=9000" -w '%{num_connects}\n' >"$T/k.out"
expect_eq "$(tr -d '\n' <"$T/k.out")" 10 "two compressed answers: one connection"
expect_eq "$(gsha "$T/k1.b")" "$WANT" "keep-alive: the first inflates right"
expect_eq "$(gsha "$T/k2.b")" "$(bsha '/gz?size=9000')" "keep-alive: the second inflates right"

expect_no_alerts
porter_stop
done_testing
