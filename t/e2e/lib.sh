# lib.sh: helpers for porter's end-to-end tests (bash). Each test does
#     . "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
# and prints TAP on stdout: "ok N - what" / "not ok N - what" plus
# "# expected ... / # got ..." lines, and the plan "1..N" at the end.
#
# Environment
#   srcdir   top of the source tree (default: two folders above this file)
#   PORTER   binary under test (default: $top/build/porter)
#   PYTHON   python3 to run the helpers with (default: python3)
#   KEEP=1   keep the temp dir (its path is printed as a diagnostic)
#
# Set for the test
#   top      absolute path of the source tree
#   T        private temp dir, removed at exit
#
# Processes (everything started here is stopped at exit: TERM, then KILL
# after 5 s; a tracked process's children, e.g. porter's workers, too)
#   free_port                 print a free loopback TCP port
#   backend_start NAME [ARGS] start backend.py named NAME on a free port and
#                             wait until it answers; sets BPORT (and
#                             PORT_NAME, NAME being [A-Za-z0-9_]); it logs
#                             one JSON line per request to
#                             "$(backend_log NAME)"
#   backend_start_at NAME ADDR PORT [ARGS]  the same on ADDR (127.0.0.2,
#                             ::1, ...) and a given PORT (no retry: it bails
#                             out when that port is taken); sets BPORT,
#                             PORT_NAME and ADDR_NAME. Two backends may
#                             share a port on two addresses
#   backend_url NAME          http://ADDR:PORT of NAME ([ADDR] for IPv6)
#   backend_log NAME          path of NAME's request log
#   backend_reqs NAME         how many requests NAME has received so far
#   backend_stat NAME KEY     "connections" or "requests" from NAME's /stats
#                             (asked directly: that request counts too)
#   backend_stop NAME         stop it (TERM, bounded wait)
#   porter_start [-x]         config body on stdin (a here-doc or < <(cmd),
#                             never a pipe: it must run in the test's own
#                             shell). Prepends pid_file = "$T/porter.pid" and
#                             error_log = "$T/error.log" unless the body sets
#                             them, writes $T/porter.conf, runs
#                             "$PORTER -f -c $T/porter.conf" (stdout and
#                             stderr to $T/porter.out) and waits up to 10 s
#                             until every listen port accepts. If not: a
#                             failed assertion with the config and log tails,
#                             and the test ends (with -x: returns 1 instead)
#   PORTER_HOSTS=FILE porter_start ...
#                             the same, but porter runs in a mount namespace
#                             of its own where FILE is /etc/hosts and host
#                             names come from that file only (nsswitch
#                             "hosts: files": no DNS, no mDNS), so the
#                             host's /etc/hosts is never touched:
#                               unshare --mount --propagation private --
#                               sh -c 'mount --bind ... && exec "$@"' ...
#                               "$PORTER" -f -c $T/porter.conf
#                             (unshare and sh exec, so porter_pid is still
#                             the master). PORTER_BINDS="SRC=DST ..." binds
#                             more files there (e.g. a gai.conf); no spaces
#                             in the paths. Needs root (CAP_SYS_ADMIN).
#                             Rewrite FILE in place (hosts_write, or
#                             printf >FILE), never by rename: the namespace
#                             sees the inode it bound
#   hosts_write FILE          write stdin to FILE in place (same inode), in
#                             one write, mode 644
#   ns_run FILE CMD...        run CMD in such a namespace of its own (FILE
#                             as /etc/hosts, PORTER_BINDS too), e.g.
#                               ns_run "$T/hosts" "$PORTER" -t -c CONF
#   in_porter_ns CMD...       run CMD in the running porter's mount
#                             namespace (nsenter -t PID -m -r -w), e.g.
#                               in_porter_ns getent ahosts localhost
#   need_mount_ns             "Bail out!" unless namespaces can be made here
#   porter_pid                the master's PID
#   porter_workers            the worker PIDs (children of the master but
#                             the health checker, the waiter and the cache
#                             keeper)
#   porter_checker            the health checker's PID (the child named
#                             porter-checker), or nothing
#   porter_waiter             the waiter's PID (the child named
#                             porter-waiter), or nothing
#   porter_keeper             the cache keeper's PID (the child named
#                             porter-keeper), or nothing
#   wait_workers N [SECS]     wait (default 10 s) until there are N workers
#   porter_stop [SIG]         send SIG (default TERM), wait up to 10 s, and
#                             assert exit status 0 and no worker left
#   porter_log                path of the error log ($T/error.log)
#   track PID                 stop PID at exit too (e.g. a background curl)
#   conn_owner PORT PID...    print which PID has a TCP connection to
#                             127.0.0.1:PORT (from /proc), or nothing
#
# Clients
#   cu ARGS                   curl -sS, no proxy, no curlrc, --max-time
#                             ${CURL_MAX_TIME:-10}
#   rawhttp ARGS              t/e2e/rawhttp.py (see its --help)
#   gen_sha N                 sha256 of the N bytes that /big, /chunked and
#                             /close serve
#   sha_of FILE               sha256 of FILE
#   hval NAME TEXT            value of the first NAME field (any case) in
#                             the message head TEXT, CRs removed
#   hcount NAME TEXT          how many NAME fields TEXT has
#   first_line TEXT           its first line, CR removed
#   now                       seconds since the epoch, with decimals
#   since T0                  seconds elapsed since T0 (from now)
#   wait_until SECS CMD...    run CMD every 0.1 s until it succeeds (0) or
#                             SECS pass (1)
#
# Assertions (each prints one TAP line; call them in the test's own shell,
# not in $(...): numbering lives in a file but output there is lost)
#   ok DESC / not_ok DESC [DIAG...]
#   expect_true DESC CMD...   CMD succeeds
#   expect_eq GOT WANT [DESC]
#   expect_ne GOT UNWANTED [DESC]
#   expect_match GOT REGEX [DESC]     bash ERE, =~
#   expect_nomatch GOT REGEX [DESC]
#   expect_le A B [DESC] / expect_ge A B [DESC]    numbers, decimals allowed
#   expect_status URL CODE [CURL ARGS...]
#   expect_no_alerts          no "[alert]", sanitizer report or UBSan
#                             "runtime error:" in the error log or porter.out
#   diag MSG                  "# MSG"
#   done_testing              print the plan; exit 1 if anything failed

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
if [ -n "${srcdir:-}" ] && [ -d "$srcdir" ]; then
	top=$(cd "$srcdir" && pwd)
