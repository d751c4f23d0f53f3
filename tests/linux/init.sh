#!/bin/sh
# /init of the UML boots of tests/linux/run.sh. The kernel command line's
# XBPAT=NAME picks a line "NAME MEM TIMEOUT CHECKS PROGRAM ARGS..." of
# /patterns.list; the program prints "XB key value" lines on the console.
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
echo "XB pattern $XBPAT"
line=$(grep "^$XBPAT " /patterns.list)
if [ -z "$line" ]; then
	echo "XB error no pattern '$XBPAT' in /patterns.list"
else
	# shellcheck disable=SC2086 # the line is words on purpose
	set -- $line
	shift 4
	"$@"
	echo "XB exit $?"
fi
halt -f
