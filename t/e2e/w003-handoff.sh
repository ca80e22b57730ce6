#!/bin/bash
# w003: a connection handed to the waiter and back keeps every byte, in
# order (issue 12). waiter.park_after = 0.01 and a 0.2 s pause wherever the
# test wants a connection parked: a pipelined request whose second head (or
# second body) is cut by the pause; a short request head split at every
# byte position (each answered with exactly the backend's echo); Expect:
# 100-continue on a parked connection (the 100 comes at once, the upload
# arrives whole: sha256 from the backend), with a small body and a large
# one; a request body that starts in the parked bytes (small, large, and
# after a kept-alive request); a kept-alive connection parked between its
# requests and used again. The status page's waiter.handoffs_in and
# handoffs_out grow by at least one per pause, so the parking really
# happened; parked_head, parked_keepalive and parked_body name a connection
# while it waits. Today every answer is right but nothing is ever parked.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-waiter.sh"

backend_start app
B=$BPORT
P=$(free_port)
S=$(free_port)
SJ="http://127.0.0.1:$S/porter-status?format=json"
porter_start <<EOF
log_level = "info";
workers = { count = 4; };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = 10.0;
             connect = 3.0; upstream = 10.0; tunnel_idle = 30.0; };
waiter = { max_conns = 1000; park_after = 0.01; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
status = { listen = "127.0.0.1:$S"; };
EOF
expect_true "4 workers" wait_workers 4 10
expect_match "$(porter_waiter)" '^[0-9]+$' "a porter-waiter process runs"

PA=0.2		# a pause: 20 times park_after
paths() { tr -d '\r' <"$1" | grep -a -i '^x-path:' | sed 's/^[^:]*: *//' | tr '\n' ' '; }
sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
# rawhttp's escapes for a raw string
esc() { local s=${1//\\/\\\\}; s=${s//$'\r'/\\r}; printf '%s' "${s//$'\n'/\\n}"; }
# the body of the one response in FILE (heads end in CRLF, the echo in
# LF), less the x-request-id line of /headers (each request has its own)
body_of() { tr -d '\r' <"$1" | sed '1,/^$/d' | grep -v '^x-request-id: '; }

# handoffs since mark: handed DESC N asserts both counters grew by >= N
mark() { hi0=$(waiter_stat handoffs_in) ho0=$(waiter_stat handoffs_out); }
handed() {	# DESC N
	local i o
	i=$(waiter_stat handoffs_in) o=$(waiter_stat handoffs_out)
	expect_ge "$((${i:-0} - ${hi0:-0}))" "$2" \
	    "$1: parked $2+ times (handoffs_in ${hi0:-none} -> ${i:-none})"
	expect_ge "$((${o:-0} - ${ho0:-0}))" "$2" \
	    "$1: handed back $2+ times (handoffs_out ${ho0:-none} -> ${o:-none})"
}

# ---- pipelining --------------------------------------------------------------
mark
rawhttp -v -t 5 -d $PA "$P" 'GET /p1 HTTP/1.1\r\nHost: a\r\n\r\nGET /p2 HTTP/1.1\r\nHo' \
    'st: a\r\nConnection: close\r\n\r\n' >"$T/a1" 2>"$T/a1.err"
expect_eq "$(paths "$T/a1")" "/p1 /p2 " "pipelined, the second head cut by the pause: both answered, in order"
expect_match "$(cat "$T/a1.err")" '^rawhttp: closed' "... then closed (Connection: close)"
handed "the second head parked" 1

mark
rawhttp -v -t 5 -d $PA "$P" \
    'GET /r1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\n01234' \
    '56789GET /r3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$T/a2" 2>"$T/a2.err"
expect_eq "$(paths "$T/a2")" "/r1 /sha /r3 " "pipelined GET, POST cut in its body, GET: all answered, in order"
expect_eq "$(grep -a -c "^10 $(sha 0123456789)" "$T/a2")" 1 "... the POST body reached the backend whole"
handed "the pipelined body parked" 1

# ---- a head split at every byte --------------------------------------------
raw=$'GET /headers HTTP/1.1\r\nHost: a\r\nX-Split: 1\r\nConnection: close\r\n\r\n'
n=${#raw}
rawhttp -t 5 "$P" "$(esc "$raw")" >"$T/ref"
ref=$(body_of "$T/ref")
expect_match "$ref" $'^host: a\nx-split: 1\n' "the backend echoes the head sent in one write"
mark
bad=
k=0
while [ $k -lt "$n" ]; do
	pids=()
	for j in 1 2 3 4 5 6 7 8; do	# 8 at once, each its own connection
		[ $k -lt "$n" ] || break
		rawhttp -t 5 -d $PA "$P" "$(esc "${raw:0:k}")" "$(esc "${raw:k}")" \
		    >"$T/split.$k" 2>/dev/null &
		pids+=($!)
		track $!
		k=$((k + 1))
	done
	wait "${pids[@]}"
done
for ((k = 0; k < n; k++)); do
	if [ "$(first_line "$(cat "$T/split.$k")")" != "HTTP/1.1 200 OK" ] ||
	    [ "$(body_of "$T/split.$k")" != "$ref" ]; then
		bad="$bad $k"
	fi
done
expect_eq "$bad" "" "a $n-byte head split after byte 0 .. $((n - 1)), $PA s between: each answered 200 with the same echo"
if [ -n "$bad" ]; then
	k=$(echo $bad | cut -d' ' -f1)
	diag "the first bad one, split after byte $k:" "$(cat -v "$T/split.$k")"
fi
# (split after byte 0, the client sends nothing before the pause: with
# TCP_DEFER_ACCEPT it is not even accepted until the rest comes, so it
# never needs parking)
handed "the $n split heads" "$((n - 1))"

# ---- Expect: 100-continue on a parked connection ----------------------------
head -c 300000 /dev/urandom >"$T/big"
head -c 1000 "$T/big" >"$T/small"
# kept alive, parked between requests, then a whole Expect head: its small
# body comes only after the 100, so the waiter must not wait for it
mark
sc_run e1 steps --port "$P" 'send:GET /e0 HTTP/1.1\r\nHost: a\r\n\r\n' response:5 pause:$PA \
    'send:POST /sha HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 1000\r\n\r\n' \
    interim:3 "file:$T/small" response:5 \
    'send:GET /e2 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' response:5 close:3
diag "steps: $(sc_get e1 steps)"
expect_eq "$(sc_get e1 steps.4.ok)" true "parked kept-alive, then Expect: 100-continue, 1000 bytes: a 100 comes"
expect_le "$(sc_get e1 steps.4.ms)" 1000 "... at once ($(sc_get e1 steps.4.ms) ms)"
expect_eq "$(sc_get e1 responses.1.code) $(sc_get e1 responses.1.body)" \
    "200 1000 $(sha_of "$T/small")" "... the upload arrives whole (sha256 at the backend)"
expect_eq "$(sc_get e1 responses.1.interim)" "[100]" "... one 100, before its 200"
expect_eq "$(sc_get e1 responses.0.code)/$(sc_get e1 responses.2.code)" 200/200 \
    "... the requests before and after it answered on the same connection"
handed "kept-alive before an Expect head" 1

# a new connection whose Expect head is cut by the pause, 300,000 bytes
mark
sc_run e2 steps --port "$P" 'send:POST /sha HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n' \
    pause:$PA 'send:Content-Length: 300000\r\nConnection: close\r\n\r\n' \
    interim:3 "file:$T/big" response:10 close:3
diag "steps: $(sc_get e2 steps)"
expect_eq "$(sc_get e2 steps.3.ok)" true "Expect head cut by the pause, 300,000 bytes: a 100 comes"
expect_le "$(sc_get e2 steps.3.ms)" 1000 "... at once ($(sc_get e2 steps.3.ms) ms)"
expect_eq "$(sc_get e2 responses.0.code) $(sc_get e2 responses.0.body)" \
    "200 300000 $(sha_of "$T/big")" "... the upload arrives whole (sha256 at the backend)"
expect_eq "$(sc_get e2 responses.0.interim)" "[100]" "... one 100, before its 200"
handed "an Expect head cut by the pause" 1

# ---- a body that starts in the parked bytes ---------------------------------
mark
rawhttp -t 5 -d $PA "$P" \
    'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\nConnection: close\r\n\r\n0123456789' \
    'abcdefghij' >"$T/d1"
expect_eq "$(body_of "$T/d1")" "20 $(sha 0123456789abcdefghij)" \
    "head and half the body, pause, the rest: the body arrives whole"
handed "a small body cut by the pause" 1

mark
rawhttp -t 5 -d $PA "$P" 'GET /d0 HTTP/1.1\r\nHost: a\r\n\r\n' \
    'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 20\r\n\r\n0123456789' 'abcdefghij' \
    'GET /d3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$T/d2"
expect_eq "$(paths "$T/d2")" "/d0 /sha /d3 " "kept-alive, then a body cut by the pause, then a GET: all answered, in order"
expect_eq "$(grep -a -c "^20 $(sha 0123456789abcdefghij)" "$T/d2")" 1 "... the body arrives whole"
handed "kept-alive, then a small body cut by the pause" 2

# too big for the waiter to wait for, maybe: whoever holds it, it arrives
head -c 200000 "$T/big" >"$T/big2"
sc_run d3 steps --port "$P" \
    'send:POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 200000\r\nConnection: close\r\n\r\n' \
    "file:$T/big2:0:1000" pause:$PA "file:$T/big2:1000" response:10 close:3
expect_eq "$(sc_get d3 responses.0.code) $(sc_get d3 responses.0.body)" \
    "200 200000 $(sha_of "$T/big2")" \
    "head and 1000 of 200,000 bytes, pause, the rest: the body arrives whole"

# ---- kept-alive, parked between requests, used again --------------------------
mark
rawhttp -v -t 5 -d $PA "$P" 'GET /k1 HTTP/1.1\r\nHost: a\r\n\r\n' 'GET /k2 HTTP/1.1\r\nHost: a\r\n\r\n' \
    'GET /k3 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n' >"$T/k" 2>"$T/k.err"
expect_eq "$(paths "$T/k")" "/k1 /k2 /k3 " "three requests $PA s apart on one connection: all answered, in order"
expect_match "$(cat "$T/k.err")" '^rawhttp: closed .* 3/3 writes' "... on the same connection"
handed "kept-alive between requests" 2

# ---- while it waits, the status page says why ---------------------------------
# The pause stays well inside limits.min_rate's first-second grace (500
# bytes a second by default): a head or body that sends nothing more for
# a whole second after it began is cut with a 408, so a 1 s pause raced it.
parked_while() {	# KEY rawhttp-args...: waiter.KEY 0.3 s into a 0.6 s pause
	local key=$1 rp v
	shift
	rawhttp -t 5 -d 0.6 "$P" "$@" >"$T/pw" 2>/dev/null &
	rp=$!
	track $rp
	sleep 0.3
	v=$(waiter_stat "$key")
	_wait_gone 6 $rp
	wait $rp
	expect_ge "$v" 1 "waiting 0.6 s $key: the status page counts it ($key ${v:-none})"
	expect_eq "$(first_line "$(cat "$T/pw")")" "HTTP/1.1 200 OK" "... then it is answered"
}
parked_while parked_head 'GET /h HTTP/1.1\r\nHo' 'st: a\r\nConnection: close\r\n\r\n'
parked_while parked_keepalive 'GET /k HTTP/1.1\r\nHost: a\r\n\r\n' \
    'GET /k HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n'
parked_while parked_body 'POST /sha HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nConnection: close\r\n\r\nx' 'y'

expect_no_alerts
porter_stop
done_testing
