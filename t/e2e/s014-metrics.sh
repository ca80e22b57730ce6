#!/bin/bash
# s014: /metrics on the status listener (Prometheus text format 0.0.4).
# Every scrape passes t/e2e/promcheck.py (HELP and TYPE before samples,
# one TYPE per family, names, label escaping, histograms cumulative with
# le ascending to +Inf, _sum and _count), and no counter of a scrape is
# lower than in the scrape before (promcheck.py check CUR PREV).
#
# A scripted round with known counts: 200s, 404s (no route), 403s from
# deny_paths, a CONNECT tunnel and a CONNECT to a port not in
# connect_ports on a forward listener, a cache miss then hits; once a 403
# from the status listener's deny. The JSON status page and /metrics show
# exactly those counts: responses by listener and class, refusals by rule,
# tunnels, the cache's hit and miss events, the backend's requests, the
# upstream-header histogram's count; the request-duration histogram
# counts every response. They still do after a HUP (every worker of
# generation 1 gone), and after a reload to max_requests = 2 that adds a
# listener, where a second round (and traffic on the new listener) adds
# exactly its counts while workers recycle.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

PC() { "$PYTHON" "$E2E/promcheck.py" "$@"; }

expect_true "promcheck.py catches every rule it checks (selftest)" \
    eval 'PC selftest >"$T/selftest.out"'
diag "$(cat "$T/selftest.out")"

backend_start app
A=$BPORT
P=$(free_port)
F=$(free_port)
S=$(free_port)
P2=$(free_port)
U=http://127.0.0.1:$P
SM=http://127.0.0.1:$S/metrics
SJ="http://127.0.0.1:$S/porter-status?format=json"
# the cache object: fresh for 10 minutes
OBJ="/cache/obj?h=Cache-Control:max-age%3D600"

conf() {	# WORKERS_GROUP_BODY [MORE_LISTENERS]
	cat <<EOF
pid_file = "$T/porter.pid";
error_log = "$T/error.log";
log_level = "info";
workers = { $1 };
cache = { size = "8M"; max_object = "1M"; };
listeners = (
  { listen = "127.0.0.1:$P"; mode = "reverse";
    routes = ( { host = "*"; path = "/a/"; pool = "app";
                 deny_paths = [ "^/a/admin" ]; },
               { host = "*"; path = "/cache/"; pool = "app";
                 cache = true; } ); },
  { listen = "127.0.0.1:$F"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $A ]; }${2:-}
);
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$A"; } ); } );
status = { listen = "127.0.0.1:$S"; deny = [ "127.0.0.2" ]; };
EOF
}
put_conf() { "$@" >"$T/porter.conf.new" && mv "$T/porter.conf.new" "$T/porter.conf"; }

# ---- scrapes -----------------------------------------------------------------
# scrape: /metrics into $T/m.N (N counts up), checked against the format
# and against the scrape before; bad counts the scrapes that failed.
nscrape=0 bad=0
scrape() {
	local prev=$T/m.$nscrape
	nscrape=$((nscrape + 1))
	cu -D "$T/m.$nscrape.h" -o "$T/m.$nscrape" "$SM" || return 1
	if [ "$nscrape" = 1 ]; then
		PC check "$T/m.$nscrape" >"$T/check.out"
	else
		PC check "$T/m.$nscrape" "$prev" >"$T/check.out"
	fi || {
		bad=$((bad + 1))
		diag "scrape $nscrape:" "$(head -20 "$T/check.out")"
	}
	cp "$T/m.$nscrape" "$T/m.last"
}

