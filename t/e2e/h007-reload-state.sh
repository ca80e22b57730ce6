#!/bin/bash
# h007: health state across a graceful reload (HUP). Pool "app" has
# initial = "down": a and b start down and come up by their checks; b is
# then logged down. The reload adds n1 to app and n2 to pool "other"
# (initial up by default). Right after it: b is still down (no traffic, no
# new "is up"), a still up (no new line either); n1, whose checks fail,
# gets nothing, and gets traffic once its checks pass; n2 gets traffic at
# once. b healthy again comes back.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

backend_start a
A=$BPORT
backend_start b
B=$BPORT
backend_start c
C=$BPORT
backend_start n1
N1=$BPORT
backend_start n2
N2=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P

conf() {	# APP_EXTRA OTHER_EXTRA: more server entries
	cat <<EOF
pid_file = "$T/porter.pid";
error_log = "$T/error.log";
log_level = "info";
workers = { count = 2; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/app/"; pool = "app"; },
             { path = "/other/"; pool = "other"; } ); } );
pools = (
  { name = "app"; initial = "down";
    health = { path = "/health"; interval = 0.2; timeout = 1.0; rise = 2; fall = 2; };
    servers = ( { address = "127.0.0.1:$A"; }, { address = "127.0.0.1:$B"; }$1 ); },
  { name = "other";
    health = { path = "/health"; interval = 0.2; timeout = 1.0; rise = 2; fall = 2; };
    servers = ( { address = "127.0.0.1:$C"; }$2 ); } );
EOF
}
put_conf() { "$@" >"$T/porter.conf.new" && mv "$T/porter.conf.new" "$T/porter.conf"; }

porter_start < <(conf "" "")
master=$(porter_pid)
expect_true "2 workers and the health checker" wait_hc_workers 2 10

# 1. initial = "down": up only by checks
both_up() { hc_wait 5 app "$A" up && hc_wait 5 app "$B" up; }
expect_true "a and b (initial down) are logged up by their checks within 5 s" both_up
diag "logged: $(hc_line app "$A" up)"
codes=$(get_n 20 "$U/app/x")
expect_eq "$(count_of 200 "$codes")" 20 "app: 20 requests, all 200"

# 2. b down by its checks
expect_true "b's /health answers 503" health_set b "status=503"
expect_true "b is logged down within 5 s" hc_wait 5 app "$B" down
expect_true "n1's /health answers 503 (it is not in the config yet)" \
    health_set n1 "status=503"

# 3. reload with n1 (app, initial down) and n2 (other, initial up)
put_conf conf ", { address = \"127.0.0.1:$N1\"; }" ", { address = \"127.0.0.1:$N2\"; }"
ua=$(hc_count app "$A" up) ub=$(hc_count app "$B" up) db=$(hc_count app "$B" down)
a0=$(traffic a) b0=$(traffic b) n10=$(traffic n1) n20=$(traffic n2) c0=$(traffic c)
kill -HUP "$master"
expect_true "the master logged generation 2" \
    wait_until 5 grep -q "reloaded: generation 2\$" "$(porter_log)"
settled() {	# 2 workers and 1 checker: the old generation has gone
	[ "$(porter_checker | wc -l | tr -d ' ')" = 1 ] &&
	    [ "$(porter_workers | wc -l | tr -d ' ')" = 2 ]
}
expect_true "after the reload: 2 workers and one checker" wait_until 5 settled
codes=$(get_par 3 10 "$U/app/after")
expect_eq "$(count_of 200 "$codes")" 30 "app right after the reload: 30 requests, all 200"
expect_eq "$(($(traffic b) - b0))" 0 "b is still down: no traffic"
expect_eq "$(($(traffic n1) - n10))" 0 "n1 (new, initial down, checks failing): no traffic"
expect_eq "$(($(traffic a) - a0))" 30 "a answered all 30"
codes=$(get_n 20 "$U/other/after")
expect_eq "$(count_of 200 "$codes")" 20 "other right after the reload: 20 requests, all 200"
dn2=$(($(traffic n2) - n20))
diag "other: c $(($(traffic c) - c0)), n2 $dn2"
expect_ge "$dn2" 4 "n2 (new, initial up) gets traffic at once ($dn2 of 20)"
sleep 1
expect_eq "$(hc_count app "$B" up)" "$ub" "no new 'is up' line for b"
expect_eq "$(hc_count app "$A" up)" "$ua" "no new 'is up' line for a (it stayed up)"
expect_eq "$(hc_count app "$B" down)" "$db" "no new 'is down' line for b (it stayed down)"
expect_eq "$(hc_count app "$N1" up)" 0 "n1 is not logged up"
b0=$(traffic b) n10=$(traffic n1)
codes=$(get_par 4 5 "$U/app/later")
expect_eq "$(($(traffic b) - b0 + $(traffic n1) - n10))" 0 \
    "1 s later b and n1 still get nothing"
expect_ge "$(checks n1)" 2 "n1 is checked"

# 4. n1's checks pass: up, traffic
expect_true "n1's /health answers 200" health_set n1 "status=200"
expect_true "n1 is logged up within 5 s" hc_wait 5 app "$N1" up
n10=$(traffic n1)
codes=$(get_n 30 "$U/app/n1")
expect_eq "$(count_of 200 "$codes")" 30 "30 requests, all 200"
expect_ge "$(($(traffic n1) - n10))" 5 "n1 gets traffic ($(($(traffic n1) - n10)) of 30)"

# 5. b healthy again
expect_true "b's /health answers 200" health_set b "status=200"
expect_true "b is logged up within 5 s" hc_wait 5 app "$B" up $((ub + 1))
b0=$(traffic b)
codes=$(get_n 30 "$U/app/b")
expect_ge "$(($(traffic b) - b0))" 5 "b gets traffic again ($(($(traffic b) - b0)) of 30)"

expect_no_alerts
porter_stop
done_testing
