# lib-status.sh: helpers for the HTML status page tests (s015, s016), on
# top of lib.sh.
#     . "${srcdir:-$(dirname "$0")/../..}/t/e2e/lib.sh"
#     . "$E2E/lib-status.sh"
#
#   ACCEPT_BROWSER            the Accept field Chromium sends for a page
#   html_check FILE           htmlcheck.py FILE > FILE.json (see its
#                             docstring: parse errors, tables, values,
#                             forms ...); false if it could not run
#   hq JSONFILE EXPR          EXPR (python) over d, the JSON in JSONFILE;
#                             prints a string as is, anything else as JSON
#   sj URL EXPR               the same over the JSON that URL answers
#   browse NAME STEP...       t/e2e/cdp.py with a profile of its own
#                             ($T/chrome-NAME), stdout into $T/NAME.out
#                             ("KEY<TAB>JSON" per eval step), stderr into
#                             $T/NAME.err; its exit status (bounded: 120 s)
#   bval NAME KEY             the value of eval step KEY in $T/NAME.out, as
#                             hq prints it
#   browse_clean NAME         true when NAME's run printed no exception, no
#                             dialog and no Content-Security-Policy report

ACCEPT_BROWSER='text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7'

html_check() {
	"$PYTHON" "$E2E/htmlcheck.py" "$1" >"$1.json"
}

_pyeval() {	# EXPR, the JSON on stdin
	"$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
v = eval(sys.argv[1])
print(v if isinstance(v, str) else json.dumps(v, sort_keys=True))' "$1"
}

hq() { _pyeval "$2" <"$1"; }

sj() { cu "$1" | _pyeval "$2"; }

browse() {
	local name=$1
	shift
	timeout -k 5 120 "$PYTHON" "$E2E/cdp.py" --profile "$T/chrome-$name" \
	    --log "$T/chrome-$name.log" "$@" >"$T/$name.out" 2>"$T/$name.err"
}

bval() {
	awk -F '\t' -v k="$2" '$1 == k { print $2; exit }' "$T/$1.out" |
	    _pyeval d
}

browse_clean() {
	grep -q '^exceptions: 0$' "$T/$1.err" &&
	    grep -q '^dialogs: 0$' "$T/$1.err" &&
	    ! grep -qi 'content security policy' "$T/$1.err"
}
