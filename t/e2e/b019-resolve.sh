#!/bin/bash
# b019: re-resolution of server names (a pool's resolve = SECONDS). porter
# runs in a mount namespace of its own whose /etc/hosts is the test's file
# (lib.sh's PORTER_HOSTS), rewritten in place while porter runs.
# backend.test:P is a (127.0.0.2:P), then b (127.0.0.3:P, the same port):
#   - with resolve = 1.0 (and no health checks: the checker runs for it),
#     traffic moves to b within a few seconds, from every worker, without a
#     reload; logged once ("now resolves to ... (was ...)")
#   - the name gone from the hosts file: the last addresses stay, traffic
#     goes on, one warning ("resolving failed") for the whole streak
#   - the name back at 127.0.0.2: traffic back to a, logged once
#   - without resolve, the addresses are those of the last (re)load:
#     traffic stays on a until SIGHUP
#   - porter -t: resolve is 0 (off) or 1..86400 seconds
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

need_mount_ns

P=$(free_port)
backend_start_at a 127.0.0.2 "$P"
backend_start_at b 127.0.0.3 "$P"

name_at() {	# ADDR, or nothing: backend.test's line in the hosts file
	hosts_write "$T/hosts" <<EOF
127.0.0.1 localhost
${1:+$1 backend.test}
EOF
}
name_at 127.0.0.2

got() {	# N URL: "CODE BODY" a line, each request on a new connection
	local i
	for i in $(seq 1 "$1"); do
		cu -o "$T/got.body" -w '%{http_code}' "$2-$i"
		printf ' %s\n' "$(tr '\n' ' ' <"$T/got.body" | sed 's/ $//')"
	done
}
all_to() {	# NAME N URL: N requests, all 200 from backend NAME
	[ "$(count_of "200 $1" "$(got "$2" "$3")")" = "$2" ]
}
mark() { cat "$(porter_log)" 2>/dev/null | wc -l | tr -d " "; }	# error log lines so far
after_mark() { tail -n "+$(($1 + 1))" "$(porter_log)"; }	# MARK: lines after it
count_after() { after_mark "$1" | grep -a -c -E "$2"; }	# MARK REGEX
RES_B="\\[info\\] .*pool app: server backend\\.test:$P now resolves to 127\\.0\\.0\\.3:$P \\(was 127\\.0\\.0\\.2:$P\\)"
RES_A="\\[info\\] .*pool app: server backend\\.test:$P now resolves to 127\\.0\\.0\\.2:$P \\(was 127\\.0\\.0\\.3:$P\\)"
RES_ANY="now resolves to"
FAILED="pool app: server backend\\.test:$P: resolving failed"
FAILED_B="\\[warn\\] .*$FAILED \\(.+\\); keeping 127\\.0\\.0\\.3:$P([^0-9]|\$)"

# ---- porter -t: resolve = 0 or 1..86400 ---------------------------------
L=$(free_port)
tconf() {	# RESOLVE: $T/t.conf, "resolve" on line 5
	cat >"$T/t.conf" <<EOF
pid_file = "$T/t.pid";
error_log = "stderr";
listeners = ( { listen = "127.0.0.1:$L"; mode = "reverse"; routes = ( { path = "/"; pool = "app"; } ); } );
pools = ( { name = "app";
    resolve = $1;
    servers = ( { address = "backend.test:$P"; } ); } );
EOF
	out=$(ns_run "$T/hosts" "$PORTER" -t -c "$T/t.conf" 2>&1)
	rc=$?
}
for v in 0.5 -1 86401; do
	tconf "$v"
	diag "resolve = $v: $out"
	expect_eq "$rc" 1 "porter -t: resolve = $v is refused"
	expect_match "$out" "t\\.conf:5: .*resolve" "naming the file, line 5 and the setting"
	expect_nomatch "$out" "unknown setting" "as a bad value, not an unknown setting"
done
for v in 0 1.0 86400; do
	tconf "$v"
	expect_eq "$rc" 0 "porter -t: resolve = $v is accepted" || diag "$out"
done

