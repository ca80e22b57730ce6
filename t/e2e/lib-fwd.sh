# lib-fwd.sh: helpers for the forward-proxy tests (p0NN-*.sh), on top of
# lib.sh. A test does
#     . "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
#     . "$E2E/lib-fwd.sh"
#
#   need_tool TOOL...         each TOOL must be on PATH: a missing one is a
#                             failed assertion and the test ends (never a
#                             skip: quickstart installs them)
#   pcu PORT ARGS             curl -sS through porter's forward listener at
#                             127.0.0.1:PORT (-x), no curlrc, --max-time
#                             ${CURL_MAX_TIME:-10}
#   make_cert                 self-signed $T/cert.pem and $T/key.pem for
#                             "localhost" (SAN DNS:localhost, IP:127.0.0.1)
#   tls_start NAME [ARGS]     tlsserver.py on a free port with $T/cert.pem
#                             (ARGS: --plain for HTTP, --marker TEXT);
#                             sets TPORT and PORT_NAME; logs one JSON line
#                             per request to "$(helper_log NAME)"
#   ws_start NAME [ARGS]      wsecho.py on a free port (ARGS: --hello);
#                             sets WPORT and PORT_NAME; logs each handshake
#                             to "$(helper_log NAME)"
#   helper_log NAME           the log of a tls_start or ws_start helper
#   helper_reqs NAME          how many lines that log has
#   ws_client ARGS            wsecho.py --client ARGS (prints its steps)
#   wait_log FILE ERE [SECS]  wait (default 3 s) for a line matching ERE
#
# A second porter (lib.sh's porter_start runs one), e.g. a parent proxy:
#   porter2_start NAME        config body on stdin (a here-doc, in the
#                             test's own shell); writes $T/NAME.conf with
#                             pid_file $T/NAME.pid and error_log
#                             $T/NAME-error.log, runs "$PORTER -f" and waits
#                             up to 10 s until its listen ports accept; if
#                             not, a failed assertion and the test ends
#   porter2_stop NAME         TERM, bounded wait; asserts exit status 0
#   porter2_log NAME          its error log
#   porter2_no_alerts NAME    expect_no_alerts for its logs

need_tool() {
	local t
	for t in "$@"; do
		command -v "$t" >/dev/null 2>&1 && continue
		not_ok "$t is installed" "this test needs $t; ./quickstart test installs it"
		done_testing
	done
}

pcu() {
	local p=$1
	shift
	curl -q -sS --max-time "${CURL_MAX_TIME:-10}" --proxy "http://127.0.0.1:$p" "$@"
}

make_cert() {
	"$PYTHON" "$E2E/tlsserver.py" --makecert "$T" 2>"$T/makecert.err" || {
		not_ok "self-signed certificate made" "$(cat "$T/makecert.err")"
		done_testing
	}
}

helper_log() { echo "$T/helper-$1.log"; }

helper_reqs() {
	local f
	f=$(helper_log "$1")
	if [ -f "$f" ]; then wc -l <"$f" | tr -d ' '; else echo 0; fi
}

# _helper_start NAME SCRIPT [ARGS]: start SCRIPT --port on a free port
# (five tries, as backend_start); sets _hport
_helper_start() {
	local name=$1 script=$2 try port pid
	shift 2
	for try in 1 2 3 4 5; do
		port=$(free_port)
		rm -f "$T/helper-$name.pid"
		"$PYTHON" "$E2E/$script" --port "$port" --log "$(helper_log "$name")" \
		    --pidfile "$T/helper-$name.pid" "$@" >>"$T/helper-$name.out" 2>&1 &
		pid=$!
		track "$pid"
		wait_until 10 _helper_up "$pid" "$port" "$name"
		if _alive "$pid" && _port_open "$port"; then
			_hport=$port
			eval "PORT_$name=$port"
			return 0
		fi
		_stop_pids "$pid"
	done
	echo "Bail out! $script $name did not start: $(tail -n 5 "$T/helper-$name.out")"
	exit 1
}

