#!/bin/bash
# a001: access_log_format under load. Four listeners, one per format
# (porter's line, combined, json, a template of every field), each
# logging to its own file from 4 workers: 2,000 requests over 16
# keep-alive connections give exactly 2,000 whole lines in each file,
# every request once (no line lost, doubled or mixed with another: lines
# go with one write(2) each on an O_APPEND descriptor), from more than one
# worker; every JSON line parses. Then a request whose target, Referer
# and User-Agent carry quotes, backslashes, a tab, bytes that are not
# UTF-8 and one that is, and two heads refused with 400 (a control byte
# in the target, in a field): each logged, escaped as Apache escapes
# (text formats) or as valid JSON (bytes that are not UTF-8 as \u00XX).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

N=2000
CONNS=16
backend_start b1
B=$BPORT
P1=$(free_port) P2=$(free_port) P3=$(free_port) P4=$(free_port)
TPL='$remote_addr|$remote_user|[$time_local]|$time_iso8601|\"$request\"|$status|$body_bytes_sent|$bytes_sent|$bytes_received|\"$http_referer\"|\"$http_user_agent\"|$request_time|$upstream_addr|$upstream_status|$upstream_connect_time|$upstream_header_time|$cache_status|$request_id|$rule|$listener|$worker|$detail|$$'
porter_start <<EOF
workers = { count = 4; };
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
listeners = (
  { listen = "127.0.0.1:$P1"; mode = "reverse"; access_log = "$T/porter.log";
    routes = ( { pool = "app"; } ); },
  { listen = "127.0.0.1:$P2"; mode = "reverse"; access_log = "$T/combined.log";
    access_log_format = "combined"; routes = ( { pool = "app"; } ); },
  { listen = "127.0.0.1:$P3"; mode = "reverse"; access_log = "$T/json.log";
    access_log_format = "json"; routes = ( { pool = "app"; } ); },
  { listen = "127.0.0.1:$P4"; mode = "reverse"; access_log = "$T/tpl.log";
    access_log_format = "$TPL"; routes = ( { pool = "app"; } ); } );
EOF

nlines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
has_lines() { [ "$(nlines "$1")" -ge "$2" ]; }
# "i" values of the load requests in FILE, each once, 0 .. N-1
all_once() {
	"$PYTHON" - "$1" "$N" <<'PY'
import re, sys
seen = [int(m) for m in re.findall(rb"GET /load\?i=(\d+) HTTP/1\.1", open(sys.argv[1], "rb").read())]
n = int(sys.argv[2])
print("ok" if sorted(seen) == list(range(n)) else "%d found, %d distinct" % (len(seen), len(set(seen))))
PY
}
check_load() {	# PORT FILE NAME REGEX
	local port=$1 file=$2 name=$3 rx=$4 out rep
	out=$("$PYTHON" "$E2E/logtool.py" load "$port" "$N" "$CONNS")
	expect_eq "$out" "{\"sent\": $N, \"statuses\": {\"200\": $N}, \"errors\": 0, \"connections\": $CONNS}" \
	    "$name: $N requests over $CONNS keep-alive connections, all 200"
	wait_until 10 has_lines "$file" "$N"
	sleep 0.2	# nothing more may come
	expect_eq "$(nlines "$file")" "$N" "$name: exactly $N lines"
	rep=$("$PYTHON" "$E2E/logtool.py" lines "$file" "$rx")
	expect_eq "$rep" "{\"lines\": $N, \"bad\": []}" "$name: every line whole and well-formed"
	expect_eq "$(all_once "$file")" ok "$name: every request logged once"
}

D='[0-9]'
TL="\\[$D$D/[A-Z][a-z][a-z]/$D{4}:$D$D:$D$D:$D$D [+-]$D{4}\\]"
ISO="$D{4}-$D$D-$D${D}T$D$D:$D$D:$D$D""[+-]$D$D:$D$D"
RQ='"GET /load\?i=[0-9]+ HTTP/1\.1"'
check_load "$P1" "$T/porter.log" porter \
    "$D{4}/$D$D/$D$D $D$D:$D$D:$D$D 127\\.0\\.0\\.1 $RQ 200 [0-9]+ 127\\.0\\.0\\.1:$B [0-9]+\\.$D{3}"
