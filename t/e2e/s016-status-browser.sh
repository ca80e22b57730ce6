#!/bin/bash
# s016: the HTML status page in a real browser: headless Chromium, driven
# through the DevTools protocol (t/e2e/cdp.py). With JavaScript: the page
# a browser gets at status.path is HTML; its script runs under the
# page's Content-Security-Policy (no violation reported, no exception)
# and keeps it live: requests made after it loaded show up without a
# reload; worker rows (pids, the one upstream with its request line) and
# both backends up. Clicking a server's drain button posts its form: the
# browser lands back on the page (303), which shows the server draining,
# as the JSON does; a screenshot then (the test's temp dir; also copied
# to $STATUS_PAGE_PNG when that is set, which is how docs/status-page.png
# is made); undrain brings it back. A request line made of HTML
# (<script>alert, quotes, </td>) shows as text after the script's
# updates too: no dialog, no new element. Without JavaScript: the same
# tables rendered by the server (worker rows, backends, the escaped
# request), a meta refresh, and the drain form works all the same; its
# cells and classes are those the script renders.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"
. "$E2E/lib-status.sh"
need_tool chromium timeout

backend_start a
A=$BPORT
backend_start b
B=$BPORT
P=$(free_port)
S=$(free_port)
U=http://127.0.0.1:$P
SU=http://127.0.0.1:$S/porter-status
porter_start <<EOF
log_level = "info";
workers = { count = 4; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; cache = true; } ); } );
pools = ( { name = "app";
    servers = ( { address = "127.0.0.1:$A"; },
                { address = "127.0.0.1:$B"; weight = 2; } ); } );
status = { listen = "127.0.0.1:$S"; allow = [ "127.0.0.1" ]; };
EOF
expect_true "4 workers" wait_workers 4 10

# some traffic, a few cache hits, and a request in flight
for i in 1 2 3 4 5 6; do cu -o /dev/null "$U/app/page-$i"; done
for i in 1 2 3; do cu -o /dev/null "$U/cache?h=Cache-Control:max-age%3D60"; done
CURL_MAX_TIME=30 cu -o /dev/null "$U/slow?s=25" 2>/dev/null &
track $!
slow_seen() { cu "$SU" | grep -qF 'request=GET /slow?s=25 '; }
expect_true "a slow request is in flight" wait_until 5 slow_seen

Q="document.querySelector"
QA="document.querySelectorAll"
rows_js="[...$QA('tbody[data-rows=workers] tr')].map(r => [Number(r.cells[1].textContent), r.className, r.cells[6].textContent])"
backends_js="[...$QA('tbody[data-rows=backends] tr')].map(r => [r.cells[1].textContent, r.className, r.cells[4].textContent])"
sent_js="[...$QA('tbody[data-rows=backends] tr')].reduce((n, r) => n + Number(r.cells[9].textContent), 0)"
classes_js="[...$QA('tbody[data-rows=backends] tr, tbody[data-rows=backends] td')].map(e => e.className)"
cells_js="[...$QA('tbody[data-rows=backends] td')].filter(td => td.cellIndex != 14 && td.cellIndex != 15).map(td => td.textContent)"
form_b="form[action\$='/drain?server=app%2F127.0.0.1%3A$B'] button"
unform_b="form[action\$='/undrain?server=app%2F127.0.0.1%3A$B'] button"

# ---- with JavaScript ------------------------------------------------------
browse live --size 1600x1000 \
    "goto:$SU" \
    "eval:type:document.contentType" \
    "wait:$Q('#live').textContent.startsWith('Live: updated')" \
    "eval:workers:$rows_js" \
    "eval:backends:$backends_js" \
    "eval:before:window.__before = $sent_js" \
    "eval:mark:window.__mark = 42" \
    "run:for i in 1 2 3 4 5; do curl -q -sS --max-time 5 -o /dev/null $U/after-load-\$i || exit 1; done" \
    "wait:$sent_js >= window.__before + 5" \
    "eval:same:window.__mark" \
    "run:curl -q -sS --max-time 5 -o $T/server.html '$SU?format=html'" \
    "eval:classes:$classes_js" \
    "eval:cells:$cells_js" \
    "clicknav:$form_b" \
    "eval:landed:location.pathname" \
    "wait:$Q('#live').textContent.startsWith('Live: updated')" \
    "eval:drained:$backends_js" \
    "run:curl -q -sS --max-time 5 -o $T/drained.json '$SU?format=json'" \
    "shot:$T/status-page.png" \
    "clicknav:$unform_b" \
    "wait:$Q('#live').textContent.startsWith('Live: updated')" \
    "eval:undrained:$backends_js"
