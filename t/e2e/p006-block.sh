#!/bin/bash
# p006: where the forward proxy refuses to go. block_hosts ("name" exactly,
# ".name" for it and every name below, for requests and CONNECTs),
# block_urls (EREs on the full URL, any case), block_file (host patterns,
# "~ REGEX" URL patterns, '#' comments; read again on SIGHUP) and
# allow_hosts (only those). Each refusal is a 403 whose page names porter
# and the rule that matched; a name next to a blocked one is not refused;
# the backend sees none of the refused requests.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
. "$E2E/lib-fwd.sh"

backend_start app
B=$BPORT
cat >"$T/block.txt" <<EOF
# porter block file: a comment
filehost.invalid
.filezone.invalid

~ /fromfile[0-9]
EOF
PB=$(free_port)		# block_hosts, block_urls, block_file
PL=$(free_port)		# block_hosts = [ "localhost" ]
PH=$(free_port)		# allow_hosts = [ "localhost" ]
# (regexes use [.] rather than \. : one escape level less in libconfig)
porter_start <<EOF
access_log = "$T/access.log";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 2; max_requests = 0; };
listeners = (
  { listen = "127.0.0.1:$PB"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $B ];
    block_hosts = [ "blocked.invalid", ".evil.invalid" ];
    block_urls = [ "/secret[0-9]+", "[.]exe\$", "[?&]ad=1(&|\$)", "^http://localhost:[0-9]+/by-url" ];
    block_file = "$T/block.txt"; },
  { listen = "127.0.0.1:$PL"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $B ]; block_hosts = [ "localhost" ]; },
  { listen = "127.0.0.1:$PH"; mode = "forward"; allow = [ "127.0.0.0/8" ];
    deny_private = false; connect_ports = [ $B ]; allow_hosts = [ "localhost" ]; } );
EOF
U=http://127.0.0.1:$B

# refused DESC PORT URL RULE-ERE: 403, and a page naming porter and the rule
refused() {
	local desc=$1 p=$2 url=$3 rule=$4 code page
	code=$(pcu "$p" -o "$T/page" -w '%{http_code}' "$url")
	page=$(cat "$T/page" 2>/dev/null)
	expect_eq "$code" 403 "$desc: 403"
	if [[ $page =~ [Pp]orter ]] && [[ $page =~ $rule ]]; then
		ok "$desc: the page names porter and the rule"
	else
		not_ok "$desc: the page names porter and the rule" \
		    "expected /[Pp]orter/ and /$rule/ in:" "$page"
	fi
}
# passes DESC PORT URL CODE: not refused; CODE (200, or 502 for a name
# that does not resolve: porter tried to fetch it)
passes() {
	expect_eq "$(pcu "$2" -o /dev/null -w '%{http_code}' "$3")" "$4" "$1: $4"
}
connect_status() {	# PORT HOST:PORT
	pcu "$1" -k -o /dev/null -w '%{http_connect}' "https://$2/" 2>/dev/null
}

# ---- block_hosts ----
refused "block_hosts exact name" "$PB" "http://blocked.invalid/refused" 'blocked[.]invalid'
passes "a name below an exact entry is not blocked" "$PB" "http://www.blocked.invalid/" 502
refused "block_hosts .evil.invalid: the name itself" "$PB" "http://evil.invalid/refused" 'evil[.]invalid'
refused "block_hosts .evil.invalid: a name below it" "$PB" "http://www.evil.invalid/refused" 'evil[.]invalid'
refused "block_hosts .evil.invalid: two levels below" "$PB" "http://a.b.evil.invalid:8080/refused" 'evil[.]invalid'
passes "notevil.invalid is not below .evil.invalid" "$PB" "http://notevil.invalid/" 502
refused "block_hosts localhost" "$PL" "http://localhost:$B/refused-host" 'localhost'
passes "block_hosts localhost: 127.0.0.1 (another name) passes" "$PL" "$U/ok-other-name" 200
expect_eq "$(connect_status "$PL" "localhost:$B")" 403 "block_hosts localhost: CONNECT localhost:$B -> 403"
expect_eq "$(connect_status "$PB" "www.evil.invalid:$B")" 403 "block_hosts .evil.invalid: CONNECT -> 403"

