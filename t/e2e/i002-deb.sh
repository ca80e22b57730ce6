#!/bin/bash
# i002: the Debian package. "make deb" builds it (version from configure.ac,
# this machine's architecture, Depends from dpkg-shlibdeps); lintian finds
# no error or warning. It is installed with dpkg into a throw-away minimal
# Debian root (mmdebstrap, in the test's folder) where dpkg runs its
# maintainer scripts: the porter user and group, the log and cache folders,
# the boot links, the conffiles, the config's user. In that root the init
# script starts porter (its workers as porter), which serves a request from
# a backend on loopback and logs it; reload switches backends; the shipped
# logrotate file, as installed, rotates the logs and porter writes the next
# line to the new file (and it is no error once porter is stopped); stop;
# an edited porter.conf survives a reinstall; remove, then purge.
#
# As root (chroot, mount namespace). The root is made once per run, from
# the Debian mirror apt uses here (about 15 s); everything that mounts
# runs in a mount namespace of the test's own (unshare), so no mount is
# ever seen outside it and all go away with it. The root's policy-rc.d
# keeps dpkg from starting porter on the default config's fixed ports;
# the root shares this machine's network, so porter listens on free
# loopback ports only. Nothing on the host is started, stopped or changed.
#
# BUILDDIR: the build tree whose "make deb" is tested (default: the folder
# of $PORTER).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

BUILDDIR=${BUILDDIR:-$(dirname "$PORTER")}
R=$T/root
holder=
bg=

# run_bg FILE CMD...: CMD in the background, its output to FILE, waited
# for, so that a signal to the test is seen at once (bash runs a trap only
# after the foreground command ends); teardown stops it. (The redirection
# is CMD's: one on run_bg would also catch the trap's TAP lines.)
run_bg() {
	local st=0 out=$1
	shift
	"$@" >"$out" 2>&1 &
	bg=$!
	wait "$bg" || st=$?
	bg=
	return "$st"
}

