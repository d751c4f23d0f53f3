#!/bin/sh
# /init of the QEMU guests of tests/vm/run.sh (tests/vm/README.md). The
# kernel command line's XBPAT=NAME picks a line "NAME MEM TIMEOUT PROGRAM
# ARGS..." of /patterns.list. It loads the disk modules and mounts the
# harness's ext4 image on /data (page cache on a real file system), loads
# xbvm, runs the program, which prints "XB key value" lines on the serial
# console, and powers off.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t debugfs debugfs /sys/kernel/debug
echo "XB pattern $XBPAT"
echo "XB uptime.init $(cut -d' ' -f1 /proc/uptime)"
echo "XB thp.enabled $(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/enabled)"
echo "XB thp.defrag $(sed 's/.*\[\(.*\)\].*/\1/' /sys/kernel/mm/transparent_hugepage/defrag)"
echo "XB taint.boot $(cat /proc/sys/kernel/tainted)"
ok=1
# /lib/modules/load: the disk modules in load order (run.sh)
while read -r m; do
	insmod "/lib/modules/$m" || { echo "XB error insmod $m"; ok=0; }
done </lib/modules/load
mkdir -p /data /tmp
mount -t tmpfs tmp /tmp
mount -t ext4 /dev/vda /data || { echo "XB error mount /dev/vda"; ok=0; }
insmod /lib/modules/xbvm.ko || { echo "XB error insmod xbvm.ko"; ok=0; }
echo "XB taint.load $(cat /proc/sys/kernel/tainted)"
[ -r /sys/kernel/debug/xbvm/report ] && cat /sys/kernel/debug/xbvm/report
line=$(grep "^$XBPAT " /patterns.list)
if [ -z "$line" ]; then
	echo "XB error no pattern '$XBPAT' in /patterns.list"
elif [ $ok -eq 1 ]; then
	# shellcheck disable=SC2086 # the line is words on purpose
	set -- $line
	shift 3
	# On CPU 0 only: unpinned, the fragmenter's pages (and so the
	# balloon's) landed differently from boot to boot (frag-5g's
	# huge-movable step: 433 and 797 2 MiB pages; pinned: 432 and 469).
	taskset 1 "$@"
	echo "XB exit $?"
fi
echo "XB taint.end $(cat /proc/sys/kernel/tainted)"
# Kernel complaints during the run; a clean run has none.
echo "XB dmesg.warn $(dmesg | grep -c -E 'WARNING:|BUG:|Call Trace:|Oops|invoked oom-killer')"
echo "XB dmesg.xbvm $(dmesg | grep -c xbvm)"
dmesg | grep -E 'WARNING:|BUG:|Oops|invoked oom-killer|xbvm' | head -n 20 | sed 's/^/XB-dmesg /'
echo "XB uptime.end $(cut -d' ' -f1 /proc/uptime)"
umount /data
echo "XB done"
poweroff -f
