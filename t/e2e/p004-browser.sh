#!/bin/bash
# p004: a real browser through porter. Headless Chromium, with porter as
# its proxy (and "<-loopback>" so that it proxies loopback addresses too),
# loads a local HTTP page and a local HTTPS page (self-signed, through
# CONNECT); each page pulls a script that adds a line to the DOM. The DOM
# dumps hold the page's marker and the script's line, and porter's access
# log shows the GETs and the CONNECT (the browser did use the proxy).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"
need_tool chromium openssl timeout

make_cert
tls_start plain --plain --marker HTTP-MARKER-p004
HP=$TPORT
tls_start tls --marker TLS-MARKER-p004
TLS=$TPORT
P=$(free_port)
# allow_hosts keeps the browser's own background requests (updates and
# the like) from going anywhere: porter refuses them
porter_start <<EOF
access_log = "$T/access.log";
workers = { start = 2; min_spare = 1; max_spare = 4; max = 4; max_requests = 0; };
listeners = (
  { listen = "127.0.0.1:$P"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $TLS ];
    allow_hosts = [ "127.0.0.1", "localhost" ]; } );
EOF

# browse NAME URL [ARGS]: the DOM of URL, loaded by headless Chromium
# through porter, into $T/NAME.dom (its stderr into $T/NAME.err)
browse() {
	local name=$1 url=$2
	shift 2
	timeout -k 5 60 chromium --headless=new --no-sandbox --disable-gpu \
	    --user-data-dir="$T/chrome-$name" --no-first-run --no-default-browser-check \
	    --disable-background-networking --disable-component-update --disable-sync \
	    --disable-default-apps --disable-extensions --no-pings \
	    --proxy-server="http://127.0.0.1:$P" --proxy-bypass-list='<-loopback>' \
	    "$@" --dump-dom "$url" >"$T/$name.dom" 2>"$T/$name.err" </dev/null
}

# ---- a plain HTTP page ----
browse http "http://127.0.0.1:$HP/"
rc=$?
expect_eq "$rc" 0 "chromium loaded http://127.0.0.1:$HP/ (exit 0)"
dom=$(cat "$T/http.dom")
expect_match "$dom" '<p id="marker">HTTP-MARKER-p004</p>' "HTTP page: the marker is in the DOM"
expect_match "$dom" '<p id="js">JS-HTTP-MARKER-p004</p>' "HTTP page: its script came and ran"
[ $rc = 0 ] && [[ $dom =~ HTTP-MARKER ]] || diag "chromium said:" "$(tail -n 15 "$T/http.err")"
if wait_log "$T/access.log" "GET [^ \"]*127\\.0\\.0\\.1:$HP/ "; then
	ok "access log: the browser's GET for the page went through porter"
else
	not_ok "access log: the browser's GET for the page went through porter" \
	    "$(tail -n 5 "$T/access.log" 2>/dev/null)"
fi
expect_match "$(cat "$T/access.log" 2>/dev/null)" "GET [^ \"]*127\\.0\\.0\\.1:$HP/app\\.js " \
    "access log: ... and the one for its script"
rec=$(grep -F '"path": "/"' "$(helper_log plain)" | head -n 1)
expect_match "$rec" '"[Vv]ia", "1\.1 [^"]+"' "the HTTP server got the page request with porter's Via"

# ---- an HTTPS page, through CONNECT ----
browse https "https://localhost:$TLS/" --ignore-certificate-errors
rc=$?
expect_eq "$rc" 0 "chromium loaded https://localhost:$TLS/ (exit 0)"
dom=$(cat "$T/https.dom")
expect_match "$dom" '<p id="marker">TLS-MARKER-p004</p>' "HTTPS page: the marker is in the DOM"
expect_match "$dom" '<p id="js">JS-TLS-MARKER-p004</p>' "HTTPS page: its script came and ran"
[ $rc = 0 ] && [[ $dom =~ TLS-MARKER ]] || diag "chromium said:" "$(tail -n 15 "$T/https.err")"
if wait_log "$T/access.log" "CONNECT localhost:$TLS"; then
	ok "access log: the browser's CONNECT localhost:$TLS went through porter"
else
	not_ok "access log: the browser's CONNECT localhost:$TLS went through porter" \
	    "$(tail -n 5 "$T/access.log" 2>/dev/null)"
fi
expect_ge "$(grep -c '"tls": true' "$(helper_log tls)")" 2 \
    "the HTTPS server got the page and the script"

# nothing of the browser's is left running
leftover=$(pgrep -f "user-data-dir=$T/chrome" | head -n 5)
expect_eq "$leftover" "" "no chromium process left"
[ -n "$leftover" ] && kill -KILL $leftover 2>/dev/null

expect_no_alerts
porter_stop
done_testing
