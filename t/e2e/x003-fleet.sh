#!/bin/bash
# x003: a fleet behind HAProxy, the recipe of README's "Running several
# porters". HAProxy (/usr/sbin/haproxy, in the foreground, stopped by PID)
# balances TCP connections over three porters with send-proxy-v2 and HTTP
# checks of its own (LOCAL headers). Each porter pN has two listeners:
#   - FN, the front (proxy_protocol from 127.0.0.1, no cache): pool
#     "tier", balance = "hash" on the URI over the three porters' cache
#     listeners (send_proxy v2, v1, v2: the client survives this hop
#     too), checked every 0.5 s
#   - CN, the cache listener (proxy_protocol from 127.0.0.1, cache =
#     true) in front of the one shared origin (backend.py's /cache)
# so each URL is cached by one porter only, whichever porter the client
# reached (a porter's front may pass a request to its own cache listener:
# Via names are per listener, so that is not a loop). Clients on 127.0.0.9 (a Python client, bounded threads,
# keep-alive connections).
#   1. 300 distinct URLs twice: 600 answers 200, exactly 300 origin
#      requests (one per URL), the second round all hits
#   2. every porter's access log: the client is 127.0.0.9 (127.0.0.1 only
#      on /health, the balancers' own LOCAL checks); the origin sees
#      X-Forwarded-For 127.0.0.9 only
#   3. the split: each node caches roughly a third (diag), 300 in all
#   4. porter 3 (master and children, by PID) SIGKILLed under a
#      4 s load; HAProxy and the other fronts mark it down; all 300 URLs
#      again: all 200, and the only URLs fetched again from the origin are
#      node 3's, each of them (moved = its share, plus at most what was
#      in flight when it died); the survivors hold all 300
#   5. C2 drained on both porters left (porter -s drain tier/ADDR): exactly
#      its URLs are fetched again, the rest hit; undrained: all hits, no
#      origin request (it kept its objects)
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"

HAPROXY=${HAPROXY:-/usr/sbin/haproxy}
if [ ! -x "$HAPROXY" ]; then
	not_ok "haproxy is installed" "no $HAPROXY: ./quickstart test installs it (Debian package haproxy)"
	done_testing
fi
N=300		# URLs
CLIENT=127.0.0.9

backend_start origin
O=$BPORT
# 10 ports, all different (free_port only avoids ports in use)
taken=" $O "
for v in H F1 F2 F3 C1 C2 C3 S1 S2 S3; do
	p=$(free_port)
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[[ $taken == *" $p "* ]] || break
		p=$(free_port)
	done
	[[ $taken == *" $p "* ]] && { echo "Bail out! no free port apart from$taken"; exit 1; }
	taken="$taken$p "
	eval "$v=\$p"
done

node_conf() {	# I: porter I, its front and its cache listener
	cat <<EOF
log_level = "info";
access_log = "$T/p$1-access.log";
workers = { count = 8; };
timeouts = { connect = 1.0; upstream = 10.0; keepalive = 10.0; };
cache = { size = "16M"; max_object = "1M"; };
listeners = (
  { listen = "127.0.0.1:$(eval echo "\$F$1")"; mode = "reverse";
    proxy_protocol = true; proxy_protocol_from = [ "127.0.0.1" ];
    routes = ( { path = "/health"; return = { status = 200; body = "ok"; }; },
               { path = "/"; pool = "tier"; } ); },
  { listen = "127.0.0.1:$(eval echo "\$C$1")"; mode = "reverse";
    proxy_protocol = true; proxy_protocol_from = [ "127.0.0.1" ];
    routes = ( { path = "/health"; return = { status = 200; body = "ok"; }; },
               { path = "/"; pool = "origin"; cache = true; } ); } );
pools = (
  { name = "tier"; balance = "hash"; hash_key = "uri";
    servers = ( { address = "127.0.0.1:$C1"; send_proxy = "v2"; },
                { address = "127.0.0.1:$C2"; send_proxy = "v1"; },
                { address = "127.0.0.1:$C3"; send_proxy = "v2"; } );
    health = { path = "/health"; interval = 0.5; timeout = 0.5;
               rise = 2; fall = 1; }; },
  { name = "origin"; servers = ( { address = "127.0.0.1:$O"; } ); } );
status = { listen = "127.0.0.1:$(eval echo "\$S$1")"; };
EOF
}
for i in 1 2 3; do
	porter2_start "p$i" < <(node_conf $i)
