#!/bin/bash
# b014: clients that go away in the middle: during a large download, during
# an upload, while the backend is still thinking. The worker survives each
# (no SIGPIPE death, same pid), nothing is logged as a crash, and the next
# requests are served.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 1; min_spare = 1; max_spare = 1; max = 1; max_requests = 0; };
timeouts = { client_header = 5.0; client_body = 5.0; keepalive = 5.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
upstream_keepalive = 2;
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P
expect_true "one worker" wait_workers 1 10
w0=$(porter_workers)

# download: read 100 KB of 50 MB, then hang up
cu "$U/big?size=52428800" 2>/dev/null | head -c 100000 >/dev/null
expect_eq "$(cu "$U/after-download")" app "served after a client dropped a 50 MB download"
cu "$U/chunked?n=1000&size=50000" 2>/dev/null | head -c 100000 >/dev/null
expect_eq "$(cu "$U/after-chunked")" app "served after a client dropped a chunked download"
cu "$U/close?size=52428800" 2>/dev/null | head -c 100000 >/dev/null
expect_eq "$(cu "$U/after-close")" app "served after a client dropped an until-close download"

# upload: announce 10 MB, send 64 KB, hang up
rawhttp -t 0.5 "$P" "POST /sha HTTP/1.1\\r\\nHost: a\\r\\nContent-Length: 10485760\\r\\n\\r\\n$(printf 'u%.0s' $(seq 65536))" >/dev/null
expect_eq "$(cu "$U/after-upload")" app "served after a client dropped a 10 MB upload"

# a client that gives up while the backend is slow
cu --max-time 0.5 "$U/slow?s=1.5" >/dev/null 2>&1
sleep 1.5
expect_eq "$(cu "$U/after-slow")" app "served after a client gave up on a slow backend"
expect_eq "$(cu -D "$T/h" "$U/check-path" | tr -d '\n') $(tr -d '\r' <"$T/h" | sed -n 's/^[Xx]-[Pp]ath: //p')" \
    "app /check-path" "and the answer is to this request, not a late one"

expect_eq "$(porter_workers)" "$w0" "the same worker served it all (it never died)"
expect_nomatch "$(cat "$(porter_log)")" 'signal' "no worker death in the error log"

expect_no_alerts
porter_stop
done_testing
