#!/bin/bash
# l001: per-client limits. Each part uses client addresses of its own on
# loopback (127.0.0.N), so the limits of one part never touch another.
#   max_conns_per_client = 3: a client holding 3 connections (each sent
#     the start of a head, so they are parked with the waiter, which
#     counts them) gets 503 (Retry-After: 1, Connection: close) on the 4th
#     at once, before its head is complete; another client is served
#     meanwhile; once the 3 close, the client is served again.
#   rate = 0.5, burst = 3: 3 requests at once pass, the 4th gets 429 with
#     Retry-After: 2 on the same kept-alive connection; a refused POST
#     closes its connection; after 2 s a token is back.
#   exempt = [ 127.0.0.3 ]: 5 connections and 6 quick requests, all served.
#   max_tunnels = 2: two CONNECT tunnels open, a third CONNECT and a
#     WebSocket Upgrade get 503; with one tunnel closed the Upgrade is 101.
#   min_rate = 500: a client with a tiny receive buffer reading a 8 MB
#     response at 20 bytes/s is cut off (reset) within seconds, while a
#     normal client downloads the same; the worker is free again.
# The refusals show in the log and on the status page's counters.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"

backend_start app
B=$BPORT
ws_start ws
W=$WPORT
P=$(free_port)		# reverse
PF=$(free_port)		# forward, for CONNECT
PS=$(free_port)		# status
porter_start <<EOF
access_log = "$T/access.log";
workers = { count = 12; };
timeouts = { client_header = 30.0; keepalive = 30.0; tunnel_idle = 30.0; };
limits = { max_conns_per_client = 3; rate = 0.5; burst = 3;
           exempt = [ "127.0.0.3" ]; max_tunnels = 2; min_rate = 500; };
listeners = (
  { listen = "127.0.0.1:$P"; mode = "reverse";
    routes = ( { path = "/ws"; pool = "ws"; }, { path = "/"; pool = "app"; } ); },
  { listen = "127.0.0.1:$PF"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $B ]; } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); },
          { name = "ws"; servers = ( { address = "127.0.0.1:$W"; } ); } );
status = { listen = "127.0.0.1:$PS"; };
EOF
U=http://127.0.0.1:$P
SU=http://127.0.0.1:$PS/porter-status

# The client side, by mode (each from a source address of its own):
#   hold SRC PORT N READY        N idle connections; READY once they are
#                                open; then wait to be killed
#   probe SRC PORT               connect, send nothing, print what comes
#                                and "end: HOW SECONDS"
#   connect SRC PORT TARGET [READY]  CONNECT TARGET: print the head; with
#                                READY write its first line there and hold
#   ws SRC PORT PATH [READY]     a WebSocket handshake; the same
#   slow SRC PORT PATH RCVBUF BPS  GET PATH with SO_RCVBUF = RCVBUF, read
#                                BPS bytes a second; "end: HOW SECONDS BYTES"
cat >"$T/lt.py" <<'PY'
import base64, os, socket, sys, time

def conn(src, port, rcvbuf=0):
    s = socket.socket()
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.bind((src, 0))
    s.connect(("127.0.0.1", int(port)))
    return s

def head(s, limit=5):
    s.settimeout(limit)
    buf = b""
    try:
        while b"\r\n\r\n" not in buf:
            d = s.recv(4096)
            if not d:
                break
            buf += d
    except OSError:
        pass
    return buf.decode("latin-1")

def hold_then(s, h, ready):
    if ready:
        with open(ready + ".tmp", "w") as f:
            f.write(h.split("\r\n")[0] + "\n")
        os.rename(ready + ".tmp", ready)
        time.sleep(60)

