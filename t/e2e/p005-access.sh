#!/bin/bash
# p005: who may use the forward proxy, and where it may go. A client not in
# allow, or in deny, gets 403 for requests and CONNECTs, before anything
# else (even proxy authentication); the refusal is logged. porter -t
# refuses a forward listener on a non-loopback address without allow and
# names it. deny_private (on by default) refuses requests and CONNECTs to
# loopback destinations, by address and by a name resolving there. A name
# that does not resolve gets 502 with a page saying so. The backend sees
# none of the refused requests.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"
need_tool openssl

backend_start app
B=$BPORT
printf 'user1:%s\n' "$(openssl passwd -6 -salt abc secret)" >"$T/htpasswd"
PA=$(free_port)		# allow = 10.0.0.0/8 (and an auth_file)
PD=$(free_port)		# allow = 127.0.0.0/8, deny = 127.0.0.1
PP=$(free_port)		# deny_private left at its default
P=$(free_port)		# deny_private = false
porter_start <<EOF
access_log = "$T/access.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = (
  { listen = "127.0.0.1:$PA"; mode = "forward"; allow = [ "10.0.0.0/8" ];
    deny_private = false; connect_ports = [ $B ]; auth_file = "$T/htpasswd"; },
  { listen = "127.0.0.1:$PD"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny = [ "127.0.0.1" ]; deny_private = false; connect_ports = [ $B ]; },
  { listen = "127.0.0.1:$PP"; mode = "forward"; allow = [ "127.0.0.0/8", "::1" ];
    connect_ports = [ $B, 443 ]; },
  { listen = "127.0.0.1:$P"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $B, 443 ]; } );
EOF
U=http://127.0.0.1:$B
LOG=$(porter_log)

# status PORT URL [ARGS]: the HTTP status through porter at PORT
status() {
	local p=$1 url=$2
	shift 2
	pcu "$p" -o "$T/page" -w '%{http_code}' "$@" "$url"
}
# connect_status PORT HOST:PORT: the answer to curl's CONNECT
connect_status() {
	pcu "$1" -k -o /dev/null -w '%{http_connect}' "https://$2/" 2>/dev/null
}

# ---- clients: allow, deny ----
expect_eq "$(status "$PA" "$U/refused-allow")" 403 "client not in allow: GET -> 403"
expect_eq "$(status "$PA" "$U/refused-allow-auth" -U user1:secret)" 403 \
    "client not in allow, with good proxy credentials: still 403"
expect_eq "$(status "$PA" "$U/refused-allow-noauth")" 403 \
    "client not in allow, no credentials: 403 (not 407: access comes first)"
expect_eq "$(connect_status "$PA" "127.0.0.1:$B")" 403 "client not in allow: CONNECT -> 403"
if wait_log "$LOG" '127\.0\.0\.1.*403.*allow'; then
	ok "logged: the allow refusal, with the client address"
else
	not_ok "logged: the allow refusal, with the client address" "$(tail -n 5 "$LOG")"
fi
expect_eq "$(status "$PD" "$U/refused-deny")" 403 "client in deny (and in allow): GET -> 403"
expect_eq "$(connect_status "$PD" "127.0.0.1:$B")" 403 "client in deny: CONNECT -> 403"
if wait_log "$LOG" '127\.0\.0\.1.*403.*deny'; then
	ok "logged: the deny refusal, with the client address"
else
	not_ok "logged: the deny refusal, with the client address" "$(tail -n 5 "$LOG")"
fi

# ---- deny_private (the default) ----
expect_eq "$(status "$PP" "$U/refused-private")" 403 "deny_private: GET http://127.0.0.1:$B/ -> 403"
page=$(cat "$T/page")
expect_match "$page" '[Pp]orter' "deny_private: the page names porter"
expect_match "$page" '[Pp]rivate|[Ll]oopback' "deny_private: the page names the rule"
expect_eq "$(status "$PP" "http://localhost:$B/refused-private-name")" 403 \
    "deny_private: GET http://localhost:$B/ (resolves to 127.0.0.1) -> 403"
expect_eq "$(status "$PP" "http://127.1.2.3:$B/refused-private-127-8")" 403 \
    "deny_private: GET http://127.1.2.3:$B/ (in 127.0.0.0/8) -> 403"
