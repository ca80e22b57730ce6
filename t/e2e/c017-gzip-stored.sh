#!/bin/bash
# c017: stored compressed (issue 14). On a cache route with gzip on, a
# compressible response is stored gzipped once, as the fill tees it into
# the store: ONE copy serves every client. Clients that accept gzip get it
# as stored (Content-Length of the compressed object); the others get it
# inflated on the fly (chunked to HTTP/1.1, until the close to 1.0). Both
# are hits with zero further backend requests, one object in the store,
# and the bodies are byte-identical to the backend's after inflating,
# whichever kind of client filled it. Also: HEAD from the stored copy,
# conditionals against the weak ETag (304), a revalidation (the 304 keeps
# the stored copy compressed and its ETag weak), Range requests (206s of
# the identity body, sliced from the copy inflated, its length from the
# gzip trailer; 416 past it; If-Range never matches a weak ETag), readers
# collapsed on a compressed fill, and what is not compressed (no-transform,
# a type not listed) stored and served as it came.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

CACHE_WORKERS='count = 4;'
CACHE_TOP='gzip = { level = 6; min_length = 256; };'
cache_start

BU=$(backend_url app)
bsha() { cu "$BU$1" | sha256sum | cut -d' ' -f1; }
gunz() { "$PYTHON" -c 'import gzip, sys; sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1], "rb").read()))' "$1"; }
gsha() { gunz "$1" | sha256sum | cut -d' ' -f1; }
AE='Accept-Encoding: gzip'
MA='h=Cache-Control:max-age%3D60'

# --- a gzip client fills; both kinds hit the one copy ----------------------
A="/gz?size=60000&etag=s1&$MA"
WANT=$(bsha "$A")
B0=$(bpath /gz)
OBJ0=$(cache_stat objects)
creq z1 "$A" -H "$AE"
need_cache_status "first GET"
expect_match "$R_CS" "$CS_MISS" "gzip client, first: a miss that stores"
expect_eq "$(hval Content-Encoding "$R_HEAD")" gzip "gzip client, first: compressed"
expect_eq "$(gsha "$T/z1.b")" "$WANT" "gzip client, first: inflates to the backend's bytes"

creq i1 "$A"
expect_match "$R_CS" "$CS_HIT" "client without gzip: a hit"
expect_eq "$(hval Content-Encoding "$R_HEAD")" "" "client without gzip: identity"
expect_eq "$(hval Transfer-Encoding "$R_HEAD")" chunked "client without gzip: inflated, chunked"
expect_eq "$(sha_of "$T/i1.b")" "$WANT" "client without gzip: the backend's bytes"
expect_eq "$(hval ETag "$R_HEAD")" 'W/"s1"' "client without gzip: the weak ETag"
expect_eq "$(hval Vary "$R_HEAD")" Accept-Encoding "client without gzip: Vary: Accept-Encoding"

creq z2 "$A" -H "$AE"
expect_match "$R_CS" "$CS_HIT" "gzip client: a hit"
expect_eq "$(hval Content-Encoding "$R_HEAD")" gzip "gzip client hit: compressed"
expect_eq "$(hval Content-Length "$R_HEAD")" "$(wc -c <"$T/z2.b" | tr -d ' ')" \
    "gzip client hit: Content-Length of the compressed object"
expect_le "$(wc -c <"$T/z2.b")" 30000 "the stored copy is compressed (< half)"
expect_eq "$(gsha "$T/z2.b")" "$WANT" "gzip client hit: inflates to the backend's bytes"

creq q0 "$A" -H 'Accept-Encoding: gzip;q=0, br'
expect_match "$R_CS" "$CS_HIT" "gzip;q=0 client: a hit"
expect_eq "$(hval Content-Encoding "$R_HEAD")" "" "gzip;q=0 client: identity"
expect_eq "$(sha_of "$T/q0.b")" "$WANT" "gzip;q=0 client: the backend's bytes"