fi
PORTER=${PORTER:-$top/build/porter}
case $PORTER in /*) ;; *) PORTER=$(pwd)/$PORTER ;; esac
PYTHON=${PYTHON:-python3}
E2E=$top/t/e2e

for _tool in curl "$PYTHON" sha256sum pgrep od awk; do
	command -v "$_tool" >/dev/null 2>&1 || {
		echo "Bail out! the e2e tests need $_tool"
		exit 1
	}
done
# the interpreter itself, not a version-manager shim (each start counts)
PYTHON=$("$PYTHON" -c 'import sys; print(sys.executable)') || {
	echo "Bail out! $PYTHON does not run"
	exit 1
}

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY \
    no_proxy NO_PROXY
export LC_ALL=C

T=$(mktemp -d "${TMPDIR:-/tmp}/porter-e2e.XXXXXX") || {
	echo "Bail out! mktemp failed"
	exit 1
}
echo 0 >"$T/.tap_n"
echo 0 >"$T/.tap_fail"
: >"$T/.pids"
_planned=0
_porter_pid=
_porter_conf=

# ---- TAP ---------------------------------------------------------------

diag() {	# each argument on its own line(s), "# " in front
	local a l
	for a in "$@"; do
		printf '%s\n' "$a" | while IFS= read -r l; do printf '# %s\n' "$l"; done
	done
}

_tap() {	# STATUS DESC
	local n
	n=$(($(cat "$T/.tap_n") + 1))
	echo "$n" >"$T/.tap_n"
	if [ "$1" = ok ]; then
		printf 'ok %d - %s\n' "$n" "$2"
	else
		printf 'not ok %d - %s\n' "$n" "$2"
		echo $(($(cat "$T/.tap_fail") + 1)) >"$T/.tap_fail"
	fi
}

ok() { _tap ok "$1"; }

not_ok() {
	local desc=$1
	shift
	_tap fail "$desc"
	[ $# -gt 0 ] && diag "$@"
	return 1
}

_show() {	# a value, made readable and bounded for a diagnostic
	local v=$1
	if [ ${#v} -gt 600 ]; then
		v="${v:0:600}... (${#1} chars)"
	fi
	printf '%s' "$v" | cat -v
}

expect_true() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc" "command failed: $*"; fi
}

expect_eq() {
	local desc=${3:-"'$(_show "$2")'"}
	if [ "$1" = "$2" ]; then
		ok "$desc"
	else
		not_ok "$desc" "expected: '$(_show "$2")'" "got:      '$(_show "$1")'"
	fi
}

expect_ne() {
	local desc=${3:-"not '$(_show "$2")'"}
	if [ "$1" != "$2" ]; then
		ok "$desc"
	else
		not_ok "$desc" "expected anything but: '$(_show "$2")'"
	fi
}

expect_match() {
	local desc=${3:-"matches /$2/"}
	if [[ $1 =~ $2 ]]; then
		ok "$desc"
	else
		not_ok "$desc" "expected to match: /$2/" "got: '$(_show "$1")'"
	fi
}

expect_nomatch() {
	local desc=${3:-"does not match /$2/"}
	if [[ $1 =~ $2 ]]; then
		not_ok "$desc" "expected not to match: /$2/" \
		    "got: '$(_show "$1")'"
	else
		ok "$desc"
	fi
}

_num_le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0 && a != "") }'; }

expect_le() {
	local desc=${3:-"$1 <= $2"}
	if _num_le "$1" "$2"; then ok "$desc"; else
		not_ok "$desc" "expected <= $2" "got: '$(_show "$1")'"; fi
}

expect_ge() {
	local desc=${3:-"$1 >= $2"}
	if [ -n "$1" ] && _num_le "$2" "$1"; then ok "$desc"; else
		not_ok "$desc" "expected >= $2" "got: '$(_show "$1")'"; fi
}

expect_status() {
	local url=$1 code=$2 got desc
	shift 2
	got=$(cu -o /dev/null -w '%{http_code}' "$@" "$url")
	desc="${*:+$* }$url"
	[ ${#desc} -gt 100 ] && desc="${desc:0:97}..."
	expect_eq "$got" "$code" "$desc -> $code"
}

expect_no_alerts() {
	local bad
	bad=$(grep -h -a -E '\[alert\]|AddressSanitizer|LeakSanitizer|ThreadSanitizer|MemorySanitizer|runtime error:' \
	    "$T/error.log" "$T/porter.out" 2>/dev/null | head -20)
	if [ -z "$bad" ]; then
		ok "no alerts or sanitizer reports in the logs"
	else
		not_ok "no alerts or sanitizer reports in the logs" "$bad"
	fi
}

done_testing() {
	local n f
	n=$(cat "$T/.tap_n")
	f=$(cat "$T/.tap_fail")
	if [ "$_planned" = 0 ]; then
		_planned=1
		echo "1..$n"
	fi
	[ "$f" = 0 ] && [ "$n" -gt 0 ]
	exit $?
}

# ---- time, waiting ------------------------------------------------------

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'; }

wait_until() {
	local secs=$1 t0
	shift
	t0=$(now)
	while :; do
		"$@" && return 0
		_num_le "$secs" "$(since "$t0")" && return 1
		sleep 0.1
	done
}

# ---- processes ----------------------------------------------------------

track() { echo "$1" >>"$T/.pids"; }

_alive() {	# PID: exists and is not a zombie
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -c1)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

_wait_gone() {	# SECS PID...: 0 when none is alive
	local secs=$1 p t0
	shift
	t0=$(now)
	while :; do
		local any=0
		for p in "$@"; do _alive "$p" && any=1; done
		[ $any = 0 ] && return 0
		_num_le "$secs" "$(since "$t0")" && return 1
		sleep 0.05
	done
}

_stop_pids() {	# PID...: TERM, 5 s, KILL
	local p left=()
	for p in "$@"; do
		if _alive "$p"; then kill -TERM "$p" 2>/dev/null; left+=("$p"); fi
	done
	[ ${#left[@]} = 0 ] && return 0
	_wait_gone 5 "${left[@]}" && return 0
	for p in "${left[@]}"; do
		_alive "$p" && kill -KILL "$p" 2>/dev/null
	done
	_wait_gone 2 "${left[@]}"
}

_cleanup() {
	local rc=$? p pids=() kids=()
	if [ -s "$T/.pids" ]; then
		while read -r p; do
			[ -n "$p" ] || continue
			pids+=("$p")
			kids+=($(pgrep -P "$p" 2>/dev/null))
		done <"$T/.pids"
		# the tracked processes first (porter's master stops its workers),
		# then whatever of their children is left
		_stop_pids "${pids[@]}"
		[ ${#kids[@]} -gt 0 ] && _stop_pids "${kids[@]}"
	fi
	if [ "$_planned" = 0 ]; then
		_planned=1
		echo "1..$(cat "$T/.tap_n")"
	fi
	if [ "$(cat "$T/.tap_fail" 2>/dev/null)" != 0 ] && [ -s "$T/error.log" ]; then
		diag "last lines of the error log:"
		diag "$(tail -n 25 "$T/error.log")"
	fi
	if [ "$(cat "$T/.tap_fail" 2>/dev/null)" != 0 ] && [ -s "$T/porter.out" ]; then
		diag "last lines of porter's stdout/stderr:"
		diag "$(tail -n 25 "$T/porter.out")"
	fi
	if [ -s "$T/.ports" ]; then
		while read -r p; do
			rmdir "${TMPDIR:-/tmp}/porter-e2e-port.$p" 2>/dev/null
		done <"$T/.ports"
	fi
	if [ "${KEEP:-0}" = 1 ]; then
		diag "kept $T"
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap _cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# A port is reserved by the test that picked it (a directory
# ${TMPDIR:-/tmp}/porter-e2e-port.N, listed in $T/.ports and removed at
# exit): tests run in parallel, and between the pick and the bind another
# test's pick must not land on the same port.
free_port() {
	T="$T" "$PYTHON" - <<'EOF'
import os, random, socket
# below the kernel's ephemeral range, so that no client socket takes it
lo = 32768
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except Exception:
    pass
lo = max(lo, 2048)
# never the bundled config's fixed ports: q001 runs ./quickstart on them
fixed = (3128, 8080, 8081, 9001, 9002)
tmp = os.environ.get("TMPDIR") or "/tmp"
def reserve(p):
    try:
        os.mkdir(os.path.join(tmp, "porter-e2e-port.%d" % p))
    except OSError:
        return False
    with open(os.path.join(os.environ["T"], ".ports"), "a") as f:
        f.write("%d\n" % p)
    return True
for _ in range(500):
    p = random.randrange(1024 + (lo - 1024) // 4, lo)
    if p in fixed:
        continue
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        s.close()
    if not reserve(p):
        continue
    print(p)
    break
else:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
    s.close()
EOF
}

_port_open() { (exec 3<>"/dev/tcp/${2:-127.0.0.1}/$1") 2>/dev/null; }
# "HOST:PORT" from a listen setting -> "PORT ADDR" to connect to
_listen_target() {
	local host=${1%:*} port=${1##*:}
	case $host in
	"*"|"") host=127.0.0.1 ;;
	"[::]") host=::1 ;;
	\[*\]) host=${host#[}; host=${host%]} ;;
	esac
	printf '%s %s\n' "$port" "$host"
}

backend_log() { echo "$T/backend-$1.log"; }

backend_reqs() {
	local f
	f=$(backend_log "$1")
	if [ -f "$f" ]; then wc -l <"$f" | tr -d ' '; else echo 0; fi
}

backend_url() {
	local addr port
	eval "addr=\${ADDR_$1:-127.0.0.1} port=\${PORT_$1:-}"
	case $addr in *:*) addr="[$addr]" ;; esac
	echo "http://$addr:$port"
}

backend_stat() {
	cu -g "$(backend_url "$1")/stats" |
	    "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$2"
}

# NAME ADDR PORT [ARGS]: start backend.py there; 0 once it answers
_backend_spawn() {
	local name=$1 addr=$2 port=$3 pid
	shift 3
	rm -f "$T/backend-$name.pid"
	"$PYTHON" "$E2E/backend.py" --port "$port" --bind "$addr" --name "$name" \
	    --log "$T/backend-$name.log" --pidfile "$T/backend-$name.pid" \
	    "$@" >>"$T/backend-$name.out" 2>&1 &
	pid=$!
	track "$pid"
	wait_until 10 _backend_up "$pid" "$port" "$name" "$addr"
	if _alive "$pid" && _port_open "$port" "$addr"; then
		BPORT=$port
		eval "PORT_$name=\$port ADDR_$name=\$addr _bpid_$name=\$pid"
		return 0
	fi
	_stop_pids "$pid"
	return 1
}

backend_start() {
	local name=$1 try
	shift
	for try in 1 2 3 4 5; do
		_backend_spawn "$name" 127.0.0.1 "$(free_port)" "$@" && return 0
	done
	echo "Bail out! backend $name did not start: $(tail -n 5 "$T/backend-$name.out")"
	exit 1
}

backend_start_at() {	# NAME ADDR PORT [ARGS]
	local name=$1
	_backend_spawn "$@" && return 0
	echo "Bail out! backend $name did not start on $2 port $3: $(tail -n 5 "$T/backend-$name.out")"
	exit 1
}

_backend_up() {	# PID PORT NAME [ADDR]
	_alive "$1" || return 0		# died (port taken?): stop waiting
	[ -s "$T/backend-$3.pid" ] && _port_open "$2" "${4:-127.0.0.1}"
}

backend_stop() {
	local pid
	eval "pid=\${_bpid_$1:-}"
	[ -n "$pid" ] && _stop_pids "$pid"
}

# ---- a mount namespace with a hosts file of the test's own -----------------

# Run by sh -c in the new namespace: $0 is "SRC=DST ..." (split on spaces),
# the command follows. mount and exec keep the PID: unshare execs sh, sh
# execs the command.
_NS_SH='for b in $0; do mount --bind "${b%%=*}" "${b#*=}" || exit 126; done; exec "$@"'

_ns_binds() {	# HOSTSFILE: what _NS_SH binds
	local b="$1=/etc/hosts"
	if [ -f /etc/nsswitch.conf ]; then
		if [ ! -f "$T/.nsswitch.conf" ]; then
			# names from the hosts file only: no DNS, no mDNS
			sed -E 's/^hosts:.*/hosts: files/' /etc/nsswitch.conf \
			    >"$T/.nsswitch.conf"
			grep -q '^hosts:' "$T/.nsswitch.conf" ||
			    echo 'hosts: files' >>"$T/.nsswitch.conf"
			chmod 644 "$T/.nsswitch.conf"
		fi
		b="$b $T/.nsswitch.conf=/etc/nsswitch.conf"
	fi
	printf '%s%s\n' "$b" "${PORTER_BINDS:+ $PORTER_BINDS}"
}

