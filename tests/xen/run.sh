#!/usr/bin/env bash
# The real-Xen test harness: installs what is missing, builds the `xen`
# preset, packs the plan's programs with busybox and the Xen modules into a
# dom0 initramfs, boots Xen 4.17 + Linux in QEMU (TCG) and turns the serial
# log and QEMU's exit status into a verdict. tests/xen/README.md explains it.
#
#   tests/xen/run.sh [--plan FILE] [--timeout SECS] [--test-timeout SECS]
#                    [--file PATH]... [--log FILE] [--keep] [--no-build]
#                    [--no-boot] [--jobs N] [--mem MIB] [--boot-wait SECS]
# Exit status: 0 every test passed, 1 a test or the boot failed, 2 the
# harness itself could not run (bad usage, missing package, not root).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

plan=tests/xen/plan
timeout_s=900
test_timeout=300
log=build/xen/xen-serial.log
keep=0
build=1
boot=1
jobs=
mem=2048
boot_wait=300
extra_files=()
work=build/xen/harness

# Exit bytes of tests/xen/init.sh; QEMU exits with (byte << 1) | 1.
status_pass=$(((16 << 1) | 1))
status_fail=$(((17 << 1) | 1))
status_setup=$(((18 << 1) | 1))

say() { echo "xen-tests: $*" >&2; }
die() {
	say "error: $*"
	exit 2
}
usage() {
	sed -n '7,11p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit "${1:-2}"
}

while [ $# -gt 0 ]; do
	case "$1" in
	--plan) plan=$2; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--test-timeout) test_timeout=$2; shift 2 ;;
	--file) extra_files+=("$2"); shift 2 ;;
	--log) log=$2; shift 2 ;;
	--keep) keep=1; shift ;;
	--no-build) build=0; shift ;;
	--no-boot) boot=0; keep=1; shift ;;
	--jobs) jobs=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--boot-wait) boot_wait=$2; shift 2 ;;
	-h | --help) usage 0 ;;
	*) say "unknown argument: $1"; usage 2 ;;
	esac
done
for n in "$timeout_s" "$test_timeout" "$mem" "$boot_wait" ${jobs:+"$jobs"}; do
	[[ "$n" =~ ^[1-9][0-9]*$ ]] || die "not a positive number: $n"
done
[ -f "$plan" ] || die "no plan file: $plan"

# --- 1. Packages (Debian 12) ------------------------------------------------
xen_packages=(
	qemu-system-x86 xen-hypervisor-4.17-amd64 libxen-dev busybox-static
	linux-image-amd64 cpio gzip xz-utils time binutils xen-utils-4.17
	xenstore-utils python3 qemu-system-xen
)
scripts/deps.sh || die "scripts/deps.sh failed"
missing=()
for p in "${xen_packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		die "missing packages: ${missing[*]}; run as root, or: sudo apt-get install ${missing[*]}"
	fi
	say "installing ${missing[*]} (about a minute)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# --- 2. Build ---------------------------------------------------------------
t_start=$(date +%s)
if [ $build -eq 1 ]; then
	say "building the xen preset (build/xen)"
	cmake --preset xen >/dev/null
	cmake --build --preset xen ${jobs:+-j "$jobs"} >/dev/null ||
		die "build failed: cmake --build --preset xen"
fi
t_built=$(date +%s)
debug_exit=build/xen/tests/xen/debug_exit
[ -x "$debug_exit" ] || die "$debug_exit is not built (drop --no-build)"

