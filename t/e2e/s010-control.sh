#!/bin/bash
# s010: the control command and the pid file. porter -s reload, reopen,
# quit and stop each do what they say; -s without a running porter (no pid
# file, or a stale one) fails with a clear message; a second porter on the
# same pid file refuses to start and the first goes on; without -f porter
# detaches, writes its pid file, serves, and -s stop ends it.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P
PF=$T/porter.pid
CONF=$T/porter.conf

conf() {
	cat <<EOF
pid_file = "$PF";
error_log = "$T/error.log";
log_level = "info";
workers = { start = 2; min_spare = 1; max_spare = 4; max = 8; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
}
# porter -s ACTION: status in $rc, stdout and stderr in $out
ctl() {
	out=$("$PORTER" -s "$1" -c "$CONF" 2>&1)
	rc=$?
}
none_alive() { local p; for p in "$@"; do _alive "$p" && return 1; done; return 0; }
log_has() { grep -a -q -- "$1" "$(porter_log)"; }

# ---- reload, reopen, quit -------------------------------------------------
porter_start < <(conf)
master=$(porter_pid)
expect_true "2 workers at start" wait_workers 2 10
w1=$(porter_workers)

ctl reload
expect_eq "$rc:$out" "0:" "porter -s reload exits 0, silently"
expect_true "reload: the master logs \"reloaded: generation 2\"" \
    wait_until 5 log_has "reloaded: generation 2"
# shellcheck disable=SC2086
expect_true "reload: the old workers are replaced" wait_until 5 none_alive $w1
expect_eq "$(cu "$U/")" app "reload: porter serves"

mv "$T/error.log" "$T/error.log.1"
w2=$(porter_workers)
ctl reopen
expect_eq "$rc:$out" "0:" "porter -s reopen exits 0, silently"
expect_true "reopen: a new error log is created" wait_until 5 test -e "$T/error.log"
# shellcheck disable=SC2086
expect_true "reopen: the workers are replaced (they inherit the new logs)" \
    wait_until 5 none_alive $w2
expect_eq "$(cu "$U/")" app "reopen: porter serves"

w3=$(porter_workers)
ctl quit
expect_eq "$rc:$out" "0:" "porter -s quit exits 0, silently"
expect_true "quit: the master exits" _wait_gone 10 "$master"
wait "$master"
expect_eq "$?" 0 "quit: the master's status is 0"
expect_true "quit: the pid file is removed" test ! -e "$PF"
# shellcheck disable=SC2086
expect_true "quit: no worker is left" wait_until 3 none_alive $w3
expect_true "quit: the log tells of the graceful stop" log_has "graceful stop"

# ---- stop -------------------------------------------------------------------
porter_start < <(conf)
master=$(porter_pid)
expect_true "porter again: 2 workers" wait_workers 2 10
w4=$(porter_workers)
ctl stop
expect_eq "$rc:$out" "0:" "porter -s stop exits 0, silently"
expect_true "stop: the master exits" _wait_gone 10 "$master"
wait "$master"
expect_eq "$?" 0 "stop: the master's status is 0"
expect_true "stop: the pid file is removed" test ! -e "$PF"
# shellcheck disable=SC2086
expect_true "stop: no worker is left" wait_until 3 none_alive $w4

# ---- no porter running --------------------------------------------------------
ctl reload
expect_eq "$rc" 1 "-s reload without a pid file: exit 1"
expect_match "$out" "not running" "... saying \"not running\" ($out)"
expect_match "$out" "$PF" "... naming the pid file"

sleep 0 &
dead=$!
wait $dead
echo "$dead" >"$PF"
ctl reload
expect_eq "$rc" 1 "-s reload with the pid of a finished process: exit 1"
expect_match "$out" "stale" "... saying \"stale\" ($out)"

sleep 30 &
other=$!
track $other
echo "$other" >"$PF"
ctl stop
expect_eq "$rc" 1 "-s stop with the pid of a live process that is not porter: exit 1"
expect_match "$out" "stale" "... saying \"stale\" ($out)"
expect_true "... and that process was not signalled" _alive $other
kill $other
wait $other 2>/dev/null
rm -f "$PF"

# ---- a second porter on the same pid file -----------------------------------------
porter_start < <(conf)
master=$(porter_pid)
expect_true "a first porter: 2 workers" wait_workers 2 10
l0=$(wc -l <"$(porter_log)")
t0=$(now)
timeout 10 "$PORTER" -f -c "$CONF" >"$T/second.out" 2>&1
rc=$?
expect_eq "$rc" 1 "a second porter -f on the same pid file exits 1 (in $(since "$t0") s)"
msg="$(cat "$T/second.out") $(tail -n +"$((l0 + 1))" "$(porter_log)")"
diag "second porter said: $msg"
expect_match "$msg" "already running" "... saying \"already running\""
timeout 10 "$PORTER" -c "$CONF" >"$T/second-d.out" 2>&1
expect_eq "$?" 1 "a second porter without -f exits 1 as well"
expect_eq "$(cat "$PF")" "$master" "the pid file still names the first master"
expect_true "the first master still runs" _alive "$master"
expect_eq "$(cu "$U/")" app "the first porter still serves"
porter_stop

# ---- daemon mode ------------------------------------------------------------------
expect_true "no pid file before the daemon starts" test ! -e "$PF"
t0=$(now)
timeout 10 "$PORTER" -c "$CONF" >"$T/daemon.out" 2>&1
rc=$?
took=$(since "$t0")
if [ -s "$PF" ]; then at_return=yes; else at_return=no; fi
diag "daemon: the pid file existed when the command returned: $at_return"
expect_eq "$rc" 0 "porter without -f returns 0 ($(cat "$T/daemon.out"))"
expect_le "$took" 3 "... promptly ($took s)"
expect_true "the pid file is written" wait_until 5 test -s "$PF"
daemon=$(cat "$PF" 2>/dev/null)
[ -n "$daemon" ] && track "$daemon"
expect_true "the pid file names a running process ($daemon)" _alive "${daemon:-0}"
expect_match "$(cat "/proc/${daemon:-0}/comm" 2>/dev/null)" '^porter' "... which is porter"
ppid=$(awk '{ print $4 }' "/proc/${daemon:-0}/stat" 2>/dev/null)
expect_ne "$ppid" "$$" "... detached (its parent is not this shell)"
# its workers: not the waiter (nor a health checker)
dworkers() { ps -o pid=,comm= --ppid "${daemon:-0}" | awk '$2 != "porter-waiter" && $2 != "porter-checker" { print $1 }'; }
dkids() { dworkers | wc -l | tr -d ' '; }
two_kids() { [ "$(dkids)" = 2 ]; }
expect_true "the daemon runs 2 workers" wait_until 10 two_kids
expect_eq "$(cu "$U/")" app "the daemon serves"
dw=$(dworkers)
ctl stop
expect_eq "$rc:$out" "0:" "porter -s stop exits 0"
expect_true "the daemon exits" _wait_gone 10 "${daemon:-0}"
expect_true "its pid file is removed" wait_until 3 test ! -e "$PF"
# shellcheck disable=SC2086
expect_true "no worker of the daemon is left" wait_until 3 none_alive $dw

grep -a -h '\[alert\]' "$T/error.log.1" >"$T/alerts.1"
expect_eq "$(cat "$T/alerts.1")" "" "no alerts in the rotated error log"
expect_no_alerts
done_testing
