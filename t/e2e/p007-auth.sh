#!/bin/bash
# p007: proxy authentication (auth_file, htpasswd-style user:crypt-hash).
# No, wrong or malformed credentials get 407 with Proxy-Authenticate:
# Basic realm="porter" (or auth_realm) and reach nothing; the right ones
# (SHA-512 and SHA-256 crypt hashes) get through, for requests and
# CONNECTs, and the backend never sees Proxy-Authorization. curl's
# --proxy-anyauth (407 first, then credentials) works. Failed attempts are
# logged with the client address; no password, and no credentials in
# base64, appear in any log.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"
need_tool openssl

make_cert
tls_start tls --marker TLS-MARKER-p007
TLS=$TPORT
backend_start app
B=$BPORT
{
	printf '# porter users\n'
	printf 'alice:%s\n' "$(openssl passwd -6 -salt abc 'secret')"
	printf 'bob:%s\n' "$(openssl passwd -5 -salt xyz 'b0b-pass')"
} >"$T/htpasswd"
diag "auth file:" "$(cat "$T/htpasswd")"
P=$(free_port)		# auth_file, default realm
PR=$(free_port)		# auth_file, auth_realm = "Staff Only"
porter_start <<EOF
access_log = "$T/access.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = (
  { listen = "127.0.0.1:$P"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $TLS ]; auth_file = "$T/htpasswd"; },
  { listen = "127.0.0.1:$PR"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; auth_file = "$T/htpasswd"; auth_realm = "Staff Only"; } );
EOF
U=http://127.0.0.1:$B

# get PORT PATH [CURL ARGS]: "CODE" of a GET through porter; head in $T/h,
# body in $T/b
get() {
	local p=$1 path=$2
	shift 2
	pcu "$p" -D "$T/h" -o "$T/b" -w '%{http_code}' "$@" "$U$path"
}

# ---- no credentials ----
expect_eq "$(get "$P" /refused-none)" 407 "no credentials: 407"
head=$(tr -d '\r' <"$T/h")
expect_eq "$(hval Proxy-Authenticate "$head")" 'Basic realm="porter"' \
    'no credentials: Proxy-Authenticate: Basic realm="porter"'
expect_match "$(cat "$T/b")" '[Pp]orter' "the 407 page names porter"

# ---- wrong, unknown, malformed ----
expect_eq "$(get "$P" /refused-wrong -U alice:wrongpass)" 407 "wrong password: 407"
expect_eq "$(hval Proxy-Authenticate "$(tr -d '\r' <"$T/h")")" 'Basic realm="porter"' \
    "wrong password: Proxy-Authenticate again"
expect_eq "$(get "$P" /refused-unknown -U mallory:secret)" 407 "unknown user: 407"
expect_eq "$(get "$P" /refused-bob-with-alices -U bob:secret)" 407 "another user's password: 407"
expect_eq "$(get "$P" /refused-empty -U alice:)" 407 "empty password: 407"
expect_eq "$(get "$P" /refused-garbage -H 'Proxy-Authorization: Basic !!!not-base64!!!')" 407 \
    "malformed Basic credentials: 407"
expect_eq "$(get "$P" /refused-nocolon -H "Proxy-Authorization: Basic $(printf alice | base64)")" 407 \
    "Basic credentials without a colon: 407"
expect_eq "$(get "$P" /refused-bearer -H 'Proxy-Authorization: Bearer abc.def')" 407 \
    "another scheme (Bearer): 407"
expect_eq "$(get "$P" /refused-comment -U '# porter users:secret')" 407 \
    "the auth file's comment is no user: 407"

