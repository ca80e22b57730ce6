#!/bin/bash
# i003: the logrotate file under load. "make install" into a temporary
# prefix installs etc/logrotate.d/porter with that prefix's paths (the same
# directives as the shipped file: its log folder, and its postrotate runs
# the prefix's init script, which reads the prefix's porter.conf and pid
# file). porter, started by that init script, serves a bounded load (16
# clients, each request to a path of its own, half of them on kept-alive
# connections) while "logrotate -f" runs that file three times. Not one
# access log line is lost or doubled: the lines across access.log,
# access.log.1 and the gzipped older ones are exactly the requests the
# clients got an answer to. logrotate never fails, rotated files get
# nothing after the reopen, and the same holds for the error logs.
#
# BUILDDIR: the build tree under test (default: the folder of $PORTER).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

BUILDDIR=${BUILDDIR:-$(dirname "$PORTER")}
PREFIX=$T/prefix
INIT=$PREFIX/etc/init.d/porter
CONF=$PREFIX/etc/porter/porter.conf
LRFILE=$PREFIX/etc/logrotate.d/porter
LOGS=$PREFIX/var/log/porter
PIDFILE=$PREFIX/var/run/porter.pid

for tool in logrotate gzip; do
	command -v "$tool" >/dev/null 2>&1 ||
	    not_ok "$tool is installed" "./quickstart test installs it (quickstart's test_pkgs)"
done
if [ ! -f "$BUILDDIR/Makefile" ]; then
	not_ok "a build tree to install from" "no Makefile in BUILDDIR=$BUILDDIR"
fi
[ "$(cat "$T/.tap_fail")" = 0 ] || done_testing

# ---- make install into $T/prefix (as i001) ---------------------------------------
dirs=("exec_prefix=$PREFIX" "sbindir=$PREFIX/sbin" "sysconfdir=$PREFIX/etc"
    "localstatedir=$PREFIX/var" "runstatedir=$PREFIX/var/run"
    "datarootdir=$PREFIX/share" "mandir=$PREFIX/share/man"
    "systemdsystemunitdir=$PREFIX/lib/systemd/system")
overrides=()
for d in "${dirs[@]}"; do
	v=$(sed -n "s/^${d%%=*} = //p" "$BUILDDIR/Makefile")
	case $v in /* | no) overrides+=("$d") ;; esac
done
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES "${MAKE:-make}" \
    -C "$BUILDDIR" install prefix="$PREFIX" "${overrides[@]}" >"$T/make.out" 2>&1
expect_eq "$?" 0 "make install prefix=\$T/prefix: exit 0" ||
    diag "$(tail -n 30 "$T/make.out")"
expect_true "installed: prefix/etc/logrotate.d/porter" test -f "$LRFILE"
[ -f "$LRFILE" ] || done_testing
expect_eq "$(grep -c '@[a-z]*@' "$LRFILE")" 0 "no @placeholders@ left in it"
expect_eq "$(sed -n '/^[^[:space:]#]/s/ *{$//p' "$LRFILE")" "$LOGS/*.log" \
    "it rotates prefix/var/log/porter/*.log"
# the source file with this prefix's paths, nothing else changed
sed -e "s|@sbindir@|$PREFIX/sbin|g" -e "s|@sysconfdir@|$PREFIX/etc|g" \
    -e "s|@localstatedir@|$PREFIX/var|g" -e "s|@runstatedir@|$PREFIX/var/run|g" \
    "$top/config/porter.logrotate" >"$T/expected.logrotate"
expect_true "it is config/porter.logrotate with the prefix's paths" \
    cmp -s "$T/expected.logrotate" "$LRFILE" ||
    diag "$(diff "$T/expected.logrotate" "$LRFILE")"
for d in daily 'rotate [0-9]+' compress delaycompress missingok notifempty sharedscripts; do
	expect_match "$(cat "$LRFILE")" $'\n'"[[:space:]]*$d"$'\n' "directive: $d"
done
expect_match "$(cat "$LRFILE")" "$INIT reopen" "postrotate: the installed init script's reopen"

# ---- porter from the installed init script ------------------------------------
backend_start b1
B1=$BPORT
P=$(free_port)
cat >"$CONF" <<EOF
pid_file = "$PIDFILE";
error_log = "$LOGS/error.log";
access_log = "$LOGS/access.log";
workers = { start = 4; min_spare = 2; max_spare = 8; max = 24; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B1"; } ); } );
EOF
# not the machine's /etc/default/porter, here and in logrotate's postrotate
: >"$T/default"
export PORTER_DEFAULTS=$T/default

out=$("$INIT" start 2>&1)
expect_eq "$?" 0 "init script start: exit 0" || diag "$out"
pid=$(tr -d ' \n' <"$PIDFILE" 2>/dev/null)
[ -n "$pid" ] && track "$pid"
expect_true "porter runs (pid $pid)" _alive "${pid:-0}"
expect_eq "$(cu "http://127.0.0.1:$P/warmup")" b1 "porter serves b1"

# ---- the load, and three rotations while it runs -------------------------------
cat >"$T/load.py" <<'EOF'
# N clients, each its own connection and paths /lr/C/I; even ones keep the
# connection alive, odd ones close after each request. Stop when the file
# STOP exists or after MAX seconds. Writes the paths answered 200 (one a
# line) to OUT and prints "answered N failed M".
import http.client, os, sys, threading, time
port, n, stop, out, maxs = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], sys.argv[4], float(sys.argv[5])
answered, failed, lock = [], [0], threading.Lock()
t_end = time.time() + maxs
def client(c):
    conn, i, mine = None, 0, []
    while time.time() < t_end and not os.path.exists(stop):
        i += 1
        path = "/lr/%d/%d" % (c, i)
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            hdrs = {} if c % 2 == 0 else {"Connection": "close"}
            conn.request("GET", path, headers=hdrs)
            r = conn.getresponse()
            body = r.read()
            if r.status == 200 and body == b"b1\n":
                mine.append(path)
            else:
                with lock: failed[0] += 1
            if r.will_close:
                conn.close(); conn = None
        except Exception:
            with lock: failed[0] += 1
            if conn is not None: conn.close()
            conn = None
    if conn is not None: conn.close()
    with lock: answered.extend(mine)
ts = [threading.Thread(target=client, args=(c,)) for c in range(n)]
for t in ts: t.start()
for t in ts: t.join()
with open(out, "w") as f:
    f.write("".join(p + "\n" for p in sorted(answered)))
print("answered %d failed %d" % (len(answered), failed[0]))
EOF
"$PYTHON" "$T/load.py" "$P" 16 "$T/stop" "$T/answered" 30 >"$T/load.out" 2>&1 &
load=$!
track "$load"

lr() { logrotate -f -s "$T/logrotate.state" "$LRFILE" >"$T/lr.out" 2>&1; }
# lines porter wrote so far, in every access log
log_paths() {
	{
		cat "$LOGS"/access.log "$LOGS"/access.log.1 2>/dev/null
		for z in "$LOGS"/access.log.*.gz; do [ -e "$z" ] && gzip -dc "$z"; done
	} | grep -a -o 'GET /lr/[0-9]*/[0-9]* ' | awk '{ print $2 }'
}
nlines() { wc -l <"$1" 2>/dev/null | tr -d ' ' || echo 0; }
grows() { [ "$(log_paths | wc -l)" -gt "$1" ]; }

