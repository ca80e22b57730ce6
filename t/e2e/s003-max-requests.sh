#!/bin/bash
# s003: workers.max_requests recycles a worker after that many connections;
# the master replaces it quietly and no client notices.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start a
A=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 4; max_requests = 3; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$A"; } ); } );
EOF
wait_workers 2
before=$(porter_workers | sort | tr '\n' ' ')

ok_count=0
for i in $(seq 1 12); do
	[ "$(cu "http://127.0.0.1:$P/r$i")" = a ] && ok_count=$((ok_count + 1))
done
expect_eq "$ok_count" 12 "12 requests on 12 connections all answered"
wait_workers 2
after=$(porter_workers | sort | tr '\n' ' ')
diag "workers before: $before after: $after"
expect_ne "$after" "$before" "workers were recycled and replaced"
expect_eq "$(porter_workers | wc -l)" 2 "the pool is back to 2 workers"
expect_nomatch "$(cat "$(porter_log)")" '\[error\]' "recycling logs no error"

expect_no_alerts
porter_stop
done_testing
