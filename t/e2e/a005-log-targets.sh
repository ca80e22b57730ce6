#!/bin/bash
# a005: where lines go and what they say. The global access log (porter's
# line) for a listener and route without their own; a route's own file
# and format ($cache_status miss, then hit); a second route sharing that
# file with another format ($rule of a refusal); access_log = "off" on a
# route; a listener's own JSON log; a forward listener's template log:
# proxy authentication ($remote_user, 407 with rule auth_file), refusals
# by connect_ports and block_hosts naming the rule, a CONNECT tunnel with
# its bytes both ways and its duration. USR1 after logrotate moved the
# four files: each is opened anew, the moved ones get nothing more. A
# reload changes a listener's format; a reload whose access log cannot
# be opened is refused and logging goes on as before; porter refuses to
# start with such a log.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"
need_tool openssl

backend_start b1
B=$BPORT
OTHER=$(free_port)
printf 'alice:%s\n' "$(openssl passwd -6 -salt abc 'secret')" >"$T/htpasswd"
P=$(free_port) P2=$(free_port) PF=$(free_port)
FTPL='$remote_user|$status|$request|$bytes_received|$bytes_sent|$request_time|$upstream_addr|$upstream_status|$rule|$detail'
conf() {	# FORMAT-OF-B ACCESS-LOG-OF-B
	cat <<EOF
workers = { count = 2; };
access_log = "$T/global.log";
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
listeners = (
  { listen = "127.0.0.1:$P"; mode = "reverse";
    routes = ( { pool = "app"; },
      { path = "/cache"; pool = "app"; cache = true; cache_min_uses = 1;
        access_log = "$T/route.log";
        access_log_format = "\$cache_status \$status \$request \$upstream_status"; },
      { path = "/deny"; pool = "app"; deny_paths = [ "^/deny/no" ];
        access_log = "$T/route.log"; access_log_format = "\$status \$rule"; },
      { path = "/off"; pool = "app"; access_log = "off"; } ); },
  { listen = "127.0.0.1:$P2"; mode = "reverse"; access_log = "$2";
    access_log_format = "$1"; routes = ( { pool = "app"; } ); },
  { listen = "127.0.0.1:$PF"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $B ]; auth_file = "$T/htpasswd";
    block_hosts = [ "blocked.example" ];
    access_log = "$T/fwd.log"; access_log_format = "$FTPL"; } );
EOF
}
porter_start < <(conf json "$T/b.log")
MASTER=$(porter_pid)

nlines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
has_lines() { [ "$(nlines "$1")" -ge "$2" ]; }
last() {	# FILE N: its line N, once there
	wait_until 5 has_lines "$1" "$2"
	sed -n "${2}p" "$1"
}
AUTH=(--proxy-user alice:secret)

# ---- reverse: the global log, a route's own, off ----
cu -o /dev/null "http://127.0.0.1:$P/plain"
expect_match "$(last "$T/global.log" 1)" '^[0-9/]+ [0-9:]+ 127\.0\.0\.1 "GET /plain HTTP/1\.1" 200 [0-9]+ 127\.0\.0\.1:[0-9]+ [0-9.]+$' \
    "a route without its own log: the global one, porter's line"
cu -o /dev/null "http://127.0.0.1:$P/off/x"
C="h=Cache-Control:max-age%3D60"
# until the cache answers (a first miss may only count the URL)
for _ in 1 2 3 4; do
	cu -o /dev/null "http://127.0.0.1:$P/cache/x?$C"
	grep -q '^hit ' "$T/route.log" 2>/dev/null && break
	sleep 0.1
done
nr=$(nlines "$T/route.log")
expect_match "$(last "$T/route.log" 1)" "^(uri-)?miss 200 GET /cache/x\\?$C HTTP/1\\.1 200\$" \
    "a route's own file and format: a miss, the backend's status"
expect_eq "$(last "$T/route.log" "$nr")" "hit 200 GET /cache/x?$C HTTP/1.1 -" \
    "... then a hit, no backend"
