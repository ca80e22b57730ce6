#!/bin/bash
# a003: request ids. Every request gets an X-Request-Id of 32 hex digits
# that the backend receives (once: a client's own is replaced) and the
# access log shows; a client the listener trusts (request_id_from; here
# 127.0.0.2) keeps its own when it is valid (1..128 visible ASCII bytes),
# else it is replaced; porter's own answers (403 by a rule, 502, 400 for
# a head that does not parse) carry the id in X-Request-Id and on the
# page, and the log line has the same id (and the rule). A forward
# listener logs an id but sends none to the origin. With request_id =
# false nothing is added and the client's field passes as it is.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"

backend_start b1
B=$BPORT
DEAD=$(free_port)
P=$(free_port)
PF=$(free_port)
porter_start <<EOF
workers = { count = 2; };
access_log = "$T/access.log";
access_log_format = "json";
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); },
          { name = "dead"; servers = ( { address = "127.0.0.1:$DEAD"; } ); } );
listeners = (
  { listen = "127.0.0.1:$P"; mode = "reverse";
    request_id_from = [ "127.0.0.2" ];
    routes = ( { pool = "app"; },
               { path = "/deny"; pool = "app"; deny_paths = [ "^/deny/x" ]; },
               { path = "/dead"; pool = "dead"; } ); },
  { listen = "127.0.0.1:$PF"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; } );
EOF

ALOG=$T/access.log
nlines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
has_lines() { [ "$(nlines "$1")" -ge "$2" ]; }
# the X-Request-Id fields of the backend's last request, space-separated
bk_ids() {
	"$PYTHON" -c '
import json, sys
o = json.loads(open(sys.argv[1]).read().splitlines()[-1])
print(" ".join(v for n, v in o["headers"] if n.lower() == "x-request-id"))' \
	    "$(backend_log b1)"
}
# FIELD of the access log's line number N (after waiting for it)
logf() {
	wait_until 5 has_lines "$ALOG" "$2"
	"$PYTHON" -c '
import json, sys
o = json.loads(open(sys.argv[1], encoding="utf-8").read().splitlines()[int(sys.argv[3]) - 1])
v = o[sys.argv[2]]
print("null" if v is None else v)' "$ALOG" "$1" "$2"
}
n=0	# access log lines so far
HEX='^[0-9a-f]{32}$'

# ---- generated ----
cu -o /dev/null "http://127.0.0.1:$P/a"
n=$((n + 1))
id1=$(bk_ids)
expect_match "$id1" "$HEX" "generated: the backend gets one X-Request-Id of 32 hex digits"
expect_eq "$(logf request_id $n)" "$id1" "generated: the log line has the same id"
cu -o /dev/null "http://127.0.0.1:$P/b"
n=$((n + 1))
id2=$(bk_ids)
expect_match "$id2" "$HEX" "generated again"
expect_ne "$id2" "$id1" "each request its own id"

# ---- trusted (127.0.0.2) ----
cu --interface 127.0.0.2 -o /dev/null -H 'X-Request-Id: trace-42.a:b/c' "http://127.0.0.1:$P/t"
n=$((n + 1))
expect_eq "$(bk_ids)" "trace-42.a:b/c" "trusted client: its id goes to the backend, once"
expect_eq "$(logf request_id $n)" "trace-42.a:b/c" "trusted client: its id in the log"
expect_eq "$(logf remote_addr $n)" "127.0.0.2" "(from 127.0.0.2)"
long=$(printf 'x%.0s' $(seq 128))
cu --interface 127.0.0.2 -o /dev/null -H "X-Request-Id: $long" "http://127.0.0.1:$P/t128"
n=$((n + 1))
expect_eq "$(bk_ids)" "$long" "trusted client: an id of 128 bytes is kept"
cu --interface 127.0.0.2 -o /dev/null -H "X-Request-Id: ${long}y" "http://127.0.0.1:$P/t129"
n=$((n + 1))
expect_match "$(bk_ids)" "$HEX" "trusted client: an id of 129 bytes is replaced"
cu --interface 127.0.0.2 -o /dev/null -H 'X-Request-Id: has space' "http://127.0.0.1:$P/tsp"
n=$((n + 1))
id=$(bk_ids)
expect_match "$id" "$HEX" "trusted client: an id with a space is replaced (one field)"
expect_eq "$(logf request_id $n)" "$id" "(and the log has the replacement)"
printf 'GET /tbin HTTP/1.1\r\nHost: h\r\nX-Request-Id: caf\xc3\xa9\r\nConnection: close\r\n\r\n' |
    rawhttp -v "$P" >/dev/null 2>&1	# from 127.0.0.1: not trusted anyway
n=$((n + 1))
expect_match "$(bk_ids)" "$HEX" "a non-ASCII id is replaced"

