#!/bin/bash
# p002: CONNECT tunnels. curl fetches an HTTPS page (self-signed cert for
# localhost, tlsserver.py) through porter: content, a 2 MB download and a
# 1 MB upload with sha256, two requests in one tunnel. A raw tunnel to a
# plain backend: "200 Connection Established", bytes pass untouched (no
# Via), the server's close ends the tunnel at once, the client's close
# frees the upstream connection, an idle tunnel is closed after
# timeouts.tunnel_idle. A port outside connect_ports (the default is 443)
# gets 403 and nothing connects; a listed port with nothing behind it a
# 5xx. CONNECTs and their byte counts are logged.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"
need_tool openssl

make_cert
tls_start tls --marker TLS-MARKER-p002
TLS=$TPORT
backend_start app		# tunnelled to as plain TCP
B=$BPORT
backend_start other		# a port not in connect_ports
BO=$BPORT
DEAD=$(free_port)		# listed, nothing listening
P=$(free_port)
PD=$(free_port)			# connect_ports left at its default
IDLE=2
porter_start <<EOF
access_log = "$T/access.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
timeouts = { tunnel_idle = $IDLE.0; };
listeners = (
  { listen = "127.0.0.1:$P"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $TLS, $B, $DEAD ]; },
  { listen = "127.0.0.1:$PD"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; } );
EOF
CA=(--cacert "$T/cert.pem")
HS=https://localhost:$TLS

# ---- HTTPS through CONNECT with curl ----
body=$(pcu "$P" "${CA[@]}" -w '\n%{http_connect} %{http_code}' "$HS/")
expect_eq "$(tail -n 1 <<<"$body")" "200 200" "CONNECT localhost:$TLS: 200, then the page: 200"
expect_match "$body" '<p id="marker">TLS-MARKER-p002</p>' "the HTTPS page's content came through"
expect_match "$(pcu "$P" "${CA[@]}" "https://127.0.0.1:$TLS/")" 'TLS-MARKER-p002' \
    "CONNECT 127.0.0.1:$TLS (certificate for the IP) works too"
"$PYTHON" -c 'import sys; b = bytes(range(256)) * 256; n = 2000000
while n > 0: sys.stdout.buffer.write(b[:n]); n -= len(b[:n])' | sha256sum | cut -d' ' -f1 >"$T/want2m"
expect_eq "$(pcu "$P" "${CA[@]}" "$HS/big?size=2000000" | sha256sum | cut -d' ' -f1)" "$(cat "$T/want2m")" \
    "2 MB HTTPS download through the tunnel: sha256"
head -c 1000000 /dev/urandom >"$T/up.bin"
expect_eq "$(pcu "$P" "${CA[@]}" --data-binary @"$T/up.bin" "$HS/sha")" "1000000 $(sha_of "$T/up.bin")" \
    "1 MB HTTPS upload through the tunnel: sha256 at the server"
pcu "$P" "${CA[@]}" -o /dev/null -w '%{http_code} %{num_connects}\n' "$HS/?one" \
    -o /dev/null "$HS/?two" >"$T/two.out"
expect_eq "$(tr '\n' ' ' <"$T/two.out")" "200 1 200 0 " "two HTTPS requests in one tunnel"
expect_eq "$(grep -c '"tls": true' "$(helper_log tls)")" 6 "the HTTPS server got the 6 requests"

# ---- a port not in connect_ports ----
before=$(backend_stat other connections)
code=$(pcu "$P" -k -o /dev/null -w '%{http_connect}' "https://127.0.0.1:$BO/refused-port" 2>"$T/port.err")
rc=$?
expect_eq "$code" 403 "CONNECT to port $BO (not in connect_ports): 403"
expect_ne "$rc" 0 "... and curl fails (exit $rc)"
expect_eq "$(($(backend_stat other connections) - before))" 1 \
    "... and nothing connected to that port (only the /stats ask)"
