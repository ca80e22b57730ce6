#!/bin/bash
# s013: the status page's totals include the workers that are gone, so
# they never drop. 20 requests, then a HUP: once every worker of
# generation 1 has left, the totals are exactly what they were plus the
# status pages asked since (requests, connections, bytes in and out as
# curl counted them), most of them from
# retired workers. Then a reload to max_requests = 2, where workers
# recycle every two connections: after 40 more requests the totals are
# exactly every request porter was sent since it started, status pages
# included. No page ever shows a total lower than the page before it.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start a
A=$BPORT
P=$(free_port)
S=$(free_port)
U=http://127.0.0.1:$P
SU=http://127.0.0.1:$S/porter-status

conf() {	# WORKERS_GROUP_BODY
	cat <<EOF
pid_file = "$T/porter.pid";
error_log = "$T/error.log";
log_level = "info";
workers = { $1 };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$A"; } ); } );
status = { listen = "127.0.0.1:$S"; };
EOF
}
put_conf() { "$@" >"$T/porter.conf.new" && mv "$T/porter.conf.new" "$T/porter.conf"; }

# What porter must have counted for every request made so far, from
# curl's own figures. bytes_out is counted once a response is written, so
# a page may show the latest responses' bytes_out a moment late: pout is
# what the page being read must show once they are (its own response is
# never in it). Every request goes through send or page, below.
W='%{http_code} %{num_connects} %{size_request} %{size_header} %{size_download}\n'
ereq=0 econn=0 ein=0 eout=0 pout=0
tally() {	# FILE of curl -w "$W" lines; sets nok (200s)
	local code nc rq hd bd
	nok=0
	while read -r code nc rq hd bd; do
		[ "$code" = 200 ] && nok=$((nok + 1))
		ereq=$((ereq + 1)) econn=$((econn + nc))
		ein=$((ein + rq)) eout=$((eout + hd + bd))
	done <"$1"
}
send() {	# N LABEL: N GETs through porter, each on its own connection
	local i urls=()
	for i in $(seq 1 "$1"); do
		if ((i % 2)); then
			urls+=(-o /dev/null -w "$W" "$U/$2-$i")
		else
			urls+=(-o /dev/null -w "$W" "$U/big?size=$((i * 37))")
		fi
	done
	cu -H 'Connection: close' "${urls[@]}" >"$T/send.out"
	tally "$T/send.out"
}
# The status page into $T/page.txt and its totals line into $tot; drops
# counts the pages that showed a counter lower than the page before.
drops=0 last=
page() {
	local k a b
	cu -o "$T/page.txt" -w "$W" "$SU" >"$T/page.w" || return 1
	pout=$eout
	tally "$T/page.w"
	tot=$(grep -a '^totals:' "$T/page.txt")
	for k in connections requests bytes_in bytes_out refused; do
		a=$(tv "$k" <<<"$last") b=$(tv "$k" <<<"$tot")
		if [ -n "$a" ] && [ "${b:-0}" -lt "$a" ]; then
			drops=$((drops + 1))
			diag "dropped: $last" "     to: $tot"
		fi
	done
	last=$tot
	[ "$nok" = 1 ]
}
tv() { sed -n "s/.* $1=\([0-9]*\).*/\1/p"; }	# KEY, from a totals line
# The page's totals are what was sent (bytes_out settled).
exact() {
	local out
	page && out=$(tv bytes_out <<<"$tot") &&
	    [ "$(tv requests <<<"$tot")" = "$ereq" ] &&
	    [ "$(tv connections <<<"$tot")" = "$econn" ] &&
	    [ "$(tv bytes_in <<<"$tot")" = "$ein" ] &&
	    [ "$out" = "$pout" ]
}
expect_exact() {	# WHAT
	expect_true "$1: the totals are what was sent, within 5 s" \
	    wait_until 5 exact
	diag "$tot"
	expect_eq "$(tv requests <<<"$tot")" "$ereq" "$1: requests = $ereq"
	expect_eq "$(tv connections <<<"$tot")" "$econn" "$1: connections = $econn"
	expect_eq "$(tv bytes_in <<<"$tot")" "$ein" "$1: bytes_in = $ein"
	expect_eq "$(tv bytes_out <<<"$tot")" "$pout" "$1: bytes_out = $pout"
}
# the sum of KEY over the page's worker lines
live_sum() {
	grep -a '^slot=' "$T/page.txt" |
	    sed -n "s/.* $1=\([0-9]*\).*/\1/p" | awk '{ s += $1 } END { print s + 0 }'
}
gen_gone() {	# GEN: a page that lists no worker of generation GEN
	page && ! grep -a -q "^slot=.* generation=$1 " "$T/page.txt"
}

porter_start < <(conf "start = 3; min_spare = 1; max_spare = 3; max = 4;")
expect_true "3 workers" wait_workers 3 10
# porter_start's probes of the listen ports are connections too
expect_true "the first page" page
econn=$(tv connections <<<"$tot")
expect_eq "$(tv requests <<<"$tot") $(tv bytes_in <<<"$tot") $(tv bytes_out <<<"$tot")" \
    "1 $ein 0" "the first page counts itself: 1 request, its bytes in, none out yet"

# ---- traffic, then a reload ------------------------------------------------
send 20 r
expect_eq "$nok" 20 "20 requests through porter: all 200"
expect_exact "after 20 requests"
before=$(tv requests <<<"$tot")
old=$(porter_workers)
kill -HUP "$(porter_pid)"
expect_true "the workers of generation 1 are gone within 10 s" _wait_gone 10 $old
expect_true "and the page lists none of them within 5 s" \
    wait_until 5 gen_gone 1
expect_match "$(sed -n 2p "$T/page.txt")" ' generation=2$' "the page says generation 2"
expect_exact "after the HUP"
expect_ge "$(tv requests <<<"$tot")" "$before" "requests did not drop at the reload ($before -> $(tv requests <<<"$tot"))"
retired=$(($(tv requests <<<"$tot") - $(live_sum requests)))
diag "requests of retired workers: $retired; of live ones: $(live_sum requests)"
expect_ge "$retired" 21 "at least the 20 requests and the first page are the retired workers'"

# ---- workers that recycle every 2 connections -------------------------------
put_conf conf "start = 2; min_spare = 1; max_spare = 2; max = 4; max_requests = 2;"
kill -HUP "$(porter_pid)"
expect_true "generation 3 serves the page within 10 s" \
    wait_until 10 eval 'page && grep -a -q " generation=3$" "$T/page.txt"'
pids0=$(porter_workers | sort | tr '\n' ' ')
send 40 m
expect_eq "$nok" 40 "40 requests with max_requests = 2: all 200"
expect_true "generation 2 is gone from the page within 5 s" \
    wait_until 5 gen_gone 2
expect_exact "after 40 requests with recycling workers"
expect_eq "$(tv requests <<<"$tot")" "$ereq" \
    "requests: every one since the start ($ereq: 60 through porter, $((ereq - 60)) status pages)"
pids1=$(porter_workers | sort | tr '\n' ' ')
diag "workers before the 40: $pids0, after: $pids1"
expect_ne "$pids1" "$pids0" "the workers were recycled"
expect_ge "$(grep -a -c '^slot=' "$T/page.txt")" 1 "the page lists live workers"
expect_ge "$(($(tv connections <<<"$tot") - $(live_sum connections)))" 40 \
    "most connections are the retired workers'"
expect_eq "$drops" 0 "no page showed a total lower than the page before ($((ereq - 60)) pages)"

expect_no_alerts
expect_nomatch "$(cat "$(porter_log)")" '\[error\]' "no error logged"
porter_stop
done_testing
