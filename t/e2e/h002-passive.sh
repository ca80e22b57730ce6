#!/bin/bash
# h002: passive health checks, no active checker. Pool "app" (max_fails 2,
# fail_timeout 4 s, retries 1): a server refusing connections is logged
# down after 2 failures while every request still succeeds on the others;
# once it listens again and fail_timeout has passed, a trial request goes
# to it and it gets traffic again. Pool "fs" (fail_status [503],
# max_fails 1): a server answering 503 is logged down after one 503, gets
# nothing for fail_timeout, then a successful trial brings it back. Pool
# "rs": a reset before any answer counts as a failure too. Pool "win"
# (max_fails 2, fail_timeout 1 s, hash on the URI so that the test picks
# the URIs that go to w): two failures further apart than fail_timeout do
# not add up; two within it do.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

backend_start a
A=$BPORT
backend_start b
B=$BPORT
backend_start r		# refuses connections while stopped
R=$BPORT
backend_stop r
backend_start c
C=$BPORT
backend_start e --mode status:503
E=$BPORT
backend_start x --mode drop	# reads each request, then resets
X=$BPORT
backend_start y
Y=$BPORT
backend_start w
W=$BPORT
backend_start z
Z=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P

porter_start <<EOF
log_level = "info";
workers = { count = 2; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/app/"; pool = "app"; },
             { path = "/fs/"; pool = "fs"; }, { path = "/rs/"; pool = "rs"; },
             { path = "/win/"; pool = "win"; } ); } );
pools = (
  { name = "app"; max_fails = 2; fail_timeout = 4.0; retries = 1;
    servers = ( { address = "127.0.0.1:$A"; }, { address = "127.0.0.1:$R"; },
                { address = "127.0.0.1:$B"; } ); },
  { name = "fs"; max_fails = 1; fail_timeout = 2.0; fail_status = [ 503 ];
    servers = ( { address = "127.0.0.1:$C"; }, { address = "127.0.0.1:$E"; } ); },
  { name = "rs"; max_fails = 1; fail_timeout = 30.0; retries = 1;
    servers = ( { address = "127.0.0.1:$X"; }, { address = "127.0.0.1:$Y"; } ); },
  { name = "win"; max_fails = 2; fail_timeout = 1.0; fail_status = [ 503 ];
    balance = "hash"; hash_key = "uri";
    servers = ( { address = "127.0.0.1:$W"; }, { address = "127.0.0.1:$Z"; } ); } );
EOF
expect_true "2 workers" wait_workers 2 10

# 1. r refuses: down after 2 failures, nothing fails for the client
a0=$(traffic a) b0=$(traffic b)
t_start=$(now)		# r goes down after this: it is down until >= t_start + 4
codes=$(get_par 3 10 "$U/app/x")
expect_eq "$(count_of 200 "$codes")" 30 "30 requests with r refusing: all 200 (retried)"
expect_eq "$(($(traffic a) - a0 + $(traffic b) - b0))" 30 "a and b answered all 30"
expect_true "r is logged down" hc_wait 2 app "$R" down
line=$(hc_line app "$R" down)
diag "logged: $line"
expect_match "$line" "2 failures" "the line counts 2 failures"
expect_match "$line" "refused" "the line names the last failure (connect refused)"
expect_eq "$(hc_count app "$R" down)" 1 "logged once"
t_down=$(now)		# and before this: down until <= t_down + 4