check_load "$P2" "$T/combined.log" combined \
    "127\\.0\\.0\\.1 - - $TL $RQ 200 3 \"-\" \"-\""
check_load "$P3" "$T/json.log" json '\{.*\}'
rep=$("$PYTHON" "$E2E/logtool.py" jsonl "$T/json.log")
expect_eq "$rep" "{\"lines\": $N, \"bad\": []}" "json: every line is one JSON object"
check_load "$P4" "$T/tpl.log" template \
    "127\\.0\\.0\\.1\\|-\\|$TL\\|$ISO\\|$RQ\\|200\\|3\\|[0-9]+\\|[0-9]+\\|\"-\"\\|\"-\"\\|[0-9]+\\.$D{3}\\|127\\.0\\.0\\.1:$B\\|200\\|[0-9]+\\.$D{3}\\|[0-9]+\\.$D{3}\\|-\\|[0-9a-f]{32}\\|-\\|127\\.0\\.0\\.1:$P4\\|[0-9]+\\|-\\|\\$"

# the JSON lines' values, and many workers writing to one file
"$PYTHON" - "$T/json.log" "$B" "$P3" >"$T/json.check" <<'PY'
import json, re, sys
lines = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
bad = [l for l in lines if not (l["status"] == 200 and l["body_bytes_sent"] == 3
       and l["bytes_sent"] > 3 and l["bytes_received"] > 0
       and l["upstream_addr"] == "127.0.0.1:" + sys.argv[2] and l["upstream_status"] == 200
       and l["listener"] == "127.0.0.1:" + sys.argv[3] and l["remote_user"] is None
       and re.fullmatch(r"[0-9a-f]{32}", l["request_id"]) and l["rule"] is None
       and l["cache_status"] is None and isinstance(l["request_time"], float)
       and isinstance(l["upstream_connect_time"], float))]
print("bad", len(bad), bad[:1])
print("ids", len(set(l["request_id"] for l in lines)))
print("workers", min(len(set(l["worker"] for l in lines)), 2))
PY
expect_eq "$(sed -n 1p "$T/json.check")" "bad 0 []" "json: status, sizes, upstream, listener, id in every line"
expect_eq "$(sed -n 2p "$T/json.check")" "ids $N" "json: $N different request ids"
expect_eq "$(sed -n 3p "$T/json.check")" "workers 2" "json: lines from more than one worker in one file"

# ---- bytes a client may send, and heads refused with 400 ----
odd() {	# PORT: one request with odd bytes, two refused heads
	printf 'GET /w"e\\i?q="x\\y" HTTP/1.1\r\nHost: h\r\nReferer: http://r/"\\\r\nUser-Agent: q"uo\\te\ttab\x80\xff\xc3\xa9\xc0\xaf\xed\xa0\x80 end\r\nConnection: close\r\n\r\n' |
	    rawhttp "$1" | head -n 1 | tr -d '\r'
	printf 'GET /c\x01tl\x7f HTTP/1.1\r\nHost: h\r\n\r\n' | rawhttp "$1" | head -n 1 | tr -d '\r'
	printf 'GET /ua HTTP/1.1\r\nHost: h\r\nUser-Agent: a\x01b\r\n\r\n' | rawhttp "$1" | head -n 1 | tr -d '\r'
}
for p in "$P1" "$P2" "$P3" "$P4"; do
	expect_eq "$(odd "$p" | tr '\n' ' ')" "HTTP/1.1 200 OK HTTP/1.1 400 Bad Request HTTP/1.1 400 Bad Request " \
	    "odd bytes on $p: 200, then 400 for a control byte in the target and in a field"
done
for f in porter combined json tpl; do
	wait_until 5 has_lines "$T/$f.log" $((N + 3))
	expect_eq "$(nlines "$T/$f.log")" $((N + 3)) "$f: the three logged"
