#!/bin/bash
# c023: purges racing fills, and the other ways to purge (issue 14).
# A slow fill (the body trickles for 3 s) is purged mid-body, by URL and
# by tag, and one whose head has not come yet by tag: its own client and
# a collapsed reader still get the whole body, a request after the purge
# fetches anew, and the old fill never becomes a hit. Then "porter -s
# purge URL|prefix:PATH|tag:NAME" (and soft:...) against the running
# porter, with its exit status and words, and the status page's purge
# form: shown, acting for a form POST (303 back to the page) and refused
# for a cross-site Origin, like drain.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-cache.sh"
. "$E2E/lib-purge.sh"

CACHE_ROUTES='{ host = "*"; path = "/"; pool = "app"; cache = true; cache_default_ttl = 60; }'
CACHE_LISTENER='purge_allow = [ "127.0.0.2" ];'
cache_start

SIZE=200000
WANT=$(gen_range 0 "$SIZE" | sha256sum | cut -d' ' -f1)

bg_get() {	# NAME TARGET: GET in the background, its pid in BG_NAME
	cu --max-time 30 -D "$T/$1.h" -o "$T/$1.b" "$U$2" &
	track $!
	eval "BG_$1=$!"
}
bg_wait() {	# NAME: wait for it; R_BODY_SHA, R_CS of it
	local pid
	eval "pid=\$BG_$1"
	wait "$pid" 2>/dev/null
	R_BODY_SHA=$(sha_of "$T/$1.b")
	R_CS=$(hval Cache-Status "$(cat "$T/$1.h" 2>/dev/null)")
}
filling() {	# PATH: the backend has seen N requests to it
	[ "$(bpath "$1")" -ge "$2" ]
}

race() {	# LABEL PATH QUERY PURGE-ARGS...: a slow fill purged mid-body
	local label=$1 path=$2 q=$3 k0
	shift 3
	bg_get f1 "$path?$q"
	wait_until 10 filling "$path" 1
	sleep 0.5
	bg_get f2 "$path?$q"		# collapsed on the fill
	sleep 0.3
	purge p "$path?$q" "$@"
	case $R_CODE in
	202)	job_wait "$R_JOB" 30
		expect_eq "$(job_state "$R_JOB")" done "$label: the purge job is done"
		expect_eq "$(job_purged "$R_JOB")" 1 "$label: it purged the fill" ;;
	*)	expect_eq "$R_CODE" 200 "$label: the purge found the fill (200)" ;;
	esac
	k0=$(bpath "$path")
	bg_get f3 "$path?$q"		# after the purge: a new fetch
	bg_wait f1
	expect_eq "$R_BODY_SHA" "$WANT" "$label: the filler's client got the whole body"
	f1=$(hval X-Fetch "$(cat "$T/f1.h")")
	bg_wait f2
	expect_eq "$R_BODY_SHA" "$WANT" "$label: the collapsed client got the whole body"
	expect_match "$R_CS" "$CS_COLLAPSED" "$label: ... collapsed on the fill"
	bg_wait f3
	expect_eq "$R_BODY_SHA" "$WANT" "$label: the client after the purge got the whole body"
	expect_match "$R_CS" "$CS_MISS" "$label: the request after the purge was a miss"
	f3=$(hval X-Fetch "$(cat "$T/f3.h")")
	expect_eq "$(bpath "$path")" $((k0 + 1)) "$label: ... fetched anew"
	creq h "$path?$q"
	expect_match "$R_CS" "$CS_HIT" "$label: then a hit"
	expect_eq "$R_FETCH" "$f3" "$label: ... of the new fetch"
	expect_ne "$R_FETCH" "$f1" "$label: ... never of the purged fill"
}

creq a "/cache/warm"
need_cache_status "default ttl"

race "by URL" /cache/r1 "size=$SIZE&trickle=3&h=Cache-Control:max-age%3D60"
race "by tag" /cache/r2 "size=$SIZE&trickle=3&h=Surrogate-Key:racetag" -H 'Purge-Tag: racetag'
race "by prefix" /cache/r3/x "size=$SIZE&trickle=3" -H 'Purge-Prefix: /cache/r3/'
race "by tag, before the head" /cache/r4 "size=$SIZE&delay=2&trickle=1&h=Cache-Tag:headless" -H 'Purge-Tag: headless'

