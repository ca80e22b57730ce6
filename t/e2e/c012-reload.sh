#!/bin/bash
# c012: the cache outlives a reload. Two objects stored (a small one and
# 1 MB), then SIGHUP to the master: a new generation of workers (logged,
# the old ones gone) serves both as hits with their first fetch's bytes, no
# backend request; the status page's cache.objects is the same before and
# after. A second HUP with an edited config (another route added, the
# keep-alive timeout changed, the cache group as it was) keeps them too.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

cache_start
master=$(porter_pid)
expect_true "4 workers" wait_workers 4 10

A="/cache/rl1?h=Cache-Control:max-age%3D600"
BIG="/cache/rl2?size=1048576&seed=8&h=Cache-Control:max-age%3D600"
creq a "$A"
need_cache_status "max-age=600"
expect_match "$R_CS" "$CS_MISS" "small object stored"
fa=$R_FETCH
creq b "$BIG"
expect_match "$R_CS" "$CS_MISS" "1 MB object stored"
n0=$(bn)
obj0=$(cache_stat objects)
diag "cache on the status page before the HUP: objects ${obj0:-none}," \
    "chunks_free $(cache_stat chunks_free) of $(cache_stat chunks_total)"
expect_ge "${obj0:-0}" 2 "the status page counts the objects (${obj0:-none})"

none_alive() { local p; for p in "$@"; do _alive "$p" && return 1; done; return 0; }
reload() {	# GEN LABEL
	local old
	old=$(porter_workers | tr '\n' ' ')
	kill -HUP "$master"
	expect_true "$2: the master logs generation $1" \
	    wait_until 5 grep -q "reloaded: generation $1\$" "$(porter_log)"
	# shellcheck disable=SC2086
	expect_true "$2: the old workers are gone within 10 s" wait_until 10 none_alive $old
	expect_true "$2: 4 workers again" wait_workers 4 10
}
check() {	# LABEL
	creq a2 "$A"
	expect_match "$R_CS" "$CS_HIT" "$1: the small object hits"
	expect_eq "$R_FETCH" "$fa" "$1: its first fetch ($fa)"
	creq b2 "$BIG"
	expect_match "$R_CS" "$CS_HIT" "$1: the 1 MB object hits"
	expect_eq "$(sha_of "$T/b2.b")" "$(gen_range 8 1048576 | sha256sum | cut -d' ' -f1)" \
	    "$1: its bytes"
	expect_eq "$(bn)" "$n0" "$1: no backend request"
	expect_eq "$(cache_stat objects)" "$obj0" "$1: cache.objects as before"
}

reload 2 "HUP"
check "after the HUP"

CACHE_ROUTES='{ host = "*"; path = "/other/"; pool = "app"; },
              { host = "*"; path = "/"; pool = "app"; cache = true; }'
cache_conf | sed 's/keepalive = 5.0;/keepalive = 4.0;/' >"$T/porter.conf.new"
printf 'pid_file = "%s";\nerror_log = "%s";\n' "$T/porter.pid" "$T/error.log" |
    cat - "$T/porter.conf.new" >"$T/porter.conf"
reload 3 "HUP with an edited config"
check "after the second HUP"

expect_no_alerts
porter_stop
done_testing