# The counts this test controls, one "key value" a line, from the JSON
# page (json FILE) or a scrape (prom FILE); listeners named r (reverse), f
# (forward), n (the one added at the second reload: "absent" before).
counts() {	# json|prom FILE
	"$PYTHON" - "$1" "$2" "$E2E" "127.0.0.1:$P" "127.0.0.1:$F" \
	    "127.0.0.1:$P2" "127.0.0.1:$A" <<'PY'
import json, sys
mode, f, e2e, R, FW, N, srv = sys.argv[1:8]
sys.path.insert(0, e2e)
import promcheck
CLS = ["1xx", "2xx", "3xx", "4xx", "5xx"]
RULES = ["deny", "allow", "methods", "deny_paths", "connect_ports", "other"]
out = []
if mode == "json":
    d = json.load(open(f))
    resp = d["responses"]
    for tag, key in (("r", R), ("f", FW), ("n", N)):
        if key not in resp:
            out.append("%s absent" % tag)
            continue
        out += ["%s %s %d" % (tag, c, resp[key][c]) for c in CLS]
    out += ["refused %s %d" % (r, d["refused_by"][r]) for r in RULES]
    out.append("refused all %d" % d["totals"]["refused"])
    out.append("tunnels %d" % d["totals"]["tunnels"])
    out += ["cache %s %d" % (e, d["cache"][e]) for e in ("hit_fresh", "miss_uri")]
    b = [x for x in d["backends"] if x["server"] == "app/" + srv][0]
    out += ["backend %s %d" % (k, b[k]) for k in ("requests", "failures", "retries")]
    out.append("upstream_header count %d" % d["histograms"]["upstream_header_duration"]["count"])
    allresp = sum(sum(v.values()) for v in resp.values())
    dur = d["histograms"]["request_duration"]["count"]
else:
    _, samples, _ = promcheck.parse(open(f, "rb").read())
    def v(name, **lab):
        return sum(x[2] for x in samples if x[0] == name and
                   all(x[1].get(k) == w for k, w in lab.items()))
    keys = {x[1].get("listener") for x in samples if x[0] == "porter_responses_total"}
    for tag, key in (("r", R), ("f", FW), ("n", N)):
        if key not in keys:
            out.append("%s absent" % tag)
            continue
        out += ["%s %s %d" % (tag, c, v("porter_responses_total", listener=key, code=c))
                for c in CLS]
    out += ["refused %s %d" % (r, v("porter_refused_total", rule=r)) for r in RULES]
    out.append("refused all %d" % v("porter_refused_total"))
    out.append("tunnels %d" % v("porter_tunnels_total"))
    out += ["cache %s %d" % (e, v("porter_cache_events_total", event=e))
            for e in ("hit_fresh", "miss_uri")]
    for k in ("requests", "failures", "retries"):
        out.append("backend %s %d" % (k, v("porter_backend_%s_total" % k,
                                          pool="app", server=srv)))
    out.append("upstream_header count %d" % v("porter_upstream_header_duration_seconds_count"))
    allresp = v("porter_responses_total")
    dur = v("porter_request_duration_seconds_count")
out.append("every response timed %s" % ("yes" if dur == allresp else
                                         "no: %d timed, %d responses" % (dur, allresp)))
print("\n".join(out))
PY
}

# What they must be, from what was sent (the e* variables below).
expected() {
	local c tag
	for tag in r f n; do
		eval "set -- \$e_$tag"
		if [ "$1" = absent ]; then
			echo "$tag absent"
			continue
		fi
		for c in 1xx 2xx 3xx 4xx 5xx; do
			echo "$tag $c $1"
			shift
		done
	done
	echo "refused deny $e_deny"
	echo "refused allow 0"
	echo "refused methods 0"
	echo "refused deny_paths $e_paths"
	echo "refused connect_ports $e_ports"
	echo "refused other 0"
	echo "refused all $((e_deny + e_paths + e_ports))"
	echo "tunnels $e_tunnels"
	echo "cache hit_fresh $e_hits"
	echo "cache miss_uri $e_misses"
	echo "backend requests $e_breq"
	echo "backend failures 0"
	echo "backend retries 0"
	echo "upstream_header count $e_breq"
	echo "every response timed yes"
}
e_r="0 0 0 0 0" e_f="0 0 0 0 0" e_n=absent
e_deny=0 e_paths=0 e_ports=0 e_tunnels=0 e_hits=0 e_misses=0 e_breq=0

# Both forms show exactly the expected counts (a response is counted just
# after it is written: a page may be a moment early, so retry for 5 s).
got_json= got_prom=
both_exact() {
	local want
	want=$(expected)
	cu -o "$T/page.json" "$SJ" && got_json=$(counts json "$T/page.json") &&
	    scrape && got_prom=$(counts prom "$T/m.last") &&
	    [ "$got_json" = "$want" ] && [ "$got_prom" = "$want" ]
}
expect_exact() {	# WHAT
	expect_true "$1: the JSON page and /metrics show exactly what was sent, within 5 s" \
	    wait_until 5 both_exact
	expect_eq "$got_json" "$(expected)" "$1: JSON counts"
	expect_eq "$got_prom" "$(expected)" "$1: /metrics counts"
}

