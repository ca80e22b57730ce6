#!/bin/bash
# f001: access rules. Listener allow/deny (IPv4 and IPv6): a client not in
# allow, or in deny (even if also in allow), gets 403; route allow/deny add
# to the listener's (the listener lets the client in, one route refuses
# it); methods = [ "GET", "HEAD" ] answers anything else with 405 and
# "Allow: GET, HEAD" (case matters). No refused request reaches the
# backend, and each refusal is logged at [info] with the rule.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
PA=$(free_port)		# allow = 10.0.0.0/8: 127.0.0.1 is not in it
PD=$(free_port)		# deny = 127.0.0.1
PB=$(free_port)		# allow = 127.0.0.0/8 and deny = 127.0.0.1/32
PV=$(free_port)		# allow = ::1 (an IPv6 address only)
PR=$(free_port)		# allow = 127.0.0.0/8; routes with their own rules
P6A=$(free_port)	# [::1], allow = ::1/128
P6D=$(free_port)	# [::1], deny = ::1
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = (
  { listen = "127.0.0.1:$PA"; mode = "reverse"; allow = [ "10.0.0.0/8" ];
    routes = ( { path = "/"; pool = "app"; } ); },
  { listen = "127.0.0.1:$PD"; mode = "reverse"; deny = [ "127.0.0.1" ];
    routes = ( { path = "/"; pool = "app"; } ); },
  { listen = "127.0.0.1:$PB"; mode = "reverse";
    allow = [ "127.0.0.0/8" ]; deny = [ "127.0.0.1/32" ];
    routes = ( { path = "/"; pool = "app"; } ); },
  { listen = "127.0.0.1:$PV"; mode = "reverse"; allow = [ "::1" ];
    routes = ( { path = "/"; pool = "app"; } ); },
  { listen = "127.0.0.1:$PR"; mode = "reverse"; allow = [ "127.0.0.0/8" ];
    routes = ( { path = "/"; pool = "app"; },
               { path = "/private"; pool = "app"; deny = [ "127.0.0.1" ]; },
               { path = "/intranet"; pool = "app"; allow = [ "10.0.0.0/8", "::1" ]; },
               { path = "/ro"; pool = "app"; methods = [ "GET", "HEAD" ]; } ); },
  { listen = "[::1]:$P6A"; mode = "reverse"; allow = [ "::1/128" ];
    routes = ( { path = "/"; pool = "app"; } ); },
  { listen = "[::1]:$P6D"; mode = "reverse"; deny = [ "::1" ];
    routes = ( { path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
LOG=$(porter_log)

# logged(DESC, ERE): the error log has an [info] line matching ERE
logged() {
	local desc=$1 re=$2
	if wait_until 3 grep -qE "\\[info\\].*$re" "$LOG"; then
		ok "logged: $desc"
	else
		not_ok "logged: $desc" "no [info] line matching /$re/ in the error log"
	fi
}

# ---- listener rules, IPv4 ----
expect_status "http://127.0.0.1:$PA/refused-allow" 403
logged "allow refusal" '127\.0\.0\.1: 403 Forbidden: allow: client not listed'
expect_status "http://127.0.0.1:$PD/refused-deny" 403
logged "deny refusal" '127\.0\.0\.1: 403 Forbidden: deny: client address'
expect_status "http://127.0.0.1:$PB/refused-both" 403
expect_eq "$(grep -cE '\[info\].*127\.0\.0\.1: 403 Forbidden: deny: client address' "$LOG")" 2 \
    "deny wins over allow: logged as the deny rule"
expect_status "http://127.0.0.1:$PV/refused-v6only" 403
expect_status "http://127.0.0.1:$PR/" 200

# 403 from a rule: the built-in page, keep-alive goes on (no body sent)
cu -o /dev/null -o /dev/null -w '%{http_code} %{num_connects}\n' \
    "http://127.0.0.1:$PD/refused-ka1" "http://127.0.0.1:$PD/refused-ka2" >"$T/ka.out"
expect_eq "$(tr '\n' ' ' <"$T/ka.out")" "403 1 403 0 " \
    "two refused GETs on one connection: 403, 403, one connect"

# ---- listener rules, IPv6 ----
expect_eq "$(cu -g "http://[::1]:$P6A/")" app "[::1] listener, allow ::1/128: GET reaches the backend"
expect_eq "$(cu -g -o /dev/null -w '%{http_code}' "http://[::1]:$P6D/refused-v6deny")" 403 \
    "[::1] listener, deny ::1: 403"
logged "IPv6 deny refusal" '::1: 403 Forbidden: deny: client address'

# ---- route rules add to the listener's ----
expect_status "http://127.0.0.1:$PR/public" 200
expect_status "http://127.0.0.1:$PR/private/refused-route-deny" 403
expect_eq "$(grep -cE '\[info\].*127\.0\.0\.1: 403 Forbidden: deny: client address' "$LOG")" 5 \
    "route deny refusal logged (with the 4 listener ones: 5 lines)"
expect_status "http://127.0.0.1:$PR/intranet/refused-route-allow" 403
expect_eq "$(grep -cE '\[info\].*127\.0\.0\.1: 403 Forbidden: allow: client not listed' "$LOG")" 3 \
    "route allow refusal logged (2 listeners and the route: 3 lines)"
expect_status "http://127.0.0.1:$PR/x/private" 200

# ---- methods ----
expect_status "http://127.0.0.1:$PR/ro/get" 200
expect_eq "$(cu -I -o /dev/null -w '%{http_code}' "http://127.0.0.1:$PR/ro/head")" 200 "HEAD on methods GET, HEAD -> 200"
cu -D "$T/405.h" -o "$T/405.b" -d 'x=1' "http://127.0.0.1:$PR/ro/refused-post"
head=$(tr -d '\r' <"$T/405.h")
expect_match "$(first_line "$head")" '^HTTP/1\.1 405( |$)' "POST on methods GET, HEAD -> 405"
expect_eq "$(hval Allow "$head")" "GET, HEAD" "405 carries Allow: GET, HEAD"
expect_eq "$(hcount Allow "$head")" 1 "one Allow field"
logged "405 refusal" '127\.0\.0\.1: 405 Method Not Allowed: methods: POST not allowed'
expect_status "http://127.0.0.1:$PR/ro/refused-delete" 405 -X DELETE
rawhttp -n 1 -t 3 "$PR" 'get /ro/refused-lower HTTP/1.1\r\nHost: a\r\n\r\n' >"$T/lower.out" 2>/dev/null
expect_match "$(first_line "$(cat "$T/lower.out")")" '^HTTP/1\.1 405( |$)' \
    "method \"get\" (lower case) is not GET: 405"
expect_status "http://127.0.0.1:$PR/post-elsewhere" 200 -d 'x=1'
# 405 on one connection, then a GET on the same connection works
cu -o /dev/null -w '%{http_code} %{num_connects}\n' -X DELETE "http://127.0.0.1:$PR/ro/refused-ka3" \
    --next --noproxy '*' --max-time 10 -sS -o /dev/null -w '%{http_code} %{num_connects}\n' \
    "http://127.0.0.1:$PR/ro/after" >"$T/ka2.out" 2>&1
expect_eq "$(tr '\n' ' ' <"$T/ka2.out")" "405 1 200 0 " \
    "DELETE (405) then GET on one connection: 405, 200, one connect"

# ---- the backend saw none of the refused requests ----
BL=$(backend_log app)
expect_eq "$(grep -c '"path": "[^"]*refused' "$BL")" 0 \
    "the backend received none of the refused requests"
expect_eq "$(grep -c '"path": "/post-elsewhere"' "$BL")" 1 "a POST on a route without methods reached it"
expect_eq "$(grep -c '"path": "/ro/after"' "$BL")" 1 "the GET after a 405 reached it"
expect_eq "$(backend_reqs app)" 8 "the backend received exactly the 8 allowed requests"

expect_no_alerts
porter_stop
done_testing
