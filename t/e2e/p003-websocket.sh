#!/bin/bash
# p003: WebSocket (Upgrade) through porter. A client does the RFC 6455
# handshake with wsecho.py through the forward proxy (absolute-form GET with
# Upgrade: websocket) and through a reverse listener: 101 with the right
# accept key, a frame the server sent with its 101 arrives, three masked
# text frames (13, 300 and 70000 bytes) come back, close is answered with
# close, then the connection ends. The server saw origin form, the Upgrade
# and Connection: upgrade fields and porter's Via. An idle upgraded
# connection is closed after timeouts.tunnel_idle; a plain request to the
# same server is an ordinary exchange.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"

ws_start ws --hello
W=$WPORT
P=$(free_port)		# forward
PR=$(free_port)		# reverse, to the wsecho pool
IDLE=2
porter_start <<EOF
access_log = "$T/access.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
# two sessions at once below: both workers may tunnel (the default is half)
limits = { max_tunnels = 2; };
timeouts = { tunnel_idle = $IDLE.0; };
listeners = (
  { listen = "127.0.0.1:$P"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; },
  { listen = "127.0.0.1:$PR"; mode = "reverse";
    routes = ( { host = "*"; path = "/"; pool = "ws"; } ); } );
pools = ( { name = "ws"; servers = ( { address = "127.0.0.1:$W"; } ); } );
EOF
WL=$(helper_log ws)

# check_session WHAT OUTPUT RC: the client's steps all went right
check_session() {
	local what=$1 out=$2 rc=$3 i
	diag "$what:" "$out"
	expect_eq "$(grep '^status:' <<<"$out")" "status: HTTP/1.1 101 Switching Protocols" \
	    "$what: 101 Switching Protocols"
	expect_eq "$(grep '^accept:' <<<"$out")" "accept: ok" "$what: Sec-WebSocket-Accept is right"
	expect_eq "$(grep '^hello:' <<<"$out")" "hello: ok" \
	    "$what: the frame sent with the 101 arrives"
	for i in 1 2 3; do
		expect_match "$(grep "^echo $i:" <<<"$out")" "^echo $i: ok" "$what: frame $i echoed"
	done
	expect_eq "$(grep '^close:' <<<"$out")" "close: 1000" "$what: close answered with close 1000"
	expect_eq "$(grep '^eof:' <<<"$out")" "eof: ok" "$what: then the connection ends"
	expect_eq "$rc" 0 "$what: the client is content (exit 0)"
}

# ---- forward: absolute-form GET with Upgrade ----
out=$(ws_client "127.0.0.1:$P" --target "http://127.0.0.1:$W/chat?via=forward" --hello 2>&1)
check_session "forward proxy" "$out" $?
rec=$(grep -F '"target": "/chat?via=forward"' "$WL")
expect_ne "$rec" "" "forward: the server got the handshake in origin form"
expect_match "$rec" '"upgraded": true' "forward: ... a valid handshake (Upgrade, Connection: upgrade, key, version)"
expect_match "$rec" "\"Host\", \"127\\.0\\.0\\.1:$W\"" "forward: ... with Host from the URL"
expect_match "$rec" '"[Vv]ia", "1\.1 [^"]+"' "forward: ... with porter's Via"
expect_eq "$(grep -c '"target": "http' "$WL")" 0 "forward: no absolute-form target reached the server"

# ---- reverse listener ----
out=$(ws_client "127.0.0.1:$PR" --target "/chat?via=reverse" --host ws.example --hello 2>&1)
check_session "reverse proxy" "$out" $?
rec=$(grep -F '"target": "/chat?via=reverse"' "$WL")
expect_match "$rec" '"upgraded": true' "reverse: the server got a valid handshake"

# ---- two sessions at once through the forward proxy ----
ws_client "127.0.0.1:$P" --target "http://127.0.0.1:$W/chat?n=1" --hello --frames 6 >"$T/c1.out" 2>&1 &
c1=$!
track "$c1"
ws_client "127.0.0.1:$P" --target "http://127.0.0.1:$W/chat?n=2" --hello --frames 6 >"$T/c2.out" 2>&1 &
c2=$!
track "$c2"
wait "$c1"
rc1=$?
wait "$c2"
rc2=$?
expect_eq "$rc1 $rc2 $(grep -c ': ok' "$T/c1.out") $(grep -c ': ok' "$T/c2.out")" "0 0 9 9" \
    "two WebSocket sessions at once: 6 frames each, both clean"

# ---- an idle upgraded connection ----
out=$(ws_client "127.0.0.1:$P" --target "http://127.0.0.1:$W/chat?idle=1" --hello --idle 10 2>&1)
diag "idle:" "$out"
idle=$(grep '^idle-eof:' <<<"$out" | cut -d' ' -f2)
expect_ne "$idle" none "an idle WebSocket connection is closed by porter"
expect_ge "$idle" 1.5 "... not before tunnel_idle = $IDLE s ($idle s)"
expect_le "$idle" $((IDLE + 3)) "... and soon after it ($idle s)"

# ---- a plain request to the same server, and nothing left open ----
out=$(pcu "$P" -w ' %{http_code}' "http://127.0.0.1:$W/plain")
expect_eq "$(tr -d '\n' <<<"$out")" "not a websocket handshake 400" \
    "a request without Upgrade: the server's 400 passes through"
no_owner() { [ -z "$(conn_owner "$W" $(porter_workers))" ]; }
if wait_until 3 no_owner; then
	ok "after the sessions, no worker keeps a connection to the server"
else
	not_ok "after the sessions, no worker keeps a connection to the server" \
	    "still connected: $(conn_owner "$W" $(porter_workers))"
fi
expect_match "$(grep -F '/chat?via=forward' "$T/access.log" 2>/dev/null)" ' 101 ' \
    "access log: the upgraded request logged with 101"

expect_no_alerts
porter_stop
done_testing
