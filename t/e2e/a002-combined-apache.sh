#!/bin/bash
# a002: access_log_format = "combined" writes what Apache writes. Debian's
# apache2 (package apache2-bin) runs by hand here (/usr/sbin/apache2 -X
# with a config in $T, LogFormat "%h %l %u %t \"%r\" %>s %b
# \"%{Referer}i\" \"%{User-agent}i\"" combined) and gets the very bytes
# porter gets:
# plain requests, HTTP/1.0, quotes and backslashes in the target, tabs
# and bytes >= 0x80 in fields, repeated and empty fields, heads both
# refuse with 400 (a control byte in the target or a field, garbage), a
# target porter refuses and Apache serves. The lines must be the same
# but for the time and the status and size (Apache has no backend here).
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

APACHE=/usr/sbin/apache2
if [ ! -x "$APACHE" ]; then
	echo "Bail out! this test needs Debian's apache2-bin ($APACHE): ./quickstart test installs it"
	exit 1
fi
backend_start b1
B=$BPORT
P=$(free_port)
AP=$(free_port)
porter_start <<EOF
workers = { count = 2; };
access_log = "$T/porter.log";
access_log_format = "combined";
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$B"; } ); } );
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse";
                routes = ( { pool = "app"; } ); } );
EOF

mkdir -p "$T/apache/docs"
echo hello >"$T/apache/docs/index.html"
cat >"$T/apache/httpd.conf" <<EOF
ServerRoot $T/apache
LoadModule mpm_prefork_module /usr/lib/apache2/modules/mod_mpm_prefork.so
LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so
Listen 127.0.0.1:$AP
ServerName localhost
User nobody
Group nogroup
PidFile $T/apache/httpd.pid
Mutex file:$T/apache default
ErrorLog $T/apache/error.log
DocumentRoot $T/apache/docs
LogFormat "%h %l %u %t \"%r\" %>s %b \"%{Referer}i\" \"%{User-agent}i\"" combined
CustomLog $T/apache.log combined
EOF
"$APACHE" -X -f "$T/apache/httpd.conf" >"$T/apache/out" 2>&1 &
APID=$!
track "$APID"
if wait_until 10 _port_open "$AP"; then
	ok "apache2 started by hand on 127.0.0.1:$AP"
else
	not_ok "apache2 started by hand on 127.0.0.1:$AP" "$(cat "$T/apache/out" "$T/apache/error.log" 2>/dev/null)"
	done_testing
fi

# Each request: printf text, sent as one write to both; the status each gave.
REQS=(
	'GET /index.html?a=b&c=%%41 HTTP/1.1\r\nHost: h\r\nUser-Agent: curl/8.0\r\nAccept: */*\r\nConnection: close\r\n\r\n'
	'GET /ten HTTP/1.0\r\nUser-Agent: old/1.0\r\nReferer: http://example.com/from?x=1\r\n\r\n'
	'GET /w"e\\i?q="x\\y" HTTP/1.1\r\nHost: h\r\nReferer: http://r/"\\\r\nUser-Agent: q"uo\\te\ttab\x80\xff\xc3\xa9\xc0\xaf\xed\xa0\x80 end\r\nConnection: close\r\n\r\n'
	'GET /dup HTTP/1.1\r\nHost: h\r\nReferer: r1\r\nUser-Agent: a\r\nreferer: r2\r\nuser-agent: b\r\nConnection: close\r\n\r\n'
	'GET /empty HTTP/1.1\r\nHost: h\r\nReferer:\r\nUser-Agent: \r\nConnection: close\r\n\r\n'
	'POST /form HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nUser-Agent: {"json": "ua"}\r\nConnection: close\r\n\r\nabc'
	'GET /c\x01tl HTTP/1.1\r\nHost: h\r\n\r\n'
	'GET /ua HTTP/1.1\r\nHost: h\r\nUser-Agent: a\x01b\r\n\r\n'
	'GARBAGE\r\n\r\n'
	'GET /\xc3\xa9t\xe9 HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n'
)
i=0
for r in "${REQS[@]}"; do
	# shellcheck disable=SC2059
	printf "$r" >"$T/req$i"
	sp=$(rawhttp "$P" <"$T/req$i" | head -n 1 | cut -d' ' -f2)
	sa=$(rawhttp "$AP" <"$T/req$i" | head -n 1 | cut -d' ' -f2)
	diag "request $i: porter $sp, apache $sa"
	i=$((i + 1))
done
nlines() { if [ -f "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }
both_logged() { [ "$(nlines "$T/porter.log")" -ge "$i" ] && [ "$(nlines "$T/apache.log")" -ge "$i" ]; }
wait_until 5 both_logged
expect_eq "$(nlines "$T/porter.log") $(nlines "$T/apache.log")" "$i $i" "a line per request in each log"

# time, status and size aside; the rest byte for byte
mask() {
	"$PYTHON" -c '
import re, sys
for raw in open(sys.argv[1], "rb"):
    l = re.sub(rb"^(\S+ \S+ \S+ )\[[^]]*\]", rb"\1[T]", raw)
    l = re.sub(rb"\" [0-9]{3} ([0-9]+|-) \"", b"\" S B \"", l)
    sys.stdout.buffer.write(l)' "$1"
}
mask "$T/porter.log" >"$T/porter.masked"
mask "$T/apache.log" >"$T/apache.masked"
j=0
while [ $j -lt $i ]; do
	pl=$(sed -n "$((j + 1))p" "$T/porter.masked")
	al=$(sed -n "$((j + 1))p" "$T/apache.masked")
	expect_eq "$pl" "$al" "request $j: porter's combined line is Apache's"
	j=$((j + 1))
done
expect_match "$(sed -n 3p "$T/porter.masked")" '\\"x\\\\y\\" HTTP/1\.1" S B "http://r/\\"\\\\" "q\\"uo\\\\te\\ttab\\x80\\xff' \
    "(the odd request's line has the escapes in it)"
expect_eq "$(sed -n 5p "$T/porter.masked" | sed 's/.*" S B //')" '"" ""' \
    "(empty fields are \"\", absent ones \"-\")"

kill -TERM "$APID" 2>/dev/null
wait "$APID" 2>/dev/null
porter_stop
expect_no_alerts
done_testing