# 2. r listens again; after fail_timeout a trial request reaches it
expect_true "r restarted on its port" backend_restart r "$R"
r0=$(traffic r)
codes=$(get_n 10 "$U/app/early")
expect_eq "$(count_of 200 "$codes")" 10 "10 requests right after: all 200"
el=$(since "$t_start")
# fail_timeout is long enough for this to hold on a slow, shared machine
expect_le "$el" 3.9 "r restarted and 10 requests sent within fail_timeout ($el s)"
expect_eq "$(($(traffic r) - r0))" 0 "r gets nothing before fail_timeout has passed"
sleep "$(awk -v t="$(since "$t_down")" 'BEGIN { d = 4.3 - t; print (d > 0) ? d : 0 }')"
r0=$(traffic r)
codes=$(get_n 30 "$U/app/late")
expect_eq "$(count_of 200 "$codes")" 30 "30 requests after fail_timeout: all 200"
expect_ge "$(($(traffic r) - r0))" 5 "r gets traffic again after its trial ($(($(traffic r) - r0)) of 30)"
diag "logged: $(hc_line app "$R" up)"

# 3. fail_status: e answers 503 to everything; one 503 marks it down
c0=$(traffic c) e0=$(traffic e)
codes=$(get_n 10 "$U/fs/x")
diag "statuses from fs:" "$(printf '%s\n' "$codes" | sort | uniq -c)"
expect_eq "$(count_of 503 "$codes")" 1 "one 503 reaches the client (a response is not retried)"
expect_eq "$(count_of 200 "$codes")" 9 "the other 9 are 200"
expect_eq "$(($(traffic e) - e0))" 1 "e got one request, then none"
expect_eq "$(($(traffic c) - c0))" 9 "c answered the other 9"
expect_true "e is logged down" hc_wait 2 fs "$E" down
line=$(hc_line fs "$E" down)
diag "logged: $line"
expect_match "$line" "503" "the line names status 503"
t_down=$(now)
expect_true "e answers normally again" mode_set e normal
sleep "$(awk -v t="$(since "$t_down")" 'BEGIN { d = 2.3 - t; print (d > 0) ? d : 0 }')"
e0=$(traffic e)
codes=$(get_n 20 "$U/fs/y")
expect_eq "$(count_of 200 "$codes")" 20 "20 requests after fail_timeout: all 200"
expect_ge "$(($(traffic e) - e0))" 4 "e gets traffic again after its trial ($(($(traffic e) - e0)) of 20)"

# 4. a reset before any response byte is a failure (and the GET is retried)
codes=$(get_n 10 "$U/rs/x")
expect_eq "$(count_of 200 "$codes")" 10 "rs: 10 GETs with x resetting: all 200 (retried)"
expect_eq "$(traffic x)" 1 "x got one, then none"
expect_true "x is logged down" hc_wait 2 rs "$X" down
diag "logged: $(hc_line rs "$X" down)"

# 5. the failure window: 1.3 s apart with fail_timeout 1 s do not add up.
# First find 4 URIs that the hash sends to w, while w still answers 200.
wu=()
for i in $(seq 1 40); do
	[ "$(cu "$U/win/u$i")" = w ] && wu+=("$U/win/u$i")
	[ ${#wu[@]} = 4 ] && break
done
expect_eq "${#wu[@]}" 4 "win: 4 URIs that go to w"
expect_true "w now answers 503 to everything" mode_set w status:503
w0=$(traffic w)
st1=$(cu -o /dev/null -w '%{http_code}' "${wu[0]}")
sleep 1.3
st2=$(cu -o /dev/null -w '%{http_code}' "${wu[1]}")
expect_eq "$st1 $st2" "503 503" "w answers 503 twice, 1.3 s apart"
sleep 0.3
expect_eq "$(hc_count win "$W" down)" 0 "not down: the two failures were more than fail_timeout apart"
st3=$(cu -o /dev/null -w '%{http_code}' "${wu[2]}")
expect_eq "$st3" 503 "a third 503 at once"
expect_true "now w is logged down (2 failures within 1 s)" hc_wait 2 win "$W" down
diag "logged: $(hc_line win "$W" down)"
expect_eq "$(cu "${wu[3]}")" z "the 4th URI of w goes to z while w is down"
expect_eq "$(($(traffic w) - w0))" 3 "w got 3 requests, not the 4th"

expect_no_alerts
porter_stop
done_testing