# One request, on a connection of its own (so max_requests recycles);
# through a CONNECT tunnel (-p), what the proxy answered the CONNECT.
code() {
	if [ "$1" = -p ]; then	# not cu: it turns proxies off
		curl -q -s --max-time "${CURL_MAX_TIME:-10}" -o /dev/null \
		    -w '%{http_connect}' "$@"
	else
		cu -H 'Connection: close' -o /dev/null -w '%{http_code}' "$@"
	fi
}
ncode_ok=0 ncode_bad=0
want() {	# CODE CURL-ARGS...: a request that must get CODE
	local w=$1 got
	shift
	got=$(code "$@")
	if [ "$got" = "$w" ]; then ncode_ok=$((ncode_ok + 1)); else
		ncode_bad=$((ncode_bad + 1))
		diag "$* -> $got, not $w"
	fi
}

# A round: 7 200s, 4 404s, 3 403s (deny_paths), a CONNECT tunnel (its
# request inside goes straight to the backend), a CONNECT to a port not
# in connect_ports (403), and 6 GETs of the cache object (the first of
# all a miss).
N200=7 N404=4 N403=3 NC=6
round() {	# NAME
	local i
	for i in $(seq 1 $N200); do want 200 "$U/a/$1-$i"; done
	for i in $(seq 1 $N404); do want 404 "$U/none/$1-$i"; done
	for i in $(seq 1 $N403); do want 403 "$U/a/admin-$1-$i"; done
	want 200 -p -x "http://127.0.0.1:$F" "http://127.0.0.1:$A/tunnel-$1"
	want 403 -p -x "http://127.0.0.1:$F" "http://127.0.0.1:$S/elsewhere-$1"
	for i in $(seq 1 $NC); do want 200 "$U$OBJ"; done
}
# what a round adds (misses: the object is stored once for the whole test)
counted_round() {
	local r f
	read -r -a r <<<"$e_r"
	read -r -a f <<<"$e_f"
	e_r="${r[0]} $((r[1] + N200 + NC)) ${r[2]} $((r[3] + N404 + N403)) ${r[4]}"
	e_f="${f[0]} $((f[1] + 1)) ${f[2]} $((f[3] + 1)) ${f[4]}"
	e_paths=$((e_paths + N403)) e_ports=$((e_ports + 1))
	e_tunnels=$((e_tunnels + 1))
	if [ "$e_misses" = 0 ]; then
		e_misses=1 e_hits=$((e_hits + NC - 1)) e_breq=$((e_breq + N200 + 1))
	else
		e_hits=$((e_hits + NC)) e_breq=$((e_breq + N200))
	fi
}

porter_start < <(conf "start = 3; min_spare = 1; max_spare = 3; max = 4;")
expect_true "3 workers" wait_workers 3 10

# ---- the page itself -----------------------------------------------------
expect_true "the first scrape" scrape
expect_eq "$bad" 0 "the first scrape is valid exposition text"
expect_eq "$(tr -d '\r' <"$T/m.1.h" | sed -n 's/^Content-Type: //Ip')" \
    "text/plain; version=0.0.4; charset=utf-8" "Content-Type: the 0.0.4 text format"
