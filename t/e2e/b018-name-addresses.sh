#!/bin/bash
# b018: a server given by name uses every address the name resolves to,
# in turn, in the reverse proxy and in the active health checker, and
# remembers the one that answered (in shared memory, for every worker).
# porter runs in a mount namespace of its own with a hosts file of the
# test's (lib.sh's PORTER_HOSTS), never the host's /etc/hosts.
#   - localhost is ::1 first, then 127.0.0.1 (as on a stock Debian); the
#     backend listens on 127.0.0.1 only: 200s, health checks reach it, the
#     status page shows address=127.0.0.1:PORT, state=up, and the switch is
#     logged at most once over 3 workers and the checker
#   - the mirror: both.test is 127.0.0.1 first, then ::1; the backend
#     listens on ::1 only: 200s, address=[::1]:PORT
#   - none.test: every address refuses: 502 at once (not after
#     timeouts.connect), the error log names the server
#   - porter -t accepts the configuration in such a namespace
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

need_mount_ns

A=$(free_port)		# backend a: 127.0.0.1 only
B=$(free_port)		# backend b: ::1 only
Z=$(free_port)		# nothing, on either address
backend_start_at a 127.0.0.1 "$A"
backend_start_at b ::1 "$B"
P=$(free_port)
S=$(free_port)
U=http://127.0.0.1:$P
SU=http://127.0.0.1:$S/porter-status

hosts_write "$T/hosts" <<EOF
::1 localhost ip6-localhost ip6-loopback
127.0.0.1 localhost
127.0.0.1 both.test
::1 both.test
127.0.0.1 none.test
::1 none.test
EOF
# glibc sorts what getaddrinfo returns (RFC 6724): by default ::1 comes
# before 127.0.0.1 whatever the hosts file's order, so both.test could
# never be 127.0.0.1 first. With the same precedence for both, the hosts
# file's order stands (localhost stays ::1 first, as by default).
cat >"$T/gai.conf" <<'EOF'
precedence ::1/128 40
precedence ::/0 40
precedence ::ffff:0:0/96 40
EOF
chmod 644 "$T/gai.conf"
export PORTER_BINDS="$T/gai.conf=/etc/gai.conf"

PORTER_HOSTS=$T/hosts porter_start <<EOF
log_level = "info";
workers = { count = 3; };
timeouts = { connect = 3.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/mirror/"; pool = "mirror"; },
             { path = "/dead/"; pool = "dead"; },
             { path = "/"; pool = "app"; } ); } );
pools = (
  { name = "app";
    health = { path = "/health"; interval = 0.2; timeout = 0.5; rise = 1; fall = 2; };
    servers = ( { address = "localhost:$A"; } ); },
  { name = "mirror"; servers = ( { address = "both.test:$B"; } ); },
  { name = "dead"; max_fails = 0;
    servers = ( { address = "none.test:$Z"; } ); } );
status = { listen = "127.0.0.1:$S"; };
EOF
expect_true "3 workers and the health checker" wait_hc_workers 3 10

# ---- preconditions: what the names are inside porter's namespace --------
order() { in_porter_ns getent ahosts "$1" | awk '$2 == "STREAM" { print $1 }' | tr '\n' ' '; }
lo=$(order localhost)
diag "inside porter's namespace: localhost -> $lo; both.test -> $(order both.test);" \
    "none.test -> $(order none.test); the host's localhost -> $(getent ahosts localhost |
    awk '$2 == "STREAM" { print $1 }' | tr '\n' ' ')"
expect_eq "$lo" "::1 127.0.0.1 " \
    "precondition: in porter's namespace localhost is ::1 first, then 127.0.0.1" ||
    diag "the hosts file or gai.conf did not take: the rest means nothing"
expect_eq "$(order both.test)" "127.0.0.1 ::1 " \
    "precondition: both.test is 127.0.0.1 first, then ::1"
expect_eq "$(order none.test)" "127.0.0.1 ::1 " "precondition: none.test is 127.0.0.1 and ::1"
refuses() { ! _port_open "$2" "$1"; }	# ADDR PORT
expect_true "precondition: nothing listens on [::1]:$A (localhost's first address)" \
    refuses ::1 "$A"
expect_true "precondition: nothing listens on 127.0.0.1:$B (both.test's first address)" \
    refuses 127.0.0.1 "$B"
refuses_both() { refuses 127.0.0.1 "$1" && refuses ::1 "$1"; }	# PORT
expect_true "precondition: nothing listens on 127.0.0.1:$Z or [::1]:$Z" \
    refuses_both "$Z"

got() {	# N URL: "CODE BODY" a line, each request on a new connection
	local i
	for i in $(seq 1 "$1"); do
		cu -o "$T/got.body" -w '%{http_code}' "$2-$i"
		printf ' %s\n' "$(tr '\n' ' ' <"$T/got.body" | sed 's/ $//')"
	done
}
page() { cu "$SU${1:-}"; }
sline() { page | grep -a "^$1 "; }	# the status line of POOL/NAME:PORT
now_using() {	# ADDR_REGEX PORT: how many "now using ADDR:PORT" lines
	grep -a -c -E "now using $1:$2([^0-9]|\$)" "$(porter_log)"
}

# ---- localhost: ::1 refuses, 127.0.0.1 answers -------------------------
checked() { [ "$(checks a)" -ge 3 ]; }
expect_true "a (127.0.0.1 only) gets health checks within 3 s" wait_until 3 checked
diag "health checks a received: $(checks a)"
up_a() { sline "app/localhost:$A" | grep -q " address=127\\.0\\.0\\.1:$A state=up "; }
wait_until 5 up_a
l=$(sline "app/localhost:$A")
diag "status: $l"
expect_match "$l" "^app/localhost:$A address=127\\.0\\.0\\.1:$A state=" \
    "status page: app/localhost:$A address=127.0.0.1:$A, right after the name"