rc=$?
expect_eq "$rc" 0 "chromium ran the page's steps (exit 0)"
[ $rc = 0 ] || diag "cdp.py said:" "$(tail -n 15 "$T/live.err")"
expect_eq "$(bval live type)" "text/html" "a browser at status.path gets HTML"
expect_true "no script exception, no dialog, no CSP violation reported" browse_clean live
msgs=$(grep -v '^exceptions: \|^dialogs: ' "$T/live.err" | head -n 10)
[ -n "$msgs" ] && diag "the browser said:" "$msgs"
w=$(awk -F '\t' '$1 == "workers" { print $2 }' "$T/live.out")
expect_eq "$("$PYTHON" -c 'import json, sys; print(" ".join(str(r[0]) for r in sorted(json.loads(sys.argv[1]))))' "$w")" \
    "$(porter_workers | sort -n | tr '\n' ' ' | sed 's/ $//')" "worker rows (after the script's update): the 4 workers' pids"
expect_match "$w" '"upstream", "GET /slow\?s=25 HTTP/1\.1"' "... one upstream with its request line"
expect_eq "$(bval live backends)" \
    "[[\"127.0.0.1:$A\", \"up\", \"drain\"], [\"127.0.0.1:$B\", \"up\", \"drain\"]]" \
    "backends: both up, a drain button each"
expect_eq "$(bval live same)" 42 "5 requests made after the page loaded show up in the backends' counts, without a reload (live)"
expect_eq "$(bval live landed)" /porter-status "after the drain button: back on the page (303)"
expect_eq "$(bval live drained)" \
    "[[\"127.0.0.1:$A\", \"up\", \"drain\"], [\"127.0.0.1:$B\", \"draining\", \"undrain\"]]" \
    "the page shows b draining, with an undrain button"
expect_eq "$(hq "$T/drained.json" '[[b["server"], b["state"], b["draining"]] for b in d["backends"]]' 2>/dev/null)" \
    "[[\"app/127.0.0.1:$A\", \"up\", false], [\"app/127.0.0.1:$B\", \"draining\", true]]" \
    "the JSON says b draining"
expect_match "$(grep -a 'status page: drain' "$(porter_log)")" \
    "127\\.0\\.0\\.1: status page: drain app/127\\.0\\.0\\.1:$B" "the drain is logged with the browser's address"
expect_eq "$(bval live undrained)" \
    "[[\"127.0.0.1:$A\", \"up\", \"drain\"], [\"127.0.0.1:$B\", \"up\", \"drain\"]]" \
    "after the undrain button: b up again, with a drain button"
# what the server rendered at that moment, as the script renders it
html_check "$T/server.html"
expect_eq "$(hq "$T/server.html.json" '[c for r in d["tables"]["backends"]["rows"] for c in [r["class"]] + r["tdclass"]]')" \
    "$(bval live classes)" "the server gives the backends' rows and cells the classes the script gives them"
expect_eq "$(hq "$T/server.html.json" '[t for r in d["tables"]["backends"]["rows"] for t in r["tdtext"][:14]]')" \
    "$(bval live cells)" "... and the same text (but the times since, which move)"
