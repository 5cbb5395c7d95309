#!/bin/sh
# The Python binding's pytest suite (python/tests) against the module in
# BUILD/python, on the backend MICA_BACKEND names (default auto). Like every
# suite it ends with "N passed, N failed, N skipped" (python/tests/conftest.py)
# and exits non-zero when anything failed.
#
# Usage: python/run-tests.sh [BUILD [PYTEST ARGS...]]   (PYTHON: the python3)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
[ $# -gt 0 ] && shift
python=${PYTHON:-/usr/bin/python3}
so=$build/python/mica.abi3.so
if [ ! -f "$so" ]; then
	echo "python: $so is missing (make $so)"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
# A sanitized build's module needs the sanitizers' runtimes loaded before
# anything else in a python3 that was built without them. CPython frees
# little at exit: leaks are left to test_leaks.py, whose RSS bound needs
# freed memory reused at once (no quarantine).
if ldd "$so" | grep -q libasan; then
	LD_PRELOAD="$(${CC:-cc} -print-file-name=libasan.so) $(${CC:-cc} -print-file-name=libubsan.so)"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:quarantine_size_mb=0
	export LD_PRELOAD ASAN_OPTIONS
fi
cd "$top" || exit 1
PYTHONPATH=$(cd "$build/python" && pwd) PYTHONDONTWRITEBYTECODE=1 \
	exec "$python" -m pytest -q -rs -p no:cacheprovider python/tests "$@"
