# The test suites, for tests/run.sh and scripts/kvm-qemu-run.sh (sourced).
# PLAIN need no sandbox (fuzz_replay: fuzz/replay.c; install: tests/install/install.sh,
# which runs one on whichever backend works; deploy: the manifests and Dockerfile
# checked, tests/deploy/check.sh); SANDBOX run once per backend. The scripts are named
# in suite_cmd (serve, wire, batch, load: tests/serve; scaleout: two `mica serve` nodes
# behind nginx); the others are $BUILD/tests/NAME.
PLAIN="test_console_js test_web_js test_fetch_js test_events_js test_streams_js test_arena test_modules fuzz_replay install deploy"
SANDBOX="test_api test_conformance test_parity test_hostile test_snapshot test_pool test_snapfile
	 test_bytecode test_async test_crypto test_binary test_backend test_proc test_lockdown test_python cli serve wire batch load scaleout"
# Where there is no /dev/kvm, make test runs the SANDBOX suites' KVM runs in
# QEMU's emulator (one CPU) beside the native runs. QEMU_LATE go to a second
# emulated machine once the native runs are done and their CPU is free: about
# 3 of the emulator's 14 minutes, so that both lanes end together.
QEMU_LATE="test_python batch"

# The command that runs suite $1 of build $2: a script of tests/, or a
# program the build made.
suite_cmd() {
	case "$1" in
	cli) echo "sh tests/cli/cli.sh $2/mica" ;;
	serve) echo "sh tests/serve/serve.sh $2/mica" ;;
	wire) echo "python3 tests/serve/wire.py $2/mica" ;;
	batch) echo "python3 tests/serve/batch.py $2/mica" ;;
	load) echo "python3 tests/serve/load.py $2/mica" ;;
	scaleout) echo "sh tests/serve/scaleout.sh $2/mica" ;;
	deploy) echo "sh tests/deploy/check.sh" ;;
	*) echo "$2/tests/$1" ;;
	esac
}

# 0 if suite $1 of build $2 is there to run.
suite_present() {
	case "$(suite_cmd "$1" "$2")" in
	"$2/tests/$1") [ -x "$2/tests/$1" ] ;;
	*) true ;;
	esac
}