done

cat >"$T/haproxy.cfg" <<EOF
global
    maxconn 2000
defaults
    mode tcp
    timeout connect 1s
    timeout client 30s
    timeout server 30s
    retries 3
    option redispatch
listen fleet
    bind 127.0.0.1:$H
    balance roundrobin
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host fleet
    http-check expect status 200
    default-server send-proxy-v2 check check-send-proxy inter 500 fall 1 rise 2
    server p1 127.0.0.1:$F1
    server p2 127.0.0.1:$F2
    server p3 127.0.0.1:$F3
EOF
expect_true "haproxy -c accepts the config" \
    sh -c "'$HAPROXY' -c -f '$T/haproxy.cfg' >'$T/haproxy-check.out' 2>&1"
"$HAPROXY" -f "$T/haproxy.cfg" -db >"$T/haproxy.out" 2>&1 &
HAPID=$!
track "$HAPID"
if ! wait_until 10 _port_open "$H"; then
	not_ok "haproxy listens on $H" "$(tail -n 20 "$T/haproxy.out")"
	done_testing
fi

# the client: URLs from a file over THREADS keep-alive connections from
# $CLIENT (PER requests each, then a new one), once each or round and
# round until SECS or MAX requests; one JSON line per request, then a
# summary line
cat >"$T/client.py" <<'EOF'
import http.client, json, sys, threading, time
port, urlfile, threads, per, mode, secs, maxn, out, src = sys.argv[1:10]
port, threads, per, secs, maxn = int(port), int(threads), int(per), float(secs), int(maxn)
urls = [u.strip() for u in open(urlfile) if u.strip()]
lock = threading.Lock()
state = {"next": 0}
recs = []
t0 = time.time()

def take():
    with lock:
        n = state["next"]
        if n >= maxn or (mode == "once" and n >= len(urls)) or \
                (mode == "loop" and time.time() - t0 >= secs):
            return None
        state["next"] = n + 1
        return urls[n % len(urls)]

def run():
    conn, used = None, 0
    while True:
        url = take()
        if url is None:
            break
        if conn is None or used >= per:
            if conn is not None:
                conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5,
                                              source_address=(src, 0))
            used = 0
        try:
            conn.request("GET", url)
            r = conn.getresponse()
            r.read()
            rec = [url, r.status, r.getheader("Cache-Status") or "-"]
            used += 1
            if (r.getheader("Connection") or "").lower() == "close":
                conn.close()
                conn = None
        except Exception as e:
            rec = [url, "ERR:" + type(e).__name__, "-"]
            conn.close()
            conn = None
        with lock:
            recs.append(rec)
    if conn is not None:
        conn.close()

ts = [threading.Thread(target=run) for _ in range(threads)]
for t in ts:
    t.start()
for t in ts:
    t.join()
with open(out, "w") as f:
    for r in recs:
        f.write(json.dumps(r) + "\n")
st = {}
for r in recs:
    st[str(r[1])] = st.get(str(r[1]), 0) + 1
print(json.dumps({"requests": len(recs), "statuses": st,
                  "hits": sum(1 for r in recs if "; hit" in r[2]),
                  "seconds": round(time.time() - t0, 2)}, sort_keys=True))
EOF
for k in $(seq 1 $N); do
	echo "/cache/fleet/$k?h=Cache-Control:max-age%3D600"
done >"$T/urls"

