#!/bin/bash
# s012: the status page (status = { listen; path; allow; }). Three workers
# and two backends with active checks: the text page names porter, the
# master, 3 live workers (the one answering shows itself writing) and both
# backends up; request counters grow with traffic; a slow request shows
# its worker upstream with its request line and its backend with one
# request in flight; a backend whose checks fail shows down. The JSON
# variant parses and says the same. POST .../drain and .../undrain take a
# backend out of the rotation and back, but not from another site's page
# (Origin). 404, 405, HEAD, a POST with a body. A reload keeps the page (new path); allow = [ "10.0.0.0/8" ] gives
# 403 to 127.0.0.1. porter -t refuses status on 0.0.0.0 without allow.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

backend_start a
A=$BPORT
backend_start b
B=$BPORT
P=$(free_port)
S=$(free_port)
U=http://127.0.0.1:$P
SU=http://127.0.0.1:$S/porter-status

conf() {	# STATUS_GROUP_BODY
	cat <<EOF
pid_file = "$T/porter.pid";
error_log = "$T/error.log";
log_level = "info";
workers = { count = 3; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app";
    health = { path = "/health"; interval = 0.2; timeout = 1.0; rise = 2; fall = 2; };
    servers = ( { address = "127.0.0.1:$A"; },
                { address = "127.0.0.1:$B"; weight = 2; max_conns = 7; } ); } );
status = { listen = "127.0.0.1:$S"; $1 };
EOF
}
put_conf() { "$@" >"$T/porter.conf.new" && mv "$T/porter.conf.new" "$T/porter.conf"; }

porter_start < <(conf "")
expect_true "3 workers and the health checker" wait_hc_workers 3 10

page() { cu "$SU${1:-}"; }
# the line of backend app/127.0.0.1:PORT
bline() { page | grep -a "^app/127\.0\.0\.1:$1 "; }
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p"; }	# KEY, from stdin
# A page where all 3 workers have started and the one that served the
# previous page has seen its client leave: 2 idle, this page's writing.
workers_ready() {
	cu -D "$T/page.head" -o "$T/page.txt" "$SU" || return 1
	[ "$(grep -c '^slot=' "$T/page.txt")" = 3 ] &&
	    [ "$(grep -c ' state=idle ' "$T/page.txt")" = 2 ]
}
expect_true "the page lists 3 workers, 2 of them idle, within 5 s" \
    wait_until 5 workers_ready

# ---- the text page ------------------------------------------------------
head=$(cat "$T/page.head")
p=$(cat "$T/page.txt")
diag "status page:" "$p"
expect_eq "$(first_line "$head" | cut -d' ' -f2)" 200 "GET $SU -> 200"
expect_match "$(hval Content-Type "$head")" '^text/plain' "as text/plain"
expect_eq "$(hval Cache-Control "$head")" no-store "Cache-Control: no-store"
expect_eq "$(hval X-Content-Type-Options "$head")" nosniff "X-Content-Type-Options: nosniff"
expect_match "$(sed -n 1p <<<"$p")" '^porter [0-9]+\.[0-9]+' \
    "first line: porter and its version"
expect_eq "$(sed -n 's/^master_pid=\([0-9]*\) .*/\1/p' <<<"$p")" \
    "$(porter_pid)" "master_pid is the master's"
expect_match "$p" 'uptime_s=[0-9]+ generation=1' "uptime, generation 1"
expect_match "$p" $'\n''totals: workers=3 idle=2 busy=1 ' "totals: 3 workers, 2 idle"
expect_eq "$(grep '^slot=' <<<"$p" | field pid | sort | tr '\n' ' ')" \
    "$(porter_workers | sort | tr '\n' ' ')" "worker lines: the pids of the 3 workers"
expect_eq "$(grep -c '^slot=.* generation=1 state=idle ' <<<"$p")" 2 \
    "2 idle workers of generation 1"
expect_match "$(grep ' state=writing ' <<<"$p")" \
    'client=127\.0\.0\.1 secs=[0-9]+ request=GET /porter-status HTTP/1\.1$' \
    "the third writes this page: client, seconds, request line"
