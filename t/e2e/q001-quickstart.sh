#!/bin/bash
# q001: ./quickstart, as a newcomer runs it, in a clone of the tree (its
# committed HEAD) with the binary under test (QUICKSTART_PORTER, so no
# rebuild): two demo backends on 127.0.0.1:9001 and :9002, porter in front
# of them on the bundled config's ports, 8080 (reverse, both backends
# answer), 3128 (forward, to the demo backends on loopback) and 8081 (the
# status page); SIGINT to its process group (Ctrl-C) stops all of it: exit
# 0, no porter and no demo backend left, the ports closed. Then with a
# server of the test's own on 9001: quickstart says 9001 is in use, starts
# only the 9002 demo, porter proxies to ours; SIGINT to quickstart alone
# stops what it started and leaves ours running.
#
# The ports are fixed (the bundled config's) and this test's alone: the
# other tests take random free ports and free_port never hands out these.
# Something else on them is a failure, not a skip.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

PORTS="8080 3128 8081 9001 9002"

for tool in git setsid; do
	command -v "$tool" >/dev/null 2>&1 || {
		not_ok "$tool is installed" "this test needs $tool; ./quickstart test installs it"
		done_testing
	}
done

busy=
for p in $PORTS; do _port_open "$p" && busy="$busy 127.0.0.1:$p"; done
if [ -n "$busy" ]; then
	not_ok "the bundled config's ports are free" "in use:$busy" \
	    "(a ./quickstart or a porter on config/porter.conf running here?)"
	done_testing
fi
ok "the bundled config's ports are free ($PORTS)"

# ---- a clone of the committed tree ------------------------------------------
CLONE=$T/clone
if [ "$(git -C "$top" rev-parse --show-toplevel 2>/dev/null)" = "$(cd "$top" && pwd -P)" ]; then
	out=$(git clone -q "$top" "$CLONE" 2>&1)
	expect_eq "$?" 0 "git clone of the source tree" || diag "$out"
	git -C "$top" diff --quiet HEAD -- quickstart config 2>/dev/null ||
	    diag "note: quickstart or config/ has uncommitted changes;" \
		"this tests the committed ones"
else	# a release tarball (make distcheck): no git; what quickstart runs on
	diag "$top is not a git work tree: copying quickstart and config/"
	mkdir -p "$CLONE" && cp -R "$top/quickstart" "$top/config" "$CLONE/" &&
	    chmod -R u+w "$CLONE" && rm -f "$CLONE/config/porter.pid"
fi
if [ ! -x "$CLONE/quickstart" ]; then
	not_ok "the clone has an executable quickstart" "ls: $(ls -la "$CLONE" 2>&1)"
	done_testing
fi

# qs_start NAME: run the clone's quickstart in a session (and process group)
# of its own, as a terminal would run it; sets QS (its PID, also the
# group's). A command run with & from a script starts with SIGINT ignored,
# which bash then cannot trap: env puts back the default a terminal gives.
qs_start() {
	QUICKSTART_PORTER=$PORTER env --default-signal=INT setsid "$CLONE/quickstart" \
	    </dev/null >"$T/$1.out" 2>&1 &
	QS=$!
	track "$QS"
}

qs_out() { cat "$T/$1.out" 2>/dev/null; }

# pid_of NAME WHAT: the PID quickstart printed for WHAT
# ("porter is running (pid N)", "demo backend on 127.0.0.1:9001 (pid N)")
pid_of() {
	qs_out "$1" | sed -n "s/^quickstart: $2 (pid \([0-9]*\)).*/\1/p" | tail -n 1
}

_porter_up() { _alive "$QS" || return 0; _port_open 8080 && _port_open 3128 &&
    _port_open 8081 && grep -q 'porter is running' "$T/$1.out"; }

# qs_wait_up NAME: until porter answers and quickstart says so
qs_wait_up() {
	wait_until 60 _porter_up "$1"
	if _alive "$QS" && grep -q 'porter is running' "$T/$1.out"; then
		ok "$1: quickstart runs porter, which answers on 8080, 3128 and 8081"
		return 0
	fi
	not_ok "$1: quickstart runs porter, which answers on 8080, 3128 and 8081" \
	    "quickstart said:" "$(tail -n 30 "$T/$1.out")"
	done_testing
}

