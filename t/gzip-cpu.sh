#!/bin/bash
# gzip-cpu.sh: what gzip costs porter, in CPU seconds per MiB (issue 14).
#
#     t/gzip-cpu.sh [PORTER] [N]
#
# A 1 MiB text body (porter's own C sources, served as text/html by
# python's http.server on loopback) is fetched N times (default 100) by
# one curl over one keep-alive connection, through porter with 2 workers,
# for each case below. The CPU of the porter process tree (master and
# children, utime + stime from /proc) is read before and after; the
# figure is that difference per MiB of the identity body. The backend's
# and curl's CPU are not counted.
#
#   identity        gzip on, client without Accept-Encoding: the relay alone
#   fly-level-N     compressed on the fly at level N (1, 6, 9)
#   hit-as-is       a stored-compressed cache hit, gzip client
#   hit-inflate     the same hit for a client without gzip (inflated)
#
# Not part of "make check": a measurement, run by hand.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PORTER=${1:-$top/build/porter}
N=${2:-100}
T=$(mktemp -d /tmp/gzip-cpu.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	sleep 0.5
	rm -rf "$T"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# the body: C text, 1 MiB exactly
(cd "$top" && cat $(git ls-files '*.c' '*.h')) | head -c 1048576 >"$T/body.html"
[ "$(wc -c <"$T/body.html")" -eq 1048576 ] || { echo "body too short" >&2; exit 1; }
B=$(port)
python3 -m http.server "$B" --bind 127.0.0.1 --directory "$T" >/dev/null 2>&1 &
pids+=($!)

tree_ticks() {	# utime + stime of PID and its children
	local p sum=0 kids
	kids=$(pgrep -P "$1" || true)
	for p in "$1" $kids; do
		[ -r "/proc/$p/stat" ] || continue
		sum=$((sum + $(awk '{ print $14 + $15 }' "/proc/$p/stat")))
	done
	echo "$sum"
}

run() {	# LEVEL CASE CURL-ARGS...
	local level=$1 case=$2 P pid t0 t1 bytes urls i hz
	shift 2
	P=$(port)
	cat >"$T/p.conf" <<EOF
pid_file = "$T/porter.pid";
error_log = "$T/error.log";
workers = { count = 2; };
gzip = { level = $level; min_length = 256; };
cache = { size = "64M"; max_object = "8M"; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
   routes = ( { host = "cache.test"; path = "/"; pool = "b"; cache = true;
                cache_default_ttl = 600; },
              { path = "/"; pool = "b"; } ); } );
pools = ( { name = "b"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
	"$PORTER" -f -c "$T/p.conf" >/dev/null 2>&1 &
	pid=$!
	pids+=("$pid")
	for i in $(seq 50); do
		curl -s -o /dev/null "http://127.0.0.1:$P/" 2>/dev/null && break
		sleep 0.1
	done
	# warm up (and fill the cache for the hit cases)
	curl -s -o /dev/null -H 'Accept-Encoding: gzip' "$@" "http://127.0.0.1:$P/body.html"
	curl -s -o /dev/null "$@" "http://127.0.0.1:$P/body.html"
	urls=()
	for i in $(seq "$N"); do
		urls+=(-o /dev/null "http://127.0.0.1:$P/body.html")
	done
	t0=$(tree_ticks "$pid")
	bytes=$(curl -s "$@" -w '%{size_download}\n' "${urls[@]}" | awk '{ s += $1 } END { print s }')
	t1=$(tree_ticks "$pid")
	hz=$(getconf CLK_TCK)
	awk -v c="$case" -v l="$level" -v t="$((t1 - t0))" -v hz="$hz" \
	    -v n="$N" -v b="$bytes" 'BEGIN {
		printf "%-14s level %d  %7.2f ms CPU per MiB  (%d x 1 MiB, %.1f%% on the wire)\n",
		    c, l, t / hz * 1000 / n, n, b / n / 1048576 * 100 }'
	kill "$pid"
	wait "$pid" 2>/dev/null || true
}

echo "porter: $PORTER; body: 1 MiB of C text; $(nproc) cores"
run 6 identity
run 1 fly-level-1 -H 'Accept-Encoding: gzip'
run 6 fly-level-6 -H 'Accept-Encoding: gzip'
run 9 fly-level-9 -H 'Accept-Encoding: gzip'
run 6 hit-as-is -H 'Host: cache.test' -H 'Accept-Encoding: gzip'
run 6 hit-inflate -H 'Host: cache.test'
