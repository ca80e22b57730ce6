#!/bin/bash
# c015: the forward proxy's cache (cache = true on a forward listener),
# keyed by absolute URI as Squid does:
#   - curl -x: a miss (stored), then a hit with Cache-Status and the same
#     bytes, and ZERO further backend requests
#   - two origins (ports) with the same path, and two names of one origin
#     (127.0.0.1, localhost), never share an object; the Host field of an
#     absolute-form request does not choose the object
#   - private and no-store responses are not stored (each request fetches)
#   - a POST through the proxy invalidates the URI
#   - CONNECT tunnels are not cached (curl -p: the same URL through a
#     tunnel reaches the backend every time, no Cache-Status)
#   - a forward listener without cache = true sends no Cache-Status
#   - cache = true on a reverse listener is a config error
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"
. "$E2E/lib-cache.sh"

backend_start app
B=$BPORT
backend_start two
B2=$BPORT
P=$(free_port)		# cache = true
PN=$(free_port)		# no cache
porter_start <<EOF
access_log = "$T/access.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
cache = { size = "16M"; };
listeners = (
  { listen = "127.0.0.1:$P"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $B ];
    cache = true; cache_min_uses = 1; },
  { listen = "127.0.0.1:$PN"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; } );
EOF
A=http://127.0.0.1:$B
A2=http://127.0.0.1:$B2
MA='h=Cache-Control:max-age%3D600'

preq() {	# NAME URL [CURL ARGS...]: through $P; R_CODE R_CS R_BODY
	local name=$1 url=$2
	shift 2
	R_CODE=$(pcu "$P" -D "$T/$name.hr" -o "$T/$name.b" -w '%{http_code}' "$@" "$url")
	R_HEAD=$(tr -d '\r' <"$T/$name.hr")
	R_CS=$(hval Cache-Status "$R_HEAD")
	R_BODY=$(tr -d '\0' <"$T/$name.b")
}

# miss, then hit with zero backend requests
preq m1 "$A/cache/f1?size=50000&seed=11&$MA"
expect_eq "$R_CODE" 200 "a GET through the caching forward listener: 200"
expect_match "$R_CS" "$CS_MISS" "the first is a miss, stored (Cache-Status: $R_CS)"
n0=$(backend_reqs app)
preq h1 "$A/cache/f1?size=50000&seed=11&$MA"
expect_match "$R_CS" "$CS_HIT" "the second is a hit (Cache-Status: $R_CS)"
expect_eq "$(sha_of "$T/h1.b")" "$(gen_range 11 50000 | sha256sum | cut -d' ' -f1)" \
    "the hit's body is the origin's"
expect_eq "$(($(backend_reqs app) - n0))" 0 "the hit made zero backend requests"
preq h1b "$A/cache/f1?size=50000&seed=11&$MA" -H "Host: elsewhere.example"
expect_match "$R_CS" "$CS_HIT" "a Host field other than the URI's still hits: the URI is the key"

# origins do not collide: the default body names the backend
preq a1 "$A/cache/same?$MA"
expect_match "$R_BODY" '^app fetch=' "origin 1 (port $B): its own body"
preq b1 "$A2/cache/same?$MA"
expect_match "$R_CS" "$CS_MISS" "the same path on another port: a miss, not origin 1's object"
expect_match "$R_BODY" '^two fetch=' "origin 2 (port $B2): its own body"
preq a2 "$A/cache/same?$MA"
expect_match "$R_CS" "$CS_HIT" "origin 1 again: a hit"
expect_match "$R_BODY" '^app fetch=' "with origin 1's body"
preq b2 "$A2/cache/same?$MA"
expect_match "$R_CS" "$CS_HIT" "origin 2 again: a hit"
expect_match "$R_BODY" '^two fetch=' "with origin 2's body"
preq l1 "http://localhost:$B/cache/same?$MA"
expect_match "$R_CS" "$CS_MISS" "another name for origin 1 (localhost): its own object"

# private and no-store: fetched every time
for cc in private no-store; do
	n0=$(backend_reqs app)
	preq "p$cc" "$A/cache/$cc?h=Cache-Control:$cc"
	expect_match "$R_CS" "$(cs_detail "$cc")" "Cache-Control: $cc is not stored ($R_CS)"
	preq "p$cc" "$A/cache/$cc?h=Cache-Control:$cc"
	expect_eq "$(($(backend_reqs app) - n0))" 2 "Cache-Control: $cc: both requests reach the backend"
done

# a POST through the proxy invalidates its URI
preq v1 "$A/cache/inv?$MA"
preq v2 "$A/cache/inv?$MA"
expect_match "$R_CS" "$CS_HIT" "before the POST: a hit"
preq v3 "$A/cache/inv?$MA" -d x=1
preq v4 "$A/cache/inv?$MA"
expect_match "$R_CS" "$CS_MISS" "after a POST to it: a miss"

# CONNECT tunnels are not cached
n0=$(backend_reqs app)
for i in 1 2; do
	pcu "$P" -p -D "$T/t$i.hr" -o "$T/t$i.b" "$A/cache/f1?size=50000&seed=11&$MA"
done
expect_eq "$(($(backend_reqs app) - n0))" 2 "a URL through a CONNECT tunnel reaches the backend every time"
expect_eq "$(hval Cache-Status "$(tr -d '\r' <"$T/t2.hr")")" "" "and has no Cache-Status"
expect_eq "$(sha_of "$T/t2.b")" "$(gen_range 11 50000 | sha256sum | cut -d' ' -f1)" \
    "the tunnelled body is the origin's"

# a forward listener without cache = true
n0=$(backend_reqs app)
for i in 1 2; do
	pcu "$PN" -D "$T/n$i.hr" -o /dev/null "$A/cache/f1?size=50000&seed=11&$MA"
done
expect_eq "$(hval Cache-Status "$(tr -d '\r' <"$T/n2.hr")")" "" \
    "a forward listener without cache = true sends no Cache-Status"
expect_eq "$(($(backend_reqs app) - n0))" 2 "and fetches every time"

# config: cache on a reverse listener is a route's business
cat >"$T/bad.conf" <<EOF
listeners = ( { listen = "127.0.0.1:1"; mode = "reverse"; cache = true;
  routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:2"; } ); } );
EOF
"$PORTER" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
expect_ne "$?" 0 "cache = true on a reverse listener: porter -t fails"
expect_match "$(cat "$T/bad.out")" "bad.conf:1: .*put cache in its routes" \
    "and says to put it in a route"

porter_stop
expect_no_alerts
done_testing