la=$(grep -a "^app/127\.0\.0\.1:$A " <<<"$p")
lb=$(grep -a "^app/127\.0\.0\.1:$B " <<<"$p")
expect_match "$la" "^app/127\\.0\\.0\\.1:$A address=127\\.0\\.0\\.1:$A "'state=up draining=no active=0 requests=0 failures=0 timeouts=0 retries=0 checks_failed=0 latency_ms=[0-9.]+ last_change_s=[0-9]+ last_check_s=([0-9]+|-) weight=1 backup=no max_conns=0$' \
    "backend a: up, every field"
expect_match "$lb" ' state=up .* weight=2 backup=no max_conns=7$' \
    "backend b: up, weight 2, max_conns 7"

# ---- counters grow ------------------------------------------------------
t0=$(grep '^totals:' <<<"$p" | field requests)
codes=$(get_n 10 "$U/r")
expect_eq "$(count_of 200 "$codes")" 10 "10 requests through porter: all 200"
p=$(page)
ra=$(grep -a "^app/127\.0\.0\.1:$A " <<<"$p" | field requests)
rb=$(grep -a "^app/127\.0\.0\.1:$B " <<<"$p" | field requests)
expect_eq "$((ra + rb))" 10 "backend requests: a $ra + b $rb = 10"
expect_eq "$ra $rb" "$(traffic a) $(traffic b)" "as many as each backend logged"
t1=$(grep '^totals:' <<<"$p" | field requests)
expect_ge "$((t1 - t0))" 11 "worker requests total grew by 10 + this page ($t0 -> $t1)"
expect_match "$(grep -a "^app/127\.0\.0\.1:$A " <<<"$p")" 'latency_ms=[0-9]*\.[0-9] ' \
    "latency shown in ms"

# ---- a slow request in flight -------------------------------------------
# b's checks fail, so the slow request goes to a
expect_true "b's /health answers 503" health_set b "status=503"
expect_true "b is logged down within 5 s" hc_wait 5 app "$B" down
expect_match "$(bline "$B")" ' state=down draining=no .* checks_failed=[1-9]' \
    "backend b: down, failed checks counted"
expect_match "$(bline "$A")" ' state=up ' "backend a: still up"
cu -o "$T/slow.body" -w '%{http_code}\n' "$U/slowreq?delay=3" >"$T/slow.out" &
sp=$!
track $sp
slow_seen() { page | grep -q ' state=upstream .* request=GET /slowreq?delay=3 HTTP/1\.1$'; }
expect_true "a worker shows state upstream with the slow request line" \
    wait_until 3 slow_seen
p=$(page)
diag "while the slow request runs:" "$(grep '^slot=' <<<"$p")"
expect_eq "$(grep -c '^slot=' <<<"$p")" 3 "still 3 worker lines"
expect_match "$(grep ' state=upstream ' <<<"$p")" 'client=127\.0\.0\.1 secs=[0-9]+ request=' \
    "the busy worker: client and seconds"
expect_match "$(grep -a "^app/127\.0\.0\.1:$A " <<<"$p")" ' active=1 ' \
    "backend a: 1 request in flight"