expect_match "$l" " state=up " "status page: app/localhost:$A is up"
r=$(got 12 "$U/app")
expect_eq "$(count_of "200 a" "$r")" 12 "12 GETs to localhost:$A: all 200 with a's body" ||
    diag "$(sort <<<"$r" | uniq -c)"
expect_eq "$(grep -c '^502' <<<"$r")" 0 "none of them 502" || diag "$r"
expect_ge "$(traffic a)" 12 "a answered them ($(traffic a))"
n=$(now_using '127\.0\.0\.1' "$A")
diag "\"now using 127.0.0.1:$A\" lines: $n" \
    "$(grep -a -E "now using 127\\.0\\.0\\.1:$A([^0-9]|\$)" "$(porter_log)")"
expect_le "$n" 1 "the switch to 127.0.0.1:$A is logged at most once (3 workers and the checker)"
expect_eq "$(grep -a -E "now using 127\\.0\\.0\\.1:$A([^0-9]|\$)" "$(porter_log)" |
    grep -a -v -c -E '\[info\] .*backend app/localhost:'"$A"': now using ')" 0 \
    "and if so at info level, as 'backend app/localhost:$A: now using ...'"

# ---- the mirror: both.test, 127.0.0.1 refuses, ::1 answers -------------
r=$(got 12 "$U/mirror/x")
expect_eq "$(count_of "200 b" "$r")" 12 "12 GETs to both.test:$B: all 200 with b's body" ||
    diag "$(sort <<<"$r" | uniq -c)"
expect_eq "$(traffic b)" 12 "b (::1 only) answered all 12"
l=$(sline "mirror/both.test:$B")
diag "status: $l"
expect_match "$l" "^mirror/both\\.test:$B address=\\[::1\\]:$B state=up " \
    "status page: mirror/both.test:$B address=[::1]:$B state=up"
n=$(now_using '\[::1\]' "$B")
diag "\"now using [::1]:$B\" lines: $n"
expect_le "$n" 1 "the switch to [::1]:$B is logged at most once"
r=$(got 6 "$U/mirror/y")
expect_eq "$(count_of "200 b" "$r")" 6 "6 more: all 200 (the server was not marked down)"

# ---- JSON: "address" right after "server" -------------------------------
js=$(page '?format=json' | "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
for b in d["backends"]:
    k = list(b)
    nxt = k[k.index("server") + 1] if k.index("server") + 1 < len(k) else "-"
    print(b["server"], b.get("address", "-"), nxt)' 2>&1)
diag "JSON backends (server, address, the key after server):" "$js"
expect_eq "$(grep -a "^app/localhost:$A " <<<"$js")" \
    "app/localhost:$A 127.0.0.1:$A address" \
    "JSON: \"address\":\"127.0.0.1:$A\" right after \"server\""
expect_eq "$(grep -a "^mirror/both\.test:$B " <<<"$js")" \
    "mirror/both.test:$B [::1]:$B address" \
    "JSON: \"address\":\"[::1]:$B\" for the mirror"

# ---- none.test: every address refuses -----------------------------------
for i in 1 2 3; do
	r=$(cu -o /dev/null -w '%{http_code} %{time_total}' "$U/dead/$i")
	diag "GET /dead/$i: $r"
	expect_eq "${r%% *}" 502 "GET to none.test:$Z (all addresses refuse): 502 ($i)"
	expect_le "${r#* }" 2 "at once (${r#* } s), not after timeouts.connect (3 s) ($i)"
done
expect_ge "$(grep -a -c -E "\\[error\\] .*none\\.test:$Z([^0-9]|\$)" "$(porter_log)")" 1 \
    "the error log names the server (none.test:$Z) in an error line"
diag "$(grep -a -E "none\\.test:$Z([^0-9]|\$)" "$(porter_log)" | head -n 3)"

# ---- porter -t in a namespace with the same hosts file ------------------
out=$(ns_run "$T/hosts" "$PORTER" -t -c "$T/porter.conf" 2>&1)
st=$?
expect_eq "$st" 0 "porter -t accepts the configuration with this hosts file" || diag "$out"
expect_match "$out" 'configuration OK' "and says configuration OK"

# a name that does not resolve is a configuration error, named with its
# file and line, at porter -t, at start, and on reload (which keeps the
# running configuration)
sed 's/none\.test:/gone.test:/' "$T/porter.conf" >"$T/gone.conf"
line=$(grep -n 'gone\.test' "$T/gone.conf" | head -1 | cut -d: -f1)
out=$(ns_run "$T/hosts" "$PORTER" -t -c "$T/gone.conf" 2>&1)
st=$?
expect_eq "$st" 1 "porter -t: a server name that does not resolve is refused"
expect_match "$out" "gone\\.conf:$line: pools\\[[0-9]\\]\\.servers\\[[0-9]\\]\\.address \"gone\\.test:$Z\": no such host" \
    "naming the file, its line, the setting and why"
cp "$T/porter.conf" "$T/good.conf"
cp "$T/gone.conf" "$T/porter.conf"
m=$(wc -l <"$(porter_log)")
kill -HUP "$(porter_pid)"
refused() { tail -n +"$((m + 1))" "$(porter_log)" | grep -q 'reload: .*gone\.test.*no such host; keeping the running configuration'; }
expect_true "reload with that name: refused, the running configuration kept" wait_until 5 refused
expect_eq "$(cu -o /dev/null -w '%{http_code}' "$U/")" 200 "still serving after the refused reload"
cp "$T/good.conf" "$T/porter.conf"

expect_no_alerts
porter_stop
done_testing