# ---- untrusted (127.0.0.1) ----
cu -o /dev/null -H 'X-Request-Id: evil' "http://127.0.0.1:$P/u"
n=$((n + 1))
id=$(bk_ids)
expect_match "$id" "$HEX" "untrusted client: its id is replaced"
expect_eq "$(logf request_id $n)" "$id" "untrusted client: the log has porter's id"
cu -o /dev/null -H 'X-Request-Id: one' -H 'X-Request-Id: two' "http://127.0.0.1:$P/u2"
n=$((n + 1))
expect_match "$(bk_ids)" "$HEX" "untrusted client with two ids: the backend gets porter's, once"

# ---- porter's own answers ----
check_page() {	# DESC CODE CURL-ARGS...: the id in the header, on the page, in the log
	local desc=$1 code=$2 out hid pid
	shift 2
	out=$(cu -D - "$@")
	n=$((n + 1))
	expect_eq "$(first_line "$out" | cut -d' ' -f2)" "$code" "$desc: $code"
	hid=$(hval X-Request-Id "$out")
	pid=$(printf '%s\n' "$out" | sed -n 's|^<p>Request ID: \(.*\)</p>$|\1|p')
	expect_match "$hid" "$HEX" "$desc: X-Request-Id in porter's answer"
	expect_eq "$pid" "$hid" "$desc: the same id on porter's page"
	expect_eq "$(logf request_id $n)" "$hid" "$desc: the same id in the log"
}
check_page "refused by a rule" 403 "http://127.0.0.1:$P/deny/x"
expect_eq "$(logf rule $n)" 'deny_paths "^/deny/x"' "refused by a rule: the log names the rule"
check_page "no backend" 502 "http://127.0.0.1:$P/dead/"
expect_eq "$(logf upstream_addr $n)" "127.0.0.1:$DEAD" "no backend: the log names it"
out=$(printf 'GET /bad\x01 HTTP/1.1\r\nHost: h\r\n\r\n' | rawhttp "$P")
n=$((n + 1))
hid=$(hval X-Request-Id "$out")
expect_match "$hid" "$HEX" "a head that does not parse: 400 with X-Request-Id"
expect_match "$out" "<p>Request ID: $hid</p>" "a head that does not parse: the id on the page"
expect_eq "$(logf request_id $n) $(logf status $n)" "$hid 400" "a head that does not parse: the id in the log"
out=$(cu -D - --interface 127.0.0.2 -H 'X-Request-Id: <b>&"x' "http://127.0.0.1:$P/deny/x")
n=$((n + 1))
expect_eq "$(hval X-Request-Id "$out")" '<b>&"x' "a trusted client's id in porter's answer, as sent"
expect_match "$out" '<p>Request ID: &lt;b&gt;&amp;&quot;x</p>' "... and HTML-escaped on the page"

# ---- forward listener: an id in the log, none to the origin ----
pcu "$PF" -o /dev/null "http://127.0.0.1:$B/fwd"
n=$((n + 1))
expect_eq "$(bk_ids)" "" "forward: no X-Request-Id added to the request"
expect_match "$(logf request_id $n)" "$HEX" "forward: the log line has an id"
pcu "$PF" -o /dev/null -H 'X-Request-Id: mine' "http://127.0.0.1:$B/fwd2"
n=$((n + 1))
expect_eq "$(bk_ids)" "mine" "forward: the client's field passes as it is"

# ---- 300 requests on 2 workers: 300 ids ----
expect_eq "$("$PYTHON" "$E2E/logtool.py" load "$P" 300 6)" \
    '{"sent": 300, "statuses": {"200": 300}, "errors": 0, "connections": 6}' "300 more requests"
n=$((n + 300))
wait_until 5 has_lines "$ALOG" "$n"
expect_eq "$("$PYTHON" -c '
import json, sys
ids = [json.loads(l)["request_id"] for l in open(sys.argv[1], encoding="utf-8")]
print(len(ids), len(set(ids)))' "$ALOG")" "$n $n" \
    "all $n ids in the log are different"

# ---- request_id = false ----
P2=$(free_port)
porter2_start off <<EOF
request_id = false;
access_log = "$T/off.log";
access_log_format = "\$request_id \$status";
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
listeners = ( { listen = "127.0.0.1:$P2"; mode = "reverse";
    routes = ( { pool = "app"; },
               { path = "/deny"; pool = "app"; deny_paths = [ "^/deny" ]; } ); } );
EOF
cu -o /dev/null -H 'X-Request-Id: evil' "http://127.0.0.1:$P2/off"
expect_eq "$(bk_ids)" "evil" "request_id = false: the client's field passes untouched"
cu -o /dev/null "http://127.0.0.1:$P2/off2"
expect_eq "$(bk_ids)" "" "request_id = false: nothing added"
out=$(cu -D - "http://127.0.0.1:$P2/deny")
expect_eq "$(hcount X-Request-Id "$out")" 0 "request_id = false: no X-Request-Id from porter"
expect_nomatch "$out" 'Request ID' "request_id = false: none on porter's page"
wait_until 5 has_lines "$T/off.log" 3
expect_eq "$(tr '\n' ' ' <"$T/off.log")" "- 200 - 200 - 403 " "request_id = false: \$request_id is -"
porter2_stop off

porter_stop
expect_no_alerts
done_testing
