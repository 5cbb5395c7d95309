#!/bin/bash
# Runs commands where there is a /dev/kvm, on a host that has none: QEMU in
# TCG mode (-cpu max emulates AMD SVM with nested paging, -smp 1) boots a
# Debian 6.1 kernel that loads kvm_amd (tests/kvm-qemu/init) and runs the
# commands one by one, as root, in the host's / (shared read-only over 9p,
# writes go to RAM). scripts/kvm-qemu-deps.sh fetches what this needs.
#
# Usage: scripts/kvm-qemu-run.sh [-C DIR] [--part P] [--suites BUILD] [COMMAND...]
#   -C DIR      run in DIR (default: here); give it first
#   --part P    which of those suites --suites adds: all (the default),
#               early (all but QEMU_LATE in tests/suites.sh) or late
#               (QEMU_LATE); give it before --suites
#   --suites B  the suites of build B that run sandboxes (tests/suites.sh),
#               on the KVM backend: what tests/run.sh B runs as "[kvm]"
#   COMMAND     a shell command line, run by /bin/sh; all run in order
# Prints the output as it comes, then a line per command and a total.
# Exit: 0 all passed; 1 a command failed; 77 skipped (printed as "skipped:
# WHY"): the emulator hung or died twice (the one retry resumes at the
# command it stopped in), the time ran out or the VM got no /dev/kvm;
# 2 usage or setup error.
# Environment: KVM_QEMU_TIMEOUT wall-clock limit in s (3600),
# KVM_QEMU_CMD_TIMEOUT per command (1800), KVM_QEMU_STALL s without a sign
# of life from the guest kernel that make a hang (120), KVM_QEMU_MEM (2G),
# KVM_QEMU_CPU (max), KVM_QEMU_DIR cache and logs (build/kvm-qemu),
# KVM_QEMU_KEEP=1 keeps the logs. MICA, MICA_* (but MICA_KVM_DEVICE) and
# *SAN_OPTIONS are passed into the VM, and KVM_QEMU=1 is set there.
set -u

say() { echo "kvm-qemu: $*"; }
die() {
	say "error: $*" >&2
	exit 2
}
q() { printf "'%s'" "${1//\'/\'\\\'\'}"; } # single-quotes for sh

# The sandbox suites of build $1 on the KVM backend, as tests/run.sh runs
# them; a missing one is a command that fails.
add_suites() {
	export MICA="$1/mica" MICA_BUILD="$1" MICA_BACKEND=kvm
	[ "${MICA_SAN:-}" ] || case "$1" in *asan*) export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 ;; esac
	. "$src/tests/suites.sh"
	for t in $SANDBOX; do
		case " $QEMU_LATE " in
		*" $t "*) [ "$part" != early ] || continue ;;
		*) [ "$part" != late ] || continue ;;
		esac
		suite[${#cmds[@]}]=1
		if suite_present "$t" "$1"; then
			cmds+=("$(suite_cmd "$t" "$1")")
		else
			cmds+=("echo '$t: missing from $1'; exit 1")
		fi
	done
}

src=$(cd "$(dirname "$0")/.." && pwd)
cmds=() suite=() part=all
while [ $# -gt 0 ]; do
	case $1 in
	-C) cd "$2" || exit 2; shift 2 ;;
	--part)
		case ${2:-} in all | early | late) part=$2 ;; *) die "--part: all, early or late, not '${2:-}'" ;; esac
		shift 2
		;;
	--suites) add_suites "$2"; shift 2 ;;
	-h | --help) sed -n '2,/^$/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	--) shift; cmds+=("$@"); break ;;
	-*) die "unknown option $1 (see --help)" ;;
	*) cmds+=("$1"); shift ;;
	esac
