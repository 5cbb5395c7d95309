#!/bin/sh
# `make install` into a temporary DESTDIR, checked the way its users meet
# it: the files and links, the library's exports and soname, programs built
# with nothing but `pkg-config mica` (shared and static) and run, `man mica`
# and `man 3 mica`, the help and man page against the CLI's option table,
# then `make uninstall`. Usage: install.sh BUILD_DIR; it installs that
# build's artefacts (tests/run.sh runs it for build and build/asan).
set -u
build=${1:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
root=$tmp/root
pass=0 fail=0 skip=0

ok() {
	pass=$((pass + 1))
	echo "ok - $1"
}
bad() {
	fail=$((fail + 1))
	echo "FAIL - $1: $2"
}
skipped() {
	skip=$((skip + 1))
	echo "skip - $1 ($2)"
}
finish() {
	echo "$pass passed, $fail failed, $skip skipped"
	[ "$fail" -eq 0 ]
	exit
}
# a sub-make of its own, not of the make that runs the tests
unset MAKEFLAGS MAKELEVEL MFLAGS
san=""
case "$build" in *asan*) san=SAN=1 ;; esac
mk() {
	# shellcheck disable=SC2086
	make -s --no-print-directory BUILD="$build" $san DESTDIR="$root" PREFIX=/usr "$@"
}

