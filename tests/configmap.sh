#!/bin/sh
# Lays out DIR as Kubernetes mounts a ConfigMap volume (for --modules tests):
# the files in a dated directory, ..data a symlink to it, and each file a
# symlink into ..data. Usage: configmap.sh DIR FILE...
set -eu
dir=$1
shift
dated=..2026_12_03_09_40_00.1
mkdir -p "$dir/$dated"
ln -s "$dated" "$dir/..data"
for f in "$@"; do
	cp "$f" "$dir/$dated/"
	ln -s "..data/$(basename "$f")" "$dir/$(basename "$f")"
done