ns_run() {	# HOSTSFILE CMD...
	local hosts=$1
	shift
	unshare --mount --propagation private -- sh -c "$_NS_SH" \
	    "$(_ns_binds "$hosts")" "$@"
}

in_porter_ns() {
	if [ -z "$_porter_pid" ]; then
		echo "in_porter_ns: porter is not running" >&2
		return 1
	fi
	# -r -w: porter's root and working folder too; entering a mount
	# namespace otherwise leaves a chroot for the namespace's own root
	nsenter -t "$_porter_pid" -m -r -w -- "$@"
}

hosts_write() {	# FILE, text on stdin
	local text
	text=$(cat)
	printf '%s\n' "$text" >"$1" && chmod 644 "$1"
}

need_mount_ns() {
	local tool why
	for tool in unshare nsenter mount; do
		command -v "$tool" >/dev/null 2>&1 || {
			echo "Bail out! this test needs $tool (util-linux)"
			exit 1
		}
	done
	echo "127.0.0.1 localhost" >"$T/.ns-probe"
	if ! why=$(ns_run "$T/.ns-probe" true 2>&1); then
		echo "Bail out! this test needs a mount namespace of its own" \
		    "(unshare --mount, as root): ${why%%$'\n'*}"
		exit 1
	fi
}

porter_log() { echo "$T/error.log"; }
porter_pid() { echo "$_porter_pid"; }
_porter_children() {	# "PID NAME" per child of the master
	[ -n "$_porter_pid" ] && ps -o pid=,comm= --ppid "$_porter_pid"
}
porter_workers() {
	_porter_children |
	    awk '$2 != "porter-checker" && $2 != "porter-waiter" &&
	        $2 != "porter-keeper" { print $1 }'
}
porter_checker() { _porter_children | awk '$2 == "porter-checker" { print $1 }'; }
porter_waiter() { _porter_children | awk '$2 == "porter-waiter" { print $1 }'; }
porter_keeper() { _porter_children | awk '$2 == "porter-keeper" { print $1 }'; }

