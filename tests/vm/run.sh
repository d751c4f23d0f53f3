#!/usr/bin/env bash
# The real-kernel balloon instrument (tests/vm/README.md): Debian's own
# Linux 6.1 as a plain x86-64 QEMU guest, with the xbvm module making a
# balloon driver's guest-side allocations. Boots once per pattern of
# tests/vm/patterns.list, keeps each console log, and checks what must hold
# on real Linux (tests/vm/collect.py, which also writes build/vm/NAME.json).
#
#   tests/vm/run.sh [--no-build] [--reuse-logs] [--logs DIR] [NAME...]
#
# --no-build: reuse build/vm's module and initramfs. --reuse-logs: do not
# boot; check the logs of an earlier run (DIR, default build/vm/logs).
# Exit status: 0 every check passed, 1 one failed or a boot did not finish,
# 2 the harness could not run (bad usage), 77 QEMU, the kernel or its
# headers cannot be installed, or the module cannot be built ("SKIPPED: ...").
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

build=1
boot=1
logs=build/vm/logs
names=()
work=build/vm
t0=$(date +%s)
kver=6.1.0-57-amd64

harness=vm-tests
usage_lines=8,14
# shellcheck source=tests/support/harness.sh
. tests/support/harness.sh

parse_boot_args "$@"

list=tests/vm/patterns.list
# NAME MEM TIMEOUT PROGRAM ARGS...
select_patterns "$list"
command -v python3 >/dev/null || die "python3 is needed for the checks"
mkdir -p "$logs"

