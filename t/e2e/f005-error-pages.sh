#!/bin/bash
# f005: error_pages. Top-level pages (a relative path resolves against the
# config file's folder, an absolute one as is) replace the built-in text
# for a refused path (403) and a backend that is down (502); a listener's
# own error_pages win over the top-level ones for that listener only, for
# the statuses they list; a reload reads the files again. porter -t refuses
# a missing page file (naming it), a page over 64K and a status that may
# not have one. The built-in pages never show a backend's address or port.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
DEAD=$(free_port)	# nothing listens there: connect refused -> 502
P1=$(free_port)
P2=$(free_port)
printf '<html><body>custom 403 page</body></html>\n' >"$T/403.html"
printf '<html><body>custom 502 page</body></html>\n' >"$T/502.html"
mkdir "$T/l2"
printf '<html><body>listener two 403 page</body></html>\n' >"$T/l2/403.html"
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
error_pages = ( { status = 403; file = "403.html"; },
                { status = 502; file = "$T/502.html"; } );
listeners = (
  { listen = "127.0.0.1:$P1"; mode = "reverse";
    routes = ( { path = "/"; pool = "app"; deny_paths = [ "^/secret" ]; },
               { path = "/down/"; pool = "dead"; } ); },
  { listen = "127.0.0.1:$P2"; mode = "reverse";
    error_pages = ( { status = 403; file = "l2/403.html"; } );
    routes = ( { path = "/"; pool = "app"; deny_paths = [ "^/secret" ]; },
               { path = "/down/"; pool = "dead"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); },
          { name = "dead"; servers = ( { address = "127.0.0.1:$DEAD"; } ); } );
EOF

fetch() {	# URL: "CODE|BODY"
	local code
	code=$(cu -o "$T/page.b" -w '%{http_code}' "$1")
	printf '%s|%s' "$code" "$(cat "$T/page.b")"
}

# ---- top-level pages ----
expect_eq "$(fetch "http://127.0.0.1:$P1/secret/x")" "403|$(cat "$T/403.html")" \
    "listener 1: denied path -> 403 with the custom page (relative path)"
cu -D "$T/h" -o /dev/null "http://127.0.0.1:$P1/secret/x"
head=$(tr -d '\r' <"$T/h")
expect_match "$(hval Content-Type "$head")" '^text/html' "custom page served as text/html"
expect_eq "$(hval Content-Length "$head")" "$(wc -c <"$T/403.html" | tr -d ' ')" \
    "Content-Length is the page's size"
expect_eq "$(fetch "http://127.0.0.1:$P1/down/x")" "502|$(cat "$T/502.html")" \
    "listener 1: backend down -> 502 with the custom page (absolute path)"
expect_eq "$(fetch "http://127.0.0.1:$P1/ok")" "200|app" "listener 1: other paths reach the backend"
# a status without a page keeps the built-in text
r=$(fetch "http://127.0.0.1:$P1/%zz")
expect_match "$r" '^400\|' "listener 1: bad escape -> 400"
expect_nomatch "$r" 'custom' "400 (no page configured): the built-in text"

# ---- a listener's own pages ----
expect_eq "$(fetch "http://127.0.0.1:$P2/secret/x")" "403|$(cat "$T/l2/403.html")" \
    "listener 2: its own 403 page wins over the top-level one"
expect_eq "$(fetch "http://127.0.0.1:$P2/down/x")" "502|$(cat "$T/502.html")" \
    "listener 2: 502 (not in its list) -> the top-level page"
expect_eq "$(fetch "http://127.0.0.1:$P1/secret/y")" "403|$(cat "$T/403.html")" \
    "listener 1 still serves the top-level 403 page"

# ---- a reload reads the files again ----
printf '<html><body>edited 403 page</body></html>\n' >"$T/403.html"
kill -HUP "$(porter_pid)"
edited() { [ "$(fetch "http://127.0.0.1:$P1/secret/z")" = "403|$(cat "$T/403.html")" ]; }
expect_true "after an edit and SIGHUP the new 403 page is served (within 10 s)" wait_until 10 edited

expect_eq "$(grep -c '"path": "/secret' "$(backend_log app)")" 0 "the backend received none of the denied requests"
expect_no_alerts
porter_stop

# ---- porter -t: bad error_pages ----
check() {	# NAME ERROR_PAGES: run porter -t on a config with them
	cat >"$T/$1.conf" <<EOF
pid_file = "$T/$1.pid";
error_log = "stderr";
error_pages = ( $2 );
listeners = ( { listen = "127.0.0.1:$P1"; mode = "reverse";
                routes = ( { path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
	"$PORTER" -t -c "$T/$1.conf" >"$T/$1.out" 2>"$T/$1.err"
	echo $?
}
expect_eq "$(check good '{ status = 403; file = "403.html"; }')" 0 "porter -t: a good error_pages -> 0"
expect_eq "$(check missing '{ status = 403; file = "nosuch-403.html"; }')" 1 \
    "porter -t: a missing page file -> exit 1"
expect_match "$(cat "$T/missing.err")" "$T/nosuch-403\\.html" "porter -t names the missing file ($T/nosuch-403.html)"
expect_match "$(cat "$T/missing.err")" 'missing\.conf:[0-9]+' "... with the config's file:line"
head -c 70000 /dev/zero | tr '\0' x >"$T/big.html"
expect_eq "$(check big '{ status = 403; file = "big.html"; }')" 1 "porter -t: a page over 64K -> exit 1"
expect_eq "$(check status '{ status = 200; file = "403.html"; }')" 1 "porter -t: status 200 may not have a page -> exit 1"
expect_eq "$(check dup '{ status = 403; file = "403.html"; }, { status = 403; file = "502.html"; }')" 1 \
    "porter -t: two pages for 403 -> exit 1"

# ---- built-in pages never show a backend's address ----
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P1"; mode = "reverse";
    routes = ( { host = "*"; path = "/"; pool = "app"; deny_paths = [ "^/secret" ]; },
               { host = "*"; path = "/down/"; pool = "dead"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); },
          { name = "dead"; servers = ( { address = "127.0.0.1:$DEAD"; } ); } );
EOF
builtin() {	# CODE DESC CURL-ARGS...: the whole answer shows no address
	local code=$1 desc=$2 all
	shift 2
	cu -i -o "$T/bi.out" -w '%{http_code}' "$@" >"$T/bi.code"
	# a time, or the random request id (hex: "c59d7849963c..."), could
	# hold a port's digits
	all=$(grep -aiv '^Date:\|^X-Request-Id:\|Request ID:' "$T/bi.out")
	expect_eq "$(cat "$T/bi.code")" "$code" "built-in: $desc -> $code"
	if [[ $all == *127.0.0.1* || $all == *"$DEAD"* || $all == *"$B"* ]]; then
		not_ok "built-in $code page: no backend address or port" "$(_show "$all")"
	else
		ok "built-in $code page: no backend address or port"
	fi
}
builtin 502 "backend down" "http://127.0.0.1:$P1/down/x"
builtin 403 "denied path" "http://127.0.0.1:$P1/secret"
builtin 400 "bad escape" "http://127.0.0.1:$P1/%zz"
expect_true "the error log does name the backend for the operator" \
    grep -qF "127.0.0.1:$DEAD" "$(porter_log)"

expect_no_alerts
porter_stop
done_testing