# qs_stop NAME SIG TARGET PID...: send SIG to TARGET (the group "-$QS" or
# "$QS"); quickstart exits 0 within 20 s and none of PID... is left
qs_stop() {
	local name=$1 sig=$2 target=$3 st still="" p
	shift 3
	kill "-$sig" -- "$target" 2>/dev/null
	if _wait_gone 20 "$QS"; then
		wait "$QS"
		st=$?
		expect_eq "$st" 0 "$name: quickstart exits with status 0 after SIG$sig"
	else
		not_ok "$name: quickstart exits after SIG$sig" "still running after 20 s"
	fi
	_wait_gone 5 "$@"
	for p in "$@"; do _alive "$p" && still="$still $p"; done
	expect_eq "$still" "" "$name: nothing quickstart started is left ($*)"
	[ -z "$still" ] || diag "$(ps -o pid,ppid,args -p "${still# }" 2>&1)"
	still=$(pgrep -s "$QS" 2>/dev/null | tr '\n' ' ')
	expect_eq "$still" "" "$name: no process left in quickstart's session" ||
	    diag "$(ps -o pid,ppid,args -s "$QS" 2>&1)"
}

# ---- 1. the demo as a newcomer sees it ---------------------------------------
qs_start q1
qs_wait_up q1
said=$(qs_out q1)
expect_match "$said" 'curl http://127\.0\.0\.1:8080/' "q1: says to try the reverse proxy with curl"
expect_match "$said" 'curl -x http://127\.0\.0\.1:3128 http://127\.0\.0\.1:9001/' \
    "q1: says to try the forward proxy with curl -x"
expect_match "$said" 'http://127\.0\.0\.1:8081/porter-status' "q1: names the status page"
expect_nomatch "$said" 'in use' "q1: no port in use"

MASTER=$(pid_of q1 'porter is running')
D1=$(pid_of q1 'demo backend on 127\.0\.0\.1:9001')
D2=$(pid_of q1 'demo backend on 127\.0\.0\.1:9002')
expect_match "$MASTER $D1 $D2" '^[0-9]+ [0-9]+ [0-9]+$' "q1: quickstart names the PIDs of porter and both demo backends"
for p in $MASTER $D1 $D2; do
	expect_eq "$(ps -o ppid= -p "$p" | tr -d ' ')" "$QS" "q1: pid $p is quickstart's child"
done
expect_eq "$(ps -o args= -p "$MASTER")" "$PORTER -f -c $CLONE/config/porter.conf" \
    "q1: porter is QUICKSTART_PORTER on the clone's config/porter.conf"
WORKERS=$(pgrep -P "$MASTER" | tr '\n' ' ')
expect_ne "$WORKERS" "" "q1: porter has workers ($WORKERS)"

# reverse: every answer names a demo backend, both of them answer
seen=
for i in 1 2 3 4 5 6; do
	body=$(cu "http://127.0.0.1:8080/")
	expect_match "$body" '^Hello from demo backend (9001|9002)$' "q1: 8080 request $i: a demo page"
	seen="$seen $body"
done
expect_match "$seen" '9001' "q1: 8080: demo backend 9001 answered"
expect_match "$seen" '9002' "q1: 8080: demo backend 9002 answered"
expect_status http://127.0.0.1:8080/health 200
expect_eq "$(cu -I -o /dev/null -w '%{http_code}' http://127.0.0.1:8080/)" 200 "q1: HEAD through 8080: 200"

# forward: to the demo backends on loopback (deny_private off there)
expect_eq "$(cu -x http://127.0.0.1:3128 http://127.0.0.1:9001/)" \
    "Hello from demo backend 9001" "q1: curl -x 3128 http://127.0.0.1:9001/"
expect_eq "$(cu -x http://127.0.0.1:3128 http://127.0.0.1:9002/)" \
    "Hello from demo backend 9002" "q1: curl -x 3128 http://127.0.0.1:9002/"

# the status page
page=$(cu -w '\n%{http_code}' http://127.0.0.1:8081/porter-status)
expect_eq "${page##*$'\n'}" 200 "q1: the status page answers 200"
expect_match "$page" '127\.0\.0\.1:9001' "q1: the status page lists backend 9001"
expect_match "$page" '127\.0\.0\.1:9002' "q1: the status page lists backend 9002"

# Ctrl-C: SIGINT to the whole process group
# shellcheck disable=SC2086
qs_stop q1 INT "-$QS" $MASTER $WORKERS $D1 $D2
for p in $PORTS; do
	expect_true "q1: 127.0.0.1:$p is closed after Ctrl-C" eval "! _port_open $p"
done
expect_true "q1: porter removed its pid file" test ! -e "$CLONE/config/porter.pid"
expect_nomatch "$(qs_out q1)" 'Traceback|did not stop' "q1: no traceback, nothing killed"

# ---- 2. a backend of the user's own on 9001 ----------------------------------
"$PYTHON" - >"$T/mine.out" 2>&1 <<'EOF' &
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_GET(self):
        b = b"mine on 9001\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)
    def log_message(self, *a):
        pass
ThreadingHTTPServer(("127.0.0.1", 9001), H).serve_forever()
EOF
MINE=$!
track "$MINE"
wait_until 10 _port_open 9001
expect_eq "$(cu http://127.0.0.1:9001/)" "mine on 9001" "q2: our own server answers on 9001" ||
    diag "$(cat "$T/mine.out")"

qs_start q2
qs_wait_up q2
expect_match "$(qs_out q2)" '127\.0\.0\.1:9001 is in use' "q2: quickstart says 9001 is in use"
expect_eq "$(pid_of q2 'demo backend on 127\.0\.0\.1:9001')" "" "q2: no demo backend started on 9001"
MASTER=$(pid_of q2 'porter is running')
D2=$(pid_of q2 'demo backend on 127\.0\.0\.1:9002')
expect_match "$MASTER $D2" '^[0-9]+ [0-9]+$' "q2: PIDs of porter and the 9002 demo backend"
WORKERS=$(pgrep -P "$MASTER" | tr '\n' ' ')
seen=
for i in 1 2 3 4 5 6; do seen="$seen|$(cu http://127.0.0.1:8080/)"; done
expect_match "$seen" 'mine on 9001' "q2: porter on 8080 proxies to our server on 9001"
expect_match "$seen" 'Hello from demo backend 9002' "q2: and to the demo backend on 9002"
expect_eq "$(cu -x http://127.0.0.1:3128 http://127.0.0.1:9001/)" "mine on 9001" \
    "q2: curl -x 3128 http://127.0.0.1:9001/ reaches our server"

# SIGINT to quickstart alone (its trap stops what it started)
# shellcheck disable=SC2086
qs_stop q2 INT "$QS" $MASTER $WORKERS $D2
expect_true "q2: our own server on 9001 is still running" _alive "$MINE"
expect_eq "$(cu http://127.0.0.1:9001/)" "mine on 9001" "q2: and still answers"
for p in 8080 3128 8081 9002; do
	expect_true "q2: 127.0.0.1:$p is closed" eval "! _port_open $p"
done
_stop_pids "$MINE"
expect_true "q2: 127.0.0.1:9001 is closed once we stop our server" eval "! _port_open 9001"

done_testing
