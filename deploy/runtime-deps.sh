#!/bin/sh
# Prints the Debian packages that hold the shared libraries BINARY links
# directly (its ELF NEEDED entries, resolved the way the loader resolves
# them, with ldd), one per line: what the runtime image of deploy/Dockerfile
# installs. Their own dependencies come with them through apt. Fails if a
# library cannot be found or belongs to no package.
# Usage: deploy/runtime-deps.sh build/mica
set -eu
bin=${1:?usage: $0 BINARY}
resolved=$(ldd "$bin")
pkgs=""
for lib in $(objdump -p "$bin" | awk '$1 == "NEEDED" { print $2 }'); do
	path=$(printf '%s\n' "$resolved" | awk -v l="$lib" '$1 == l && $2 == "=>" { print $3 }')
	if [ -z "$path" ]; then
		# the dynamic loader itself (glibc 2.34+ lists it): it is libc6's
		case $lib in ld-linux*) pkgs="$pkgs libc6" && continue ;; esac
		echo "runtime-deps: $bin needs $lib, which ldd does not find" >&2
		exit 1
	fi
	pkg=""
	# dpkg knows a file by the path its package ships, with or without /usr
	# in front (merged /usr)
	for p in "$path" "$(readlink -f "$path")" "/usr$path" "${path#/usr}"; do
		pkg=$(dpkg -S "$p" 2>/dev/null | sed -n 's/^\([^:, ]*\)\(:[a-z0-9]*\)\{0,1\}: .*/\1/p' | head -1) || true
		[ -n "$pkg" ] && break
	done
	if [ -z "$pkg" ]; then
		echo "runtime-deps: $path ($lib) belongs to no Debian package" >&2
		exit 1
	fi
	pkgs="$pkgs $pkg"
done
# shellcheck disable=SC2086 # one package a word
printf '%s\n' $pkgs | sort -u
