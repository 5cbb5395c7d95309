#!/bin/sh
# Runs every test suite against the build in $1 and sums their closing
# "N passed, N failed[, N skipped]" lines. The suites that run sandboxes run
# once per backend (MICA_BACKEND=kvm, then process); where a backend cannot
# be used here, its tests are skipped, counted and reported with the
# reason, never hidden. The runner knows the suites it expects: a missing
# one, or one that prints no closing line, is a failure. Exits non-zero if
# anything failed.
#
# TEST_BACKENDS="process" (or "kvm") runs one backend only.
set -u
build=${1:-build}
export MICA="$build/mica" MICA_BUILD="$build"
[ "${MICA_SAN:-}" ] || case "$build" in *asan*) export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 ;; esac

. tests/suites.sh
BACKENDS=${TEST_BACKENDS:-kvm process}

passed=0 failed=0 skipped=0 broken=""
run_suite() {
	name=$1
	shift
	echo "== $name"
	t0=$(date +%s)
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	echo "# $name: $(($(date +%s) - t0)) s"
	line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed' | tail -1)
	if [ -z "$line" ]; then
		broken="$broken $name(no closing line, exit $rc)"
		failed=$((failed + 1))
		return
	fi
	p=$(echo "$line" | sed -E 's/^([0-9]+) passed.*/\1/')
	f=$(echo "$line" | sed -E 's/^[0-9]+ passed, ([0-9]+) failed.*/\1/')
	s=$(echo "$line" | sed -nE 's/.*, ([0-9]+) skipped.*/\1/p')
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + ${s:-0}))
	[ "$rc" -eq 0 ] || [ "$f" -gt 0 ] || { broken="$broken $name(exit $rc)"; failed=$((failed + 1)); }
}

for t in $PLAIN $SANDBOX; do
	suite_present "$t" "$build" || { broken="$broken $t(missing)"; failed=$((failed + 1)); }
done
for t in $PLAIN; do
	# shellcheck disable=SC2046
	suite_present "$t" "$build" && run_suite "$t" $(suite_cmd "$t" "$build")
done
for b in $BACKENDS; do
	export MICA_BACKEND=$b
	if why=$("$build/mica" --no-lockdown eval 1 2>&1 >/dev/null); then
		echo "## backend $b: available"
	else
		echo "## backend $b: unavailable ($why): its runs skip every test that needs it"
	fi
	for t in $SANDBOX; do
		suite_present "$t" "$build" || continue
		# shellcheck disable=SC2046
		run_suite "$t [$b]" $(suite_cmd "$t" "$build")
	done
done

[ -z "$broken" ] || echo "suites that failed, died or did not report:$broken"
echo "suites in $build done"
echo "total: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ -z "$broken" ]
