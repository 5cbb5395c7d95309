#!/bin/sh
# Makes the seed corpora in fuzz/corpus/, each with the project's own tools
# where there is one (what every seed is: fuzz/README.md). Files made by
# this build (snapshots, bytecode) name its guest image; the fuzz targets
# also try every input with this build's image hash and checksum written
# in, so older seeds keep reaching the deep checks.
#
# Usage: fuzz/make-corpus.sh            (from the top of the project)
set -eu
make -s all build/fuzz/seedgen build/hostile/proto.elf build/hostile/exit_msg.elf \
	build/hostile/cpl0_hlt.elf >/dev/null
mica=build/mica seedgen=build/fuzz/seedgen c=fuzz/corpus
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for t in snapfile bytecode image hypercall modules events json; do
	rm -rf "${c:?}/$t"
	mkdir -p "$c/$t"
done

# snapfile: a snapshot of a one-line module in 16 MiB (1.4 MB), cut down
# to its first pages with sizes and checksum made to match (valid files),
# one with host functions in its table, and the real file cut short.
printf 'export function echo(e) { return e; }\n' >"$tmp/tiny.js"
$mica snapshot "$tmp/tiny.js" -o "$tmp/tiny.msnap" --memory 16
$seedgen snapshot "$tmp/tiny.msnap" $c/snapfile/valid-0pages 0
$seedgen snapshot "$tmp/tiny.msnap" $c/snapfile/valid-2pages 2
$seedgen snapshot "$tmp/tiny.msnap" $c/snapfile/valid-fns 1 fns
head -c 3000 "$tmp/tiny.msnap" >$c/snapfile/truncated

# bytecode: `mica compile` of two modules, one with a NUL put in its name
# (checksum made to match), one cut short.
$mica compile "$tmp/tiny.js" -o $c/bytecode/tiny
$mica compile examples/handler.js -o $c/bytecode/handler
$seedgen bytecode-nul $c/bytecode/tiny $c/bytecode/name-nul
head -c 80 $c/bytecode/tiny >$c/bytecode/truncated

# image: three hostile test guests (tests/hostile), stripped: one with the
# process backend's stubs and a protocol loop, one that exits, one with
# its own CPL0 stubs and no process stubs.
for e in proto exit_msg cpl0_hlt; do
	strip --strip-all -o $c/image/$e.elf build/hostile/$e.elf
done

# hypercall: one sequence per handler and a few more (fuzz/seedgen.c).
$seedgen hypercall $c/hypercall

# modules: names a guest may ask for, inside the tree and trying to leave it
# (the tree: fuzz/fuzz_modules.c).
n=0
for name in a.js sub/c.js ./sub//deep/d.js in_file in_dir/c.js sub/back sub/deep/../c.js \
	../OUT/secret.js out_file out_dir/secret.js sub/up2/OUT/secret.js up/root/a.js \
	abs_file abs_dir/passwd in_abs loop dev fifo sub/sock empty.js /etc/passwd . sub/ \
	a.js/ ....//a.js; do
	n=$((n + 1))
	printf '%s' "$name" >$c/modules/name-$n
done

# events: --event-file contents; the first byte is the --repeat count (% 8).
printf '\003{"name":"a"}\n\n  \t\r\n[1,2,3]\r\n"last, no newline"' >$c/events/three
printf '\002\n\n{"a":1}\n{"b":2}\n{"c":3}\n' >$c/events/more-than-room
printf '\001   \n\t\n\r\r\n' >$c/events/blank
printf '\005one\000two\nthree' >$c/events/nul

# json: events as `mica run --event` passes them.
printf '{"name":"mica","n":[1,-2.5e-3,1e400,true,null],"s":"\\u00e9\\ud83d\\ude00\\n"}' \
	>$c/json/object
printf '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[{"deep":[]}]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]' >$c/json/nested
printf '{"__proto__":{"x":1},"a":1,"a":2,"":0,"constructor":[]}' >$c/json/keys
printf '  -0 ' >$c/json/number
printf '{"a":[1,2,}' >$c/json/invalid
printf '"\\ud800 lone \\udfff \\u0000"' >$c/json/string
# a number QuickJS reads an ulp away (fuzz_json.c): found by the fuzzer
printf '\r44444444444444424443' >$c/json/number-ulp
echo "corpus: $(find $c -type f | wc -l) files, $(du -sk $c | cut -f1) KiB"