if [ $boot -eq 1 ]; then
	# --- 1. Packages (Debian 12) --------------------------------------------
	[ "$(uname -s)" = Linux ] || skip "the guest kernel is built on Linux, this is $(uname -s)"
	[ "$(uname -m)" = x86_64 ] || skip "the guest is Debian's x86-64 kernel, this is $(uname -m)"
	packages=(qemu-system-x86 "linux-image-$kver" "linux-headers-$kver"
		busybox-static cpio gzip e2fsprogs gcc libc6-dev make python3)
	install_packages "${packages[@]}"
	vmlinuz=/boot/vmlinuz-$kver
	moddir=/lib/modules/$kver
	kbuild=$moddir/build
	command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
	[ -r "$vmlinuz" ] || skip "cannot read $vmlinuz (package linux-image-$kver; root)"
	[ -f "$kbuild/Makefile" ] || skip "no kernel build tree $kbuild (package linux-headers-$kver)"
	bb=$(command -v busybox || true)
	[ -n "$bb" ] || skip "busybox is not installed (package busybox-static)"
	readelf -l "$bb" 2>/dev/null | grep -q 'Requesting program interpreter' &&
		skip "$bb is dynamically linked: install busybox-static"

	# --- 2. Build: the module, the programs, the initramfs -----------------
	rootfs=$work/root
	if [ $build -eq 1 ]; then
		say "building xbvm.ko against $kbuild (-j1)"
		rm -rf "$work/module"
		mkdir -p "$work/module"
		cp tests/vm/module/xbvm.c tests/vm/module/Kbuild "$work/module/"
		make -j1 -C "$kbuild" M="$(pwd)/$work/module" modules \
			>"$work/module.log" 2>&1 || {
			tail -n 20 "$work/module.log" | sed 's/^/    /'
			skip "xbvm.ko does not build against $kbuild (see $work/module.log)"
		}
		if grep -q 'warning:' "$work/module.log"; then
			grep 'warning:' "$work/module.log" | sed 's/^/    /'
			die "xbvm.c builds with warnings (see $work/module.log)"
		fi

		rm -rf "$rootfs"
		mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,data,lib/modules}
		cp "$bb" "$rootfs/bin/busybox"
		for a in $("$bb" --list); do
			[ "$a" = busybox ] || ln -s busybox "$rootfs/bin/$a"
		done
		progs=$(awk '$1 !~ /^#/ && NF >= 4 { print $4 }' "$list" | sort -u)
		for p in $progs; do
			src=tests/vm/patterns/$p.c
			[ -f "$src" ] || die "$list names program $p, but $src does not exist"
			gcc -O2 -Wall -Wextra -static -Itests/linux/patterns -o "$rootfs/bin/$p" \
				"$src" tests/linux/patterns/xbpat.c -lm || die "cannot build $src"
		done
		# The disk modules (virtio-pci, virtio-blk, ext4), in the order of
		# modules.dep: dependencies first.
		load() { # MODULE-PATH (relative to $moddir)
			local m=$1 d deps
			grep -qx -- "$(basename "$m")" "$rootfs/lib/modules/load" 2>/dev/null && return
			# modules.dep: "MODULE: DEP DEP ...", one line per module
			read -ra deps <<<"$(sed -n "s|^$m: *||p" "$moddir/modules.dep")"
			for d in "${deps[@]}"; do
				load "$d"
			done
			cp "$moddir/$m" "$rootfs/lib/modules/"
			basename "$m" >>"$rootfs/lib/modules/load"
		}
		: >"$rootfs/lib/modules/load"
		for m in kernel/drivers/virtio/virtio_pci.ko kernel/drivers/block/virtio_blk.ko \
			kernel/crypto/crc32c_generic.ko kernel/fs/ext4/ext4.ko; do
			[ -f "$moddir/$m" ] || skip "$moddir/$m is missing (package linux-image-$kver)"
			load "$m"
		done
		cp "$work/module/xbvm.ko" "$rootfs/lib/modules/"
		cp tests/vm/init.sh "$rootfs/init"
		chmod 755 "$rootfs/init"
		cp "$list" "$rootfs/patterns.list"
		(cd "$rootfs" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
			gzip -1 >"$work/initrd.gz"
	fi
	[ -s "$work/initrd.gz" ] || die "$work/initrd.gz is not built (drop --no-build)"
	abs_work=$(cd "$work" && pwd)

	# --- 3. Boot ------------------------------------------------------------
	accel=(-accel tcg -cpu max)
	[ -w /dev/kvm ] && accel=(-accel kvm -cpu host)
	# One boot: nokaslr, because KASLR puts the kernel image (11318
	# pages) in DMA32 on one boot and in Normal on the next (seen at -m 5G
	# and 3000M), a fresh ext4 image (every inode table and the journal
	# written on the host, so no ext4lazyinit in the guest), the
	# initramfs, the serial console to the log. A hard timeout.
	boot_vm() { # NAME MEM TIMEOUT LOG
		local disk=$abs_work/disk.img
		rm -f "$disk"
		truncate -s 4G "$disk"
		mkfs.ext4 -F -q -E lazy_itable_init=0,lazy_journal_init=0 "$disk" >/dev/null
		# shellcheck disable=SC2054 # the commas are QEMU's
		timeout -k 5 "$3" qemu-system-x86_64 "${accel[@]}" -smp 2 -m "$2" \
			-machine q35 -display none -monitor none -nodefaults -no-user-config \
			-serial "file:$4" -no-reboot \
			-drive "file=$disk,format=raw,if=virtio,cache=unsafe" \
			-kernel "$vmlinuz" -initrd "$abs_work/initrd.gz" \
			-append "console=ttyS0 quiet panic=-1 nokaslr XBPAT=$1" </dev/null
	}

	while read -r n mem secs _; do
		case "$n" in '' | '#'*) continue ;; esac
		printf '%s\n' "${names[@]}" | grep -qx -- "$n" || continue
		tb=$(date +%s)
		st=0
		boot_vm "$n" "$mem" "$secs" "$logs/$n.log" || st=$?
		verdict="done"
		if ! grep -q '^XB done' "$logs/$n.log"; then
			verdict="did not finish (status $st)"
			[ "$st" -eq 124 ] && verdict="timed out after ${secs}s"
		fi
		echo "XB host.boot_s $(($(date +%s) - tb))" >>"$logs/$n.log"
		say "booted $n (-m $mem): $verdict in $(($(date +%s) - tb))s, log $logs/$n.log"
	done <"$list"
	rm -f "$abs_work/disk.img"
fi

# --- 4. Checks, then the model ---------------------------------------------
echo
set +e
python3 tests/vm/collect.py --logs "$logs" --out "$work" "${names[@]}" |
	tee "$work/collect.out"
rc=${PIPESTATUS[0]}
set -e
# The model against the runs that compacted without a balloon step
# (tests/vm/compare.py); xballoon is built as tests/linux builds it.
xb=build/default/xballoon
if [ ! -x "$xb" ]; then
	say "building xballoon (cmake --build --preset default -j1)"
	scripts/deps.sh || die "scripts/deps.sh failed"
	cmake --preset default >/dev/null || die "cmake --preset default failed"
	cmake --build --preset default -j1 >/dev/null ||
		die "build failed: cmake --build --preset default -j1"
fi
echo
set +e
python3 tests/vm/compare.py --xballoon "$xb" --runs "$work" \
	--out "$work/model" "${names[@]}" | tee "$work/compare.out"
rc2=${PIPESTATUS[0]}
set -e
[ "$rc" -eq 0 ] && rc=$rc2
counts() { tail -n 1 "$1" | awk '$2 == "passed," { print $1, $3 }'; }
read -r p1 f1 < <(counts "$work/collect.out") || true
read -r p2 f2 < <(counts "$work/compare.out") || true
echo
say "times: total $(($(date +%s) - t0))s"
echo "total: $((${p1:-0} + ${p2:-0})) passed, $((${f1:-0} + ${f2:-0})) failed"
exit $rc