cu --http1.0 -D "$T/h10.h" -o "$T/h10.b" "$U$A"
H10=$(tr -d '\r' <"$T/h10.h")
expect_match "$(hval Cache-Status "$H10")" "$CS_HIT" "HTTP/1.0 client without gzip: a hit"
expect_eq "$(hval Transfer-Encoding "$H10")" "" "HTTP/1.0 client: not chunked"
expect_eq "$(hval Connection "$H10")" close "HTTP/1.0 client: Connection: close"
expect_eq "$(sha_of "$T/h10.b")" "$WANT" "HTTP/1.0 client: inflated to the backend's bytes"

expect_eq "$(($(bpath /gz) - B0))" 1 "one backend request for all of them"
expect_eq "$(($(cache_stat objects) - OBJ0))" 1 "one object in the store, not two variants"

# --- a client without gzip fills; the same ----------------------------------
C="/gz?size=40000&seed=7&etag=s2&$MA"
WC=$(bsha "$C")
B0=$(bpath /gz)
creq i2 "$C"
expect_match "$R_CS" "$CS_MISS" "client without gzip, first: a miss that stores"
expect_eq "$(hval Content-Encoding "$R_HEAD")" "" "its filler gets identity"
expect_eq "$(sha_of "$T/i2.b")" "$WC" "its filler gets the backend's bytes"
creq z3 "$C" -H "$AE"
expect_match "$R_CS" "$CS_HIT" "then a gzip client: a hit"
expect_eq "$(hval Content-Encoding "$R_HEAD")" gzip "then a gzip client: compressed (stored so)"
expect_eq "$(gsha "$T/z3.b")" "$WC" "then a gzip client: inflates right"
creq i3 "$C"
expect_match "$R_CS" "$CS_HIT" "then a client without gzip: a hit"
expect_eq "$(sha_of "$T/i3.b")" "$WC" "then a client without gzip: the backend's bytes"
expect_eq "$(($(bpath /gz) - B0))" 1 "one backend request"

# --- a backend that says Vary: Accept-Encoding: still one copy --------------
V="/gz?size=20000&seed=3&h=Vary:Accept-Encoding&$MA"
WV=$(bsha "$V")
B0=$(bpath /gz)
creq vz "$V" -H "$AE"
creq vi "$V"
expect_match "$R_CS" "$CS_HIT" "Vary: Accept-Encoding: the other client hits the same copy"
expect_eq "$(sha_of "$T/vi.b")" "$WV" "Vary: Accept-Encoding: the backend's bytes"
expect_eq "$(($(bpath /gz) - B0))" 1 "Vary: Accept-Encoding: one backend request"

# --- HEAD ----------------------------------------------------------------
B0=$(bpath /gz)
chead hz "$A" -H "$AE"
expect_match "$R_CS" "$CS_HIT" "HEAD, gzip client: a hit"
expect_eq "$(hval Content-Encoding "$R_HEAD")" gzip "HEAD, gzip client: Content-Encoding: gzip"
expect_eq "$(hval Content-Length "$R_HEAD")" "$(wc -c <"$T/z2.b" | tr -d ' ')" \
    "HEAD, gzip client: the compressed Content-Length"
chead hi "$A"
expect_match "$R_CS" "$CS_HIT" "HEAD, client without gzip: a hit"
expect_eq "$(hval Content-Encoding "$R_HEAD")" "" "HEAD, client without gzip: no Content-Encoding"
expect_eq "$(hval Content-Length "$R_HEAD")" "" "HEAD, client without gzip: no Content-Length"
rawhttp -t 5 -n 2 "$P" "HEAD $A HTTP/1.1\r\nHost: 127.0.0.1:$P\r\n\r\nGET /gz?size=300&$MA HTTP/1.1\r\nHost: 127.0.0.1:$P\r\nConnection: close\r\n\r\n" \
    >"$T/rawhead.out" 2>/dev/null
expect_eq "$(grep -a -c '^HTTP/1.1 200' "$T/rawhead.out")" 2 \
    "HEAD without gzip then GET on one connection: no body after the HEAD"
expect_eq "$(($(bpath /gz) - B0))" 1 "HEAD: no backend request (one for the GET after)"