fleet() {	# NAME MODE THREADS SECS MAX: run the client, report in $T/NAME.sum
	timeout 60 "$PYTHON" "$T/client.py" "$H" "$T/urls" "$3" 10 "$2" "$4" "$5" \
	    "$T/$1.jsonl" "$CLIENT" >"$T/$1.sum" 2>"$T/$1.err"
}
sumv() { "$PYTHON" -c 'import json, sys; print(eval(sys.argv[2], {}, json.load(open(sys.argv[1]))))' "$T/$1.sum" "$2"; }
# origin requests for the fleet's URLs ([FROM]: from the FROM-th on)
origin_n() { grep -c '"path": "/cache/fleet/' "$(backend_log origin)"; }
pstat() {	# I KEY: cache.KEY of porter I's status page
	cu "http://127.0.0.1:$(eval echo "\$S$1")/porter-status?format=json" |
	    "$PYTHON" -c 'import json, sys; print(json.load(sys.stdin)["cache"][sys.argv[1]])' "$2"
}

# 1. two rounds
fleet r1 once 8 0 $N
diag "round 1: $(cat "$T/r1.sum")"
expect_eq "$(sumv r1 'statuses')" "{'200': $N}" "round 1: $N answers, all 200"
expect_eq "$(origin_n)" $N "round 1: $N origin requests"
expect_eq "$(grep '"path": "/cache/fleet/' "$(backend_log origin)" |
    "$PYTHON" -c 'import json, sys; print(len({json.loads(l)["path"] for l in sys.stdin}))')" $N \
    "round 1: one origin request per URL"
fleet r2 once 8 0 $N
diag "round 2: $(cat "$T/r2.sum")"
expect_eq "$(sumv r2 'statuses')" "{'200': $N}" "round 2: $N answers, all 200"
expect_eq "$(sumv r2 'hits')" $N "round 2: all hits (Cache-Status from the cache tier)"
expect_eq "$(origin_n)" $N "round 2: still $N origin requests"

# 2. who the client is, at every porter and at the origin
alog() {	# NAME: "health|tier|origin|other CLIENT" per line of NAME's access log
	"$PYTHON" - "$T/$1-access.log" "$O" "$C1" "$C2" "$C3" <<'EOF'
import re, sys
origin = "127.0.0.1:" + sys.argv[2]
tier = {"127.0.0.1:" + p for p in sys.argv[3:6]}
rx = re.compile(r'^\S+ \S+ (\S+) "(\S+) (\S+)[^"]*" \d+ \d+ (\S+) ')
for ln in open(sys.argv[1]):
    m = rx.match(ln)
    if not m:
        print("unparsed -")
    elif m.group(3).startswith("/health"):
        print("health", m.group(1))
    elif m.group(4) in tier:
        print("tier", m.group(1))
    elif m.group(4) == origin:
        print("origin", m.group(1))
    else:
        print("other", m.group(1))      # a hit, an error page
EOF
}
for p in p1 p2 p3; do
	alog $p >"$T/$p.who"
	diag "$p access log: $(sort "$T/$p.who" | uniq -c | tr -s ' \n' ' ')"
	n=$(grep -c '^tier ' "$T/$p.who")
	expect_ge "$n" 1 "$p: requests passed to the cache tier ($n)"
	n=$(grep -c '^origin ' "$T/$p.who")
	expect_ge "$n" 1 "$p: misses fetched from the origin ($n)"
	expect_eq "$(grep -v '^health ' "$T/$p.who" | grep -vc " $CLIENT\$")" 0 \
	    "$p: every request from $CLIENT"
	expect_eq "$(grep -c ' 127\.0\.0\.1$' "$T/$p.who")" \
	    "$(grep -c '^health 127\.0\.0\.1$' "$T/$p.who")" \
	    "$p: 127.0.0.1 only on /health (a balancer's own LOCAL check)"
	expect_eq "$(grep -c '^unparsed' "$T/$p.who")" 0 "$p: every access log line parsed"
