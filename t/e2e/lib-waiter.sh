# lib-waiter.sh: helpers for the w tests (the waiter, issue 12), sourced
# after lib.sh. The clients are t/e2e/slowclients.py (see its --help); each
# runs in the background, tracked, its report (one JSON object, the last
# line) in $T/NAME.json and its progress lines in $T/NAME.err.
#
# Set by the test
#   SJ                        the status page's JSON URL, e.g.
#                             http://127.0.0.1:$S/porter-status?format=json
#
# Status page
#   status_json               the page (one request, Connection: close, so
#                             that reading it never parks a connection; at
#                             most 3 s)
#   waiter_stat KEY           waiter.KEY from it: a number, or nothing when
#                             there is no such thing (no waiter, no page)
#   backends_active           requests in flight to the backends (the sum
#                             of backends[].active), or nothing
#
# Clients
#   sc_start NAME CMD ARGS... slowclients.py CMD ARGS in the background;
#                             its pid in $SC_PID_NAME
#   sc_run NAME CMD ARGS...   the same in the foreground (steps: each of
#                             its waits bounds it)
#   sc_watch NAME SECS        sc_start NAME watch on $SJ and the master,
#                             every 0.2 s for SECS
#   sc_wait NAME [SECS]       wait (default 60 s) until NAME ends by itself;
#                             after that, SIGTERM (it then reports what it
#                             has) and 10 s more. 0 when a report is there
#   sc_stop NAME              SIGTERM now, then as sc_wait
#   sc_get NAME KEY           KEY of NAME's report ("max.parked_head" for a
#                             nested one, "responses.0.code" for the first
#                             of a list): a number or a string as is, an
#                             object or a list as JSON, nothing for null or
#                             missing
#   sc_progress NAME KEY      KEY of NAME's last progress line, or nothing
#   sc_report NAME            the report line itself (for diag)
#   sc_ready NAME SECS        wait until an idle run started with
#                             --ready "$T/NAME.ready" is holding its
#                             connections (0), or SECS pass (1)

status_json() { CURL_MAX_TIME=3 cu -H 'Connection: close' "$SJ"; }

waiter_stat() {
	status_json 2>/dev/null | "$PYTHON" -c '
import json, sys
try:
    v = json.load(sys.stdin)["waiter"][sys.argv[1]]
except Exception:
    sys.exit(0)
if isinstance(v, (int, float)) and not isinstance(v, bool):
    print(v)' "$1"
}

backends_active() {
	status_json 2>/dev/null | "$PYTHON" -c '
import json, sys
try:
    print(sum(b["active"] for b in json.load(sys.stdin)["backends"]))
except Exception:
    pass'
}

sc_start() {	# NAME CMD ARGS...
	local name=$1 pid
	shift
	rm -f "$T/$name.json" "$T/$name.err" "$T/$name.ready"
	"$PYTHON" "$E2E/slowclients.py" "$@" >"$T/$name.json" 2>"$T/$name.err" &
	pid=$!
	track "$pid"
	eval "SC_PID_$name=\$pid"
}

sc_run() {	# NAME CMD ARGS...
	local name=$1
	shift
	"$PYTHON" "$E2E/slowclients.py" "$@" >"$T/$name.json" 2>"$T/$name.err"
}

sc_watch() {	# NAME SECS
	sc_start "$1" watch --status "$SJ" --master "$(porter_pid)" \
	    --duration "$2" --interval 0.2
}

sc_wait() {	# NAME [SECS]
	local name=$1 secs=${2:-60} pid
	eval "pid=\${SC_PID_$name:-}"
	[ -n "$pid" ] || return 1
	if ! _wait_gone "$secs" "$pid"; then
		kill -TERM "$pid" 2>/dev/null
		_wait_gone 10 "$pid" || kill -KILL "$pid" 2>/dev/null
	fi
	wait "$pid" 2>/dev/null
	[ -n "$(sc_report "$name")" ]
}

sc_stop() {	# NAME
	local pid
	eval "pid=\${SC_PID_$1:-}"
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	sc_wait "$1" 0
}

sc_report() { tail -n 1 "$T/$1.json" 2>/dev/null | grep -a '^{' ; }

_json_get() {	# KEY, one JSON object on stdin
	"$PYTHON" -c '
import json, sys
try:
    v = json.loads(sys.stdin.read() or "null")
    for k in sys.argv[1].split("."):
        v = v[int(k)] if isinstance(v, list) else v[k]
except Exception:
    sys.exit(0)
if v is None:
    sys.exit(0)
if isinstance(v, bool):
    print("true" if v else "false")
elif isinstance(v, (dict, list)):
    print(json.dumps(v, sort_keys=True))
else:
    print(v)' "$1"
}

sc_get() { sc_report "$1" | _json_get "$2"; }

sc_progress() {
	grep -a '^slowclients: {' "$T/$1.err" 2>/dev/null | tail -n 1 |
	    sed 's/^slowclients: //' | _json_get "$2"
}

_sc_is_ready() { [ -s "$T/$1.ready" ]; }
sc_ready() { wait_until "$2" _sc_is_ready "$1"; }