mode, a = sys.argv[1], sys.argv[2:]
if mode == "hold":
    socks = [conn(a[0], a[1]) for _ in range(int(a[2]))]
    # the start of a head: accepted (TCP_DEFER_ACCEPT waits for a first
    # byte) and parked with the waiter, which counts them for the cap
    for s in socks:
        s.sendall(b"GET /held HTTP/1.1\r\n")
    with open(a[3], "w") as f:
        f.write("%d\n" % len(socks))
    time.sleep(60)
elif mode == "probe":
    s = conn(a[0], a[1])
    s.sendall(b"GET /probe HTTP/1.1\r\n")
    s.settimeout(5)
    t0, data, end = time.monotonic(), b"", "timeout"
    try:
        while True:
            d = s.recv(4096)
            if not d:
                end = "closed"
                break
            data += d
    except ConnectionResetError:
        end = "reset"
    except socket.timeout:
        pass
    sys.stdout.write(data.decode("latin-1"))
    print("\nend: %s %.2f" % (end, time.monotonic() - t0))
elif mode == "connect":
    s = conn(a[0], a[1])
    s.sendall(("CONNECT %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (a[2], a[2])).encode())
    h = head(s)
    sys.stdout.write(h)
    sys.stdout.flush()
    hold_then(s, h, a[3] if len(a) > 3 else None)
elif mode == "ws":
    s = conn(a[0], a[1])
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: ws.example\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (a[2], key)).encode())
    h = head(s)
    sys.stdout.write(h)
    sys.stdout.flush()
    hold_then(s, h, a[3] if len(a) > 3 else None)
elif mode == "slow":
    s = conn(a[0], a[1], int(a[3]))
    s.sendall(("GET %s HTTP/1.1\r\nHost: slow.example\r\n\r\n" % a[2]).encode())
    step = max(1, int(float(a[4]) / 10))
    t0, got, end = time.monotonic(), 0, "timeout"
    s.settimeout(1)
    while time.monotonic() - t0 < 40:
        # a reset shows at once, not after the bytes still buffered here
        st = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]
        if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0 or st == 7:
            end = "reset"
            break
        try:
            d = s.recv(step)
        except socket.timeout:
            continue
        except ConnectionResetError:
            end = "reset"
            break
        if not d:
            end = "closed"
            break
        got += len(d)
        time.sleep(0.1)
    print("end: %s %.2f %d" % (end, time.monotonic() - t0, got))
PY
# (in the background run as "$PYTHON" itself, so that $! is what to kill)
lt() { "$PYTHON" "$T/lt.py" "$@"; }

page() { cu "$SU"; }
total() {	# NAME: the value of NAME on the status page's totals line
	page | sed -n 's/^totals:.* '"$1"'=\([0-9]*\).*/\1/p'
}
# busy workers whose client is ADDR, on the status page (an idle worker
# still shows its last client)
workers_of() { page | grep -v ' state=idle ' | grep -c "^slot=.* client=$1\( \|$\)"; }
workers_are() { [ "$(workers_of "$1")" = "$2" ]; }
# connections the waiter holds (idle ones are parked there, not in workers)
parked() { page | sed -n 's/^waiter:.* parked=\([0-9]*\) .*/\1/p'; }
parked_are() { [ "$(parked)" = "$1" ]; }
tunnels_are() { [ "$(page | grep -c '^slot=.* state=tunnel ')" = "$1" ]; }

# ---- max_conns_per_client ----------------------------------------------
C=127.0.0.10
"$PYTHON" "$T/lt.py" hold $C "$P" 3 "$T/hold10" &
hold=$!
track $hold
expect_true "3 connections from $C that sent part of a head, parked with the waiter" \
    wait_until 5 parked_are 3