# ---- resolve = 1.0 ------------------------------------------------------
U=http://127.0.0.1:$(free_port)
S=$(free_port)
SU=http://127.0.0.1:$S/porter-status
# upstream keep-alive is on (the default): a worker's idle connections
# to the old address must not keep traffic there once the name has moved
if PORTER_HOSTS=$T/hosts porter_start -x <<EOF
log_level = "info";
workers = { count = 3; };
listeners = ( { listen = "${U#http://}"; mode = "reverse";
                routes = ( { path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; resolve = 1.0;
            servers = ( { address = "backend.test:$P"; } ); } );
status = { listen = "127.0.0.1:$S"; };
EOF
then
	expect_true "3 workers" wait_workers 3
	has_checker() { [ -n "$(porter_checker)" ]; }
	expect_true "the checker runs for resolve, without health checks" \
	    wait_until 5 has_checker
	gen_line() { cu "$SU" | sed -n 2p | grep -o 'generation=[0-9]*'; }
	expect_eq "$(gen_line)" generation=1 "status page: generation 1"
	r=$(got 9 "$U/a")
	expect_eq "$(count_of "200 a" "$r")" 9 "backend.test is 127.0.0.2: 9 requests, all to a" ||
	    diag "$(sort <<<"$r" | uniq -c)"

	# 1. the name moves to 127.0.0.3
	m1=$(mark)
	name_at 127.0.0.3
	t0=$(now)
	expect_true "backend.test now 127.0.0.3: within 5 s requests go to b" \
	    wait_until 5 all_to b 6 "$U/b"
	diag "moved after $(since "$t0") s (resolve = 1.0)"
	r=$(got 12 "$U/b2")
	expect_eq "$(count_of "200 b" "$r")" 12 "12 more requests, all to b (every worker)" ||
	    diag "$(sort <<<"$r" | uniq -c)"
	sleep 2.2	# two more intervals: no second line
	diag "logged: $(after_mark "$m1" | grep -a -E "$RES_ANY|$FAILED")"
	expect_eq "$(count_after "$m1" "$RES_B")" 1 \
	    "logged once: pool app: server backend.test:$P now resolves to 127.0.0.3:$P (was 127.0.0.2:$P)"
	expect_eq "$(count_after "$m1" "$RES_ANY")" 1 "no other 'now resolves' line"
	expect_eq "$(count_after 0 'SIGHUP|reloaded')" 0 "without a reload (none logged)"
	expect_eq "$(gen_line)" generation=1 "status page: still generation 1"
	expect_eq "$(cu "$SU" | grep -a '^slot=' | grep -a -v -c ' generation=1 ')" 0 \
	    "status page: every worker still of generation 1"
	l=$(cu "$SU" | grep -a "^app/backend\\.test:$P ")
	diag "status: $l"
	expect_match "$l" "^app/backend\\.test:$P address=127\\.0\\.0\\.3:$P state=up " \
	    "status page: address=127.0.0.3:$P, up"

	# 2. the name is gone: the last addresses stay, one warning
	m2=$(mark)
	name_at ""
	failed_seen() { [ "$(count_after "$m2" "$FAILED")" -ge 1 ]; }
	expect_true "backend.test gone: 'resolving failed' logged within 5 s" \
	    wait_until 5 failed_seen
	r=$(got 9 "$U/gone")
	expect_eq "$(count_of "200 b" "$r")" 9 "requests still reach b: 9 of 9" ||
	    diag "$(sort <<<"$r" | uniq -c)"
	sleep 3.2	# three more failed lookups
	diag "logged: $(after_mark "$m2" | grep -a -E "$RES_ANY|$FAILED")"
	expect_eq "$(count_after "$m2" "$FAILED")" 1 \
	    "the failure is logged once for the whole streak (4 intervals)"
	expect_eq "$(count_after "$m2" "$FAILED_B")" 1 \
	    "as a warning: ... resolving failed (WHY); keeping 127.0.0.3:$P"
	expect_eq "$(count_after "$m2" "$RES_ANY")" 0 "no 'now resolves' line meanwhile"
	l=$(cu "$SU" | grep -a "^app/backend\\.test:$P ")
	expect_match "$l" " address=127\\.0\\.0\\.3:$P state=up " \
	    "status page: still up at 127.0.0.3:$P" || diag "$l"
	r=$(got 6 "$U/gone2")
	expect_eq "$(count_of "200 b" "$r")" 6 "and still served by b: 6 of 6"

	# 3. the name is back, at 127.0.0.2
	m3=$(mark)
	name_at 127.0.0.2
	expect_true "backend.test back at 127.0.0.2: within 5 s requests go to a" \
	    wait_until 5 all_to a 6 "$U/back"
	r=$(got 12 "$U/back2")
	expect_eq "$(count_of "200 a" "$r")" 12 "12 more requests, all to a" ||
	    diag "$(sort <<<"$r" | uniq -c)"
	sleep 2.2
	diag "logged: $(after_mark "$m3" | grep -a -E "$RES_ANY|$FAILED")"
	expect_eq "$(count_after "$m3" "$RES_A")" 1 \
	    "logged once: ... now resolves to 127.0.0.2:$P (was 127.0.0.3:$P)"
	expect_eq "$(count_after "$m3" "$RES_ANY|$FAILED")" 1 "and nothing else about it"
	expect_eq "$(gen_line)" generation=1 "status page: still generation 1"
	porter_stop
else
	diag "porter did not start with resolve = 1.0 (the 'porter started'" \
	    "failure above): the re-resolution checks were not run"
	[ -n "$(porter_pid)" ] && _stop_pids "$(porter_pid)"
	_porter_pid=
fi

# ---- without resolve: the addresses of the last (re)load ----------------
name_at 127.0.0.2
m4=$(mark)
U=http://127.0.0.1:$(free_port)
PORTER_HOSTS=$T/hosts porter_start <<EOF
log_level = "info";
workers = { count = 3; };
listeners = ( { listen = "${U#http://}"; mode = "reverse";
                routes = ( { path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "backend.test:$P"; } ); } );
EOF
expect_true "without resolve: 3 workers" wait_workers 3
expect_eq "$(porter_checker)" "" "no checker: no pool has resolve or health checks"
r=$(got 6 "$U/n")
expect_eq "$(count_of "200 a" "$r")" 6 "backend.test is 127.0.0.2: 6 requests, all to a"
name_at 127.0.0.3
sleep 3
r=$(got 12 "$U/n2")
expect_eq "$(count_of "200 a" "$r")" 12 \
    "backend.test now 127.0.0.3, no resolve: 3 s later still all to a (12 of 12)" ||
    diag "$(sort <<<"$r" | uniq -c)"
expect_eq "$(count_after "$m4" "$RES_ANY|$FAILED")" 0 "nothing about resolving logged"
kill -HUP "$(porter_pid)"
reloaded() { [ "$(count_after "$m4" 'reloaded: generation 2')" -ge 1 ]; }
expect_true "SIGHUP: reloaded (generation 2)" wait_until 10 reloaded
expect_true "after the reload requests go to b (127.0.0.3) within 5 s" \
    wait_until 5 all_to b 6 "$U/h"
r=$(got 12 "$U/h2")
expect_eq "$(count_of "200 b" "$r")" 12 "12 more, all to b" || diag "$(sort <<<"$r" | uniq -c)"

expect_no_alerts
porter_stop
done_testing
