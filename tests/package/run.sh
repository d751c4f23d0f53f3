#!/usr/bin/env bash
# The .deb as a user gets it: a plain Release build (-O3, warnings as
# errors here so CI sees any), `cpack` (DEB), then the package installed
# and run from outside the source tree: `xballoon --version`, `check` on
# every shipped scenario, the default scenario run from the installed
# share dir with its digest compared to the golden report, and the man
# page; `cmake --install` into a prefix gives a working --version too.
# As root the package is installed into the system with dpkg -i and
# removed afterwards; otherwise (or when an xballoon is already installed)
# it is unpacked with dpkg-deb -x into a temporary directory, as it is
# with --extract.
#   tests/package/run.sh [--jobs N] [--build DIR] [--extract]
set -euo pipefail
cd "$(dirname "$0")/../.."
src=$PWD
jobs=1
build=build/package
extract=false
while [ $# -gt 0 ]; do
	case $1 in
	--jobs)
		jobs=$2
		shift 2
		;;
	--build)
		build=$2
		shift 2
		;;
	--extract)
		extract=true
		shift
		;;
	*)
		echo "usage: tests/package/run.sh [--jobs N] [--build DIR]" \
			"[--extract]" >&2
		exit 2
		;;
	esac
done

build=$(realpath -m "$build")
mkdir -p "$build"
log=$build/build.log

say() { echo "package: $*" >&2; }
die() {
	say "FAILED: $*"
	exit 1
}

scripts/deps.sh
say "building the .deb in $build (Release, -j$jobs)"
cmake -B "$build" -DCMAKE_BUILD_TYPE=Release -DXB_WERROR=ON -DXB_TESTS=OFF \
	>"$log" 2>&1 || die "cmake failed, see $log"
cmake --build "$build" -j "$jobs" >>"$log" 2>&1 ||
	die "build failed, see $log"
rm -f "$build"/xballoon_*.deb
(cd "$build" && cpack -G DEB >>"$log" 2>&1) ||
	die "cpack failed, see $log"
debs=("$build"/xballoon_*.deb)
if [ ${#debs[@]} -ne 1 ] || [ ! -f "${debs[0]}" ]; then
	die "no single .deb in $build"
fi
deb=${debs[0]}
version=$(dpkg-deb -f "$deb" Version)
say "built $(basename "$deb")"

tmp=$(mktemp -d)
installed=false
cleanup() {
	if $installed; then
		say "removing the package"
		dpkg -r xballoon >/dev/null || say "dpkg -r xballoon failed"
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

if ! $extract && [ "$(id -u)" -eq 0 ] && ! dpkg-query -W xballoon >/dev/null 2>&1 &&
	[ ! -e /usr/bin/xballoon ]; then
	say "installing with dpkg -i"
	dpkg -i "$deb" >"$tmp/dpkg.log" 2>&1 || {
		cat "$tmp/dpkg.log" >&2
		dpkg -r xballoon >/dev/null 2>&1 || true
		die "dpkg -i failed"
	}
	installed=true
	root=
else
	say "unpacking with dpkg-deb -x (--extract, not root, or an" \
		"xballoon is installed)"
	dpkg-deb -x "$deb" "$tmp/root"
	root=$tmp/root
fi
bin=$root/usr/bin/xballoon
share=$root/usr/share/xballoon/scenarios
man=$root/usr/share/man/man1/xballoon.1

# From outside the source tree: nothing may come from it.
cd "$tmp"
cmake --install "$build" --prefix "$tmp/prefix" >>"$log" ||
	die "cmake --install failed, see $log"
got=$("$tmp/prefix/bin/xballoon" --version) ||
	die "xballoon --version failed after cmake --install"
[ -f "$tmp/prefix/share/xballoon/scenarios/fragmented-shrink.yaml" ] ||
	die "cmake --install: no share/xballoon/scenarios"
got=$("$bin" --version) || die "xballoon --version failed"
[ "$got" = "xballoon $version" ] ||
	die "xballoon --version printed '$got', not 'xballoon $version'"
"$bin" check "$share"/*.yaml >/dev/null || die "check of the shipped scenarios"
out=$("$bin" run "$share/fragmented-shrink.yaml") ||
	die "xballoon run $share/fragmented-shrink.yaml failed"
digest=$(sed -n 's/.*"digest": "\([0-9a-f]*\)".*/\1/p' \
	"$src/scenarios/fragmented-shrink.expected.json")
case $out in
*"target reached"*", 0 violations; digest ${digest:0:16}"*) ;;
*) die "fragmented-shrink: not the golden run (digest ${digest:0:16}):
$out" ;;
esac
head -1 "$man" | grep -q '^\.TH XBALLOON 1 ' || die "no man page at $man"
shipped=("$share"/*.yaml)
say "ok: $got, ${#shipped[@]} scenarios, fragmented-shrink as golden"
