#!/usr/bin/env bash
# The calibration suite against real Linux 6.1 (tests/linux/README.md):
# boots user-mode Linux once per pattern of tests/linux/patterns.list, runs
# the pattern inside it, then runs the pattern's model scenario
# (tests/linux/scenarios/NAME.yaml) and compares real and model figures.
#
#   tests/linux/run.sh [--no-build] [--reuse-logs] [--logs DIR] [NAME...]
#
# --no-build: do not (re)build xballoon. --reuse-logs: do not boot UML;
# compare the logs of an earlier run (DIR, default build/linux/logs).
# Exit status: 0 every comparison passed, 1 one failed, 2 the harness could
# not run (bad usage, build failure), 77 UML cannot be installed or booted
# here (the reason is printed as "SKIPPED: ...").
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"

build=1
boot=1
logs=build/linux/logs
names=()
work=build/linux
t0=$(date +%s)

harness=linux-tests
usage_lines=7,13
# shellcheck source=tests/support/harness.sh
. tests/support/harness.sh

parse_boot_args "$@"

list=tests/linux/patterns.list
# NAME MEM TIMEOUT CHECKS PROGRAM ARGS...
select_patterns "$list"

# --- 1. Packages (Debian 12) ------------------------------------------------
[ "$(uname -s)" = Linux ] || skip "user-mode Linux needs a Linux host, this is $(uname -s)"
[ "$(uname -m)" = x86_64 ] || skip "Debian's user-mode-linux is built for x86_64, this is $(uname -m)"
packages=(user-mode-linux busybox-static python3 gcc libc6-dev util-linux)
[ $boot -eq 1 ] && install_packages "${packages[@]}"
command -v python3 >/dev/null || die "python3 is needed for the comparison"

# --- 2. Build: xballoon and the patterns ------------------------------------
xb=build/default/xballoon
if [ $build -eq 1 ]; then
	say "building xballoon (cmake --build --preset default -j1)"
	scripts/deps.sh || die "scripts/deps.sh failed"
	cmake --preset default >/dev/null || die "cmake --preset default failed"
	cmake --build --preset default -j1 >/dev/null || die "build failed: cmake --build --preset default -j1"
fi
[ -x "$xb" ] || die "$xb is not built (drop --no-build)"
"$xb" check tests/linux/scenarios/*.yaml >/dev/null || die "xballoon check refuses a scenario of tests/linux/scenarios"

mkdir -p "$logs"
if [ $boot -eq 1 ]; then
	command -v linux.uml >/dev/null || skip "linux.uml is not installed (package user-mode-linux)"
	bb=$(command -v busybox || true)
	[ -n "$bb" ] || skip "busybox is not installed (package busybox-static)"
	readelf -l "$bb" 2>/dev/null | grep -q 'Requesting program interpreter' &&
		skip "$bb is dynamically linked: install busybox-static"

	rootfs=$(pwd)/$work/root
	[[ "$rootfs" != *[,\ ]* ]] || die "the root path must not contain ',' or ' ': $rootfs"
	rm -rf "$rootfs"
	mkdir -p "$rootfs"/{bin,proc,sys,dev,tmp,mnt,data}
	cp "$bb" "$rootfs/bin/busybox"
	for a in $("$bb" --list); do
		[ "$a" = busybox ] || ln -s busybox "$rootfs/bin/$a"
	done
	progs=$(awk '$1 !~ /^#/ && NF >= 5 { print $5 }' "$list" | sort -u)
	for p in $progs; do
		src=tests/linux/patterns/$p.c
		[ -f "$src" ] || die "$list names program $p, but $src does not exist"
		gcc -O2 -Wall -Wextra -static -o "$rootfs/bin/$p" "$src" \
			tests/linux/patterns/xbpat.c -lm || die "cannot build $src"
	done
	cp tests/linux/init.sh "$rootfs/init"
	chmod 755 "$rootfs/init"
	cp "$list" "$rootfs/patterns.list"
	# The page-cache pattern's file: sparse, read through hostfs.
	truncate -s 800M "$rootfs/data/cache.bin"

	# Address-space randomisation moves UML's physical memory, and with it
	# the reserved gap at the bottom of the zone (100k-220k pages); with
	# it off (setarch -R) every boot has the same layout.
	# Each boot runs in its own session; whatever is left of it when it
	# ends (UML's helper processes after a timeout) is killed with it.
	boot_uml() { # NAME MEM TIMEOUT LOG
		local st pidf=$work/boot.pid
		rm -f "$pidf"
		set +e
		setsid --wait bash -c 'echo $$ >"$1"; shift; exec "$@"' boot "$pidf" \
			setarch "$(uname -m)" -R timeout -k 5 "$3" linux.uml mem="$2" \
			rootfstype=hostfs rootflags="$rootfs" rw init=/init \
			XBPAT="$1" quiet con=null con0=fd:0,fd:1 </dev/null 2>&1 | cat >"$4"
		st=${PIPESTATUS[0]}
		set -e
		[ -s "$pidf" ] && kill -KILL -- "-$(cat "$pidf")" 2>/dev/null || true
		rm -f "$pidf"
		return "$st"
	}

	# A first boot that runs no pattern: can UML run here at all?
	smoke=$work/smoke.log
	boot_uml none 256M 60 "$smoke" || true
	if ! grep -q "XB pattern none" "$smoke"; then
		tail -n 20 "$smoke" | sed 's/^/    /'
		skip "linux.uml does not boot here (see $smoke)"
	fi

	while read -r n mem secs _; do
		case "$n" in '' | '#'*) continue ;; esac
		printf '%s\n' "${names[@]}" | grep -qx -- "$n" || continue
		tb=$(date +%s)
		st=0
		boot_uml "$n" "$mem" "$secs" "$logs/$n.log" || st=$?
		verdict=done
		if ! grep -q '^XB done' "$logs/$n.log"; then
			verdict="did not finish (status $st)"
			[ "$st" -eq 124 ] && verdict="timed out after ${secs}s"
		fi
		say "booted $n (mem=$mem): $verdict in $(($(date +%s) - tb))s, log $logs/$n.log"
	done <"$list"
fi

# --- 3. Real against model --------------------------------------------------
t1=$(date +%s)
echo
set +e
python3 tests/linux/compare.py --xballoon "$xb" --logs "$logs" \
	--model-out "$work/model" "${names[@]}"
rc=$?
set -e
echo
say "times: total $(($(date +%s) - t0))s, comparison $(($(date +%s) - t1))s"
exit $rc
