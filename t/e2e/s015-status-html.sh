#!/bin/bash
# s015: the status page as HTML, without a browser (s016 has one). Which
# form a client gets: curl's default and */* the text page, a browser's
# Accept and ?format=html the HTML, ?format=json and application/json the
# JSON, q-values weighed, ties to text, the query over Accept, Vary:
# Accept. The HTML answer: a Content-Security-Policy that allows only the
# page's own nonce'd style and script, fetches and forms to itself, no
# framing; an HTML5 document without a parse error (html5lib), unique
# ids, whole tables, nothing loaded from elsewhere, no inline handler or
# style attribute, a meta refresh for browsers without JavaScript. Its
# tables are rendered by the server: the 3 workers (pids, the one writing
# this page), both backends with their drain forms, the cache (hit ratio
# after a miss and a hit), the waiter. A request line full of HTML
# (<script>, quotes, </td></tr>) is escaped: shown as sent, no markup. The
# requests a second over 1/5/15 minutes on all three forms: equal while
# porter is younger than a minute, about requests / uptime. A POST that
# prefers HTML (the page's form) gets 303 back to the page, curl's the
# same text as before; another site's Origin still 403. Every field of
# ?format=json is in the README's schema. allow = [ "127.0.0.1" ]: a
# client from 127.0.0.2 gets 403 for every form and the POST. A reload
# keeps the HTML page.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"
. "$E2E/lib-status.sh"

backend_start a
A=$BPORT
backend_start b
B=$BPORT
P=$(free_port)
S=$(free_port)
U=http://127.0.0.1:$P
SU=http://127.0.0.1:$S/porter-status

conf() {	# GENERATION_NOTE
	cat <<EOF
pid_file = "$T/porter.pid";
error_log = "$T/error.log";
log_level = "info";
# $1
workers = { count = 3; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; cache = true; } ); } );
pools = ( { name = "app";
    servers = ( { address = "127.0.0.1:$A"; },
                { address = "127.0.0.1:$B"; weight = 2; } ); } );
status = { listen = "127.0.0.1:$S"; allow = [ "127.0.0.1" ]; };
EOF
}
porter_start < <(conf first)
expect_true "3 workers" wait_workers 3 10
three_idle() {	# all 3 listed, the other two idle (the waiter took the last client)
	cu -o "$T/w.txt" "$SU" && [ "$(grep -c '^slot=' "$T/w.txt")" = 3 ] &&
	    [ "$(grep -c ' state=idle ' "$T/w.txt")" = 2 ]
}
expect_true "the page lists 3 workers, 2 idle, within 5 s" wait_until 5 three_idle

# ---- which form -----------------------------------------------------------
form() {	# CURL ARGS...: "STATUS CONTENT-TYPE" (type without parameters)
	cu -o /dev/null -w '%{http_code} %{content_type}\n' "$@" | sed 's/;.*//'
}
expect_eq "$(form "$SU")" "200 text/plain" "curl's default Accept (*/*): text"
expect_eq "$(form -H 'Accept:' "$SU")" "200 text/plain" "no Accept at all: text"
expect_eq "$(form -H "Accept: $ACCEPT_BROWSER" "$SU")" "200 text/html" "a browser's Accept: HTML"
expect_eq "$(form "$SU?format=html")" "200 text/html" "?format=html: HTML"
expect_eq "$(form "$SU?format=json")" "200 application/json" "?format=json: JSON"
expect_eq "$(form -H "Accept: $ACCEPT_BROWSER" "$SU?format=json")" "200 application/json" \
    "?format=json wins over a browser's Accept"
expect_eq "$(form -H "Accept: $ACCEPT_BROWSER" "$SU?format=text")" "200 text/plain" \
    "?format=text wins over a browser's Accept"
expect_eq "$(form -H 'Accept: application/json' "$SU")" "200 application/json" "Accept: application/json: JSON"
expect_eq "$(form -H 'Accept: text/plain, text/html' "$SU")" "200 text/plain" "text and HTML alike: text"
expect_eq "$(form -H 'Accept: text/*' "$SU")" "200 text/plain" "text/*: text"
expect_eq "$(form -H 'Accept: text/html;q=0.5, */*;q=0.9' "$SU")" "200 text/plain" \
    "HTML at q=0.5 under */* at 0.9: text"
expect_eq "$(form -H 'Accept: text/plain;q=0.4, TEXT/HTML' "$SU")" "200 text/html" \
    "HTML (any case) over text at q=0.4: HTML"
expect_eq "$(form -H 'Accept: image/png' "$SU")" "200 text/plain" "nothing it has: text all the same"
h=$(cu -D - -o /dev/null "$SU")
expect_eq "$(hval Vary "$h")" "Accept" "the text page says Vary: Accept"
h=$(cu -I -H "Accept: $ACCEPT_BROWSER" "$SU")
expect_eq "$(first_line "$h" | cut -d' ' -f2) $(hval Content-Type "$h")" \
    "200 text/html; charset=utf-8" "HEAD with a browser's Accept: 200 text/html"

