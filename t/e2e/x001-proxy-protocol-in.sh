#!/bin/bash
# x001: PROXY protocol in (proxy_protocol = true on a listener). A v1 or
# v2 header names the client, and porter uses that address everywhere:
# X-Forwarded-For, the access log, deny, hash_key = "client_ip", a forward
# listener's allow list, max_conns_per_client. LOCAL and UNKNOWN mean the
# real peer. A header split over several reads goes through the waiter
# like any slow head; a kept-alive connection parked between requests
# keeps its client. Refused, closed without an answer and logged: a peer
# not in proxy_protocol_from, plain HTTP, a v2 length over the limit, a
# header that never completes in time (client_header, or limits.min_rate
# as for any slow head).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start a1
A1=$BPORT
backend_start a2
A2=$BPORT
P=$(free_port)		# proxy_protocol from 127.0.0.1
P2=$(free_port)		# proxy_protocol from 127.0.0.2 only
PF=$(free_port)		# forward, proxy_protocol from 127.0.0.1
PS=$(free_port)		# status
porter_start <<EOF
access_log = "$T/access.log";
log_level = "info";
workers = { count = 6; };
timeouts = { client_header = 1.5; keepalive = 10.0; };
limits = { max_conns_per_client = 2; };
listeners = (
  { listen = "127.0.0.1:$P"; mode = "reverse";
    proxy_protocol = true; proxy_protocol_from = [ "127.0.0.1" ];
    deny = [ "203.0.113.66" ];
    routes = ( { path = "/h/"; pool = "hash"; }, { path = "/"; pool = "app"; } ); },
  { listen = "127.0.0.1:$P2"; mode = "reverse";
    proxy_protocol = true; proxy_protocol_from = [ "127.0.0.2" ];
    routes = ( { path = "/"; pool = "app"; } ); },
  { listen = "127.0.0.1:$PF"; mode = "forward"; allow = [ "203.0.113.0/24" ];
    deny_private = false;
    proxy_protocol = true; proxy_protocol_from = [ "127.0.0.0/8" ]; } );
pools = (
  { name = "app"; servers = ( { address = "127.0.0.1:$A1"; } ); },
  { name = "hash"; balance = "hash"; hash_key = "client_ip";
    servers = ( { address = "127.0.0.1:$A1"; }, { address = "127.0.0.1:$A2"; } ); } );
status = { listen = "127.0.0.1:$PS"; };
EOF
SU=http://127.0.0.1:$PS/porter-status
page() { cu "$SU"; }
total() { page | sed -n 's/^totals:.* '"$1"'=\([0-9]*\).*/\1/p'; }
# xff OUTPUT: the X-Forwarded-For the backend echoed (/headers)
xff() { tr -d '\r' <<<"$1" | sed -n 's/^x-forwarded-for: //p' | tr '\n' ' ' | sed 's/ $//'; }
status_of() { tr -d '\r' <<<"$1" | sed -n 's/^HTTP\/1\.1 \([0-9]*\) .*/\1/p' | tr '\n' ' ' | sed 's/ $//'; }
GETH='GET /headers HTTP/1.1\r\nHost: x\r\n\r\n'
# v2 headers, byte by byte: signature, PROXY over TCP4 (0x21 0x11),
# length 12, src 198.51.100.9, dst 127.0.0.1, ports 12345 and 80
SIG='\r\n\r\n\0\r\nQUIT\n'
V2="${SIG}"'\x21\x11\x00\x0c\xc6\x33\x64\x09\x7f\x00\x00\x01\x30\x39\x00\x50'
V2LOCAL="${SIG}"'\x20\x00\x00\x00'
# a v2 header announcing 3000 bytes (over PP_V2_MAX, 2048)
V2LONG="${SIG}"'\x21\x11\x0b\xb8'

