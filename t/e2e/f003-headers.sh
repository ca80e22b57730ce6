#!/bin/bash
# f003: header rules. require_headers (missing -> 403; with a value regex,
# one of the field's values must match), deny_headers (a User-Agent regex,
# field names in any case; a listener rule applies on every route);
# set_request_headers / remove_request_headers as the backend sees them (a
# client field of a set name is replaced, not duplicated);
# set_response_headers / remove_response_headers as the client sees them.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  deny_headers = ( { name = "X-Evil"; } );
  routes = (
    { path = "/"; pool = "app"; },
    { path = "/req/"; pool = "app"; require_headers = ( { name = "X-Api-Key"; } ); },
    { path = "/env/"; pool = "app"; require_headers = ( { name = "X-Env"; value = "^prod\$"; } ); },
    { path = "/ua/"; pool = "app"; deny_headers = ( { name = "User-Agent"; value = "BadBot"; } ); },
    { host = "set.example"; path = "/"; pool = "app";
      set_request_headers = ( { name = "X-From"; value = "porter"; },
                              { name = "X-Env"; value = "edge"; },
                              { name = "X-Empty"; value = ""; } );
      remove_request_headers = [ "Cookie", "X-Secret" ];
      set_response_headers = ( { name = "Strict-Transport-Security"; value = "max-age=63072000"; },
                               { name = "X-Path"; value = "hidden"; } );
      remove_response_headers = [ "Server", "X-Backend" ]; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P
LOG=$(porter_log)
BL=$(backend_log app)

logged() {	# DESC FIXED-STRING
	if grep -qF "$2" "$LOG"; then ok "logged: $1"; else
		not_ok "logged: $1" "no line with '$2' in the error log"; fi
}

# ---- require_headers ----
expect_status "$U/req/refused-missing" 403
logged "require_headers X-Api-Key" '127.0.0.1: 403 Forbidden: require_headers X-Api-Key'
expect_status "$U/req/a" 200 -H 'X-Api-Key: k1'
expect_status "$U/req/b" 200 -H 'x-api-key: k2'
expect_status "$U/req/refused-other" 403 -H 'X-Api-Keys: k'

expect_status "$U/env/refused-none" 403
expect_status "$U/env/refused-staging" 403 -H 'X-Env: staging'
expect_status "$U/env/refused-production" 403 -H 'X-Env: production'
logged 'require_headers X-Env "^prod$"' '403 Forbidden: require_headers X-Env "^prod$"'
expect_status "$U/env/c" 200 -H 'X-Env: prod'
expect_status "$U/env/d" 200 -H 'x-env: prod'
expect_status "$U/env/e" 200 -H 'X-Env: staging' -H 'X-Env: prod'

# ---- deny_headers ----
expect_status "$U/ua/refused-bot" 403 -A 'Mozilla/5.0 (compatible; BadBot/2.1)'
logged 'deny_headers User-Agent "BadBot"' '127.0.0.1: 403 Forbidden: deny_headers User-Agent "BadBot"'
expect_status "$U/ua/refused-lower-name" 403 -H 'user-agent: BadBot'
expect_status "$U/ua/refused-upper-name" 403 -H 'USER-AGENT: xBadBotx'
expect_status "$U/ua/f" 200 -A 'Mozilla/5.0 (X11; Linux x86_64)'
expect_status "$U/ua/g" 200 -H 'User-Agent:'
expect_status "$U/elsewhere-bot" 200 -A BadBot	# the rule is on /ua/ only
expect_status "$U/refused-evil" 403 -H 'X-Evil: 1'
expect_status "$U/ua/refused-evil" 403 -H 'x-evil;'	# an empty value
expect_status "$U/refused-evil-set" 403 -H 'Host: set.example' -H 'X-Evil: 1'
logged "listener deny_headers X-Evil" '127.0.0.1: 403 Forbidden: deny_headers X-Evil'

# ---- set/remove request headers ----
n0=$(backend_reqs app)
hdrs=$(cu -H 'Host: set.example' -H 'Cookie: a=b' -H 'X-Secret: s' -H 'X-From: client' \
    -H 'x-from: client2' -H 'X-Env: prod' -H 'X-Keep: yes' "$U/headers")
expect_eq "$(backend_reqs app)" $((n0 + 1)) "the set.example request reached the backend"
expect_match "$hdrs" $'(^|\n)x-from: porter\n' "/headers shows the set X-From: porter"
expect_eq "$(grep -c '^x-from:' <<<"$hdrs")" 1 "X-From replaced, not duplicated (client sent two)"
expect_eq "$(grep -c '^x-env:' <<<"$hdrs")" 1 "one X-Env"
expect_match "$hdrs" $'(^|\n)x-env: edge\n' "X-Env replaced by edge"
expect_match "$hdrs" $'(^|\n)x-empty: ?\n' "X-Empty set to the empty value"
expect_nomatch "$hdrs" $'(^|\n)cookie:' "Cookie removed"
expect_nomatch "$hdrs" $'(^|\n)x-secret:' "X-Secret removed"
expect_match "$hdrs" $'(^|\n)x-keep: yes\n' "other fields pass"
expect_match "$hdrs" $'(^|\n)host: set\\.example\n' "Host kept"
# the same from the backend's log (raw names and values)
got=$(tail -n 1 "$BL" | "$PYTHON" -c '
import json, sys
r = json.load(sys.stdin)
print(" ".join(sorted("%s=%s" % (k.lower(), v) for k, v in r["headers"]
               if k.lower() in ("x-from", "x-env", "x-empty", "cookie", "x-secret"))))')
expect_eq "$got" "x-empty= x-env=edge x-from=porter" \
    "backend log: X-From, X-Env, X-Empty once each with the set values; no Cookie, no X-Secret"
# other routes are untouched
hdrs=$(cu -H 'Cookie: a=b' -H 'X-From: client' "$U/headers")
expect_match "$hdrs" $'(^|\n)cookie: a=b\n' "route without rules: Cookie passes"
expect_match "$hdrs" $'(^|\n)x-from: client\n' "route without rules: X-From as sent"

# ---- set/remove response headers ----
cu -D "$T/r.h" -o "$T/r.b" -H 'Host: set.example' "$U/x"
head=$(tr -d '\r' <"$T/r.h")
expect_match "$(first_line "$head")" '^HTTP/1\.1 200( |$)' "set.example /x -> 200"
expect_eq "$(cat "$T/r.b")" app "body from the backend"
expect_eq "$(hcount Server "$head")" 0 "Server removed"
expect_eq "$(hcount X-Backend "$head")" 0 "X-Backend removed"
expect_eq "$(hval Strict-Transport-Security "$head")" "max-age=63072000" "Strict-Transport-Security set"
expect_eq "$(hcount Strict-Transport-Security "$head")" 1 "one Strict-Transport-Security"
expect_eq "$(hval X-Path "$head")" hidden "X-Path from the backend replaced"
expect_eq "$(hcount X-Path "$head")" 1 "X-Path not duplicated"
expect_ne "$(hval X-Conn "$head")" "" "other backend fields pass (X-Conn)"
cu -D "$T/p.h" -o /dev/null "$U/x"
head=$(tr -d '\r' <"$T/p.h")
expect_eq "$(hval X-Backend "$head")" app "route without rules: X-Backend passes"
expect_eq "$(hcount Strict-Transport-Security "$head")" 0 "route without rules: no Strict-Transport-Security"

# ---- none of the refused requests reached the backend ----
expect_eq "$(grep -c '"path": "[^"]*refused' "$BL")" 0 \
    "the backend received none of the refused requests"

expect_no_alerts
porter_stop
done_testing