# ---- right credentials ----
expect_eq "$(get "$P" /ok-alice -U alice:secret)" 200 "alice (SHA-512 crypt): 200"
expect_eq "$(cat "$T/b")" app "... with the backend's body"
expect_eq "$(get "$P" /ok-bob -U bob:b0b-pass)" 200 "bob (SHA-256 crypt): 200"
seen=$(pcu "$P" -U alice:secret "$U/headers")
expect_eq "$(hcount Proxy-Authorization "$seen")" 0 "the backend never sees Proxy-Authorization"
expect_eq "$(pcu "$P" --proxy-anyauth -U alice:secret -o /dev/null -w '%{http_code}' "$U/ok-anyauth")" 200 \
    "curl --proxy-anyauth (407 first, then Basic): 200"
pcu "$P" -U alice:secret -o /dev/null -w '%{http_code} %{num_connects}\n' "$U/ok-ka1" \
    -o /dev/null "http://localhost:$B/ok-ka2" >"$T/ka.out"
expect_eq "$(tr '\n' ' ' <"$T/ka.out")" "200 1 200 0 " "authenticated keep-alive: two requests, one connection"

# ---- CONNECT ----
code=$(pcu "$P" --cacert "$T/cert.pem" -o /dev/null -w '%{http_connect}' "https://localhost:$TLS/" 2>/dev/null)
expect_eq "$code" 407 "CONNECT without credentials: 407"
code=$(pcu "$P" --cacert "$T/cert.pem" -U alice:wrongpass -o /dev/null -w '%{http_connect}' \
    "https://localhost:$TLS/" 2>/dev/null)
expect_eq "$code" 407 "CONNECT with a wrong password: 407"
expect_eq "$(helper_reqs tls)" 0 "... and the HTTPS server saw nothing"
body=$(pcu "$P" --cacert "$T/cert.pem" -U alice:secret -w '\n%{http_connect}' "https://localhost:$TLS/")
expect_eq "$(tail -n 1 <<<"$body")" 200 "CONNECT with credentials: 200"
expect_match "$body" 'TLS-MARKER-p007' "... and the HTTPS page"

# ---- auth_realm ----
expect_eq "$(get "$PR" /refused-realm)" 407 "auth_realm listener: 407"
expect_eq "$(hval Proxy-Authenticate "$(tr -d '\r' <"$T/h")")" 'Basic realm="Staff Only"' \
    'auth_realm = "Staff Only": in Proxy-Authenticate'
expect_eq "$(get "$PR" /ok-realm -U bob:b0b-pass)" 200 "auth_realm listener: the same users get in"

# ---- what the backend saw ----
BL=$(backend_log app)
expect_eq "$(grep -c 'refused' "$BL")" 0 "the backend received none of the refused requests"
expect_eq "$(grep -c '"path": "/ok-' "$BL")" 6 "it received the 6 authenticated GETs"

# ---- logs ----
LOG=$(porter_log)
logs() { cat "$LOG" "$T/access.log" "$T/porter.out" 2>/dev/null; }
# six attempts had a user and a wrong password: wrong, unknown, another's,
# empty, the comment, and the CONNECT
nfail() { grep -a -c -E '127\.0\.0\.1.*[Aa]uth.*([Ff]ail|[Dd]enied|[Ww]rong|[Ii]nvalid|[Bb]ad)' "$LOG"; }
six_failed() { [ "$(nfail)" -ge 6 ]; }
wait_until 3 six_failed
nfail=$(nfail)
expect_ge "$nfail" 6 "each failed authentication is logged with the client address ($nfail lines)"
diag "the auth lines:" "$(grep -aiE 'auth|407' "$LOG" | head -n 5)"
expect_match "$(grep -aE '407' "$T/access.log" 2>/dev/null | head -n 1)" '127\.0\.0\.1' \
    "the access log has the 407s with the client address"
for secret in secret wrongpass b0b-pass \
    "$(printf alice:secret | base64)" "$(printf alice:wrongpass | base64)" \
    "$(printf bob:b0b-pass | base64)"; do
	n=$(logs | grep -a -c -F -- "$secret")
	expect_eq "$n" 0 "no log holds '$secret'"
done

expect_no_alerts
porter_stop
done_testing
