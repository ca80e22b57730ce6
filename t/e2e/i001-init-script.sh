#!/bin/bash
# i001: "make install" into a temporary prefix, then the installed LSB init
# script drives the installed porter: start (it serves), status, reload (a
# changed pool is served), reload and restart refused on a broken config
# (the old one keeps serving), restart (a new master), stop (gone, pid file
# removed), status 3; a second "make install" keeps the edited porter.conf
# and "make uninstall" removes the rest.
#
# BUILDDIR: the build tree under test (default: the folder of $PORTER).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

BUILDDIR=${BUILDDIR:-$(dirname "$PORTER")}
PREFIX=$T/prefix
INIT=$PREFIX/etc/init.d/porter
CONF=$PREFIX/etc/porter/porter.conf
UNIT=$PREFIX/lib/systemd/system/porter.service

if [ ! -f "$BUILDDIR/Makefile" ]; then
	not_ok "a build tree to install from" "no Makefile in BUILDDIR=$BUILDDIR"
	done_testing
fi

# Folders the build tree fixed as absolute paths (configure --sysconfdir=/etc
# and the like) would put files outside $T, and a unit folder of "no" would
# install no unit: bring them under the prefix.
dirs=("exec_prefix=$PREFIX" "sbindir=$PREFIX/sbin" "sysconfdir=$PREFIX/etc"
    "localstatedir=$PREFIX/var" "runstatedir=$PREFIX/var/run"
    "datarootdir=$PREFIX/share" "mandir=$PREFIX/share/man"
    "systemdsystemunitdir=$PREFIX/lib/systemd/system")
