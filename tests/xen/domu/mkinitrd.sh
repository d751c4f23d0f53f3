#!/bin/sh
# Packs the reference domU's initramfs (tests/xen/domu/README.md):
#   mkinitrd.sh OUT BUSYBOX INIT PROGRAM
# BUSYBOX and PROGRAM must be static: the domU has nothing else.
set -eu
out=$1 busybox=$2 init=$3 prog=$4
for f in "$busybox" "$prog"; do
	if readelf -l "$f" | grep -q 'Requesting program interpreter'; then
		echo "mkinitrd.sh: $f is not static" >&2
		exit 1
	fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/dev" "$tmp/proc" "$tmp/sys" "$tmp/tmp"
cp "$busybox" "$tmp/bin/busybox"
cp "$init" "$tmp/init"
cp "$prog" "$tmp/balloon"
chmod 755 "$tmp/init" "$tmp/balloon" "$tmp/bin/busybox"
(cd "$tmp" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -9 >"$out.tmp"
mv "$out.tmp" "$out"