# --- 3. The hypervisor and the dom0 kernel ----------------------------------
xen_gz=/boot/xen-4.17-amd64.gz
[ -f "$xen_gz" ] || die "$xen_gz is missing (package xen-hypervisor-4.17-amd64)"
kver=
for d in /lib/modules/*/; do
	v=$(basename "$d")
	[ -f "/boot/vmlinuz-$v" ] && [ -f "$d/modules.dep" ] &&
		kver=$(printf '%s\n%s\n' "$kver" "$v" | sed '/^$/d' | sort -V | tail -1)
done
[ -n "$kver" ] || die "no /boot/vmlinuz-* with /lib/modules (package linux-image-amd64)"
moddir=/lib/modules/$kver
[ -r "/boot/vmlinuz-$kver" ] || die "cannot read /boot/vmlinuz-$kver (run as root)"

rm -rf "$work"
mkdir -p "$work/root" "$(dirname "$log")"
gunzip -c "$xen_gz" >"$work/xen.bin"
cp "/boot/vmlinuz-$kver" "$work/vmlinuz"
rootfs=$work/root
mkdir -p "$rootfs"/{bin,dev,proc,sys,tmp,x,lib/modules/xb,lib/xb}

# busybox must be static: nothing else is in dom0 to load it.
bb=$(command -v busybox || true)
[ -n "$bb" ] || die "busybox is missing (package busybox-static)"
if readelf -l "$bb" | grep -q 'Requesting program interpreter'; then
	die "$bb is dynamically linked: install busybox-static"
fi
cp "$bb" "$rootfs/bin/busybox"
cp "$debug_exit" "$rootfs/bin/xb-debug-exit"
cp tests/xen/init.sh "$rootfs/init"
chmod 755 "$rootfs/init"

# --- 4. Kernel modules: the Xen device drivers and what they depend on -----
# modules.dep names each module's file and its dependencies (all of them,
# transitively); a module built into the kernel is in modules.builtin.
modfile() { # NAME -> the modules.dep line of the module, or nothing
	awk -F: -v m="$1" '{
		p = $1; sub(/.*\//, "", p); sub(/\.ko(\.(xz|gz|zst))?$/, "", p)
		gsub(/_/, "-", p)
		if (p == m) { print; exit }
	}' "$moddir/modules.dep"
}
modname() { # PATH -> NAME with dashes
	local n
	n=$(basename "$1")
	n=${n%%.ko*}
	echo "${n//_/-}"
}
load_order=()
add_module() {
	local name=$1 line path dep
	for m in "${load_order[@]}"; do [ "$m" = "$name" ] && return 0; done
	line=$(modfile "$name")
	if [ -z "$line" ]; then
		grep -Eq "/${name//-/[-_]}\.ko$" "$moddir/modules.builtin" &&
			{ say "module $name is built into $kver"; return 0; }
		die "kernel module $name not found in $moddir"
	fi
	path=${line%%:*}
	for dep in ${line#*:}; do add_module "$(modname "$dep")"; done
	case "$path" in
	*.ko) cp "$moddir/$path" "$rootfs/lib/modules/xb/$name.ko" ;;
	*.ko.xz) xz -dc "$moddir/$path" >"$rootfs/lib/modules/xb/$name.ko" ;;
	*.ko.gz) gzip -dc "$moddir/$path" >"$rootfs/lib/modules/xb/$name.ko" ;;
	*.ko.zst) zstd -qdc "$moddir/$path" >"$rootfs/lib/modules/xb/$name.ko" ||
		die "zstd is needed to unpack $path" ;;
	esac
	load_order+=("$name")
}
for m in xen-privcmd xenfs xen-evtchn xen-gntdev; do add_module "$m"; done
printf '%s\n' "${load_order[@]}" >"$rootfs/lib/modules/xb/order"

# --- 5. The plan: programs and data files at their repository paths --------
# A dynamic program's shared libraries go to /lib/xb (LD_LIBRARY_PATH) and
# its ELF interpreter to the path the program names.
copy_libs() {
	local prog=$1 interp lib
	interp=$(readelf -l "$prog" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
	[ -n "$interp" ] || return 0
	mkdir -p "$rootfs$(dirname "$interp")"
	cp -L "$interp" "$rootfs$interp"
	for lib in $(ldd "$prog" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }'); do
		[ -f "$rootfs/lib/xb/$(basename "$lib")" ] ||
			cp -L "$lib" "$rootfs/lib/xb/"
	done
	say "$prog is dynamic: copied its $(ldd "$prog" | grep -c '=> /') shared libraries"
}
copy_in() { # a file or directory of the repository, to the same path in /x
	local p=$1
	case "$p" in
	/* | ../* | */../*) die "plan paths must be inside the repository: $p" ;;
	esac
	[ -e "$p" ] || die "no such file: $p"
	[ -e "$rootfs/x/$p" ] && return 0
	mkdir -p "$rootfs/x/$(dirname "$p")"
	cp -rL "$p" "$rootfs/x/$p"
	if [ -f "$p" ] && [ -x "$p" ] && head -c 4 "$p" | grep -q ELF; then
		copy_libs "$p"
	fi
}

copy_sys() { # a file of this machine, to the same absolute path in dom0
	local p=$1
	case "$p" in /*) ;; *) die "%sysfile paths must be absolute: $p" ;; esac
	[ -f "$p" ] || die "no such file: $p (is its package installed?)"
	[ -e "$rootfs$p" ] && return 0
	mkdir -p "$rootfs$(dirname "$p")"
	cp -L "$p" "$rootfs$p"
	if [ -x "$p" ] && head -c 4 "$p" | grep -q ELF; then
		copy_libs "$p"
	fi
}

names=()
host_names=()
host_cmds=()
secs=$test_timeout
: >"$rootfs/x/plan"
lineno=0
while IFS= read -r line || [ -n "$line" ]; do
	lineno=$((lineno + 1))
	read -ra w <<<"$line"
	[ ${#w[@]} -eq 0 ] && continue
	case "${w[0]}" in
	'#'*) continue ;;
	%timeout)
		[[ "${w[1]:-}" =~ ^[1-9][0-9]*$ ]] ||
			die "$plan:$lineno: %timeout needs seconds"
		secs=${w[1]}
		continue
		;;
	%file)
		for f in "${w[@]:1}"; do copy_in "$f"; done
		continue
		;;
	%sysfile)
		for f in "${w[@]:1}"; do copy_sys "$f"; done
		continue
		;;
	%kernel)
		[[ "${w[1]:-}" == /* ]] || die "$plan:$lineno: %kernel needs an absolute path"
		mkdir -p "$rootfs$(dirname "${w[1]}")"
		cp "$work/vmlinuz" "$rootfs${w[1]}"
		continue
		;;
	%host)
		if ! [[ "${w[1]:-}" =~ ^[A-Za-z0-9_.-]+$ ]] || [ ${#w[@]} -lt 3 ]; then
			die "$plan:$lineno: %host needs a name and a command"
		fi
		for n in "${names[@]}" "${host_names[@]}"; do
			[ "$n" = "${w[1]}" ] && die "$plan:$lineno: test '$n' twice"
		done
		host_names+=("${w[1]}")
		# The words after the name, as written (quotes are for bash -c).
		host_cmds+=("${w[*]:2}")
		continue
		;;
	%*) die "$plan:$lineno: unknown directive ${w[0]}" ;;
	esac
	name=${w[0]}
	[[ "$name" =~ ^[A-Za-z0-9_.-]+$ ]] || die "$plan:$lineno: bad test name '$name'"
	for n in "${names[@]}" "${host_names[@]}"; do
		[ "$n" = "$name" ] && die "$plan:$lineno: test '$name' twice"
	done
	[ ${#w[@]} -ge 2 ] || die "$plan:$lineno: test '$name' has no command"
	cmd=${w[1]}
	if [ -e "$cmd" ]; then
		copy_in "$cmd"
		[ -x "$cmd" ] || die "$plan:$lineno: $cmd is not executable"
		w[1]=./$cmd
	elif [[ "$cmd" == */* ]]; then
		die "$plan:$lineno: $cmd does not exist (not built?)"
	fi # else a busybox applet
	# Arguments naming files of the repository come along.
	for a in "${w[@]:2}"; do
		[ -f "$a" ] && case "$a" in /* | ../* | */../*) ;; *) copy_in "$a" ;; esac
	done
	names+=("$name")
	rest=${line#*"$name"}
	rest=${rest#*"$cmd"}
	echo "$name $secs ${w[1]}$rest" >>"$rootfs/x/plan"
done <"$plan"
for f in "${extra_files[@]}"; do copy_in "$f"; done
[ ${#names[@]} -gt 0 ] || die "$plan has no tests"

# newc cpio with every file owned by root, gzip: the dom0 initramfs.
(cd "$rootfs" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) |
	gzip -1 >"$work/initrd.gz"
say "initramfs: $(du -k "$work/initrd.gz" | cut -f1) KiB, kernel $kver," \
	"modules ${load_order[*]}, ${#names[@]} test(s): ${names[*]}"

# --- 6. Boot ----------------------------------------------------------------
# Xen: serial console, a fixed 512 MiB dom0 (the rest of -m for test
# domains; xl needs about 100 MiB to build the reference domU), no boot-time
# scrub (slow under TCG), smap=0 (without it dom0
# crashes at once under TCG's -cpu max). QEMU's multiboot loader boots the
# gunzipped Xen; in -initrd a comma inside an argument is written twice.
xen_args="console=com1 com1=115200,8n1 dom0_mem=512M,max:512M bootscrub=false smap=0"
dom0_args="console=hvc0 quiet"
abs_work=$(cd "$work" && pwd)
[[ "$abs_work" != *[,\ ]* ]] || die "the work path must not contain ',' or ' ': $abs_work"
# Two NUMA nodes, half of the memory and one CPU each: QEMU writes them in
# the ACPI SRAT, which Xen reads (the NUMA conformance cases and drive need
# two nodes; Xen's boot log shows them, checked by the plan's numa-nodes).
node_mem=$((mem / 2))
# shellcheck disable=SC2054 # the commas are QEMU's, not array separators
qemu=(
	qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$mem"
	-object "memory-backend-ram,id=mem0,size=${node_mem}M"
	-object "memory-backend-ram,id=mem1,size=$((mem - node_mem))M"
	-numa node,nodeid=0,cpus=0,memdev=mem0
	-numa node,nodeid=1,cpus=1,memdev=mem1
	-machine q35 -display none -monitor none -nodefaults -no-user-config
	-serial "file:$log" -no-reboot
	-device isa-debug-exit,iobase=0xf4,iosize=0x04
	-kernel "$abs_work/xen.bin" -append "$xen_args"
	-initrd "$abs_work/vmlinuz ${dom0_args//,/,,},$abs_work/initrd.gz"
)
printf '%q ' "${qemu[@]}" >"$work/qemu.cmd"
echo >>"$work/qemu.cmd"
if [ $boot -eq 0 ]; then
	say "not booting; initramfs tree $rootfs, QEMU command $work/qemu.cmd"
	exit 0
fi

# One boot: QEMU in the background under the overall timeout, watched
# until dom0's init reports (XB-XEN-INIT). A dom0 that has printed nothing
# after `boot_wait` seconds is stuck before any test ran (seen once in CI:
# Xen handed over to the dom0 kernel, "about to get started...", then
# silence for 900 s; the same build booted in under a minute on the next
# try), so the boot is killed and returns 125. Otherwise QEMU's status.
boot_once() {
	local pid waited=0
	: >"$log"
	timeout -k 5 "$timeout_s" /usr/bin/time -f '%M %e' -o "$work/qemu.time" \
		"${qemu[@]}" </dev/null &
	pid=$!
	while kill -0 "$pid" 2>/dev/null; do
		grep -q 'XB-XEN-INIT' "$log" && break
		if [ "$waited" -ge "$boot_wait" ]; then
			kill -TERM "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			return 125
		fi
		sleep 5
		waited=$((waited + 5))
	done
	wait "$pid"
}

say "booting Xen 4.17 + dom0 in QEMU (TCG, -m $mem, timeout ${timeout_s}s); serial log: $log"
set +e
boot_once
rc=$?
if [ $rc -eq 125 ]; then
	cp "$log" "$log.stalled"
	say "WARNING: dom0 printed nothing within ${boot_wait}s of the boot" \
		"(log kept as $log.stalled, its last lines below); booting once more"
	tail -n 5 "$log.stalled" >&2
	boot_once
	rc=$?
fi
set -e
t_end=$(date +%s)

# --- 7. Verdict -------------------------------------------------------------
tr -d '\r' <"$log" >"$work/serial.txt"
serial=$work/serial.txt
reasons=()
case $rc in
"$status_pass") ;;
"$status_fail") reasons+=("dom0 reported failing tests (QEMU status $rc)") ;;
"$status_setup") reasons+=("dom0 setup failed (QEMU status $rc)") ;;
0) reasons+=("QEMU exited 0: Xen rebooted (a panic or a dom0 crash)") ;;
124 | 137) reasons+=("timeout: no verdict within ${timeout_s}s") ;;
125) reasons+=("dom0 stalled twice: no output within ${boot_wait}s of either boot") ;;
*) reasons+=("QEMU exited $rc, not a status dom0 writes") ;;
esac
grep -q 'Panic on CPU' "$serial" && reasons+=("Xen panicked ('Panic on CPU')")
grep -q 'Hardware Dom0 crashed' "$serial" && reasons+=("dom0 crashed ('Hardware Dom0 crashed')")
grep -q 'XB-XEN-ERROR' "$serial" &&
	reasons+=("$(grep -o 'XB-XEN-ERROR.*' "$serial" | head -1)")

printf '\n%-24s %-8s %s\n' test verdict detail
for n in "${names[@]}"; do
	# The marker may follow other console output on the same line.
	l=$(sed -n 's/.*XB-XEN-TEST //p' "$serial" |
		awk -v n="$n" '$1 == n { print; exit }')
	if [ -z "$l" ]; then
		v=missing
		d="no result line"
	else
		read -r _ v d <<<"$l"
	fi
	printf '%-24s %-8s %s\n' "$n" "$v" "$d"
	[ "$v" = pass ] || reasons+=("test $n: $v")
done

# Checks on this machine, after the boot: each reads the serial log
# ($SERIAL) and passes with exit status 0, within the per-test timeout.
for i in "${!host_names[@]}"; do
	n=${host_names[$i]}
	echo
	say "host check $n: ${host_cmds[$i]}"
	set +e
	SERIAL=$serial timeout -k 5 "$test_timeout" bash -c "${host_cmds[$i]}"
	hrc=$?
	set -e
	if [ $hrc -eq 0 ]; then v=pass; else v=fail; fi
	printf '%-24s %-8s %s\n' "$n" "$v" "host check, rc=$hrc"
	[ "$v" = pass ] || reasons+=("host check $n: fail")
done

# /usr/bin/time's last line: "PEAK_RSS_KIB SECONDS" (none after a timeout).
rss_kb=$(tail -n 1 "$work/qemu.time" 2>/dev/null | awk 'NF == 2 { print $1 }')
rss_kb=${rss_kb:-?}
echo
say "times: build $((t_built - t_start))s, boot and tests $((t_end - t_built))s, total $((t_end - t_start))s; QEMU peak RSS ${rss_kb} KiB"
[ $keep -eq 1 ] && say "kept $work (QEMU command: $work/qemu.cmd)"

if [ ${#reasons[@]} -ne 0 ]; then
	echo
	echo "==== last 60 lines of $log ===="
	tail -n 60 "$serial"
	echo "==== end of serial log ===="
	echo
	for r in "${reasons[@]}"; do say "FAIL: $r"; done
	[ $keep -eq 1 ] || rm -rf "$rootfs"
	exit 1
fi
[ $keep -eq 1 ] || rm -rf "$rootfs"
say "PASS: ${#names[@]} test(s) on Xen 4.17 in QEMU, ${#host_names[@]} host check(s)"