# ---- the client named by the header ------------------------------------
r=$(rawhttp -n 1 "$P" 'PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n'"$GETH")
expect_eq "$(status_of "$r")" 200 "v1 TCP4: 200"
expect_eq "$(xff "$r")" 203.0.113.7 "v1 TCP4: X-Forwarded-For is the header's client"
r=$(rawhttp -n 1 "$P" "$V2$GETH")
expect_eq "$(xff "$r")" 198.51.100.9 "v2 TCP4: X-Forwarded-For is the header's client"
r=$(rawhttp -n 1 "$P" 'PROXY TCP6 2001:db8::7 ::1 5555 80\r\n'"$GETH")
expect_eq "$(xff "$r")" 2001:db8::7 "v1 TCP6: the IPv6 client"
r=$(rawhttp -n 1 "$P" "$V2LOCAL$GETH")
expect_eq "$(xff "$r")" 127.0.0.1 "v2 LOCAL: the real peer"
r=$(rawhttp -n 1 "$P" 'PROXY UNKNOWN\r\n'"$GETH")
expect_eq "$(xff "$r")" 127.0.0.1 "v1 UNKNOWN: the real peer"
r=$(cu -sS -i --haproxy-protocol "http://127.0.0.1:$P/headers")
expect_eq "$(xff "$r")" 127.0.0.1 "curl --haproxy-protocol: served, its own address"
al=$(cat "$T/access.log")
diag "access log:" "$al"
expect_eq "$(grep -c ' 203\.0\.113\.7 "GET /headers' <<<"$al")" 1 \
    "the access log names the v1 client"
expect_eq "$(grep -c ' 198\.51\.100\.9 "GET /headers' <<<"$al")" 1 \
    "and the v2 client"

# ---- keep-alive, parking and the waiter ---------------------------------
r=$(rawhttp -n 2 "$P" 'PROXY TCP4 203.0.113.8 127.0.0.1 5555 80\r\n'"$GETH$GETH")
expect_eq "$(xff "$r")" "203.0.113.8 203.0.113.8" \
    "two pipelined requests after one header: the same client"
parked0=$(total parked)
r=$(rawhttp -n 2 -d 0.5 "$P" 'PROXY TCP4 203.0.113.9 127.0.0.1 5555 80\r\n'"$GETH" "$GETH")
expect_eq "$(xff "$r")" "203.0.113.9 203.0.113.9" \
    "a request after the connection idled with the waiter: the same client"
# pieces 0.1 s apart: all of it well within limits.min_rate's second of
# grace, which cuts a slow head short whether or not it starts with a header
r=$(rawhttp -n 1 -d 0.1 "$P" 'PROXY TCP4 203.0' '.113.10 127.0.0.1 5555 80\r\nGET /hea' \
    'ders HTTP/1.1\r\nHost: x\r\n\r\n')
expect_eq "$(xff "$r")" 203.0.113.10 "a v1 header in pieces: served, its client"
r=$(rawhttp -n 1 -d 0.1 "$P" '\r\n\r\n' '\0\r\nQUIT\n\x21\x11\x00' \
    '\x0c\xc6\x33\x64\x0b\x7f\x00\x00\x01\x30\x39\x00\x50' "$GETH")
expect_eq "$(xff "$r")" 198.51.100.11 \
    "a v2 header in pieces (its signature holds a blank line): served, its client"
parked1=$(total parked)
diag "parked: $parked0 -> $parked1"
expect_ge "$((parked1 - parked0))" 3 "those went through the waiter (parked $((parked1 - parked0)) times)"

# ---- access rules and balancing on the header's client ------------------
r=$(rawhttp -n 1 "$P" 'PROXY TCP4 203.0.113.66 127.0.0.1 5555 80\r\n'"$GETH")
expect_eq "$(status_of "$r")" 403 "deny applies to the header's client"
r=$(rawhttp -n 1 "$PF" 'PROXY TCP4 203.0.113.5 127.0.0.1 5555 3128\r\nGET http://127.0.0.1:'"$A1"'/headers HTTP/1.1\r\nHost: 127.0.0.1:'"$A1"'\r\n\r\n')
expect_eq "$(status_of "$r")" 200 "forward: a client in allow is served"
r=$(rawhttp -n 1 "$PF" 'PROXY TCP4 198.51.100.1 127.0.0.1 5555 3128\r\nGET http://127.0.0.1:'"$A1"'/headers HTTP/1.1\r\nHost: 127.0.0.1:'"$A1"'\r\n\r\n')
expect_eq "$(status_of "$r")" 403 "forward: a client outside allow is refused"
same=0 n1=0 n2=0
for i in $(seq 1 20); do
	h='PROXY TCP4 192.0.2.'"$i"' 127.0.0.1 5555 80\r\n'
	r=$(rawhttp -n 2 "$P" "$h"'GET /h/a HTTP/1.1\r\nHost: x\r\n\r\nGET /h/b HTTP/1.1\r\nHost: x\r\n\r\n')
	b=$(tr -d '\r' <<<"$r" | sed -n 's/^X-Backend: //p' | tr '\n' ' ')
	case $b in
	"a1 a1 ") same=$((same + 1)) n1=$((n1 + 1)) ;;
	"a2 a2 ") same=$((same + 1)) n2=$((n2 + 1)) ;;
	esac