# ---- JSON ---------------------------------------------------------------
head=$(cu -D - -o "$T/page.json" "$SU?format=json")
expect_match "$(hval Content-Type "$head")" '^application/json' "?format=json: application/json"
expect_true "the JSON parses" "$PYTHON" -c 'import json,sys; json.load(sys.stdin)' <"$T/page.json"
cu -o "$T/page2.txt" "$SU"
summary() {	# FILE: what both forms must agree on (no live counters)
	"$PYTHON" - "$1" <<'PY'
import json, re, sys
f = sys.argv[1]
if f.endswith(".json"):
    d = json.load(open(f))
    print("pid", d["master_pid"], "gen", d["generation"],
          "workers", d["totals"]["workers"])
    for b in d["backends"]:
        print(b["server"], b["address"], b["state"], b["draining"],
              b["requests"],
              b["weight"], b["backup"], b["max_conns"])
    for w in d["workers"]:
        print("slot", w["slot"], w["pid"], w["generation"])
    print("busy", sorted(w["request"] for w in d["workers"]
                         if w["state"] == "upstream"))
else:
    t = open(f).read()
    kv = lambda l: dict(re.findall(r"(\w+)=(\S+)", l))
    m = kv(t.splitlines()[1])
    tot = kv([l for l in t.splitlines() if l.startswith("totals:")][0])
    print("pid", m["master_pid"], "gen", m["generation"],
          "workers", tot["workers"])
    yn = {"yes": True, "no": False}
    for l in t.splitlines():
        if l.startswith("app/"):
            k = kv(l)
            print(l.split()[0], k["address"], k["state"],
                  yn[k["draining"]],
                  k["requests"], k["weight"], yn[k["backup"]],
                  k["max_conns"])
    for l in t.splitlines():
        if l.startswith("slot="):
            k = kv(l)
            print("slot", k["slot"], k["pid"], k["generation"])
    print("busy", sorted(l.split(" request=", 1)[1]
                         for l in t.splitlines() if " state=upstream " in l))
PY
}
js=$(summary "$T/page.json")
tx=$(summary "$T/page2.txt")
diag "from the JSON:" "$js"
expect_eq "$js" "$tx" "the JSON says what the text says"
expect_match "$js" "app/127\\.0\\.0\\.1:$B 127\\.0\\.0\\.1:$B down False" "JSON: b down"
expect_true "the slow request finishes" _wait_gone 10 $sp
wait $sp
expect_eq "$(cat "$T/slow.out")" 200 "the slow request: 200"
expect_true "b's /health answers 200" health_set b "status=200"
expect_true "b is logged up again within 5 s" hc_wait 5 app "$B" up

# ---- drain and undrain --------------------------------------------------
out=$(cu -D "$T/drain.head" -X POST "$SU/drain?server=app%2F127.0.0.1:$B")
expect_eq "$(first_line "$(cat "$T/drain.head")" | cut -d' ' -f2)" 200 "POST drain: 200"
expect_eq "$out" "draining app/127.0.0.1:$B" "it says draining app/127.0.0.1:$B"
expect_match "$(bline "$B")" ' state=draining draining=yes ' "the page shows b draining"
expect_true "JSON: b draining" "$PYTHON" -c "
import json, sys
d = json.load(sys.stdin)
b = [x for x in d['backends'] if x['server'] == 'app/127.0.0.1:$B'][0]
sys.exit(not (b['draining'] is True and b['state'] == 'draining'))" < <(page '?format=json')
expect_true "the master log says b draining" hc_wait 5 app "$B" draining
b0=$(traffic b) a0=$(traffic a)
codes=$(get_n 10 "$U/d")
expect_eq "$(count_of 200 "$codes")" 10 "10 requests while b drains: all 200"
expect_eq "$(($(traffic b) - b0))" 0 "b gets none of them"
expect_eq "$(($(traffic a) - a0))" 10 "a gets all 10"
out=$(cu -X POST "$SU/undrain?server=app/127.0.0.1:$B")
expect_eq "$out" "no longer draining app/127.0.0.1:$B" "POST undrain (raw slash): no longer draining"
expect_match "$(bline "$B")" ' state=up draining=no ' "the page shows b up again"
b0=$(traffic b)
codes=$(get_n 9 "$U/u")
expect_eq "$(count_of 200 "$codes")" 9 "9 requests after undrain: all 200"
expect_ge "$(($(traffic b) - b0))" 3 "b gets its share again ($(($(traffic b) - b0)) of 9)"
expect_match "$(grep -a 'status page: drain' "$(porter_log)")" \
    "127\\.0\\.0\\.1: status page: drain app/127\\.0\\.0\\.1:$B" "the drain is logged with the client"

