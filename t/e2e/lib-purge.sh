# lib-purge.sh: helpers for the purge tests (c021..c023, issue 14),
# sourced after lib.sh and lib-cache.sh. The listener's purge_allow names
# 127.0.0.2: allowed purges come from there (curl --interface).
#
#   purge NAME TARGET [CURL ARGS...]
#                         PURGE $U$TARGET from 127.0.0.2, as creq (R_CODE,
#                         R_HEAD, R_BODY); R_JOB: its Purge-Job (a job id)
#   job_json ID           the job's JSON from the status listener
#   job_state ID          its state (queued, running, done, dropped)
#   job_purged ID         its count
#   job_wait ID [SECS]    until the job is done or dropped (default 30 s);
#                         1 if it is not by then

purge() {
	local name=$1 target=$2
	shift 2
	creq "$name" "$target" -X PURGE --interface 127.0.0.2 "$@"
	R_JOB=$(hval Purge-Job "$R_HEAD")
}

job_json() {
	CURL_MAX_TIME=3 cu -H 'Connection: close' \
	    "http://127.0.0.1:$S/porter-status/jobs/$1" 2>/dev/null
}

_job_field() {	# ID FIELD
	job_json "$1" | "$PYTHON" -c '
import json, sys
try:
    print(json.load(sys.stdin)[sys.argv[1]])
except Exception:
    pass' "$2"
}
job_state() { _job_field "$1" state; }
job_purged() { _job_field "$1" purged; }
_job_over() { case $(job_state "$1") in done|dropped) return 0 ;; esac; return 1; }
job_wait() { wait_until "${2:-30}" _job_over "$1"; }
