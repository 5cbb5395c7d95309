#!/bin/sh
# Runs every test suite against the build in $1 and sums their closing
# "N passed, N failed[, N skipped]" lines. Exits non-zero if any suite
# failed or died.
set -u
build=${1:-build}
export MICA="$build/mica" MICA_BUILD="$build"
[ "${MICA_SAN:-}" ] || case "$build" in *asan*) export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 ;; esac

passed=0 failed=0 skipped=0 broken=""
run_suite() {
	name=$1
	shift
	echo "== $name"
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then
		broken="$broken $name"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || { broken="$broken $name(exit $rc)"; failed=$((failed + 1)); }
}

for t in "$build"/tests/test_*; do
	[ -x "$t" ] || continue
	run_suite "$(basename "$t")" "$t"
done
for t in tests/cli/*.sh; do
	[ -f "$t" ] || continue
	run_suite "$(basename "$t" .sh)" sh "$t" "$build/mica"
done

[ -z "$broken" ] || echo "suites that failed or did not report: $broken"
echo "suites in $build done"
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ -z "$broken" ]