out=$(lt probe $C "$P")
diag "the 4th:" "$out"
expect_match "$(first_line "$out")" '^HTTP/1\.1 503 ' "the 4th connection from $C: 503 before its head is complete"
expect_eq "$(hval Retry-After "$out")" 1 "... with Retry-After: 1"
expect_eq "$(hval Connection "$out")" close "... and Connection: close"
expect_match "$out" 'Too many connections from your address' "... a short text body"
end=$(sed -n 's/^end: //p' <<<"$out")
expect_match "$end" '^closed ' "... then porter closes it ($end)"
expect_le "${end#* }" 1.5 "... at once"
code=$(cu --interface $C -o "$T/c4.body" -w '%{http_code}' "$U/capped")
expect_eq "$code" 503 "a request on one more connection from $C: 503"
expect_eq "$(cu --interface 127.0.0.11 "$U/other")" app "meanwhile 127.0.0.11 is served"
kill $hold
wait $hold 2>/dev/null
expect_true "the 3 connections from $C closed" wait_until 5 parked_are 0
expect_eq "$(cu --interface $C -w ' %{http_code}' "$U/again" | tr -d '\n')" "app 200" \
    "then $C is served again"
expect_eq "$(total conns_capped)" 2 "status page: conns_capped=2"
expect_match "$(grep -c "$C: 503 .*max_conns_per_client (3) reached" "$(porter_log)")" '^2$' \
    "the log says why, twice"
expect_eq "$(grep -c '"path": "/capped"' "$(backend_log app)")" 0 \
    "nothing of a refused connection reached the backend"

# ---- rate and burst ------------------------------------------------------
R=127.0.0.12
cu --interface $R -D "$T/rate.h" -w '%{http_code} %{num_connects}\n' \
    -o /dev/null "$U/r1" -o /dev/null "$U/r2" -o /dev/null "$U/r3" \
    -o /dev/null "$U/r4" -o /dev/null "$U/r5" >"$T/rate.out"
diag "$(cat "$T/rate.out")"
expect_eq "$(awk '{ print $1 }' "$T/rate.out" | tr '\n' ' ')" "200 200 200 429 429 " \
    "rate 0.5/s, burst 3: 3 requests pass, then 429"
expect_eq "$(awk '{ s += $2 } END { print s }' "$T/rate.out")" 1 \
    "... all on one connection: a 429 keeps it open"
h429=$(awk 'BEGIN { RS = "\r\n\r\n" } /^HTTP\/1\.1 429/ { print; exit }' "$T/rate.h")
expect_match "$(hval Retry-After "$h429")" '^[12]$' \
    "429 with Retry-After: whole seconds to the next token ($(hval Retry-After "$h429"))"
expect_ne "$(hval Connection "$h429")" close "... and no Connection: close"
post=$(cu --interface $R -D - -o /dev/null -d 'body=1' "$U/post")
expect_match "$(first_line "$post")" '^HTTP/1\.1 429 ' "a POST over the rate: 429"
expect_eq "$(hval Connection "$post")" close "... and its connection closes (the body was not read)"
expect_eq "$(grep -c '"path": "/r[45]"\|"path": "/post"' "$(backend_log app)")" 0 \
    "refused requests never reached the backend"
sleep 2.1
expect_eq "$(cu --interface $R -w ' %{http_code}' "$U/later" | tr -d '\n')" "app 200" \
    "2 s later a token is back: served"
expect_eq "$(total rate_limited)" 3 "status page: rate_limited=3"
expect_match "$(grep "$R: 429 " "$(porter_log)" | head -n 1)" 'rate limit \(0\.5 requests/s, burst 3\)' \
    "the log says why"

# ---- exempt --------------------------------------------------------------
X=127.0.0.3
"$PYTHON" "$T/lt.py" hold $X "$P" 5 "$T/hold3" &
hold=$!
track $hold
expect_true "5 connections from exempt $X, all held" wait_until 5 parked_are 5
codes=$(cu --interface $X -w '%{http_code} ' -o /dev/null "$U/x1" -o /dev/null "$U/x2" \
    -o /dev/null "$U/x3" -o /dev/null "$U/x4" -o /dev/null "$U/x5" -o /dev/null "$U/x6")
