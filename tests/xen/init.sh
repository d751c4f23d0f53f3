#!/bin/busybox sh
# dom0's /init in the real-Xen test initramfs that tests/xen/run.sh builds:
# loads the Xen modules, mounts xenfs, runs each test of /x/plan with its
# timeout, prints one "XB-XEN-TEST <name> pass|fail rc=N" line per test and
# ends QEMU through isa-debug-exit. Exit bytes: see XB_EXIT_* below.

# QEMU exits with (byte << 1) | 1. Not 0 for success: QEMU's own errors
# exit 1, which byte 0 would be indistinguishable from.
XB_EXIT_PASS=16   # QEMU status 33: every test passed
XB_EXIT_FAIL=17   # QEMU status 35: some test failed
XB_EXIT_SETUP=18  # QEMU status 37: dom0 could not be set up

/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
# Dynamic test programs: run.sh put their shared libraries here.
export LD_LIBRARY_PATH=/lib/xb
export HOME=/x TMPDIR=/tmp

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

finish() {
	echo "XB-XEN-DONE exit=$1"
	sync
	/bin/xb-debug-exit "$1"
	# Still here: no isa-debug-exit device. Power off; the harness fails
	# the run because QEMU then exits 0.
	echo "XB-XEN-ERROR debug exit failed"
	poweroff -f
}

setup_error() {
	echo "XB-XEN-ERROR $*"
	finish $XB_EXIT_SETUP
}

echo "XB-XEN-INIT dom0 $(uname -r), $(grep -c ^processor /proc/cpuinfo) vcpus," \
	"$(awk '/MemTotal/ { print $2 " kB" }' /proc/meminfo)"

# Load order written by run.sh: every module after the ones it depends on.
for m in $(cat /lib/modules/xb/order); do
	insmod "/lib/modules/xb/$m.ko" || setup_error "insmod $m failed"
done
mkdir -p /proc/xen
mount -t xenfs xenfs /proc/xen || setup_error "mount xenfs failed"
[ -c /dev/xen/privcmd ] || setup_error "/dev/xen/privcmd is missing"
echo "XB-XEN-READY $(cat /sys/hypervisor/version/major 2>/dev/null).$(cat /sys/hypervisor/version/minor 2>/dev/null)$(cat /sys/hypervisor/version/extra 2>/dev/null)"

# /x/plan: "NAME SECS COMMAND ARGS..." per line; paths are relative to /x,
# where run.sh copied the programs and data at their repository paths.
cd /x || setup_error "no /x"
failed=0
ran=0
while read -r name secs cmd; do
	case "$name" in '' | '#'*) continue ;; esac
	echo "XB-XEN-BEGIN $name timeout=${secs}s: $cmd"
	start=$(date +%s)
	# Words as the shell splits them: quotes in the plan work.
	eval "set -- $cmd"
	timeout -s TERM "$secs" "$@" </dev/null 2>&1
	rc=$?
	end=$(date +%s)
	ran=$((ran + 1))
	note=
	if [ $rc -eq 0 ]; then
		verdict=pass
	else
		verdict=fail
		failed=$((failed + 1))
		# busybox timeout ends the test with SIGTERM: 128 + 15.
		[ $rc -eq 143 ] && [ $((end - start)) -ge "$secs" ] &&
			note=" timed-out"
	fi
	echo "XB-XEN-TEST $name $verdict rc=$rc time=$((end - start))s$note"
done </x/plan

echo "XB-XEN-SUMMARY ran=$ran failed=$failed"
if [ $failed -eq 0 ]; then
	finish $XB_EXIT_PASS
else
	finish $XB_EXIT_FAIL
fi
