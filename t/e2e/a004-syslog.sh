#!/bin/bash
# a004: error_log and access_log to syslog. The test's own syslog server
# (logtool.py syslogd) binds a unix datagram socket in $T, as /dev/log
# is; porter's error log goes there with facility daemon and tag
# porter_err, its access log (JSON) with local3.notice and tag acc. Each
# line is one datagram in RFC 3164 form as the local syslog expects it,
# "<PRI>Mmm dd hh:mm:ss TAG[PID]: MESSAGE" (no newline), PRI from the
# facility and the severity (the access log's, or each error line's
# level), PID the process that wrote it. A listener's access log to a
# UDP server has the host name too. The server going away and coming
# back, and USR1, lose nothing after. A server that is not there stops
# porter from starting.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

syslogd_start() {	# NAME ARGS: logtool.py syslogd, until its pid file is there
	local name=$1 pid
	shift
	rm -f "$T/$name.pid"
	"$PYTHON" "$E2E/logtool.py" syslogd "$@" --out "$T/$name.out" \
	    --pidfile "$T/$name.pid" 2>>"$T/$name.err" &
	pid=$!
	track "$pid"
	eval "_sl_$name=$pid"
	wait_until 5 test -s "$T/$name.pid" || {
		echo "Bail out! syslogd $name did not start: $(cat "$T/$name.err")"
		exit 1
	}
}
syslogd_stop() {
	local pid
	eval "pid=\$_sl_$1"
	kill -TERM "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}
count() { if [ -f "$T/$1.out" ]; then wc -l <"$T/$1.out" | tr -d ' '; else echo 0; fi; }
has() { [ "$(count "$1")" -ge "$2" ]; }
# the messages of NAME as "PRI|TAG|PID|TEXT" lines (RFC 3164, local or not)
msgs() {
	"$PYTHON" - "$T/$1.out" "${2:-}" <<'PY'
import json, re, sys
host = sys.argv[2]
rx = re.compile(r"<(\d+)>([A-Z][a-z]{2}) ([ 12]\d|3[01]) (\d\d:\d\d:\d\d) "
                + (re.escape(host) + " " if host else "")
                + r"([A-Za-z0-9_]+)\[(\d+)\]: (.*)", re.S)
for line in open(sys.argv[1]):
    d = json.loads(line)
    m = rx.fullmatch(d)
    if not m or "\n" in d or m.group(2) not in "JanFebMarAprMayJunJulAugSepOctNovDec":
        print("BAD|%r" % d)
    else:
        print("%s|%s|%s|%s" % (m.group(1), m.group(5), m.group(6), m.group(7)))
PY
}

# Workers run as nobody: one that connects to the socket again (the
# server came back) must reach it, as it reaches /dev/log (mode 666, in a
# folder anyone may pass through). $T is private (700) otherwise.
chmod 711 "$T"
syslogd_start log --unix "$T/log.sock"
U=$(free_port)
syslogd_start udp --udp "$U"
backend_start b1
B=$BPORT
DEAD=$(free_port)
P=$(free_port)
P2=$(free_port)
porter_start <<EOF
error_log = "syslog:server=unix:$T/log.sock,facility=daemon,tag=porter_err";
access_log = "syslog:server=unix:$T/log.sock,facility=local3,severity=notice,tag=acc";
access_log_format = "json";
workers = { count = 2; };
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); },
          { name = "dead"; servers = ( { address = "127.0.0.1:$DEAD"; } ); } );
listeners = (
  { listen = "127.0.0.1:$P"; mode = "reverse";
    routes = ( { pool = "app"; }, { path = "/dead"; pool = "dead"; } ); },
  { listen = "127.0.0.1:$P2"; mode = "reverse";
    access_log = "syslog:server=127.0.0.1:$U,tag=udp";
    access_log_format = "\$status \$request";
    routes = ( { pool = "app"; } ); } );
EOF
MPID=$(porter_pid)

wait_until 5 has log 1
expect_match "$(msgs log | head -n 1)" "^30\\|porter_err\\|$MPID\\|porter [0-9.]+ started: 2 listener" \
    "error log: the start, <30> (daemon.info), tag porter_err, the master's pid"

