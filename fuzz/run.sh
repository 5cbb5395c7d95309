#!/bin/sh
# Runs libFuzzer targets one after the other (never two at once), each for
# SECONDS: build/fuzz/fuzz_TARGET over the checked-in seeds, fuzz/corpus/TARGET
# (only read), and a scratch corpus, build/fuzz/corpus/TARGET, where new
# entries go and which the next run starts from. Crashes, leaks and timeouts
# land in build/fuzz/crashes/TARGET/; the full log in build/fuzz/logs/.
# Prints each target's figures; fails if any target found something.
#
# Usage: fuzz/run.sh SECONDS TARGET...     (make fuzz runs it)
# FUZZ_FLAGS adds libFuzzer flags (e.g. -runs=N, -jobs is not wanted here).
set -u
secs=${1:?usage: fuzz/run.sh SECONDS TARGET...}
shift
out=build/fuzz
bad=""

# Per target: the largest input worth trying.
max_len() {
	case $1 in
	snapfile) echo 24576 ;; # header, table, registers and a couple of pages
	image) echo 20000 ;;	# the seeds are 9-14 KB
	modules) echo 4200 ;;	# names up to 4096 bytes, as MICA_HC_MODULE
	*) echo 4096 ;;
	esac
}

for t in "$@"; do
	bin=$out/fuzz_$t
	[ -x "$bin" ] || { echo "fuzz: no $bin (make fuzz-build)"; bad="$bad $t(missing)"; continue; }
	mkdir -p "$out/corpus/$t" "$out/crashes/$t" "$out/logs"
	log=$out/logs/$t.log
	echo "== fuzz $t: ${secs} s"
	# shellcheck disable=SC2086
	"$bin" -max_total_time="$secs" -timeout=25 -rss_limit_mb=4096 -max_len="$(max_len "$t")" \
		-print_final_stats=1 -artifact_prefix="$out/crashes/$t/" ${FUZZ_FLAGS:-} \
		"$out/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
	cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -nE 's/.*(cov: [0-9]+ ft: [0-9]+ corp: [0-9]+\/[^ ]+).*/\1/p')
	echo "   $t: ${runs:-?} runs, ${speed:-?} exec/s, ${cov:-?}, exit $rc"
	if [ "$rc" -ne 0 ]; then
		bad="$bad $t"
		grep -E 'ERROR|SUMMARY|fuzz: |Test unit written|deadly signal' "$log" | head -20 | sed 's/^/   /'
	fi
done
if [ -n "$bad" ]; then
	echo "fuzz: found something in:$bad (logs in $out/logs, inputs in $out/crashes)"
	exit 1
fi
echo "fuzz: no crash in: $*"