n0=$(log_paths | wc -l)
expect_true "the load reaches porter" wait_until 5 grows "$n0"
for r in 1 2 3; do
	sleep 1
	gen0=$(pgrep -P "$pid" -x porter | sort)
	lr
	rc=$?
	expect_eq "$rc" 0 "under load: logrotate -f, rotation $r: exit 0" ||
	    diag "$(cat "$T/lr.out")"
	# the workers of before the reopen finish their request and go
	# shellcheck disable=SC2086
	expect_true "rotation $r: the workers from before are gone" \
	    wait_until 10 eval '! pgrep -P "$pid" -x porter | grep -qxF -f <(echo "$gen0")'
	expect_true "rotation $r: the new access.log fills" \
	    wait_until 5 test -s "$LOGS/access.log"
done
sleep 1
touch "$T/stop"
expect_true "the load stops" wait_until 15 eval '! _alive "$load"'
read -r _ answered _ failed <"$T/load.out"
diag "load: $(cat "$T/load.out")"
expect_ge "${answered:-0}" 1000 "the load got at least 1000 answers"
expect_eq "${failed:-x}" 0 "no request failed"

# ---- every answered request once in the logs -------------------------------------
# the last lines may still be on their way from a worker
settled() { [ "$(log_paths | wc -l)" -ge "$answered" ]; }
wait_until 5 settled
log_paths | sort >"$T/logged"
expect_eq "$(wc -l <"$T/logged" | tr -d ' ')" "$answered" \
    "lines across the rotated and new access logs = requests answered ($answered)"
expect_eq "$(comm -23 "$T/answered" "$T/logged" | head -5 | tr '\n' ' ')" "" \
    "no answered request is missing from the logs"
expect_eq "$(uniq -d "$T/logged" | head -5 | tr '\n' ' ')" "" "no line twice"
expect_eq "$(backend_reqs b1)" "$((answered + 1))" \
    "the backend saw exactly those requests (and the warm-up)"

# each of the four files has some of the load: the rotations were under load
for f in access.log access.log.1 access.log.2.gz access.log.3.gz; do
	if [ "${f%.gz}" != "$f" ]; then
		n=$(gzip -dc "$LOGS/$f" 2>/dev/null | grep -c 'GET /lr/')
	else
		n=$(grep -c 'GET /lr/' "$LOGS/$f" 2>/dev/null)
	fi
	expect_ge "${n:-0}" 1 "$f has lines of the load ($n)"
done
expect_true "delaycompress: access.log.1 is plain text" \
    eval 'grep -q "GET /lr/" "$LOGS/access.log.1"'
expect_true "compress: access.log.2.gz is gzip" eval 'gzip -t "$LOGS/access.log.2.gz"'
expect_true "error.log rotated the same way" \
    test -f "$LOGS/error.log.1" -a -f "$LOGS/error.log.2.gz"
# a moved file gets nothing after the reopen: a request now lands in access.log
s1=$(stat -c %s "$LOGS/access.log.1")
expect_eq "$(cu "http://127.0.0.1:$P/after")" b1 "a request after the load"
expect_true "it is in the new access.log" \
    wait_until 3 eval 'grep -q "GET /after " "$LOGS/access.log"'
expect_eq "$(stat -c %s "$LOGS/access.log.1")" "$s1" "access.log.1 is not written to anymore"

alerts=$({ cat "$LOGS"/error.log "$LOGS"/error.log.1 2>/dev/null
	for z in "$LOGS"/error.log.*.gz; do [ -e "$z" ] && gzip -dc "$z"; done; } |
    grep -a -E '\[alert\]|AddressSanitizer|runtime error:' | head -5)
expect_eq "$alerts" "" "no alert in any error log"

out=$("$INIT" stop 2>&1)
expect_eq "$?" 0 "init script stop: exit 0" || diag "$out"
expect_true "porter stopped" _wait_gone 5 "${pid:-0}"
lr
expect_eq "$?" 0 "logrotate -f with porter stopped: exit 0" || diag "$(cat "$T/lr.out")"

expect_no_alerts
done_testing