code=$(pcu "$PD" "${CA[@]}" -o /dev/null -w '%{http_connect}' "$HS/refused-default" 2>/dev/null)
expect_eq "$code" 403 "default connect_ports (443): CONNECT to $TLS is 403"
raw=$(rawhttp -n 1 -t 5 "$P" "CONNECT 127.0.0.1:$BO HTTP/1.1\\r\\nHost: 127.0.0.1:$BO\\r\\n\\r\\n" 2>/dev/null)
expect_match "$(first_line "$raw")" '^HTTP/1\.1 403( |$)' "raw CONNECT to an unlisted port: 403"

# ---- a listed port with nothing listening ----
code=$(pcu "$P" -k -o /dev/null -w '%{http_connect}' "https://127.0.0.1:$DEAD/" 2>/dev/null)
expect_match "$code" '^50[234]$' "CONNECT to a listed port where nothing listens: 502/503/504 (got $code)"

# ---- raw tunnels to a plain backend ----
# tunnel MODE: CONNECT 127.0.0.1:$B through porter, then
#   get    two requests in the tunnel, then stay idle until porter closes
#   close  one request for a body the server ends by closing
#   leave  one request, then the client closes the tunnel
tunnel() {
	"$PYTHON" - "$P" "127.0.0.1:$B" "$1" <<'EOF'
import socket, sys, time
port, target, mode = int(sys.argv[1]), sys.argv[2], sys.argv[3]
s = socket.create_connection(("127.0.0.1", port), timeout=10)
buf = b""

def head():
    global buf
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed before a head")
        buf += d
    i = buf.index(b"\r\n\r\n") + 4
    h, buf = buf[:i], buf[i:]
    return h.decode("latin-1")

def response():
    global buf
    h = head()
    n = 0
    for ln in h.split("\r\n"):
        if ln.lower().startswith("content-length:"):
            n = int(ln.split(":", 1)[1])
    while len(buf) < n:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed in a body")
        buf += d
    body, buf = buf[:n], buf[n:]
    return h, body

def until_eof(limit):
    global buf
    t0 = time.monotonic()
    s.settimeout(limit)
    got = len(buf)
    try:
        while True:
            d = s.recv(65536)
            if not d:
                return got, "%.2f" % (time.monotonic() - t0)
            got += len(d)
    except socket.timeout:
        return got, "none"
    except ConnectionResetError:
        return got, "%.2f" % (time.monotonic() - t0)

try:
    s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target, target)).encode())
    h = head()
    print("status: " + h.split("\r\n")[0])
    if mode == "get":
        for p in ("/tunnel-get-1", "/tunnel-get-2"):
            s.sendall(("GET %s HTTP/1.1\r\nHost: tunnel.example\r\n\r\n" % p).encode())
            h, body = response()
            print("response: %s %s" % (h.split("\r\n")[0], body.decode().strip()))
        got, secs = until_eof(10)
        print("idle-eof: %s" % secs)
    elif mode == "close":
        s.sendall(b"GET /close?size=100000 HTTP/1.1\r\nHost: tunnel.example\r\n\r\n")
        h = head()
        got, secs = until_eof(10)
        print("close-bytes: %d" % got)
        print("close-eof: %s" % secs)
    elif mode == "leave":
        s.sendall(b"GET /tunnel-leave HTTP/1.1\r\nHost: tunnel.example\r\n\r\n")
        h, body = response()
        print("response: %s %s" % (h.split("\r\n")[0], body.decode().strip()))
        s.close()
        print("left")
except (OSError, EOFError, ValueError) as e:
    print("error: %s" % e)
EOF
}

out=$(tunnel get)
diag "$out"
expect_match "$(grep '^status:' <<<"$out")" '^status: HTTP/1\.1 200 Connection Established$' \
    "raw CONNECT 127.0.0.1:$B: HTTP/1.1 200 Connection Established"
