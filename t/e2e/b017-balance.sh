#!/bin/bash
# b017: balancing across workers: weights 1:2:1 hold pool-wide with 8
# workers; least_conn steers away from a slow server; hash on the URI keeps
# each URI on one server; random2 uses every server; backup servers take
# over only when no primary can be reached.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start a
A=$BPORT
backend_start b
B=$BPORT
backend_start c
C=$BPORT
backend_start slow --delay 0.2
S=$BPORT
DEAD=$(free_port)	# nothing listens there
P=$(free_port)
U=http://127.0.0.1:$P

porter_start <<EOF
workers = { count = 8; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = (
    { path = "/w/"; pool = "weighted"; },
    { path = "/lc/"; pool = "leastconn"; },
    { path = "/h/"; pool = "hashed"; },
    { path = "/r2/"; pool = "random"; },
    { path = "/bk/"; pool = "withbackup"; },
    { path = "/down/"; pool = "primarydown"; } ); } );
pools = (
  { name = "weighted"; servers = ( { address = "127.0.0.1:$A"; weight = 1; },
      { address = "127.0.0.1:$B"; weight = 2; }, { address = "127.0.0.1:$C"; weight = 1; } ); },
  { name = "leastconn"; balance = "least_conn";
    servers = ( { address = "127.0.0.1:$A"; }, { address = "127.0.0.1:$S"; } ); },
  { name = "hashed"; balance = "hash"; hash_key = "uri";
    servers = ( { address = "127.0.0.1:$A"; }, { address = "127.0.0.1:$B"; },
                { address = "127.0.0.1:$C"; } ); },
  { name = "random"; balance = "random2";
    servers = ( { address = "127.0.0.1:$A"; }, { address = "127.0.0.1:$B"; },
                { address = "127.0.0.1:$C"; } ); },
  { name = "withbackup"; servers = ( { address = "127.0.0.1:$A"; },
      { address = "127.0.0.1:$C"; backup = true; } ); },
  { name = "primarydown"; servers = ( { address = "127.0.0.1:$DEAD"; },
      { address = "127.0.0.1:$C"; backup = true; } ); } );
EOF

# 1. weights 1:2:1 over 2000 requests from 8 parallel clients (8 workers)
pids=()
for k in 1 2 3 4 5 6 7 8; do
	urls=()
	for i in $(seq 1 250); do urls+=("$U/w/$k-$i"); done
	cu "${urls[@]}" >"$T/w.$k" &
	pids+=($!)
done
wait "${pids[@]}"	# not a bare wait: porter and the backends run too
cat "$T"/w.? | sort | uniq -c >"$T/w.count"
diag "weights 1:2:1 over 2000 requests:" "$(cat "$T/w.count")"
na=$(awk '$2 == "a" { print $1 }' "$T/w.count")
nb=$(awk '$2 == "b" { print $1 }' "$T/w.count")
nc=$(awk '$2 == "c" { print $1 }' "$T/w.count")
expect_eq "$((na + nb + nc))" 2000 "2000 requests answered"
expect_true "weight 1 server a: 25 % +- 5 % (got ${na:-0})" \
    test "${na:-0}" -ge 400 -a "${na:-0}" -le 600
expect_true "weight 2 server b: 50 % +- 5 % (got ${nb:-0})" \
    test "${nb:-0}" -ge 900 -a "${nb:-0}" -le 1100
expect_true "weight 1 server c: 25 % +- 5 % (got ${nc:-0})" \
    test "${nc:-0}" -ge 400 -a "${nc:-0}" -le 600

# 2. least_conn: 4 clients for 3 s against a fast and a 0.2 s server
t_end=$(( $(date +%s) + 3 ))
pids=()
for k in 1 2 3 4; do
	( while [ "$(date +%s)" -lt $t_end ]; do cu "$U/lc/$k"; done ) >"$T/lc.$k" &
	pids+=($!)
done
wait "${pids[@]}"
fast=$(cat "$T"/lc.? | grep -c '^a$')
slow=$(cat "$T"/lc.? | grep -c '^slow$')
diag "least_conn: fast server $fast requests, slow server $slow"
expect_true "least_conn sends most requests to the fast server ($fast vs $slow)" \
    test "$fast" -gt $((slow * 3))

# 3. hash on the URI: each URI always on the same server
bad=0
for i in $(seq 1 20); do
	first=$(cu "$U/h/key$i")
	for j in 1 2 3; do
		[ "$(cu "$U/h/key$i")" = "$first" ] || bad=$((bad + 1))
	done
	echo "$first"
done >"$T/h.owners"
expect_eq "$bad" 0 "hash: 20 URIs, each answered 4 times by the same server"
expect_ge "$(sort -u "$T/h.owners" | wc -l)" 2 "hash: the URIs spread over more than one server"

# 4. random2: every server gets some of 300 requests
urls=()
for i in $(seq 1 300); do urls+=("$U/r2/$i"); done
cu "${urls[@]}" | sort | uniq -c >"$T/r2.count"
diag "random2:" "$(cat "$T/r2.count")"
expect_eq "$(wc -l <"$T/r2.count")" 3 "random2 uses all three servers"

# 5. backup: unused while the primary answers, used when it cannot
got=$(for i in 1 2 3 4 5 6; do cu "$U/bk/$i"; done | sort -u | tr '\n' ' ')
expect_eq "$got" "a " "a backup gets nothing while the primary answers"
got=$(for i in 1 2 3 4; do cu "$U/down/$i"; done | sort -u | tr '\n' ' ')
expect_eq "$got" "c " "the backup answers when the primary cannot be reached"

expect_no_alerts
porter_stop
done_testing
