#!/bin/busybox sh
# /init of the reference domU (tests/xen/domu/README.md): a PV guest running
# Debian's Linux 6.1 and nothing else. The kernel command line's xbsize=MIB
# and xbfree=PCT (set by reference.sh) reach this script as variables; the
# workload program prints "XB key value" lines on hvc0, which xenconsoled
# logs in dom0.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "XB domu $(uname -r) $(awk '/MemTotal/ { print $2 }' /proc/meminfo)"
# Debian's kernel has THP "always"; the fragmenter frees 4 KiB pages of its
# mapping, which would only split huge pages (freed later, by the deferred
# split shrinker). The model's scenario says `thp: never` too.
echo never >/sys/kernel/mm/transparent_hugepage/enabled
# A domU below 4 GiB has zones DMA and DMA32; the snapshots describe DMA32
# and print every zone's free blocks (zbuddy).
# Proactive compaction off: kcompactd's 500 ms timer races the driver, and
# under TCG it moved 731 pages in one boot and 5093 in the next, with the
# ballooned pfns' lower-half share at 0.23 and 0.45 (the model's scenario
# says `proactiveness: 0` too).
XBPAT_ZONE=DMA32 /balloon --size "${xbsize:-128}" --free "${xbfree:-50}" \
	--proactiveness 0
echo "XB exit $?"
# Still here: the workload failed. PID 1 must not end.
while :; do sleep 3600; done