done
xff=$(grep '"path": "/cache/fleet/' "$(backend_log origin)" | "$PYTHON" -c '
import json, sys
seen = set()
for l in sys.stdin:
    for k, v in json.loads(l)["headers"]:
        if k.lower() == "x-forwarded-for":
            seen.update(a.strip() for a in v.split(","))
print(" ".join(sorted(seen)) or "none")')
expect_eq "$xff" "$CLIENT" "the origin's X-Forwarded-For names $CLIENT only"

# 3. the split
o1=$(pstat 1 objects)
o2=$(pstat 2 objects)
o3=$(pstat 3 objects)
diag "split of $N URLs: node 1 $o1, node 2 $o2, node 3 $o3"
expect_eq "$((o1 + o2 + o3))" $N "the three caches hold $N objects in all"
# 40 ring points a server, the ports random: 300 URLs fall 61..143 on a
# node in 98 % of runs (a simulation of the ring), 50..160 in 3,000
for i in 1 2 3; do
	o=$(eval echo "\$o$i")
	expect_ge "$o" $((N / 8)) "node $i caches roughly a third ($o >= $((N / 8)))"
	expect_le "$o" $((N * 3 / 5)) "node $i caches roughly a third ($o <= $((N * 3 / 5)))"
done
# node 3's URLs: those its cache porter fetched from the origin
awk -v o="127.0.0.1:$O" '$9 == o { print $5 }' "$T/p3-access.log" | sort -u >"$T/share3"
share3=$(wc -l <"$T/share3" | tr -d ' ')
expect_eq "$share3" "$o3" "p3's access log names its $o3 objects' origin fetches"

# 4. porter 3 killed under load
before=$(origin_n)
LOADT=6
fleet load loop $LOADT 4 40000 &
lpid=$!
track $lpid
sleep 1.5
expect_true "the load runs when node 3 is killed" _alive $lpid
victims=
for p in p3; do
	m=$(eval echo "\$_p2pid_$p")
	victims="$victims $m $(pgrep -P "$m" | tr '\n' ' ')"
	disown "$m" 2>/dev/null
done
diag "killing porter 3 (master and children):$victims"
# shellcheck disable=SC2086
kill -KILL $victims
# shellcheck disable=SC2086
expect_true "porter 3 and its children are gone" _wait_gone 5 $victims
t0=$(now)
_wait_gone 30 $lpid
wait $lpid
diag "load: $(cat "$T/load.sum")"
expect_ge "$(sumv load 'statuses.get("200", 0)')" 100 "the load went on"
nerr=$(sumv load 'requests - statuses.get("200", 0)')
expect_le "$nerr" "$LOADT" "at most one failure per load client ($nerr)"
_down_at() { grep -a -q "backend tier/127\\.0\\.0\\.1:$C3 is down" "$(porter2_log "$1")"; }
expect_true "p1 marks C3 down" wait_until 5 _down_at p1
expect_true "p2 marks C3 down" wait_until 5 _down_at p2
expect_true "haproxy marks p3 down" \
    wait_until 5 grep -a -q 'fleet/p3 is DOWN' "$T/haproxy.out"
diag "marked down within $(since "$t0") s of the load's end:" \
    "$(grep -a -h "tier/127\\.0\\.0\\.1:$C3 is down" "$(porter2_log p1)" "$(porter2_log p2)")" \
    "$(grep -a 'fleet/p3 is DOWN' "$T/haproxy.out")"

mid=$(origin_n)
fleet r3 once 8 0 $N
diag "round 3: $(cat "$T/r3.sum")"
expect_eq "$(sumv r3 'statuses')" "{'200': $N}" "round 3: $N answers, all 200"
after=$(origin_n)
h3=$(sumv r3 'hits')
expect_ge "$h3" $((N - share3)) "round 3: the rest hit ($h3 hits >= $N - $share3)"
expect_eq "$((after - mid))" $((N - h3)) "round 3: an origin request for each miss only"
moved=$((after - before))
tail -n "+$((before + 1))" "$(backend_log origin)" | grep '"path": "/cache/fleet/' |
    "$PYTHON" -c 'import json, sys
for l in sys.stdin:
    print(json.loads(l)["path"])' | sort >"$T/refetched"
sort -u "$T/refetched" >"$T/refetched.u"
others=$(comm -23 "$T/refetched.u" "$T/share3" | wc -l | tr -d ' ')
missed=$(comm -13 "$T/refetched.u" "$T/share3" | wc -l | tr -d ' ')
dups=$(($(wc -l <"$T/refetched") - $(wc -l <"$T/refetched.u")))
diag "moved: $moved origin requests after the kill for node 3's share of $share3" \
    "($(wc -l <"$T/refetched.u" | tr -d ' ') URLs, $dups fetched twice," \
    "$others of other nodes, $missed of its own not fetched again)"
expect_ge "$moved" 1 "node 3's URLs were fetched again ($moved)"
expect_eq "$others" 0 "no URL of node 1 or 2 was fetched again"
expect_eq "$missed" 0 "every URL of node 3 was fetched again, by a survivor"
expect_le "$moved" $((share3 + LOADT)) "moved $moved <= node 3's $share3 + $LOADT in flight"
n1=$(pstat 1 objects)
n2=$(pstat 2 objects)
diag "after: p1 $n1 objects (was $o1), p2 $n2 (was $o2)"
expect_eq "$((n1 + n2))" $N "the survivors hold all $N"

# 5. the recipe's way out: drain C2 on both porters left; its URLs go to
# C1 (fetched once each, the rest hit); undrained, C2 serves its own
# stored objects again (no origin request at all)
drained() {	# NAME ACTION: ACTION (draining, no longer draining) logged
	grep -a -q "backend tier/127\\.0\\.0\\.1:$C2 $2\$" "$(porter2_log "$1")"
}
for f in p1 p2; do
	"$PORTER" -c "$T/$f.conf" -s drain "tier/127.0.0.1:$C2" >"$T/drain-$f.out" 2>&1
	expect_eq "$?" 0 "porter -c $f.conf -s drain tier/127.0.0.1:$C2 exits 0"
	expect_true "$f logs C2 draining" wait_until 5 drained $f draining
done
mid=$(origin_n)
fleet r4 once 8 0 $N
diag "round 4 (C2 draining): $(cat "$T/r4.sum")"
expect_eq "$(sumv r4 'statuses')" "{'200': $N}" "C2 draining: $N answers, all 200"
expect_eq "$(($(origin_n) - mid))" "$n2" "C2 draining: exactly its $n2 URLs fetched again"
expect_eq "$(sumv r4 'hits')" $((N - n2)) "C2 draining: the other $((N - n2)) hit"
for f in p1 p2; do
	"$PORTER" -c "$T/$f.conf" -s undrain "tier/127.0.0.1:$C2" >"$T/undrain-$f.out" 2>&1
	expect_eq "$?" 0 "porter -c $f.conf -s undrain tier/127.0.0.1:$C2 exits 0"
	expect_true "$f logs C2 no longer draining" wait_until 5 drained $f "no longer draining"
done
mid=$(origin_n)
fleet r5 once 8 0 $N
diag "round 5 (C2 back): $(cat "$T/r5.sum")"
expect_eq "$(sumv r5 'statuses')" "{'200': $N}" "C2 back: $N answers, all 200"
expect_eq "$(sumv r5 'hits')" $N "C2 back: all hits, its objects were kept"
expect_eq "$(($(origin_n) - mid))" 0 "C2 back: no origin request"

_stop_pids "$HAPID"
expect_true "haproxy stopped" _wait_gone 1 "$HAPID"
for p in p1 p2; do porter2_stop $p; done
for p in p1 p2 p3; do porter2_no_alerts $p; done
done_testing
