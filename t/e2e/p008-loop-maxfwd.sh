#!/bin/bash
# p008: loops and Max-Forwards. A request sent by porter's forward
# listener to itself comes back with porter's own Via token: 508, and the
# client gets 508; a client request already carrying that token gets 508
# and reaches nothing. OPTIONS and TRACE with Max-Forwards: 0 are answered
# by porter (TRACE echoes the request as message/http) and reach nothing;
# Max-Forwards above 0 is decremented on the way; other methods ignore it.
# One listener may send to another of the same porter (a tier): 200, and a
# loop through both is caught when it comes back to the first: 508.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
access_log = "$T/access.log";
workers = { start = 4; min_spare = 1; max_spare = 4; max = 4; max_requests = 0; };
listeners = (
  { listen = "127.0.0.1:$P"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; } );
EOF
U=http://127.0.0.1:$B

# ---- a loop: the proxy asked for a URL on itself ----
t0=$(now)
code=$(pcu "$P" -o "$T/loop.b" -w '%{http_code}' "http://127.0.0.1:$P/loop-refused")
el=$(since "$t0")
expect_eq "$code" 508 "GET http://127.0.0.1:$P/ through porter at $P (a loop): 508"
expect_le "$el" 5 "... at once ($el s)"
expect_match "$(cat "$T/loop.b")" '[Ll]oop' "the 508 page says loop"
expect_eq "$(pcu "$P" "$U/after-loop")" app "porter still serves after the loop"

# ---- the client brings porter's own Via token ----
seen=$(pcu "$P" "$U/headers")
via=$(hval Via "$seen")
diag "porter's Via: $via"
expect_match "$via" '^1\.1 [^ ,]+$' "porter's Via: 1.1 TOKEN"
code=$(pcu "$P" -H "Via: $via" -o /dev/null -w '%{http_code}' "$U/via-refused-1")
expect_eq "$code" 508 "a request carrying porter's own Via ($via): 508"
code=$(pcu "$P" -H "Via: 1.0 squid, $via" -o /dev/null -w '%{http_code}' "$U/via-refused-2")
expect_eq "$code" 508 "... also second in a list: 508"
code=$(pcu "$P" -H 'Via: 1.1 some-other-proxy' -o /dev/null -w '%{http_code}' "$U/via-other")
expect_eq "$code" 200 "another proxy's Via: 200"
seen=$(pcu "$P" -H 'Via: 1.1 some-other-proxy' "$U/headers")
expect_match "$(printf '%s\n' "$seen" | grep -i '^via:' | tr '\n' ' ')" 'some-other-proxy.*1\.1 ' \
    "... and porter's Via is added after it"

# ---- Max-Forwards: 0 ----
n0=$(backend_reqs app)
pcu "$P" -X OPTIONS -H 'Max-Forwards: 0' -D "$T/opt.h" -o "$T/opt.b" "$U/maxfwd-options" >/dev/null
expect_match "$(first_line "$(cat "$T/opt.h")")" '^HTTP/1\.1 200( |$)' "OPTIONS with Max-Forwards: 0: 200"
expect_eq "$(hval X-Backend "$(tr -d '\r' <"$T/opt.h")")" "" "... from porter, not the backend"
pcu "$P" -X TRACE -H 'Max-Forwards: 0' -H 'X-Trace-Me: 12345' -D "$T/trace.h" -o "$T/trace.b" \
    "$U/maxfwd-trace?q=1" >/dev/null
head=$(tr -d '\r' <"$T/trace.h")
tbody=$(tr -d '\r' <"$T/trace.b")
diag "TRACE answer:" "$head" "$tbody"
expect_match "$(first_line "$head")" '^HTTP/1\.1 200( |$)' "TRACE with Max-Forwards: 0: 200"
expect_match "$(hval Content-Type "$head")" '^message/http' "... Content-Type: message/http"
expect_match "$(first_line "$tbody")" '^TRACE [^ ]*/maxfwd-trace\?q=1 HTTP/1\.1$' "... the body starts with the request line"
expect_match "$tbody" 'X-Trace-Me: 12345' "... and echoes the request's fields"
expect_eq "$(backend_reqs app)" "$n0" "the backend saw neither"

# ---- Max-Forwards above 0: decremented; other methods: ignored ----
seen=$(pcu "$P" -X OPTIONS -H 'Max-Forwards: 5' "$U/headers")
expect_eq "$(hval Max-Forwards "$seen")" 4 "OPTIONS with Max-Forwards: 5 reaches the backend with 4"
expect_eq "$(pcu "$P" -H 'Max-Forwards: 0' "$U/get-mf0")" app \
    "GET with Max-Forwards: 0 is fetched as usual"

# ---- nothing of the loop or the refusals reached the backend ----
BL=$(backend_log app)
expect_eq "$(grep -c -e 'refused' -e 'maxfwd-' "$BL")" 0 \
    "the backend received none of the refused or answered requests"
expect_match "$(grep -E ' 508 ' "$T/access.log" 2>/dev/null | head -n 1)" 'loop-refused|via-refused' \
    "508s are in the access log"

expect_no_alerts
porter_stop
# ---- one listener of a porter in front of another: a tier, not a loop ----
# A sends everything to B; B's /loop/ goes back to A.
A=$(free_port)
C=$(free_port)
porter_start <<EOF
workers = { count = 4; };
listeners = (
  { listen = "127.0.0.1:$A"; mode = "reverse";
    routes = ( { path = "/"; pool = "tierb"; } ); },
  { listen = "127.0.0.1:$C"; mode = "reverse";
    routes = ( { path = "/loop/"; pool = "tiera"; }, { path = "/"; pool = "app"; } ); } );
pools = ( { name = "tierb"; servers = ( { address = "127.0.0.1:$C"; } ); },
          { name = "tiera"; servers = ( { address = "127.0.0.1:$A"; } ); },
          { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
r=$(cu -D "$T/tier.h" "http://127.0.0.1:$A/headers")
expect_match "$(head -1 "$T/tier.h")" '^HTTP/1\.1 200' \
    "listener A -> listener B of the same porter -> backend: 200"
expect_match "$(grep -i '^via:' <<<"$r")" 'porter-[0-9a-f]+-0, 1\.1 porter-[0-9a-f]+-1' \
    "the backend sees both listeners' Via names"
code=$(cu -o /dev/null -w '%{http_code}' "http://127.0.0.1:$A/loop/x")
expect_eq "$code" 508 "A -> B -> A: the loop is caught when it comes back to A"
porter_stop
done_testing
