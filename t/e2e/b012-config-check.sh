#!/bin/bash
# b012: porter -t checks a config: 0 and "configuration OK" for a good one;
# 1 and "FILE:LINE: message" on stderr for a syntax error, an unknown
# setting, a route naming an unknown pool, min_spare > max_spare, a missing
# file. porter -v prints a version.
. "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"

P=$(free_port)
Q=$(free_port)

check() {	# FILE: run porter -t, set rc, out, err
	"$PORTER" -t -c "$1" >"$T/t.out" 2>"$T/t.err"
	rc=$?
	out=$(cat "$T/t.out")
	err=$(cat "$T/t.err")
}

# line numbers matter below: one setting a line
cat >"$T/good.conf" <<EOF
pid_file = "$T/good.pid";
error_log = "stderr";
access_log = "off";
log_level = "info";
workers = { start = 2; min_spare = 1; max_spare = 2; max = 4; max_requests = 0; };
timeouts = { client_header = 10.0; client_body = 30.0; keepalive = 5.0; connect = 3.0; upstream = 60.0; tunnel_idle = 300.0; };
limits = { max_header_size = 16384; max_uri_size = 8192; max_body_size = 0; };
upstream_keepalive = 4;
listeners = (
  { listen = "127.0.0.1:$P"; mode = "reverse";
    routes = ( { host = "*"; path = "/"; pool = "app"; },
               { host = "*.example"; path = "/api"; pool = "app"; } ); }
);
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$Q"; }, { address = "127.0.0.1:1"; } ); } );
EOF
check "$T/good.conf"
expect_eq "$rc" 0 "good config: exit 0"
expect_match "$out" 'configuration OK' "good config: 'configuration OK' on stdout"
port_closed() { ! _port_open "$1"; }
expect_true "good config: -t does not start a listener" port_closed "$P"
expect_true "good config: -t does not write the pid file" test ! -e "$T/good.pid"

bad() {	# NAME LINE DESC  (config on stdin)
	cat >"$T/$1.conf"
	check "$T/$1.conf"
	expect_eq "$rc" 1 "$3: exit 1"
	expect_match "$err" "(^|[[:space:]])$T/$1\\.conf:$2: [^ ]" "$3: '$T/$1.conf:$2: message' on stderr"
	expect_nomatch "$out" 'configuration OK' "$3: no 'configuration OK'"
}

bad syntax 3 "syntax error on line 3" <<EOF
pid_file = "$T/x.pid";
error_log = "stderr";
workers = { start = 2; min_spare = ; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse"; routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$Q"; } ); } );
EOF

bad unknown 3 "unknown setting on line 3" <<EOF
pid_file = "$T/x.pid";
error_log = "stderr";
no_such_setting = 1;
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse"; routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$Q"; } ); } );
EOF

bad nopool 4 "route naming an unknown pool on line 4" <<EOF
pid_file = "$T/x.pid";
error_log = "stderr";
listeners = (
  { listen = "127.0.0.1:$P"; mode = "reverse"; routes = ( { host = "*"; path = "/"; pool = "nope"; } ); }
);
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$Q"; } ); } );
EOF

bad spares 3 "min_spare > max_spare on line 3" <<EOF
pid_file = "$T/x.pid";
error_log = "stderr";
workers = { start = 2; min_spare = 5; max_spare = 2; max = 8; max_requests = 0; };
listeners = ( { listen = "127.0.0.1:$P"; mode = "reverse"; routes = ( { host = "*"; path = "/"; pool = "app"; } ); } );
pools = ( { name = "app"; servers = ( { address = "127.0.0.1:$Q"; } ); } );
EOF

check "$T/missing.conf"
expect_eq "$rc" 1 "missing file: exit 1"
expect_match "$err" "$T/missing\\.conf" "missing file: stderr names the file"

"$PORTER" -v >"$T/v.out" 2>&1
rc=$?
expect_eq "$rc" 0 "porter -v: exit 0"
expect_match "$(cat "$T/v.out")" '[Pp]orter.*[0-9]+\.[0-9]+' "porter -v: prints 'porter' and a version number"

done_testing