overrides=()
for d in "${dirs[@]}"; do
	v=$(sed -n "s/^${d%%=*} = //p" "$BUILDDIR/Makefile")
	case $v in /* | no) overrides+=("$d") ;; esac
done

# A "make check" above us exports its own flags and jobserver: not ours.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u MAKEOVERRIDES \
	    "${MAKE:-make}" -C "$BUILDDIR" "$@" prefix="$PREFIX" \
	    "${overrides[@]}" >"$T/make.out" 2>&1
}

# ---- make install -------------------------------------------------------
mk install
rc=$?
expect_eq "$rc" 0 "make install prefix=\$T/prefix: exit 0" ||
    diag "$(tail -n 30 "$T/make.out")"
for f in "$PREFIX/sbin/porter" "$INIT"; do
	expect_true "installed, executable: ${f#"$T/"}" test -x "$f"
done
for f in "$CONF" "$UNIT" "$PREFIX/share/man/man8/porter.8" \
    "$PREFIX/share/man/man5/porter.conf.5"; do
	expect_true "installed: ${f#"$T/"}" test -f "$f"
done
expect_true "log folder created: prefix/var/log/porter" \
    test -d "$PREFIX/var/log/porter"
expect_eq "$(stat -c %a "$INIT" 2>/dev/null)" 755 "init script mode 755"

# the installed files name the prefix's paths, not placeholders
expect_eq "$(cat "$INIT" "$UNIT" 2>/dev/null | grep -c '@[a-z]*@')" 0 \
    "no @placeholders@ left in the init script and the unit"
expect_match "$(grep '^DAEMON=' "$INIT")" "^DAEMON=$PREFIX/sbin/porter\$" \
    "init script runs prefix/sbin/porter"
expect_match "$(grep '^CONFIG=' "$INIT")" "^CONFIG=$CONF\$" \
    "init script reads prefix/etc/porter/porter.conf"
expect_match "$(grep '^ExecStart=' "$UNIT")" \
    "^ExecStart=$PREFIX/sbin/porter -f -c $CONF\$" "unit runs porter -f -c CONF"
expect_match "$(grep '^pid_file' "$CONF")" \
    "^pid_file = \"$PREFIX/var/run/porter.pid\";" \
    "installed porter.conf: pid_file in runstatedir"
expect_match "$(grep '^error_log' "$CONF")" \
    "^error_log = \"$PREFIX/var/log/porter/error.log\";" \
    "installed porter.conf: error_log in localstatedir/log/porter"
expect_match "$(grep '^access_log' "$CONF")" \
    "^access_log = \"$PREFIX/var/log/porter/access.log\";" \
    "installed porter.conf: access_log in localstatedir/log/porter"
out=$("$PREFIX/sbin/porter" -t -c "$CONF" 2>&1)
expect_eq "$?" 0 "installed porter.conf passes porter -t" || diag "$out"

# ---- our configuration, in the installed path -------------------------------
backend_start b1
B1=$BPORT
backend_start b2
B2=$BPORT
P=$(free_port)
PIDFILE=$T/porter.pid
config() {	# BACKEND_PORT [EXTRA]
	cat >"$CONF" <<EOF
pid_file = "$PIDFILE";
error_log = "$T/error.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 4; };
$2
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$1"; } ); } );
EOF
}
config "$B1"
printf 'PIDFILE=%s\n' "$PIDFILE" >"$T/default"
export PORTER_DEFAULTS=$T/default

init() {	# ACTION: run the installed init script; sets rc and out
	out=$("$INIT" "$1" 2>&1)
	rc=$?
}
master() { tr -d ' \n' <"$PIDFILE" 2>/dev/null; }
body() { cu "http://127.0.0.1:$P/" 2>/dev/null; }
serves() { [ "$(body)" = "$1" ]; }
port_closed() { ! _port_open "$1"; }
reloads() { grep -ci 'reload' "$T/error.log" 2>/dev/null; }

# ---- start, status ------------------------------------------------------------
init start
expect_eq "$rc" 0 "start: exit 0" || diag "$out"
pid=$(master)
[ -n "$pid" ] && track "$pid"
expect_match "$pid" '^[0-9]+$' "start: the pid file appeared"
expect_true "start: pid $pid is a live porter" _alive "$pid"
expect_match "$(cat "/proc/$pid/comm" 2>/dev/null)" '^porter' \
    "start: the pid file names porter"
expect_match "$out" "started \\(pid $pid\\)" "start: says 'started (pid $pid)'"
expect_eq "$(body)" b1 "start: porter serves through the backend b1"

init start
expect_eq "$rc" 0 "start again: exit 0"
expect_match "$out" "already running" "start again: already running"
expect_eq "$(master)" "$pid" "start again: same master"

init status
expect_eq "$rc" 0 "status: exit 0 while running"
expect_match "$out" "is running \\(pid $pid\\)" "status: says running (pid $pid)"

init configtest
expect_eq "$rc" 0 "configtest: exit 0"
expect_match "$out" "configuration OK" "configtest: configuration OK"

# ---- reload ------------------------------------------------------------
config "$B2"
init reload
expect_eq "$rc" 0 "reload: exit 0" || diag "$out"
expect_true "reload: the new pool (backend b2) is served" wait_until 5 serves b2
expect_eq "$(master)" "$pid" "reload: same master"
expect_true "reload: master still alive" _alive "$pid"

cp "$CONF" "$T/good.conf"
config "$B1" "bogus_setting = 1;"
n0=$(reloads)
init reload
expect_ne "$rc" 0 "reload with a broken config: refused (exit $rc)"
expect_match "$out" "not reloading" "reload with a broken config: says it is not reloading"
expect_match "$out" "$CONF:[0-9]+: " "reload with a broken config: prints porter's FILE:LINE: message"
sleep 0.5
expect_eq "$(reloads)" "$n0" "reload with a broken config: the master was not signalled"
expect_eq "$(body)" b2 "reload with a broken config: the old config keeps serving"
expect_eq "$(master)" "$pid" "reload with a broken config: same master"

init force-reload
expect_ne "$rc" 0 "force-reload with a broken config: refused too"

init restart
expect_ne "$rc" 0 "restart with a broken config: refused (exit $rc)"
expect_true "restart with a broken config: the master still runs" _alive "$pid"
expect_eq "$(body)" b2 "restart with a broken config: still serving"

init configtest
expect_ne "$rc" 0 "configtest with a broken config: exit $rc"
expect_match "$out" "$CONF:[0-9]+: " "configtest: FILE:LINE: message"
cp "$T/good.conf" "$CONF"

# ---- restart, reopen ----------------------------------------------------------
init restart
expect_eq "$rc" 0 "restart: exit 0" || diag "$out"
new=$(master)
[ -n "$new" ] && track "$new"
expect_match "$new" '^[0-9]+$' "restart: a pid file again"
expect_ne "$new" "$pid" "restart: a new master"
expect_true "restart: the old master $pid is gone" _wait_gone 5 "$pid"
expect_true "restart: the new master $new serves" wait_until 5 serves b2
pid=$new

init reopen
expect_eq "$rc" 0 "reopen: exit 0" || diag "$out"
expect_true "reopen: still serving" wait_until 5 serves b2
expect_eq "$(master)" "$pid" "reopen: same master"

# ---- stop, status ---------------------------------------------------------------
kids=$(pgrep -P "$pid")
init stop
expect_eq "$rc" 0 "stop: exit 0" || diag "$out"
expect_true "stop: master $pid gone" _wait_gone 1 "$pid"
# shellcheck disable=SC2086
expect_true "stop: no worker left" _wait_gone 3 $kids
expect_true "stop: pid file removed" test ! -e "$PIDFILE"
expect_true "stop: port $P closed" port_closed "$P"

init status
expect_eq "$rc" 3 "status: exit 3 when stopped"
expect_match "$out" "not running" "status: says not running"

init stop
expect_eq "$rc" 0 "stop when stopped: exit 0"

init reload
expect_eq "$rc" 7 "reload when stopped: exit 7 (not running)"

# a pid file left by a dead master
sh -c 'exit 0' &
dead=$!
wait "$dead"
echo "$dead" >"$PIDFILE"
init status
expect_eq "$rc" 1 "status: exit 1 with a stale pid file"
rm -f "$PIDFILE"

# start fails when porter cannot bind: the port is taken (by b1)
config "$B2"
sed -i "s/127.0.0.1:$P\"/127.0.0.1:$B1\"/" "$CONF"
init start
expect_ne "$rc" 0 "start on a taken port: fails (exit $rc)"
init status
expect_eq "$rc" 3 "start on a taken port: status 3 afterwards"
[ -s "$PIDFILE" ] && track "$(master)"

# ---- a second make install keeps the edited config; uninstall ---------------------
cp "$CONF" "$T/edited.conf"
mk install
rc=$?
expect_eq "$rc" 0 "second make install: exit 0" ||
    diag "$(tail -n 30 "$T/make.out")"
expect_true "second make install: the edited porter.conf is kept" \
    cmp -s "$CONF" "$T/edited.conf"
expect_match "$(cat "$T/make.out")" "not replacing" \
    "second make install: says it keeps porter.conf"

mk uninstall
rc=$?
expect_eq "$rc" 0 "make uninstall: exit 0" || diag "$(tail -n 30 "$T/make.out")"
expect_true "make uninstall: the edited porter.conf stays" \
    cmp -s "$CONF" "$T/edited.conf"
left=$(cd "$PREFIX" && find . -type f ! -path ./etc/porter/porter.conf | sort)
expect_eq "$left" "" "make uninstall: nothing else is left"

expect_no_alerts
done_testing