_helper_up() {	# PID PORT NAME
	_alive "$1" || return 0
	[ -s "$T/helper-$3.pid" ] && _port_open "$2"
}

tls_start() {
	local name=$1
	shift
	case " $* " in
	*" --plain "*) _helper_start "$name" tlsserver.py "$@" ;;
	*) _helper_start "$name" tlsserver.py --cert "$T/cert.pem" \
	    --key "$T/key.pem" "$@" ;;
	esac
	TPORT=$_hport
}

ws_start() {
	local name=$1
	shift
	_helper_start "$name" wsecho.py "$@"
	WPORT=$_hport
}

ws_client() { "$PYTHON" "$E2E/wsecho.py" --client "$@"; }

wait_log() {	# FILE ERE [SECS]
	wait_until "${3:-3}" grep -qsE -- "$2" "$1"
}

porter2_log() { echo "$T/$1-error.log"; }

porter2_start() {
	local name=$1 body ports p pending pid t0
	if [ "$BASHPID" != "$$" ]; then
		not_ok "porter $name started" "porter2_start ran in a subshell"
		exit 1
	fi
	body=$(cat)
	{
		printf '# written by t/e2e/lib-fwd.sh for %s\n' "$0"
		printf 'pid_file = "%s/%s.pid";\n' "$T" "$name"
		printf 'error_log = "%s";\n' "$(porter2_log "$name")"
		printf '%s\n' "$body"
	} >"$T/$name.conf"
	ports=$(grep -oE 'listen[[:space:]]*[=:][[:space:]]*"[^"]*:[0-9]+"' \
	    "$T/$name.conf" | sed -E 's/^[^"]*"//; s/"$//')
	"$PORTER" -f -c "$T/$name.conf" >>"$T/$name.out" 2>&1 &
	pid=$!
	track "$pid"
	eval "_p2pid_$name=$pid"
	t0=$(now)
	while :; do
		pending=
		for p in $ports; do
			_port_open $(_listen_target "$p") || pending="$pending $p"
		done
		[ -z "$pending" ] && return 0
		if ! _alive "$pid" || _num_le 10 "$(since "$t0")"; then
			not_ok "porter $name started" "not listening on$pending" \
			    "config:" "$(cat -n "$T/$name.conf")" \
			    "output:" "$(tail -n 20 "$T/$name.out")" \
			    "error log:" "$(tail -n 20 "$(porter2_log "$name")" 2>/dev/null)"
			exit 1
		fi
		sleep 0.05
	done
}

porter2_stop() {
	local name=$1 pid st kids
	eval "pid=\${_p2pid_$name:-}"
	if [ -z "$pid" ]; then
		not_ok "porter $name stopped" "porter $name was not started"
		return 1
	fi
	kids=$(pgrep -P "$pid")
	kill -TERM "$pid" 2>/dev/null
	if _wait_gone 10 "$pid"; then
		wait "$pid"
		st=$?
		expect_eq "$st" 0 "porter $name exits with status 0 on SIGTERM"
	else
		not_ok "porter $name exits with status 0 on SIGTERM" "still running after 10 s"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	# shellcheck disable=SC2086
	if [ -z "$kids" ] || _wait_gone 3 $kids; then
		ok "porter $name: no worker left after SIGTERM"
	else
		not_ok "porter $name: no worker left after SIGTERM" "still alive: $kids"
		_stop_pids $kids
	fi
	eval "_p2pid_$name="
}

porter2_no_alerts() {
	local bad
	bad=$(grep -h -a -E '\[alert\]|AddressSanitizer|LeakSanitizer|runtime error:' \
	    "$(porter2_log "$1")" "$T/$1.out" 2>/dev/null | head -20)
	if [ -z "$bad" ]; then
		ok "porter $1: no alerts or sanitizer reports in its logs"
	else
		not_ok "porter $1: no alerts or sanitizer reports in its logs" "$bad"
	fi
}