# ---- the HTML answer --------------------------------------------------------
# a page where the worker that served the last one has seen its client go
html_ready() {
	cu -D "$T/p.head" -o "$T/p.html" -H "Accept: $ACCEPT_BROWSER" "$SU" &&
	    html_check "$T/p.html" && [ "$(hq "$T/p.html.json" \
	    '[r["class"] for r in d["tables"]["workers"]["rows"]].count("idle")')" = 2 ]
}
expect_true "htmlcheck.py runs (html5lib is installed); a page with 2 workers idle" \
    wait_until 5 html_ready
h=$(cat "$T/p.head")
csp=$(hval Content-Security-Policy "$h")
diag "CSP: $csp"
expect_eq "$(hval Cache-Control "$h")" no-store "HTML: Cache-Control: no-store"
expect_eq "$(hval Vary "$h")" Accept "HTML: Vary: Accept"
nonce=$(sed -n "s/.*script-src 'nonce-\\([A-Za-z0-9+\\/_=-]*\\)'.*/\\1/p" <<<"$csp")
expect_match "$nonce" '^[0-9a-f]{32}$' "CSP: script-src names a 128-bit nonce"
expect_eq "$(tr ';' '\n' <<<"$csp" | sed 's/^ *//' | sort | tr '\n' '|')" \
    "base-uri 'none'|connect-src 'self'|default-src 'none'|form-action 'self'|frame-ancestors 'none'|script-src 'nonce-$nonce'|style-src 'nonce-$nonce'|" \
    "CSP: nothing by default, style and script by the nonce, fetches and forms to itself, no framing"
h2=$(cu -D - -o /dev/null "$SU?format=html")
expect_ne "$(hval Content-Security-Policy "$h2")" "$csp" "each page has a nonce of its own"
J=$T/p.html.json
expect_eq "$(hq "$J" 'd["errors"]')" "[]" "HTML5: no parse error"
expect_eq "$(hq "$J" 'd["doctype"]')" "html" "<!DOCTYPE html>"
expect_eq "$(hq "$J" 'd["dup_ids"] + d["bad_rows"]')" "[]" "ids unique, every row as wide as its header"
expect_eq "$(hq "$J" 'd["outside"]')" "[]" "nothing from outside: no src, href or url() but the page's own forms"
expect_eq "$(hq "$J" '[s[0] for s in d["scripts"] + d["styles"] if len(s) == 2 and s[1] > 0]')" \
    "[\"$nonce\", \"$nonce\"]" "one inline script and one inline style, both with the nonce"
expect_eq "$(hq "$J" '[d["inline_style"], d["handlers"]]')" "[0, []]" \
    "no style attribute, no on* handler (the CSP would block them)"
expect_eq "$(hq "$J" 'd["refresh"]')" "10" "without JavaScript: a meta refresh every 10 s (in <noscript>)"
expect_true "the page is UTF-8" "$PYTHON" -c 'import sys; open(sys.argv[1], "rb").read().decode("utf-8")' "$T/p.html"

# ---- what it shows ----------------------------------------------------------
expect_eq "$(hq "$J" 'd["values"]["master_pid"]')" "$(porter_pid)" "summary: the master's pid"
expect_eq "$(hq "$J" 'd["values"]["generation"]')" 1 "summary: generation 1"
expect_eq "$(hq "$J" 'd["values"]["config"]')" "$T/porter.conf" "summary: the config file"
expect_eq "$(hq "$J" 'd["values"]["version"]')" "$(sed -n '1s/^porter //p' "$T/w.txt")" \
    "summary: the version the text page says"
expect_match "$(hq "$J" 'd["values"]["uptime_s"]')" '^[0-9]+ s$' "summary: uptime in seconds"
expect_eq "$(hq "$J" 'd["values"]["totals.workers"]')" 3 "totals: 3 workers"
expect_eq "$(hq "$J" 'sorted(int(r["cells"]["pid"]) for r in d["tables"]["workers"]["rows"])')" \
    "[$(porter_workers | sort -n | paste -sd, | sed 's/,/, /g')]" "worker rows: the 3 workers' pids"
expect_eq "$(hq "$J" '[r["cells"]["request"] for r in d["tables"]["workers"]["rows"] if r["class"] == "writing"]')" \
    '["GET /porter-status HTTP/1.1"]' "the worker writing this page, with its request line"
