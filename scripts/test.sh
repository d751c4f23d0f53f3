#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, run every test.
# With --asan, also build and test the AddressSanitizer + UBSan preset.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
presets=(default)
[ "${1:-}" = "--asan" ] && presets+=(asan)
for p in "${presets[@]}"; do
	echo "== preset $p" >&2
	scripts/build.sh "$p" >/dev/null
	ctest --preset "$p" -j "$(nproc)"
done
