#!/bin/bash
# w006: rotation without the waiter. With more busy kept-alive clients
# than workers and the pool at workers.max, a worker whose client has its
# next request in by the time the answer is out puts the connection
# straight on the waiter's hand-back queue, that request with it
# (totals.requeued); one whose client sent half a head parks it with the
# waiter as before. 10 clients on 2 workers, 40 requests each, every
# answer checked against its own request (an echoed body, X-Path), some
# heads cut in two by a pause, some bodies over 16 KiB, one client leaving after 3 requests, one
# sending "Connection: close" on its last. A pool that can still grow
# rotates through the waiter only (requeued stays 0).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
S=$(free_port)
while [ "$S" = "$P" ]; do S=$(free_port); done
SJ="http://127.0.0.1:$S/porter-status?format=json"

conf() {	# WORKERS-SETTINGS
	cat <<EOF
log_level = "info";
workers = { $1 };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = 10.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
status = { listen = "127.0.0.1:$S"; };
EOF
}

total() {	# KEY: totals.KEY from the status page
	CURL_MAX_TIME=3 cu -H 'Connection: close' "$SJ" 2>/dev/null |
	    "$PYTHON" -c 'import json, sys
try:
    print(json.load(sys.stdin)["totals"][sys.argv[1]])
except Exception:
    pass' "$1"
}

# NCONN clients, NREQ requests each, all at once; one line of counts
clients() {	# NCONN NREQ
	"$PYTHON" - "$P" "$1" "$2" <<'EOF'
import socket, sys, threading, time

port, nconn, nreq = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
lock = threading.Lock()
res = {"ok": 0, "bad": 0, "split": 0, "left": 0, "first_bad": ""}
start = threading.Barrier(nconn)

def read_response(s, buf):
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed before a head")
        buf += d
    head, _, rest = buf.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    code = int(lines[0].split()[1])
    fields = {}
    for ln in lines[1:]:
        k, _, v = ln.partition(":")
        fields[k.strip().lower()] = v.strip()
    n = int(fields.get("content-length", "0"))
    while len(rest) < n:
        d = s.recv(65536)
        if not d:
            raise EOFError("closed in a body")
        rest += d
    return code, fields, rest[:n], rest[n:]

def bad(why):
    with lock:
        res["bad"] += 1
        if not res["first_bad"]:
            res["first_bad"] = why

def client(i):
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    buf = b""
    start.wait()
    for j in range(nreq):
        last = j == nreq - 1
        conn = b"Connection: close\r\n" if (i == 1 and last) else b""
        if j % 4 == 3:
            path = b"/?c=%d&r=%d" % (i, j)
            req = b"GET " + path + b" HTTP/1.1\r\nHost: a\r\n" + conn + b"\r\n"
            body = None
        else:
            body = (b"c%d-r%d-" % (i, j)) * (5 + (i * 7 + j) % 40)
            if i == 2 and j % 10 == 9:
                body *= 200	# more than a worker reads ahead (16 KiB)
            req = (b"POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: %d\r\n"
                   % len(body)) + conn + b"\r\n" + body
        try:
            if i == 0 and j % 5 == 4:
                # half a head, a pause, the rest: the worker finds half
                s.sendall(req[:10])
                time.sleep(0.03)
                s.sendall(req[10:])
                with lock:
                    res["split"] += 1
            else:
                s.sendall(req)
            code, f, got, buf = read_response(s, buf)
        except Exception as e:
            bad("client %d request %d: %s" % (i, j, e))
            return
        if code != 200:
            bad("client %d request %d: status %d" % (i, j, code))
        elif body is not None and got != body:
            bad("client %d request %d: another body (%r)" % (i, j, got[:40]))
        elif body is None and f.get("x-path") != path.decode():
            bad("client %d request %d: X-Path %r" % (i, j, f.get("x-path")))
        else:
            with lock:
                res["ok"] += 1
        if i == nconn - 1 and j == 2:
            with lock:
                res["left"] += 1
            break		# this client leaves after 3 requests
    s.close()

ts = [threading.Thread(target=client, args=(i,)) for i in range(nconn)]
for t in ts:
    t.start()
for t in ts:
    t.join(60)
print("ok=%d bad=%d split=%d left=%d first_bad=%s" % (res["ok"], res["bad"],
      res["split"], res["left"], res["first_bad"] or "-"))
EOF
}

# ---- a fixed pool: rotation skips the waiter -------------------------------
porter_start < <(conf "count = 2;")
expect_true "2 workers" wait_workers 2 10
rq0=$(total requeued)
pk0=$(total parked)
out=$(clients 10 40)
diag "10 clients x 40 requests on 2 workers: $out"
want=$((9 * 40 + 3))
expect_match "$out" "^ok=$want bad=0 " "every answer is its own request's ($want)"
expect_match "$out" " split=8 left=1 " "heads cut by a pause: 8; a client left after 3"
rq=$(($(total requeued) - rq0))
pk=$(($(total parked) - pk0))
diag "requeued $rq, parked $pk"
expect_ge "$rq" 20 "rotation without the waiter: requeued grew by $rq"
expect_ge "$pk" 1 "a half head still went to the waiter: parked grew by $pk"
expect_match "$(rawhttp -t 3 "$P" 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')" '^HTTP/1\.1 200' \
    "after the load a keep-alive request is answered"
expect_no_alerts
porter_stop

# ---- a pool that can grow: through the waiter, as before --------------------
porter_start < <(conf "start = 2; min_spare = 1; max_spare = 4; max = 64;")
expect_true "2 workers at start" wait_workers 2 10
out=$(clients 10 40)
diag "10 clients x 40 requests, a pool of 2 that may grow to 64: $out"
expect_match "$out" "^ok=$want bad=0 " "every answer is its own request's ($want)"
expect_eq "$(total requeued)" 0 "the pool below workers.max: nothing requeued"
expect_no_alerts
porter_stop
done_testing