# ---- teardown: before lib.sh removes $T -------------------------------------
# PIDs of the processes in the test's mount namespace but its holder:
# what was started in the root (porter). Not by /proc/PID/root: seen from
# outside the namespace, when the test itself runs in a chroot (as in
# t/fresh-debian), that link names the root from the namespace's own "/".
root_pids() {
	local p ns
	[ -n "$holder" ] || return 0
	ns=$(readlink "/proc/$holder/ns/mnt" 2>/dev/null) || return 0
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = "$holder" ] && continue
		[ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$ns" ] && echo "${p#/proc/}"
	done
	return 0
}
# whether PID runs chrooted in $R (its root link ends with $R: see above)
in_root() {
	local r
	r=$(readlink "/proc/$1/root" 2>/dev/null) || return 1
	[ "${r%"$R"}" != "$r" ] &&
	    [ "$(readlink "/proc/$1/ns/mnt")" = "$(readlink "/proc/$holder/ns/mnt")" ]
}
# mount points at or below $T as this (the host's) namespace sees them
host_mounts() {
	awk -v t="$T" '$5 == t || index($5, t "/") == 1 { print $5 }' /proc/self/mountinfo
}
teardown() {
	local pids m
	# make deb or mmdebstrap, cut short: timeout passes TERM to its group
	[ -n "$bg" ] && _stop_pids "$bg"
	mapfile -t pids < <(root_pids)
	if [ ${#pids[@]} -gt 0 ]; then
		kill -TERM "${pids[@]}" 2>/dev/null
		_wait_gone 5 "${pids[@]}" || kill -KILL "${pids[@]}" 2>/dev/null
		_wait_gone 2 "${pids[@]}"
	fi
	# the namespace, and with it every mount in it, ends with its holder
	[ -n "$holder" ] && _stop_pids "$holder"
	# never expected: mmdebstrap and mount ran in that namespace
	for m in $(host_mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null
	done
	if [ -n "$(host_mounts)" ]; then
		diag "still mounted below $T: $(host_mounts | tr '\n' ' '); keeping it"
		KEEP=1
	fi
}
# a signal now would leave the root behind: teardown is bounded (seconds)
trap '_rc=$?; trap "" TERM INT HUP; teardown; (exit $_rc); _cleanup' EXIT

if [ "$(id -u)" != 0 ]; then
	not_ok "running as root" "i002 needs root: chroot, mount namespaces, dpkg in the root"
	done_testing
fi
for tool in dpkg-deb dpkg-shlibdeps lintian mmdebstrap unshare nsenter chroot; do
	command -v "$tool" >/dev/null 2>&1 ||
	    not_ok "$tool is installed" "./quickstart test installs it (quickstart's test_pkgs)"
done
[ "$(cat "$T/.tap_fail")" = 0 ] || done_testing
if [ ! -f "$BUILDDIR/Makefile" ]; then
	not_ok "a build tree to run make deb in" "no Makefile in BUILDDIR=$BUILDDIR"
	done_testing
fi

# ---- make deb -------------------------------------------------------------------
version=$(sed -n 's/^AC_INIT(\[porter\], \[\([^]]*\)\].*/\1/p' "$top/configure.ac")
arch=$(dpkg --print-architecture)
DEB=$T/out/porter_${version}-1_$arch.deb
# A "make check" above us exports its own flags and jobserver: not ours.
# The build, lintian and mmdebstrap run niced: the tests beside this one
# measure time.
run_bg "$T/make.out" timeout -k 10 600 env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
    -u MAKEOVERRIDES nice -n 10 "${MAKE:-make}" -C "$BUILDDIR" deb \
    DEB_WORKDIR="$T/deb" DEB_OUTDIR="$T/out"
rc=$?
expect_eq "$rc" 0 "make deb: exit 0" || diag "$(tail -n 30 "$T/make.out")"
expect_true "make deb wrote out/porter_${version}-1_$arch.deb" test -s "$DEB"
[ -s "$DEB" ] || done_testing

field() { dpkg-deb -f "$DEB" "$1"; }
expect_eq "$(field Package)" porter "Package: porter"
expect_eq "$(field Version)" "$version-1" "Version: $version-1 (configure.ac's, revision 1)"
expect_eq "$(field Architecture)" "$arch" "Architecture: $arch (dpkg --print-architecture)"
depends=$(field Depends)
expect_match "$depends" '(^|, )libc6 \(>= [0-9.]+\)' "Depends: libc6 with a version (dpkg-shlibdeps)"
expect_match "$depends" '(^|, )libconfig9' "Depends: libconfig9"
expect_match "$depends" '(^|, )adduser(,|$)' "Depends: adduser (the postinst)"
diag "Depends: $depends" "Pre-Depends: $(field Pre-Depends)"
dpkg-deb -c "$DEB" | awk '{ print $1, $2, $6 }' | sed 's| \./| /|' >"$T/contents"
for f in /usr/sbin/porter /etc/porter/porter.conf /etc/init.d/porter \
    /etc/logrotate.d/porter /lib/systemd/system/porter.service \
    /usr/share/man/man8/porter.8.gz /usr/share/man/man5/porter.conf.5.gz \
    /usr/share/doc/porter/copyright /usr/share/doc/porter/changelog.Debian.gz \
    /var/log/porter/ /var/cache/porter/; do
	expect_true "the package has $f" grep -q " $f\$" "$T/contents"
done
expect_eq "$(awk '$2 != "root/root"' "$T/contents")" "" "every file is root/root"
expect_eq "$(grep -c ' /run' "$T/contents")" 0 "nothing in /run (a tmpfs)"
dpkg-deb -e "$DEB" "$T/control"
expect_eq "$(sort "$T/control/conffiles" | tr '\n' ' ')" \
    "/etc/init.d/porter /etc/logrotate.d/porter /etc/porter/porter.conf " \
    "conffiles: the init script, the logrotate file, porter.conf"

# ---- lintian ------------------------------------------------------------------
# (as root it warns that it runs as root, on stderr)
nice -n 10 lintian --fail-on error,warning --display-info "$DEB" >"$T/lintian.out" 2>"$T/lintian.err"
rc=$?
expect_eq "$rc" 0 "lintian: no error, no warning" ||
    diag "$(cat "$T/lintian.out" "$T/lintian.err")"
[ -s "$T/lintian.out" ] && diag "lintian (info):" "$(cat "$T/lintian.out")"
expect_eq "$(grep -c '^[EW]:' "$T/lintian.out")" 0 "lintian printed no E: or W: tag"

# ---- a minimal Debian root -----------------------------------------------------
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
mirror=$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' \
    'Created-By: Packages' 2>/dev/null | awk -v s="$suite" '$2 == s { print $1; exit }')
mirror=${mirror:-http://deb.debian.org/debian}
# the package's dependencies, so that dpkg -i finds them (and their
# versions) in the root; logrotate for the shipped logrotate file
deps=$(field Depends | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/[[:space:]]//g' |
    grep . | paste -sd, -)
expect_match "$suite" '^[a-z]+$' "this machine's Debian suite: $suite"
# apt's own settings here that mmdebstrap (which reads none of them) needs
# too: a proxy, no date checks (a clock or a mirror snapshot off the
# Release file's dates)
aptopts=()
while IFS= read -r o; do
	aptopts+=("--aptopt=$o")
done < <(apt-config dump 2>/dev/null |
    grep -E '^Acquire::(Check-Valid-Until|Check-Date|https?::Proxy) ')
diag "mmdebstrap --variant=minbase $suite $mirror, with $deps,logrotate ${aptopts[*]}"

# The mount namespace: a holder process keeps it, everything that mounts
# runs in it. Bounded: the holder ends by itself after 15 minutes.
unshare --mount --propagation private -- sleep 900 &
holder=$!
track "$holder"
own_ns() { [ "$(readlink "/proc/$holder/ns/mnt")" != "$(readlink /proc/self/ns/mnt)" ]; }
expect_true "a mount namespace of the test's own" wait_until 5 own_ns
# -r -w: the holder's root and folder too, or a test run inside a chroot
# (t/fresh-debian) would find itself at the namespace's real root
inns() { nsenter -t "$holder" -m -r -w -- "$@"; }

t0=$(now)
run_bg "$T/mmdebstrap.log" timeout -k 10 600 nsenter -t "$holder" -m -r -w -- \
    nice -n 10 mmdebstrap --quiet --variant=minbase --mode=root \
    --include="$deps,logrotate" "${aptopts[@]}" "$suite" "$R" "$mirror"
rc=$?
expect_eq "$rc" 0 "mmdebstrap made a minimal $suite root" ||
    diag "$(tail -n 20 "$T/mmdebstrap.log")"
diag "the root took $(since "$t0") s"
[ -x "$R/bin/sh" ] || done_testing

# /proc for porter and its init script; /run stays the root's own folder,
# which the test reads from outside the namespace
inns mount -t proc proc "$R/proc"
# dpkg asks policy-rc.d before a maintainer script starts a service
printf '#!/bin/sh\n# i002: porter is started by the test, not by dpkg\nexit 101\n' \
    >"$R/usr/sbin/policy-rc.d"
chmod 755 "$R/usr/sbin/policy-rc.d"
cp "$DEB" "$R/tmp/porter.deb"

# inroot CMD...: run CMD in the root, with a clean environment, bounded;
# sets rc and out (stdout and stderr)
inroot() {
	out=$(timeout -k 5 120 nsenter -t "$holder" -m -r -w -- chroot "$R" \
	    /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
	    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
	    "$@" </dev/null 2>&1)
	rc=$?
}

# ---- dpkg -i -------------------------------------------------------------------
inroot dpkg -i /tmp/porter.deb
expect_eq "$rc" 0 "dpkg -i porter.deb in the root: exit 0" || diag "$out"
expect_match "$out" 'Setting up porter' "dpkg configured porter"
expect_match "$out" 'policy-rc.d denied execution of start' \
    "the postinst asked to start porter (denied by the root's policy-rc.d)"
inroot dpkg-query -W -f '${Status}' porter
expect_eq "$out" "install ok installed" "dpkg-query: install ok installed"

inroot getent passwd porter
IFS=: read -r _ _ puid pgid _ phome pshell <<<"$out"
expect_match "$puid" '^[0-9]+$' "postinst made the porter user"
expect_le "${puid:-99999}" 999 "porter is a system user (uid $puid)"
expect_eq "$phome:$pshell" "/nonexistent:/usr/sbin/nologin" "porter: no home, no login shell"
inroot getent group porter
expect_eq "$(cut -d: -f3 <<<"$out")" "$pgid" "group porter is porter's primary group"
# names as the root's passwd and group files give them
inroot stat -c '%U:%G %a' /var/log/porter
expect_eq "$out" "root:adm 2750" \
    "/var/log/porter: root:adm 2750 (the master opens the logs as root)"
inroot stat -c '%U:%G %a' /var/cache/porter
expect_eq "$out" "porter:porter 750" "/var/cache/porter: porter:porter 750"
exists() { compgen -G "$1" >/dev/null; }
expect_true "update-rc.d: /etc/rc2.d/S*porter" exists "$R/etc/rc2.d/S*porter"
expect_true "update-rc.d: /etc/rc0.d/K*porter" exists "$R/etc/rc0.d/K*porter"
expect_eq "$(readlink "$R/etc/systemd/system/multi-user.target.wants/porter.service")" \
    /lib/systemd/system/porter.service "deb-systemd-helper enabled porter.service"
inroot dpkg-query -W -f '${Conffiles}' porter
expect_eq "$(awk 'NF { print $1 }' <<<"$out" | sort | tr '\n' ' ')" \
    "/etc/init.d/porter /etc/logrotate.d/porter /etc/porter/porter.conf " \
    "dpkg knows the three conffiles"
CONF=$R/etc/porter/porter.conf
expect_eq "$(grep -E '^(user|group)[[:space:]]*=' "$CONF" | sed 's/;.*/;/' | tr '\n' ' ')" \
    'user = "porter"; group = "porter"; ' "the installed porter.conf runs workers as porter"
for v in pid_file error_log access_log; do
	expect_match "$(grep "^$v" "$CONF")" "^$v = \"/(run|var/log/porter)/" \
	    "the installed porter.conf: $v at a system path"
done
inroot porter -t -c /etc/porter/porter.conf
expect_eq "$rc" 0 "porter -t on the installed porter.conf" || diag "$out"
inroot porter -v
expect_eq "$out" "porter $version" "porter -v: porter $version"
expect_eq "$(grep -c '@[a-z]*@' "$R/etc/init.d/porter" "$R/etc/logrotate.d/porter" \
    "$R/lib/systemd/system/porter.service" | awk -F: '{ s += $2 } END { print s }')" 0 \
    "no @placeholders@ left in the init script, logrotate file and unit"

# ---- the init script --------------------------------------------------------------
backend_start b1
B1=$BPORT
backend_start b2
B2=$BPORT
P=$(free_port)
# the installed config's own pid_file, logs, user and group, our listener
grep -E '^(pid_file|error_log|access_log|user|group)[[:space:]]*=' "$CONF" >"$T/head.conf"
config() {	# BACKEND_PORT
	{
		cat "$T/head.conf"
		cat <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 4; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$1"; } ); } );
EOF
	} >"$CONF"
}
config "$B1"
cp "$CONF" "$T/edited.conf"
master() { tr -d ' \n' <"$R/run/porter.pid" 2>/dev/null; }
body() { cu "http://127.0.0.1:$P/$1" 2>/dev/null; }
serves() { [ "$(body "$2")" = "$1" ]; }
has() { grep -a -q -- "$2" "$1" 2>/dev/null; }
AL=$R/var/log/porter/access.log

inroot /etc/init.d/porter start
expect_eq "$rc" 0 "init.d/porter start: exit 0" || diag "$out"
pid=$(master)
[ -n "$pid" ] && track "$pid"
expect_match "$pid" '^[0-9]+$' "start: /run/porter.pid in the root"
expect_true "start: the master runs in the root" in_root "${pid:-0}"
expect_match " $(root_pids | tr '\n' ' ')" " ${pid:-x} " \
    "start: the master is among the processes in the test's namespace"
expect_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" 0 \
    "start: the master runs as root"
workers_ge() { [ -n "$pid" ] && [ "$(pgrep -P "$pid" -c -x porter)" -ge "$1" ]; }
expect_true "start: 2 workers" wait_until 10 workers_ge 2
w=$([ -n "$pid" ] && pgrep -P "$pid" -x porter | head -n 1)
expect_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$w/status" 2>/dev/null)" "$puid" \
    "start: a worker runs as porter (uid $puid)"
expect_true "start: porter serves the backend b1" wait_until 5 serves b1 first
expect_true "start: the request is in /var/log/porter/access.log" \
    wait_until 3 has "$AL" "GET /first "
inroot stat -c '%U:%G' /var/log/porter/access.log
expect_eq "$out" root:adm "access.log: made by the master, group adm (the folder's setgid)"
expect_true "start: error.log in /var/log/porter" test -s "$R/var/log/porter/error.log"
inroot /etc/init.d/porter status
expect_eq "$rc" 0 "init.d/porter status: 0 (running)"

config "$B2"
inroot /etc/init.d/porter reload
expect_eq "$rc" 0 "init.d/porter reload: exit 0" || diag "$out"
expect_true "reload: the backend b2 is served" wait_until 5 serves b2
expect_eq "$(master)" "$pid" "reload: same master"

# ---- the shipped logrotate file, as installed -------------------------------------
LR=(logrotate -f -s /var/lib/logrotate/status /etc/logrotate.d/porter)
inroot "${LR[@]}"
expect_eq "$rc" 0 "logrotate -f /etc/logrotate.d/porter: exit 0" || diag "$out"
expect_true "logrotate: access.log.1 holds the lines from before" has "$AL.1" "GET /first "
expect_true "logrotate: porter reopened, a new request lands in a new access.log" \
    eval 'serves b2 after-1 && wait_until 3 has "$AL" "GET /after-1 "'
expect_true "logrotate: not in access.log.1" eval '! has "$AL.1" "GET /after-1 "'
expect_eq "$(master)" "$pid" "logrotate: same master"
inroot "${LR[@]}"
expect_eq "$rc" 0 "logrotate -f again: exit 0" || diag "$out"
expect_true "compress, delaycompress: access.log.2.gz and access.log.1" \
    test -s "$AL.2.gz" -a -s "$AL.1"
expect_true "access.log.2.gz is the first one, gzipped" \
    eval 'gzip -dc "$AL.2.gz" | grep -q "GET /first "'
expect_true "after a second rotation too: a new request in the new access.log" \
    eval 'serves b2 after-2 && wait_until 3 has "$AL" "GET /after-2 "'

# ---- stop ------------------------------------------------------------------------
kids=$([ -n "$pid" ] && pgrep -P "$pid")
inroot /etc/init.d/porter stop
expect_eq "$rc" 0 "init.d/porter stop: exit 0" || diag "$out"
expect_true "stop: the master is gone" _wait_gone 2 "${pid:-0}"
# shellcheck disable=SC2086
expect_true "stop: no worker left" _wait_gone 3 $kids
expect_eq "$(root_pids | tr '\n' ' ')" "" "stop: nothing runs in the root"
expect_true "stop: /run/porter.pid removed" test ! -e "$R/run/porter.pid"
expect_true "stop: port $P closed" eval '! _port_open "$P"'
inroot /etc/init.d/porter status
expect_eq "$rc" 3 "init.d/porter status: 3 (not running)"
inroot "${LR[@]}"
expect_eq "$rc" 0 "logrotate -f with porter stopped: exit 0 (nothing to reopen)" ||
    diag "$out"
expect_true "... and it did rotate: access.log.1 has the last request" \
    has "$AL.1" "GET /after-2 "

# ---- reinstall, remove, purge ----------------------------------------------------
config "$B1"
cp "$CONF" "$T/edited.conf"
inroot dpkg -i /tmp/porter.deb
expect_eq "$rc" 0 "dpkg -i again (reinstall): exit 0" || diag "$out"
expect_true "reinstall: the edited porter.conf is kept" cmp -s "$CONF" "$T/edited.conf"
expect_eq "$(root_pids | tr '\n' ' ')" "" "reinstall: nothing started (policy-rc.d)"

inroot dpkg -r porter
expect_eq "$rc" 0 "dpkg -r porter: exit 0" || diag "$out"
expect_true "remove: /usr/sbin/porter gone" test ! -e "$R/usr/sbin/porter"
expect_true "remove: the conffiles stay" \
    test -f "$CONF" -a -f "$R/etc/init.d/porter" -a -f "$R/etc/logrotate.d/porter"
inroot "${LR[@]}"
expect_eq "$rc" 0 "logrotate -f after remove (not purged): exit 0" || diag "$out"

inroot dpkg --purge porter
expect_eq "$rc" 0 "dpkg --purge porter: exit 0" || diag "$out"
for f in /etc/porter /etc/init.d/porter /etc/logrotate.d/porter /var/log/porter \
    /var/cache/porter /etc/systemd/system/multi-user.target.wants/porter.service; do
	expect_true "purge: $f gone" test ! -e "$R$f" -a ! -L "$R$f"
done
expect_eq "$(cd "$R/etc" && ls rc?.d | grep -c porter)" 0 "purge: no rc?.d link left"
inroot dpkg-query -W -f '${Status}' porter
expect_nomatch "$out" 'installed' "purge: dpkg no longer knows porter"
inroot getent passwd porter
expect_eq "$rc" 0 "purge: the porter user stays (Debian leaves system users)"

done_testing