expect_eq "$(grep -c '^response: HTTP/1.1 200 OK app$' <<<"$out")" 2 \
    "two plain HTTP requests through the tunnel answered by the backend"
BL=$(backend_log app)
expect_eq "$(grep -c '"path": "/tunnel-get-[12]"' "$BL")" 2 "the backend logged both"
expect_eq "$(grep '"path": "/tunnel-get-1"' "$BL" | grep -ci '"via"')" 0 \
    "tunnelled bytes are untouched: no Via added"
expect_eq "$(grep '"path": "/tunnel-get-1"' "$BL" | grep -c '"Host", "tunnel.example"')" 1 \
    "tunnelled bytes are untouched: the client's own Host"
idle=$(grep '^idle-eof:' <<<"$out" | cut -d' ' -f2)
expect_ne "$idle" none "an idle tunnel is closed by porter"
expect_ge "$idle" 1.5 "... not before tunnel_idle = $IDLE s ($idle s)"
expect_le "$idle" $((IDLE + 3)) "... and soon after it ($idle s)"

out=$(tunnel close)
diag "$out"
expect_eq "$(grep '^close-bytes:' <<<"$out")" "close-bytes: 100000" \
    "a body delimited by the server's close: all 100000 bytes"
secs=$(grep '^close-eof:' <<<"$out" | cut -d' ' -f2)
expect_ne "$secs" none "the server's close ends the tunnel"
expect_le "$secs" 1.2 "... at once, well before tunnel_idle ($secs s)"

out=$(tunnel leave)
diag "$out"
expect_eq "$(grep -c '^response: HTTP/1.1 200 OK app$' <<<"$out")" 1 "a request in a tunnel the client then closes"
no_owner() { [ -z "$(conn_owner "$B" $(porter_workers))" ]; }
if wait_until 3 no_owner; then
	ok "the client's close ends the tunnel: no worker keeps a connection to the backend"
else
	not_ok "the client's close ends the tunnel: no worker keeps a connection to the backend" \
	    "still connected: $(conn_owner "$B" $(porter_workers))"
fi

# ---- logs: the CONNECTs and their byte counts ----
logs() { cat "$T/access.log" "$(porter_log)" 2>/dev/null; }
if wait_log "$T/access.log" "CONNECT (localhost|127\\.0\\.0\\.1):$TLS"; then
	ok "access log: CONNECT localhost:$TLS logged"
else
	not_ok "access log: CONNECT localhost:$TLS logged" "$(tail -n 5 "$T/access.log" 2>/dev/null)"
fi
# "up=N down=M": bytes from the client and to it, per tunnel
up=0 down=0
while IFS= read -r line; do
	n=$(sed -nE 's/.*[^a-z]up=([0-9]+).*/\1/p' <<<"$line")
	[ -n "$n" ] && [ "$n" -gt "$up" ] && up=$n
	n=$(sed -nE 's/.*[^a-z]down=([0-9]+).*/\1/p' <<<"$line")
	[ -n "$n" ] && [ "$n" -gt "$down" ] && down=$n
done < <(grep -E "CONNECT (localhost|127\\.0\\.0\\.1):$TLS" "$T/access.log" 2>/dev/null)
expect_ge "$down" 2000000 "access log: the tunnel's bytes down (the 2 MB download: down=$down)"
expect_ge "$up" 1000000 "access log: the tunnel's bytes up (the 1 MB upload: up=$up)"
expect_match "$(grep -E "CONNECT 127\\.0\\.0\\.1:$B " "$T/access.log" 2>/dev/null | tr '\n' ' ')" 'idle' \
    "access log: the idle tunnel's end is logged as idle"
expect_match "$(logs | grep -E "CONNECT.*:$BO|:$BO.*CONNECT" | head -n 1)" '403' \
    "the refused CONNECT is logged with 403"

expect_no_alerts
porter_stop
done_testing
