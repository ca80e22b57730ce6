#!/bin/bash
# c020: the cache keeper killed mid-job. A 300,000-byte response with
# max-age=6 and stale-while-revalidate=300, which the backend sends over
# 4 s, is stored; once stale, a request is served the stale copy and the
# keeper (porter-keeper, not root when porter starts as root) starts its
# refresh. One second into that refresh's body the keeper is SIGKILLed:
# the master logs it and starts another within a few seconds; meanwhile
# clients still get the old copy, whole (the half-done fill never
# replaces it: it was the dead keeper's, released when it was reaped).
# The new keeper queues the job again and redoes it: one more backend
# request, after which the key is a hit with the new response, whole. No
# chunk leaked: the new keeper's audit gives nothing back, and once the
# key is invalidated (a POST) every chunk is free again.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"

cache_start
has_keeper() { [ -n "$(porter_keeper)" ]; }
expect_true "the cache keeper runs (porter-keeper)" wait_until 10 has_keeper
kp=$(porter_keeper)
expect_eq "$(porter_keeper | wc -l | tr -d ' ')" 1 "one keeper"
if [ "$(id -u)" -eq 0 ]; then
	expect_eq "$(ps -o user= -p "$kp" | tr -d ' ')" nobody \
	    "started as root, the keeper runs as nobody"
fi
total0=$(cache_stat chunks_total)
free0=$(cache_stat chunks_free)
expect_eq "$free0" "$total0" "an empty cache: every chunk free"

# max-age=6: a fill that takes 4 s is fresh for 2 s once complete
K="/cache/k?size=300000&seed=3&trickle=4&pieces=20&h=Cache-Control:max-age%3D6%2C%20stale-while-revalidate%3D300"
want=$(gen_range 3 300000 | sha256sum | cut -d' ' -f1)
creq a "$K"
need_cache_status "a slow 300,000-byte response"
expect_match "$R_CS" "$CS_MISS" "stored"
expect_eq "$(sha_of "$T/a.b")" "$want" "stored: the whole body"
sleep 3
creq b "$K"
expect_match "$R_CS" '^porter; fwd=stale; ttl=-[0-9]+; detail=stale-while-revalidate$' \
    "stale: served at once, a refresh queued"
expect_eq "$(sha_of "$T/b.b")" "$want" "stale: the whole stored body"
started() { [ "$(bpath /cache/k)" -ge 2 ]; }
expect_true "the keeper's refresh reaches the backend" wait_until 10 started
sleep 1
kill -KILL "$kp"
killed() { grep -q 'cache keeper killed by signal 9' "$(porter_log)"; }
expect_true "the master sees the keeper killed" wait_until 5 killed
creq c "$K"
expect_eq "$R_CODE" 200 "keeper dead: 200"
expect_match "$R_CS" '^porter; fwd=stale; ttl=-[0-9]+; detail=stale-while-revalidate$' \
    "keeper dead: still the stale copy (the job is not queued twice)"
expect_eq "$(sha_of "$T/c.b")" "$want" "keeper dead: the old copy, whole"
new_keeper() { local k; k=$(porter_keeper); [ -n "$k" ] && [ "$k" != "$kp" ]; }
expect_true "the master starts another keeper" wait_until 10 new_keeper
requeued() { grep -q 'cache keeper: started: 1 job its predecessor left running queued again' "$(porter_log)"; }
expect_true "the new keeper queues the job again" wait_until 5 requeued
redone() { [ "$(bpath /cache/k)" -ge 3 ]; }
expect_true "the refresh is redone" wait_until 10 redone
fresh() { creq d "$K"; [[ "$R_CS" =~ ^porter\;\ hit ]]; }
expect_true "after the redone refresh: a hit" wait_until 15 fresh
expect_eq "$R_FETCH" 3 "the hit is the redone refresh's response (X-Fetch 3)"
expect_eq "$(sha_of "$T/d.b")" "$want" "the new copy, whole"
expect_eq "$(bpath /cache/k)" 3 "three backend requests in all: fill, killed refresh, redone refresh"
expect_ge "$(cache_stat fills_aborted)" 1 "the killed keeper's fill was aborted"
expect_eq "$(cache_stat audit_reclaimed)" 0 "the new keeper's audit found no leaked chunk"
expect_eq "$(cache_stat jobs_queued)" 0 "no job queued"
expect_eq "$(cache_stat jobs_running)" 0 "no job running"
creq p "$K" -X POST --data x
expect_eq "$R_CODE" 200 "a POST to the key (invalidates it)"
all_free() { [ "$(cache_stat chunks_free)" = "$total0" ]; }
expect_true "every chunk free again" wait_until 5 all_free
expect_eq "$(cache_stat objects)" 0 "no object left"
expect_no_alerts
porter_stop
done_testing