cu -o /dev/null "http://127.0.0.1:$P/deny/no"
expect_eq "$(last "$T/route.log" $((nr + 1)))" '403 deny_paths \"^/deny/no\"' \
    "another route into the same file, its own format: the rule that refused"
cu -o /dev/null "http://127.0.0.1:$P2/b"
expect_match "$(last "$T/b.log" 1)" '^\{"time":".*"request":"GET /b HTTP/1\.1","status":200,' \
    "a listener's own log, in JSON"
sleep 0.3
expect_eq "$(nlines "$T/global.log")" 1 "access_log = \"off\" on a route, and the others' lines elsewhere: the global log has one line"
expect_eq "$(grep -c /off "$T/route.log" "$T/b.log" | tr '\n' ' ')" "$T/route.log:0 $T/b.log:0 " "the route that is off: nowhere"

# ---- forward: auth, refusals, a tunnel ----
U="http://127.0.0.1:$B"
pcu "$PF" -o /dev/null "$U/noauth"
expect_match "$(last "$T/fwd.log" 1)" "^-\\|407\\|GET $U/noauth HTTP/1\\.1\\|[0-9]+\\|[0-9]+\\|[0-9.]+\\|-\\|-\\|auth_file\\|proxy authentication required\$" \
    "407: rule auth_file, no user"
pcu "$PF" "${AUTH[@]}" -o /dev/null "$U/auth"
expect_match "$(last "$T/fwd.log" 2)" "^alice\\|200\\|GET $U/auth HTTP/1\\.1\\|[0-9]+\\|[0-9]+\\|[0-9.]+\\|127\\.0\\.0\\.1:$B\\|200\\|-\\|-\$" \
    "the proxy-authenticated user, the server and its status"
pcu "$PF" "${AUTH[@]}" -o /dev/null "http://blocked.example/x"
expect_match "$(last "$T/fwd.log" 3)" '^alice\|403\|GET http://blocked\.example/x HTTP/1\.1\|.*\|block_hosts blocked\.example\|block_hosts blocked\.example$' \
    "block_hosts: 403 naming the rule"
printf 'CONNECT 127.0.0.1:%s HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nProxy-Authorization: Basic %s\r\n\r\n' \
    "$OTHER" "$OTHER" "$(printf alice:secret | base64)" >"$T/connect-other"
rawhttp "$PF" <"$T/connect-other" >/dev/null
expect_match "$(last "$T/fwd.log" 4)" "^alice\\|403\\|CONNECT 127\\.0\\.0\\.1:$OTHER HTTP/1\\.1\\|.*\\|CONNECT to port $OTHER is not allowed \\(connect_ports\\)\\|" \
    "connect_ports: 403 naming the rule"

# a tunnel held open for a second: bytes both ways, and its duration
CONN=$(printf 'CONNECT 127.0.0.1:%s HTTP/1.1\\r\\nHost: 127.0.0.1:%s\\r\\nProxy-Authorization: Basic %s\\r\\n\\r\\n' \
    "$B" "$B" "$(printf alice:secret | base64)")
GET='GET /tunnel HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'
rawhttp -t 10 -d 1 "$PF" "$CONN" "$GET" >"$T/tunnel.out"
up=$(printf "$GET" | wc -c)
head=$(printf "$CONN" | wc -c)
got=$(wc -c <"$T/tunnel.out")
expect_match "$(head -n 1 "$T/tunnel.out")" '^HTTP/1\.1 200 Connection Established' "CONNECT: 200, then the backend's answer"
down=$((got - 39))	# "HTTP/1.1 200 Connection Established\r\n\r\n"
line=$(last "$T/fwd.log" 5)
expect_match "$line" "^alice\\|200\\|CONNECT 127\\.0\\.0\\.1:$B HTTP/1\\.1\\|$((head + up))\\|$got\\|[0-9.]+\\|127\\.0\\.0\\.1:$B\\|-\\|-\\|tunnel up=$up down=$down \\(" \
    "the tunnel's line: bytes received (head + $up up) and sent ($got: 39 + $down down)"