_nworkers() { porter_workers | wc -l | tr -d ' '; }
_have_workers() { [ "$(_nworkers)" = "$1" ]; }
wait_workers() { wait_until "${2:-10}" _have_workers "$1"; }

porter_start() {
	local soft=0 body ports p pending binds
	[ "${1:-}" = -x ] && soft=1
	if [ "$BASHPID" != "$$" ]; then
		not_ok "porter started" "porter_start ran in a subshell (a pipeline or \$(...)):" \
		    "feed it with <<EOF or < <(cmd) so that the test's shell keeps its pid"
		exit 1
	fi
	body=$(cat)
	_porter_conf=$T/porter.conf
	{
		printf '# written by t/e2e/lib.sh for %s\n' "$0"
		grep -qE '^[[:space:]]*pid_file[[:space:]]*[=:]' <<<"$body" ||
		    printf 'pid_file = "%s";\n' "$T/porter.pid"
		grep -qE '^[[:space:]]*error_log[[:space:]]*[=:]' <<<"$body" ||
		    printf 'error_log = "%s";\n' "$T/error.log"
		printf '%s\n' "$body"
	} >"$_porter_conf"
	ports=$(grep -oE 'listen[[:space:]]*[=:][[:space:]]*"[^"]*:[0-9]+"' \
	    "$_porter_conf" | sed -E 's/^[^"]*"//; s/"$//')
	if [ ! -x "$PORTER" ]; then
		not_ok "porter started" "no executable at PORTER=$PORTER"
		[ $soft = 1 ] && return 1
		exit 1
	fi
	if [ -n "${PORTER_HOSTS:-}" ]; then
		if [ ! -f "$PORTER_HOSTS" ] || ! command -v unshare >/dev/null; then
			not_ok "porter started" "PORTER_HOSTS=$PORTER_HOSTS:" \
			    "$(ls -l "$PORTER_HOSTS" 2>&1; command -v unshare ||
			    echo "no unshare")"
			[ $soft = 1 ] && return 1
			exit 1
		fi
		binds=$(_ns_binds "$PORTER_HOSTS")
		# a simple command, not ns_run: $! must be what execs porter
		unshare --mount --propagation private -- sh -c "$_NS_SH" \
		    "$binds" "$PORTER" -f -c "$_porter_conf" \
		    >>"$T/porter.out" 2>&1 &
	else
		"$PORTER" -f -c "$_porter_conf" >>"$T/porter.out" 2>&1 &
	fi
	_porter_pid=$!
	track "$_porter_pid"
	local t0
	t0=$(now)
	while :; do
		pending=
		for p in $ports; do
			_port_open $(_listen_target "$p") || pending="$pending $p"
		done
		[ -z "$pending" ] && return 0
		if ! _alive "$_porter_pid"; then
			wait "$_porter_pid"
			not_ok "porter started" "porter exited with status $? before listening on$pending" \
			    "config:" "$(cat -n "$_porter_conf")" \
			    "output:" "$(tail -n 20 "$T/porter.out")" \
			    "error log:" "$(tail -n 20 "$T/error.log" 2>/dev/null)"
			break
		fi
		if _num_le 10 "$(since "$t0")"; then
			not_ok "porter started" "not listening on$pending after 10 s" \
			    "error log:" "$(tail -n 20 "$T/error.log" 2>/dev/null)"
			break
		fi
		sleep 0.05
	done
	[ $soft = 1 ] && return 1
	exit 1
}

