#!/bin/bash
# f002: path rules see the normalised path. deny_paths "^/admin" refuses
# /admin however it is spelt (/./admin, /x/../admin, //admin, /%61dmin,
# /%2e/admin, /x/%2E%2E/admin, absolute form) with 403, and /administrator
# (the regex is a prefix); case is kept, so /ADMIN is another path (200).
# The query is not part of the path. "%2F" gets 400 unless the route has
# allow_encoded_slash; %00 and bad escapes get 400. Routing uses the
# normalised path too. normalize = false (default) sends the backend the
# target as written, normalize = true the normalised path (query kept).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
A=$BPORT
backend_start api
B=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/"; pool = "app"; deny_paths = [ "^/admin", "\\\\.php\$" ]; },
             { path = "/api/"; pool = "api"; },
             { path = "/slash/"; pool = "app"; allow_encoded_slash = true; },
             { path = "/norm/"; pool = "app"; normalize = true; },
             { host = "slash.example"; path = "/"; pool = "app";
               allow_encoded_slash = true; deny_paths = [ "^/admin" ]; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$A"; } ); },
          { name = "api"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
LOG=$(porter_log)

status_of() {	# TARGET [HOST]: the status porter answers a GET of exactly TARGET
	rawhttp -n 1 -t 3 "$P" "GET $1 HTTP/1.1\\r\\nHost: ${2:-a}\\r\\nConnection: close\\r\\n\\r\\n" \
	    2>/dev/null | head -n 1 | tr -d '\r' | awk '{ print $2 }'
}
is() {		# CODE TARGET [WHY]
	expect_eq "$(status_of "$2")" "$1" "GET $2 -> $1${3:+ ($3)}"
}

# ---- deny_paths "^/admin" ----
is 403 /admin
is 403 /admin/x
is 403 /administrator "^/admin is a prefix"
is 403 /./admin
is 403 /x/../admin
is 403 //admin
is 403 ///admin//x
is 403 /%61dmin "%61 is a"
is 403 /%61%64%6D%69%6E "all escaped"
is 403 /%2e/admin "%2e is ."
is 403 /x/%2E%2E/admin "%2E%2E is .."
is 403 /x/.%2e/admin
is 403 /admin/. 
is 403 /../admin "no climbing above the root"
is 403 http://a/%61dmin "absolute form"
expect_status "http://127.0.0.1:$P/admin?x=1" 403
expect_true "logged: 403 Forbidden: deny_paths \"^/admin\"" \
    grep -qE '\[info\].*127\.0\.0\.1: 403 Forbidden: deny_paths "\^/admin"' "$LOG"
# case is kept: /ADMIN is not /admin (the regex is case-sensitive)
is 200 /ADMIN "case is kept: not /admin"
is 200 /Admin "case is kept: not /admin"
is 200 /public
is 200 /x/admin "not at the start"
is 200 /adm "not the whole prefix"
# the query is not part of the path
is 200 '/ok?x=/admin' "the query is not matched"
is 200 '/ok?/admin'
# "\\.php$" is anchored at the end of the path, not of the target
is 403 /index.php
is 403 '/index.php?x=1' "the query is not part of the path"
is 403 /index%2Ephp "%2E is ."
is 200 /index.php.txt
expect_true "logged: deny_paths \"\\\\.php\$\"" \
    grep -qF '403 Forbidden: deny_paths "\.php$"' "$LOG"

# ---- bad escapes ----
is 400 /admin%2Fx "encoded slash"
is 400 /ok%2fx "encoded slash, lower case"
is 400 /ok%00x "encoded NUL"
is 400 /ok%zz "bad escape"
is 400 /ok%2 "truncated escape"
is 400 /ok% "lone percent"
expect_true "logged: 400 Bad Request: encoded slash" \
    grep -qE '\[info\].*127\.0\.0\.1: 400 Bad Request: encoded slash' "$LOG"
is 200 /slash/a%2Fb "allow_encoded_slash = true on the route"
is 200 /slash/a%2fb "allow_encoded_slash = true, lower case"
expect_eq "$(status_of /admin%2Fx slash.example)" 403 \
    "GET /admin%2Fx on a route with allow_encoded_slash and deny_paths ^/admin -> 403, not 400"
expect_eq "$(status_of /ok%2Fx slash.example)" 200 "GET /ok%2Fx on that route -> 200"

# ---- routing sees the normalised path ----
expect_eq "$(cu --path-as-is "http://127.0.0.1:$P/x/../api/y")" api "/x/../api/y goes to the /api/ route"
expect_eq "$(cu --path-as-is "http://127.0.0.1:$P/%61pi/y")" api "/%61pi/y goes to the /api/ route"
expect_eq "$(cu --path-as-is "http://127.0.0.1:$P//api//y")" api "//api//y goes to the /api/ route"
expect_eq "$(cu --path-as-is "http://127.0.0.1:$P/api/../y")" app "/api/../y goes to the / route"

# ---- what the backend receives ----
cu -o /dev/null --path-as-is "http://127.0.0.1:$P/a/./b//c?q=/./x"
cu -o /dev/null --path-as-is "http://127.0.0.1:$P/norm/a/./b/../c//d?q=/./x"
cu -o /dev/null --path-as-is "http://127.0.0.1:$P/norm/%7e%61%3a%3Fb"
cu -o /dev/null --path-as-is "http://127.0.0.1:$P/x/../norm/e?"

# every request the backends received, in order (none of the refused ones)
got=$("$PYTHON" -c '
import json, sys
for f in sys.argv[1:]:
    for l in open(f):
        print(json.loads(l)["path"])' "$(backend_log app)")
want='/ADMIN
/Admin
/public
/x/admin
/adm
/ok?x=/admin
/ok?/admin
/index.php.txt
/slash/a%2Fb
/slash/a%2fb
/ok%2Fx
/api/../y
/a/./b//c?q=/./x
/norm/a/c/d?q=/./x
/norm/~a%3A%3Fb
/norm/e?'
expect_eq "$got" "$want" "app received exactly the allowed targets: as sent with normalize = false, normalised with normalize = true (query kept)"
expect_eq "$(grep -c . "$(backend_log api)")" 3 "api received the 3 requests routed to it"
expect_eq "$(grep -c '"path": "/x/../api/y"' "$(backend_log api)")" 1 \
    "normalize = false: api received /x/../api/y as sent"

expect_no_alerts
porter_stop
done_testing
