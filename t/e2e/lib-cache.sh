# lib-cache.sh: helpers for the c tests (the response cache, issue 13),
# sourced after lib.sh. The backend is backend.py's /cache endpoint (see
# its docstring: status, h, h200, h304, size, seed, etag, lm, chunked,
# trickle, vary, delay); the clients are curl and t/e2e/cacheclients.py.
#
# Porter
#   cache_start               start backend "app" and porter with a reverse
#                             listener ($P, $U), the status page ($S, $SJ)
#                             and the cache. The config comes from:
#                               CACHE_GROUP   the top-level cache group's
#                                             body (default: size 32M,
#                                             max_object 8M)
#                               CACHE_ROUTES  the listener's routes
#                                             (default: one "/" route with
#                                             cache = true; on pool "app")
#                               CACHE_WORKERS the workers group's body
#                                             (default: count = 4;)
#                               CACHE_LISTENER more settings of the
#                                             listener (e.g. purge_allow)
#                               CACHE_TOP     more top-level lines
#   cache_conf                print that config (for a reload)
#
# Requests (curl, one connection each; call in the test's shell, not in
# $(...): they set variables)
#   creq NAME TARGET [CURL ARGS...]
#                             GET $U$TARGET; head (CRs removed) in
#                             $T/NAME.h, body in $T/NAME.b; sets R_CODE,
#                             R_HEAD, R_BODY (text, NULs dropped), R_CS
#                             (Cache-Status), R_AGE (Age), R_TTL (the ttl=
#                             of Cache-Status, or nothing), R_FETCH
#                             (X-Fetch: which backend fetch the stored
#                             response came from)
#   chead NAME TARGET [CURL ARGS...]   the same as a HEAD request
#
# Backend
#   bn                        requests the backend "app" has received
#   bpath PATH                of them, those whose path (the target
#                             without its query) is PATH
#   bfield PATH FIELD         the FIELD of the last request to PATH, or
#                             nothing
#   gen_range SEED LEN        LEN bytes of the deterministic stream from
#                             offset SEED, to stdout
#   httpdate [+-SECS]         an IMF-fixdate, now (+-SECS)
#   enc TEXT                  TEXT URL-encoded (for h= values)
#
# Concurrent clients (t/e2e/cacheclients.py)
#   burst NAME ARGS...        cacheclients.py burst --port $P ARGS, its
#                             report in $T/NAME.json
#   rj NAME EXPR              a Python expression on that report (r; re,
#                             statistics imported; CS_* as Python strings)
#                             printed: e.g. rj b 'r["statuses"]'
#
# Status page
#   cache_stat KEY            cache.KEY from the JSON status page
#                             (chunks_free, chunks_total, objects), or
#                             nothing
#
# Cache-Status (RFC 9211) as the plan (/work/cache-design.md) spells it;
# regular expressions for expect_match:
#   CS_HIT CS_HIT_ANY (ttl may be negative) CS_COLLAPSED CS_MISS
#   CS_VARY_MISS CS_REQUEST CS_REVAL CS_STALE CS_STALE_OR_MISS
#   cs_detail DETAIL          not stored, with detail=DETAIL

CS_HIT='^porter; hit; ttl=[0-9]+$'
CS_HIT_ANY='^porter; hit(; collapsed)?; ttl=-?[0-9]+$'
CS_COLLAPSED='^porter; hit; collapsed; ttl=[0-9]+$'
# the plan writes the first miss without fwd-status; RFC 9211 allows it
CS_MISS='^porter; fwd=uri-miss(; fwd-status=200)?; stored$'
CS_VARY_MISS='^porter; fwd=vary-miss; fwd-status=200; stored$'
CS_REQUEST='^porter; fwd=request; fwd-status=200; stored$'
CS_REVAL='^porter; fwd=stale; fwd-status=304; ttl=[0-9]+$'
CS_STALE='^porter; fwd=stale; fwd-status=200; stored$'
# an expired entry: refetched as stale, or dropped and missed
CS_STALE_OR_MISS='^porter; fwd=(stale|uri-miss)(; fwd-status=200)?; stored$'
cs_detail() { printf '^porter; fwd=(uri-)?miss; fwd-status=%s; detail=%s$' "${2:-200}" "$1"; }

cache_conf() {
	local group routes workers
	group=${CACHE_GROUP:-'size = "32M"; max_object = "8M";'}
	routes=${CACHE_ROUTES:-'{ host = "*"; path = "/"; pool = "app"; cache = true; }'}
	workers=${CACHE_WORKERS:-'count = 4;'}
	cat <<EOF
log_level = "info";
access_log = "$T/access.log";
workers = { $workers };
timeouts = { client_header = 10.0; client_body = 10.0; keepalive = 5.0;
             connect = 3.0; upstream = 30.0; tunnel_idle = 30.0; };
cache = { $group };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( $routes ); ${CACHE_LISTENER:-} } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
status = { listen = "127.0.0.1:$S"; };
${CACHE_TOP:-}
EOF
}

