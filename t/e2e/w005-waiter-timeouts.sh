#!/bin/bash
# w005: the waiter enforces the client timeouts on what it holds (issue 12),
# and a full waiter never blocks a worker. Three porters in turn:
#  - client_header = 2, keepalive = 2, min_rate off: half a head, and a
#    head dripping a line every 0.25 s are parked (parked_head), then
#    closed at about 2 s after they were made, not before (a 408 if porter
#    says anything), counted in waiter.timeouts; a silent connection is
#    accepted late (TCP_DEFER_ACCEPT), then closed the same way; a
#    kept-alive connection idle after its answer is parked
#    (parked_keepalive) and closed at about 2 s;
#  - client_header = 10, min_rate = 500: a head trickled at 70 bytes/s is
#    cut after its first second, well before 10 s (waiter.timeouts); one
#    arriving at about 1,000 bytes/s over 2.5 s is answered;
#  - waiter.max_conns = 50, 100 slowloris connections, min_rate off: the
#    waiter holds 50 at most, the other 50 stay open (with workers, as
#    today), a slow head meanwhile and a probe are still answered.
# Today nothing is parked, min_rate does not exist, and 100 slow clients
# hold 64 workers: the probe is not answered.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-waiter.sh"

backend_start app
B=$BPORT
P=$(free_port)
S=$(free_port)
U=http://127.0.0.1:$P
SJ="http://127.0.0.1:$S/porter-status?format=json"
conf() {	# WORKERS TIMEOUTS LIMITS WAITER (group bodies)
	cat <<EOF
log_level = "info";
workers = { $1 max_requests = 0; };
timeouts = { $2 client_body = 10.0; connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
limits = { $3 };
waiter = { $4 };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
status = { listen = "127.0.0.1:$S"; };
EOF
}

# DESC KEY LO HI rawhttp-args...: porter holds the connection in the
# waiter (waiter.KEY >= 1 half a second in; KEY "-": not looked at), then
# closes it LO to HI s after it was made. Leaves what porter said in
# $T/cut.out.
cut_off() {
	local desc=$1 key=$2 lo=$3 hi=$4 rp v el
	shift 4
	rawhttp -v -t 12 "$@" >"$T/cut.out" 2>"$T/cut.err" &
	rp=$!
	track $rp
	sleep 0.5
	[ "$key" = - ] || v=$(waiter_stat "$key")
	_wait_gone 15 $rp
	wait $rp
	[ "$key" = - ] ||
	    expect_ge "$v" 1 "$desc: parked (waiter.$key ${v:-none} at 0.5 s)"
	expect_match "$(cat "$T/cut.err")" '^rawhttp: (closed|reset) after' \
	    "$desc: porter closes the connection"
	el=$(sed -n 's/.* after \([0-9.]*\) s.*/\1/p' "$T/cut.err")
	expect_ge "$el" "$lo" "$desc: not before the timeout (${el:-?} s >= $lo)"
	expect_le "${el:-1e9}" "$hi" "$desc: soon after (${el:-?} s <= $hi)"
}
no_answer_or_408() {	# DESC
	if [ -s "$T/cut.out" ]; then
		expect_match "$(first_line "$(cat "$T/cut.out")")" '^HTTP/1\.[01] 408( |$)' \
		    "$1: if porter answers, it is 408"
	fi
}
timeouts_grew() {	# DESC FROM
	local t
	t=$(waiter_stat timeouts)
	expect_ge "$((${t:-0} - ${2:-0}))" 1 "$1: counted in waiter.timeouts (${2:-none} -> ${t:-none})"
}

# ---- client_header and keepalive -------------------------------------------
porter_start < <(conf "start = 4; min_spare = 2; max_spare = 8; max = 32;" \
    "client_header = 2.0; keepalive = 2.0;" "min_rate = 0;" \
    "max_conns = 1000; park_after = 0.02;")
expect_true "4 workers" wait_workers 4 10
expect_match "$(porter_waiter)" '^[0-9]+$' "a porter-waiter process runs"

t0=$(waiter_stat timeouts)
# a connection that sends nothing is not even accepted for a while
# (TCP_DEFER_ACCEPT: the kernel keeps it, no worker wakes), then it is
# parked and client_header runs: closed a few seconds later than a client
# that sent something
cut_off "silent client" - 1.8 9 "$P" ''
no_answer_or_408 "silent client"
timeouts_grew "silent client" "$t0"

t0=$(waiter_stat timeouts)
cut_off "half a head" parked_head 1.8 3.5 "$P" 'GET / HTTP/1.1\r\nHost: a\r\n'
no_answer_or_408 "half a head"
timeouts_grew "half a head" "$t0"

pieces=()
for i in $(seq 40); do pieces+=("X-Drip-$i: 1\\r\\n"); done
t0=$(waiter_stat timeouts)
cut_off "a head dripping a line every 0.25 s" parked_head 1.8 3.5 -d 0.25 "$P" \
    'GET / HTTP/1.1\r\nHost: a\r\n' "${pieces[@]}"
no_answer_or_408 "a head dripping a line every 0.25 s"
timeouts_grew "a head dripping a line every 0.25 s" "$t0"

t0=$(waiter_stat timeouts)
cut_off "kept-alive, idle after its answer" parked_keepalive 1.8 3.5 "$P" \
    'GET /ka HTTP/1.1\r\nHost: a\r\n\r\n'
expect_eq "$(grep -a -c '^HTTP/1\.1 200 ' "$T/cut.out")" 1 "kept-alive: its request was answered"
diag "kept-alive closed after $(sed -n 's/.* after \([0-9.]*\) s.*/\1/p' "$T/cut.err") s;" \
    "waiter.timeouts ${t0:-none} -> $(waiter_stat timeouts)"
expect_status "$U/" 200 -H 'Connection: close'
expect_no_alerts
porter_stop

# ---- min_rate ----------------------------------------------------------------
porter_start < <(conf "start = 4; min_spare = 2; max_spare = 8; max = 32;" \
    "client_header = 10.0; keepalive = 5.0;" "min_rate = 500;" \
    "max_conns = 1000; park_after = 0.02;")
expect_true "4 workers" wait_workers 4 10

# 14 bytes every 0.2 s: 70 bytes/s
pieces=()
for i in $(seq 10 60); do pieces+=("X-Drip-$i: 1\\r\\n"); done
t0=$(waiter_stat timeouts)
cut_off "min_rate 500, a head at 70 bytes/s" parked_head 0.9 5 -d 0.2 "$P" \
    'GET / HTTP/1.1\r\nHost: a\r\n' "${pieces[@]}"
no_answer_or_408 "min_rate 500, a head at 70 bytes/s"
timeouts_grew "min_rate 500, a head at 70 bytes/s" "$t0"

# 100 bytes every 0.1 s, 2.5 s: fast enough
pad=$(printf 'x%.0s' $(seq 88))
pieces=()
for i in $(seq 10 32); do pieces+=("X-Pad-$i: $pad\\r\\n"); done
out=$(rawhttp -t 8 -d 0.1 "$P" 'GET /fast HTTP/1.1\r\nHost: a\r\n' "${pieces[@]}" \
    'Connection: close\r\n\r\n')
expect_eq "$(first_line "$out")" "HTTP/1.1 200 OK" \
    "min_rate 500, a 2.4 KB head at about 1,000 bytes/s: answered"
expect_no_alerts
porter_stop

# ---- a full waiter -------------------------------------------------------------
porter_start < <(conf "start = 4; min_spare = 2; max_spare = 8; max = 64;" \
    "client_header = 60.0; keepalive = 5.0;" "min_rate = 0;" \
    "max_conns = 50; park_after = 0.02;")
expect_true "4 workers" wait_workers 4 10
sc_watch watch 90
sc_start loris slowloris --port "$P" --conns 100 --rate 25 --duration 90 --interval 1
parked_ge() { [ "$(waiter_stat parked)" -ge "$1" ] 2>/dev/null; }
expect_true "the waiter fills up: 45 or more parked (max_conns 50) within 10 s" \
    wait_until 10 parked_ge 45
# the other 50 are for workers: give the pool time to grow (not asserted)
workers_ge() { [ "$(porter_workers | wc -l)" -ge "$1" ]; }
wait_until 15 workers_ge 54
diag "with the waiter full: $(porter_workers | wc -l) workers, waiter.parked $(waiter_stat parked)"

# a slow head now: the waiter is full, a worker keeps it and answers it
pids=()
for i in 1 2 3; do
	rawhttp -t 10 -d 0.5 "$P" "GET /slow$i HTTP/1.1\\r\\nHost: a\\r\\n" \
	    'Connection: close\r\n\r\n' >"$T/full.$i" 2>/dev/null &
	pids+=($!)
	track $!
done
_wait_gone 15 "${pids[@]}"
wait "${pids[@]}"
for i in 1 2 3; do
	expect_eq "$(first_line "$(cat "$T/full.$i")")" "HTTP/1.1 200 OK" \
	    "waiter full: slow head $i (0.5 s pause) answered"
done
sc_start probe probe --url "$U/probe" --interval 0.25 --duration 5 --timeout 5
expect_true "the probe ends" sc_wait probe 15
diag "probe: $(sc_report probe)"
total=$(sc_get probe total)
expect_ge "${total:-0}" 15 "the probe made its requests (${total:-none})"
expect_eq "$(sc_get probe answered)" "$total" "waiter full: every probe answered"
expect_true "the slowloris run reports" sc_stop loris
expect_true "the status watch reports" sc_stop watch
diag "slowloris: $(sc_report loris)" "watch: max $(sc_get watch max)"
mp=$(sc_get watch max.parked)
expect_le "${mp:-1e9}" 50 "never more than max_conns parked (at most ${mp:-none})"
expect_ge "$mp" 45 "... but the waiter was full (${mp:-none})"
expect_eq "$(sc_get loris open)/$(sc_get loris closes)" "100/0" \
    "the 100 slow clients all still open, none refused or closed"

expect_no_alerts
porter_stop
done_testing
