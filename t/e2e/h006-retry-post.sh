#!/bin/bash
# h006: what is retried. Backend d reads each request (body included),
# then resets the connection without answering; g answers. retries 2,
# passive checks off, one worker (so round robin alternates):
#  - a POST that met d gets 502 and is not replayed, on d or g (with a
#    body or without)
#  - a PUT with a body likewise (idempotent, but its body was sent)
#  - a GET or a DELETE without body that met d is retried on g: 200
#  - with retry_methods = [ "POST" ], a POST without body is retried, one
#    with a body still is not
#  - a connect failure is retried for a POST with a body (nothing sent)
#  - a GET whose backend closed the connection before answering is retried
#  - retries bounds the attempts: over three dropping servers a GET is
#    tried 1 + retries times, then 502
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-health.sh"

backend_start d --mode drop
D=$BPORT
backend_start g
G=$BPORT
backend_start k --mode close
K=$BPORT
backend_start d2 --mode drop
D2=$BPORT
backend_start d3 --mode drop
D3=$BPORT
REF=$(free_port)	# nothing listens there
P=$(free_port)
U=http://127.0.0.1:$P

porter_start <<EOF
log_level = "info";
workers = { count = 1; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
  routes = ( { path = "/nr/"; pool = "nr"; }, { path = "/rp/"; pool = "rp"; },
             { path = "/cf/"; pool = "cf"; }, { path = "/cl/"; pool = "cl"; },
             { path = "/r0/"; pool = "r0"; }, { path = "/r1/"; pool = "r1"; } ); } );
pools = (
  { name = "nr"; retries = 2; max_fails = 0;
    servers = ( { address = "127.0.0.1:$D"; }, { address = "127.0.0.1:$G"; } ); },
  { name = "rp"; retries = 2; max_fails = 0; retry_methods = [ "POST" ];
    servers = ( { address = "127.0.0.1:$D"; }, { address = "127.0.0.1:$G"; } ); },
  { name = "cf"; retries = 1; max_fails = 0;
    servers = ( { address = "127.0.0.1:$REF"; }, { address = "127.0.0.1:$G"; } ); },
  { name = "cl"; retries = 1; max_fails = 0;
    servers = ( { address = "127.0.0.1:$K"; }, { address = "127.0.0.1:$G"; } ); },
  { name = "r0"; retries = 0; max_fails = 0;
    servers = ( { address = "127.0.0.1:$D"; }, { address = "127.0.0.1:$D2"; },
                { address = "127.0.0.1:$D3"; } ); },
  { name = "r1"; retries = 1; max_fails = 0;
    servers = ( { address = "127.0.0.1:$D"; }, { address = "127.0.0.1:$D2"; },
                { address = "127.0.0.1:$D3"; } ); } );
EOF
expect_true "1 worker" wait_workers 1 10

head -c 100 /dev/zero | tr '\0' x >"$T/body100"

# reqs NAME METHOD PREFIX: requests NAME logged with METHOD and a path
# starting with PREFIX (the log's keys are sorted: method, then path)
reqs() {
	local n
	n=$(grep -a -c "\"method\": \"$2\", \"path\": \"$3" "$(backend_log "$1")")
	echo "${n:-0}"
}
# paths NAME METHOD PREFIX: those requests' paths, sorted
paths() {
	grep -a -o "\"method\": \"$2\", \"path\": \"$3[^\"]*\"" "$(backend_log "$1")" |
	    sed 's/.*"path": "//; s/"$//' | sort
}
# send N METHOD PREFIX [CURL ARGS]: N requests, PREFIX-1 .. PREFIX-N, one
# connection each; one status a line
send() {
	local n=$1 m=$2 pre=$3 i
	shift 3
	for i in $(seq 1 "$n"); do
		cu -o /dev/null -w '%{http_code}\n' -X "$m" "$@" "$U$pre-$i"
	done
}

# 1. POST with a body: never replayed
codes=$(send 6 POST /nr/post --data-binary @"$T/body100")
n502=$(count_of 502 "$codes") n200=$(count_of 200 "$codes")
diag "POST with body: $n200 x 200, $n502 x 502; d logged $(reqs d POST /nr/post)," \
    "g logged $(reqs g POST /nr/post)"
expect_eq "$((n200 + n502))" 6 "6 POSTs: each 200 or 502"
expect_ge "$n502" 1 "a POST that met d gets 502"
expect_eq "$(reqs d POST /nr/post)" "$n502" "d logged exactly one POST per 502 (not replayed to d)"
expect_eq "$(reqs g POST /nr/post)" "$n200" "g logged only the POSTs that got 200 (not replayed to g)"

