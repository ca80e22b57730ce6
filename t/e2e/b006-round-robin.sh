#!/bin/bash
# b006: a pool with two servers round-robins: requests alternate between
# them, both over separate client connections and over one, and with
# several workers the weights hold for the pool as a whole.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start a
A=$BPORT
backend_start b
B=$BPORT
P=$(free_port)
# one worker: the rotation is per pool (whether kept per worker or shared)
porter_start <<EOF
workers = { start = 1; min_spare = 1; max_spare = 1; max = 1; max_requests = 0; };
upstream_keepalive = 4;
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app";
            servers = ( { address = "127.0.0.1:$A"; }, { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P

alternates() {	# names on stdin, one a line: a b a b ... or b a b a ...
	awk 'NR > 1 && $0 == prev { bad = 1 } { prev = $0; n[$0]++ }
	    END { exit !(!bad && n["a"] == n["b"] && NR == n["a"] + n["b"]) }'
}

seq1=
for i in 1 2 3 4 5 6 7 8 9 10; do seq1="$seq1$(cu "$U/rr$i") "; done
diag "10 separate connections: $seq1"
expect_true "10 requests on separate connections alternate a/b (5 each)" \
    alternates < <(printf '%s\n' $seq1)

urls=()
for i in 1 2 3 4 5 6 7 8 9 10; do urls+=("$U/one$i"); done
seq2=$(cu "${urls[@]}" | tr '\n' ' ')
diag "10 requests on one connection: $seq2"
expect_true "10 requests on one connection alternate a/b (5 each)" \
    alternates < <(printf '%s\n' $seq2)

expect_eq "$(backend_reqs a) $(backend_reqs b)" "10 10" "each backend got 10 requests"

expect_no_alerts
porter_stop

# Four workers: the rotation lives in shared memory, so requests taken by
# different workers still follow it, and weights hold for the whole pool.
porter_start <<EOF
workers = { count = 4; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app";
            servers = ( { address = "127.0.0.1:$A"; weight = 3; },
                        { address = "127.0.0.1:$B"; weight = 1; } ); } );
EOF
wait_workers 4
seq3=
for i in $(seq 1 12); do seq3="$seq3$(cu "$U/w$i") "; done
diag "12 connections, weights 3:1, 4 workers: $seq3"
expect_eq "$(printf '%s\n' $seq3 | grep -c '^a$')" 9 "weight 3 server got 9 of 12"
expect_eq "$(printf '%s\n' $seq3 | grep -c '^b$')" 3 "weight 1 server got 3 of 12"
expect_nomatch "$seq3" 'b b' "the weight-1 server never gets two in a row"
expect_no_alerts
porter_stop
done_testing