# --- conditionals against the weak ETag ----------------------------------------
B0=$(bpath /gz)
creq c1 "$A" -H 'If-None-Match: W/"s1"'
expect_eq "$R_CODE" 304 "If-None-Match: W/\"s1\" (no gzip): 304"
expect_eq "$(hval ETag "$R_HEAD")" 'W/"s1"' "304: the weak ETag"
creq c2 "$A" -H 'If-None-Match: "s1"' -H "$AE"
expect_eq "$R_CODE" 304 "If-None-Match: \"s1\" (gzip): 304 (weak comparison)"
creq c3 "$A" -H 'If-None-Match: "other"' -H "$AE"
expect_eq "$R_CODE" 200 "If-None-Match of another tag: 200"
expect_eq "$(($(bpath /gz) - B0))" 0 "conditionals: no backend request"

# --- Range requests: slices of the identity body, inflated from the copy ---
slice() { cu "$BU$A" 2>/dev/null | tail -c +$(($1 + 1)) | head -c "$2" | sha256sum | cut -d' ' -f1; }
W1=$(slice 1000 1000)
W2=$(slice 59500 500)
W3=$(slice 59000 1000)
B0=$(bpath /gz)
creq r1 "$A" -H 'Range: bytes=1000-1999'
expect_eq "$R_CODE" 206 "Range on a stored-compressed object: 206"
expect_match "$R_CS" "$CS_HIT" "Range: a hit"
expect_eq "$(hval Content-Encoding "$R_HEAD")" "" "Range: identity"
expect_eq "$(hval Content-Range "$R_HEAD")" "bytes 1000-1999/60000" "Range: Content-Range of the identity body"
expect_eq "$(hval Content-Length "$R_HEAD")" 1000 "Range: Content-Length 1000"
expect_eq "$(sha_of "$T/r1.b")" "$W1" "Range: the backend's bytes 1000-1999"
creq r2 "$A" -H 'Range: bytes=-500' -H "$AE"
expect_eq "$R_CODE" 206 "suffix Range (gzip client): 206"
expect_eq "$(hval Content-Encoding "$R_HEAD")" "" "suffix Range (gzip client): identity"
expect_eq "$(hval Content-Range "$R_HEAD")" "bytes 59500-59999/60000" "suffix Range: its Content-Range"
expect_eq "$(sha_of "$T/r2.b")" "$W2" "suffix Range: the last 500 bytes"
creq r3 "$A" -H 'Range: bytes=59000-'
expect_eq "$(hval Content-Range "$R_HEAD")" "bytes 59000-59999/60000" "open Range: to the end"
expect_eq "$(sha_of "$T/r3.b")" "$W3" "open Range: the backend's bytes"
creq r4 "$A" -H 'Range: bytes=70000-'
expect_eq "$R_CODE" 416 "Range past the end: 416"
expect_eq "$(hval Content-Range "$R_HEAD")" "bytes */60000" "416: Content-Range of the identity length"
creq r5 "$A" -H 'Range: bytes=0-9' -H 'If-Range: W/"s1"' -H "$AE"
expect_eq "$R_CODE" 200 "If-Range with the weak ETag: the whole 200 (If-Range compares strongly)"
expect_eq "$(hval Content-Encoding "$R_HEAD")" gzip "If-Range, gzip client: the stored copy"
expect_eq "$(($(bpath /gz) - B0))" 0 "ranges: no backend request"
# a copy too large for the gzip trailer to size it: the backend serves it
G="/gz?size=4100000&bytes=1&$MA"
WG=$(cu "$BU$G" 2>/dev/null | tail -c +2001 | head -c 1000 | sha256sum | cut -d' ' -f1)
creq g1 "$G" -H "$AE"
expect_eq "$(hval Content-Encoding "$R_HEAD")" gzip "a 4.1 MB incompressible body: stored compressed all the same"
B0=$(bpath /gz)
creq g2 "$G" -H 'Range: bytes=2000-2999'
expect_eq "$R_CODE" 206 "Range on a copy over 4000000 bytes: 206"
expect_match "$R_CS" 'fwd=miss; fwd-status=206; detail=gzip-range' "... from the backend (detail=gzip-range)"
expect_eq "$(sha_of "$T/g2.b")" "$WG" "... its bytes 2000-2999"
expect_eq "$(($(bpath /gz) - B0))" 1 "... one backend request"
rawhttp -t 5 -n 2 "$P" "GET $A HTTP/1.1\r\nHost: 127.0.0.1:$P\r\nRange: bytes=0-99\r\n\r\nGET $A HTTP/1.1\r\nHost: 127.0.0.1:$P\r\nRange: bytes=100-199\r\nConnection: close\r\n\r\n" \
    >"$T/rawr.out" 2>/dev/null