expect_eq "$(status "$PP" "http://[::1]:$B/refused-private-v6" -g)" 403 \
    "deny_private: GET http://[::1]:$B/ -> 403"
expect_eq "$(connect_status "$PP" "127.0.0.1:$B")" 403 "deny_private: CONNECT 127.0.0.1:$B -> 403"
expect_eq "$(connect_status "$PP" "localhost:$B")" 403 "deny_private: CONNECT localhost:$B -> 403"
expect_eq "$(connect_status "$PP" "127.0.0.1:443")" 403 "deny_private: CONNECT 127.0.0.1:443 -> 403"

# ---- the same destinations with deny_private = false ----
expect_eq "$(status "$P" "$U/private-ok")" 200 "deny_private = false: GET http://127.0.0.1:$B/ -> 200"
expect_eq "$(status "$P" "http://localhost:$B/private-ok-name")" 200 \
    "deny_private = false: GET http://localhost:$B/ -> 200"
expect_eq "$(connect_status "$P" "127.0.0.1:$B")" 200 "deny_private = false: CONNECT 127.0.0.1:$B -> 200"

# ---- names that do not resolve ----
expect_eq "$(status "$P" "http://nonexistent.invalid/refused-noname")" 502 \
    "GET http://nonexistent.invalid/ -> 502"
page=$(cat "$T/page")
expect_match "$page" '[Rr]esolve' "the 502 page says the name did not resolve"
expect_match "$page" 'nonexistent\.invalid' "... and names it"
expect_eq "$(connect_status "$P" "nonexistent.invalid:443")" 502 "CONNECT nonexistent.invalid:443 -> 502"
expect_eq "$(status "$P" "$U/after-errors")" 200 "the proxy still serves after the refusals"

# ---- the backend saw none of the refused requests ----
BL=$(backend_log app)
expect_eq "$(grep -c 'refused' "$BL")" 0 "the backend received none of the refused requests"
expect_eq "$(grep -c '"path": "/private-ok' "$BL")" 2 "it received the two allowed GETs"

# ---- porter -t: a forward listener off loopback needs allow ----
Q=$(free_port)
Q2=$(free_port)
tcheck() {	# NAME: porter -t on $T/NAME.conf (body on stdin); sets rc, out
	{
		printf 'pid_file = "%s/%s.pid";\nerror_log = "stderr";\n' "$T" "$1"
		cat
	} >"$T/$1.conf"
	"$PORTER" -t -c "$T/$1.conf" >"$T/$1.out" 2>&1
	rc=$?
	out=$(cat "$T/$1.out")
}
tcheck open <<EOF
listeners = (
  { listen = "127.0.0.1:$Q2"; mode = "reverse"; routes = ( { pool = "app"; } ); },
  { listen = "0.0.0.0:$Q"; mode = "forward"; } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
expect_ne "$rc" 0 "porter -t: forward listener on 0.0.0.0 without allow is refused (exit $rc)"
expect_match "$out" "listeners\\[1\\]|0\\.0\\.0\\.0:$Q" "... naming the listener"
diag "porter -t said: $out"
tcheck open6 <<EOF
listeners = ( { listen = "[::]:$Q"; mode = "forward"; } );
EOF
expect_ne "$rc" 0 "porter -t: forward listener on [::] without allow is refused (exit $rc)"
tcheck allowed <<EOF
listeners = ( { listen = "0.0.0.0:$Q"; mode = "forward"; allow = [ "10.0.0.0/8" ]; } );
EOF
expect_eq "$rc" 0 "porter -t: forward listener on 0.0.0.0 with allow is accepted"
[ "$rc" = 0 ] || diag "porter -t said: $out"
tcheck loopback <<EOF
listeners = ( { listen = "127.0.0.1:$Q"; mode = "forward"; } );
EOF
expect_eq "$rc" 0 "porter -t: forward listener on 127.0.0.1 without allow is accepted"
[ "$rc" = 0 ] || diag "porter -t said: $out"
expect_true "porter -t started no listener on $Q" eval '! _port_open "$Q"'

expect_no_alerts
porter_stop
done_testing