for i in 1 2 3; do cu -o /dev/null "http://127.0.0.1:$P/s$i"; done
wait_until 5 has log 4
msgs log | grep '^157|acc|' >"$T/acc.msgs"
expect_eq "$(wc -l <"$T/acc.msgs" | tr -d ' ')" 3 "access log: 3 requests, 3 messages <157> (local3.notice), tag acc"
"$PYTHON" - "$T/acc.msgs" >"$T/acc.check" <<'PY'
import json, sys
for l in open(sys.argv[1]):
    pri, tag, pid, text = l.rstrip("\n").split("|", 3)
    o = json.loads(text)
    print(o["status"], o["request"], o["worker"] == int(pid))
PY
expect_eq "$(tr '\n' ' ' <"$T/acc.check")" "200 GET /s1 HTTP/1.1 True 200 GET /s2 HTTP/1.1 True 200 GET /s3 HTTP/1.1 True " \
    "access log: each message one JSON line, from the worker named in it"
wpids=" $(porter_workers | tr '\n' ' ')"
pid=$(cut -d'|' -f3 "$T/acc.msgs" | head -n 1)
expect_match "$wpids" " $pid " "access log: the pid is a worker's"

# error lines with their level's severity
c=$(count log)
cu -o /dev/null "http://127.0.0.1:$P/dead/x"
wait_until 5 has log $((c + 2))
expect_match "$(msgs log | grep '^27|porter_err|')" "\\|gen 1 slot [0-9]+: 127\\.0\\.0\\.1: backend 127\\.0\\.0\\.1:$DEAD: connect refused" \
    "error log: an error line is <27> (daemon.err)"
expect_match "$(msgs log | grep '^30|porter_err|')" "\\|gen 1 slot [0-9]+: 127\\.0\\.0\\.1: 502 Bad Gateway: connect refused" \
    "error log: an info line is <30> (daemon.info)"
expect_eq "$(msgs log | grep -c '^BAD')" 0 "every message is RFC 3164 as the local syslog expects, no newline"
expect_eq "$(msgs log | grep -cE '^25\|')" 0 "no alert (<25>)"

# a listener's own access log, to UDP: with the host name
cu -o /dev/null "http://127.0.0.1:$P2/u"
wait_until 5 has udp 1
expect_match "$(msgs udp "$(hostname)")" "^190\\|udp\\|[0-9]+\\|200 GET /u HTTP/1\\.1\$" \
    "UDP: <190> (local7.info, the defaults), the host name, tag udp, the template's line"
expect_eq "$(msgs log | grep -c 'GET /u ')" 0 "the listener's own log only"

# the syslog server goes away and comes back: porter connects again
syslogd_stop log
cu -o /dev/null "http://127.0.0.1:$P/lost"
syslogd_start log --unix "$T/log.sock"
c=$(count log)
for i in 1 2 3 4; do cu -o /dev/null "http://127.0.0.1:$P/back$i"; done
wait_until 5 has log $((c + 4))
expect_eq "$(msgs log | grep -c '"GET /back[1-4] HTTP/1.1"')" 4 \
    "a new syslog server on the same socket path gets the next lines (each worker connects again)"

# USR1: everything connects again; a new generation of workers logs too
kill -USR1 "$MPID"
wait_until 5 grep -q 'SIGUSR1: logs reopened' "$T/log.out"
expect_match "$(msgs log | grep 'logs reopened')" "^30\\|porter_err\\|$MPID\\|SIGUSR1: logs reopened" "USR1: the master's line"
sleep 0.5
c=$(count log)
cu -o /dev/null "http://127.0.0.1:$P/after-usr1"
wait_until 5 has log $((c + 1))
expect_eq "$(msgs log | grep -c '"GET /after-usr1 HTTP/1.1"')" 1 "USR1: the next request is logged"

porter_stop
expect_eq "$(msgs log | tail -n 1)" "30|porter_err|$MPID|stopped" "the master's last words"
expect_no_alerts	# sanitizer reports would be in porter.out

# no server at the socket: porter does not start
cat >"$T/nosock.conf" <<EOF
error_log = "$T/nosock-error.log";
access_log = "syslog:server=unix:$T/none.sock";
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
listeners = ( { listen = "127.0.0.1:$(free_port)"; mode = "reverse";
    routes = ( { pool = "app"; } ); } );
EOF
timeout 10 "$PORTER" -f -c "$T/nosock.conf" >"$T/nosock.out" 2>&1
expect_eq "$?" 1 "access_log to a syslog socket that is not there: porter exits 1"
expect_match "$(cat "$T/nosock.out")" "access_log: syslog server unix:$T/none\\.sock: No such file or directory" \
    "... saying which and why"
done_testing