# a POST without body is not idempotent either (no retry_methods here)
codes=$(send 6 POST /nr/empty --data-binary '')
n502=$(count_of 502 "$codes") n200=$(count_of 200 "$codes")
expect_ge "$n502" 1 "a POST without body that met d gets 502 (POST is not retried by default)"
expect_eq "$(reqs d POST /nr/empty)" "$n502" "d logged one per 502"
expect_eq "$(reqs g POST /nr/empty)" "$n200" "g logged only the POSTs that got 200"

# 2. PUT with a body: idempotent, but its body went out: not replayed
codes=$(send 4 PUT /nr/put --data-binary @"$T/body100")
n502=$(count_of 502 "$codes") n200=$(count_of 200 "$codes")
expect_eq "$((n200 + n502))" 4 "4 PUTs with a body: each 200 or 502"
expect_ge "$n502" 1 "a PUT with a body that met d gets 502"
expect_eq "$(reqs d PUT /nr/put)" "$n502" "d logged one PUT per 502"
expect_eq "$(reqs g PUT /nr/put)" "$n200" "g logged only the PUTs that got 200"

# 3. GET and DELETE without body: retried
codes=$(send 6 GET /nr/get)
expect_eq "$(count_of 200 "$codes")" 6 "6 GETs: all 200"
expect_ge "$(reqs d GET /nr/get)" 1 "d got some of them ($(reqs d GET /nr/get))"
expect_eq "$(reqs g GET /nr/get)" 6 "g answered all 6"
expect_eq "$(comm -23 <(paths d GET /nr/get) <(paths g GET /nr/get) | wc -l | tr -d ' ')" 0 \
    "each GET that met d was retried on g (same path in g's log)"
codes=$(send 4 DELETE /nr/del)
expect_eq "$(count_of 200 "$codes")" 4 "4 DELETEs without body: all 200"
expect_ge "$(reqs d DELETE /nr/del)" 1 "d got some of them"

# 4. retry_methods = [ "POST" ]: a POST without body is retried, one with a
# body is not
codes=$(send 6 POST /rp/empty --data-binary '')
expect_eq "$(count_of 200 "$codes")" 6 "retry_methods POST: 6 POSTs without body: all 200"
expect_ge "$(reqs d POST /rp/empty)" 1 "d got some of them ($(reqs d POST /rp/empty))"
codes=$(send 6 POST /rp/body --data-binary @"$T/body100")
n502=$(count_of 502 "$codes") n200=$(count_of 200 "$codes")
expect_ge "$n502" 1 "retry_methods POST: a POST with a body that met d still gets 502"
expect_eq "$(reqs d POST /rp/body)" "$n502" "and is not replayed (d logged one per 502)"
expect_eq "$(reqs g POST /rp/body)" "$n200" "g logged only the POSTs that got 200"

# 5. connect refused: nothing was sent, so even a POST with a body is retried
codes=$(send 6 POST /cf/post --data-binary @"$T/body100")
expect_eq "$(count_of 200 "$codes")" 6 "connect refused: 6 POSTs with a body: all 200"
expect_eq "$(reqs g POST /cf/post)" 6 "g answered all 6"

# 6. k closes the connection without a byte: a GET is retried
codes=$(send 6 GET /cl/get)
expect_eq "$(count_of 200 "$codes")" 6 "backend closing before answering: 6 GETs: all 200"
expect_eq "$(reqs g GET /cl/get)" 6 "g answered all 6"

# 7. retries bounds the attempts
tried() { echo $(($(reqs d GET "$1") + $(reqs d2 GET "$1") + $(reqs d3 GET "$1"))); }
codes=$(send 3 GET /r0/get)
expect_eq "$(count_of 502 "$codes")" 3 "retries 0, every server dropping: 3 GETs, 502 each"
expect_eq "$(tried /r0/get)" 3 "each tried once"
codes=$(send 3 GET /r1/get)
expect_eq "$(count_of 502 "$codes")" 3 "retries 1, every server dropping: 3 GETs, 502 each"
expect_eq "$(tried /r1/get)" 6 "each tried twice"
for i in 1 2 3; do
	n=$(grep -a -l "\"path\": \"/r1/get-$i\"" "$(backend_log d)" "$(backend_log d2)" \
	    "$(backend_log d3)" | wc -l | tr -d ' ')
	expect_eq "$n" 2 "/r1/get-$i was tried on two different servers"
done

expect_no_alerts
porter_stop
done_testing
