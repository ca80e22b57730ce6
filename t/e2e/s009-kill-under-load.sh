#!/bin/bash
# s009: SIGKILL a busy worker while wrk keeps 3 kept-alive connections going
# on a fixed pool of 4 (fewer clients than workers, so each connection stays
# with its worker: with more, porter rotates workers per request to avoid
# starving queued clients, and a connection lives about a millisecond). The
# master replaces it at once (the count is back within about a second) and
# wrk sees at most the connection that worker held fail.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

command -v wrk >/dev/null 2>&1 || { not_ok "wrk is installed"; done_testing; }

backend_start app
B=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P
N=4
porter_start <<EOF
log_level = "info";
workers = { count = $N; };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = 5.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
master=$(porter_pid)
expect_true "$N workers at start" wait_workers $N 10

# SIGKILL the first worker found holding a client connection (local port
# P, established), right away; look again and again (up to 7 s)
# in one process. Prints "PID N", N the connections it held; fails when
# none was found (7 s: under a loaded machine it can take a while).
cat >"$T/kill_busy.py" <<'PY'
import os, signal, sys, time
port, pids = int(sys.argv[1]), sys.argv[2:]

def sockets(pid):
    out = set()
    for fd in os.listdir("/proc/%s/fd" % pid):
        try:
            l = os.readlink("/proc/%s/fd/%s" % (pid, fd))
        except OSError:
            continue
        if l.startswith("socket:["):
            out.add(l[8:-1])
    return out

def client_inodes():
    inodes = set()
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = open(f).read().splitlines()[1:]
        except OSError:
            continue
        for ln in lines:
            x = ln.split()
            if x[3] == "01" and int(x[1].split(":")[1], 16) == port:
                inodes.add(x[9])
    return inodes

deadline = time.time() + 7
while time.time() < deadline:
    for pid in pids:
        try:
            mine = sockets(pid)
        except OSError:
            continue
        n = len(mine & client_inodes())
        if n > 0:
            os.kill(int(pid), signal.SIGKILL)
            print(pid, n)
            sys.exit(0)
    time.sleep(0.01)
sys.exit(1)
PY
victim='' nheld=0
try_kill() {
	local r
	# shellcheck disable=SC2046
	r=$("$PYTHON" "$T/kill_busy.py" "$P" $(porter_workers)) || return 1
	victim=${r% *} nheld=${r#* }
}
replaced() {
	local w p
	w=$(porter_workers)
	[ "$(wc -w <<<"$w")" = $N ] || return 1
	for p in $w; do [ "$p" = "$victim" ] && return 1; done
	return 0
}

wrk -t1 -c3 -d10s --timeout 3s "$U/" >"$T/wrk.out" 2>&1 &
wp=$!
track $wp
sleep 1
before=$(porter_workers | sort -n | tr '\n' ' ')
expect_true "a worker holding a client connection is killed" try_kill
t0=$(now)
if [ -n "$victim" ]; then
	diag "killed worker $victim, which held $nheld client connection(s)"
	expect_true "the worker count is back to $N without $victim within 1.5 s" \
	    wait_until 1.5 replaced
	diag "replaced after $(since "$t0") s; workers before: $before after: $(porter_workers | sort -n | tr '\n' ' ')"
fi

_wait_gone 16 $wp || kill -TERM $wp
wait $wp
diag "wrk:" "$(cat "$T/wrk.out")"
rq=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.out")
se=$(grep -a 'Socket errors' "$T/wrk.out" |
    awk '{ s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }')
nx=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/wrk.out")
diag "kill under load: ${rq:-?} requests, socket errors ${se:-0}," \
    "non-2xx/3xx ${nx:-0}; the killed worker held $nheld client connection(s)"
expect_ge "${rq:-0}" 1 "wrk got responses (${rq:-none})"
expect_eq "$nheld" 1 "the worker held one client connection (one at a time)"
expect_le "$((${se:-0} + ${nx:-0}))" "$nheld" \
    "wrk's failures (${se:-0} socket errors, ${nx:-0} non-2xx) <= the connections the worker held ($nheld)"

line=$(grep -a "worker ${victim:-none} .*killed by signal 9" "$(porter_log)" | head -n 1)
expect_match "$line" "\\[error\\] $master: " "the master logs the death of ${victim:-?} with its signal"
diag "logged: $line"
expect_eq "$(cu "$U/")" app "the service goes on"

expect_no_alerts
porter_stop
done_testing
