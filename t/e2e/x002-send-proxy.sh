#!/bin/bash
# x002: send_proxy, the PROXY header porter writes to a backend (backends
# started with backend.py --proxy-protocol, which reads it strictly and
# logs it per request). One worker, so that any idle upstream connection
# could be taken by the next client: nothing but porter's keying keeps
# them apart.
#   - a client on 127.0.0.5: the v1 pool's backend gets "PROXY TCP4
#     127.0.0.5 127.0.0.1 CPORT P0", the v2 pool's the same as v2 (src the
#     client's port as curl reports it, dst the listener it reached),
#     X-Forwarded-For 127.0.0.5
#   - behind a balancer (a proxy_protocol listener, headers sent with
#     rawhttp.py): the header's client 203.0.113.7 and the address it
#     names as reached go on (v1 in, v1 out; v2 in, v2 out; TCP6; a v2
#     header cut over three writes, parked in the waiter meanwhile), in
#     the access log too; LOCAL and UNKNOWN headers mean the balancer
#     itself; a peer not in proxy_protocol_from and a missing header are
#     closed without an answer, counted as proxy_refused
#   - connections: two requests on one client connection share one
#     upstream connection (one header); four client connections (each
#     its own source port) never share one: four upstream connections,
#     each carrying one client's src port only
#   - health checks with send_proxy (initial down, rise 2): v2 servers
#     get a LOCAL header, v1 ones "PROXY UNKNOWN"; both come up and stay
#     up, no proxy_errors at any backend
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

backend_start b1 --proxy-protocol
B1=$BPORT
backend_start b2 --proxy-protocol
B2=$BPORT
backend_start h1 --proxy-protocol
H1=$BPORT
backend_start h2 --proxy-protocol
H2=$BPORT
P0=$(free_port)
P1=$(free_port)
S=$(free_port)
U0=http://127.0.0.1:$P0
SJ="http://127.0.0.1:$S/porter-status?format=json"

porter_start <<EOF
log_level = "info";
access_log = "$T/access.log";
workers = { count = 1; };
listeners = (
  { listen = "127.0.0.1:$P0"; mode = "reverse";
    routes = ( { path = "/v1/"; pool = "v1"; }, { path = "/v2/"; pool = "v2"; },
               { path = "/hc/"; pool = "hc"; } ); },
  { listen = "127.0.0.1:$P1"; mode = "reverse";
    proxy_protocol = true; proxy_protocol_from = [ "127.0.0.1" ];
    routes = ( { path = "/v1/"; pool = "v1"; }, { path = "/v2/"; pool = "v2"; } ); } );
pools = (
  { name = "v1"; servers = ( { address = "127.0.0.1:$B1"; send_proxy = "v1"; } ); },
  { name = "v2"; servers = ( { address = "127.0.0.1:$B2"; send_proxy = "v2"; } ); },
  { name = "hc"; initial = "down";
    servers = ( { address = "127.0.0.1:$H1"; send_proxy = "v2"; },
                { address = "127.0.0.1:$H2"; send_proxy = "v1"; } );
    health = { path = "/health"; interval = 0.2; timeout = 1.0; rise = 2; fall = 1; }; } );
status = { listen = "127.0.0.1:$S"; };
EOF

# NAME PATH: the last request to PATH in NAME's log, as
# "CONN VERSION COMMAND SRC DST XFF" (None for what the header lacks)
rec() {
	"$PYTHON" - "$(backend_log "$1")" "$2" <<'EOF'
import json, sys
out = "none"
for ln in open(sys.argv[1]):
    r = json.loads(ln)
    if r["path"] != sys.argv[2]:
        continue
    p = r.get("proxy") or {}
    xff = ",".join(v for k, v in r["headers"] if k.lower() == "x-forwarded-for")
    out = "%s %s %s %s %s %s" % (r["conn"], p.get("version"), p.get("command"),
                                 p.get("src"), p.get("dst"), xff or "-")
print(out)
EOF
}

# NAME: "proxy_errors" of NAME's /stats (asked with a v1 header)
perrs() {
	cu --haproxy-protocol "$(backend_url "$1")/stats" |
	    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin).get("proxy_errors"))'
}

