#!/bin/sh
# Drives the mica binary the way a user does. Usage: cli.sh path/to/mica
# Each case: expected exit code, expected stdout (exact) and a fragment
# that stderr must contain. JS fixtures live in tests/js/.
#
# The backend is the one MICA_BACKEND names (tests/run.sh runs this once per
# backend). Where it cannot be used here, the usage-error cases still run
# (they fail before any sandbox exists); each case that needs a sandbox is
# skipped, counted, with the reason.
set -u
MICA=${1:-build/mica}
J=tests/js
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0

# LeakSanitizer stops the process with ptrace at exit, which the CLI's
# lockdown refuses; under ASan the locked-down runs go without it, and one
# case below checks for leaks with --no-lockdown.
leak_opts=""
case "$MICA" in *asan*) leak_opts="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=1" ;; esac
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"

unavailable=""
if ! "$MICA" eval 1 >/dev/null 2>"$tmp/why"; then
	unavailable=$(cat "$tmp/why")
	echo "# ${MICA_BACKEND:-auto} backend unavailable: $unavailable"
fi

# 1 (and counted as skipped) if a case could not run for want of a backend.
skipped() {
	if [ -n "$unavailable" ] && [ "$1" = 6 ] && grep -q "unavailable" "$tmp/err"; then
		skip=$((skip + 1))
		echo "skip - $2 (${MICA_BACKEND:-auto} backend unavailable)"
		return 0
	fi
	return 1
}

# verdict NAME RC OK DETAIL: a case checked by hand (OK 1 = passed). Such
# cases need a sandbox unless NOSANDBOX=1 is set.
verdict() {
	skipped "$2" "$1" && return
	if [ -n "$unavailable" ] && [ -z "${NOSANDBOX:-}" ]; then
		skip=$((skip + 1))
		echo "skip - $1 (${MICA_BACKEND:-auto} backend unavailable)"
		return
	fi
	if [ "$3" = 1 ]; then
		pass=$((pass + 1)); echo "ok - $1"
	else
		fail=$((fail + 1)); echo "FAIL - $1: exit $2: $4"
	fi
}

# flip_middle SRC DST: DST is SRC with its middle byte inverted.
flip_middle() {
	[ -e "$1" ] || return 0
	size=$(wc -c <"$1")
	cp "$1" "$2"
	byte=$(od -An -tu1 -j $((size / 2)) -N1 "$1" | tr -d ' ')
	printf "\\$(printf %o $((255 - byte)))" | dd of="$2" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
	cmp -s "$1" "$2" && echo "warning: the byte flip did not change $2"
	return 0
}

# cut_tail SRC DST N: DST is SRC without its last N bytes.
cut_tail() {
	[ -e "$1" ] || return 0
	head -c $(($(wc -c <"$1") - $3)) "$1" >"$2"
}

