#!/usr/bin/env bash
# Replay two shipped scenarios under valgrind memcheck with the default
# build: exits non-zero on any memory error or definite/indirect leak.
#   scripts/valgrind.sh [SCENARIO...]   (default: boot-shrink foreign-map)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "xballoon: needs valgrind: sudo apt-get install valgrind" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends valgrind >/dev/null
fi
scripts/deps.sh
scripts/build.sh default >/dev/null

[ $# -eq 0 ] && set -- boot-shrink foreign-map
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for name in "$@"; do
	echo "== valgrind: $name" >&2
	# GLib's slice allocator hides leaks from memcheck: plain malloc.
	G_SLICE=always-malloc G_DEBUG=gc-friendly \
		valgrind --quiet --error-exitcode=1 --leak-check=full \
		--show-leak-kinds=definite,indirect \
		--errors-for-leak-kinds=definite,indirect \
		build/default/xballoon run "scenarios/$name.yaml" \
		--out "$out/$name" >/dev/null
done