expect_eq "$(grep -a -o 'HTTP/1.1 206 Partial' "$T/rawr.out" | wc -l | tr -d ' ')" 2 "two ranges on one connection: two 206s"

# --- revalidation: the 304 keeps the copy compressed, its ETag weak ----------
RV="/gz?size=30000&seed=11&etag=rv&h=Cache-Control:max-age%3D1"
WRV=$(bsha "$RV")
creq rv1 "$RV" -H "$AE"
sleep 1.6
B0=$(bpath /gz)
creq rv2 "$RV"
expect_match "$R_CS" "$CS_REVAL" "stale: revalidated with a 304"
expect_eq "$(bfield /gz If-None-Match)" 'W/"rv"' "the backend was asked with the weak ETag"
expect_eq "$(sha_of "$T/rv2.b")" "$WRV" "revalidated, client without gzip: the backend's bytes"
expect_eq "$(hval ETag "$R_HEAD")" 'W/"rv"' "revalidated: the ETag stays weak"
creq rv3 "$RV" -H "$AE"
expect_match "$R_CS" "$CS_HIT_ANY|$CS_REVAL" "refreshed copy: served"
expect_eq "$(hval Content-Encoding "$R_HEAD")" gzip "refreshed copy, gzip client: compressed"
expect_eq "$(hcount Content-Encoding "$R_HEAD")" 1 "refreshed copy: one Content-Encoding"
expect_eq "$(gsha "$T/rv3.b")" "$WRV" "refreshed copy: inflates right"
expect_le "$(($(bpath /gz) - B0))" 2 "revalidation: at most a 304 each"

# --- readers collapsed on a compressed fill ------------------------------------
D="/gz?size=80000&seed=5&delay=1.5&$MA"
WD=$(bsha "${D/delay=1.5&/}")
B0=$(bpath /gz)
cu -H "$AE" -D "$T/cf.h" -o "$T/cf.b" "$U$D" & p0=$!
sleep 0.5
cu -H "$AE" -D "$T/cz.h" -o "$T/cz.b" "$U$D" & p1=$!
cu -D "$T/ci.h" -o "$T/ci.b" "$U$D" & p2=$!
cu --http1.0 -D "$T/c10.h" -o "$T/c10.b" "$U$D" & p3=$!
wait $p0 $p1 $p2 $p3
expect_eq "$(($(bpath /gz) - B0))" 1 "collapsed: one backend request for four clients"
expect_match "$(hval Cache-Status "$(tr -d '\r' <"$T/cz.h")")" "$CS_COLLAPSED|$CS_HIT" "collapsed gzip reader: served from the fill"
expect_match "$(hval Cache-Status "$(tr -d '\r' <"$T/ci.h")")" "$CS_COLLAPSED|$CS_HIT" "collapsed reader without gzip: served from the fill"
expect_eq "$(gsha "$T/cf.b")" "$WD" "filler (gzip): inflates right"
expect_eq "$(gsha "$T/cz.b")" "$WD" "collapsed gzip reader: inflates right"
expect_eq "$(sha_of "$T/ci.b")" "$WD" "collapsed reader without gzip: the backend's bytes"
expect_eq "$(sha_of "$T/c10.b")" "$WD" "collapsed HTTP/1.0 reader: the backend's bytes"

# --- not compressible: stored and served as it came -----------------------------
for what in "type=image/png" "h=Cache-Control:no-transform"; do
	N="/gz?size=9000&$what&$MA"
	creq nz1 "$N" -H "$AE"
	creq nz2 "$N" -H "$AE"
	expect_match "$R_CS" "$CS_HIT" "$what: a hit"
	expect_eq "$(hval Content-Encoding "$R_HEAD")" "" "$what: stored and served identity"
	expect_eq "$(sha_of "$T/nz2.b")" "$(bsha "$N")" "$what: the backend's bytes"
done

expect_no_alerts
porter_stop
done_testing
