#!/usr/bin/env bash
# Quick start, command 2: install what is missing, build, run every test.
# With --asan, also build and test the AddressSanitizer + UBSan preset.
# A test program in which a test was skipped is "***Skipped" under ctest
# (tests/support/main.c); the skipped tests and why are listed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
presets=(default)
[ "${1:-}" = "--asan" ] && presets+=(asan)
skips=()
status=0
for p in "${presets[@]}"; do
	echo "== preset $p" >&2
	scripts/build.sh "$p" >/dev/null
	ctest --preset "$p" -j "$(nproc)" || status=$?
	# Each skip's line, as the program printed it (ctest keeps every
	# program's output in LastTest.log).
	while IFS= read -r line; do
		skips+=("$p: ${line#SKIPPED: }")
	done < <(grep -h '^SKIPPED: ' "build/$p/Testing/Temporary/LastTest.log" || true)
	[ "$status" -eq 0 ] || break
done
if [ ${#skips[@]} -ne 0 ]; then
	echo "== SKIPPED: ${#skips[@]} tests did not run (not a pass):" >&2
	printf '   %s\n' "${skips[@]}" >&2
fi
exit "$status"