# ---- block_urls ----
refused "block_urls /secret[0-9]+" "$PB" "$U/secret42-refused" 'secret\[0-9\]\+'
refused "block_urls is case-insensitive" "$PB" "$U/SECRET7-refused" 'secret\[0-9\]\+'
passes "/secretx does not match /secret[0-9]+" "$PB" "$U/secretx" 200
refused "block_urls [.]exe\$" "$PB" "$U/refused/setup.exe" 'exe'
passes "/setup.exe.txt does not match [.]exe\$" "$PB" "$U/setup.exe.txt" 200
refused "block_urls on the query" "$PB" "$U/refused-page?x=2&ad=1" 'ad=1'
passes "a query without ad=1" "$PB" "$U/page?x=2&ad=10" 200
refused "block_urls on the full URL (scheme and host)" "$PB" "http://localhost:$B/by-url-refused" 'http://localhost'
passes "the same path on another host" "$PB" "$U/by-url-ok" 200

# ---- block_file ----
refused "block_file host" "$PB" "http://filehost.invalid/refused" 'filehost[.]invalid'
refused "block_file .zone host" "$PB" "http://a.filezone.invalid/refused" 'filezone[.]invalid'
refused "block_file ~ URL regex" "$PB" "$U/fromfile1-refused" 'fromfile'
passes "block_file regex: /fromfilex passes" "$PB" "$U/fromfilex" 200

# edit the file and reload: the new patterns apply, the removed ones not
cat >"$T/block.txt" <<EOF
# edited
~ /added-later
.filezone.invalid
EOF
kill -HUP "$(porter_pid)"
expect_true "reload logged" wait_until 10 grep -q 'reloaded: generation 2' "$(porter_log)"
reloaded() {	# (the probes before the reload reach the backend: no "refused")
	[ "$(pcu "$PB" -o /dev/null -w '%{http_code}' "$U/added-later-probe")" = 403 ]
}
expect_true "after SIGHUP, block_file's new regex applies (within 10 s)" wait_until 10 reloaded
refused "after SIGHUP, block_file's new regex" "$PB" "$U/added-later-refused" 'added-later'
passes "after SIGHUP, a removed regex no longer applies" "$PB" "$U/fromfile2" 200
passes "after SIGHUP, a removed host no longer applies" "$PB" "http://filehost.invalid/" 502
refused "after SIGHUP, a kept host still applies" "$PB" "http://b.filezone.invalid/refused" 'filezone'

# ---- allow_hosts ----
passes "allow_hosts localhost: localhost passes" "$PH" "http://localhost:$B/allowed-host" 200
refused "allow_hosts localhost: 127.0.0.1 is not listed" "$PH" "$U/refused-allow-hosts" 'allow_hosts|not (in|listed)'
refused "allow_hosts: another name" "$PH" "http://elsewhere.invalid/refused" 'allow_hosts|not (in|listed)'
expect_eq "$(connect_status "$PH" "localhost:$B")" 200 "allow_hosts: CONNECT localhost:$B -> 200"
expect_eq "$(connect_status "$PH" "127.0.0.1:$B")" 403 "allow_hosts: CONNECT 127.0.0.1:$B -> 403"

# ---- the backend saw none of the refused requests ----
BL=$(backend_log app)
expect_eq "$(grep -c -i 'refused' "$BL")" 0 "the backend received none of the refused requests"
expect_match "$(grep -c ' 403 ' "$T/access.log" 2>/dev/null)" '^[1-9][0-9]+$' "the refusals are in the access log"

expect_no_alerts
porter_stop
done_testing
