#!/bin/bash
# c022: purge by prefix and by tag (issue 14), jobs for the cache keeper.
# PURGE with Purge-Prefix: /cache/img/ answers 202 at once with a job id
# (Purge-Job, and in the body); the job's state is on the status listener
# (GET /porter-status/jobs/ID) and through PURGE with Purge-Job: ID; once
# done, this Host's /cache/img/* are gone (query forms too) while
# /cache/css/* and another Host's /cache/img/* stay. Responses carrying
# Surrogate-Key or Cache-Tag (space- or comma-separated) are indexed by
# each tag and the headers never reach the client, missed or hit. A tag
# purge removes exactly the objects carrying the tag, whichever header
# named it; a soft one leaves them stale. Bad values are 400; clients
# not in purge_allow 403; an unknown job 404.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"
. "$E2E/lib-purge.sh"

CACHE_ROUTES='{ host = "*"; path = "/"; pool = "app"; cache = true; cache_default_ttl = 60; }'
CACHE_LISTENER='purge_allow = [ "127.0.0.2" ];'
cache_start

stored() {	# LABEL TARGET [CURL ARGS...]: a miss that stores, then a hit
	local label=$1 target=$2
	shift 2
	creq s1 "$target" "$@"
	expect_match "$R_CS" "$CS_MISS" "$label: stored"
	creq s2 "$target" "$@"
	expect_match "$R_CS" "$CS_HIT" "$label: then a hit"
}
hit() {	# LABEL TARGET [CURL ARGS...]
	local label=$1 target=$2
	shift 2
	creq h "$target" "$@"
	expect_match "$R_CS" "$CS_HIT" "$label"
}
gone() {	# LABEL TARGET [CURL ARGS...]
	local label=$1 target=$2
	shift 2
	creq g "$target" "$@"
	expect_match "$R_CS" "$CS_MISS" "$label"
}

creq a /cache/img/a
need_cache_status "default ttl"
creq a /cache/img/a
stored "img/b?x=1" "/cache/img/b?x=1"
stored "css/c" /cache/css/c
stored "another host's img/d" /cache/img/d -H 'Host: other.example'
stored "img (no slash)" /cache/img

# prefix: 403 for others, 400 for what is not a path
creq p / -X PURGE -H 'Purge-Prefix: /cache/img/'
expect_eq "$R_CODE" 403 "prefix purge from 127.0.0.1: 403"
purge p / -H 'Purge-Prefix: cache/img'
expect_eq "$R_CODE" 400 "Purge-Prefix without a leading /: 400"
hit "after the refused purges: img/a still a hit" /cache/img/a

t0=$(now)
purge p / -H 'Purge-Prefix: /cache/img/'
expect_eq "$R_CODE" 202 "prefix purge: 202"
expect_le "$(since "$t0")" 2 "the 202 comes at once"
expect_match "$R_JOB" '^[0-9]+$' "Purge-Job names the job ($R_JOB)"
expect_match "$R_BODY" "\"job\":$R_JOB" "the body names it too"
expect_match "$R_BODY" '"kind":"purge_prefix"' "a prefix job"
J=$R_JOB
if job_wait "$J" 30; then
	ok "prefix job done ($(job_state "$J"))"
else
	not_ok "prefix job done" "state: $(job_state "$J")" "$(job_json "$J")"
fi
expect_eq "$(job_state "$J")" done "the job's state: done"
expect_eq "$(job_purged "$J")" 2 "the job purged 2 objects"
purge pj / -H "Purge-Job: $J"
expect_eq "$R_CODE" 200 "PURGE with Purge-Job: 200"
expect_match "$R_BODY" '"state":"done"' "Purge-Job: the same state"
gone "img/a: gone" /cache/img/a
gone "img/b?x=1: gone" "/cache/img/b?x=1"
hit "css/c: kept" /cache/css/c
hit "another host's img/d: kept" /cache/img/d -H 'Host: other.example'
hit "/cache/img (not under /cache/img/): kept" /cache/img

