#!/bin/bash
# p009: parent proxies. Two porters: "A" sends through its parent "B". A
# request through A reaches the backend through B (both Vias, A's first;
# both logged), a POST body arrives whole, keep-alive holds on the client
# side, and a CONNECT through A reaches the HTTPS server through B. With
# parent_hosts only the matching hosts go through the parent, the others
# go direct. A parent that does not answer gives a 5xx.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"
need_tool openssl

make_cert
tls_start tls --marker TLS-MARKER-p009
TLS=$TPORT
backend_start app
B=$BPORT
PB=$(free_port)		# porter B (the parent)
PA=$(free_port)		# porter A: parent = B for every host
PH=$(free_port)		# porter A: parent = B for localhost only
PX=$(free_port)		# porter A: a parent where nothing listens
DEAD=$(free_port)
porter_start <<EOF
access_log = "$T/access-b.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = (
  { listen = "127.0.0.1:$PB"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $TLS ]; } );
EOF
porter2_start A <<EOF
access_log = "$T/access-a.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = (
  { listen = "127.0.0.1:$PA"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $TLS ]; parent = "127.0.0.1:$PB"; },
  { listen = "127.0.0.1:$PH"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $TLS ]; parent = "127.0.0.1:$PB";
    parent_hosts = [ "localhost" ]; },
  { listen = "127.0.0.1:$PX"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $TLS ]; parent = "127.0.0.1:$DEAD"; } );
EOF
U=http://127.0.0.1:$B
ALOG=$T/access-a.log
BLOG=$T/access-b.log

# vias TEXT: the Via entries of a message head, one a line
vias() {
	printf '%s\n' "$1" | tr -d '\r' | grep -i '^via:' | sed -E 's/^[^:]*:[[:space:]]*//' |
	    tr ',' '\n' | sed -E 's/^[[:space:]]+//; s/[[:space:]]+$//' | grep .
}

# ---- a request through A and B ----
seen=$(pcu "$PA" "$U/headers?chain=1")
diag "the backend saw (through A and B):" "$seen"
v=$(vias "$seen")
expect_eq "$(grep -c . <<<"$v")" 2 "the backend's Via has two entries (A's and B's)"
va=$(sed -n 1p <<<"$v")
vb=$(sed -n 2p <<<"$v")
expect_match "$va" '^1\.1 ' "first Via entry (A's): $va"
expect_match "$vb" '^1\.1 ' "second Via entry (B's): $vb"
expect_ne "$va" "$vb" "the two porters' Via tokens differ"
expect_eq "$(hval X-Forwarded-For "$seen")" "127.0.0.1, 127.0.0.1" "X-Forwarded-For: the client, then A"
expect_eq "$(hval Host "$seen")" "127.0.0.1:$B" "Host from the URL"
expect_true "A's access log has the request" wait_log "$ALOG" '/headers\?chain=1'
expect_true "B's access log has it too (it came through B)" wait_log "$BLOG" '/headers\?chain=1'

head -c 700000 /dev/urandom >"$T/up.bin"
expect_eq "$(pcu "$PA" --data-binary @"$T/up.bin" "$U/sha")" "700000 $(sha_of "$T/up.bin")" \
    "POST 700 kB through A and B: sha256 at the backend"
expect_eq "$(pcu "$PA" "$U/big?size=2000000" | sha256sum | cut -d' ' -f1)" "$(gen_sha 2000000)" \
    "GET 2 MB through A and B: sha256"
pcu "$PA" -o /dev/null -w '%{http_code} %{num_connects}\n' "$U/ka-1" \
    -o /dev/null "http://localhost:$B/ka-2" >"$T/ka.out"
expect_eq "$(tr '\n' ' ' <"$T/ka.out")" "200 1 200 0 " "two hosts on one client connection to A"

# ---- CONNECT through A and B ----
body=$(pcu "$PA" --cacert "$T/cert.pem" -w '\n%{http_connect}' "https://localhost:$TLS/")
expect_eq "$(tail -n 1 <<<"$body")" 200 "CONNECT through A: 200"
expect_match "$body" 'TLS-MARKER-p009' "... and the HTTPS page through A and B"
expect_true "B's access log has the CONNECT" wait_log "$BLOG" "CONNECT localhost:$TLS"
expect_true "A's access log has the CONNECT" wait_log "$ALOG" "CONNECT localhost:$TLS"

# ---- parent_hosts: only localhost goes through B ----
seen=$(pcu "$PH" "http://localhost:$B/headers?ph=parent")
expect_eq "$(vias "$seen" | grep -c .)" 2 "parent_hosts localhost: localhost goes through B (two Vias)"
expect_true "... B logged it" wait_log "$BLOG" 'ph=parent'
seen=$(pcu "$PH" "$U/headers?ph=direct")
expect_eq "$(vias "$seen" | grep -c .)" 1 "parent_hosts localhost: 127.0.0.1 goes direct (one Via)"
body=$(pcu "$PH" --cacert "$T/cert.pem" -w '\n%{http_connect}' "https://127.0.0.1:$TLS/")
expect_match "$body" 'TLS-MARKER-p009' "parent_hosts: CONNECT 127.0.0.1:$TLS direct works"
sleep 0.3
expect_eq "$(grep -c -e 'ph=direct' -e "CONNECT 127\\.0\\.0\\.1:$TLS" "$BLOG")" 0 \
    "... B saw neither the direct request nor the direct CONNECT"

# ---- a parent that does not answer ----
code=$(pcu "$PX" -o /dev/null -w '%{http_code}' "$U/parent-down")
expect_match "$code" '^50[234]$' "parent down: 502/503/504 (got $code)"
expect_eq "$(grep -c 'parent-down' "$(backend_log app)")" 0 "... and A did not go direct instead"

porter2_no_alerts A
porter2_stop A
expect_no_alerts
porter_stop
done_testing