expect_eq "$(hq "$J" '[r["class"] for r in d["tables"]["workers"]["rows"]].count("idle")')" 2 "the 2 others idle"
expect_eq "$(hq "$J" '[[r["cells"][k] for k in ("pool", "name", "state", "weight", "server")] for r in d["tables"]["backends"]["rows"]]')" \
    "[[\"app\", \"127.0.0.1:$A\", \"up\", \"1\", \"drain\"], [\"app\", \"127.0.0.1:$B\", \"up\", \"2\", \"drain\"]]" \
    "backends: pool, server, state up, weight, a drain button each"
expect_eq "$(hq "$J" '[[f["method"], f["action"]] for f in d["forms"]]')" \
    "[[\"post\", \"/porter-status/drain?server=app%2F127.0.0.1%3A$A\"], [\"post\", \"/porter-status/drain?server=app%2F127.0.0.1%3A$B\"]]" \
    "the forms POST to the drain URLs"
expect_nomatch "$(hq "$J" 'd["hidden"]')" '"waiter"' "the waiter's section is shown (the waiter runs)"
cache_ok() {	# a miss, then a hit, of one cacheable URL
	[ "$(cu -o /dev/null -w '%{http_code}' "$U/cache?h=Cache-Control:max-age%3D60")" = 200 ]
}
cache_ok && cache_ok
cu -o "$T/c.html" "$SU?format=html"
html_check "$T/c.html"
expect_eq "$(hq "$T/c.html.json" '[d["values"][k] for k in ("cache.hit_ratio", "cache.hits", "cache.objects", "cache.miss_uri")]')" \
    '["50.0 %", "1", "1", "1"]' "cache: one miss, one hit: hit ratio 50.0 %, 1 object"
expect_eq "$(hq "$T/c.html.json" 'd["values"]["cache.size"]')" "64.0 MiB" "cache: its size"

# ---- a request line that is HTML ------------------------------------------
evil='/slow?s=6&q=<script>alert("x")</script>&a='"'"'b'"'"'&c=</td></tr><b>'
cu -g -o /dev/null "$U$evil" &
track $!
slow_seen() { cu "$SU" | grep -qF "request=GET /slow?s=6&q=<script>"; }
expect_true "the request with HTML in it is in flight" wait_until 5 slow_seen
cu -o "$T/e.html" -H "Accept: $ACCEPT_BROWSER" "$SU"
html_check "$T/e.html"
expect_eq "$(hq "$T/e.html.json" '[r["cells"]["request"] for r in d["tables"]["workers"]["rows"] if r["class"] == "upstream"]')" \
    "$("$PYTHON" -c 'import json, sys; print(json.dumps(["GET " + sys.argv[1] + " HTTP/1.1"]))' "$evil")" \
    "the worker row shows the request line exactly as sent"
expect_eq "$(hq "$T/e.html.json" '[len(d["scripts"]), d["errors"], d["bad_rows"], d["handlers"]]')" \
    "[1, [], [], []]" "... as text: no new script, no parse error, the table whole"
expect_true "... written with references (&lt;script&gt;, &quot;, &#39;, &lt;/td&gt;)" \
    grep -qF '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;a=&#39;b&#39;&amp;c=&lt;/td&gt;&lt;/tr&gt;&lt;b&gt;' "$T/e.html"
expect_true "... and never raw" bash -c '! grep -qF "<script>alert" "$1"' _ "$T/e.html"

# ---- requests a second ----------------------------------------------------
codes=$(get_n 30 "$U/r")
expect_eq "$(count_of 200 "$codes")" 30 "30 requests"
sleep 1.5
rates_equal() {	# younger than a minute: all three windows are the same span
	cu -o "$T/r.json" "$SU?format=json" &&
	    hq "$T/r.json" 'd["rps_1m"] == d["rps_5m"] == d["rps_15m"] > 0' | grep -q true
}
expect_true "JSON: rps_1m = rps_5m = rps_15m > 0 (porter is younger than a minute)" wait_until 3 rates_equal
r=$(hq "$T/r.json" 'd["rps_1m"]')
n=$(hq "$T/r.json" 'd["totals"]["requests"]')
up=$(hq "$T/r.json" 'd["uptime_s"]')
diag "rps_1m $r, requests $n, uptime $up s"
expect_ge "$r" "$(awk -v n="$n" -v u="$up" 'BEGIN { print (n - 10) / (u + 2) }')" \
    "about requests / uptime: not below (requests - 10) / (uptime + 2)"
expect_le "$r" "$(awk -v n="$n" -v u="$up" 'BEGIN { print n / (u > 3 ? u - 2 : 1) }')" \
    "... nor above requests / (uptime - 2)"
t=$(cu "$SU")
expect_match "$(sed -n 3p <<<"$t")" '^rps_1m=[0-9]+\.[0-9]{2} rps_5m=[0-9]+\.[0-9]{2} rps_15m=[0-9]+\.[0-9]{2}$' \
    "text: line 3 has the three rates"
