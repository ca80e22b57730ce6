#!/bin/bash
# b010: Expect: 100-continue. curl waits for "100 Continue" before sending
# the body; through porter it must get it (relayed from the backend or made
# by porter) at once, not after curl's own wait runs out.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
porter_start <<EOF
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
U=http://127.0.0.1:$P
head -c 2000000 /dev/urandom >"$T/body"
want="2000000 $(sha_of "$T/body")"

# --expect100-timeout 5: without a 100 from porter this would take 5 s
for how in length chunked; do
	extra=()
	[ $how = chunked ] && extra=(-H 'Transfer-Encoding: chunked')
	t0=$(now)
	cu -v -H 'Expect: 100-continue' --expect100-timeout 5 "${extra[@]}" \
	    --data-binary @"$T/body" -o "$T/out" "$U/sha" 2>"$T/verbose"
	el=$(since "$t0")
	expect_eq "$(cat "$T/out")" "$want" "Expect: 100-continue, $how body: upload intact"
	expect_match "$(grep -a '^< HTTP/' "$T/verbose" | tr -d '\r' | tr '\n' ' ')" \
	    '^< HTTP/1\.1 100[^<]*< HTTP/1\.1 200' "Expect: 100-continue, $how body: 100 Continue, then 200"
	expect_le "$el" 3 "Expect: 100-continue, $how body: no wait for curl's timeout ($el s)"
done

# a small body with Expect, then a normal request on the same connection
out=$(cu -w ' %{num_connects}\n' -H 'Expect: 100-continue' --expect100-timeout 5 \
    --data-binary 'tiny' "$U/echo" --next -w ' %{num_connects}\n' "$U/after")
expect_eq "$(printf '%s' "$out" | tr '\n' ' ')" "tiny 1 app  0" \
    "small Expect upload then a GET on the same connection"

expect_no_alerts
porter_stop
done_testing
