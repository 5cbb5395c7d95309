# The test suites, for tests/run.sh and scripts/kvm-qemu-run.sh (sourced).
# PLAIN need no sandbox (fuzz_replay: fuzz/replay.c; install: tests/install/install.sh,
# which runs one on whichever backend works); SANDBOX run once per backend. `cli` is
# tests/cli/cli.sh, `serve` tests/serve/serve.sh, the others are $BUILD/tests/NAME.
PLAIN="test_console_js test_web_js test_fetch_js test_arena test_modules fuzz_replay install"
SANDBOX="test_api test_conformance test_parity test_hostile test_snapshot test_pool test_snapfile
	 test_bytecode test_async test_crypto test_binary test_backend test_proc test_lockdown test_python cli serve"

# The command that runs suite $1 of build $2.
suite_cmd() {
	if [ "$1" = cli ]; then
		echo "sh tests/cli/cli.sh $2/mica"
	elif [ "$1" = serve ]; then
		echo "sh tests/serve/serve.sh $2/mica"
	else
		echo "$2/tests/$1"
	fi
}
