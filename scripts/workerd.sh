#!/bin/sh
# Installs workerd (Cloudflare's Workers runtime, the baseline of
# `make bench-serve`) from the npm registry, once, into DIR, and prints the
# path of its binary on stdout. The npm package `workerd` brings the binary as
# its platform package (@cloudflare/workerd-linux-64 here); its install script,
# which would only link the binary into place, is not run: the binary is used
# where the platform package puts it.
# On failure: the reason on stderr, nothing on stdout, exit 1.
# Usage: scripts/workerd.sh [DIR]   (default build/workerd; WORKERD_VERSION
# picks another version of the npm package than the pinned one)
set -u
version=${WORKERD_VERSION:-1.20261117.1}
dir=${1:-build/workerd}

fail() {
	echo "workerd.sh: $*" >&2
	exit 1
}

case "$(uname -s)-$(uname -m)" in
Linux-x86_64) plat=linux-64 ;;
Linux-aarch64) plat=linux-arm64 ;;
*) fail "no workerd package for $(uname -s) $(uname -m)" ;;
esac
bin=$dir/node_modules/@cloudflare/workerd-$plat/bin/workerd
stamp=$dir/.installed-$version

# runs: the binary starts here (glibc, CPU) and says its version
runs() {
	[ -x "$bin" ] && "$bin" --version >/dev/null 2>&1
}

if [ -f "$stamp" ] && runs; then
	echo "$bin"
	exit 0
fi
command -v npm >/dev/null || fail "npm is not installed (apt-get install npm)"
mkdir -p "$dir" || fail "cannot create $dir"
exec 9>"$dir/.lock"
command -v flock >/dev/null && flock 9 # one install at a time
rm -f "$dir"/.installed-*
# The registry only; bounded retries, so that a registry that does not answer
# fails in minutes, not hours.
if ! timeout 600 npm install --prefix "$dir" --no-audit --no-fund --ignore-scripts \
	--no-update-notifier --fetch-retries=1 --fetch-timeout=60000 --loglevel=error \
	"workerd@$version" >"$dir/npm.log" 2>&1; then
	fail "npm install workerd@$version failed ($dir/npm.log): $(grep -v 'complete log' "$dir/npm.log" | head -n 2 | tr '\n' ' ')"
fi
[ -e "$bin" ] || fail "npm installed workerd@$version but not its platform package @cloudflare/workerd-$plat"
runs || fail "$bin does not run here: $("$bin" --version 2>&1 | head -n 2 | tr '\n' ' ')"
: >"$stamp"
echo "$bin"