expect_eq "$(sed -n 4p <<<"$t")" "config=$T/porter.conf" "text: line 4 the config file"
expect_match "$(sed -n 2p <<<"$t")" '^master_pid=[0-9]+ uptime_s=[0-9]+ generation=1$' \
    "text: line 2 as before (ends with the generation)"
cu -o "$T/r.html" "$SU?format=html"
html_check "$T/r.html"
expect_match "$(hq "$T/r.html.json" '[d["values"]["rps_" + w] for w in ("1m", "5m", "15m")]')" \
    '^\["[0-9]+\.[0-9]{2}", "[0-9]+\.[0-9]{2}", "[0-9]+\.[0-9]{2}"\]$' "HTML: the three rates"

# ---- the JSON schema in the README ----------------------------------------
missing=$("$PYTHON" - "$top/README" "$T/r.json" <<'PY'
import json, re, sys
text = open(sys.argv[1]).read()
# the indented block after the paragraph that names it
m = re.search(r"JSON schema \(\?format=json\).*?\n((?:[ \t][^\n]*\n|\n)+)", text, re.S)
doc = m.group(1) if m else ""
d = json.load(open(sys.argv[2]))
keys = set(d)
for part in ("totals", "waiter", "cache"):
    keys |= {part + "." + k for k in d.get(part) or {}}
for part in ("backends", "workers"):
    keys |= {part + "[]." + k for k in (d[part] or [{}])[0]}
print(" ".join(sorted(k for k in keys
                      if not re.search(r"\b%s\b" % re.escape(k.split(".")[-1]), doc))))
PY
)
expect_eq "$missing" "" "every field of ?format=json is named in the README's JSON schema"

# ---- drain from the page's form, and from curl ----------------------------
h=$(cu -D - -o "$T/d.body" -X POST -H "Accept: $ACCEPT_BROWSER" -H "Origin: http://127.0.0.1:$S" \
    -H 'Content-Type: application/x-www-form-urlencoded' --data '' "$SU/drain?server=app%2F127.0.0.1%3A$B")
expect_eq "$(first_line "$h" | cut -d' ' -f2)" 303 "a POST that prefers HTML (the page's form): 303 See Other"
expect_eq "$(hval Location "$h")" "/porter-status" "... back to the page"
expect_eq "$(cat "$T/d.body")" "draining app/127.0.0.1:$B" "... saying what it did"
cu -o "$T/d.html" "$SU?format=html"
html_check "$T/d.html"
expect_eq "$(hq "$T/d.html.json" '[[r["class"], r["cells"]["server"]] for r in d["tables"]["backends"]["rows"]]')" \
    '[["up", "drain"], ["draining", "undrain"]]' "the page shows b draining, with an undrain button"
expect_eq "$(hq "$T/d.html.json" 'd["forms"][1]["action"]')" \
    "/porter-status/undrain?server=app%2F127.0.0.1%3A$B" "... that POSTs to the undrain URL"
expect_eq "$(sj "$SU?format=json" '[b["draining"] for b in d["backends"]]')" "[false, true]" "JSON: b draining"
out=$(cu -X POST "$SU/undrain?server=app/127.0.0.1:$B")
expect_eq "$out" "no longer draining app/127.0.0.1:$B" "curl's POST: 200 with the text, as before"
expect_status "$SU/drain?server=app/127.0.0.1:$A" 403 -X POST -H "Accept: $ACCEPT_BROWSER" \
    -H 'Origin: http://evil.example'
expect_eq "$(sj "$SU?format=json" '[b["draining"] for b in d["backends"]]')" "[false, false]" \
    "another site's form drains nothing"

# ---- allow ------------------------------------------------------------------
expect_status "$SU" 403 --interface 127.0.0.2 -H "Accept: $ACCEPT_BROWSER"
expect_status "$SU?format=html" 403 --interface 127.0.0.2
expect_status "$SU?format=json" 403 --interface 127.0.0.2
expect_status "$SU/drain?server=app/127.0.0.1:$A" 403 --interface 127.0.0.2 -X POST \
    -H "Accept: $ACCEPT_BROWSER" -H "Origin: http://127.0.0.1:$S"
expect_status "$SU?format=html" 200

# ---- reload -----------------------------------------------------------------
conf second >"$T/porter.conf.new" && mv "$T/porter.conf.new" "$T/porter.conf"
kill -HUP "$(porter_pid)"
gen2() { cu -o "$T/g.html" "$SU?format=html" && html_check "$T/g.html" &&
	[ "$(hq "$T/g.html.json" 'd["values"]["generation"]')" = 2 ]; }
expect_true "after HUP the HTML page says generation 2" wait_until 10 gen2
expect_eq "$(hq "$T/g.html.json" '[d["errors"], len(d["tables"]["backends"]["rows"])]')" "[[], 2]" \
    "... still without a parse error, both backends"

expect_no_alerts
porter_stop
done_testing
