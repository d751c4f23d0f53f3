#!/bin/sh
# The real-driver reference, dom0's side (tests/xen/domu/README.md): boots a
# PV domU running Debian's Linux 6.1 with its own balloon driver, lowers its
# target through xenstore as `xl mem-set` does, and prints what happened as
# "XB-REF-TYPE key value" lines on dom0's console for tests/xen/domu/compare.py:
# the domU's own "XB" lines (its console), and from dom0 which of its pfns
# are populated before and after (tests/xen/p2m_census).
#
#   reference.sh TYPE INITRD SIZE_MIB FREE_PCT TARGET_MIB STALL_MIB [MEM_MIB]
#
# TYPE is pv, pvh or hvm; every line printed starts "XB-REF-TYPE ".
#
# Two targets: TARGET_MIB, which the guest can reach (the domU snapshots
# "after" once there), then STALL_MIB, below what it can give: the driver
# takes pages until its allocations fail and retries with back-off, and
# dom0 records where the domain's size stopped.
#
# Runs in dom0 of tests/xen/run.sh, under busybox. Starts xenstored,
# xen-init-dom0 and xenconsoled (the toolstack of Debian's xen-utils-4.17,
# copied in by the plan's %sysfile) unless an earlier run did, creates the
# domain with xl, and destroys it at the end, failed or not.
set -u
type=$1 initrd=$2 size=$3 free=$4 target=$5 stall=$6 mem=${7:-256}
bin=/usr/lib/xen-4.17/bin
name=xbref-$type
tag=XB-REF-$type
log=/var/log/xen/console/guest-$name.log
census_bin=${CENSUS:-build/xen/tests/xen/p2m_census}

# shellcheck disable=SC3040 # busybox ash has pipefail
set -o pipefail
say() { echo "$tag $*"; }
fail() {
	say "error $*"
	[ -f "$log" ] && tail -n 40 "$log" | sed "s/^/$tag console /"
	# An hvm domain's device model logs here.
	dm=/var/log/xen/qemu-dm-$name.log
	[ -f "$dm" ] && tail -n 20 "$dm" | sed "s/^/$tag qemu-dm /"
	exit 1
}
# dom0's census of the domain's populated pfns; a pvh or hvm domain's are
# its first gfns, as many as it has RAM.
census() { # PHASE [--settle SECS]
	if [ "$type" != pv ]; then
		$census_bin "$domid" "$@" --gfns $((mem * 256))
	else
		$census_bin "$domid" "$@"
	fi | sed "s/^XB-REF /$tag /"
}

cleanup() {
	$bin/xl destroy "$name" >/dev/null 2>&1
}
trap cleanup EXIT
# The harness's timeout ends a test with SIGTERM, on which busybox runs no
# EXIT trap: the domain must not outlive the test either way.
trap 'cleanup; exit 143' TERM INT

# What the domU prints, filtered to the keys compare.py reads: the whole log
# would overflow Xen's serial buffer.
domu_lines() {
	tr -d '\r' <"$log" | grep -E '^XB (error|exit|domu|ready|done|target_|frag\.|series\.|(start|before|after)\.(zbuddy|zone|balloon|t_ms|kpf|reserved|sys)|(start|before|after)\.vm\.(nr_|pgmigrate_|compact_|allocstall|pgscan|pgsteal|kswapd|oom))' |
		sed "s/^XB /$tag domu /"
}

wait_for() { # PATTERN SECS: wait for the domU's console to show PATTERN
	deadline=$(($(date +%s) + $2))
	while [ "$(date +%s)" -lt $deadline ]; do
		grep -q "$1" "$log" 2>/dev/null && return 0
		grep -q '^XB error' "$log" 2>/dev/null && fail "the domU failed"
		$bin/xl domid "$name" >/dev/null 2>&1 || fail "the domU is gone"
		sleep 1
	done
	fail "no '$1' from the domU in $2 s"
}

# xenconsoled gives each console a pty.
mkdir -p /dev/pts
grep -q ' /dev/pts ' /proc/mounts || mount -t devpts devpts /dev/pts ||
	fail "mount devpts"
mkdir -p /var/run/xen /var/run/xenstored /var/lib/xen /var/lib/xenstored \
	/var/log/xen/console /etc/xen
# The toolstack's daemons, once per boot: a later reference uses them too
# (xenstored keeps dom0's xenstore connection; it is not restarted).
if [ ! -f /var/run/xenstored.pid ]; then
	$bin/xenstored --pid-file /var/run/xenstored.pid || fail "xenstored"
	$bin/xen-init-dom0 >/dev/null || fail "xen-init-dom0"
	$bin/xenconsoled --log=guest --log-dir=/var/log/xen/console \
		--pid-file=/var/run/xenconsoled.pid || fail "xenconsoled"
fi

# dom0's memory is fixed (dom0_mem): xl must not balloon it.
echo 'autoballoon="off"' >/etc/xen/xl.conf
cat >"/tmp/$name.cfg" <<CFG
name = "$name"
type = "$type"
kernel = "/boot/vmlinuz"
ramdisk = "$initrd"
memory = $mem
maxmem = $mem
vcpus = 1
on_crash = "preserve"
CFG
if [ "$type" = hvm ]; then
	# QEMU (Debian's qemu-system-xen) as the device model boots the kernel
	# itself (SeaBIOS with its linuxboot option ROM); the console is the
	# emulated serial port, written to the log xenconsoled would write.
	# Booted through its decompressor, the kernel would pick a random
	# physical place (KASLR: pfns 80-144 MiB in one boot); nokaslr keeps it
	# at 16 MiB, as pv and pvh boots (no decompressor) and the model have.
	cat >>"/tmp/$name.cfg" <<CFG
cmdline = "console=ttyS0 quiet nokaslr xbsize=$size xbfree=$free"
vga = "none"
vnc = 0
sdl = 0
serial = "file:$log"
CFG
else
	echo "extra = \"console=hvc0 quiet xbsize=$size xbfree=$free\"" \
		>>"/tmp/$name.cfg"
fi
# pvh and hvm under QEMU's emulated SVM: the CPU saves no next-RIP, so Xen
# decodes each intercepted instruction itself, and its decoder for an
# intercepted RDTSC does not take the RDTSCP the kernel issues ("SVM Insn
# len emulation failed", the vCPU retries forever). A native TSC is not
# intercepted.
[ "$type" != pv ] && echo 'tsc_mode = "native"' >>"/tmp/$name.cfg"
t0=$(date +%s)
$bin/xl create "/tmp/$name.cfg" >/tmp/xl.out 2>&1 || {
	sed "s/^/$tag xl /" /tmp/xl.out
	fail "xl create"
}
domid=$($bin/xl domid "$name") || fail "xl domid"
say domid "$domid"
say type "$type"
say mem_mib "$mem"
say size_mib "$size"
say free_pct "$free"
wait_for '^XB ready' 300
say boot_s $(($(date +%s) - t0))
census before || fail "p2m census before"

# What `xl mem-set` writes (libxl_set_memory_target): the target in KiB.
set_target() { # NAME MIB
	xenstore-write "/local/domain/$domid/memory/target" $(($2 * 1024)) ||
		fail "xenstore-write"
	say "$1_kib" $(($2 * 1024))
}
set_target target "$target"
wait_for '^XB done' 180
say balloon_s $(($(date +%s) - t0))
census after || fail "p2m census after"
set_target stall "$stall"
# Linux's driver retries a failed decrease with a delay that doubles up to
# 32 s (balloon_stats.max_schedule_delay): still for 35 s is stalled.
census stall --settle 35 || fail "p2m census at the stall"
domu_lines
say end 1
