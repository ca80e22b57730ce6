#!/bin/bash
# s018: workers.nice. Unset, the workers keep the master's priority (and
# the waiter runs at -10 as root). Set, every worker sets it before it
# drops root, so as root a reload to nice = -5 forks the new generation
# at -5 while the master keeps its own. Started as another user, a value
# below the master's own cannot be set: the workers keep the master's
# priority and serve as before, and the log says why; a value above it is
# set. A value outside -20..19 or not an integer is a config error naming
# the line.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start a
A=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P
me=$(nice)	# this shell's own nice value: what porter's master inherits

conf() {	# WORKERS_GROUP_BODY [DIR]: a config whose files are in DIR
	local d=${2:-$T}
	cat <<EOF
pid_file = "$d/porter.pid";
error_log = "$d/error.log";
workers = { $1 };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$A"; } ); } );
EOF
}
nice_of() { ps -o ni= -p "$1" | tr -d ' '; }
# the nice values of the workers, sorted and unique: one line when all agree
worker_nices() {
	local w
	for w in $(porter_workers); do nice_of "$w"; done | sort -u | tr '\n' ' ' |
	    sed 's/ $//'
}
served() {	# N: N requests, each on its own connection, all answered
	local i n=0
	for i in $(seq 1 "$1"); do
		[ "$(cu "$U/r$i")" = a ] && n=$((n + 1))
	done
	[ "$n" = "$1" ]
}

# ---- unset: the master's own ---------------------------------------------------
porter_start < <(conf "count = 3;")
wait_workers 3
expect_eq "$(worker_nices)" "$me" "unset, the 3 workers keep the master's nice ($me)"
expect_eq "$(nice_of "$(porter_pid)")" "$me" "the master runs at $me"
if [ "$(id -u)" -eq 0 ]; then
	expect_eq "$(nice_of "$(porter_waiter)")" -10 "started as root, the waiter at -10"
fi
expect_true "10 requests answered" served 10

# ---- a reload to a value ------------------------------------------------------
# as root the workers go ahead of the master; otherwise only behind it
if [ "$(id -u)" -eq 0 ]; then want=-5; else want=$((me > 6 ? me : 6)); fi
old=$(porter_workers)
conf "count = 2; nice = $want;" >"$T/porter.conf"
kill -HUP "$(porter_pid)"
expect_true "the workers of generation 1 are gone within 10 s" _wait_gone 10 $old
wait_workers 2
expect_eq "$(worker_nices)" "$want" "after a reload to nice = $want, the new workers run at $want"
if [ "$(id -u)" -eq 0 ]; then
	expect_eq "$(ps -o user= -p "$(porter_workers | head -n1)" | tr -d ' ')" nobody \
	    "and they are nobody's: the priority was set before root was dropped"
fi
expect_eq "$(nice_of "$(porter_pid)")" "$me" "the master still at $me"
expect_true "10 requests answered" served 10
expect_nomatch "$(cat "$(porter_log)")" "needs root" "no warning"
porter_stop

# ---- started as another user -------------------------------------------------
# As root, a second porter runs as nobody, from its own copy of the binary
# in a folder nobody owns (the tree and $T may be closed to nobody).
if [ "$(id -u)" -eq 0 ]; then
	chmod 711 "$T"
	mkdir "$T/u"
	cp "$PORTER" "$T/u/porter"
	conf "count = 2; nice = -3;" "$T/u" >"$T/u/porter.conf"
	chown -R nobody: "$T/u"
	setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups \
	    "$T/u/porter" -f -c "$T/u/porter.conf" >>"$T/porter.out" 2>&1 &
	_porter_pid=$!
	track "$_porter_pid"
	log=$T/u/error.log
	wait_workers 2
else
	porter_start < <(conf "count = 2; nice = -3;")
	wait_workers 2
	log=$(porter_log)
fi
if [ "$me" -gt -3 ]; then
	expect_eq "$(worker_nices)" "$me" "not root, nice = -3: the workers keep the master's nice ($me)"
	has_warning() { grep -q "workers.nice = -3 needs root: workers may stay at nice $me" "$log"; }
	expect_true "and the log says so" wait_until 5 has_warning
fi
expect_eq "$(ps -o user= -p "$(porter_pid)" | tr -d ' ')" "$(if [ "$(id -u)" -eq 0 ]; then echo nobody; else id -un; fi)" \
    "that porter runs as an ordinary user"
expect_true "10 requests answered" served 10
porter_stop

# ---- bad values ------------------------------------------------------------------
printf 'workers = {\n\tnice = -21;\n};\n' >"$T/bad.conf"
conf "count = 1;" | grep -v '^workers' >>"$T/bad.conf"
err=$("$PORTER" -t -c "$T/bad.conf" 2>&1)
expect_match "$err" "bad.conf:2: workers.nice must be between -20 and 19, not -21" \
    "nice = -21 is refused, naming the line"
printf 'workers = { count = 2;\n\tnice = "high"; };\n' >"$T/bad.conf"
conf "count = 1;" | grep -v '^workers' >>"$T/bad.conf"
err=$("$PORTER" -t -c "$T/bad.conf" 2>&1)
expect_match "$err" "bad.conf:2: workers.nice must be an integer" \
    "nice = \"high\" is refused, naming the line"

done_testing