secs=$(cut -d'|' -f6 <<<"$line")
expect_ge "$secs" 0.9 "the tunnel's duration ($secs s: it stayed open a second)"

# ---- USR1 after logrotate: every file anew ----
old=$(porter_workers)
for f in global route b fwd; do mv "$T/$f.log" "$T/$f.log.1"; done
kill -USR1 "$MASTER"
none_alive() { local p; for p in "$@"; do _alive "$p" && return 1; done; return 0; }
# shellcheck disable=SC2086
expect_true "USR1: the workers from before are gone" wait_until 10 none_alive $old
for f in global route b fwd; do
	expect_true "USR1: $f.log made anew" test -f "$T/$f.log"
done
cu -o /dev/null "http://127.0.0.1:$P/after"
cu -o /dev/null "http://127.0.0.1:$P/deny/no"
cu -o /dev/null "http://127.0.0.1:$P2/after"
pcu "$PF" "${AUTH[@]}" -o /dev/null "$U/after"
expect_match "$(last "$T/global.log" 1)" '"GET /after HTTP/1\.1" 200' "USR1: the global log's next line in the new file"
expect_eq "$(last "$T/route.log" 1)" '403 deny_paths \"^/deny/no\"' "USR1: the route's next line in the new file"
expect_match "$(last "$T/b.log" 1)" '"GET /after HTTP/1\.1"' "USR1: the listener's next line in the new file"
expect_match "$(last "$T/fwd.log" 1)" "^alice\\|200\\|GET $U/after " "USR1: the forward listener's next line in the new file"
sleep 0.3
expect_eq "$(cat "$T"/*.log.1 | grep -c after)" 0 "USR1: the moved files got nothing more"

# ---- reloads ----
conf_head() { printf 'pid_file = "%s";\nerror_log = "%s";\n' "$T/porter.pid" "$(porter_log)"; }
old=$(porter_workers)
{ conf_head; conf '$status B $request' "$T/b.log"; } >"$T/porter.conf"
kill -HUP "$MASTER"
expect_true "HUP: reloaded" wait_until 5 grep -q 'reloaded: generation 3' "$(porter_log)"
# shellcheck disable=SC2086
expect_true "HUP: the workers from before are gone" wait_until 10 none_alive $old
cu -o /dev/null "http://127.0.0.1:$P2/reloaded"
expect_eq "$(last "$T/b.log" 2)" "200 B GET /reloaded HTTP/1.1" "HUP: the listener's new format"

cp "$T/porter.conf" "$T/porter.conf.good"
{ conf_head; conf '$status B $request' /nonexistent/porter-a005/b.log; } >"$T/porter.conf"
kill -HUP "$MASTER"
expect_true "HUP with an access log that cannot be opened: refused, and said why" \
    wait_until 5 grep -q 'reload: access_log /nonexistent/porter-a005/b.log: No such file or directory; keeping the running configuration' "$(porter_log)"
cu -o /dev/null "http://127.0.0.1:$P2/still"
expect_eq "$(last "$T/b.log" 3)" "200 B GET /still HTTP/1.1" "... and lines go where they went"
cp "$T/porter.conf.good" "$T/porter.conf"

porter_stop
expect_no_alerts

# ---- a log that cannot be opened: no start ----
conf json "$T/b.log" | sed 's|^access_log = .*|access_log = "/nonexistent/porter-a005/global.log";|' \
    >"$T/nostart.conf"
timeout 10 "$PORTER" -f -c "$T/nostart.conf" >"$T/nostart.out" 2>&1
expect_eq "$?" 1 "an access log that cannot be opened: porter exits 1"
expect_match "$(cat "$T/nostart.out")" 'access_log /nonexistent/porter-a005/global.log: No such file or directory' \
    "... saying which and why"
done_testing