expect_match "$(head -1 "$T/m.1.h")" '^HTTP/1\.1 200' "GET /metrics: 200"
h=$(cu -I "$SM" | tr -d '\r')
expect_match "$h" $'^HTTP/1.1 200 OK\n' "HEAD /metrics: 200"
expect_match "$h" $'\nContent-Type: text/plain; version=0.0.4; charset=utf-8\n' "HEAD: the same Content-Type"
expect_status "$SM" 405 -X POST
expect_status "$SM" 403 --interface 127.0.0.2
e_deny=1
expect_status "http://127.0.0.1:$P/metrics" 404
e_r="0 0 0 1 0"
PC families "$T/m.1" >"$T/families"
diag "$(wc -l <"$T/families") families"
missing=$(while read -r fam _; do
	grep -q -- "$fam" "$top/README" || echo "$fam"
done <"$T/families")
expect_eq "$missing" "" "the README names every family"
absent=$(for fam in porter_responses_total:counter porter_refused_total:counter \
    porter_tunnels_total:counter porter_request_duration_seconds:histogram \
    porter_upstream_header_duration_seconds:histogram porter_workers:gauge \
    porter_parked_connections:gauge porter_backend_up:gauge \
    porter_backend_state:gauge porter_backend_in_flight:gauge \
    porter_backend_requests_total:counter porter_backend_failures_total:counter \
    porter_backend_timeouts_total:counter porter_backend_retries_total:counter \
    porter_cache_events_total:counter porter_client_sent_bytes_total:counter \
    porter_client_received_bytes_total:counter; do
	grep -q -x "${fam%:*} ${fam#*:}" "$T/families" || echo "$fam"
done)
expect_eq "$absent" "" "the families asked for are there, with their types"
has() { grep -q -x -F -- "$1" "$T/m.1"; }	# LINE
expect_eq "$(PC value "$T/m.1" porter_workers)" 3 "workers by state: 3 in all"
expect_eq "$(PC value "$T/m.1" porter_workers state=writing)" 1 \
    "one writing: the one answering"
expect_true "the backend is up" \
    has "porter_backend_up{pool=\"app\",server=\"127.0.0.1:$A\"} 1"
expect_true "its state: up" \
    has "porter_backend_state{pool=\"app\",server=\"127.0.0.1:$A\",state=\"up\"} 1"
expect_true "not draining" \
    has "porter_backend_state{pool=\"app\",server=\"127.0.0.1:$A\",state=\"draining\"} 0"

# ---- round 1 -------------------------------------------------------------
round one
counted_round
expect_eq "$ncode_bad" 0 "round 1: every request got its status ($ncode_ok)"
expect_exact "round 1"
expect_match "$(cat "$T/m.last")" $'\nporter_cache_objects 1\n' "one object in the cache"

# ---- a HUP: generation 1 goes -----------------------------------------------
old=$(porter_workers)
kill -HUP "$(porter_pid)"
expect_true "the workers of generation 1 are gone within 10 s" _wait_gone 10 $old
expect_true "generation 2 answers /metrics" \
    wait_until 5 eval 'scrape && grep -q "^porter_generation 2$" "$T/m.last"'
expect_exact "after the HUP"

# ---- max_requests = 2 and a new listener ------------------------------------
put_conf conf "start = 2; min_spare = 1; max_spare = 2; max = 4; max_requests = 2;" ",
  { listen = \"127.0.0.1:$P2\"; mode = \"reverse\";
    routes = ( { host = \"*\"; path = \"/\"; pool = \"app\"; } ); }"
kill -HUP "$(porter_pid)"
expect_true "generation 3 answers /metrics" \
    wait_until 10 eval 'scrape && grep -q "^porter_generation 3$" "$T/m.last"'
e_n="0 0 0 0 0"
expect_exact "after the reload that adds a listener"
pids0=$(porter_workers | sort | tr '\n' ' ')
round two
counted_round
for i in 1 2 3 4; do want 200 "http://127.0.0.1:$P2/a/new-$i"; done
e_n="0 4 0 0 0" e_breq=$((e_breq + 4))
expect_eq "$ncode_bad" 0 "round 2: every request got its status ($ncode_ok in all)"
expect_exact "round 2, workers recycling every 2 connections"
pids1=$(porter_workers | sort | tr '\n' ' ')
diag "workers before round 2: $pids0, after: $pids1"
expect_ne "$pids1" "$pids0" "the workers were recycled"

expect_eq "$bad" 0 "all $nscrape scrapes valid, no counter lower than the scrape before"
PC check "$T/m.last" "$T/m.1" >"$T/check.out"
expect_eq "$(cat "$T/check.out")" "" "the last scrape against the first: no counter dropped or gone"
expect_no_alerts
expect_nomatch "$(cat "$(porter_log)")" '\[error\]' "no error logged"
porter_stop
done_testing