ver=$(sed -n 's/^#define MICA_VERSION *"\([0-9.]*\)".*/\1/p' include/mica.h)
major=${ver%%.*}
minor=${ver#*.}
minor=${minor%%.*}
lib=$root/usr/lib/libmica.so.$major.$minor
mica=$root/usr/bin/mica

# ---- make install
if mk install >"$tmp/log" 2>&1; then
	ok "make install DESTDIR=... PREFIX=/usr"
else
	bad "make install DESTDIR=... PREFIX=/usr" "$(tail -20 "$tmp/log")"
	finish
fi

printf '%s\n' ./usr/bin/mica ./usr/include/mica.h ./usr/lib/libmica.a ./usr/lib/libmica.so \
	"./usr/lib/libmica.so.$major" "./usr/lib/libmica.so.$major.$minor" ./usr/lib/pkgconfig/mica.pc \
	./usr/share/bash-completion/completions/mica ./usr/share/man/man1/mica.1 \
	./usr/share/man/man3/mica.3 ./usr/lib/python3/dist-packages/mica.abi3.so >"$tmp/want"
LC_ALL=C sort -o "$tmp/want" "$tmp/want"
(cd "$root" && find . ! -type d | LC_ALL=C sort) >"$tmp/got"
if cmp -s "$tmp/want" "$tmp/got"; then
	ok "the installed files, exactly"
else
	bad "the installed files, exactly" "$(diff "$tmp/want" "$tmp/got" | grep '^[<>]' | tr '\n' ' ')"
fi

# an ASan build's module needs the sanitizers' runtimes in the interpreter
py_preload=""
[ -n "$san" ] && py_preload="$(${CC:-cc} -print-file-name=libasan.so) $(${CC:-cc} -print-file-name=libubsan.so)"
if PYTHONPATH=$root/usr/lib/python3/dist-packages LD_PRELOAD=$py_preload ASAN_OPTIONS=detect_leaks=0 \
	/usr/bin/python3 -c 'import mica; mica.Runtime' >"$tmp/py" 2>&1; then
	ok "python3 imports the installed module"
else
	bad "python3 imports the installed module" "$(tail -3 "$tmp/py")"
fi

links="$(readlink "$root/usr/lib/libmica.so.$major") $(readlink "$root/usr/lib/libmica.so")"
if [ "$links" = "libmica.so.$major.$minor libmica.so.$major.$minor" ] && [ -f "$lib" ]; then
	ok "libmica.so.$major and libmica.so link to libmica.so.$major.$minor ($ver)"
else
	bad "the library's links" "libmica.so.$major, libmica.so -> $links"
fi

soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
if [ "$soname" = "libmica.so.$major" ]; then
	ok "soname $soname"
else
	bad "soname libmica.so.$major" "readelf says '$soname'"
fi

# The functions mica.h declares, and what the library exports.
grep -E '^[a-z][a-z_ ]*[ *]mica_[a-z0-9_]+\(' include/mica.h |
	sed -E 's/^[^(]*[ *](mica_[a-z0-9_]+)\(.*/\1/' | LC_ALL=C sort -u >"$tmp/api"
nm -D --defined-only "$lib" | awk '{ print $NF }' | sed 's/@.*//' | LC_ALL=C sort -u >"$tmp/exports"
if [ -s "$tmp/api" ] && cmp -s "$tmp/api" "$tmp/exports"; then
	ok "nm -D: the library exports mica.h's $(wc -l <"$tmp/api") functions and nothing else"
else
	bad "nm -D: exports = mica.h's functions" \
		"$(diff "$tmp/api" "$tmp/exports" | grep '^[<>]' | head -20 | tr '\n' ' ')(< mica.h only, > exported only)"
fi
if ldd -r "$lib" 2>&1 | grep -q "undefined symbol"; then
	bad "no undefined symbols" "$(ldd -r "$lib" 2>&1 | grep "undefined symbol" | head -5)"
else
	ok "ldd -r: no undefined symbols"
fi

if [ "$("$mica" --version 2>&1)" = "mica $ver" ]; then
	ok "bin/mica --version: mica $ver"
else
	bad "bin/mica --version" "$("$mica" --version 2>&1)"
fi

# ---- programs built with pkg-config only
pc() {
	PKG_CONFIG_LIBDIR=$root/usr/lib/pkgconfig PKG_CONFIG_PATH='' pkg-config --define-prefix "$@" mica
}
if ! command -v pkg-config >/dev/null; then
	bad "pkg-config" "not installed (scripts/deps.sh installs it)"
	finish
fi
if [ "$(pc --modversion 2>&1)" = "$ver" ] && pc --cflags | grep -q -- "-I$root/usr/include"; then
	ok "pkg-config finds mica $ver in the tree: $(pc --cflags --libs)"
else
	bad "pkg-config --modversion/--cflags" "$(pc --modversion --cflags 2>&1)"
fi
if pc --static --libs | grep -q -- "-lseccomp"; then
	ok "pkg-config --static --libs adds the private libraries: $(pc --static --libs)"
else
	bad "pkg-config --static --libs" "$(pc --static --libs 2>&1)"
fi

CC=${CC:-cc}
# A sanitized library (build/asan) needs sanitized programs.
sanflags=""
readelf -d "$lib" | grep -q "libasan" && sanflags="-fsanitize=address,undefined"
# The example of mica(3), as its reader would copy it.
sed -n '/^\.SH EXAMPLES/,/^\.fi/p' docs/man/mica.3 | sed -e '1,2d' -e '$d' -e 's/\\e/\\/g' \
	-e 's/\\-/-/g' >"$tmp/app.c"
# shellcheck disable=SC2046
if $CC $sanflags -o "$tmp/host" examples/plugin/host.c $(pc --cflags --libs) 2>"$tmp/err" &&
	$CC $sanflags -o "$tmp/app" "$tmp/app.c" $(pc --cflags --libs) 2>>"$tmp/err" &&
	readelf -d "$tmp/host" | grep -q "NEEDED.*\[libmica.so.$major\]"; then
	ok "examples/plugin/host.c and mica(3)'s example build with \$(pkg-config --cflags --libs mica)"
	built=1
else
	bad "build with \$(pkg-config --cflags --libs mica)" "$(head -c 600 "$tmp/err")"
	built=0
fi
static=0
if [ -n "$sanflags" ]; then
	skipped "a static build with pkg-config --static" "an ASan library cannot be linked statically"
	# shellcheck disable=SC2046
elif $CC -static -o "$tmp/host-static" examples/plugin/host.c $(pc --static --cflags --libs) \
	2>"$tmp/err" && ! readelf -d "$tmp/host-static" 2>/dev/null | grep -q NEEDED; then
	ok "examples/plugin/host.c builds static with \$(pkg-config --static --cflags --libs mica)"
	static=1
else
	bad "static build with pkg-config --static" "$(head -c 600 "$tmp/err")"
fi

export LD_LIBRARY_PATH="$root/usr/lib"
if ! why=$("$mica" --no-lockdown eval 1 2>&1 >/dev/null); then
	for t in "the plugin host runs on the installed libmica.so" "mica(3)'s example runs" \
		"the static plugin host runs"; do
		skipped "$t" "no backend works here: $why"
	done
elif [ "$built" = 1 ]; then
	out=$("$tmp/host" examples/plugin/plugin.js 2>&1)
	rc=$?
	if [ $rc = 0 ] && echo "$out" | grep -q "stored matches the result: yes" &&
		ldd "$tmp/host" | grep -q "libmica.so.$major => $root/usr/lib/"; then
		ok "the plugin host runs on the installed libmica.so"
	else
		bad "the plugin host runs on the installed libmica.so" "exit $rc: $(echo "$out" | head -c 600)"
	fi
	out=$("$tmp/app" 2>&1)
	rc=$?
	if [ $rc = 0 ] && [ "$out" = 3 ]; then
		ok "mica(3)'s example runs: 3"
	else
		bad "mica(3)'s example runs" "exit $rc: $(echo "$out" | head -c 600)"
	fi
	if [ "$static" = 1 ]; then
		out=$(LD_LIBRARY_PATH='' "$tmp/host-static" examples/plugin/plugin.js 2>&1)
		rc=$?
		if [ $rc = 0 ] && echo "$out" | grep -q "stored matches the result: yes"; then
			ok "the static plugin host runs"
		else
			bad "the static plugin host runs" "exit $rc: $(echo "$out" | head -c 600)"
		fi
	fi
fi
unset LD_LIBRARY_PATH

# ---- man pages, as `man` shows them from the tree
man1=$tmp/mica.1.txt
for sec in 1 3; do
	if ! command -v man >/dev/null; then
		bad "man $sec mica" "man is not installed (scripts/deps.sh installs man-db)"
		continue
	fi
	MANPATH=$root/usr/share/man LC_ALL=C MANWIDTH=80 man --warnings -E ascii "$sec" mica \
		>"$tmp/mica.$sec.txt" 2>"$tmp/err"
	rc=$?
	if [ $rc = 0 ] && [ ! -s "$tmp/err" ] && grep -q "^MICA($sec)" "$tmp/mica.$sec.txt" &&
		grep -q "^NAME" "$tmp/mica.$sec.txt"; then
		ok "man $sec mica renders, without warnings"
	else
		bad "man $sec mica" "exit $rc: $(head -c 300 "$tmp/err") $(head -c 300 "$tmp/mica.$sec.txt")"
	fi
done

# ---- the help and the man page against the CLI's table (cli/help.c)
table() {
	sed -n "/^static const struct $1 $2\\[\\] = {/,/^};/p" cli/help.c | grep -oE '^ *\{"[a-z-]+"' |
		tr -d ' {"'
}
options=$(table mica_cli_option options)
commands=$(table mica_cli_command commands)
[ -n "$options" ] && [ -n "$commands" ] || bad "the tables of cli/help.c" "no options or commands found"
# the short option of --$1, if any
letter() {
	sed -n "s/^ *{\"$1\", '\\(.\\)'.*/\\1/p" cli/help.c
}
# a value --$1 accepts, for the refusal checks below
sample() {
	case $1 in
	handler) echo f ;;
	event) echo null ;;
	event-file | event-bytes) echo /dev/null ;;
	modules) echo tests/js ;;
	snapshot) echo "$tmp/none.msnap" ;;
	output) echo "$tmp/out" ;;
	repeat) echo 1 ;;
	isolation) echo reuse ;;
	timeout) echo 1000 ;;
	memory) echo 64 ;;
	unhandled-rejections) echo warn ;;
	backend) echo process ;;
	listen) echo 127.0.0.1:0 ;;
	workers) echo 1 ;;
	pin) echo auto ;;
	max-body | max-header | max-uri) echo 16k ;;
	queue-timeout | header-timeout | body-timeout | grace) echo 100 ;;
	env) echo A=1 ;;
	env-file) echo /dev/null ;;
	access-log) echo off ;;
	admin) echo 127.0.0.1:0 ;;
	allow-fetch) echo http://127.0.0.1:1 ;;
	max-subrequests) echo 1 ;;
	*) return 1 ;;
	esac
}
# $1 lists option --$2 (as "  --NAME" or "  -L, --NAME")
lists() {
	grep -qE -- "^  (-., )?--$2( |\$)" "$1"
}