expect_eq "$codes" "200 200 200 200 200 200 " \
    "exempt $X: a 6th connection and 6 quick requests, all served"
kill $hold
wait $hold 2>/dev/null
expect_true "the exempt client's connections closed" wait_until 5 parked_are 0

# ---- max_tunnels ---------------------------------------------------------
"$PYTHON" "$T/lt.py" connect 127.0.0.30 "$PF" "127.0.0.1:$B" "$T/t1" >/dev/null &
t1=$!
track $t1
"$PYTHON" "$T/lt.py" connect 127.0.0.31 "$PF" "127.0.0.1:$B" "$T/t2" >/dev/null &
t2=$!
track $t2
expect_true "two CONNECT tunnels open" wait_until 5 test -s "$T/t1" -a -s "$T/t2"
expect_eq "$(cat "$T/t1" "$T/t2" | tr '\n' '|')" \
    "HTTP/1.1 200 Connection Established|HTTP/1.1 200 Connection Established|" \
    "... both 200 Connection Established"
expect_true "the status page shows two workers in state tunnel" wait_until 5 tunnels_are 2
out=$(lt connect 127.0.0.32 "$PF" "127.0.0.1:$B")
expect_match "$(first_line "$out")" '^HTTP/1\.1 503 ' "a third CONNECT: 503 (max_tunnels = 2)"
expect_eq "$(hval Retry-After "$out")" 1 "... with Retry-After: 1"
out=$(lt ws 127.0.0.33 "$P" /ws/chat)
expect_match "$(first_line "$out")" '^HTTP/1\.1 503 ' "a WebSocket Upgrade meanwhile: 503"
kill $t1
wait $t1 2>/dev/null
expect_true "one tunnel closed" wait_until 5 tunnels_are 1
out=$(lt ws 127.0.0.34 "$P" /ws/chat)
expect_match "$(first_line "$out")" '^HTTP/1\.1 101 ' "with one tunnel open, the Upgrade gets 101"
expect_eq "$(total tunnels_capped)" 2 "status page: tunnels_capped=2"
expect_eq "$(grep -c 'max_tunnels (2) reached' "$(porter_log)")" 2 "the log says why"
kill $t2
wait $t2 2>/dev/null
expect_true "no tunnel left" wait_until 5 tunnels_are 0

# ---- min_rate: a slow reader ---------------------------------------------
S=127.0.0.40
N=8000000
"$PYTHON" "$T/lt.py" slow $S "$P" "/big?size=$N" 2048 20 >"$T/slow.out" &
slow=$!
track $slow
expect_true "the slow reader holds a worker" wait_until 5 workers_are $S 1
t0=$(now)
got=$(cu --interface 127.0.0.41 "$U/big?size=$N" | sha256sum | cut -d' ' -f1)
expect_eq "$got" "$(gen_sha $N)" "meanwhile a normal client downloads the same 8 MB"
expect_le "$(since "$t0")" 5 "... quickly"
wait $slow
out=$(cat "$T/slow.out")
diag "slow reader: $out"
read -r how secs bytes <<<"${out#end: }"
expect_match "$how" '^(reset|closed)$' "the slow reader is cut off ($how)"
expect_ge "$secs" 2 "... not at once ($secs s)"
expect_le "$secs" 20 "... but within seconds, long before client_body (30 s)"
expect_le "$bytes" 100000 "... having taken little of the 8 MB ($bytes bytes)"
expect_true "its worker is free again" wait_until 5 workers_are $S 0
expect_eq "$(total slow_readers)" 1 "status page: slow_readers=1"
expect_match "$(grep "$S: slow reader cut off" "$(porter_log)")" 'min_rate 500 bytes/s' \
    "the log says so"
expect_eq "$(cu --interface $S -w ' %{http_code}' "$U/after" | tr -d '\n')" "app 200" \
    "the slow client's next request is served (min_rate cuts, it does not ban)"

expect_no_alerts
porter_stop
done_testing