done
[ ${#cmds[@]} -gt 0 ] || die "no command to run (see --help)"
for c in "${cmds[@]}"; do
	case $c in *$'\n'*) die "a command has a newline: $c" ;; esac
done

timeout=${KVM_QEMU_TIMEOUT:-3600} cmd_timeout=${KVM_QEMU_CMD_TIMEOUT:-1800}
stall=${KVM_QEMU_STALL:-120} mem=${KVM_QEMU_MEM:-2G} cpu=${KVM_QEMU_CPU:-max}
kq=${KVM_QEMU_DIR:-build/kvm-qemu}
mkdir -p "$kq" && kq=$(cd "$kq" && pwd) || exit 2
case $kq in *[[:space:]]*) die "$kq: no spaces, please (it goes on the kernel command line)" ;; esac
"$src/scripts/kvm-qemu-deps.sh" "$kq" || die "scripts/kvm-qemu-deps.sh failed"
run=$(mktemp -d "$kq/run.XXXXXX") || exit 2

qpid="" tpid=""
cleanup() {
	[ -z "$qpid" ] || kill -KILL "$qpid" 2>/dev/null
	if [ "${KVM_QEMU_KEEP:-}" = 1 ]; then say "logs in $run"; else rm -rf "$run"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

{
	echo "KQ_DIR=$(q "$PWD")"
	echo "KQ_CMD_TIMEOUT=$cmd_timeout"
} >"$run/conf"
for v in $(compgen -e); do
	case $v in
	MICA_KVM_DEVICE) ;; # the emulated machine has its own /dev/kvm
	MICA | MICA_* | *SAN_OPTIONS) echo "export $v=$(q "${!v}")" ;;
	esac
done >"$run/env"
echo "export KVM_QEMU=1" >>"$run/env" # tells the commands they run under emulation

now() { date +%s.%N; }
secs() { awk "BEGIN { printf \"%.1f\", $1 - $2 }"; }

# results, by command index: rc, seconds and closing line ("N passed, ...")
declare -a rc=() took=() sum=() stopped=()
start=$(now)
deadline=$(($(date +%s) + timeout))
boot="" kernel="" skip="" setup=""

# attempt N: boots the VM on the commands without a result yet. Sets
# outcome to done, hung, died (qemu stopped early), time, nokvm or error.
attempt() {
	local n=$1 pending=() i r t line where ctl=$run/ctl.$1 size last=0 quiet_since t0 current="" ready=""
	for i in "${!cmds[@]}"; do
		[ -n "${rc[$i]:-}" ] || pending+=("$i")
	done
	for i in "${pending[@]}"; do printf '%s\n' "${cmds[$i]}"; done >"$run/cmds"
	: >"$ctl"
	: >"$run/console.$n"
	say "booting ($(cat "$kq/kernel/ready"), qemu TCG -cpu $cpu) for ${#pending[@]} command(s)"
	t0=$(now)
	qemu-system-x86_64 -accel tcg -cpu "$cpu" -smp 1 -m "$mem" -nodefaults -display none -no-reboot \
		-kernel "$kq/kernel/vmlinux" -initrd "$kq/initramfs.gz" \
		-append "console=ttyS0 quiet panic=-1 kq.job=$run" \
		-serial "file:$run/console.$n" -serial "file:$ctl" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		</dev/null >"$run/qemu.$n" 2>&1 &
	qpid=$!
	tail -n +1 -s 0.2 -F --pid=$qpid "$run/console.$n" 2>/dev/null | tr -d '\r' &
	tpid=$!
	quiet_since=$(date +%s)
	outcome=""
	while kill -0 $qpid 2>/dev/null; do
		sleep 0.2
		size=$(stat -c %s "$ctl")
		if [ "$size" != "$last" ]; then
			last=$size quiet_since=$(date +%s)
			[ -n "$ready" ] || ! grep -q '^ready' "$ctl" || ready=$(now)
		fi
		if grep -q -E '^(done|kvm missing|error)' "$ctl"; then
			[ $(($(date +%s) - quiet_since)) -lt 10 ] || break # it should have powered off
		elif [ $(($(date +%s) - quiet_since)) -ge "$stall" ]; then
			outcome=hung
			break
		elif [ "$(date +%s)" -ge "$deadline" ]; then
			outcome="time"
			break
		fi
	done
	kill $qpid 2>/dev/null && sleep 1 && kill -KILL $qpid 2>/dev/null
	wait $qpid 2>/dev/null
	local qrc=$?
	qpid=""
	wait $tpid
	[ -z "$ready" ] || ready=$(secs "$ready" "$t0")

	while read -r line; do
		case $line in
		"boot "*) kernel=${line##* } ;;
		"ready "*) boot="${ready:-?} s to the first command (guest uptime ${line#ready } s)" ;;
		"start "*) current=${pending[${line#start } - 1]} ;;
		"end "*)
			read -r _ i r t line <<<"$line"
			i=${pending[i - 1]}
			rc[i]=$r took[i]=$t sum[i]=$line current=""
			;;
		"done "*) outcome="done" ;;
		"kvm missing:"*) outcome=nokvm skip="the emulated machine has no /dev/kvm:${line#kvm missing:}" ;;
		"error: "*) outcome=error setup=${line#error: } ;;
		esac
	done < <(tr -d '\r' <"$ctl")
	if [ -z "$outcome" ]; then
		if [ ! -s "$ctl" ] && [ "$qrc" -ne 0 ]; then
			outcome=error setup="qemu exited with $qrc: $(tail -n 5 "$run/qemu.$n")"
		else
			outcome=died
		fi
	fi
	where="while booting"
	[ -z "$current" ] || where="in: ${cmds[current]}" stopped[current]=$outcome
	case $outcome in
	hung) skip="no sign of life from the emulated machine for $stall s $where" ;;
	died)
		line=$(tr -d '\r' <"$run/console.$n" | grep -m 1 -o 'Kernel panic.*')
		skip="the emulated machine stopped (${line:-qemu exit $qrc}) $where"
		;;
	time) skip="the wall-clock limit of $timeout s (KVM_QEMU_TIMEOUT) ran out $where" ;;
	esac
}