# ---- porter -s purge ------------------------------------------------------
cli() {	# ARGS...: R_OUT (stdout and stderr), R_RC
	R_OUT=$("$PORTER" -c "$T/porter.conf" -s purge "$@" 2>&1)
	R_RC=$?
}
creq c /cache/cli/a
creq c /cache/cli/a
expect_match "$R_CS" "$CS_HIT" "cli/a stored"
cli "$U/cache/cli/a"
expect_eq "$R_RC" 0 "-s purge URL: exit 0"
expect_match "$R_OUT" '^porter: purged 1$' "-s purge URL: says purged 1"
creq c /cache/cli/a
expect_match "$R_CS" "$CS_MISS" "-s purge URL: gone"
cli "$U/cache/cli/nothing"
expect_eq "$R_RC" 1 "-s purge of a URL not cached: exit 1"
expect_match "$R_OUT" 'nothing cached under' "... and says so"
creq c /cache/cli/a
cli "soft:$U/cache/cli/a"
expect_eq "$R_RC" 0 "-s purge soft:URL: exit 0"
expect_match "$R_OUT" 'purged 1 \(soft\)' "... says soft"
creq c /cache/cli/a -H 'Cache-Control: max-stale=600'
expect_match "$R_CS" '^porter; hit; ttl=(0|-[0-9]+)$' "soft: a stale hit"
creq c /cache/cli/b
creq c "/cache/cli/c?h=Surrogate-Key:clitag"
cli prefix:/cache/cli/
expect_eq "$R_RC" 0 "-s purge prefix:PATH: exit 0"
expect_match "$R_OUT" '^porter: purged 3 \(job [0-9]+\)$' "... says how many and the job ($R_OUT)"
creq c "/cache/cli/c?h=Surrogate-Key:clitag"
expect_match "$R_CS" "$CS_MISS" "prefix: gone"
cli tag:clitag
expect_eq "$R_RC" 0 "-s purge tag:NAME: exit 0"
expect_match "$R_OUT" '^porter: purged 1 \(job [0-9]+\)$' "... purged 1 ($R_OUT)"
cli bogus
expect_eq "$R_RC" 1 "-s purge bogus: exit 1"
expect_match "$R_OUT" 'neither a URL' "... and why"
R_OUT=$("$PORTER" -c "$T/porter.conf" -s purge 2>&1)
expect_ne "$?" 0 "-s purge without what: usage, not 0"

# ---- the status page's form -------------------------------------------------
SP="http://127.0.0.1:$S/porter-status"
page=$(CURL_MAX_TIME=5 cu -H 'Accept: text/html' "$SP")
expect_match "$page" '<form method="post" action="/porter-status/purge">' "the page has the purge form"
expect_match "$page" 'name="url"' "... a URL field"
expect_match "$page" 'name="tag"' "... a tag field"
creq c /cache/form
creq c /cache/form
expect_match "$R_CS" "$CS_HIT" "form target stored"
code=$(CURL_MAX_TIME=5 cu -o /dev/null -w '%{http_code}' -H 'Accept: text/html' \
    -H 'Origin: http://evil.example' --data-urlencode "url=$U/cache/form" "$SP/purge")
expect_eq "$code" 403 "a cross-site form POST (Origin elsewhere): 403"
creq c /cache/form
expect_match "$R_CS" "$CS_HIT" "... nothing purged"
code=$(CURL_MAX_TIME=5 cu -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Accept: text/html' \
    -H "Origin: http://127.0.0.1:$S" --data-urlencode "url=$U/cache/form" -d 'prefix=' -d 'tag=' "$SP/purge")
expect_match "$code" "^303 http://127.0.0.1:$S/porter-status\$" "the form's POST (same Origin): 303 back to the page"
creq c /cache/form
expect_match "$R_CS" "$CS_MISS" "... and the URL is purged"
code=$(CURL_MAX_TIME=5 cu -o /dev/null -w '%{http_code}' "$SP/purge?url=$(enc "$U/cache/form")")
expect_eq "$code" 405 "GET of the purge action: 405"
code=$(CURL_MAX_TIME=5 cu -o /dev/null -w '%{http_code}' -X POST "$SP/purge?url=nohost")
expect_eq "$code" 400 "a purge of a URL that is not one: 400"

expect_no_alerts
done_testing
