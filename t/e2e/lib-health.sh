# lib-health.sh: helpers for the health tests (h0NN), on top of lib.sh.
#     . "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
#     . "$E2E/lib-health.sh"
#
# Backends (started with backend_start; see backend.py for /health,
# /control/* and the modes)
#   traffic NAME              requests NAME logged, health checks and
#                             /stats (backend_stat) left out
#   checks NAME               health checks (/health) NAME logged
#   methods NAME METHOD       requests with METHOD NAME logged, as traffic
#                             counts them
#   health_set NAME QUERY     from now on NAME's /health answers per QUERY:
#                             status=N[&body=TEXT][&delay=S] (body default
#                             "ok" for 2xx/3xx, else "down"); false if the
#                             backend did not take it
#   mode_set NAME MODE        NAME serves everything but /health per MODE:
#                             normal, drop, close, status:N
#   backend_kill9 NAME        SIGKILL NAME (bounded wait until it is gone)
#   backend_restart NAME PORT [ARGS]  start backend NAME again on PORT
#                             (same log, appended), wait until it answers;
#                             false if it did not come up within 10 s
#
# porter's error log
#   hc_count POOL PORT WORD   lines "backend POOL/127.0.0.1:PORT is WORD"
#                             (WORD: up, down, draining; "is" optional)
#   hc_line POOL PORT WORD [K]  the K-th such line (default 1)
#   hc_wait SECS POOL PORT WORD [N]  wait until there are at least N
#                             (default 1) such lines
#
# Processes (lib.sh's porter_workers and porter_checker tell the workers
# from the checker)
#   wait_hc_workers N [SECS]  wait (default 10 s) until there are N
#                             workers and, with CHECKER=1 (default), the
#                             checker has logged that it started
#
# Traffic
#   get_n N URL               N GETs of URL-1 .. URL-N, one curl, each
#                             on a new connection (so that any worker may
#                             take it); prints one status code a line
#   get_par K N URL           K such clients at once (URL-k-1 .. URL-k-N),
#                             so that several workers answer
#   count_of WORD TEXT        how many lines of TEXT are exactly WORD

traffic() {
	local f
	f=$(backend_log "$1")
	[ -f "$f" ] || { echo 0; return; }
	grep -c -v -e '"path": "/health' -e '"path": "/stats' "$f"
}

checks() {
	local f
	f=$(backend_log "$1")
	[ -f "$f" ] || { echo 0; return; }
	grep -c '"path": "/health' "$f"
}

methods() {
	local f
	f=$(backend_log "$1")
	[ -f "$f" ] || { echo 0; return; }
	grep -v -e '"path": "/health' -e '"path": "/stats' "$f" |
	    grep -c "\"method\": \"$2\""
}

_bport() { eval "echo \${PORT_$1:-}"; }

health_set() {	# NAME QUERY
	[ "$(cu -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$(_bport "$1")/control/health?$2")" = 204 ]
}

mode_set() {	# NAME MODE
	[ "$(cu -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$(_bport "$1")/control/mode?m=$2")" = 204 ]
}

backend_kill9() {
	local pid
	eval "pid=\${_bpid_$1:-}"
	[ -n "$pid" ] || return 1
	disown "$pid" 2>/dev/null	# no "Killed" notice from bash
	kill -KILL "$pid" 2>/dev/null
	_wait_gone 5 "$pid"
}

backend_restart() {	# NAME PORT [ARGS]
	local name=$1 port=$2 pid
	shift 2
	rm -f "$T/backend-$name.pid"
	"$PYTHON" "$E2E/backend.py" --port "$port" --name "$name" \
	    --log "$T/backend-$name.log" --pidfile "$T/backend-$name.pid" \
	    "$@" >>"$T/backend-$name.out" 2>&1 &
	pid=$!
	track "$pid"
	eval "_bpid_$name=$pid"
	eval "PORT_$name=$port"
	wait_until 10 _backend_up "$pid" "$port" "$name"
	_alive "$pid" && _port_open "$port"
}

_hc_re() {	# POOL PORT WORD
	printf 'backend %s/127\\.0\\.0\\.1:%s:? (is )?%s' "$1" "$2" "$3"
}

hc_count() {
	local n
	n=$(grep -a -c -E "$(_hc_re "$1" "$2" "$3")([^0-9]|\$)" "$(porter_log)" 2>/dev/null)
	echo "${n:-0}"
}

hc_line() {
	grep -a -E "$(_hc_re "$1" "$2" "$3")([^0-9]|\$)" "$(porter_log)" 2>/dev/null |
	    sed -n "${4:-1}p"
}

_hc_have() { [ "$(hc_count "$1" "$2" "$3")" -ge "${4:-1}" ]; }

hc_wait() {	# SECS POOL PORT WORD [N]
	local secs=$1
	shift
	wait_until "$secs" _hc_have "$@"
}

_have_hc_workers() {
	if [ "${CHECKER:-1}" = 1 ]; then
		grep -a -q 'health checker: health checker started' "$(porter_log)" ||
		    return 1
	fi
	_have_workers "$1"
}

wait_hc_workers() { wait_until "${2:-10}" _have_hc_workers "$1"; }

get_n() {	# N URL
	local i urls=()
	for i in $(seq 1 "$1"); do urls+=(-o /dev/null -w '%{http_code}\n' "$2-$i"); done
	cu -H 'Connection: close' "${urls[@]}"
}

get_par() {	# K N URL
	local k pids=()
	for k in $(seq 1 "$1"); do
		get_n "$2" "$3-$k" >"$T/.par.$k" &
		pids+=($!)
		track $!
	done
	wait "${pids[@]}"
	for k in $(seq 1 "$1"); do cat "$T/.par.$k"; rm -f "$T/.par.$k"; done
}

count_of() { printf '%s\n' "$2" | grep -c -x -- "$1"; }