"$mica" --help >"$tmp/help" 2>&1
rc=$?
missing=""
for o in $options; do
	lists "$tmp/help" "$o" || missing="$missing --$o"
	grep -qE -- "--$o( |,|\\.|\$)" "$man1" || missing="$missing --$o(man)"
	grep -q -- "--$o[ |)']" "$root/usr/share/bash-completion/completions/mica" ||
		missing="$missing --$o(completion)"
	l=$(letter "$o")
	[ -z "$l" ] || grep -qE -- "^  -$l, --$o" "$tmp/help" || missing="$missing -$l"
done
for c in $commands; do
	grep -qE "^  $c " "$tmp/help" || missing="$missing $c"
	grep -qE "^       $c( |\$)" "$man1" || missing="$missing $c(man)"
done
if [ $rc = 0 ] && [ -z "$missing" ] && [ -n "$options" ]; then
	ok "mica --help, mica(1) and the completion list all $(echo $options | wc -w) options and $(echo $commands | wc -w) commands"
else
	bad "mica --help, mica(1) and the completion list every option and command" "exit $rc, missing:$missing"
fi

# Each command's help lists the options it takes; the others are refused.
for c in $commands; do
	case $c in
	run) base="run tests/js/counter.js" ;;
	snapshot) base="snapshot tests/js/counter.js -o $tmp/x.msnap" ;;
	compile) base="compile tests/js/counter.js -o $tmp/x.mbc" ;;
	eval) base="eval 1" ;;
	info) base="info" ;;
	serve) base="serve examples/edge.js --listen 127.0.0.1:0" ;;
	*)
		bad "mica $c --help" "no sample invocation for $c in tests/install/install.sh"
		continue
		;;
	esac
	"$mica" "$c" --help >"$tmp/help.$c" 2>&1
	rc=$?
	why="" took=0 refused=0
	[ $rc = 0 ] || why="exit $rc"
	grep -q "^usage: mica $c " "$tmp/help.$c" || why="$why, no usage line"
	for o in $options; do
		if lists "$tmp/help.$c" "$o"; then
			took=$((took + 1))
			continue
		fi
		v=""
		if grep -qE -- "^  (-., )?--$o [A-Z]" "$tmp/help"; then
			v=$(sample "$o") || {
				why="$why, no sample value for --$o in tests/install/install.sh"
				continue
			}
		fi
		# shellcheck disable=SC2086
		timeout 20 "$mica" $base "--$o" $v >/dev/null 2>"$tmp/err" </dev/null
		rc=$?
		l=$(letter "$o")
		if [ $rc = 2 ] && { grep -q -- "--$o" "$tmp/err" ||
			{ [ -n "$l" ] && grep -q -- "-$l " "$tmp/err"; } ||
			grep -q "$c takes only" "$tmp/err"; }; then
			refused=$((refused + 1))
		else
			why="$why, --$o not listed but exit $rc ($(head -c 200 "$tmp/err"))"
		fi
	done
	if [ -z "$why" ]; then
		ok "mica $c --help lists its $took options; the other $refused are refused (exit 2)"
	else
		bad "mica $c --help" "${why#, }"
	fi