porter_stop() {
	local sig=${1:-TERM} kids st
	if [ -z "$_porter_pid" ]; then
		not_ok "porter stopped" "porter was not started"
		return 1
	fi
	kids=$(_porter_children | awk '{ print $1 }')	# checker, waiter too
	kill "-$sig" "$_porter_pid" 2>/dev/null
	if _wait_gone 10 "$_porter_pid"; then
		wait "$_porter_pid"
		st=$?
		expect_eq "$st" 0 "porter exits with status 0 on SIG$sig"
	else
		not_ok "porter exits with status 0 on SIG$sig" \
		    "still running 10 s after SIG$sig"
		kill -KILL "$_porter_pid" 2>/dev/null
		wait "$_porter_pid" 2>/dev/null
	fi
	# shellcheck disable=SC2086
	if [ -z "$kids" ] || _wait_gone 3 $kids; then
		ok "no worker left after SIG$sig"
	else
		local p left=
		for p in $kids; do _alive "$p" && left="$left $p"; done
		not_ok "no worker left after SIG$sig" "still alive:$left"
		_stop_pids $left
	fi
	_porter_pid=
}

conn_owner() {	# PORT PID...
	"$PYTHON" - "$@" <<'EOF'
import os, sys
port = int(sys.argv[1])
inodes = set()
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        lines = open(f).read().splitlines()[1:]
    except OSError:
        continue
    for ln in lines:
        x = ln.split()
        rem, state, inode = x[2], x[3], x[9]
        if state == "01" and int(rem.split(":")[1], 16) == port:
            inodes.add(inode)
for pid in sys.argv[2:]:
    try:
        fds = os.listdir("/proc/%s/fd" % pid)
    except OSError:
        continue
    for fd in fds:
        try:
            l = os.readlink("/proc/%s/fd/%s" % (pid, fd))
        except OSError:
            continue
        if l.startswith("socket:[") and l[8:-1] in inodes:
            print(pid)
            sys.exit(0)
EOF
}

# ---- clients --------------------------------------------------------------

cu() { curl -q -sS --noproxy '*' --max-time "${CURL_MAX_TIME:-10}" "$@"; }
rawhttp() { "$PYTHON" "$E2E/rawhttp.py" "$@"; }
gen_sha() { "$PYTHON" "$E2E/backend.py" --gen "$1" | sha256sum | cut -d' ' -f1; }
sha_of() { sha256sum <"$1" | cut -d' ' -f1; }

hval() {
	printf '%s\n' "$2" | tr -d '\r' | awk -v n="$1" '
	    /^$/ { exit }
	    { k = $0; sub(/:.*/, "", k) }
	    index($0, ":") && tolower(k) == tolower(n) {
		sub(/^[^:]*:[ \t]*/, ""); sub(/[ \t]*$/, ""); print; exit }'
}

hcount() {
	printf '%s\n' "$2" | tr -d '\r' | awk -v n="$1" '
	    /^$/ { exit }
	    { k = $0; sub(/:.*/, "", k) }
	    index($0, ":") && tolower(k) == tolower(n) { c++ }
	    END { print c + 0 }'
}

first_line() { printf '%s\n' "$1" | head -n 1 | tr -d '\r'; }