cache_start() {
	backend_start app
	B=$BPORT
	P=$(free_port)
	S=$(free_port)
	while [ "$S" = "$P" ]; do S=$(free_port); done
	U=http://127.0.0.1:$P
	SJ="http://127.0.0.1:$S/porter-status?format=json"
	porter_start < <(cache_conf)
}

_creq() {	# METHOD-ARG NAME TARGET [CURL ARGS...]
	local m=$1 name=$2 target=$3
	shift 3
	rm -f "$T/$name.h" "$T/$name.b"
	# shellcheck disable=SC2086	# $m: nothing or -I
	R_CODE=$(cu $m -D "$T/$name.hr" -o "$T/$name.b" -w '%{http_code}' "$@" "$U$target")
	[ -f "$T/$name.hr" ] && tr -d '\r' <"$T/$name.hr" >"$T/$name.h"
	: >>"$T/$name.h"
	: >>"$T/$name.b"
	R_HEAD=$(cat "$T/$name.h")
	R_BODY=$(tr -d '\0' <"$T/$name.b")
	R_CS=$(hval Cache-Status "$R_HEAD")
	R_AGE=$(hval Age "$R_HEAD")
	R_FETCH=$(hval X-Fetch "$R_HEAD")
	R_TTL=$(sed -n 's/.*; ttl=\(-\{0,1\}[0-9][0-9]*\).*/\1/p' <<<"$R_CS")
}
creq() { _creq "" "$@"; }
chead() { _creq "-I" "$@"; }

bn() { backend_reqs app; }

bpath() {
	"$PYTHON" - "$(backend_log app)" "$1" <<'EOF'
import json, sys
n = 0
try:
    for ln in open(sys.argv[1]):
        if json.loads(ln)["path"].split("?", 1)[0] == sys.argv[2]:
            n += 1
except OSError:
    pass
print(n)
EOF
}

bfield() {
	"$PYTHON" - "$(backend_log app)" "$1" "$2" <<'EOF'
import json, sys
v = None
try:
    for ln in open(sys.argv[1]):
        r = json.loads(ln)
        if r["path"].split("?", 1)[0] == sys.argv[2]:
            v = None
            for k, x in r["headers"]:
                if k.lower() == sys.argv[3].lower():
                    v = x
except OSError:
    pass
if v is not None:
    print(v)
EOF
}

gen_range() {
	"$PYTHON" -c 'import sys; sys.path.insert(0, sys.argv[1])
from backend import gen_bytes
sys.stdout.buffer.write(gen_bytes(int(sys.argv[2]), int(sys.argv[3])))' "$E2E" "$1" "$2"
}

httpdate() {
	local t
	t=$(date +%s)
	date -u -d "@$((t + ${1:-0}))" '+%a, %d %b %Y %H:%M:%S GMT'
}

enc() { "$PYTHON" -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$1"; }

cache_stat() {
	CURL_MAX_TIME=3 cu -H 'Connection: close' "$SJ" 2>/dev/null | "$PYTHON" -c '
import json, sys
try:
    v = json.load(sys.stdin)["cache"][sys.argv[1]]
except Exception:
    sys.exit(0)
if isinstance(v, (int, float)) and not isinstance(v, bool):
    print(v)' "$1"
}

# a cache run needs a porter that caches: the first miss must say so, or
# every later assertion is noise. Ends the test when the first response
# has no Cache-Status at all.
need_cache_status() {	# what R_CS came from
	if [ -z "$R_CS" ]; then
		not_ok "porter sends Cache-Status on a cache route ($1)" \
		    "got no Cache-Status: this porter does not cache" "$R_HEAD"
		done_testing
	fi
}

burst() {	# NAME ARGS...
	local name=$1
	shift
	"$PYTHON" "$E2E/cacheclients.py" burst --port "$P" "$@" >"$T/$name.json" 2>"$T/$name.err"
}

rj() {	# NAME EXPR
	CS_HIT=$CS_HIT CS_HIT_ANY=$CS_HIT_ANY CS_COLLAPSED=$CS_COLLAPSED \
	CS_MISS=$CS_MISS "$PYTHON" -c '
import json, os, re, statistics, sys
CS_HIT, CS_HIT_ANY = os.environ["CS_HIT"], os.environ["CS_HIT_ANY"]
CS_COLLAPSED, CS_MISS = os.environ["CS_COLLAPSED"], os.environ["CS_MISS"]
def m(rx, v):
    return re.search(rx, v or "") is not None
try:
    r = json.load(open(sys.argv[1]))
except Exception:
    sys.exit(0)
v = eval(sys.argv[2])
print(json.dumps(v) if isinstance(v, (dict, list)) else v)' "$T/$1.json" "$2"
}
