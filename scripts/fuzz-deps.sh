#!/bin/sh
# Installs what `make fuzz` needs on Debian, and nothing twice: clang and
# libFuzzer (libclang-rt-14-dev on bookworm, where clang is clang 14), only
# the packages missing, with sudo when not root. scripts/deps.sh installs
# the rest of the build (gcc, musl, QuickJS).
# Usage: scripts/fuzz-deps.sh
set -eu

missing=""
for pkg in clang libclang-rt-14-dev; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $pkg"
done
if [ -n "$missing" ]; then
	echo "fuzz-deps: installing Debian packages:$missing"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# libFuzzer itself: clang finds it in its resource directory.
lib=$(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)
if [ ! -f "$lib" ]; then
	echo "fuzz-deps: clang has no libFuzzer ($lib); install the libclang-rt-N-dev of your clang" >&2
	exit 1
fi