# 1. a client of its own address, straight to porter
for v in 1 2; do
	out=$(cu --interface 127.0.0.5 -w '\n%{http_code} %{local_ip} %{local_port}' "$U0/v$v/direct")
	read -r code lip lport <<<"$(tail -n 1 <<<"$out")"
	expect_eq "$code $lip" "200 127.0.0.5" "v$v: 200 to a client on 127.0.0.5"
	read -r conn ver cmd src dst xff <<<"$(rec "b$v" "/v$v/direct")"
	expect_eq "$ver $cmd" "$v PROXY" "v$v: the backend got a version $v PROXY header"
	expect_eq "$src" "127.0.0.5:$lport" "v$v: its source is the client, port and all"
	expect_eq "$dst" "127.0.0.1:$P0" "v$v: its destination the listener the client reached"
	expect_eq "$xff" 127.0.0.5 "v$v: X-Forwarded-For says the same client"
done

# 2. behind a balancer: the header's client goes on
out=$(rawhttp -t 5 127.0.0.1:$P1 'PROXY TCP4 203.0.113.7 198.51.100.1 40000 8443\r\nGET /v1/chain HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
expect_match "$(first_line "$out")" '^HTTP/1\.1 200' "chain v1: 200"
read -r conn ver cmd src dst xff <<<"$(rec b1 /v1/chain)"
expect_eq "$ver $cmd $src $dst" "1 PROXY 203.0.113.7:40000 198.51.100.1:8443" \
    "chain v1: the backend's header names the balancer's client and destination"
expect_eq "$xff" 203.0.113.7 "chain v1: X-Forwarded-For 203.0.113.7"

# v2 in: 203.0.113.7:40002 -> 198.51.100.1:443
V2H='\r\n\r\n\0\r\nQUIT\n\x21\x11\x00\x0c\xcb\x00\x71\x07\xc6\x33\x64\x01\x9c\x42\x01\xbb'
out=$(rawhttp -t 5 127.0.0.1:$P1 "${V2H}GET /v2/chain HTTP/1.1\\r\\nHost: x\\r\\nConnection: close\\r\\n\\r\\n")
expect_match "$(first_line "$out")" '^HTTP/1\.1 200' "chain v2: 200"
read -r conn ver cmd src dst xff <<<"$(rec b2 /v2/chain)"
expect_eq "$ver $cmd $src $dst" "2 PROXY 203.0.113.7:40002 198.51.100.1:443" \
    "chain v2: the backend's header names the balancer's client and destination"

out=$(rawhttp -t 5 127.0.0.1:$P1 'PROXY TCP6 2001:db8::7 2001:db8::1 40003 8443\r\nGET /v2/chain6 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
expect_match "$(first_line "$out")" '^HTTP/1\.1 200' "chain TCP6: 200"
read -r conn ver cmd src dst xff <<<"$(rec b2 /v2/chain6)"
expect_eq "$ver $cmd $src $dst" "2 PROXY [2001:db8::7]:40003 [2001:db8::1]:8443" \
    "chain TCP6: IPv6 addresses in the v2 header"

# the header in three writes 0.3 s apart: the connection waits in the waiter
hin0=$(cu "$SJ" | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["waiter"]["handoffs_in"])')
out=$(rawhttp -t 5 -d 0.3 127.0.0.1:$P1 '\r\n\r\n\0\r\nQU' \
    'IT\n\x21\x11\x00\x0c\xcb\x00\x71\x07\xc6\x33' \
    '\x64\x01\x9c\x44\x01\xbbGET /v2/split HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
hin1=$(cu "$SJ" | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["waiter"]["handoffs_in"])')
expect_match "$(first_line "$out")" '^HTTP/1\.1 200' "chain v2 in three writes: 200"
expect_ge "$((hin1 - hin0))" 1 "chain v2 in three writes: parked meanwhile ($((hin1 - hin0)) handoffs)"
read -r conn ver cmd src dst xff <<<"$(rec b2 /v2/split)"
expect_eq "$ver $cmd $src $dst" "2 PROXY 203.0.113.7:40004 198.51.100.1:443" \
    "chain v2 in three writes: the same header reaches the backend"

# LOCAL and UNKNOWN: the balancer itself is the client
out=$(rawhttp -t 5 127.0.0.1:$P1 '\r\n\r\n\0\r\nQUIT\n\x20\x00\x00\x00GET /v1/local HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
expect_match "$(first_line "$out")" '^HTTP/1\.1 200' "LOCAL in: 200"
read -r conn ver cmd src dst xff <<<"$(rec b1 /v1/local)"
expect_match "$ver $cmd $src $xff" '^1 PROXY 127\.0\.0\.1:[0-9]+ 127\.0\.0\.1$' \
    "LOCAL in: the backend hears of the balancer's own address"
out=$(rawhttp -t 5 127.0.0.1:$P1 'PROXY UNKNOWN\r\nGET /v2/unknown HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
expect_match "$(first_line "$out")" '^HTTP/1\.1 200' "UNKNOWN in: 200"
read -r conn ver cmd src dst xff <<<"$(rec b2 /v2/unknown)"
expect_match "$ver $cmd $src $dst" "^2 PROXY 127\\.0\\.0\\.1:[0-9]+ 127\\.0\\.0\\.1:$P1\$" \
    "UNKNOWN in: the balancer's address, the listener it reached"

expect_eq "$(grep -c ' 203\.0\.113\.7 "GET /v1/chain HTTP/1\.1" 200 ' "$T/access.log")" 1 \
    "the access log names the balancer's client"
expect_eq "$(grep -c ' 2001:db8::7 "GET /v2/chain6 HTTP/1\.1" 200 ' "$T/access.log")" 1 \
    "the access log names the IPv6 client"

# refused: not from a balancer, or no header
out=$(cu --interface 127.0.0.5 --haproxy-protocol -o /dev/null -w '%{http_code}' \
    "http://127.0.0.1:$P1/v1/notfrom" 2>/dev/null)
expect_eq "$out" 000 "a PROXY header from 127.0.0.5 (not in proxy_protocol_from): no answer"
out=$(rawhttp -t 5 127.0.0.1:$P1 'GET /v1/noheader HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
expect_eq "$out" "" "a request without a header: closed, no answer"
expect_eq "$(rec b1 /v1/notfrom)$(rec b1 /v1/noheader)" nonenone "neither reached the backend"
expect_eq "$(cu "$SJ" | "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["totals"]["proxy_refused"])')" 2 \
    "proxy_refused counts both"
expect_match "$(cat "$(porter_log)")" '127\.0\.0\.5: connection to [^ ]+ closed: not in proxy_protocol_from' \
    "logged: not in proxy_protocol_from"
expect_match "$(cat "$(porter_log)")" 'closed: bad PROXY header: not a PROXY header' \
    "logged: bad PROXY header"

# 3. upstream connections: one client connection, two requests
out=$(cu --interface 127.0.0.5 -o /dev/null -w '%{local_port}\n' "$U0/v2/ka-1" -o /dev/null "$U0/v2/ka-2")
lp1=$(sed -n 1p <<<"$out")
lp2=$(sed -n 2p <<<"$out")
expect_eq "$lp2" "$lp1" "curl sent both requests on one connection (port $lp1)"
read -r c1 ver cmd s1 dst xff <<<"$(rec b2 /v2/ka-1)"
read -r c2 ver cmd s2 dst xff <<<"$(rec b2 /v2/ka-2)"
expect_eq "$c2" "$c1" "both requests on one upstream connection"
expect_eq "$s1 $s2" "127.0.0.5:$lp1 127.0.0.5:$lp1" "whose header names that client connection"

# four client connections, two requests each, one after the other
: >"$T/clients"
for k in 1 2 3 4; do
	cu --interface 127.0.0.5 -o /dev/null -w "$k %{local_port}\\n" "$U0/v2/m$k-a" \
	    -o /dev/null "$U0/v2/m$k-b" >>"$T/clients"
done
diag "client connections (k, port):" "$(cat "$T/clients")"
res=$("$PYTHON" - "$(backend_log b2)" "$T/clients" <<'EOF'
import json, re, sys
ports = {}
for ln in open(sys.argv[2]):
    k, p = ln.split()
    ports.setdefault(k, set()).add(p)
bad = []
conns = {}      # upstream conn -> the client connections it served
byk = {}        # client k -> upstream conns
for ln in open(sys.argv[1]):
    r = json.loads(ln)
    m = re.match(r"/v2/m(\d)-[ab]$", r["path"])
    if not m:
        continue
    k = m.group(1)
    src = (r.get("proxy") or {}).get("src") or "none"
    conns.setdefault(r["conn"], set()).add(k)
    byk.setdefault(k, set()).add(r["conn"])
    if len(ports[k]) != 1 or src != "127.0.0.5:" + next(iter(ports[k])):
        b = "client %s (port %s): header src %s" % (k, sorted(ports[k]), src)
        if b not in bad:
            bad.append(b)
print(len(set(p for s in ports.values() for p in s)), len(conns),
      sum(1 for s in conns.values() if len(s) > 1),
      sum(1 for c in byk.values() if len(c) == 1), len(byk), "; ".join(bad) or "-")
EOF
)
read -r nports nconns mixed single nk bad <<<"$res"
diag "ports, upstream conns, mixed conns, clients on one conn, clients: $res"
expect_eq "$nports" 4 "four client connections, four source ports"
expect_eq "$nk $single" "4 4" "each client connection's two requests on one upstream connection"
expect_eq "$nconns" 4 "four upstream connections: none shared between client connections"
expect_eq "$mixed" 0 "no upstream connection served two client connections"
expect_eq "$bad" - "each header's src is its own client's address and port"

# 4. health checks with a header
expect_true "h1 (v2) comes up by its checks" hc_wait 10 hc "$H1" up
expect_true "h2 (v1) comes up by its checks" hc_wait 10 hc "$H2" up
n1=$(checks h1)
n2=$(checks h2)
wait_until 5 eval '[ "$(checks h1)" -ge $((n1 + 5)) ] && [ "$(checks h2)" -ge $((n2 + 5)) ]'
hcs() {	# NAME: the distinct "version command src dst" of its checks
	"$PYTHON" - "$(backend_log "$1")" <<'EOF'
import json, sys
seen = set()
for ln in open(sys.argv[1]):
    r = json.loads(ln)
    if r["path"] == "/health":
        p = r.get("proxy") or {}
        seen.add("%s %s %s %s" % (p.get("version"), p.get("command"),
                                  p.get("src"), p.get("dst")))
print(" | ".join(sorted(seen)) or "none")
EOF
}
diag "checks so far: h1 $(checks h1), h2 $(checks h2)"
expect_ge "$(checks h1)" 7 "h1 got checks"
expect_eq "$(hcs h1)" "2 LOCAL None None" "h1's checks all came with a v2 LOCAL header"
expect_eq "$(hcs h2)" "1 UNKNOWN None None" "h2's checks all came with \"PROXY UNKNOWN\""
expect_eq "$(hc_count hc "$H1" down)$(hc_count hc "$H2" down)" 00 "neither went down"
states=$(cu "$SJ" | "$PYTHON" -c '
import json, sys
for b in json.load(sys.stdin)["backends"]:
    if b["server"].startswith("hc/"):
        print(b["server"].split(":")[-1], b["state"])' | sort | tr '\n' ' ')
expect_eq "$states" "$(printf '%s up\n%s up\n' "$H1" "$H2" | sort | tr '\n' ' ')" \
    "the status page shows both up"
out=$(cu --interface 127.0.0.5 -w ' %{http_code}\n' "$U0/hc/a" "$U0/hc/b" | tr -s '\n ' ' ')
expect_match "$out" '^(h1 200 h2 200|h2 200 h1 200) $' "traffic reaches both ($out)"
r=$(rec h1 /hc/a)
[ "$r" = none ] && r=$(rec h1 /hc/b)
read -r conn ver cmd src dst xff <<<"$r"
expect_match "$ver $cmd $src" '^2 PROXY 127\.0\.0\.5:[0-9]+$' "h1's traffic with a v2 PROXY header"

for b in b1 b2 h1 h2; do
	expect_eq "$(perrs $b)" 0 "$b: no connection without a valid header"
done

porter_stop
expect_no_alerts
done_testing
