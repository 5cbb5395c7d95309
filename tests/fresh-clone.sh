#!/bin/sh
# The README's first command on a fresh machine, under `make -j`: a copy of
# the project's files (what git tracks, or would: no build/) runs
# `make demo` where the compilers are not there yet.
#
# Nothing is uninstalled. Shims first on PATH stand in for a machine
# without the toolchain: musl-gcc, cc and gcc fail with "No such file or
# directory" until the shimmed apt-get has "installed" them, which it does
# only after a delay, and dpkg-query reports the packages missing. A rule
# that runs a compiler before scripts/deps.sh is done thus fails, as it did
# on a fresh machine (issue 8). npm is real: QuickJS comes from the npm
# registry, sha256-checked, as on any fresh machine.
#
# Usage: tests/fresh-clone.sh. Prints "N passed, N failed".
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
src=$work/mica shim=$work/shim
mkdir -p "$src" "$shim"

(cd "$top" && git ls-files -z --cached --others --exclude-standard | xargs -0 tar -cf - 2>/dev/null) |
	tar -xf - -C "$src"

real_path=$PATH
for tool in musl-gcc cc gcc; do
	real=$(command -v $tool) || { echo "fresh-clone: $tool is not installed here"; echo "0 passed, 1 failed"; exit 1; }
	cat >"$shim/$tool" <<EOF
#!/bin/sh
[ -e "$shim/installed" ] || { echo "make: $tool: No such file or directory" >&2; exit 127; }
exec "$real" "\$@"
EOF
done
cat >"$shim/dpkg-query" <<EOF
#!/bin/sh
[ -e "$shim/installed" ] && exec env PATH="$real_path" dpkg-query "\$@"
exit 1
EOF
cat >"$shim/apt-get" <<EOF
#!/bin/sh
# "install" takes a while, as the real one does
case "\$*" in *install*) sleep 3; touch "$shim/installed" ;; esac
exit 0
EOF
printf '#!/bin/sh\nexec "$@"\n' >"$shim/sudo"
chmod +x "$shim"/*

cd "$src" || exit 1
[ -e build ] && { echo "fresh-clone: the copy has a build/"; echo "0 passed, 1 failed"; exit 1; }
PATH="$shim:$PATH" CI=true make demo >"$work/log" 2>&1
rc=$?
ok=0
[ $rc = 0 ] && grep -q "hello from a mica sandbox" "$work/log" && grep -q "^mica: backend: " "$work/log" && ok=1
if [ $ok = 1 ]; then
	echo "ok - make demo in a fresh copy, compilers installed late, make -j: $(grep '^mica: backend: ' "$work/log")"
	echo "1 passed, 0 failed"
else
	echo "FAIL - make demo in a fresh copy: exit $rc"
	tail -30 "$work/log" | sed 's/^/  /'
	echo "0 passed, 1 failed"
	exit 1
fi