# check NAME CODE STDOUT STDERR_FRAGMENT -- ARGS... (stdin from $STDIN if set;
# NOSANDBOX=1 for a case that needs no sandbox)
check() {
	name=$1 code=$2 out=$3 err=$4
	shift 5
	"$MICA" "$@" <"${STDIN:-/dev/null}" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	[ "$code" != 6 ] && skipped $rc "$name" && return
	# only usage errors (exit 2) can be told without a sandbox
	if [ -n "$unavailable" ] && [ -z "${NOSANDBOX:-}" ] && [ "$code" != 2 ] && [ "$code" != 6 ]; then
		skip=$((skip + 1))
		echo "skip - $name (${MICA_BACKEND:-auto} backend unavailable)"
		return
	fi
	# a case on a file an earlier case could not make without a backend
	if [ -n "$unavailable" ] && [ -n "${NEEDS:-}" ] && ! [ -e "$NEEDS" ]; then
		skip=$((skip + 1))
		echo "skip - $name (${MICA_BACKEND:-auto} backend unavailable)"
		return
	fi
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
check "Web APIs: URL, TextEncoder/Decoder, base64, structuredClone, microtasks" 0 \
	"$(cat $J/web.out)$nl" "" -- run $J/web.js
# TextEncoder (so every string body) holds a large string's bytes twice at most:
# 16 MiB of ASCII fits the default 64 MiB (a third copy did not)
check "TextEncoder of 16 MiB in 64 MiB" 0 "16777216$nl" "" -- \
	eval 'new TextEncoder().encode("x".repeat(16 << 20)).length'
check "an accessor on a natives' name neither captures nor forges them" 0 "true true 1$nl" "" -- run $J/natives.js
check "ES2022-ES2024 methods: at, findLast, toSorted, Object.hasOwn, groupBy, Error cause" 0 \
	"$(cat $J/lang.out)$nl" "" -- run $J/lang.js
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

check "microtasks of a synchronous handler run" 0 "microtask 5${nl}5$nl" "" -- \
	run $J/microtasks.js --handler h --event 5
check "a late rejection fails its own call" 1 "" "Uncaught Error: late" -- run $J/microtasks.js --handler bad
check "and not the next request" 0 "2${nl}2$nl" "" -- \
	run $J/microtasks.js --handler ok --repeat 2 --isolation reuse

# ---- binary data: --event-bytes, raw results
printf 'A\000\377\nZ' >"$tmp/ev.bin"
check "--event-bytes passes a Uint8Array" 0 "{\"isU8\":true,\"len\":5,\"first\":65,\"last\":90}$nl" "" -- \
	run $J/binary.js --handler describe --event-bytes "$tmp/ev.bin"
check "a binary result is written raw, without a newline" 0 "hello" "" -- run $J/binary.js --handler hello
check "JSON results still end with a newline" 0 "[1,2]$nl" "" -- \
	run $J/binary.js --handler json --event-bytes "$tmp/ev.bin"
check "empty --event-bytes" 0 "{\"isU8\":true,\"len\":0}$nl" "" -- \
	run $J/binary.js --handler describe --event-bytes /dev/null
head -c 200000 /dev/urandom >"$tmp/rand.bin"
"$MICA" run $J/binary.js --handler echo --event-bytes - <"$tmp/rand.bin" >"$tmp/echo.bin" 2>"$tmp/err"
rc=$? ok=0
[ $rc = 0 ] && cmp -s "$tmp/rand.bin" "$tmp/echo.bin" && ok=1
verdict "--event-bytes - (stdin) echoed back byte for byte" $rc $ok "$(head -c 300 "$tmp/err")"
"$MICA" run $J/binary.js --handler invert --event-bytes "$tmp/rand.bin" --repeat 2 >"$tmp/inv.bin" 2>"$tmp/err"
rc=$?
head -c 200000 "$tmp/inv.bin" >"$tmp/inv1.bin"
tail -c 200000 "$tmp/inv.bin" >"$tmp/inv2.bin"
"$MICA" run $J/binary.js --handler invert --event-bytes "$tmp/inv1.bin" >"$tmp/back.bin" 2>>"$tmp/err"
ok=0
[ $rc = 0 ] && [ "$(wc -c <"$tmp/inv.bin")" = 400000 ] && cmp -s "$tmp/inv1.bin" "$tmp/inv2.bin" &&
	cmp -s "$tmp/back.bin" "$tmp/rand.bin" && ! cmp -s "$tmp/inv1.bin" "$tmp/rand.bin" && ok=1
verdict "an ArrayBuffer result per call, raw, with --repeat" $rc $ok "$(head -c 300 "$tmp/err")"
# A result that cannot be written is exit 6 with the reason, also when it is
# large enough to skip stdio's buffer.
if [ -c /dev/full ]; then
	"$MICA" eval 1 >/dev/full 2>"$tmp/err"
	rc=$? ok=0
	[ $rc = 6 ] && grep -q "cannot write the output to stdout" "$tmp/err" && ok=1
	verdict "stdout full: exit 6 with the reason" $rc $ok "$(head -c 300 "$tmp/err")"
	"$MICA" run $J/binary.js --handler echo --event-bytes "$tmp/rand.bin" >/dev/full 2>"$tmp/err"
	rc=$? ok=0
	[ $rc = 6 ] && grep -q "cannot write the output to stdout" "$tmp/err" && ok=1
	verdict "stdout full, a 200 KB binary result: exit 6 with the reason" $rc $ok \
		"$(head -c 300 "$tmp/err")"
fi
head -c 3145728 /dev/zero >"$tmp/big.bin"
check "--event-bytes over 3 MiB is refused" 2 "" "request too large" -- \
	run $J/binary.js --handler echo --event-bytes "$tmp/big.bin"
NOSANDBOX=1 check "an endless --event-bytes is read to 3 MiB only" 2 "" \
	"cannot read event file '/dev/zero': larger than 3145728 bytes (3 MiB, the largest request)" -- \
	run $J/binary.js --handler echo --event-bytes /dev/zero
head -c 4194304 /dev/zero >"$tmp/big.js"
NOSANDBOX=1 check "a FILE.js over 3 MiB is refused" 2 "" "cannot read '$tmp/big.js': larger than 3145728 bytes" -- \
	run "$tmp/big.js"
check "--event-bytes and --event" 2 "" "not several" -- \
	run $J/binary.js --handler echo --event-bytes "$tmp/ev.bin" --event 1
check "--event-bytes without --handler" 2 "" "need --handler" -- run $J/binary.js --event-bytes "$tmp/ev.bin"
check "missing --event-bytes file" 2 "" "cannot read event file" -- \
	run $J/binary.js --handler echo --event-bytes "$tmp/none"
plugin=${MICA_BUILD:-build}/examples/plugin-host
"$plugin" examples/plugin/plugin.js >"$tmp/out" 2>"$tmp/err"
rc=$?
printf '%s\n' "plugin: threshold 128, 4096 pixels, the host stored 32 bytes" \
	"host: 4096 bytes in, 4128 bytes out, 2016 pixels white" \
	"host: sha-256 8ae1bc2a91a7af531c827e93c7d826c024bff08081262c9ab2142f863cefb54d" \
	"host: the digest put() stored matches the result: yes" >"$tmp/want"
ok=0
[ $rc = 0 ] && cmp -s "$tmp/out" "$tmp/want" && ok=1
verdict "examples/plugin: bytes through a handler and async host functions" $rc $ok \
	"($plugin; make examples): $(head -c 300 "$tmp/out") $(head -c 300 "$tmp/err")"

# ---- eval
check "eval prints the completion value" 0 "3$nl" "" -- eval '1 + 2'
check "eval prints strings as-is" 0 "hi there$nl" "" -- eval '"hi " + "there"'
check "eval prints objects readably" 0 "{ a: [ 1, 2 ], b: 'x' }$nl" "" -- eval '({a: [1, 2], b: "x"})'
check "eval of undefined prints nothing" 0 "" "" -- eval 'let x = 1'
check "Date.now is the host's time" 0 "true$nl" "" -- eval "Math.abs(Date.now() - $(date +%s)000) < 2000"

# ---- the event loop: timers, deterministic mode
check "timers fire in order, after microtasks" 0 "sync${nl}micro${nl}a 1${nl}b${nl}c$nl" "" -- eval \
	'setTimeout(() => console.log("c"), 30); setTimeout(() => console.log("b"), 10);
	 setTimeout((x) => console.log("a", x), 0, 1); Promise.resolve().then(() => console.log("micro")); console.log("sync")'
check "eval awaits its timers" 0 "waited$nl" "" -- eval 'new Promise(r => setTimeout(r, 20, "waited"))'
check "an uncleared interval runs into the time limit" 3 "" "time limit" -- eval 'setInterval(() => {}, 10)' --timeout 300
check "deterministic clock starts at a fixed epoch" 0 "2024-01-01T00:00:00.000Z 1704067200000$nl" "" -- \
	eval --deterministic 'new Date().toISOString() + " " + Math.floor(Date.now() / 1000) * 1000'
det='setTimeout(() => console.log("late", Math.random(), Date.now()), 86400000);
	setTimeout(() => console.log("soon", Math.random(), Date.now()), 5); Math.random()'
"$MICA" eval --deterministic "$det" >"$tmp/d1" 2>&1; rc1=$?
"$MICA" eval --deterministic "$det" >"$tmp/d2" 2>"$tmp/err"; rc2=$?
ok=0
[ $rc1 = 0 ] && [ $rc2 = 0 ] && cmp -s "$tmp/d1" "$tmp/d2" && grep -q "^late" "$tmp/d1" && ok=1
verdict "--deterministic runs print identical output (a day of timers, no sleep)" $rc2 $ok \
	"$(head -c 300 "$tmp/d1") / $(head -c 300 "$tmp/d2")"

# ---- exit code 1: uncaught exceptions with a stack
check "uncaught error" 1 "" "Uncaught TypeError: cannot read property 'x' of null" -- run $J/throws.js
check "stack names file and line" 1 "" "throws.js:2" -- run $J/throws.js
check "thrown non-error" 1 "" "Uncaught 42" -- eval 'throw 42'
check "handler throws" 1 "" "Uncaught Error: no name given" -- run $J/handlers.js --handler greet --event '{}'
check "unbounded recursion" 1 "" "Uncaught RangeError" -- eval 'function f() { return f() + 1 } f()'
# QuickJS 2021's JSON.stringify had no stack check: a fault, not an exception
# (patches/quickjs-2021-03-27-mica.patch)
check "JSON.stringify of a deep object throws a RangeError" 0 "RangeError$nl" "" -- eval \
	'let a = []; for (let i = 0; i < 20000; i++) a = [a]; try { JSON.stringify(a) } catch (e) { e.name }'
echo 'export function deep() { let a = []; for (let i = 0; i < 20000; i++) a = [a]; return a; }' >"$tmp/deep.js"
check "and so does a handler that returns one" 1 "" "Uncaught RangeError: Maximum call stack size exceeded" -- \
	run "$tmp/deep.js" --handler deep
check "rejected top-level await" 1 "" "Uncaught Error: later" -- eval 'Promise.reject(new Error("later"))' 

# ---- exit code 2: usage and bad input
check "syntax error names file:line" 2 "" "syntax.js:3" -- run $J/syntax.js
check "syntax error says SyntaxError" 2 "" "SyntaxError" -- run $J/syntax.js
check "missing file" 2 "" "cannot read '$J/nope.js'" -- run $J/nope.js
check "invalid event JSON" 2 "" "invalid event JSON" -- run $J/handlers.js --handler greet --event '{bad'
check "unknown handler" 2 "" "no handler named 'nope'" -- run $J/handlers.js --handler nope
check "what every object inherits is no global function" 2 "" "no handler named 'toString'" -- \
	run $J/handlers.js --handler toString
check "unknown option" 2 "" "unknown option '--frobnicate'" -- run $J/tla.js --frobnicate
check "code after -- may start with -" 0 "-1$nl" "" -- eval -- -1
cp $J/handlers.js "$tmp/-dash.js"
mica_abs=$(cd "$(dirname "$MICA")" && pwd)/$(basename "$MICA")
(cd "$tmp" && "$mica_abs" run --handler globalOne -- -dash.js) >"$tmp/dash.out" 2>&1
verdict "a file after -- may start with -" $? "$([ "$(cat "$tmp/dash.out")" = '"global ok"' ] && echo 1)" \
	"$(head -c 300 "$tmp/dash.out")"
check "after --, options are operands" 2 "" "unexpected argument '--handler'" -- \
	run -- $J/handlers.js --handler globalOne
check "unknown command" 2 "" "unknown command 'walk'" -- walk $J/tla.js
check "no command" 2 "" "no command" --
check "bad memory value" 2 "" "--memory wants a whole number" -- run $J/tla.js --memory 1
check "bad timeout value" 2 "" "--timeout wants a whole number" -- run $J/tla.js --timeout soon
check "a number is digits only" 2 "" "--timeout wants a whole number from 1 to 86400000, not '+5'" -- \
	run $J/tla.js --timeout +5
check "no space before it either" 2 "" "--memory wants a whole number from 16 to 2048, not ' 64'" -- \
	run $J/tla.js --memory ' 64'
check "option without value" 2 "" "needs a value" -- run $J/tla.js --timeout
check "event and event-file" 2 "" "not several" -- run $J/handlers.js --handler greet --event 1 --event-file x
check "event without handler" 2 "" "need --handler" -- run $J/handlers.js --event 1
check "missing event file" 2 "" "cannot read event file" -- run $J/handlers.js --handler greet --event-file "$tmp/none"
check "import of a missing module" 2 "" "could not load module" -- run $J/badimport.js

# ---- user modules under --modules DIR
Jm=$J/modules
check "modules import each other" 0 "loaded 3$nl{\"sum\":5,\"h\":\"helped\"}$nl" "" -- \
	run $Jm/app/main.js --modules $Jm --handler h --event '{"a":2,"b":3}'
check "dynamic import and top-level await" 0 "42 helped$nl" "" -- run $Jm/app/dynamic.js --modules $Jm
check "a reset gives back the module root and console every call" 0 \
	"call 1$nl\"helped\"${nl}call 1$nl\"helped\"$nl" "" -- \
	run $Jm/app/perCall.js --modules $Jm --handler h --repeat 2 --isolation reset
# What is not a module file is refused at once, whatever it is (a FIFO hung
# the run past its deadline: issue 10): exit 2 within seconds, not 8.
mkdir "$tmp/odd"
mkfifo "$tmp/odd/fifo.js"
ln -s /dev/zero "$tmp/odd/zero.js"
truncate -s 1G "$tmp/odd/big.js"
python3 -c "import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])" "$tmp/odd/sock.js" 2>/dev/null
for odd in fifo zero big sock; do
	if [ "$odd" = sock ] && ! [ -S "$tmp/odd/sock.js" ]; then
		skip=$((skip + 1))
		echo "skip - an import of a sock is refused at once (no python3 here to make a socket)"
		continue
	fi
	echo "import './$odd.js';" >"$tmp/odd/main.js"
	t0=$(date +%s)
	timeout 20 "$MICA" run "$tmp/odd/main.js" --modules "$tmp/odd" --timeout 8000 >"$tmp/out" 2>"$tmp/err"
	rc=$? took=$(($(date +%s) - t0)) ok=0
	[ $rc = 2 ] && [ $took -lt 6 ] && grep -q "$odd.js" "$tmp/err" && ok=1
	verdict "an import of a $odd is refused at once" $rc $ok "after ${took}s: $(head -c 300 "$tmp/err")"
done
check "no module root, no file imports" 2 "" "no module root was granted" -- run $Jm/app/main.js
check "missing module names importer and line" 2 "" "'./missing.js' (imported at app/bad.js:1)" -- \
	run $Jm/app/bad.js --modules $Jm
check "../ escapes are refused" 2 "" "(imported at app/escape.js:3): outside the module root" -- \
	run $Jm/app/escape.js --modules $Jm
mkdir -p "$tmp/root"
cp $Jm/app/helper.js "$tmp/root/"
ln -s /etc/hostname "$tmp/root/out.js"
ln -s helper.js "$tmp/root/in.js"
printf 'import h from "./in.js";\nimport o from "./out.js";\n' >"$tmp/root/sym.js"
check "symlinks out of the root are refused" 2 "" "'./out.js' (imported at sym.js:2): outside the module root" -- \
	run "$tmp/root/sym.js" --modules "$tmp/root"
# every other way out: an absolute specifier, import() with ../, a directory
# symlink, and the same from a snapshot
printf 'import p from "/etc/passwd";\n' >"$tmp/root/abs.js"
check "an absolute specifier is refused" 2 "" "'/etc/passwd' (imported at abs.js:1): module names must be relative paths inside the module root" -- \
	run "$tmp/root/abs.js" --modules "$tmp/root"
printf 'export async function h() { return (await import("../../../etc/passwd")).default; }\n' >"$tmp/root/dyn.js"
check "import() with ../ is refused" 1 "" "outside the module root" -- \
	run "$tmp/root/dyn.js" --modules "$tmp/root" --handler h
ln -s /etc "$tmp/root/etcdir"
printf 'import p from "./etcdir/hostname";\n' >"$tmp/root/dirsym.js"
check "a symlinked directory that leads out is refused" 2 "" "(imported at dirsym.js:1): outside the module root" -- \
	run "$tmp/root/dirsym.js" --modules "$tmp/root"
printf 'export async function h() { return (await import("./helper.js")).default(); }\nexport async function out() { return (await import("./etcdir/hostname")).default; }\n' >"$tmp/root/later.js"
check "a snapshot made with --modules" 0 "" "" -- snapshot "$tmp/root/later.js" --modules "$tmp/root" -o "$tmp/m.msnap"
NEEDS="$tmp/m.msnap" check "run --snapshot --modules imports at run time" 0 "\"helped\"$nl" "" -- \
	run --snapshot "$tmp/m.msnap" --modules "$tmp/root" --handler h
NEEDS="$tmp/m.msnap" check "run --snapshot without --modules imports nothing" 1 "" "no module root was granted" -- \
	run --snapshot "$tmp/m.msnap" --handler h
NEEDS="$tmp/m.msnap" check "run --snapshot --modules keeps the root's walls" 1 "" "outside the module root" -- \
	run --snapshot "$tmp/m.msnap" --modules "$tmp/root" --handler out
check "syntax error in an imported module" 2 "" "lib/broken.js:1" -- run $Jm/app/usebroken.js --modules $Jm
check "entry outside the root" 2 "" "is not inside the module root" -- run $Jm/app/main.js --modules $Jm/lib
# a Kubernetes ConfigMap volume: each file a symlink into ..data/, itself a
# symlink to a dated directory; the entry is named by the path as written
printf 'import { g } from "./util.js";\nconsole.log(g, new Error().stack.trim());\n' >"$tmp/main.js"
printf 'export const g = "from util";\n' >"$tmp/util.js"
sh tests/configmap.sh "$tmp/cm" "$tmp/main.js" "$tmp/util.js"
check "an entry in a ConfigMap volume" 0 "from util at <anonymous> (main.js:2)$nl" "" -- run "$tmp/cm/main.js" --modules "$tmp/cm"
check "an entry named as written, ./ and // dropped" 0 "from util at <anonymous> (main.js:2)$nl" "" -- \
	run "$tmp/cm/.//main.js" --modules "$tmp/cm/"
check "missing module root" 2 "" "cannot use '$tmp/nodir' as the module root" -- \
	run $J/tla.js --modules "$tmp/nodir"

# ---- exit codes 3 and 4: limits
check "infinite loop hits the time limit" 3 "" "time limit" -- eval 'while (true) {}' --timeout 300
check "slow handler hits the time limit" 3 "" "time limit" -- run $J/handlers.js --handler spin --timeout 300
check "array bomb hits the memory limit" 4 "" "memory limit" -- eval 'let a = []; for (;;) a.push([1, 2, 3, 4])' --memory 32
check "string bomb hits the memory limit" 4 "" "memory limit" -- eval 'let s = "x"; for (;;) s += s' --memory 32

# ---- output floods are capped
# exactly the limit (1 MiB by default), the first bytes written, then the note
note='[mica] console output truncated: the limit is 1048576 bytes per call'
"$MICA" eval 'for (let i = 0; i < 200000; i++) console.log("flood line " + i)' --timeout 300000 \
	>"$tmp/out" 2>"$tmp/err"
rc=$? ok=0
size=$(wc -c <"$tmp/out")
awk 'BEGIN { for (i = 0; i < 200000; i++) print "flood line " i }' | head -c 1048576 >"$tmp/want"
[ $rc = 0 ] && [ "$size" = 1048576 ] && cmp -s "$tmp/out" "$tmp/want" && [ "$(cat "$tmp/err")" = "$(printf '\n%s' "$note")" ] && ok=1
verdict "console flood: exactly the first 1 MiB, then the note on stderr" $rc $ok "$size bytes, stderr: $(head -c 300 "$tmp/err")"
# stdout and stderr share the limit
# (200,000 console calls: minutes under QEMU's emulator, hence the timeout)
"$MICA" eval 'for (let i = 0; i < 100000; i++) { console.log("out " + i); console.error("err " + i) }' \
	--timeout 300000 >"$tmp/out" 2>"$tmp/err"
rc=$? ok=0
total=$(($(wc -c <"$tmp/out") + $(grep -v -F "$note" "$tmp/err" | wc -c) - 1))
[ $rc = 0 ] && [ "$total" = 1048576 ] && grep -q -F "$note" "$tmp/err" && ok=1
verdict "stdout and stderr share the output limit" $rc $ok "$total bytes in all"

# ---- the backend: exit code 6 when the one asked for cannot be used
MICA_KVM_DEVICE=/nonexistent/kvm check "--backend kvm without a hypervisor" 6 "" \
	"hypervisor unavailable: cannot open /nonexistent/kvm: No such file or directory" -- eval 1 --backend kvm
MICA_KVM_DEVICE=/dev/null check "a KVM device that is none" 6 "" \
	"hypervisor unavailable: /dev/null is no KVM device" -- eval 1 --backend kvm
MICA_KVM_DEVICE=/nonexistent/kvm MICA_BACKEND=kvm check "MICA_BACKEND=kvm without a hypervisor" 6 "" \
	"cannot open /nonexistent/kvm" -- eval 1
check "an unknown backend" 2 "" "--backend wants auto, kvm or process, not 'vmware'" -- eval 1 --backend vmware
MICA_BACKEND=vmware check "an unknown MICA_BACKEND" 2 "" "MICA_BACKEND wants auto, kvm or process, not 'vmware'" -- eval 1
MICA_KVM_DEVICE=/nonexistent/kvm MICA_BACKEND=kvm check "--backend wins over MICA_BACKEND" 0 "3$nl" \
	"backend: process" -- eval 1+2 --backend process -v
MICA_KVM_DEVICE=/nonexistent/kvm MICA_BACKEND=auto check "auto falls back to the process backend" 0 "3$nl" "backend: process" -- \
	eval 1+2 -v
# info exits 6 where the backend asked for cannot be used: these ask for none
env -u MICA_BACKEND "$MICA" info >"$tmp/out" 2>"$tmp/err"
rc=$? ok=0
grep -q "^mica 0.1.0, guest ABI [0-9]" "$tmp/out" && grep -q "^kvm: \(available\|unavailable: .\)" "$tmp/out" &&
	grep -q "^process: \(available\|unavailable: .\)" "$tmp/out" && grep -q "^default limits: memory 64 MiB" "$tmp/out" &&
	[ $rc = 0 ] && ok=1
NOSANDBOX=1 verdict "info names the version, each backend and the limits" $rc $ok "$(head -c 600 "$tmp/out")"
MICA_KVM_DEVICE=/nonexistent/kvm env -u MICA_BACKEND "$MICA" info >"$tmp/out" 2>"$tmp/err"
rc=$? ok=0
grep -q "^kvm: unavailable: hypervisor unavailable: cannot open /nonexistent/kvm: No such file or directory" "$tmp/out" &&
	[ $rc = 0 ] && ok=1
NOSANDBOX=1 verdict "info says why KVM is unavailable" $rc $ok "$(head -c 600 "$tmp/out")"
if grep -q "^process: available" "$tmp/out"; then
	ok=0
	grep -q "^  seccomp: " "$tmp/out" && grep -q "^  namespaces: " "$tmp/out" && grep -q "^  cgroup: " "$tmp/out" && ok=1
	NOSANDBOX=1 verdict "info lists what the process backend isolates with" 0 $ok "$(head -c 600 "$tmp/out")"
fi
check "info takes no file" 2 "" "info takes no argument" -- info x.js
# (its stderr not in $tmp/err, where an "unavailable" would make it a skip)
MICA_KVM_DEVICE=/nonexistent/kvm "$MICA" info --backend kvm >"$tmp/out" 2>"$tmp/info.err"
rc=$? ok=0
[ $rc = 6 ] && grep -q "^backend: none (from --backend)" "$tmp/out" &&
	grep -q "^mica: hypervisor unavailable: cannot open /nonexistent/kvm" "$tmp/info.err" && ok=1
NOSANDBOX=1 verdict "info --backend kvm where it cannot be used: exit 6 with the reason" $rc $ok \
	"$(head -c 600 "$tmp/info.err")"

# ---- snapshots and isolation modes
L="counter.js loaded$nl"
check "snapshot writes a file" 0 "$L" "" -- snapshot $J/counter.js -o "$tmp/c.msnap"
check "run --snapshot skips loading" 0 "1$nl" "" -- run --snapshot "$tmp/c.msnap" --handler tick
check "run --snapshot with an event" 0 "{\"event\":{\"a\":1},\"count\":1}$nl" "" -- \
	run --snapshot "$tmp/c.msnap" --handler echo --event '{"a":1}'
check "default isolation is reuse" 0 "${L}1${nl}2${nl}3$nl" "" -- run $J/counter.js --handler tick --repeat 3
check "reuse carries state over" 0 "${L}1${nl}2${nl}3$nl" "" -- \
	run $J/counter.js --handler tick --repeat 3 --isolation reuse
check "reset starts each call afresh" 0 "${L}1${nl}1${nl}1$nl" "" -- \
	run $J/counter.js --handler tick --repeat 3 --isolation reset
check "fresh starts each call afresh" 0 "${L}1${nl}1${nl}1$nl" "" -- \
	run $J/counter.js --handler tick --repeat 3 --isolation fresh
check "reuse from a snapshot file" 0 "1${nl}2${nl}3$nl" "" -- \
	run --snapshot "$tmp/c.msnap" --handler tick --repeat 3 --isolation reuse
check "reset from a snapshot file" 0 "1${nl}1${nl}1$nl" "" -- \
	run --snapshot "$tmp/c.msnap" --handler tick --repeat 3 --isolation reset
check "fresh from a snapshot file" 0 "1${nl}1${nl}1$nl" "" -- \
	run --snapshot "$tmp/c.msnap" --handler tick --repeat 3 --isolation fresh
printf '{"n":1}\n\n[2]\n"three"\n' >"$tmp/evs"
check "one event per line with --repeat" 0 \
	"{\"event\":{\"n\":1},\"count\":1}$nl{\"event\":[2],\"count\":2}$nl{\"event\":\"three\",\"count\":3}$nl" "" -- \
	run --snapshot "$tmp/c.msnap" --handler echo --repeat 3 --event-file "$tmp/evs"
STDIN="$tmp/evs" check "events per line from stdin, fresh" 0 \
	"{\"event\":{\"n\":1},\"count\":1}$nl{\"event\":[2],\"count\":1}$nl{\"event\":\"three\",\"count\":1}$nl" "" -- \
	run --snapshot "$tmp/c.msnap" --handler echo --repeat 3 --event-file - --isolation fresh
check "one --event for every call" 0 "{\"event\":7,\"count\":1}$nl{\"event\":7,\"count\":1}$nl" "" -- \
	run --snapshot "$tmp/c.msnap" --handler echo --repeat 2 --event 7 --isolation reset
check "event count must match --repeat" 2 "" "has 3 events (one per line); --repeat wants 2" -- \
	run --snapshot "$tmp/c.msnap" --handler echo --repeat 2 --event-file "$tmp/evs"
printf '1\n\n{bad\n' >"$tmp/evbad"
NEEDS="$tmp/c.msnap" check "a failing call ends the run, its event's line named" 2 "{\"event\":1,\"count\":1}$nl" \
	"$tmp/evbad, line 3: invalid event JSON" -- \
	run --snapshot "$tmp/c.msnap" --handler echo --repeat 2 --event-file "$tmp/evbad"
for mode in fresh reset; do
	"$MICA" run --snapshot "$tmp/c.msnap" --handler rnd --repeat 3 --isolation $mode >"$tmp/out" 2>"$tmp/err"
	rc=$? lines=$(wc -l <"$tmp/out") distinct=$(sort -u "$tmp/out" | wc -l) ok=0
	[ $rc = 0 ] && [ "$lines" = 3 ] && [ "$distinct" = 3 ] && ok=1
	verdict "Math.random differs between $mode calls" $rc $ok "$lines lines, $distinct distinct"
done
# --timeout covers all calls together: 20 calls of 100 ms each against 1 s in all.
# A limit per call would let all 20 finish; start-up may eat into the second
# (under emulation, a restore alone can take it), so 0 to 10 calls may finish.
"$MICA" run --snapshot "$tmp/c.msnap" --handler slow --repeat 20 --timeout 1000 >"$tmp/out" 2>"$tmp/err"
rc=$? lines=$(wc -l <"$tmp/out") ok=0
[ $rc = 3 ] && [ "$lines" -le 10 ] && grep -q "time limit" "$tmp/err" && ok=1
verdict "--timeout covers the whole run" $rc $ok "$lines lines, stderr: $(head -c 300 "$tmp/err")"

# a clone or a reset reads the current time, not the snapshot's
printf 'export const at = Date.now();\nexport function age() { return Date.now() - at; }\n' >"$tmp/age.js"
"$MICA" snapshot "$tmp/age.js" -o "$tmp/age.msnap" >/dev/null 2>&1
sleep 1.2
for mode in fresh reset; do
	"$MICA" run --snapshot "$tmp/age.msnap" --handler age --repeat 2 --isolation $mode >"$tmp/out" 2>"$tmp/err"
	rc=$? ok=0
	[ $rc = 0 ] && [ "$(awk '$1 >= 1000' "$tmp/out" | wc -l)" = 2 ] && ok=1
	verdict "the clock is current under $mode (the snapshot is 1.2 s old)" $rc $ok "$(tr '\n' ' ' <"$tmp/out")"
done

# bad snapshot files: exit 2, saying what is wrong
flip_middle "$tmp/c.msnap" "$tmp/flip.msnap"
NEEDS="$tmp/c.msnap" check "corrupted snapshot" 2 "" "checksum mismatch (corrupted)" -- run --snapshot "$tmp/flip.msnap" --handler tick
cut_tail "$tmp/c.msnap" "$tmp/short.msnap" 5000
NEEDS="$tmp/c.msnap" check "truncated snapshot" 2 "" "truncated" -- run --snapshot "$tmp/short.msnap" --handler tick
check "not a snapshot" 2 "" "not a mica snapshot" -- run --snapshot $J/counter.js --handler tick
check "missing snapshot" 2 "" "cannot read snapshot '$tmp/none.msnap'" -- run --snapshot "$tmp/none.msnap" --handler tick
"$MICA" snapshot $J/throws.js -o "$tmp/t.msnap" >"$tmp/out" 2>"$tmp/err"
rc=$? ok=0
[ $rc = 1 ] && grep -q "Uncaught TypeError" "$tmp/err" && ! [ -e "$tmp/t.msnap" ] && ok=1
verdict "a snapshot of a throwing module fails and leaves no file" $rc $ok "$(ls "$tmp") $(head -c 300 "$tmp/err")"
check "snapshot into a missing directory" 2 "" "cannot write '$tmp/no/c.msnap'" -- snapshot $J/counter.js -o "$tmp/no/c.msnap"
check "FILE and --snapshot" 2 "" "not both" -- run $J/counter.js --snapshot "$tmp/c.msnap" --handler tick
check "--snapshot without --handler" 2 "" "--snapshot needs --handler" -- run --snapshot "$tmp/c.msnap"
check "--snapshot with --memory" 2 "" "--memory cannot change a snapshot" -- \
	run --snapshot "$tmp/c.msnap" --handler tick --memory 128
check "snapshot without -o" 2 "" "snapshot needs -o" -- snapshot $J/counter.js
check "-o with run" 2 "" "-o works with snapshot and compile only" -- run $J/counter.js -o "$tmp/x"
check "--snapshot with eval" 2 "" "--snapshot works with run only" -- eval 1 --snapshot "$tmp/c.msnap"
check "unknown isolation mode" 2 "" "--isolation wants reuse, reset or fresh, not 'shared'" -- \
	run $J/counter.js --handler tick --isolation shared
check "--repeat 0" 2 "" "--repeat wants a whole number from 1" -- run $J/counter.js --handler tick --repeat 0
check "--repeat without --handler" 2 "" "need --handler" -- run $J/counter.js --repeat 2
check "--isolation without --handler" 2 "" "need --handler" -- run $J/counter.js --isolation reset
check "--memory above the maximum" 2 "" "--memory wants a whole number from 16 to 2048" -- run $J/tla.js --memory 4096
NEEDS="$tmp/c.msnap" check "--deterministic with --snapshot" 2 "" "--deterministic cannot change a snapshot" -- \
	run --snapshot "$tmp/c.msnap" --handler tick --deterministic

# A guest fault is exit 5 with the facts: a snapshot file whose registers
# send the guest to address 0 (checksum made right again).
if [ -e "$tmp/c.msnap" ]; then
	size=$(wc -c <"$tmp/c.msnap")
	fns=$(od -An -tu4 -j60 -N4 "$tmp/c.msnap" | tr -d ' ')
	head -c $((size - 32)) "$tmp/c.msnap" >"$tmp/body"
	# rip: the register state follows the 176-byte header and the host function table
	dd if=/dev/zero of="$tmp/body" bs=1 seek=$((176 + fns + 128)) count=8 conv=notrunc 2>/dev/null
	sum=$(sha256sum "$tmp/body" | cut -d' ' -f1)
	{ cat "$tmp/body"; for h in $(echo "$sum" | sed 's/../& /g'); do printf "\\$(printf %o "0x$h")"; done; } >"$tmp/rip0.msnap"
fi
NEEDS="$tmp/c.msnap" check "a guest fault is exit 5 with the address and rip" 5 "" \
	"guest fault: vector 14 (page fault) at address 0x0, rip 0x0" -- run --snapshot "$tmp/rip0.msnap" --handler tick

# ---- precompiled modules (compile, run FILE.mbc)
check "compile writes a bytecode file" 0 "" "" -- compile $J/handlers.js -o "$tmp/h.mbc"
check "run a .mbc with a handler" 0 "{\"message\":\"hello, mica\",\"n\":4}$nl" "" -- \
	run "$tmp/h.mbc" --handler greet --event '{"name":"mica"}'
cp "$tmp/h.mbc" "$tmp/h.anything" 2>/dev/null
# -o replaces a file whole (a new one renamed over it): never a FIFO, a
# device or a directory; a symbolic link is replaced, never followed
mkfifo "$tmp/fifo.mbc" && mkdir "$tmp/dir.mbc"
NOSANDBOX=1 check "-o a FIFO is refused" 2 "" "cannot write '$tmp/fifo.mbc': it is not a regular file" -- \
	compile $J/handlers.js -o "$tmp/fifo.mbc"
NOSANDBOX=1 check "-o a directory is refused" 2 "" "cannot write '$tmp/dir.mbc': it is a directory" -- \
	compile $J/handlers.js -o "$tmp/dir.mbc"
NOSANDBOX=1 verdict "and both are left as they were" 0 "$([ -p "$tmp/fifo.mbc" ] && [ -d "$tmp/dir.mbc" ] && echo 1)" ""
echo old >"$tmp/real.mbc" && ln -s real.mbc "$tmp/link.mbc"
"$MICA" compile $J/handlers.js -o "$tmp/link.mbc" 2>"$tmp/err"
rc=$? ok=0
[ $rc = 0 ] && ! [ -L "$tmp/link.mbc" ] && cmp -s "$tmp/link.mbc" "$tmp/h.mbc" &&
	[ "$(cat "$tmp/real.mbc")" = old ] && ok=1
verdict "-o a symbolic link replaces the link, not what it names" $rc $ok "$(head -c 300 "$tmp/err")"
check "self is the global object" 0 "true$nl" "" -- eval 'self === globalThis'
check "reportError writes the error to stderr and the code goes on" 0 "after$nl" "Uncaught Error: told" -- \
	eval 'reportError(new Error("told")); "after"'
# -o - writes the file to stdout, the module's console to stderr
case "$MICA" in /*) mica_abs=$MICA ;; *) mica_abs=$PWD/$MICA ;; esac
cp $J/handlers.js "$tmp/handlers.js"
(cd "$tmp" && "$mica_abs" compile handlers.js -o - >std.mbc 2>err && "$mica_abs" compile handlers.js -o file.mbc)
rc=$? ok=0
[ $rc = 0 ] && cmp -s "$tmp/std.mbc" "$tmp/file.mbc" && ! [ -e "$tmp/-" ] && ok=1
verdict "compile -o - writes the bytecode to stdout, no file '-'" $rc $ok "$(head -c 300 "$tmp/err")"
printf 'console.log("loaded"); export function h(e) { return e; }\n' >"$tmp/logs.js"
"$MICA" snapshot "$tmp/logs.js" -o - >"$tmp/std.msnap" 2>"$tmp/err"
rc=$? ok=0
[ $rc = 0 ] && [ "$(head -c 8 "$tmp/std.msnap")" = MICASNAP ] && grep -qx loaded "$tmp/err" &&
	[ "$("$MICA" run --snapshot "$tmp/std.msnap" --handler h --event 5 2>&1)" = 5 ] && ok=1
verdict "snapshot -o - writes the snapshot to stdout, console.log to stderr" $rc $ok "$(head -c 300 "$tmp/err")"
"$MICA" compile $J/handlers.js -o - >/dev/full 2>"$tmp/err"
rc=$? ok=0
[ $rc = 6 ] && grep -q "cannot write the output to stdout: No space left on device" "$tmp/err" && ok=1
verdict "-o - to a full disk is exit 6" $rc $ok "$(head -c 300 "$tmp/err")"
"$MICA" compile $J/handlers.js -o - >&- 2>"$tmp/err"
rc=$? ok=0
[ $rc = 2 ] && grep -q "writes to stdout, which is closed" "$tmp/err" && ok=1
NOSANDBOX=1 verdict "-o - with stdout closed is refused (exit 2)" $rc $ok "$(head -c 300 "$tmp/err")"
# the reader is gone after a byte: a write error, exit 6 (not SIGPIPE's 141)
rc=$({ "$MICA" snapshot "$tmp/logs.js" -o - 2>"$tmp/err"; echo $? >"$tmp/rc"; } | head -c 1 >/dev/null; cat "$tmp/rc")
ok=0
[ "$rc" = 6 ] && grep -q "Broken pipe" "$tmp/err" && ok=1
verdict "-o - to a reader that went away is exit 6" "$rc" $ok "$(head -c 300 "$tmp/err")"
if command -v script >/dev/null; then
	script -qc "$MICA compile $J/handlers.js -o -; echo rc=\$?" /dev/null >"$tmp/tty" 2>&1
	rc=0 ok=0
	grep -q "which is a terminal" "$tmp/tty" && grep -q "rc=2" "$tmp/tty" && ok=1
	NOSANDBOX=1 verdict "-o - to a terminal is refused (exit 2)" $rc $ok "$(head -c 300 "$tmp/tty")"
else
	skip=$((skip + 1))
	echo "skip - -o - to a terminal is refused (no script(1) here to make a terminal)"
fi
check "bytecode is known by its magic, not its name" 0 "\"global ok\"$nl" "" -- \
	run "$tmp/h.anything" --handler globalOne
check "compile a top-level await module (nothing runs)" 0 "" "" -- compile $J/tla.js -o "$tmp/t.mbc"
check "run a compiled top-level await module" 0 "ready 42$nl" "" -- run "$tmp/t.mbc"
check "compile names the entry by its path in --modules" 0 "" "" -- \
	compile $Jm/app/main.js --modules $Jm -o "$tmp/m.mbc"
check "compiled module imports at run time" 0 "loaded 3$nl{\"sum\":5,\"h\":\"helped\"}$nl" "" -- \
	run "$tmp/m.mbc" --modules $Jm --handler h --event '{"a":2,"b":3}'
NEEDS="$tmp/m.mbc" check "compiled module without its module root" 2 "" "no module root was granted" -- run "$tmp/m.mbc"
"$MICA" compile $J/counter.js -o "$tmp/c.mbc" >/dev/null 2>&1
check "reset isolation from bytecode" 0 "${L}1${nl}1$nl" "" -- \
	run "$tmp/c.mbc" --handler tick --repeat 2 --isolation reset
check "snapshot of a bytecode module" 0 "$L" "" -- snapshot "$tmp/c.mbc" -o "$tmp/cb.msnap"
check "run that snapshot" 0 "1$nl" "" -- run --snapshot "$tmp/cb.msnap" --handler tick
check "syntax error at compile time names file:line" 2 "" "syntax.js:3" -- compile $J/syntax.js -o "$tmp/s.mbc"
ok=1
[ -e "$tmp/s.mbc" ] && ok=0
verdict "a failed compile leaves no file" $rc $ok "it left $tmp/s.mbc"
flip_middle "$tmp/h.mbc" "$tmp/flip.mbc"
NEEDS="$tmp/h.mbc" check "corrupted bytecode file" 2 "" "flip.mbc: bytecode file: checksum mismatch (corrupted)" -- \
	run "$tmp/flip.mbc" --handler greet
cut_tail "$tmp/h.mbc" "$tmp/short.mbc" 40
NEEDS="$tmp/h.mbc" check "truncated bytecode file" 2 "" "bytecode file: truncated" -- run "$tmp/short.mbc" --handler greet
check "compile needs -o" 2 "" "compile needs -o" -- compile $J/handlers.js
NEEDS="$tmp/h.mbc" check "compiling bytecode again" 2 "" "is already a bytecode file" -- compile "$tmp/h.mbc" -o "$tmp/x.mbc"
check "compile --handler" 2 "" "--handler works with run only" -- compile $J/handlers.js -o "$tmp/x.mbc" --handler greet

# ---- --unhandled-rejections, as Node's
rej='Promise.reject(new Error("nobody")); 42'
check "an unhandled rejection fails the run (strict, the default)" 1 "" "Uncaught Error: nobody" -- eval "$rej"
check "--unhandled-rejections=strict" 1 "" "Uncaught Error: nobody" -- eval "$rej" --unhandled-rejections strict
check "--unhandled-rejections=warn prints it and goes on" 0 "42$nl" "Uncaught (in promise) Error: nobody" -- \
	eval "$rej" --unhandled-rejections=warn
check "--unhandled-rejections=none ignores it" 0 "42$nl" "" -- eval "$rej" --unhandled-rejections=none
"$MICA" eval "$rej" --unhandled-rejections=none >"$tmp/out" 2>"$tmp/err"
rc=$? ok=0
[ $rc = 0 ] && ! [ -s "$tmp/err" ] && ok=1
verdict "--unhandled-rejections=none writes nothing to stderr" $rc $ok "$(head -c 300 "$tmp/err")"
check "--unhandled-rejections for a handler's call" 0 "1$nl" "Uncaught (in promise) Error: late" -- \
	run $J/microtasks.js --handler bad --unhandled-rejections warn
check "an unknown --unhandled-rejections mode" 2 "" "--unhandled-rejections wants strict, warn or none, not 'throw'" -- \
	eval 1 --unhandled-rejections throw
check "--unhandled-rejections with compile" 2 "" "--unhandled-rejections works with run, eval and snapshot" -- \
	compile $J/handlers.js -o "$tmp/x.mbc" --unhandled-rejections warn

# ---- what the guest writes to a terminal: no escape sequences get through
esc_js='console.log("\x1b[31mred\u009b ok\x07"); console.error("\x1b]0;t\x07"); throw new Error("\x1b[2J")'
"$MICA" eval "$esc_js" >"$tmp/out" 2>"$tmp/err"
rc=$? ok=0
[ $rc = 1 ] && grep -q "$(printf '\033')\[31mred" "$tmp/out" && grep -q "$(printf '\033')\]0;t" "$tmp/err" && ok=1
verdict "to a pipe, console output stays byte for byte" $rc $ok "$(od -c "$tmp/out" | head -3)"
if command -v script >/dev/null; then
	script -qec "'$MICA' eval '$(printf '%s' "$esc_js" | sed "s/'/'\\\\''/g")'" /dev/null >"$tmp/out" 2>&1
	rc=$? ok=0
	! grep -q "$(printf '\033')" "$tmp/out" && ! grep -q "$(printf '\007')" "$tmp/out" &&
		grep -qF '\x1b[31mred\xc2\x9b ok\x07' "$tmp/out" && grep -qF '\x1b]0;t\x07' "$tmp/out" &&
		grep -qF 'Uncaught Error: \x1b[2J' "$tmp/out" && ok=1
	verdict "to a terminal, control characters are shown escaped" $rc $ok "$(od -c "$tmp/out" | head -5)"
else
	skip=$((skip + 1))
	echo "skip - to a terminal, control characters are shown escaped (no script(1) here)"
fi

# ---- the CLI confines itself (mica_runtime_lockdown) before guest code runs
"$MICA" eval 'const t = Date.now(); while (Date.now() - t < 3000) {}' --timeout 5000 >/dev/null 2>&1 &
pid=$!
seccomp=""
for i in $(seq 50); do
	seccomp=$(awk '/^Seccomp:/ { print $2 }' /proc/$pid/status 2>/dev/null)
	[ "$seccomp" = 2 ] && break
	sleep 0.05
done
kill $pid 2>/dev/null
{ wait $pid; } 2>/dev/null
ok=0
[ "$seccomp" = 2 ] && ok=1
verdict "a running mica is under a seccomp filter (/proc/PID/status)" 0 $ok "Seccomp: '$seccomp'"
PROBE=${MICA_BUILD:-build}/tests/mica-probe
if [ -x "$PROBE" ]; then
	MICA_LOCKDOWN_PROBE=1 "$PROBE" eval 6*7 >"$tmp/out" 2>"$tmp/err"
	rc=$? ok=0
	[ $rc = 0 ] && [ "$(cat "$tmp/out")" = 42 ] && grep -q "probe: open: Operation not permitted" "$tmp/err" &&
		grep -q "probe: socket: Operation not permitted" "$tmp/err" &&
		grep -q "probe: fork: Operation not permitted" "$tmp/err" && ok=1
	verdict "after the lockdown, open, socket and fork are refused; the run goes on" $rc $ok "$(tr '\n' ' ' <"$tmp/err")"
	MICA_LOCKDOWN_PROBE=1 "$PROBE" eval 1 --no-lockdown >"$tmp/out" 2>"$tmp/err"
	rc=$? ok=0
	[ $rc = 0 ] && ! grep -q "probe:" "$tmp/err" && ok=1
	verdict "--no-lockdown leaves it out" $rc $ok "$(tr '\n' ' ' <"$tmp/err")"
else
	skip=$((skip + 2))
	echo "skip - the lockdown probe (no $PROBE: make $PROBE)"
fi
if [ -n "$leak_opts" ]; then
	# ASan builds: a whole run, a compile and a snapshot, with LeakSanitizer
	ok=1 rc=0
	for args in "eval console.log(1)" "compile $J/counter.js -o $tmp/leak.mbc" "run $tmp/leak.mbc" \
		"snapshot $J/counter.js -o $tmp/leak.snap" "run --snapshot $tmp/leak.snap --handler tick"; do
		# shellcheck disable=SC2086
		ASAN_OPTIONS=$leak_opts "$MICA" --no-lockdown $args >"$tmp/out" 2>"$tmp/err" || { rc=$?; ok=0; break; }
	done
	verdict "LeakSanitizer finds no leak in the CLI (--no-lockdown)" $rc $ok "$args: $(tr '\n' ' ' <"$tmp/err")"
fi

# ---- help and version
"$MICA" --help >"$tmp/out" 2>&1
rc=$? ok=0
grep -q "exit codes" "$tmp/out" && ok=1
NOSANDBOX=1 verdict "--help" $rc $ok "$(head -c 300 "$tmp/out")"
NOSANDBOX=1 check "--version" 0 "mica 0.1.0$nl" "" -- --version

echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