# ---- wrong requests -----------------------------------------------------
out=$(cu -w ' %{http_code}' -X POST "$SU/drain?server=app/127.0.0.1:1")
expect_match "$out" '^no server app/127\.0\.0\.1:1 .* 404$' "drain of an unknown server: 404 naming it"
expect_status "$SU/drain?server=app/127.0.0.1:$A" 403 -X POST -H 'Origin: http://evil.example'
expect_match "$(bline "$A")" ' state=up draining=no ' "a POST from another site (Origin) drains nothing"
out=$(cu -X POST -H "Origin: http://127.0.0.1:$S" "$SU/undrain?server=app/127.0.0.1:$A")
expect_eq "$out" "no longer draining app/127.0.0.1:$A" "an Origin naming the page's own host may act"
expect_status "$SU/drain?server=nopool" 400 -X POST
expect_status "$SU/drain" 400 -X POST
expect_status "$SU/drain?server=app/127.0.0.1:$A" 405
expect_status "$SU" 405 -X DELETE
expect_status "$SU" 405 -X POST
expect_status "$SU/other" 404
expect_status "http://127.0.0.1:$S/" 404
expect_status "$SU-x" 404
expect_status "$SU?x=1&format=text" 200
h=$(cu -I "$SU")
expect_eq "$(first_line "$h" | cut -d' ' -f2)" 200 "HEAD: 200"
expect_ne "$(hval Content-Length "$h")" 0 "with the page's length"
h=$(cu -D - -o "$T/post.body" -X POST --data 'x=1' "$SU/undrain?server=app/127.0.0.1:$B")
expect_eq "$(first_line "$h" | cut -d' ' -f2)" 200 "POST with a body: 200"
expect_match "$(hval Connection "$h")" '^close$' "and Connection: close"
expect_eq "$(cat "$T/post.body")" "no longer draining app/127.0.0.1:$B" "undrain of a server not draining says so"
ka=$(cu -o /dev/null -o /dev/null -w '%{num_connects}\n' "$SU" "$SU?format=json" | tr '\n' ' ')
expect_eq "$ka" "1 0 " "two pages on one kept-alive connection"

# ---- reload -------------------------------------------------------------
put_conf conf 'path = "/st";'
kill -HUP "$(porter_pid)"
gen2() { cu "http://127.0.0.1:$S/st" | grep -q ' generation=2$'; }
expect_true "after HUP the page is at the new path, generation 2" wait_until 10 gen2
expect_status "$SU" 404
expect_match "$(cu "http://127.0.0.1:$S/st" | grep -a "^app/127\.0\.0\.1:$A ")" \
    ' state=up .* requests=[1-9]' "the backend rows keep their counters"

put_conf conf 'allow = [ "10.0.0.0/8" ];'
kill -HUP "$(porter_pid)"
refused() { [ "$(cu -o /dev/null -w '%{http_code}' "$SU")" = 403 ]; }
expect_true "allow = [ 10.0.0.0/8 ]: 127.0.0.1 gets 403" wait_until 10 refused
expect_status "http://127.0.0.1:$S/st" 403
expect_status "$SU/drain?server=app/127.0.0.1:$A" 403 -X POST
expect_match "$(bline "$A" 2>/dev/null)" '^$' "no page for it"
expect_status "$U/x" 200

# ---- porter -t ----------------------------------------------------------
cat >"$T/open.conf" <<EOF
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$A"; } ); } );
status = { listen = "0.0.0.0:$S"; };
EOF
out=$("$PORTER" -t -c "$T/open.conf" 2>&1)
st=$?
diag "porter -t: $out"
expect_eq "$st" 1 "porter -t: status on 0.0.0.0 without allow is refused"
expect_match "$out" "open\\.conf:4: status\\.listen: status on 0\\.0\\.0\\.0:$S needs an allow list" \
    "naming the line and the address"
sed -i "s|0\\.0\\.0\\.0:$S\"; |0.0.0.0:$S\"; allow = [ \"10.0.0.0/8\" ]; |" "$T/open.conf"
out=$("$PORTER" -t -c "$T/open.conf" 2>&1)
expect_eq "$?" 0 "with an allow list it is accepted" || diag "$out"
sed -i "s|0\\.0\\.0\\.0:$S|127.0.0.1:$P|" "$T/open.conf"
out=$("$PORTER" -t -c "$T/open.conf" 2>&1)
expect_match "$out" "status\\.listen \"127\\.0\\.0\\.1:$P\" duplicates listeners\\[0\\]" \
    "a status listen equal to a listener's is refused"

expect_no_alerts
porter_stop
done_testing
