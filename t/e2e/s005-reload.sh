#!/bin/bash
# s005: graceful restart under load. wrk keeps 32 connections busy while
# the master gets 5 HUPs, each after the pool was switched between
# backends a and b in the config: no request fails, no connection is
# refused or dropped, the last config is the one that serves, and after
# settling only the newest generation of workers is left. Then the same
# with "Connection: close" clients. A broken config on HUP is logged with
# file:line and changes nothing.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

command -v wrk >/dev/null 2>&1 || { not_ok "wrk is installed"; done_testing; }

backend_start a
A=$BPORT
backend_start b
B=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P

conf() {	# BACKEND_PORT
	cat <<EOF
pid_file = "$T/porter.pid";
error_log = "$T/error.log";
log_level = "info";
workers = { start = 8; min_spare = 2; max_spare = 64; max = 64; max_requests = 0; };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = 5.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$1"; } ); } );
EOF
}
# the new file replaces the old one whole (rename), as an editor would
put_conf() { "$@" >"$T/porter.conf.new" && mv "$T/porter.conf.new" "$T/porter.conf"; }
wlist() { porter_workers | sort -n | tr '\n' ' '; }
any_alive() { local p; for p in "$@"; do _alive "$p" && return 0; done; return 1; }
none_alive() { ! any_alive "$@"; }
common() {	# "A..." "B...": pids in both lists
	local p out=
	for p in $1; do [[ " $2 " == *" $p "* ]] && out="$out $p"; done
	echo "${out# }"
}
# wrk's figures: requests, socket errors (sum), non-2xx/3xx
wrk_requests() { sed -n 's/^ *\([0-9][0-9]*\) requests in .*/\1/p' "$1"; }
wrk_sockerr() {
	grep -a 'Socket errors' "$1" |
	    awk '{ s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }'
}
wrk_non2xx() { sed -n 's/^ *Non-2xx or 3xx responses: *//p' "$1"; }

porter_start < <(conf "$A")
master=$(porter_pid)
expect_true "8 workers at start" wait_workers 8 10
expect_eq "$(cu "$U/")" a "pool app is backend a"

nreload=0
cur=$A curname=a
round() {	# LABEL [WRK ARGS]: wrk for 10 s, 5 HUPs switching a <-> b
	local label=$1 i wpid out before_last settled rq se nx ra rb
	shift
	ra=$(backend_reqs a) rb=$(backend_reqs b)
	out=$T/wrk-$label.out
	wrk -t1 -c32 -d10s --timeout 5s "$@" "$U/" >"$out" 2>&1 &
	wpid=$!
	track $wpid
	for i in 1 2 3 4 5; do
		sleep 1.5
		if [ "$cur" = "$A" ]; then cur=$B curname=b; else cur=$A curname=a; fi
		put_conf conf "$cur"
		before_last=$(wlist)
		kill -HUP "$master"
		nreload=$((nreload + 1))
	done
	# wrk ends by itself after 10 s; bounded anyway
	_wait_gone 15 $wpid || kill -TERM $wpid
	wait $wpid
	diag "wrk $label:" "$(cat "$out")"
	expect_true "$label: the master logged generation $((nreload + 1))" \
	    wait_until 5 grep -q "reloaded: generation $((nreload + 1))\$" "$(porter_log)"
	rq=$(wrk_requests "$out")
	se=$(wrk_sockerr "$out")
	nx=$(wrk_non2xx "$out")
	diag "reload test ($label): ${rq:-?} requests, errors: socket ${se:-0} (${nx:-0} non-2xx/3xx)" \
	    "  $(grep -a 'Socket errors' "$out" || echo 'no Socket errors line')"
	expect_ge "${rq:-0}" 1 "$label: wrk got responses (${rq:-none})"
	expect_eq "${se:-0}" 0 "$label: no socket errors across 5 reloads"
	expect_eq "${nx:-0}" 0 "$label: no non-2xx/3xx responses across 5 reloads"
	expect_eq "$(cu "$U/")" "$curname" "$label: after the last HUP the pool is backend $curname"
	diag "$label: backend a got $(($(backend_reqs a) - ra)), b $(($(backend_reqs b) - rb)) requests"
	expect_true "$label: both backends served during the run" \
	    test "$(backend_reqs a)" -gt "$ra" -a "$(backend_reqs b)" -gt "$rb"
	# after settling only the newest generation is left
	expect_true "$label: the workers from before the last HUP are all gone within 10 s" \
	    wait_until 10 none_alive $before_last
	settled=$(wlist)
	expect_eq "$(common "$before_last" "$settled")" "" \
	    "$label: no worker from before the last HUP is left (after: $(wc -w <<<"$settled") workers)"
}

round keepalive
round close -H "Connection: close"

# ---- a broken config: logged with file:line, nothing changes -------------
sleep 0.5
before=$(wlist)
if [ "$cur" = "$A" ]; then other=$B; else other=$A; fi
put_conf conf "$other"
printf 'oops = = 1;\n' >>"$T/porter.conf"	# a syntax error, last line
bad_line=$(wc -l <"$T/porter.conf")
l0=$(wc -l <"$(porter_log)")
kill -HUP "$master"
expect_true "broken config: \"reload:\" is logged" \
    wait_until 5 grep -q 'reload:' "$(porter_log)"
line=$(tail -n +"$((l0 + 1))" "$(porter_log)" | grep -a 'reload:' | head -n 1)
diag "logged: $line"
expect_match "$line" "\\[error\\] .*reload: .*porter\\.conf:[0-9]+" \
    "broken config: [error] reload: with file:line"
expect_match "$line" "porter\\.conf:($bad_line|$((bad_line + 1)))[^0-9]" \
    "broken config: the line is that of the error ($bad_line)"
sleep 1.5
expect_eq "$(wlist)" "$before" "broken config: the same workers run"
expect_eq "$(tail -n +"$((l0 + 1))" "$(porter_log)" | grep -a -c 'reloaded: generation')" 0 \
    "broken config: no new generation"
out=
for i in 1 2 3 4; do out="$out$(cu "$U/r$i")"; done
expect_eq "$out" "$curname$curname$curname$curname" \
    "broken config: porter still serves with the old config (backend $curname)"
expect_true "the master is alive" _alive "$master"

expect_no_alerts
porter_stop
done_testing
