#!/bin/sh
# Drives the mica binary the way a user does. Usage: cli.sh path/to/mica
# Each case: expected exit code, expected stdout (exact) and a fragment
# that stderr must contain. JS fixtures live in tests/js/.
set -u
MICA=${1:-build/mica}
J=tests/js
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0

if ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
	if [ "${MICA_SKIP_KVM_TESTS:-}" = 1 ]; then
		echo "skip - /dev/kvm unavailable and MICA_SKIP_KVM_TESTS=1"
		echo "0 passed, 0 failed, 1 skipped"
		exit 0
	fi
	echo "FAIL - /dev/kvm cannot be opened (set MICA_SKIP_KVM_TESTS=1 to skip)"
	echo "0 passed, 1 failed"
	exit 1
fi

# check NAME CODE STDOUT STDERR_FRAGMENT -- ARGS... (stdin from $STDIN if set)
check() {
	name=$1 code=$2 out=$3 err=$4
	shift 5
	"$MICA" "$@" <"${STDIN:-/dev/null}" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	why=""
	[ "$rc" = "$code" ] || why="exit $rc, want $code"
	printf '%s' "$out" >"$tmp/want"
	[ -z "$why" ] && ! cmp -s "$tmp/out" "$tmp/want" && why="stdout differs"
	[ -z "$why" ] && [ -n "$err" ] && ! grep -qF -- "$err" "$tmp/err" && why="stderr lacks '$err'"
	if [ -z "$why" ]; then
		pass=$((pass + 1))
		echo "ok - $name"
	else
		fail=$((fail + 1))
		echo "FAIL - $name: $why"
		echo "  stdout: $(head -c 600 "$tmp/out")"
		echo "  stderr: $(head -c 600 "$tmp/err")"
	fi
}

nl='
'
# ---- run: modules, console, handlers
check "console streams and formatting" 0 "$(cat $J/console.out)$nl" "to stderr" -- run $J/console.js
check "modules and top-level await" 0 "ready 42$nl" "" -- run $J/tla.js
check "handler with event" 0 "{\"message\":\"hello, mica\",\"n\":4}$nl" "" -- \
	run $J/handlers.js --handler greet --event '{"name":"mica"}'
check "options before the file" 0 "{\"message\":\"hello, x\",\"n\":1}$nl" "" -- \
	--timeout 5000 run --handler greet --event '{"name":"x"}' $J/handlers.js
check "async handler is awaited" 0 "[1,2,3]$nl" "" -- run $J/handlers.js --handler later --event '[1,2,3]'
check "undefined result prints null" 0 "null$nl" "" -- run $J/handlers.js --handler nothing
check "global function handler" 0 "\"global ok\"$nl" "" -- run $J/handlers.js --handler globalOne
echo '{"name":"file"}' >"$tmp/ev.json"
check "event from a file" 0 "{\"message\":\"hello, file\",\"n\":4}$nl" "" -- \
	run $J/handlers.js --handler greet --event-file "$tmp/ev.json"
STDIN="$tmp/ev.json" check "event from stdin" 0 "{\"message\":\"hello, file\",\"n\":4}$nl" "" -- \
	run $J/handlers.js --handler greet --event-file -
check "logs of a handler keep their order" 0 "before$nl{\"ok\":true}$nl" "during" -- \
	run $J/handlers.js --handler noisy

# ---- eval
check "eval prints the completion value" 0 "3$nl" "" -- eval '1 + 2'
check "eval prints strings as-is" 0 "hi there$nl" "" -- eval '"hi " + "there"'
check "eval prints objects readably" 0 "{ a: [ 1, 2 ], b: 'x' }$nl" "" -- eval '({a: [1, 2], b: "x"})'
check "eval of undefined prints nothing" 0 "" "" -- eval 'let x = 1'
check "Date.now is the host's time" 0 "true$nl" "" -- eval "Math.abs(Date.now() - $(date +%s)000) < 2000"

