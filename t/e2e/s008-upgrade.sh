#!/bin/bash
# s008: binary upgrade under load, nginx's way. porter runs from a copy in
# $T/bin; a fresh binary is moved over it and the master gets USR2: the pid
# file becomes FILE.oldbin, the new binary runs as a new master on the same
# listening sockets and writes the pid file. QUIT to the old master ends it
# and removes FILE.oldbin; the new master serves on. wrk sees no error.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

command -v wrk >/dev/null 2>&1 || { not_ok "wrk is installed"; done_testing; }

backend_start app
B=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P
PF=$T/porter.pid

mkdir -p "$T/bin"
cp "$PORTER" "$T/bin/porter"
ORIG=$PORTER
PORTER=$T/bin/porter	# porter_start runs "$PORTER -f -c ..."
porter_start <<EOF
log_level = "info";
shutdown_timeout = 10.0;
workers = { start = 4; min_spare = 2; max_spare = 16; max = 32; max_requests = 0; };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = 5.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
old=$(porter_pid)
expect_true "4 workers at start" wait_workers 4 10
expect_eq "$(cat "$PF")" "$old" "the pid file names the master"
expect_eq "$(readlink "/proc/$old/exe")" "$T/bin/porter" "the master runs $T/bin/porter"

wrk_sockerr() {
	grep -a 'Socket errors' "$1" |
	    awk '{ s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }'
}
pid_in() { [ -s "$1" ] && [ "$(cat "$1")" = "$2" ]; }
new_pid_written() { [ -s "$PF" ] && [ "$(cat "$PF")" != "$old" ]; }
oldbin_gone() { [ ! -e "$PF.oldbin" ]; }

# a new binary that dies at once: the old master takes its pid file back
printf '#!/bin/sh\nexit 3\n' >"$T/bin/porter.new"
chmod +x "$T/bin/porter.new"
mv -f "$T/bin/porter.new" "$T/bin/porter"
kill -USR2 "$old"
expect_true "failed upgrade: the old master logs that the new one exited" \
    wait_until 5 grep -q 'exited with status 3; the upgrade failed' "$(porter_log)"
expect_true "failed upgrade: the pid file names the old master again" \
    wait_until 3 pid_in "$PF" "$old"
expect_true "failed upgrade: no $PF.oldbin is left" test ! -e "$PF.oldbin"
expect_eq "$(cu "$U/")" app "failed upgrade: the old master serves on"

wrk -t1 -c16 -d8s --timeout 5s "$U/" >"$T/wrk.out" 2>&1 &
wp=$!
track $wp
sleep 1.5

# install a fresh binary the safe way: a new file renamed over the old
cp "$ORIG" "$T/bin/porter.new"
mv -f "$T/bin/porter.new" "$T/bin/porter"
ino=$(stat -c %i "$T/bin/porter")
kill -USR2 "$old"
expect_true "USR2: $PF.oldbin appears with the old pid" wait_until 5 pid_in "$PF.oldbin" "$old"
expect_true "USR2: the pid file gets a new pid" wait_until 5 new_pid_written
new=$(cat "$PF" 2>/dev/null)
[ -n "$new" ] && track "$new"
diag "old master $old, new master ${new:-none}"
expect_true "the new master ($new) runs" _alive "${new:-0}"
expect_eq "$(stat -L -c %i "/proc/$new/exe" 2>/dev/null)" "$ino" \
    "the new master runs the new file at $T/bin/porter"
expect_true "the new master logs that it took over the sockets" \
    wait_until 5 grep -q "\\] $new: .*took over the listening sockets" "$(porter_log)"
nw_has_workers() { [ "$(pgrep -P "$new" | wc -l)" -ge 1 ]; }
expect_true "the new master has workers" wait_until 5 nw_has_workers
expect_true "the old master still runs" _alive "$old"

sleep 1.5
kill -QUIT "$old"
t0=$(now)
expect_true "QUIT: the old master exits" _wait_gone 12 "$old"
diag "the old master exited $(since "$t0") s after QUIT"
if _alive "$old"; then kill -KILL "$old"; fi
wait "$old"
expect_eq "$?" 0 "the old master exits with status 0"
expect_true "$PF.oldbin is removed" wait_until 3 oldbin_gone
expect_eq "$(cat "$PF" 2>/dev/null)" "$new" "the pid file still names the new master"
expect_true "the new master still runs" _alive "${new:-0}"

_wait_gone 12 $wp || kill -TERM $wp
wait $wp
diag "wrk:" "$(cat "$T/wrk.out")"
rq=$(sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$T/wrk.out")
se=$(wrk_sockerr "$T/wrk.out")
nx=$(sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$T/wrk.out")
diag "upgrade under load: ${rq:-?} requests, socket errors ${se:-0}, non-2xx/3xx ${nx:-0}"
expect_ge "${rq:-0}" 1 "wrk got responses (${rq:-none})"
expect_eq "${se:-0}" 0 "no socket errors across the upgrade"
expect_eq "${nx:-0}" 0 "no non-2xx/3xx responses across the upgrade"

out=
for i in 1 2 3 4 5; do out="$out$(cu -w ':%{http_code} ' "$U/after$i" | tr -d '\n')"; done
expect_eq "$out" "app:200 app:200 app:200 app:200 app:200 " "the new master serves"

# stop the new master: it is not this shell's child
nkids=$(pgrep -P "${new:-0}")
kill -TERM "${new:-0}"
expect_true "the new master stops on TERM" _wait_gone 10 "${new:-0}"
# shellcheck disable=SC2086
expect_true "no worker of the new master is left" _wait_gone 3 $nkids
expect_true "the pid file is removed" test ! -e "$PF"

expect_no_alerts
done_testing
