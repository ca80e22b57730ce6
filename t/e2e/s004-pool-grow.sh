#!/bin/bash
# s004: the dynamic pool (Apache prefork's scheme). 64 slow requests on a
# pool that starts with 2 workers: the master forks 1, 2, 4 ... up to 32 a
# second until all are served, never more than workers.max. A steady load
# of 10 slow requests ends at 10 busy + min_spare workers: the ramp does not
# overshoot by its last doubling (it used to reach 17). After the load
# idle workers above max_spare exit, an eighth of the excess a second (at
# least one), until about max_spare are idle. A saturated pool logs
# "reached workers.max" once, not on every tick; a fixed pool
# (workers.count) with idle workers left does not log it.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P

conf() {	# START MIN_SPARE MAX_SPARE MAX
	cat <<EOF
log_level = "info";
workers = { start = $1; min_spare = $2; max_spare = $3; max = $4; max_requests = 0; };
timeouts = { client_header = 30.0; client_body = 30.0; keepalive = 5.0;
             connect = 5.0; upstream = 60.0; tunnel_idle = 60.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse"; backlog = 511;
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
}

# fire N background curls at URL; their status codes go to $T/DIR/I
fire() {	# DIR N URL
	local i
	mkdir -p "$T/$1"
	for i in $(seq "$2"); do
		CURL_MAX_TIME=40 cu -o /dev/null -w '%{http_code}' "$3&i=$i" \
		    >"$T/$1/$i" 2>"$T/$1/$i.err" &
		track $!
		pids+=($!)
	done
}
wait_fired() {	# wait for every curl in pids, bounded by the curls' own max time
	local p
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null; done
	pids=()
}
count_200() { cat "$T/$1"/[0-9]* 2>/dev/null | grep -o 200 | wc -l | tr -d ' '; }
nworkers() { porter_workers | wc -l | tr -d ' '; }
fewer_than() { [ "$(nworkers)" -lt "$1" ]; }
at_most() { [ "$(nworkers)" -le "$1" ]; }
log_from() { tail -n +"$(($1 + 1))" "$(porter_log)"; }
log_lines() { wc -l <"$(porter_log)" | tr -d ' '; }

# ---- 1. growth from 2 to 64 under 64 slow requests ----------------------
porter_start < <(conf 2 2 4 64)
expect_true "2 workers at start" wait_workers 2 10
pids=()
t0=$(now)
fire grow 64 "$U/slow?s=8"
peak=0 t60='' t64=''
while _num_le "$(since "$t0")" 15; do
	n=$(nworkers)
	[ "$n" -gt "$peak" ] && peak=$n
	[ -z "$t60" ] && [ "$n" -ge 60 ] && t60=$(since "$t0")
	if [ "$n" -ge 64 ]; then t64=$(since "$t0"); break; fi
	sleep 0.1
done
diag "growth: 2 -> ${peak} workers; >= 60 after ${t60:-never} s, 64 after ${t64:-never} s"
expect_ge "$peak" 60 "the pool grew from 2 to $peak workers (>= 60)"
expect_true "it reached 60 workers within 10 s (took ${t60:-more than 15} s)" \
    _num_le "${t60:-99}" 10
expect_le "$(nworkers)" 64 "never more than workers.max (64)"
wait_fired
expect_eq "$(count_200 grow)" 64 "all 64 slow requests answered 200"
[ "$(count_200 grow)" = 64 ] || diag "curl errors: $(cat "$T"/grow/*.err | sort | uniq -c | head -5)"
expect_le "$(nworkers)" 64 "still no more than workers.max after the load"

# after the load: idle workers above max_spare exit, an eighth of the
# excess a second (one a second, as before, would take a minute here)
n0=$(nworkers)
expect_true "after the load the pool shrinks (from $n0, at least 20 fewer within 6 s)" \
    wait_until 6 fewer_than $((n0 - 19))
diag "shrink: $n0 -> $(nworkers) workers"
porter_stop

# ---- 1b. a steady load: busy + min_spare, no more ------------------------
porter_start < <(conf 2 2 32 64)
expect_true "2 workers at start (min_spare 2, max_spare 32)" wait_workers 2 10
t0=$(now)
fire steady 10 "$U/slow?s=7"
peak=0
while _num_le "$(since "$t0")" 6; do
	n=$(nworkers)
	[ "$n" -gt "$peak" ] && peak=$n
	sleep 0.1
done
n=$(nworkers)
diag "10 slow requests held: $n workers after 6 s, at most $peak"
expect_ge "$n" 12 "10 busy + min_spare 2: the pool grew to $n (>= 12)"
expect_le "$peak" 13 "and no further: at most $peak workers (<= 13)"
wait_fired
expect_eq "$(count_200 steady)" 10 "all 10 answered 200"
porter_stop

# ---- 2. settles at about max_spare idle -------------------------------
porter_start < <(conf 2 2 4 12)
expect_true "2 workers at start (max = 12)" wait_workers 2 10
fire settle 12 "$U/slow?s=2"
wait_fired
expect_eq "$(count_200 settle)" 12 "12 slow requests answered 200"
n0=$(nworkers)
diag "after 12 slow requests: $n0 workers"
t0=$(now)
expect_true "idle pool settles to <= max_spare + 1 (5) workers within 20 s" \
    wait_until 20 at_most 5
diag "settled: $n0 -> $(nworkers) workers in $(since "$t0") s"
sleep 1.5
expect_ge "$(nworkers)" 2 "and it keeps at least min_spare (2) idle: $(nworkers) workers"
porter_stop

# ---- 3. a fixed pool with a worker busy: no warning ---------------------
# workers.count makes min_spare = max: one busy worker is short of it,
# and "all busy" used to be logged though three were idle
l0=$(log_lines)
porter_start < <(conf 4 1 4 4 | sed 's/^workers = .*/workers = { count = 4; };/')
expect_true "workers.count = 4: 4 workers" wait_workers 4 10
fire one 1 "$U/slow?s=3"
wait_fired
expect_eq "$(count_200 one)" 1 "one slow request on a fixed pool of 4: 200"
expect_eq "$(log_from "$l0" | grep -a -c 'reached workers.max')" 0 \
    "one of 4 workers busy for 3 s: no \"reached workers.max\" (3 idle)"
porter_stop

# ---- 4. a saturated pool warns once ------------------------------------
l0=$(log_lines)
porter_start < <(conf 4 1 4 4)
expect_true "4 workers at start (max = 4)" wait_workers 4 10
fire sat 8 "$U/slow?s=2"
wait_fired
expect_eq "$(count_200 sat)" 8 "8 slow requests on 4 workers: all answered 200"
expect_le "$(nworkers)" 4 "never more than workers.max (4)"
warns=$(log_from "$l0" | grep -a -c 'reached workers.max')
diag "\"reached workers.max\" lines while saturated (~4 s): $warns"
diag "$(log_from "$l0" | grep -a 'reached workers.max' | head -3)"
expect_eq "$warns" 1 "\"reached workers.max\" logged once while saturated, not every second"
expect_match "$(log_from "$l0" | grep -a 'reached workers.max' | head -1)" \
    '\[warn\]' "at [warn]"

expect_no_alerts
porter_stop
done_testing