# an unknown job
purge pj / -H 'Purge-Job: 987654'
expect_eq "$R_CODE" 404 "an unknown job: 404"
expect_eq "$(CURL_MAX_TIME=3 cu -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S/porter-status/jobs/987654")" 404 "status: an unknown job: 404"

# tags: space- and comma-separated, either header, stripped on every answer
T1="/cache/t1?h=Surrogate-Key:news%20sport"
T2="/cache/t2?h=Cache-Tag:sport,local"
T3="/cache/t3?h=Surrogate-Key:weather"
T4="/cache/t4?h=Cache-Tag:news"
T5="/cache/t5?h=Surrogate-Key:%20sports%20,%20sport-x"
for t in "$T1" "$T2" "$T3" "$T4" "$T5"; do
	creq m "$t"
	expect_match "$R_CS" "$CS_MISS" "${t%%\?*}: stored"
	expect_eq "$(hcount Surrogate-Key "$R_HEAD")$(hcount Cache-Tag "$R_HEAD")" 00 "${t%%\?*}: no tag header on the miss"
	creq m "$t"
	expect_match "$R_CS" "$CS_HIT" "${t%%\?*}: a hit"
	expect_eq "$(hcount Surrogate-Key "$R_HEAD")$(hcount Cache-Tag "$R_HEAD")" 00 "${t%%\?*}: no tag header on the hit"
done
# and on a response that is not stored
creq n "/cache/ns?h=Cache-Control:no-store&h=Surrogate-Key:x&h=Cache-Tag:y"
expect_eq "$(hcount Surrogate-Key "$R_HEAD")$(hcount Cache-Tag "$R_HEAD")" 00 "not stored: no tag header either"

purge p / -H 'Purge-Tag: two words'
expect_eq "$R_CODE" 400 "Purge-Tag with a space: 400"
purge p / -H 'Purge-Tag: sport'
expect_eq "$R_CODE" 202 "tag purge: 202"
expect_match "$R_BODY" '"kind":"purge_tag"' "a tag job"
J=$R_JOB
job_wait "$J" 30
expect_eq "$(job_state "$J")" done "tag job done"
expect_eq "$(job_purged "$J")" 2 "tag sport: 2 objects"
gone "t1 (Surrogate-Key: news sport): gone" "$T1"
gone "t2 (Cache-Tag: sport,local): gone" "$T2"
hit "t3 (weather): kept" "$T3"
hit "t4 (news): kept" "$T4"
hit "t5 (sports, sport-x: not sport): kept" "$T5"

# soft tag purge: stale, served to a client that accepts stale
purge p / -H 'Purge-Tag: news' -H 'Purge-Method: soft'
expect_eq "$R_CODE" 202 "soft tag purge: 202"
expect_match "$R_BODY" '"soft":true' "the job is soft"
J=$R_JOB
job_wait "$J" 30
expect_eq "$(job_purged "$J")" 2 "tag news (soft): 2 objects (t1 again, t4)"
n4=$(bpath /cache/t4)
creq s "$T4" -H 'Cache-Control: max-stale=600'
expect_match "$R_CS" '^porter; hit; ttl=(0|-[0-9]+)$' "t4 after a soft purge, max-stale: a stale hit"
expect_eq "$(bpath /cache/t4)" "$n4" "the stale hit: no backend request"
creq s "$T4"
expect_match "$R_CS" "$CS_STALE_OR_MISS" "t4 after a soft purge: fetched again"
hit "t3 (weather): still kept" "$T3"

# the status listener: the same jobs (POST purge?tag=)
R=$(CURL_MAX_TIME=5 cu -X POST -w '\n%{http_code}' "http://127.0.0.1:$S/porter-status/purge?tag=weather")
expect_eq "$(tail -n 1 <<<"$R")" 202 "status listener: POST purge?tag=weather: 202"
J=$(sed -n 's/.*"job":\([0-9]*\).*/\1/p' <<<"$R" | head -n 1)
job_wait "$J" 30
expect_eq "$(job_purged "$J")" 1 "status listener tag job: 1 object"
gone "t3: gone" "$T3"
expect_ge "$(cache_stat purges)" 4 "purges counted"

expect_no_alerts
done_testing