# ---- exit code 1: uncaught exceptions with a stack
check "uncaught error" 1 "" "Uncaught TypeError: cannot read property 'x' of null" -- run $J/throws.js
check "stack names file and line" 1 "" "throws.js:2" -- run $J/throws.js
check "thrown non-error" 1 "" "Uncaught 42" -- eval 'throw 42'
check "handler throws" 1 "" "Uncaught Error: no name given" -- run $J/handlers.js --handler greet --event '{}'
check "unbounded recursion" 1 "" "Uncaught RangeError" -- eval 'function f() { return f() + 1 } f()'
check "rejected top-level await" 1 "" "Uncaught Error: later" -- eval 'Promise.reject(new Error("later"))' 

# ---- exit code 2: usage and bad input
check "syntax error names file:line" 2 "" "syntax.js:3" -- run $J/syntax.js
check "syntax error says SyntaxError" 2 "" "SyntaxError" -- run $J/syntax.js
check "missing file" 2 "" "cannot read '$J/nope.js'" -- run $J/nope.js
check "invalid event JSON" 2 "" "invalid event JSON" -- run $J/handlers.js --handler greet --event '{bad'
check "unknown handler" 2 "" "no handler named 'nope'" -- run $J/handlers.js --handler nope
check "unknown option" 2 "" "unknown option '--frobnicate'" -- run $J/tla.js --frobnicate
check "unknown command" 2 "" "unknown command 'walk'" -- walk $J/tla.js
check "no command" 2 "" "no command" --
check "bad memory value" 2 "" "--memory wants a whole number" -- run $J/tla.js --memory 1
check "bad timeout value" 2 "" "--timeout wants a whole number" -- run $J/tla.js --timeout soon
check "option without value" 2 "" "needs a value" -- run $J/tla.js --timeout
check "event and event-file" 2 "" "not both" -- run $J/handlers.js --handler greet --event 1 --event-file x
check "event without handler" 2 "" "need --handler" -- run $J/handlers.js --event 1
check "missing event file" 2 "" "cannot read event file" -- run $J/handlers.js --handler greet --event-file "$tmp/none"
check "import of a missing module" 2 "" "could not load module" -- run $J/badimport.js

# ---- exit codes 3 and 4: limits
check "infinite loop hits the time limit" 3 "" "time limit" -- eval 'while (true) {}' --timeout 300
check "slow handler hits the time limit" 3 "" "time limit" -- run $J/handlers.js --handler spin --timeout 300
check "array bomb hits the memory limit" 4 "" "memory limit" -- eval 'let a = []; for (;;) a.push([1, 2, 3, 4])' --memory 32
check "string bomb hits the memory limit" 4 "" "memory limit" -- eval 'let s = "x"; for (;;) s += s' --memory 32

# ---- output floods are capped
"$MICA" eval 'for (let i = 0; i < 200000; i++) console.log("flood line " + i)' >"$tmp/out" 2>"$tmp/err"
rc=$?
size=$(wc -c <"$tmp/out")
if [ $rc = 0 ] && [ "$size" -le 1048576 ] && grep -q "truncated" "$tmp/err"; then
	pass=$((pass + 1)); echo "ok - console flood is capped and said to be truncated"
else
	fail=$((fail + 1)); echo "FAIL - console flood: exit $rc, $size bytes, stderr: $(head -c 300 "$tmp/err")"
fi

# ---- exit code 6: the hypervisor
MICA_KVM_DEVICE=/nonexistent/kvm check "no hypervisor" 6 "" "cannot open /nonexistent/kvm" -- eval 1

# ---- help and version
"$MICA" --help >"$tmp/out" 2>&1 && grep -q "exit codes" "$tmp/out" &&
	{ pass=$((pass + 1)); echo "ok - --help"; } || { fail=$((fail + 1)); echo "FAIL - --help"; }
check "--version" 0 "mica 0.1.0$nl" "" -- --version

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