done
# the time and the size of porter's own page aside
tail -n 3 "$T/combined.log" | sed -E 's/\[[^]]*\]/[T]/; s/" 400 [0-9]+ "/" 400 N "/' >"$T/combined.tail"
cat >"$T/combined.want" <<'EOF'
127.0.0.1 - - [T] "GET /w\"e\\i?q=\"x\\y\" HTTP/1.1" 200 3 "http://r/\"\\" "q\"uo\\te\ttab\x80\xff\xc3\xa9\xc0\xaf\xed\xa0\x80 end"
127.0.0.1 - - [T] "GET /c\x01tl\x7f HTTP/1.1" 400 N "-" "-"
127.0.0.1 - - [T] "GET /ua HTTP/1.1" 400 N "-" "-"
EOF
expect_eq "$(cat "$T/combined.tail")" "$(cat "$T/combined.want")" \
    "combined: quotes, backslashes, tab and bytes >= 0x80 escaped as Apache does; 400s with the line as sent"
expect_match "$(tail -n 3 "$T/porter.log" | head -n 1)" \
    ' 127\.0\.0\.1 "GET /w\\"e\\\\i\?q=\\"x\\\\y\\" HTTP/1\.1" 200 [0-9]+ 127\.0\.0\.1:[0-9]+ [0-9.]+$' \
    "porter: the odd target escaped inside its quotes"
expect_match "$(tail -n 2 "$T/porter.log" | tr '\n' '|')" \
    '"GET /c\\x01tl\\x7f HTTP/1\.1" 400 [0-9]+ - [0-9.]+ bad request target\|.*"GET /ua HTTP/1\.1" 400 [0-9]+ - [0-9.]+ bad byte in field value\|$' \
    "porter: the 400s with porter's reason"
expect_match "$(tail -n 3 "$T/tpl.log" | head -n 1)" \
    '\|"GET /w\\"e\\\\i\?q=\\"x\\\\y\\" HTTP/1\.1"\|200\|3\|.*\|"http://r/\\"\\\\"\|"q\\"uo\\\\te\\ttab\\x80\\xff\\xc3\\xa9\\xc0\\xaf\\xed\\xa0\\x80 end"\|' \
    "template: the same escaping as combined"
rep=$("$PYTHON" "$E2E/logtool.py" jsonl "$T/json.log")
expect_eq "$rep" "{\"lines\": $((N + 3)), \"bad\": []}" "json: still every line valid UTF-8 JSON"
UA=$("$PYTHON" "$E2E/logtool.py" jsonstr "$(printf 'q"uo\\te\ttab\x80\xff\xc3\xa9\xc0\xaf\xed\xa0\x80 end' | od -An -tx1 | tr -d ' \n')")
"$PYTHON" - "$T/json.log" <<'PY' >"$T/json.odd"
import json, sys
for l in open(sys.argv[1], encoding="utf-8").readlines()[-3:]:
    o = json.loads(l)
    print(json.dumps([o["status"], o["request"], o["http_referer"], o["http_user_agent"], o["detail"]]))
PY
expect_eq "$(sed -n 1p "$T/json.odd")" "[200, \"GET /w\\\"e\\\\i?q=\\\"x\\\\y\\\" HTTP/1.1\", \"http://r/\\\"\\\\\", $UA, null]" \
    "json: the odd request's target, Referer and User-Agent decode to the bytes sent (not UTF-8: U+00XX)"
expect_eq "$(sed -n 2p "$T/json.odd")" '[400, "GET /c\u0001tl\u007f HTTP/1.1", null, null, "bad request target"]' \
    "json: the 400 for a control byte in the target"
expect_eq "$(sed -n 3p "$T/json.odd")" '[400, "GET /ua HTTP/1.1", null, null, "bad byte in field value"]' \
    "json: the 400 for a control byte in a field: no fields logged"
expect_match "$UA" '\\u00e9' "(the expected User-Agent has the valid UTF-8 é)"

porter_stop
expect_no_alerts
done_testing