done
diag "hash_key = client_ip over 20 header clients: a1 $n1, a2 $n2"
expect_eq "$same" 20 "hash_key = client_ip: each header client stays on one server"
expect_true "and the header clients spread over both ($n1 / $n2)" \
    test "$n1" -ge 3 -a "$n2" -ge 3

# ---- max_conns_per_client counts the header's client --------------------
# two requests of 198.51.100.50 that take 4 s hold two workers
for k in 1 2; do
	rawhttp -t 8 -n 1 "$P" 'PROXY TCP4 198.51.100.50 127.0.0.1 5555 80\r\nGET /held'"$k"'?delay=4 HTTP/1.1\r\nHost: x\r\n\r\n' >"$T/held.$k" &
	track $!
	held[$k]=$!
done
inflight_is() { [ "$(backend_stat a1 in_flight)" = "$1" ]; }
expect_true "two requests of 198.51.100.50 in flight" wait_until 5 inflight_is 2
r=$(rawhttp -n 1 "$P" 'PROXY TCP4 198.51.100.50 127.0.0.1 5555 80\r\n'"$GETH")
expect_eq "$(status_of "$r")" 503 "a third connection of 198.51.100.50: 503 (max_conns_per_client 2)"
r=$(rawhttp -n 1 "$P" 'PROXY TCP4 198.51.100.51 127.0.0.1 5555 80\r\n'"$GETH")
expect_eq "$(status_of "$r")" 200 "another client behind the same balancer is served"
_wait_gone 10 "${held[1]}" "${held[2]}"
expect_eq "$(status_of "$(cat "$T/held.1" "$T/held.2")")" "200 200" "the two held ones are answered"
expect_true "the log names 198.51.100.50 as capped" \
    grep -q '198\.51\.100\.50: 503 .*max_conns_per_client' "$(porter_log)"

# ---- refused: closed without an answer, and logged ----------------------
reqs0=$(backend_reqs a1)
refused0=$(total proxy_refused)
t0=$(now)
r=$(rawhttp -t 3 "$P2" 'PROXY TCP4 203.0.113.7 127.0.0.1 5555 80\r\n'"$GETH")
expect_eq "${#r}" 0 "a peer not in proxy_protocol_from: closed, no answer"
r=$(rawhttp -t 3 "$P" "$GETH")
expect_eq "${#r}" 0 "plain HTTP without a header: closed, no answer"
r=$(rawhttp -t 3 "$P" "$V2LONG")
expect_eq "${#r}" 0 "a v2 header announcing 3000 bytes: closed at once"
el=$(since "$t0")
expect_le "$el" 2.5 "those three closed at once, none waited for rawhttp's 3 s ($el s)"
t0=$(now)
r=$(rawhttp -t 5 "$P" 'PROXY TCP4 203.0.113.7')
el=$(since "$t0")
expect_eq "${#r}" 0 "a header that never completes: closed, no answer"
# like any slow head: at client_header (1.5 s), or sooner when it is
# slower than limits.min_rate after its 1 s of grace
expect_ge "$el" 0.9 "after a while ($el s >= 0.9)"
expect_le "$el" 4.0 "not much later ($el s <= 4)"
expect_eq "$(backend_reqs a1)" "$reqs0" "none of them reached the backend"
log=$(cat "$(porter_log)")
expect_match "$log" "127\.0\.0\.1: connection to 127\.0\.0\.1:$P2 closed: not in proxy_protocol_from" \
    "the log says: not in proxy_protocol_from"
expect_match "$log" "connection to 127\.0\.0\.1:$P closed: bad PROXY header: " \
    "the log says: bad PROXY header"
expect_match "$log" "closed: no whole PROXY header" \
    "the log says: no whole header in time"
expect_ge "$(($(total proxy_refused) - refused0))" 3 \
    "status page: proxy_refused counts them ($(($(total proxy_refused) - refused0)))"

expect_no_alerts
porter_stop
done_testing
