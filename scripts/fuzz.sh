#!/usr/bin/env bash
# Fuzz the scenario parser, validator and a bounded replay with libFuzzer
# (tests/fuzz/fuzz_scenario.c) for SECONDS (default 60), starting from
# tests/fuzz/corpus/. New inputs go to build/fuzz/corpus, crashes to
# build/fuzz/crash-*: copy each into tests/fuzz/corpus/ with its fix.
#   scripts/fuzz.sh [SECONDS] [libFuzzer flags...]
#   scripts/fuzz.sh --sync-corpus   copy scenarios/ and tests/bad/ inputs in
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--sync-corpus" ]; then
	for f in scenarios/*.yaml; do
		cp "$f" "tests/fuzz/corpus/scenario-$(basename "$f")"
	done
	for f in tests/bad/*.yaml; do
		[ -f "$f" ] && cp "$f" "tests/fuzz/corpus/bad-$(basename "$f")"
	done
	exit 0
fi

seconds=${1:-60}
shift || true

scripts/deps.sh
missing=()
for p in clang libclang-rt-14-dev; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "xballoon: fuzzing needs: sudo apt-get install ${missing[*]}" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

scripts/build.sh fuzz >/dev/null
mkdir -p build/fuzz/corpus
# GLib keeps some one-time allocations; ASan's leak check still runs.
exec build/fuzz/tests/fuzz/fuzz_scenario \
	-max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
	-artifact_prefix=build/fuzz/ -print_final_stats=1 "$@" \
	build/fuzz/corpus tests/fuzz/corpus