attempt 1
if [ "$outcome" = hung ] || [ "$outcome" = died ]; then
	say "$skip; retrying once, from there"
	skip=""
	attempt 2
fi
[ "$outcome" != error ] || die "$setup"

say "== results: kernel ${kernel:-?}, qemu TCG -cpu $cpu -smp 1 -m $mem; boot ${boot:-?}; $(secs "$(now)" "$start") s in all"
p=0 f=0 s=0 ok=0 failed=0 notrun=0
for i in "${!cmds[@]}"; do
	c=${cmds[$i]} r=${rc[$i]:-}
	if [ -z "$r" ]; then
		notrun=$((notrun + 1))
		r=${stopped[$i]:-not run}
		say "$(printf '%-7s %9s  %s' "${r/#time/timeout}" '' "$c")"
		continue
	fi
	line=${sum[$i]} status=ok
	if [[ $line =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)? ]]; then
		p=$((p + BASH_REMATCH[1])) f=$((f + BASH_REMATCH[2])) s=$((s + ${BASH_REMATCH[4]:-0}))
	elif [ -n "${suite[$i]:-}" ]; then
		line="no closing 'N passed, N failed' line${line:+; $line}" # a broken suite, as in tests/run.sh
		status=FAIL
	fi
	[ "$r" -eq 0 ] || { status=FAIL line="exit $r${line:+; $line}"; }
	[ "$status" = ok ] && ok=$((ok + 1)) || failed=$((failed + 1))
	say "$(printf '%-7s %7s s  %s' "$status" "${took[$i]}" "$c")${line:+  [$line]}"
done
say "total: $p passed, $f failed, $s skipped; commands: $ok ok, $failed failed, $notrun not run"
if [ "$failed" -gt 0 ]; then
	[ -z "$skip" ] || say "and the run was cut short: $skip"
	say "failed"
	exit 1
elif [ -n "$skip" ]; then
	echo "skipped: $skip"
	exit 77
fi
say "passed"
