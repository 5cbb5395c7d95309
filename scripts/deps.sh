#!/bin/sh
# Installs what the build needs, on a fresh Debian machine, and nothing twice:
#   - Debian packages, only those missing;
#   - QuickJS 2021-03-27 from the npm package qjsc@0.3.0, sha256-checked,
#     unpacked under the build folder and patched with patches/*.patch.
# Usage: scripts/deps.sh BUILD_DIR
set -eu

build=${1:-build}
qjs_pkg=qjsc@0.3.0
qjs_sha256=4a9ed1852b334d842d5dac42d1782817ae26310b448de39532451fd45c9ba0ee
qjs_dir=$build/quickjs

missing=""
for pkg in gcc make musl-tools musl-dev binutils patch libseccomp-dev pkg-config man-db python3-dev python3-setuptools python3-pytest libcurl4-openssl-dev curl libuv1-dev node-llhttp nginx-light python3-yaml wrk; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
		missing="$missing $pkg"
done
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
	echo "deps: installing Debian packages:$missing"
	sudo=""
	[ "$(id -u)" -eq 0 ] || sudo=sudo
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The stamp records the patches applied, so a changed patch re-extracts.
stamp=$(cat patches/quickjs-*.patch | sha256sum | cut -d' ' -f1)
if [ "$(cat "$qjs_dir/.mica-ready" 2>/dev/null)" != "$stamp" ]; then
	dl=$build/download
	mkdir -p "$dl"
	tgz=$dl/qjsc-0.3.0.tgz
	if [ ! -f "$tgz" ]; then
		echo "deps: fetching $qjs_pkg from the npm registry"
		(cd "$dl" && npm pack --silent "$qjs_pkg" >/dev/null)
	fi
	got=$(sha256sum "$tgz" | cut -d' ' -f1)
	if [ "$got" != "$qjs_sha256" ]; then
		echo "deps: $tgz: sha256 $got, expected $qjs_sha256; refusing it" >&2
		rm -f "$tgz"
		exit 1
	fi
	rm -rf "$qjs_dir" "$dl/package"
	tar -xzf "$tgz" -C "$dl" package/deps/quickjs_2021_03_27
	mv "$dl/package/deps/quickjs_2021_03_27" "$qjs_dir"
	rm -rf "$dl/package"
	for p in patches/quickjs-*.patch; do
		patch -s -d "$qjs_dir" -p1 <"$p"
	done
	echo "$stamp" >"$qjs_dir/.mica-ready"
	echo "deps: QuickJS 2021-03-27 ready in $qjs_dir"
fi
