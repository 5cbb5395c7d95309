#!/bin/bash
# Prepares what scripts/kvm-qemu-run.sh needs, and nothing twice:
#   - the Debian packages qemu-system-x86, busybox-static, binutils and
#     xz-utils, if missing;
#   - a Debian 6.1 kernel (the package linux-image-amd64 depends on), fetched
#     with `apt-get download` and unpacked, never installed: DIR/kernel/ keeps
#     its kernel (as vmlinux) and the modules the VM loads (kvm_amd, 9p, overlay, ...);
#   - DIR/initramfs.gz: busybox, those modules and tests/kvm-qemu/init.
# Usage: scripts/kvm-qemu-deps.sh [DIR]   (default build/kvm-qemu)
# KVM_QEMU_KERNEL_PKG=linux-image-6.1.0-N-amd64 picks another kernel package.
set -eu

dir=${1:-build/kvm-qemu}
init=$(dirname "$0")/../tests/kvm-qemu/init
modules="virtio_pci 9pnet_virtio 9p overlay kvm_amd" # in load order
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo

mkdir -p "$dir"
exec 9>"$dir/.lock"
flock 9 # one at a time

missing=""
for pkg in qemu-system-x86 busybox-static binutils xz-utils; do
	dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing="$missing $pkg"
done
if [ -n "$missing" ]; then
	echo "kvm-qemu-deps: installing Debian packages:$missing"
	$sudo apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# The name of the kernel package of the day (linux-image-6.1.0-N-amd64).
kernel_pkg() {
	apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*\)$/\1/p' | head -1
}

# Prints the .ko files module $1 needs, dependencies first (from .modinfo).
seen=" "
resolve() {
	local f d
	case "$seen" in *" $1 "*) return ;; esac
	seen="$seen$1 "
	f=$(find "$moddir/kernel" -name "$1.ko" -o -name "${1//_/-}.ko" | head -1)
	[ -n "$f" ] || { echo "kvm-qemu-deps: no module $1 in $moddir" >&2; exit 1; }
	for d in $(objcopy -O binary --only-section=.modinfo "$f" /dev/stdout | tr '\0' '\n' |
		sed -n 's/^depends=//p' | tr , ' '); do
		resolve "$d"
	done
	echo "$f"
}

if [ ! -f "$dir/kernel/ready" ] || { [ -n "${KVM_QEMU_KERNEL_PKG:-}" ] &&
	[ "$(cat "$dir/kernel/ready")" != "$KVM_QEMU_KERNEL_PKG" ]; }; then
	pkg=${KVM_QEMU_KERNEL_PKG:-$(kernel_pkg)}
	if [ -z "$pkg" ]; then
		$sudo apt-get update -qq
		pkg=$(kernel_pkg)
	fi
	[ -n "$pkg" ] || { echo "kvm-qemu-deps: apt knows no linux-image-amd64" >&2; exit 1; }
	echo "kvm-qemu-deps: fetching $pkg (Debian, unpacked, not installed)"
	rm -rf "$dir/kernel" "$dir/unpack"
	mkdir -p "$dir/unpack"
	sandbox=()
	[ "$(id -u)" -ne 0 ] || sandbox=(-o APT::Sandbox::User=root)
	(cd "$dir/unpack" && apt-get download -qq "${sandbox[@]}" "$pkg") ||
		{ $sudo apt-get update -qq && (cd "$dir/unpack" && apt-get download -qq "${sandbox[@]}" "$pkg"); }
	dpkg-deb -x "$dir"/unpack/"$pkg"_*.deb "$dir/unpack/root"
	moddir=$(echo "$dir"/unpack/root/lib/modules/*)
	mkdir -p "$dir/kernel/modules"
	# QEMU boots the uncompressed ELF (PVH entry) 3 s faster under TCG.
	vmlinuz=$(echo "$dir"/unpack/root/boot/vmlinuz-*)
	off=$(LC_ALL=C grep -abo $'\xfd7zXZ' "$vmlinuz" | head -1 | cut -d: -f1)
	tail -c +$((${off:-0} + 1)) "$vmlinuz" | xz -dc >"$dir/kernel/vmlinux" 2>/dev/null || : # trailing data: xz fails
	[ "$(head -c 4 "$dir/kernel/vmlinux" | tail -c 3)" = ELF ] || cp "$vmlinuz" "$dir/kernel/vmlinux"
	for m in $modules; do resolve "$m"; done >"$dir/unpack/list"
	while read -r f; do
		cp "$f" "$dir/kernel/modules/"
		basename "$f" >>"$dir/kernel/modules/order"
	done <"$dir/unpack/list"
	rm -rf "$dir/unpack"
	echo "$pkg" >"$dir/kernel/ready"
fi

# The initramfs, again whenever the init script or the kernel changed.
if [ ! -f "$dir/initramfs.gz" ] || [ "$init" -nt "$dir/initramfs.gz" ] ||
	[ "$dir/kernel/ready" -nt "$dir/initramfs.gz" ]; then
	root=$dir/initramfs.root
	rm -rf "$root"
	mkdir -p "$root"/bin "$root"/dev "$root"/proc "$root"/sys "$root"/run "$root"/lower "$root"/rw "$root"/mnt
	cp "$(command -v busybox)" "$root/bin/busybox"
	cp "$init" "$root/init"
	cp -r "$dir/kernel/modules" "$root/modules"
	(cd "$root" && find . | busybox cpio -o -H newc 2>/dev/null) | gzip -1 >"$dir/initramfs.gz.tmp"
	mv "$dir/initramfs.gz.tmp" "$dir/initramfs.gz"
	rm -rf "$root"
fi
