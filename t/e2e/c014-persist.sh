#!/bin/bash
# c014: cache.path, a cache that survives restarts (bounded: about 40 s).
#   - a cache.path in a missing folder: porter -t fails naming file and line
#   - N objects fetched (misses, stored); the file is mode 0600
#   - porter -s stop, start: the log says N kept after a clean stop, and all
#     N are hits with the origin's bytes and ZERO backend requests
#   - a binary upgrade (USR2) on the same file: the new master shares it,
#     its workers hit too; QUIT to the old one
#   - the whole tree SIGKILLed while a large object is mid-fill; one stored
#     object's bytes corrupted in the file while porter is down; start: the
#     log says unclean, checksums checked, one failing; the corrupted object
#     and the partial one are refetched (their bodies are the origin's),
#     every other object is a hit
#   - cache.size changed: porter starts with an empty cache and says why
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

N=24
mkdir -p "$T/cache"
CF=$T/cache/porter.cache
CACHE_WORKERS='count = 3;'
CACHE_GROUP="size = \"16M\"; max_object = \"4M\"; path = \"$CF\";"

# a missing folder is a config error naming file and line
cat >"$T/bad.conf" <<EOF
cache = { path = "$T/nowhere/porter.cache"; };
listeners = ( { listen = "127.0.0.1:1"; mode = "reverse";
  routes = ( { host = "*"; path = "/"; pool = "app"; cache = true; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:2"; } ); } );
EOF
"$PORTER" -t -c "$T/bad.conf" >"$T/bad.out" 2>&1
expect_ne "$?" 0 "porter -t fails for a cache.path in a missing folder"
expect_match "$(cat "$T/bad.out")" "bad.conf:1: .*nowhere.*does not exist" \
    "the error names the file, the line and the folder"

url() { echo "/cache/p/$1?size=$((20000 + $1 * 3001))&seed=$(($1 * 1000000))&h=Cache-Control:max-age%3D600"; }
# the listeners are bound before the cache is restored: wait for its line
kept_lines() { grep -c 'kept after' "$T/error.log" 2>/dev/null; }
kept_line_n() { [ "$(kept_lines)" -ge "$1" ]; }
body_ok() {	# I NAME: the body of creq NAME is object I's
	[ "$(sha_of "$T/$2.b")" = "$(gen_range $(($1 * 1000000)) $((20000 + $1 * 3001)) | sha256sum | cut -d' ' -f1)" ]
}

cache_start
creq m0 "$(url 0)"
need_cache_status "the first object"
expect_match "$R_CS" "$CS_MISS" "object 0: a miss, stored"
for i in $(seq 1 $((N - 1))); do creq "m$i" "$(url "$i")"; done
expect_eq "$(bn)" "$N" "$N objects fetched once each"
expect_eq "$(stat -c %a "$CF" 2>/dev/null)" 600 "the cache file is mode 0600"
wuid=$(ps -o uid= -p "$(porter_workers | head -n 1)" | tr -d ' ')
expect_eq "$(stat -c %u "$CF" 2>/dev/null)" "$wuid" "owned by the workers' user (uid $wuid)"
expect_eq "$(cache_stat objects)" "$N" "the status page counts $N objects"

# -s stop, start: all hits, zero backend requests
master=$(porter_pid)
"$PORTER" -c "$_porter_conf" -s stop >"$T/stop.out" 2>&1
expect_true "porter -s stop: the master exits" _wait_gone 15 "$master"
wait "$master" 2>/dev/null
_porter_pid=
expect_match "$(cat "$T/error.log")" "cache.path .*synced, marked clean" \
    "the stop marks the file clean"
porter_start < <(cache_conf)
expect_true "the start restores the file" wait_until 10 kept_line_n 1
expect_match "$(grep 'kept after' "$T/error.log" | tail -n 1)" \
    "$N object.s.*kept after a clean stop .checksums not checked." \
    "the start keeps $N objects after the clean stop"
b0=$(bn)
hits=0 good=0
for i in $(seq 0 $((N - 1))); do
	creq "h$i" "$(url "$i")"
	[[ $R_CS =~ $CS_HIT ]] && hits=$((hits + 1))
	body_ok "$i" "h$i" && good=$((good + 1))
done
expect_eq "$hits" "$N" "after the restart all $N are hits"
expect_eq "$good" "$N" "with the origin's bytes"
expect_eq "$(($(bn) - b0))" 0 "and zero backend requests"

# USR2: a new master on the same file shares it; QUIT the old one
old=$(porter_pid)
kill -USR2 "$old"
# one read of the file: the old master renames it to .oldbin before the
# new one writes it, so a test then a second read could see it vanish
new=
newpid() {
	local p
	p=$(cat "$T/porter.pid" 2>/dev/null) && [ -n "$p" ] &&
	    [ "$p" != "$old" ] && new=$p
}
expect_true "USR2: a new master writes the pid file" wait_until 10 newpid
expect_true "the new master shares the file" wait_until 10 \
    grep -q 'shared with the running porter' "$T/error.log"
kill -QUIT "$old"
expect_true "QUIT: the old master exits" _wait_gone 15 "$old"
wait "$old" 2>/dev/null
_porter_pid=$new
track "$new"
expect_nomatch "$(grep -c 'marked clean' "$T/error.log")" '^2$' \
    "the old master does not mark the file clean while the new one uses it"
hits=0
for i in 0 5 9; do
	creq "u$i" "$(url "$i")"
	[[ $R_CS =~ $CS_HIT ]] && body_ok "$i" "u$i" && hits=$((hits + 1))
done
expect_eq "$hits" 3 "the new master's workers hit the objects the old one stored"
expect_eq "$(($(bn) - b0))" 0 "still zero backend requests"

# SIGKILL of the whole tree while a large object fills
big="/cache/p/big?size=3000000&seed=900000000&trickle=3&pieces=30&h=Cache-Control:max-age%3D600"
CURL_MAX_TIME=10 cu -o "$T/big0.b" "$U$big" 2>/dev/null &
cp_=$!
track $cp_
sleep 1.2
kids=$(_porter_children | awk '{ print $1 }')
# shellcheck disable=SC2086
kill -KILL "$(porter_pid)" $kids
expect_true "SIGKILL: the whole tree is gone" _wait_gone 5 "$(porter_pid)" $kids
wait "$(porter_pid)" 2>/dev/null
_porter_pid=
wait $cp_ 2>/dev/null
# the upgraded master was the old one's child: in a container whose init
# does not reap, it stays a zombie that the pid file check takes for a
# running porter
rm -f "$T/porter.pid"
# corrupt object 7's bytes in the file (its body starts with a block of
# the deterministic stream found nowhere else)
"$PYTHON" - "$CF" "$E2E" 7000000 <<'EOF' >"$T/corrupt.out"
import mmap, sys
sys.path.insert(0, sys.argv[2])
from backend import gen_bytes
pat = gen_bytes(int(sys.argv[3]), 64)
with open(sys.argv[1], "r+b") as f:
    m = mmap.mmap(f.fileno(), 0)
    at = m.find(pat)
    assert at >= 0 and m.find(pat, at + 1) < 0
    m[at + 10] = m[at + 10] ^ 0xff
    m.flush()
    print(at)
EOF
expect_match "$(cat "$T/corrupt.out")" '^[0-9]+$' "object 7's body found in the file and one byte flipped"
porter_start < <(cache_conf)
expect_true "the start after SIGKILL restores the file" wait_until 10 kept_line_n 2
line=$(grep 'kept after' "$T/error.log" | tail -n 1)
expect_match "$line" "kept after an unclean stop .checksums checked." \
    "the start after SIGKILL checks the checksums"
expect_match "$line" ", [1-9][0-9]* failing their checksum" "and drops the corrupted object"
diag "$line"
b0=$(bn)
hits=0 good=0
for i in $(seq 0 $((N - 1))); do
	creq "k$i" "$(url "$i")"
	[ "$i" != 7 ] && [[ $R_CS =~ $CS_HIT ]] && hits=$((hits + 1))
	[ "$i" = 7 ] && cs7=$R_CS
	body_ok "$i" "k$i" && good=$((good + 1))
done
expect_match "$cs7" "$CS_MISS" "the corrupted object is not served: a miss"
expect_eq "$hits" "$((N - 1))" "the other $((N - 1)) objects are hits"
expect_eq "$good" "$N" "every body is the origin's"
creq big1 "$big"
expect_match "$R_CS" "$CS_MISS" "the object killed mid-fill is not served: a miss"
expect_eq "$(sha_of "$T/big1.b")" "$(gen_range 900000000 3000000 | sha256sum | cut -d' ' -f1)" \
    "its body is the origin's"
expect_eq "$(($(bn) - b0))" 2 "two backend requests: the corrupted and the partial object"
creq big2 "$big"
expect_match "$R_CS" "$CS_HIT" "then the large object is a hit"

# a changed cache.size: an empty cache, and the log says why
porter_stop
CACHE_GROUP="size = \"24M\"; max_object = \"4M\"; path = \"$CF\";"
porter_start < <(cache_conf)
emptied() { grep -q 'starting with an empty cache' "$T/error.log"; }
expect_true "a new cache.size: porter says it starts empty" wait_until 10 emptied
expect_match "$(cat "$T/error.log")" "cache.path $CF: [0-9]+ bytes, this configuration needs [0-9]+: starting with an empty cache" \
    "a new cache.size: the log says the cache starts empty"
creq z0 "$(url 0)"
expect_match "$R_CS" "$CS_MISS" "and object 0 is a miss"
porter_stop
expect_no_alerts
done_testing