done

"$mica" nosuch --help >/dev/null 2>"$tmp/err"
rc1=$?
"$mica" run --nosuch >/dev/null 2>&1
rc2=$?
if [ $rc1 = 2 ] && [ $rc2 = 2 ]; then
	ok "an unknown command or option is exit 2, with or without --help"
else
	bad "unknown command/option exit 2" "mica nosuch --help: $rc1, mica run --nosuch: $rc2"
fi

if command -v bash >/dev/null; then
	if bash -n "$root/usr/share/bash-completion/completions/mica" 2>"$tmp/err"; then
		ok "the bash completion parses"
	else
		bad "the bash completion parses" "$(head -c 300 "$tmp/err")"
	fi
fi

# ---- make uninstall: what install put there, and nothing else
mkdir -p "$root/usr/lib/other" && : >"$root/usr/lib/libother.so" && : >"$root/usr/share/man/man1/other.1"
if mk uninstall >"$tmp/log" 2>&1; then
	left=$(cd "$root" && find . ! -type d | LC_ALL=C sort | tr '\n' ' ')
	if [ "$left" = "./usr/lib/libother.so ./usr/share/man/man1/other.1 " ]; then
		ok "make uninstall removes what make install put there, and nothing else"
	else
		bad "make uninstall" "left: $left"
	fi
else
	bad "make uninstall" "$(tail -20 "$tmp/log")"
fi

finish
