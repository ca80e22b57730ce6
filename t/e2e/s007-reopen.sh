#!/bin/bash
# s007: log rotation. The logs are moved aside, then USR1 (and later
# "porter -s reopen") makes the master reopen error_log and access_log by
# name and start new workers that inherit the new files: new lines land in
# the new files, and once the old workers are gone the moved files get
# nothing more.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

backend_start app
B=$BPORT
P=$(free_port)
U=http://127.0.0.1:$P
AL=$T/access.log EL=$T/error.log

porter_start <<EOF
log_level = "info";
access_log = "$AL";
workers = { start = 2; min_spare = 1; max_spare = 4; max = 8; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
EOF
master=$(porter_pid)
expect_true "2 workers at start" wait_workers 2 10

none_alive() { local p; for p in "$@"; do _alive "$p" && return 1; done; return 0; }
size() { stat -c %s "$1" 2>/dev/null || echo none; }
has() { grep -a -q -- "$2" "$1" 2>/dev/null; }
# a request without Host: porter answers 400 itself and a worker logs it
bad_request() { rawhttp -t 3 "$P" 'GET /'"$1"' HTTP/1.1\r\n\r\n' >/dev/null 2>&1; }

# rotate SUFFIX HOW...: move both logs to *.SUFFIX, run HOW, then check
rotate() {
	local sfx=$1 old tag s_al s_el
	shift
	tag=$sfx
	expect_eq "$(cu "$U/before-$tag")" app "before rotation $tag: a request"
	bad_request "bad-before-$tag"
	expect_true "before rotation $tag: its access line is in the access log" \
	    wait_until 3 has "$AL" "GET /before-$tag "
	expect_true "before rotation $tag: the worker's 400 is in the error log" \
	    wait_until 3 has "$EL" "400"
	old=$(porter_workers)
	mv "$AL" "$AL.$sfx"
	mv "$EL" "$EL.$sfx"
	"$@"
	expect_true "$tag: a new access log is created" wait_until 5 test -e "$AL"
	expect_true "$tag: a new error log is created" wait_until 5 test -e "$EL"
	# shellcheck disable=SC2086
	expect_true "$tag: the workers from before are gone" wait_until 10 none_alive $old
	expect_true "$tag: new workers run" wait_until 5 test -n "$(porter_workers)"
	s_al=$(size "$AL.$sfx") s_el=$(size "$EL.$sfx")
	expect_eq "$(cu "$U/after-$tag")" app "$tag: a request after the reopen"
	bad_request "bad-after-$tag"
	expect_true "$tag: its access line lands in the new access log" \
	    wait_until 3 has "$AL" "GET /after-$tag "
	expect_true "$tag: the worker's 400 lands in the new error log" \
	    wait_until 3 has "$EL" " 400 "
	sleep 0.5
	expect_true "$tag: the moved access log does not have it" eval '! has "$AL.$sfx" "after-$tag"'
	expect_eq "$(size "$AL.$sfx")" "$s_al" "$tag: the moved access log is not written to anymore"
	expect_eq "$(size "$EL.$sfx")" "$s_el" "$tag: the moved error log is not written to anymore"
	diag "$tag: new access log:" "$(cat "$AL")" "new error log:" "$(cat "$EL")"
}

rotate 1 kill -USR1 "$master"
reopen_cmd() {
	"$PORTER" -s reopen -c "$T/porter.conf" >"$T/s.out" 2>&1
	echo $? >"$T/s.rc"
}
rotate 2 reopen_cmd
expect_eq "$(cat "$T/s.rc")" 0 "porter -s reopen exits 0 ($(cat "$T/s.out"))"

expect_no_alerts
grep -a -h -E '\[alert\]' "$EL.1" "$EL.2" >"$T/old-alerts"
expect_eq "$(cat "$T/old-alerts")" "" "no alerts in the rotated error logs either"
s1=$(size "$EL.1") s2=$(size "$EL.2")
porter_stop
expect_true "the master's last words go to the newest error log" has "$EL" 'stopped'
expect_eq "$(size "$EL.1"):$(size "$EL.2")" "$s1:$s2" "nothing more reached the rotated error logs"
done_testing