png=$("$PYTHON" -c '
import struct, sys
b = open(sys.argv[1], "rb").read(24)
w, h = struct.unpack(">II", b[16:24])
print("png" if b[:8] == b"\x89PNG\r\n\x1a\n" else "not png", w >= 1000 and h >= 800)' "$T/status-page.png" 2>&1)
expect_eq "$png" "png True" "a screenshot of the whole page: $T/status-page.png"
if [ -n "${STATUS_PAGE_PNG:-}" ]; then
	cp "$T/status-page.png" "$STATUS_PAGE_PNG" && diag "screenshot copied to $STATUS_PAGE_PNG"
fi

# ---- a request line that is HTML ------------------------------------------
evil='/slow?s=20&q=<script>alert("x")</script><img/src=x/onerror=alert(1)>&a='"'"'b'"'"'&c=</td></tr>'
want="GET $evil HTTP/1.1"
CURL_MAX_TIME=30 cu -g -o /dev/null "$U$evil" 2>/dev/null &
track $!
evil_seen() { cu "$SU" | grep -qF 'request=GET /slow?s=20&q=<script>'; }
expect_true "a request with HTML in its request line is in flight" wait_until 5 evil_seen
evil_js="[...$QA('tbody[data-rows=workers] td.req')].map(td => td.textContent).filter(t => t.includes('s=20'))"
browse evil \
    "goto:$SU" \
    "eval:server:$evil_js" \
    "wait:$Q('#live').textContent.startsWith('Live: updated')" \
    "run:sleep 2.5" \
    "eval:script:$evil_js" \
    "eval:elements:[document.scripts.length, $QA('img').length, $QA('tbody[data-rows=workers] td b, tbody[data-rows=workers] td script').length]"
expect_eq "$?" 0 "chromium loaded the page with it"
want_json=$("$PYTHON" -c 'import json, sys; print(json.dumps([sys.argv[1]]))' "$want")
expect_eq "$(bval evil server)" "$want_json" "as the server rendered it: the request line as text, exactly as sent"
expect_eq "$(bval evil script)" "$want_json" "after the script's updates: the same text"
expect_eq "$(bval evil elements)" "[1, 0, 0]" "no element came of it (one script: the page's own; no img)"
expect_true "no dialog opened, no exception" browse_clean evil

# ---- without JavaScript -----------------------------------------------------
browse nojs nojs \
    "goto:$SU" \
    "eval:live:$Q('#live').textContent" \
    "eval:refresh:$Q('meta[http-equiv=refresh]').content" \
    "eval:workers:$rows_js" \
    "eval:backends:$backends_js" \
    "eval:server:$evil_js" \
    "clicknav:$form_b" \
    "eval:landed:location.pathname" \
    "eval:drained:$backends_js" \
    "clicknav:$unform_b" \
    "eval:undrained:$backends_js"
expect_eq "$?" 0 "chromium with JavaScript off loaded the page"
expect_match "$(bval nojs live)" '^Rendered at [0-9-]+ [0-9:]+ UTC\.$' "no script ran: the server's 'Rendered at' line"
expect_eq "$(bval nojs refresh)" 10 "a meta refresh (10 s) instead"
w=$(awk -F '\t' '$1 == "workers" { print $2 }' "$T/nojs.out")
expect_eq "$("$PYTHON" -c 'import json, sys; print(" ".join(str(r[0]) for r in sorted(json.loads(sys.argv[1]))))' "$w")" \
    "$(porter_workers | sort -n | tr '\n' ' ' | sed 's/ $//')" "server-rendered worker rows: the 4 workers' pids"
expect_match "$w" '"writing", "GET /porter-status HTTP/1\.1"' "... the one writing this page, with its request line"
expect_eq "$(bval nojs backends)" \
    "[[\"127.0.0.1:$A\", \"up\", \"drain\"], [\"127.0.0.1:$B\", \"up\", \"drain\"]]" \
    "server-rendered backends: both up"
expect_eq "$(bval nojs server)" "$want_json" "the HTML request line, escaped: shown as sent"
expect_eq "$(bval nojs landed) $(bval nojs drained)" \
    "/porter-status [[\"127.0.0.1:$A\", \"up\", \"drain\"], [\"127.0.0.1:$B\", \"draining\", \"undrain\"]]" \
    "the drain form works without JavaScript: back on the page, b draining"
expect_eq "$(bval nojs undrained)" \
    "[[\"127.0.0.1:$A\", \"up\", \"drain\"], [\"127.0.0.1:$B\", \"up\", \"drain\"]]" \
    "... and undrain"

leftover=$(pgrep -f "user-data-dir=$T/chrome" | head -n 5)
expect_eq "$leftover" "" "no chromium process left"
[ -n "$leftover" ] && kill -KILL $leftover 2>/dev/null

expect_no_alerts
porter_stop
done_testing
